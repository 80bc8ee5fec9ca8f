"""
Summing hides things: signed sums, absolute values and every district
======================================================================

The tutorial's bar chart adds up each feature's attributions over the 180 test
districts, signs included, and warns that positive and negative attributions
can cancel in that sum. This example shows how much they cancel. You will learn
to put the signed sum next to the mean absolute attribution with
:func:`calhouse.attribution_summary`, and to look at the attribution of every
district at once with :func:`calhouse.plot_beeswarm`, coloured by the value of
the feature, to see *which* districts push a feature's attribution up and which
push it down. The attributions are :class:`~captum.attr.IntegratedGradients`,
from the tutorial's zero baseline and from the training mean.
"""

# %%
# Attributions of every test district
# -----------------------------------
# We compute Integrated Gradients twice: from the tutorial's all-zero baseline,
# and from the average training district (see
# :ref:`sphx_glr_auto_examples_plot_05_baselines.py` for why the baseline
# matters). The inputs require gradients from the start, so that Captum need
# not switch them on itself and warn.
import numpy as np
from captum.attr import IntegratedGradients

import calhouse

split = calhouse.load_split()
model = calhouse.load_or_train_model("tutorial")
X = split.X_test.clone().requires_grad_()
names = calhouse.FEATURE_NAMES

ig = IntegratedGradients(model)
attributions = {
    "zero baseline (the tutorial's)": ig.attribute(X, n_steps=50).detach(),
    "training-mean baseline": ig.attribute(
        X, baselines=split.X_train.mean(0, keepdim=True), n_steps=50
    ).detach(),
}

# %%
# What the sum keeps and what it loses
# ------------------------------------
# :func:`calhouse.attribution_summary` returns, per feature, the signed mean
# (the tutorial's sum divided by the number of districts), the mean absolute
# value, the share of districts with a positive attribution, and the share of
# the total that cancels out when signs are kept: 0% when every district agrees
# in sign, 100% when positives and negatives balance exactly.
summaries = {label: calhouse.attribution_summary(a) for label, a in attributions.items()}
for label, summary in summaries.items():
    print(label)
    print(f"  {'feature':<11} {'signed':>8} {'|abs|':>8} {'positive':>9} {'cancelled':>10}")
    for j, name in enumerate(names):
        print(
            f"  {name:<11} {summary['signed_mean'][j]:>+8.3f} {summary['mean_abs'][j]:>8.3f} "
            f"{summary['fraction_positive'][j]:>9.0%} {summary['cancelled'][j]:>10.0%}"
        )

panels = {
    label: {
        "signed mean (what the tutorial sums)": s["signed_mean"],
        "mean absolute attribution": s["mean_abs"],
    }
    for label, s in summaries.items()
}
fig = calhouse.plot_grouped_bar_panels(
    panels,
    names,
    colors={
        "signed mean (what the tutorial sums)": "#eb5e7c",
        "mean absolute attribution": "#555555",
    },
    ylabel="attribution ($100,000)",
)

# %%
# From the zero baseline (top), MedInc, AveRooms and AveOccup have the same sign
# in every district, so the sum loses nothing of them. Population, Latitude and
# Longitude lose a lot: their attributions point both ways, and the signed mean
# keeps less than half of Population's and Latitude's absolute size and about
# half of Longitude's. The tutorial's chart therefore shows Population, the
# feature it discusses, at less than half of its weight.
zero = summaries["zero baseline (the tutorial's)"]
cancelled = dict(zip(names, zero["cancelled"], strict=True))
calhouse.claim(
    all(cancelled[name] == 0 for name in ("MedInc", "AveRooms", "AveOccup")),
    "from zero, MedInc, AveRooms and AveOccup have the same sign in every district",
    cancelled=cancelled,
)
calhouse.claim(
    cancelled["Population"] > 0.5
    and cancelled["Latitude"] > 0.5
    and 0.4 < cancelled["Longitude"] < 0.6,
    "from zero, the signed sums keep less than half of Population and Latitude, "
    "about half of Longitude",
    cancelled=cancelled,
)

# %%
# From the training mean (bottom) the picture turns over: the signed means of
# most features nearly vanish. With a baseline in the middle of the data,
# districts above the average push one way and districts below it push the
# other, so the sum cancels by construction. The most important feature of all,
# MedInc, would look unimportant in the tutorial's chart. Population is the
# exception again: its attribution is positive for most districts, and its
# signed mean keeps most of its size.
mean = summaries["training-mean baseline"]
medinc = names.index("MedInc")
print(f"MedInc from the training mean: {mean['cancelled'][medinc]:.0%} of it cancels in the sum")
calhouse.claim(
    mean["cancelled"][medinc] > 0.9
    and mean["mean_abs"][medinc] == mean["mean_abs"].max()
    and abs(mean["signed_mean"][medinc]) < mean["mean_abs"][medinc] / 10,
    "from the mean, over 90% of MedInc cancels although it has the largest absolute attribution",
    cancelled=mean["cancelled"][medinc],
)
population = names.index("Population")
calhouse.claim(
    mean["cancelled"][population] < 0.5 and mean["fraction_positive"][population] > 0.5,
    "from the mean, Population's attribution is positive for most districts and keeps most "
    "of its size in the sum",
    cancelled=mean["cancelled"][population],
)

# %%
# Every district, from the zero baseline
# --------------------------------------
# Sums and means are both summaries. The beeswarm below draws each district's
# attribution as a dot, one row per feature (most important on top), coloured by
# where the district's value of that feature lies among the test districts,
# from blue (low) to red (high).
zero_attr = attributions["zero baseline (the tutorial's)"]
fig = calhouse.plot_beeswarm(
    zero_attr, split.X_test, names, title="Integrated Gradients from the zero baseline"
)

# %%
# Most districts sit close together, but a few lie far out. The two most
# extreme dots belong to the same district, the one with the fewest
# inhabitants of the test set: it gets a huge negative attribution for
# Population and an even larger positive one for Longitude, and the two largely
# cancel each other.
row, column = np.unravel_index(int(zero_attr.abs().argmax()), zero_attr.shape)
population_row = int(zero_attr[:, names.index("Population")].argmin())
print(
    f"district {row}: Population {split.X_test[row, 4]:.0f} people, attributions "
    f"Population {zero_attr[row, 4]:+.2f}, Longitude {zero_attr[row, 7]:+.2f}, "
    f"all eight together {zero_attr[row].sum():+.2f}"
)
calhouse.claim(
    names[column] == "Longitude"
    and population_row == row
    and split.X_test[row, 4] == split.X_test[:, 4].min() < 250
    and abs(zero_attr[row, 4] + zero_attr[row, 7]) < 0.5 * zero_attr[row, 7],
    "the largest attribution (Longitude) and the most negative Population attribution belong "
    "to the smallest district, and they largely cancel",
    row=row,
    column=names[column],
)

# %%
# With fewer than 250 inhabitants, this district sits on the steep cliff that
# :ref:`sphx_glr_auto_examples_plot_06_trust.py` found in the model's response
# to Population, between the smallest populations and 250 people. On the
# straight path from the all-zero input to it, the model's output swings, and
# Integrated Gradients books large, opposite amounts to the two features with
# large raw values. Neither number says much about the district.
#
# Every district, from the training mean
# --------------------------------------
# From the average district, the colours read directly: a red dot to the right
# means "a high value of this feature raised this district's predicted price
# above the average one".
mean_attr = attributions["training-mean baseline"]
fig = calhouse.plot_beeswarm(
    mean_attr, split.X_test, names, title="Integrated Gradients from the training mean"
)

# %%
# For MedInc, AveRooms and HouseAge, red dots sit on the right and blue on the
# left: richer districts, districts with more rooms and, in this corner of the
# Bay Area, older ones are worth more. AveOccup runs the other way: more
# people per household, a lower price. Population is the exception: its
# colours are mixed on both sides, so a larger population goes with a higher
# attribution only loosely, another sign of the model's uneven response to it.
# The location features stay at zero, as they did in the baseline comparison.
# Spearman's rank correlation between each feature's value and its
# attribution:
link = {
    name: calhouse.spearman(split.X_test[:, j], mean_attr[:, j])
    for j, name in enumerate(names)
    if mean_attr[:, j].std() > 0
}
for name, value in link.items():
    print(f"{name:<11} {value:+.2f}")
calhouse.claim(
    all(link[name] > 0.85 for name in ("MedInc", "AveRooms", "HouseAge"))
    and link["AveOccup"] < -0.9,
    "higher MedInc, AveRooms and HouseAge raise the price, higher AveOccup lowers it",
    link=link,
)
calhouse.claim(
    0 < link["Population"] < 0.5,
    "a larger population goes with a higher attribution only loosely",
    link=link,
)
location = mean["mean_abs"][names.index("Latitude") :].max()
calhouse.claim(location < 0.01, "the location features stay at zero", location=location)

# %%
# A signed sum answers one question, "in which direction does this feature
# push on balance?", and only for the chosen baseline. Report the mean absolute
# attribution for "how much does this feature matter?", and look at the
# individual districts before trusting either.

# sphinx_gallery_thumbnail_number = 3
