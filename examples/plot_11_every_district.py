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
and how to draw and read maps of attributions.
"""

# %%
# A model trained on every district
# ---------------------------------
# calhouse ships a third model: the tutorial's network with standardised inputs,
# trained on 70% of all 20,640 districts (60 epochs of batches of 32, learning
# rate 1e-3). The other 30%, which it never saw, tell how well it predicts. We
# compute its error on them now and compare it with the figure recorded in the
# metadata when the weights were trained.
import matplotlib.pyplot as plt
import numpy as np
import torch
from captum.attr import IntegratedGradients

import calhouse

data = calhouse.load_california()
split = calhouse.load_split(n_samples=None)
model = calhouse.load_or_train_model("full")
names = calhouse.FEATURE_NAMES

test_rmse = calhouse.rmse(model, split.X_test, split.y_test)
metadata = calhouse.read_metadata(calhouse.MODELS["full"].path)
recorded, recipe = metadata["test_rmse"], metadata["training"]
print(f"{len(split.X_train):,} training and {len(split.X_test):,} test districts")
dollars = test_rmse * 100_000
print(f"test RMSE {test_rmse:.4f} (${dollars:,.0f}), recorded {recorded:.4f}")
# sphinx_gallery_start_ignore
from page_checks import check

check(
    len(split.X_train) + len(split.X_test) == 20_640
    and abs(len(split.X_train) / 20_640 - 0.7) < 1e-3
    and (recipe["epochs"], recipe["batch_size"], recipe["lr"]) == (60, 32, 1e-3),
    "trained on 70% of all 20,640 districts (60 epochs of batches of 32, learning rate 1e-3)",
    n_train=len(split.X_train),
    recipe=recipe,
)
check(
    abs(test_rmse - recorded) < 1e-4 and 0.52 < test_rmse < 0.535,
    "the model misses the median house value by about $53,000, the same figure as when "
    "it was trained",
    now=test_rmse,
    recorded=recorded,
)
# sphinx_gallery_end_ignore

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
print(f"\nf(average district) = {f_average:.3f}")
print(f"{above:.1%} of the districts are predicted higher")
print(f"mean prediction over all districts = {predictions.mean().item():.3f}")
# sphinx_gallery_start_ignore
check(
    torch.equal(model.standardize(average[None]), torch.zeros(1, len(names)))
    and torch.equal(average, split.X_train.mean(0)),
    "zero in those coordinates is the district whose every feature equals the training "
    "mean; in raw units it is model.mean",
)
check(
    55 < raw_zero[7] < 65 and names[raw_zero.abs().argmax()] == "Longitude",
    "The raw all-zero input sits some 60 spreads east of the average longitude",
    raw_zero=raw_zero.tolist(),
)
check(
    35.4 < average[6] < 35.8 and -119.8 < average[7] < -119.4 and above > 0.9,
    "it lies at about 35.6N, 119.6W, in the southern San Joaquin Valley; the model prices "
    "it lower than nine districts in ten",
    latitude=average[6].item(),
    longitude=average[7].item(),
    above=above,
)
# sphinx_gallery_end_ignore

# %%
# The raw all-zero input sits some 60 spreads east of the average longitude: no
# explanation relative to it can mean much. The average district lies inside the
# data, but it is not a typical district. Averaging the coordinates of the
# districts around San Francisco and around Los Angeles puts it between them, at
# about 35.6°N, 119.6°W, in the southern San Joaquin Valley, an inexpensive
# farming region; the model prices it lower than nine districts in ten. Every
# map below reads relative to that place.
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
    model,
    X,
    "integrated_gradients",
    baselines=average,
    n_steps=50,
)
largest = captum_sample.abs().max()
deviation = ((attributions[::100] - captum_sample).abs().max() / largest).item()
print(f"{len(X) * 50:,} network evaluations, result {tuple(attributions.shape)}")
print(f"largest difference from Captum's call, relative to its largest {deviation:.1e}")
# sphinx_gallery_start_ignore
check(
    deviation < 1e-5,
    "calhouse.attribute_dataset computes the same numbers [as Captum's own call]",
    deviation=deviation,
)
# sphinx_gallery_end_ignore

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
print("|sum of attributions - (f(x) - f(average))|:", end=" ")
print(f"median {median_gap:.4f}, 99th percentile {q99_gap:.3f}")
print(f"mean gap of the farthest tenth / of the nearer half: {far_vs_near:.1f}")
# sphinx_gallery_start_ignore
check(
    median_gap < 0.03 and q99_gap < 0.15,
    "That error is small for most districts",
    median=median_gap,
    q99=q99_gap,
)
check(
    far_vs_near > 1.5,
    "It grows with the distance from the average district",
    far_vs_near=far_vs_near,
)
# sphinx_gallery_end_ignore


# %%
# Drawing California
# ------------------
# Each map draws every district as a dot where it lies, coloured by its value.
# The colours diverge from white at zero to red for positive values and blue
# for negative ones ('RdBu_r', readable with any of the common colour-vision
# deficiencies), on a grey background, so that districts near zero stay
# visible. Both maps of a figure share the scale, which stops at the 99th
# percentile of the absolute values so that a few extreme districts do not wash
# out the rest. The strongest values are drawn last, on top where districts
# crowd (the cities), and a degree of longitude is drawn shorter than one of
# latitude, so that the state has its true shape. The star marks the average
# district.
longitude, latitude = X[:, 7], X[:, 6]
star = (average[7].item(), average[6].item())


def plot_maps(maps, label="attribution ($100,000)"):
    """Two maps of California side by side, on one colour scale."""
    limit = torch.cat(list(maps.values())).abs().quantile(0.99).item()
    aspect = 1 / np.cos(np.radians(latitude.mean().item()))
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 5), sharey=True, layout="constrained")
    for ax, (title, values) in zip(axes, maps.items(), strict=True):
        order = values.abs().argsort()
        # NumPy arrays for matplotlib: given tensors, it walks them element by element.
        points = ax.scatter(
            longitude[order].numpy(),
            latitude[order].numpy(),
            c=values[order].numpy(),
            cmap="RdBu_r",
            vmin=-limit,
            vmax=limit,
            s=3,
            linewidths=0,
            antialiased=False,  # crisp dots, and a far smaller image file
        )
        ax.plot(*star, "*", color="gold", ms=15, mec="black", label="average district")
        ax.set(title=title, aspect=aspect, facecolor="grey", xlabel="longitude (°)")
    axes[0].set_ylabel("latitude (°)")
    axes[0].legend(loc="upper right")
    fig.colorbar(points, ax=axes, label=label, extend="both", shrink=0.8)
    return fig


# %%
# Where a district is
# -------------------
# Latitude and Longitude are two numbers for one thing, the place. Integrated
# Gradients' attributions add up, so the sum of the two is what the place
# contributes. The left map shows what there is to explain, each district's
# prediction minus the average district's; the right map shows the part that
# Integrated Gradients gives to the place. Red raises the predicted value, blue
# lowers it (in units of $100,000).
place = attributions[:, 6] + attributions[:, 7]
difference = predictions - f_average
fig = plot_maps(
    {"prediction - f(average district)": difference, "Latitude + Longitude": place},
    label="difference in predicted value ($100,000)",
)
plt.show()
# sphinx_gallery_thumbnail_number = 1
# sphinx_gallery_start_ignore
from page_checks import describe

describe(
    fig,
    "Two maps of California's districts: each district's predicted value minus the "
    "average district's, and the part of it given to Latitude plus Longitude; both are "
    "red almost everywhere, deepest around San Francisco Bay and Los Angeles.",
)
# sphinx_gallery_end_ignore


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
alike = torch.corrcoef(torch.stack([difference, place]))[0, 1].item()
print(f"correlation of the two maps: {alike:.2f}")
print(f"place > 0 for {(place > 0).float().mean().item():.1%} of the districts")
print(f"mean |place| = {place.abs().mean():.3f}, mean |MedInc| = {mean_abs[0]:.3f}")
print(f"{'region':<31}{'districts':>10}{'Latitude':>10}{'Longitude':>11}{'place':>8}")
for region, inside in regions.items():
    lat_a, lon_a = attributions[inside, 6:8].mean(0).tolist()
    count = int(inside.sum())
    print(f"{region:<31}{count:>10,}{lat_a:>10.3f}{lon_a:>11.3f}{lat_a + lon_a:>8.3f}")
# sphinx_gallery_start_ignore
check(
    alike > 0.75,
    "The two maps share their pattern: what separates a district from the average one "
    "is mostly where it is",
    correlation=alike,
)
check(
    (place > 0).float().mean() > 0.95
    and all(place[inside].mean() > 1.0 for inside in regions.values()),
    "The place raises the predicted value of nearly every district, and it raises it most "
    "around San Francisco Bay and along the coast of Los Angeles and Orange County",
    share_positive=(place > 0).float().mean().item(),
)
check(
    place.abs().mean() > 3 * mean_abs[0] and mean_abs[0] == mean_abs[:6].max(),
    "Averaged over the districts, the place moves the prediction more than three times as "
    "much as income, the next feature",
    place=place.abs().mean().item(),
    mean_abs=mean_abs.tolist(),
)
# sphinx_gallery_end_ignore

# %%
# Latitude and Longitude, one at a time
# -------------------------------------
# Mapped separately, the two coordinates tell a stranger story: broad bands of
# opposite signs, each often larger than their sum.
fig = plot_maps({"Latitude": attributions[:, 6], "Longitude": attributions[:, 7]})
plt.show()
# sphinx_gallery_start_ignore
describe(
    fig,
    "Two maps of California: Latitude's attributions are blue around San Francisco Bay "
    "and red around Los Angeles, Longitude's the other way round, in broad bands of "
    "opposite sign.",
)
bay, south = (attributions[inside, 6:8].mean(0) for inside in regions.values())
check(
    bay[0] < 0 < bay[1] and south[1] < 0 < south[0],
    "In the Bay Area, Longitude adds and Latitude takes away; around Los Angeles it is "
    "the other way round",
    bay=bay.tolist(),
    south=south.tolist(),
)
check(
    bay[1] > 2 and bay[0] < -1 and abs(bay.sum()) < bay.abs().max(),
    "In the Bay Area, Longitude adds more than $200,000 and Latitude takes more than $100,000 away",
    bay=bay.tolist(),
)
lat_attr, lon_attr = attributions[:, 6], attributions[:, 7]
opposite = (lat_attr * lon_attr < 0).float().mean().item()
larger = (
    (torch.maximum(lat_attr.abs(), lon_attr.abs()) > place.abs()).float().mean().item()
)
check(
    opposite > 0.75 and larger > 0.75,
    "broad bands of opposite signs, each often larger than their sum",
    opposite=opposite,
    larger=larger,
)
# sphinx_gallery_end_ignore

# %%
# In the Bay Area (the table above), Longitude adds more than $200,000 and
# Latitude takes more than $100,000 away; around Los Angeles it is the other way
# round. California's coast runs from north-west to south-east, so "near the
# coast" is not a matter of either coordinate alone, and the network, given two
# numbers, spreads what it has learnt about places over both, in large amounts
# of opposite sign. Neither
# attribution means much alone: read them together, or better, sum them.
#
# Income and crowding
# -------------------
# After the place, income (MedInc) and the average number of occupants per
# household (AveOccup) move the predictions most. Here they are on one shared
# scale.
order = [names[j] for j in mean_abs.argsort(descending=True)]
print("features by mean |attribution|, largest first:")
print(", ".join(order))
fig = plot_maps({"MedInc": attributions[:, 0], "AveOccup": attributions[:, 5]})
plt.show()
# sphinx_gallery_start_ignore
describe(
    fig,
    "Two maps of California: MedInc's attributions, red for richer districts and blue "
    "for poorer ones everywhere, and AveOccup's, mostly red with pale blue where "
    "households are larger.",
)
check(
    order[:4] == ["Latitude", "Longitude", "MedInc", "AveOccup"],
    "After the place, income (MedInc) and the average number of occupants per household "
    "(AveOccup) move the predictions most",
    order=order,
)
# sphinx_gallery_end_ignore

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
loss = attributions[crowded, 5].mean().item()
gain = attributions[~crowded, 5].mean().item()
top_gain = attributions[:, 5].quantile(0.99).item()
less_crowded = 1 - crowded.float().mean().item()
top_income = attributions[:, 0].argsort(descending=True)[:200]
in_south = regions["Los Angeles and Orange County"][top_income].float().mean().item()
print(f"MedInc attribution has the sign of (income - average) in {income_rule:.1%}")
print(f"of the 200 largest MedInc attributions, {in_south:.0%} are in LA/Orange County")
print(f"AveOccup attribution < 0 for {crowding_rule:.1%} of the more crowded districts")
print(f"mean AveOccup attribution: {loss:+.3f} if more crowded, {gain:+.3f} if less")
print(f"99th percentile of the AveOccup attributions: {top_gain:.2f}")
print(f"{less_crowded:.0%} of the districts are less crowded than the average")
# sphinx_gallery_start_ignore
check(
    income_rule > 0.97 and in_south > 0.5,
    "its attribution has the sign of the district's income minus the average income; "
    "most of the 200 strongest pushes are in Los Angeles and Orange County",
    income_rule=income_rule,
    in_south=in_south,
)
check(
    crowding_rule > 0.9 and -0.1 < loss < 0 < 3 * -loss < gain and top_gain > 1,
    "nearly every district whose households are larger than the average loses, but "
    "little, while districts with smaller households gain several times as much on "
    "average, and over $100,000 for the top 1%",
    crowding_rule=crowding_rule,
    loss=loss,
    gain=gain,
    top_gain=top_gain,
)
check(
    less_crowded > 0.6 and average[5] > X[:, 5].median(),
    "A few districts with very large households raise the mean occupancy above the "
    "median, so most districts are less crowded than the average",
    less_crowded=less_crowded,
    mean=average[5].item(),
    median=X[:, 5].median().item(),
)
# sphinx_gallery_end_ignore

# %%
# What the maps say, and what they do not
# ---------------------------------------
# Every colour on these maps compares a district with one reference, the average
# district in the San Joaquin Valley; another baseline redistributes the same
# differences differently (example 5 compares baselines). And the maps explain
# the *model*: they show what it has learnt to reward, the coast and income, not
# why houses there cost what they cost.
