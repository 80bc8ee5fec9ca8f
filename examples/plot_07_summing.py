"""
Summing hides things: signed sums, absolute values and every district
======================================================================

The tutorial's bar chart adds up each feature's attributions over the 180 test
districts, signs included, and warns that positive and negative attributions
can cancel in that sum. This example shows how much they cancel. You will learn
to put the signed sum next to the mean absolute attribution, and to look at the
attribution of every district at once in a beeswarm plot, coloured by the value
of the feature, to see *which* districts push a feature's attribution up and
which push it down. The attributions are
:class:`~captum.attr.IntegratedGradients`, from the tutorial's zero baseline
and from the training mean.
"""

# %%
# Attributions of every test district
# -----------------------------------
# We compute Integrated Gradients twice: from the tutorial's all-zero baseline,
# and from the average training district (see
# :ref:`sphx_glr_auto_examples_plot_05_baselines.py` for why the baseline
# matters). The inputs require gradients from the start, so that Captum need
# not switch them on itself and warn.
import matplotlib.pyplot as plt
import numpy as np
from captum.attr import IntegratedGradients
from scipy.stats import rankdata, spearmanr

import calhouse

split = calhouse.load_split()
model = calhouse.load_or_train_model("tutorial")
X = split.X_test.clone().requires_grad_()
names = calhouse.FEATURE_NAMES

ig = IntegratedGradients(model)
mean_district = split.X_train.mean(0, keepdim=True)
attributions = {
    "zero baseline (the tutorial's)": ig.attribute(X, n_steps=50).detach(),
    "training-mean baseline": ig.attribute(
        X,
        baselines=mean_district,
        n_steps=50,
    ).detach(),
}

# %%
# What the sum keeps and what it loses
# ------------------------------------
# For each feature we compute the signed mean (the tutorial's sum divided by
# the number of districts), the mean absolute value, the share of districts
# with a positive attribution, and the share of the total that cancels out
# when signs are kept: 0% when every district agrees in sign, 100% when
# positives and negatives balance exactly.


def summarize(attr):
    """Per feature: signed mean, mean |attribution|, share positive, share cancelled."""
    a = attr.numpy().astype(np.float64)
    # No feature here has an attribution of exactly zero in every district.
    kept = np.abs(a.sum(0)) / np.abs(a).sum(0)
    return {
        "signed": a.mean(0),
        "abs": np.abs(a).mean(0),
        "positive": (a > 0).mean(0),
        "cancelled": 1 - kept,
    }


summaries = {label: summarize(a) for label, a in attributions.items()}
for label, s in summaries.items():
    print(label)
    header = ("feature", "signed", "|abs|", "positive", "cancelled")
    print("  {:<11} {:>8} {:>8} {:>9} {:>10}".format(*header))
    for j, name in enumerate(names):
        print(
            f"  {name:<11} {s['signed'][j]:>+8.3f} {s['abs'][j]:>8.3f} "
            f"{s['positive'][j]:>9.0%} {s['cancelled'][j]:>10.0%}"
        )

# %%
# The figure puts the two summaries side by side, one panel per baseline. The
# signed mean is hatched, so the two bars differ by pattern as well as colour.
fig, axes = plt.subplots(2, 1, figsize=(9.6, 6.4), sharex=True, layout="constrained")
for ax, (label, s) in zip(axes, summaries.items(), strict=True):
    calhouse.plot_grouped_bars(
        {
            "signed mean (what the tutorial sums)": s["signed"],
            "mean absolute attribution": s["abs"],
        },
        names,
        colors=["#D55E00", "#0072B2"],  # Okabe-Ito vermillion and blue
        hatches=["//", ""],
        title=label,
        ylabel="attribution\n($100,000)",
        legend=False,
        ax=ax,
    )
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="outside upper center", ncols=2)
plt.show()
# sphinx_gallery_start_ignore
from page_checks import check, describe

describe(
    fig,
    "Two bar charts, for the zero and the training-mean baselines, of each feature's "
    "signed mean attribution next to its mean absolute attribution: from the training "
    "mean the signed bars of most features, MedInc's included, nearly vanish while "
    "their absolute bars stay tall.",
)
# sphinx_gallery_end_ignore

# %%
# From the zero baseline (top), MedInc, AveRooms and AveOccup have the same sign
# in every district, so the sum loses nothing of them. Population, Latitude and
# Longitude lose a lot: their attributions point both ways, and the signed mean
# keeps less than half of Population's and Latitude's absolute size and about
# half of Longitude's. The tutorial's chart therefore shows Population, the
# feature it discusses, at less than half of its weight.
#
# From the training mean (bottom) the picture turns over: the signed means of
# most features nearly vanish. With a baseline in the middle of the data,
# districts above the average push one way and districts below it push the
# other, so the sum cancels by construction. The most important feature of all,
# MedInc, would look unimportant in the tutorial's chart:
mean = summaries["training-mean baseline"]
medinc = names.index("MedInc")
print(f"MedInc from the training mean: {mean['cancelled'][medinc]:.0%} cancels")
# sphinx_gallery_start_ignore
zero = summaries["zero baseline (the tutorial's)"]
cancelled = dict(zip(names, zero["cancelled"], strict=True))
check(
    all(cancelled[name] == 0 for name in ("MedInc", "AveRooms", "AveOccup")),
    "from zero, MedInc, AveRooms and AveOccup have the same sign in every district",
    cancelled=cancelled,
)
check(
    cancelled["Population"] > 0.5
    and cancelled["Latitude"] > 0.5
    and 0.4 < cancelled["Longitude"] < 0.6,
    "from zero, the signed mean keeps less than half of Population's and Latitude's "
    "absolute size and about half of Longitude's",
    cancelled=cancelled,
)
check(
    (mean["cancelled"] > 0.75).sum() >= 5,
    "from the training mean, the signed means of most features nearly vanish",
    cancelled=mean["cancelled"],
)
check(
    mean["cancelled"][medinc] > 0.9
    and mean["abs"][medinc] == mean["abs"].max()
    and abs(mean["signed"][medinc]) < mean["abs"][medinc] / 10,
    "from the mean, over 90% of MedInc cancels in the sum although it has the "
    "largest absolute attribution",
    cancelled=mean["cancelled"][medinc],
)
# sphinx_gallery_end_ignore

# %%
# Population is the exception again: its attribution is positive for most
# districts, and its signed mean keeps most of its size.
population = names.index("Population")
print(
    f"Population from the training mean: positive in "
    f"{mean['positive'][population]:.0%} of the districts, "
    f"{mean['cancelled'][population]:.0%} cancels"
)
# sphinx_gallery_start_ignore
check(
    mean["cancelled"][population] < 0.5 and mean["positive"][population] > 0.5,
    "from the mean, Population's attribution is positive for most districts and its "
    "signed mean keeps most of its size",
    cancelled=mean["cancelled"][population],
)
# sphinx_gallery_end_ignore

# %%
# Every district, from the zero baseline
# --------------------------------------
# Sums and means are both summaries. A beeswarm plot draws each district's
# attribution as a dot, one row per feature (most important on top), coloured
# by where the district's value of that feature lies among the test districts
# (its percentile, from :func:`scipy.stats.rankdata`), from dark purple (low)
# to yellow (high). Where many districts have similar attributions, the dots
# spread further up and down, so dense regions look wide. The function is short
# enough to adapt; ``viridis`` keeps its colours apart for colour-blind readers.


def beeswarm(attr, X, feature_names, title, seed=0):
    """Every district's attribution of each feature, coloured by the feature's value."""
    attr, X = attr.numpy(), X.numpy()
    n = len(attr)
    order = np.argsort(-np.abs(attr).mean(0), kind="stable")
    rng = np.random.default_rng(seed)
    fig, ax = plt.subplots(figsize=(9.6, 5.6), layout="constrained")
    for position, j in enumerate(order):
        a = attr[:, j]
        percentile = (rankdata(X[:, j]) - 1) / (n - 1)
        counts, edges = np.histogram(a, bins=40)
        bin_of = np.clip(np.digitize(a, edges) - 1, 0, len(counts) - 1)
        height = 0.4 * counts[bin_of] / counts.max()
        y = position + rng.uniform(-1, 1, n) * height
        dots = ax.scatter(a, y, c=percentile, cmap="viridis", vmin=0, vmax=1, s=14)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(order)), [feature_names[j] for j in order])
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xlabel("attribution (contribution to the predicted value, $100,000)")
    ax.grid(True, axis="x", alpha=0.3)
    bar = fig.colorbar(dots, ax=ax, ticks=[0, 1], pad=0.01)
    bar.ax.set_yticklabels(["low", "high"])
    bar.set_label("feature value (percentile)")
    ax.set_title(title)
    return fig


zero_attr = attributions["zero baseline (the tutorial's)"]
title = "Integrated Gradients from the zero baseline"
fig = beeswarm(zero_attr, split.X_test, names, title)
plt.show()
# sphinx_gallery_start_ignore
describe(
    fig,
    "Beeswarm of every test district's Integrated Gradients attribution per feature "
    "from the zero baseline: most dots cluster near zero, and one district lies far "
    "out, with a large positive Longitude and a large negative Population attribution.",
)
# sphinx_gallery_end_ignore

# %%
# Most districts sit close together, but a few lie far out. The two most
# extreme dots belong to the same district, the one with the fewest
# inhabitants of the test set: it gets a huge negative attribution for
# Population and an even larger positive one for Longitude, and the two largely
# cancel each other.
longitude = names.index("Longitude")
row = int(zero_attr.abs().max(1).values.argmax())
print(f"district {row}: {split.X_test[row, population]:.0f} inhabitants")
print(
    f"attribution of Population {zero_attr[row, population]:+.2f}, "
    f"of Longitude {zero_attr[row, longitude]:+.2f}, "
    f"of all eight together {zero_attr[row].sum():+.2f}"
)
# sphinx_gallery_start_ignore
flat = zero_attr.abs().flatten().argsort(descending=True)[:2]
two_largest = [divmod(int(i), len(names)) for i in flat]
check(
    sorted(two_largest) == sorted([(row, population), (row, longitude)])
    and zero_attr[row, population] < 0 < zero_attr[row, longitude],
    "The two most extreme dots belong to the same district: a huge negative "
    "attribution for Population and an even larger positive one for Longitude",
    two_largest=two_largest,
)
check(
    split.X_test[row, population] == split.X_test[:, population].min() < 250,
    "the district of the two most extreme dots has the fewest inhabitants of the test "
    "set, fewer than 250",
    population=split.X_test[row, population].item(),
)
pair = zero_attr[row, population] + zero_attr[row, longitude]
check(
    abs(pair) < 0.5 * zero_attr[row, longitude],
    "its Population and Longitude attributions largely cancel each other",
    pair=pair.item(),
)
# sphinx_gallery_end_ignore

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
# From the average district, the colours read directly: a yellow dot to the
# right means "a high value of this feature raised this district's predicted
# price above the average one".
mean_attr = attributions["training-mean baseline"]
title = "Integrated Gradients from the training mean"
fig = beeswarm(mean_attr, split.X_test, names, title)
plt.show()
# sphinx_gallery_start_ignore
describe(
    fig,
    "Beeswarm of every test district's Integrated Gradients attribution per feature "
    "from the training mean: for MedInc, AveRooms and HouseAge high values lie to the "
    "right and low values to the left, for AveOccup the reverse, Population's colours "
    "are mixed, and Latitude and Longitude stay at zero.",
)
# sphinx_gallery_end_ignore

# %%
# For MedInc, AveRooms and HouseAge, yellow dots sit on the right and purple on
# the left: richer districts, districts with more rooms and, in this corner of
# the Bay Area, older ones are worth more. AveOccup runs the other way: more
# people per household, a lower price. Population is the exception: its
# colours are mixed on both sides, so a larger population goes with a higher
# attribution only loosely, another sign of the model's uneven response to it.
# The location features stay at zero, as they did in the baseline comparison.
# Spearman's rank correlation (:func:`scipy.stats.spearmanr`) between each
# feature's value and its attribution:
link = {}
for j, name in enumerate(names):
    link[name] = spearmanr(split.X_test[:, j], mean_attr[:, j]).statistic
    print(f"{name:<11} {link[name]:+.2f}")
# sphinx_gallery_start_ignore
check(
    all(link[name] > 0.85 for name in ("MedInc", "AveRooms", "HouseAge"))
    and link["AveOccup"] < -0.9,
    "higher MedInc, AveRooms and HouseAge raise the price, higher AveOccup lowers it",
    link=link,
)
check(
    0 < link["Population"] < 0.5,
    "a larger population goes with a higher attribution only loosely",
    link=link,
)
location = mean["abs"][names.index("Latitude") :].max()
check(
    location < 0.01,
    "from the training mean, the location features stay at zero",
    location=location,
)
# sphinx_gallery_end_ignore

# %%
# A signed sum answers one question, "in which direction does this feature
# push on balance?", and only for the chosen baseline. Report the mean absolute
# attribution for "how much does this feature matter?", and look at the
# individual districts before trusting either.

# sphinx_gallery_thumbnail_number = 3
