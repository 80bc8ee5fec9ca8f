"""
Explaining every district: attributions for all of California, on the map
=========================================================================

The tutorial explains 180 districts. This example explains all 20,640 of them,
with a model trained on the whole data set, and draws the explanations where the
districts are. You will learn to compute Integrated Gradients for a whole data
set with :func:`calhouse.attribute_dataset`, which gives Captum's numbers but
works through the rows in small chunks, so that memory stays small and the run
is many times faster; why the average district is the baseline to choose for a
model with standardised inputs (:class:`calhouse.StandardizedCaliforniaModel`);
and how to read maps of attributions drawn with
:func:`calhouse.plot_attribution_maps`.
"""

# %%
# A model trained on every district
# ---------------------------------
# calhouse ships a third model: the tutorial's network with standardised inputs,
# trained on 70% of all 20,640 districts (60 epochs of batches of 32, learning
# rate 1e-3). The other 30%, which it never saw, tell how well it predicts. We
# compute its error on them now and compare it with the figure recorded in the
# metadata when the weights were trained.
import torch
from captum.attr import IntegratedGradients

import calhouse

data = calhouse.load_california()
split = calhouse.load_split(n_samples=None)
model = calhouse.load_or_train_model("full")
names = calhouse.FEATURE_NAMES

test_rmse = calhouse.rmse(model, split.X_test, split.y_test)
recorded = calhouse.read_metadata(calhouse.MODELS["full"].path)["test_rmse"]
print(f"{len(split.X_train):,} training and {len(split.X_test):,} test districts")
print(f"test RMSE {test_rmse:.4f} (${test_rmse * 100_000:,.0f}), recorded {recorded:.4f}")
calhouse.claim(
    abs(test_rmse - recorded) < 1e-4 and 0.52 < test_rmse < 0.535,
    "the test RMSE computed now, about $53,000, is the one recorded when the model was trained",
    now=test_rmse,
    recorded=recorded,
)

# %%
# On districts it has never seen, the model misses the median house value by
# about $53,000 (root mean squared error), the same figure as when it was
# trained.
#
# The baseline: the average district
# ----------------------------------
# Integrated Gradients explains the *difference* between the prediction for a
# district and the prediction for a baseline input. Captum's default baseline is
# zero in the units the model receives. Here those are raw units: an income of
# zero, houses zero years old, at latitude 0 and longitude 0, in the Gulf of
# Guinea. Measured in the training set's spreads, that point is absurdly far from
# every Californian district.
#
# The network itself computes on standardised features
# (:meth:`~calhouse.StandardizedCaliforniaModel.standardize`, then
# :meth:`~calhouse.StandardizedCaliforniaModel.forward_standardized`), and zero
# in *those* coordinates is the district whose every feature equals the training
# mean. In raw units it is ``model.mean``. With it as the baseline, an
# attribution says how much a feature moves a district's predicted value away
# from the average district's: a reference every reader can picture.
# (Example 10 shows that Integrated Gradients from ``model.mean`` in raw units is
# Integrated Gradients from zero in standardised units.)
X = torch.from_numpy(data.X).float()
average = model.mean
with torch.no_grad():
    f_average = model(average[None]).item()
    predictions = model(X).squeeze(1)
raw_zero = model.standardize(torch.zeros(1, len(names)))[0]

print(f"{'feature':<11}{'average':>10}{'raw zero, in spreads from it':>30}")
for name, value, z in zip(names, average, raw_zero, strict=True):
    print(f"{name:<11}{value.item():>10.3f}{z.item():>30.1f}")
above = (predictions > f_average).float().mean().item()
print(f"\nf(average district) = {f_average:.3f}; {above:.1%} of the districts are predicted higher")
print(f"mean prediction over all districts = {predictions.mean().item():.3f}")

calhouse.claim(
    torch.equal(model.standardize(average[None]), torch.zeros(1, len(names))),
    "the average district is the zero of the standardised inputs",
)
calhouse.claim(
    55 < raw_zero[7] < 65 and names[raw_zero.abs().argmax()] == "Longitude",
    "the raw all-zero input lies some 60 spreads east of the average longitude",
    raw_zero=raw_zero.tolist(),
)
calhouse.claim(
    35 < average[6] < 37 and -120.5 < average[7] < -118.5 and above > 0.9,
    "the average district lies in the southern San Joaquin Valley and is predicted "
    "cheaper than 90% of the districts",
    latitude=average[6].item(),
    longitude=average[7].item(),
    above=above,
)

# %%
# The raw all-zero input sits some 60 spreads east of the average longitude: no
# explanation relative to it can mean much. The average district lies inside the
# data, but it is not a typical district. Averaging the coordinates of the districts around San
# Francisco and around Los Angeles puts it between them, at about 35.6°N,
# 119.6°W, in the southern San Joaquin Valley, an inexpensive farming region;
# the model prices it lower than nine districts in ten. Every map below
# reads relative to that place.
#
# Attributions for all 20,640 districts
# -------------------------------------
# Captum's :class:`~captum.attr.IntegratedGradients` evaluates the network at 50
# points between the baseline and each district. Given all 20,640 districts at
# once, it builds a batch of a million rows and differentiates every row's
# output separately, which takes many seconds and gigabytes of memory (``nox -s
# bench`` measures it). :func:`calhouse.attribute_dataset` computes the same
# numbers a chunk of districts at a time; on a terminal it shows a progress bar.
# We check it against Captum's own call on every hundredth district.
ig = IntegratedGradients(model)
sample = X[::100].clone().requires_grad_()
captum_sample = ig.attribute(sample, baselines=average[None], n_steps=50).detach()

attributions = calhouse.attribute_dataset(
    model, X, "integrated_gradients", baselines=average, n_steps=50
)
deviation = ((attributions[::100] - captum_sample).abs().max() / captum_sample.abs().max()).item()
print(f"{len(X) * 50:,} network evaluations; shape of the result: {tuple(attributions.shape)}")
print(f"largest difference from Captum's call, relative to its largest value: {deviation:.1e}")
calhouse.claim(
    deviation < 1e-5,
    "attribute_dataset gives Captum's Integrated Gradients",
    deviation=deviation,
)

# %%
# The attributions of a district add up to its prediction minus the average
# district's, up to the error of the 50-point integral. That error is small for
# most districts. It grows with the distance from the average district (measured
# in standardised units): a longer path crosses more of the network's kinks,
# where a 50-point integral is least accurate.
gap = (attributions.sum(1) - (predictions - f_average)).abs()
median_gap, q99_gap = gap.median().item(), gap.quantile(0.99).item()
distance = model.standardize(X).norm(dim=1)
far, near = distance >= distance.quantile(0.9), distance <= distance.median()
far_vs_near = (gap[far].mean() / gap[near].mean()).item()
print(f"|sum of attributions - (f(x) - f(average))|: median {median_gap:.4f}, 99% {q99_gap:.3f}")
print(f"mean gap of the farthest tenth / of the nearer half: {far_vs_near:.1f}")
calhouse.claim(
    median_gap < 0.02 and q99_gap < 0.15,
    "the attributions add up to the prediction's difference within $2,000 for half the "
    "districts and within $15,000 for 99%",
    median=median_gap,
    q99=q99_gap,
)
calhouse.claim(
    far_vs_near > 1.5,
    "the gap grows with the distance from the average district",
    far_vs_near=far_vs_near,
)

# %%
# Where a district is
# -------------------
# Latitude and Longitude are two numbers for one thing, the place. Integrated
# Gradients' attributions add up, so the sum of the two is what the place
# contributes. The left map shows what there is to explain, each district's
# prediction minus the average district's; the right map shows the part that
# Integrated Gradients gives to the place. The star marks the average district.
# Red raises the predicted value, blue lowers it (in units of $100,000).
longitude, latitude = X[:, 7], X[:, 6]
place = attributions[:, 6] + attributions[:, 7]
star = (average[7].item(), average[6].item())
fig = calhouse.plot_attribution_maps(
    longitude,
    latitude,
    {"prediction - f(average district)": predictions - f_average, "Latitude + Longitude": place},
    mark=star,
    mark_label="average district",
    label="difference in predicted value ($100,000)",
)


# %%
# The two maps share their pattern (their correlation over the districts is
# printed below): what separates a district from the average one is mostly where
# it is. The place raises the predicted value of nearly every district, as if
# almost anywhere were a better place than the middle of the San Joaquin Valley,
# and it raises it most around San Francisco Bay and along the coast of Los
# Angeles and Orange County. Averaged over the districts, the
# place moves the prediction more than three times as much as income, the next
# feature.
#
# The regions are rough boxes: the Bay Area at 37.2-38.0°N, 122.6-121.7°W; Los
# Angeles and Orange County at 33.4-34.3°N, 118.7-117.6°W.
def box(lat_range, lon_range):
    """The districts inside a box of latitude and longitude."""
    return (
        (latitude >= lat_range[0])
        & (latitude <= lat_range[1])
        & (longitude >= lon_range[0])
        & (longitude <= lon_range[1])
    )


regions = {
    "Bay Area": box((37.2, 38.0), (-122.6, -121.7)),
    "Los Angeles and Orange County": box((33.4, 34.3), (-118.7, -117.6)),
}
mean_abs = attributions.abs().mean(0)
alike = torch.corrcoef(torch.stack([predictions - f_average, place]))[0, 1].item()
print(f"correlation of the two maps: {alike:.2f}")
print(f"place > 0 for {(place > 0).float().mean().item():.1%} of the districts")
print(f"mean |place| = {place.abs().mean().item():.3f}, mean |MedInc| = {mean_abs[0].item():.3f}")
print(f"{'region':<31}{'districts':>10}{'Latitude':>10}{'Longitude':>11}{'place':>8}")
for region, inside in regions.items():
    lat_a, lon_a = attributions[inside, 6].mean().item(), attributions[inside, 7].mean().item()
    print(f"{region:<31}{int(inside.sum()):>10,}{lat_a:>10.3f}{lon_a:>11.3f}{lat_a + lon_a:>8.3f}")
calhouse.claim(
    alike > 0.75,
    "the prediction's difference and the place's attribution share their pattern",
    correlation=alike,
)
calhouse.claim(
    (place > 0).float().mean() > 0.95
    and all(place[inside].mean() > 1.0 for inside in regions.values()),
    "the place raises nearly every district's value, by more than $100,000 on average "
    "around the Bay and in Los Angeles and Orange County",
)
calhouse.claim(
    place.abs().mean() > 3 * mean_abs[0] and mean_abs[0] == mean_abs[:6].max(),
    "the place moves predictions more than three times as much as income, the next feature",
    place=place.abs().mean().item(),
    mean_abs=mean_abs.tolist(),
)

# %%
# Latitude and Longitude, one at a time
# -------------------------------------
# Mapped separately, the two coordinates tell a stranger story: broad bands of
# opposite signs, each often larger than their sum.
fig = calhouse.plot_attribution_maps(
    longitude,
    latitude,
    {"Latitude": attributions[:, 6], "Longitude": attributions[:, 7]},
    mark=star,
    mark_label="average district",
)

# %%
# In the Bay Area, Longitude adds more than $200,000 and Latitude takes almost
# $100,000 away; around Los Angeles it is the other way round. California's
# coast runs from north-west to south-east, so "near the coast" is not a matter
# of either coordinate alone, and the network, given two numbers, spreads what it
# has learnt about places over both, in large amounts of opposite sign. Neither
# attribution means much alone: read them together, or better, sum them.
bay, south = (attributions[inside, 6:8].mean(0) for inside in regions.values())
calhouse.claim(
    bay[0] < 0 < bay[1] and south[1] < 0 < south[0],
    "Latitude and Longitude pull in opposite directions, one way round in the Bay Area "
    "and the other way round in Los Angeles and Orange County",
    bay=bay.tolist(),
    south=south.tolist(),
)
calhouse.claim(
    bay[1] > 2 and -1 < bay[0] < -0.8 and abs(bay.sum()) < bay.abs().max(),
    "in the Bay Area Longitude adds more than $200,000 and Latitude takes almost $100,000 away",
    bay=bay.tolist(),
)

# %%
# Income and crowding
# -------------------
# After the place, income (MedInc) and the average number of occupants per
# household (AveOccup) move the predictions most. Here they are on one shared
# scale.
order = [names[j] for j in mean_abs.argsort(descending=True)]
print("features by mean |attribution|:", ", ".join(order))
fig = calhouse.plot_attribution_maps(
    longitude,
    latitude,
    {"MedInc": attributions[:, 0], "AveOccup": attributions[:, 5]},
    mark=star,
    mark_label="average district",
)

# %%
# Income follows a simple rule: its attribution has the sign of the district's
# income minus the average income, so richer districts are pushed up and poorer
# ones down, wherever they are; most of the 200 strongest pushes are in Los
# Angeles and Orange County. Crowding works the other way round, and lopsidedly:
# nearly every district whose households are larger than the average loses, but
# little, while districts with smaller households gain several times as much on
# average, and over $100,000 for the top 1%. A few districts with very large
# households raise the mean occupancy above the median, so most districts are
# less crowded than the average, which is why the map is mostly red.
rich = X[:, 0] > average[0]
income_rule = ((attributions[:, 0] > 0) == rich).float().mean().item()
crowded = X[:, 5] > average[5]
crowding_rule = (attributions[crowded, 5] < 0).float().mean().item()
loss, gain = attributions[crowded, 5].mean().item(), attributions[~crowded, 5].mean().item()
top_gain = attributions[:, 5].quantile(0.99).item()
less_crowded = 1 - crowded.float().mean().item()
top_income = attributions[:, 0].argsort(descending=True)[:200]
in_south = regions["Los Angeles and Orange County"][top_income].float().mean().item()
print(f"MedInc attribution has the sign of (income - average) in {income_rule:.1%} of districts")
print(f"of the 200 largest MedInc attributions, {in_south:.0%} are in Los Angeles/Orange County")
print(f"AveOccup attribution < 0 for {crowding_rule:.1%} of the more crowded than average")
print(f"mean AveOccup attribution: {loss:+.3f} if more crowded, {gain:+.3f} if less crowded")
print(f"99th percentile of the AveOccup attributions: {top_gain:.2f}")
print(f"{less_crowded:.0%} of the districts are less crowded than the average")
calhouse.claim(
    order[:4] == ["Latitude", "Longitude", "MedInc", "AveOccup"],
    "after the coordinates, MedInc and AveOccup move the predictions most",
    order=order,
)
calhouse.claim(
    income_rule > 0.97 and in_south > 0.5,
    "income's attribution has the sign of income minus the average, and its largest values "
    "are in Los Angeles and Orange County",
    income_rule=income_rule,
    in_south=in_south,
)
calhouse.claim(
    crowding_rule > 0.9 and -0.1 < loss < 0 < 3 * -loss < gain and top_gain > 1,
    "nearly every district with larger households than the average loses, but little; "
    "smaller households gain several times as much, over $100,000 for the top 1%",
    crowding_rule=crowding_rule,
    loss=loss,
    gain=gain,
    top_gain=top_gain,
)
calhouse.claim(
    less_crowded > 0.6 and average[5] > X[:, 5].median(),
    "the mean occupancy lies above the median, and most districts are less crowded",
    less_crowded=less_crowded,
)

# %%
# What the maps say, and what they do not
# ---------------------------------------
# Every colour on these maps compares a district with one reference, the average
# district in the San Joaquin Valley; another baseline redistributes the same
# differences differently (example 5 compares baselines). And the maps explain
# the *model*: they show what it has learnt to reward, the coast and income, not
# why houses there cost what they cost.

# sphinx_gallery_thumbnail_number = 1
