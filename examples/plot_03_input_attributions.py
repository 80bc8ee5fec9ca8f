"""
Input attributions: five Captum methods and the weights, side by side
=====================================================================

Which features drive the network's predictions? This example asks Captum five
times, with the tutorial's methods and settings:
:class:`~captum.attr.IntegratedGradients`, SmoothGrad through a
:class:`~captum.attr.NoiseTunnel`, :class:`~captum.attr.DeepLift`,
:class:`~captum.attr.GradientShap` and :class:`~captum.attr.FeatureAblation`.
You will learn how to call each of them on a regression model, how the
tutorial condenses 180 explained districts into one grouped bar chart, and how
to read that chart.

The tutorial draws several conclusions from it. Each one is checked below
against the numbers of this run, and where the numbers say otherwise the page
says so. Three things the tutorial gets wrong or leaves unsaid come last: what
its "weights" bars really are, how large NoiseTunnel's noise is, and how much
the zero baseline matters.
"""

# %%
# The model and the districts to explain
# --------------------------------------
# The trained network of the :ref:`previous example
# <sphx_glr_auto_examples_plot_02_model_training.py>` and the tutorial's split.
# The 180 test districts are the ones we explain; the 420 training districts
# serve as GradientShap's baselines.
import matplotlib.pyplot as plt
import numpy as np
import torch
from captum.attr import (
    DeepLift,
    FeatureAblation,
    GradientShap,
    InputXGradient,
    IntegratedGradients,
    NoiseTunnel,
)

import calhouse
from calhouse import FEATURE_NAMES

split = calhouse.load_split()
X_train, X_test = split.X_train, split.X_test
model = calhouse.load_or_train_model("tutorial")

# %%
# Four of the five methods differentiate the model's output with respect to its
# inputs, so the input tensor must record gradients. Captum switches this on by
# itself when it is off, and warns on every call that it did; switching it on
# once, here, says the same thing once.
X_test = X_test.requires_grad_()

# %%
# Five attributions of every test district
# ----------------------------------------
# Every method splits a prediction into one contribution per feature, measured
# against a reference input, the *baseline*:
#
# - Integrated Gradients integrates the gradient along the straight line from
#   the baseline to the input, here in 50 steps.
# - NoiseTunnel wraps Integrated Gradients in SmoothGrad: it averages the
#   attributions of noisy copies of each input (Captum's defaults: 5 copies,
#   Gaussian noise of standard deviation 1.0).
# - DeepLift compares each neuron's activation with its value at the baseline
#   and propagates the differences back through the network.
# - GradientShap averages gradients times input differences over baselines
#   drawn from a distribution: the tutorial passes the training districts.
# - FeatureAblation replaces one feature at a time by its baseline value and
#   records how much the prediction changes.
#
# Without ``baselines`` every method but GradientShap uses an input of all
# zeros. NoiseTunnel and GradientShap draw random numbers, so we seed torch
# and NumPy first to make the page reproducible.
ig = IntegratedGradients(model)
ig_nt = NoiseTunnel(ig)
dl = DeepLift(model)
gs = GradientShap(model)
fa = FeatureAblation(model)

torch.manual_seed(0)
np.random.seed(0)
ig_attr_test = ig.attribute(X_test, n_steps=50)
ig_nt_attr_test = ig_nt.attribute(X_test)
dl_attr_test = dl.attribute(X_test)
gs_attr_test = gs.attribute(X_test, X_train)
fa_attr_test = fa.attribute(X_test)

attributions = {
    "integrated_gradients": ig_attr_test.detach(),
    "noise_tunnel": ig_nt_attr_test.detach(),
    "deeplift": dl_attr_test.detach(),
    "gradient_shap": gs_attr_test.detach(),
    "feature_ablation": fa_attr_test.detach(),
}
for method, attr in attributions.items():
    label = calhouse.METHODS[method].label
    print(f"{label:<23} {tuple(attr.shape)}  sum {attr.sum():9.3f}")

# %%
# Each result holds one number per test district and feature. (DeepLift also
# announces, on every call, that it temporarily hooks the network's ReLU
# modules. That notice is informational; this site's build filters exactly that
# message, and you will see it when you run the script yourself.)
#
# One chart for 180 districts
# ---------------------------
# To compare the methods the tutorial sums each method's attributions over the
# test districts and divides by the sum of their absolute values (the L1 norm),
# so that the bars of each method add up to one in absolute value. Signed
# attributions of different districts can cancel in that sum; a later example
# looks at what the sum hides. The black bars are the weights of the first
# linear layer, normalised the same way: ``model.lin1.weight[0]``, the row the
# tutorial plots. What that row is comes later.


def normalized_sum(attr: torch.Tensor) -> np.ndarray:
    """Sum over the districts (rows), divided by the L1 norm of the sums."""
    total = attr.detach().sum(0).numpy()
    return total / np.abs(total).sum()


bars = {method: normalized_sum(attr) for method, attr in attributions.items()}
first_row = model.lin1.weight[0].detach().numpy()
bars["weights"] = first_row / np.abs(first_row).sum()
fig = calhouse.plot_attribution_bars(bars)
plt.show()
# sphinx_gallery_thumbnail_number = 1
# sphinx_gallery_start_ignore
from page_checks import check, describe  # docs-only, importable during the build

describe(
    fig,
    "Grouped bar chart of the eight features, each with six bars: the summed, "
    "L1-normalised attributions of the test districts by Integrated Gradients, "
    "SmoothGrad, DeepLift, GradientSHAP and Feature Ablation, and the normalised "
    "weights into the first neuron of lin1; MedInc and AveRooms have the tallest bars "
    "for most methods, and GradientSHAP's MedInc bar points down where the other "
    "methods' point up.",
)
# sphinx_gallery_end_ignore

# %%
# The bars, and each feature's rank by absolute value within its method
# (1 = most important):
ranks = {k: np.argsort(np.argsort(-np.abs(v))) + 1 for k, v in bars.items()}
short = {
    "integrated_gradients": "IG",
    "noise_tunnel": "IG+SG",
    "deeplift": "DeepLift",
    "gradient_shap": "GradSHAP",
    "feature_ablation": "Ablation",
    "weights": "Weights",
}
print(f"{'':<11}" + "".join(f"{short[k]:>12}" for k in bars))
for i, name in enumerate(FEATURE_NAMES):
    cells = "".join(f"{bars[k][i]:>+8.3f} ({ranks[k][i]})" for k in bars)
    print(f"{name:<11}{cells}")

# sphinx_gallery_start_ignore


def rank(method: str, feature: str) -> int:
    """The rank of ``feature`` by absolute attribution under ``method``."""
    return int(ranks[method][FEATURE_NAMES.index(feature)])


methods = list(calhouse.METHODS)
ig_nt_dl = ["integrated_gradients", "noise_tunnel", "deeplift"]
check(
    all(rank(m, "MedInc") <= 2 for m in methods)
    and sum(rank(m, "MedInc") == 1 for m in methods) == 4,
    "MedInc ranks first for four methods and second for the fifth",
    ranks={m: rank(m, "MedInc") for m in methods},
)
check(
    all(rank(m, "AveRooms") == 2 for m in ig_nt_dl)
    and all(rank(m, "AveRooms") <= 4 for m in methods),
    "AveRooms is second for IG, NoiseTunnel and DeepLift, in the top four everywhere",
    ranks={m: rank(m, "AveRooms") for m in methods},
)
check(
    all(rank(m, "AveBedrms") == 8 for m in ig_nt_dl)
    and all(rank(m, "AveBedrms") >= 6 for m in methods),
    "AveBedrms is last for IG, NoiseTunnel, DeepLift, in the bottom three everywhere",
    ranks={m: rank(m, "AveBedrms") for m in methods},
)
check(
    all(rank(m, "AveOccup") in (5, 6) for m in methods)
    and all(rank(m, "Latitude") > rank(m, "AveOccup") for m in ig_nt_dl),
    "AveOccup is fifth or sixth everywhere; Latitude ranks below it for IG/SG/DeepLift",
    ranks={m: rank(m, "AveOccup") for m in methods},
)
# sphinx_gallery_end_ignore

# %%
# Reading the chart
# -----------------
# **MedInc and AveRooms come out on top.** By size, median income is the most
# important feature for four of the five methods and the second for FeatureAblation.
# Average rooms is second for Integrated Gradients, NoiseTunnel and DeepLift,
# and within the top four for every method. Both agree with the scatter plots of
# :ref:`the first example <sphx_glr_auto_examples_plot_01_data.py>`, where these
# two features go with the price most closely.

# %%
# **At the bottom: AveBedrms, but not AveOccup.** The tutorial names AveBedrms
# and AveOccup as the least important features. For this model that holds for
# AveBedrms only: it is the least important feature for Integrated Gradients,
# NoiseTunnel and DeepLift, and among the three least important for every
# method. AveOccup sits in the middle, fifth or sixth of eight everywhere, and
# for Integrated Gradients, NoiseTunnel and DeepLift Latitude ranks below it.

# %%
# **Integrated Gradients and DeepLift agree.** Their bars are nearly identical:
ig_bars, dl_bars = bars["integrated_gradients"], bars["deeplift"]
ig_dl_r = np.corrcoef(ig_bars, dl_bars)[0, 1]
ig_dl_gap = np.abs(ig_bars - dl_bars).max()
print(f"IG vs DeepLift: correlation {ig_dl_r:.4f}, largest difference {ig_dl_gap:.4f}")
# sphinx_gallery_start_ignore
check(
    ig_dl_r > 0.99 and ig_dl_gap < 0.05,
    "Integrated Gradients and DeepLift give nearly identical bars",
    r=ig_dl_r,
    gap=ig_dl_gap,
)
# sphinx_gallery_end_ignore

# %%
# Both methods explain the same quantity, the difference between a district's
# prediction and the prediction for the all-zero baseline, and both account for
# all of it: their attributions of a district add up to that difference. Over
# the test set:
with torch.no_grad():
    f_test = model(X_test).squeeze(1)
    f_zero = model(torch.zeros(1, 8)).item()
explained = float((f_test - f_zero).sum())
lowest_price = float(min(split.y_train.min(), split.y_test.min()))
print(f"f(zero baseline) = {f_zero:.4f}")
print(f"lowest price of the 600 districts: {lowest_price:.4f}")
print(f"sum over test districts of f(x) - f(0): {explained:.3f}")
ig_total = float(attributions["integrated_gradients"].sum())
dl_total = float(attributions["deeplift"].sum())
print(f"sum of IG attributions:       {ig_total:.3f}")
print(f"sum of DeepLift attributions: {dl_total:.3f}")
# sphinx_gallery_start_ignore
check(
    f_zero < lowest_price,
    "the prediction for the all-zero input lies below every real price",
)
check(
    abs(ig_total - explained) < 1e-3 * abs(explained)
    and abs(dl_total - explained) < 1e-3 * abs(explained),
    "IG and DeepLift both add up to the sum of f(x) - f(0)",
    explained=explained,
)
# sphinx_gallery_end_ignore

# %%
# They also split it alike. The tutorial's explanation is that the network is
# close to linear between the baseline and the inputs, so that both methods
# come close to the simplest attribution of all, input times gradient at the
# input (:class:`~captum.attr.InputXGradient`). The numbers bear that out,
# though less closely than IG and DeepLift agree with each other:
ixg_bars = normalized_sum(InputXGradient(model).attribute(X_test).detach())
ixg_r = np.corrcoef(ixg_bars, ig_bars)[0, 1]
ixg_gap = np.abs(ixg_bars - ig_bars).max()
print(f"input x gradient vs IG: correlation {ixg_r:.4f}, largest gap {ixg_gap:.4f}")
# sphinx_gallery_start_ignore
check(
    0.95 < ixg_r < ig_dl_r and ig_dl_gap < ixg_gap < 0.1,
    "input x gradient is close to IG, though less close than DeepLift is",
    r=ixg_r,
    gap=ixg_gap,
)
# sphinx_gallery_end_ignore

# %%
# **GradientShap stands apart**, and not by a little: its bars are
# anti-correlated with those of Integrated Gradients, and its MedInc bar points
# down where every other method's points up.
gs_bars = bars["gradient_shap"]
gs_r = np.corrcoef(gs_bars, ig_bars)[0, 1]
print(f"GradientShap vs IG: correlation of the bars {gs_r:.3f}")
print(f"MedInc: GradientShap {gs_bars[0]:+.3f}, IG {ig_bars[0]:+.3f}")
# sphinx_gallery_start_ignore
others = [m for m in calhouse.METHODS if m != "gradient_shap"]
check(
    gs_r < 0 and gs_bars[0] < 0 and all(bars[m][0] > 0 for m in others),
    "GradientShap's bars are anti-correlated with IG's; its MedInc bar points down "
    "where every other method's points up",
    r=gs_r,
    medinc={m: bars[m][0] for m in bars},
)
# sphinx_gallery_end_ignore

# %%
# The tutorial suspects its baselines, and rightly. The other methods measure
# each district against the all-zero input, whose prediction lies far below
# every real price, so every district has a lot to explain and the
# contributions pile up in the sum over districts. GradientShap measures each
# district against the training districts, so its attributions of a district
# add up, on average, to the district's prediction minus the average
# prediction for the training set. Summed over the test set these differences
# nearly cancel, because test and training districts are alike; after the L1
# normalisation the bars show the small remainder, blown up to full height.
# That remainder reflects how the test set differs from the training set on
# average: its districts have a slightly lower median income, hence the
# negative MedInc bar.
with torch.no_grad():
    f_train_mean = model(X_train).mean().item()
gs_expected = float((f_test - f_train_mean).sum())
gs_total = float(attributions["gradient_shap"].sum())
medinc_shift = float(X_test[:, 0].detach().mean() - X_train[:, 0].mean())
print(f"average prediction: test {f_test.mean():.4f}, training {f_train_mean:.4f}")
print(f"what GradientShap explains in all: {gs_expected:+.2f}")
print(f"its attributions sum to:           {gs_total:+.2f}")
print(f"what IG explains in all:           {explained:+.2f}")
print(f"mean MedInc, test minus training:  {medinc_shift:+.4f}")
# sphinx_gallery_start_ignore
check(
    abs(gs_total) < 0.1 * abs(explained) and abs(gs_expected) < 0.1 * abs(explained),
    "summed over the test set, GradientShap's attributions nearly cancel",
    gs_total=gs_total,
    gs_expected=gs_expected,
)
check(
    medinc_shift < 0 and gs_bars[0] < 0,
    "the test districts have a lower mean MedInc, hence the negative MedInc bar",
)
# sphinx_gallery_end_ignore

# %%
# **Population and the zero baseline.** FeatureAblation ranks Population first,
# and Integrated Gradients, NoiseTunnel and DeepLift give it a positive share
# too. The tutorial suggests the all-zero baseline may be the reason. For
# FeatureAblation the baseline is the value each feature is replaced with, so
# we can try others: the training set's median district and its mean district.
baseline_choices = {
    "zero": torch.zeros(1, 8),
    "training median": X_train.median(0, keepdim=True).values,
    "training mean": X_train.mean(0, keepdim=True),
}
population = FEATURE_NAMES.index("Population")
print(f"{'FeatureAblation baseline':<26}{'Population':>12}{'rank':>6}   top feature")
population_ranks, population_shares = {}, {}
for name, baseline in baseline_choices.items():
    b = normalized_sum(fa.attribute(X_test, baselines=baseline).detach())
    order = np.argsort(-np.abs(b))
    population_ranks[name] = int(np.where(order == population)[0][0]) + 1
    population_shares[name] = float(b[population])
    shares = f"{b[population]:>+12.3f}{population_ranks[name]:>6}"
    print(f"{name:<26}{shares}   {FEATURE_NAMES[order[0]]}")
# sphinx_gallery_start_ignore
check(
    rank("feature_ablation", "Population") == 1
    and all(bars[m][population] > 0 for m in [*ig_nt_dl, "feature_ablation"]),
    "FeatureAblation ranks Population first; IG, SmoothGrad, DeepLift give it > 0",
)
check(
    max(population_shares.values()) - min(population_shares.values()) > 0.1,
    "the baseline changes Population's share",
    shares=population_shares,
)
check(
    all(r <= 2 for r in population_ranks.values()),
    "Population stays in FeatureAblation's top two whichever of the three baselines",
    ranks=population_ranks,
)
# sphinx_gallery_end_ignore

# %%
# The baseline changes Population's share, but a typical district as the
# baseline does not make it unimportant: it stays in the top two. (With such a
# baseline the attributions explain a much smaller quantity, a district's
# prediction minus the typical district's, so the shares are shares of that.)
# Baselines deserve a closer look than one table, and a later example in this
# gallery gives them one.
#
# What the tutorial leaves unsaid
# -------------------------------
# **The "weights" are one neuron's.** The black bars are ``lin1.weight[0]``: the
# eight weights into the first of the hundred neurons of the first hidden
# layer, not weights of the model as a whole. The other 99 rows differ; for
# MedInc, for one, they disagree even on the sign. And this particular neuron
# never fires: its ReLU outputs zero for every district of the training and test
# sets, so on this data its weights have no influence on any prediction at all.
with torch.no_grad():
    X_all = torch.cat([X_train, X_test])
    hidden = model.relu1(model.lin1(X_all))
weights = model.lin1.weight.detach()
medinc_positive = int((weights[:, 0] > 0).sum())
never_active = int((hidden.max(0).values == 0).sum())
largest_output = float(hidden[:, 0].max())
print(f"largest output of neuron 0 of lin1 on the 600 districts: {largest_output:.1f}")
print(f"first-layer neurons that never fire on these districts: {never_active} of 100")
print(f"MedInc's weight is > 0 in {medinc_positive} of 100 neurons, < 0 in the others")
# sphinx_gallery_start_ignore
check(
    bool((hidden[:, 0] == 0).all()),
    "neuron 0 of lin1, whose weights the tutorial plots, never fires on this data",
)
check(
    25 <= medinc_positive <= 75,
    "the first-layer neurons disagree on the sign of MedInc's weight",
    medinc_positive=medinc_positive,
)
# sphinx_gallery_end_ignore

# %%
# **NoiseTunnel's noise ignores the units.** Captum adds noise of standard
# deviation 1.0 to every feature, in the units the model sees. These features
# are not scaled, so one unit of noise is a small nudge for some features and
# absurd for others: Latitude and Longitude are moved by many times their spread
# in the data (a degree of latitude is over 100 km, while the tutorial's
# districts span a few tens), while Population, counted in people, hardly moves
# at all.
spread = X_train.std(0)
noise_in_spreads = 1.0 / spread
print(f"{'feature':<11}{'spread (std)':>14}{'noise / spread':>16}")
for i, name in enumerate(FEATURE_NAMES):
    print(f"{name:<11}{spread[i]:>14.4g}{noise_in_spreads[i]:>16.4g}")
nt_gap = np.abs(bars["noise_tunnel"] - ig_bars).max()
print(f"largest difference between the NoiseTunnel and IG bars: {nt_gap:.4f}")
# sphinx_gallery_start_ignore
lat_lon = [FEATURE_NAMES.index("Latitude"), FEATURE_NAMES.index("Longitude")]
check(
    min(noise_in_spreads[lat_lon]) > 10 and noise_in_spreads[population] < 0.01,
    "Latitude and Longitude move by many times their spread; Population hardly moves",
    noise_in_spreads=noise_in_spreads,
)
check(nt_gap < 0.05, "the NoiseTunnel bars stay close to IG's", gap=nt_gap)
# sphinx_gallery_end_ignore

# %%
# The NoiseTunnel bars still end up close to those of plain Integrated
# Gradients, but that agreement says little about robustness when the noise is
# meaningless for some features and negligible for others. Captum's ``stdevs``
# takes one value per input tensor, not per feature; noise matched to each
# feature's spread needs standardised inputs, which a later example builds.

# %%
# Input attributions say which features matter. The :ref:`next example
# <sphx_glr_auto_examples_plot_04_conductance.py>` looks inside the network, at
# which of its neurons carry the prediction.
