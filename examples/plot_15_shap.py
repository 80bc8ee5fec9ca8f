"""
What would SHAP say? shap's explainers next to Captum's
=======================================================

Most practitioners who explain a model reach for the `shap
<https://shap.readthedocs.io>`_ library. This example explains the
tutorial's network and the same districts with shap's two explainers for
PyTorch, :class:`shap.DeepExplainer` and :class:`shap.GradientExplainer`, and
with the model-agnostic :class:`shap.KernelExplainer`, and puts them next to
Captum's :class:`~captum.attr.DeepLift` (and its averaged form
:class:`~captum.attr.DeepLiftShap`), :class:`~captum.attr.GradientShap` and
:class:`~captum.attr.IntegratedGradients`.

You will learn which pairs must agree by construction, and check that they
do; which estimate the same quantity with different random numbers, and how
far apart that leaves them; which answer a different question, the Shapley
value itself, and how far the others are from it; and what each costs on the
same rows, in evaluations of the network. The short version: the method
matters much less than the baseline.
"""

# %%
# The model, the districts and the background
# -------------------------------------------
# shap explains a prediction against a *background* data set: a SHAP value says
# how much a feature moves the prediction away from the average prediction over
# the background. We take 50 training districts at random as the background and
# explain the first 20 test districts. That keeps KernelExplainer cheap: its
# cost grows with the number of districts times the background's rows times the
# coalitions of features it tries.
import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import shap
import torch
from captum.attr import DeepLift, DeepLiftShap, GradientShap, IntegratedGradients

import calhouse

# DeepLift announces at every call that it hooks the ReLU modules while it runs.
warnings.filterwarnings(
    "ignore", message="Setting forward, backward hooks", category=UserWarning
)

split = calhouse.load_split()
model = calhouse.load_or_train_model("tutorial")
names = list(calhouse.FEATURE_NAMES)

generator = torch.Generator().manual_seed(0)
background = split.X_train[torch.randperm(len(split.X_train), generator=generator)[:50]]
X = split.X_test[:20].clone().requires_grad_()

with torch.no_grad():
    prediction = model(X).squeeze(1)
    background_mean = model(background).mean()
print(f"{len(X)} districts, a background of {len(background)} training districts")
print(f"average prediction over the background: {background_mean:.3f}")


def as_array(values):
    """shap returns (n_rows, 8, 1) for a model with one output; Captum (n_rows, 8)."""
    values = values.detach().numpy() if isinstance(values, torch.Tensor) else values
    return np.asarray(values).reshape(len(X), len(names))


# sphinx_gallery_start_ignore
# The cost of each explainer, counted out of the reader's sight: the rows the
# network evaluates, from the end of one cell to the end of the next (each counted
# cell makes one explainer's call).
from page_checks import check, describe

cost = {}
clock = [0]


def count_rows(_module, inputs, _output):
    clock[0] += len(inputs[0])


counter = model.register_forward_hook(count_rows)


def lap(label):
    cost[label] = clock[0] / len(X)
    clock[0] = 0


lap("setup")
# sphinx_gallery_end_ignore

# %%
# Must agree: DeepExplainer is DeepLift averaged over the background
# ------------------------------------------------------------------
# shap's DeepExplainer runs DeepLift's rescale rule from every background row
# and averages the results:
deep_shap = as_array(shap.DeepExplainer(model, background).shap_values(X))
# sphinx_gallery_start_ignore
lap("shap DeepExplainer")
# sphinx_gallery_end_ignore

# %%
# Captum's :class:`~captum.attr.DeepLiftShap` does the same:
deeplift_shap = as_array(DeepLiftShap(model).attribute(X, baselines=background))
# sphinx_gallery_start_ignore
lap("Captum DeepLiftShap")
# sphinx_gallery_end_ignore

# %%
# And so does a plain average of :class:`~captum.attr.DeepLift` attributions,
# each district against each background row in turn. The three must agree up
# to float rounding.
deeplift = DeepLift(model)
# each district once per background row, against that row
pairs = X.detach().repeat_interleave(len(background), 0).requires_grad_()
pair_baselines = background.repeat(len(X), 1)
deeplift_mean = as_array(
    deeplift.attribute(pairs, baselines=pair_baselines)
    .reshape(len(X), len(background), len(names))
    .mean(1)
)
gap_deep = np.abs(deep_shap - deeplift_shap).max()
gap_mean = np.abs(deeplift_mean - deeplift_shap).max()
completeness = np.abs(deep_shap.sum(1) - (prediction - background_mean).numpy()).max()
print(f"DeepExplainer vs DeepLiftShap, largest difference: {gap_deep:.1e}")
print(f"DeepLift averaged over the rows vs DeepLiftShap:   {gap_mean:.1e}")
print(
    f"largest attribution:                               {np.abs(deep_shap).max():.2f}"
)
print(f"sum of a row minus (f(x) - average f), at most:    {completeness:.1e}")

# %%
# With a background of a single all-zero row, DeepExplainer reproduces the
# tutorial's DeepLift, which measures against the zero input:
deep_shap_zero = as_array(shap.DeepExplainer(model, torch.zeros(1, 8)).shap_values(X))
gap_zero = np.abs(deep_shap_zero - as_array(deeplift.attribute(X))).max()
print(f"DeepExplainer(zero background) vs DeepLift(zero baseline): {gap_zero:.1e}")
print(f"largest attribution from zero: {np.abs(deep_shap_zero).max():.1f}")
# sphinx_gallery_start_ignore
check(
    max(gap_deep, gap_mean) < 1e-5 and gap_zero < 1e-4 * np.abs(deep_shap_zero).max(),
    "DeepExplainer, DeepLiftShap and averaged DeepLift agree up to float rounding; "
    "with an all-zero background DeepExplainer reproduces the tutorial's DeepLift",
    gap_deep=gap_deep,
    gap_mean=gap_mean,
    gap_zero=gap_zero,
)
check(
    completeness < 1e-3,
    "each row of DeepExplainer adds up to f(x) minus the background's average "
    "prediction",
    completeness=completeness,
)
lap("zero background")
# sphinx_gallery_end_ignore

# %%
# They agree up to float rounding, and each district's attributions add up to
# its prediction minus the background's average prediction. shap and Captum
# implement the same rule the same way; what shap calls "DeepSHAP" is Captum's
# DeepLiftShap.
#
# Agree on average: GradientExplainer and GradientShap
# ----------------------------------------------------
# GradientExplainer computes *expected gradients*: it draws a background row
# and a point on the straight line from it to the input, takes the gradient
# there and multiplies it by the input minus the background row, and averages
# over many draws. That is Captum's GradientShap without its input noise
# (``stdevs=0``, the default). Both are Monte Carlo estimates of one
# expectation. Both get 200 draws per district here (for shap, in one batch
# per district: the same numbers as its default batches of 50, in less time);
# the tutorial's GradientShap uses Captum's default of five.
explainer = shap.GradientExplainer(model, background, batch_size=200)
gradient_shap_200 = as_array(explainer.shap_values(X, nsamples=200, rseed=0))
# sphinx_gallery_start_ignore
lap("shap GradientExplainer")
default_batches = shap.GradientExplainer(model, background).shap_values(
    X[:2], nsamples=200, rseed=0
)
check(
    np.allclose(np.asarray(default_batches).reshape(2, -1), gradient_shap_200[:2]),
    "in one batch per district, the same numbers as shap's default batches of 50",
)
clock[0] = 0
# sphinx_gallery_end_ignore

# %%
# Captum's GradientShap with as many draws, seeded as the tutorial seeds it:
gradient_shap = GradientShap(model)
torch.manual_seed(0)
np.random.seed(0)
captum_gs_200 = as_array(
    gradient_shap.attribute(X, baselines=background, n_samples=200)
)
# sphinx_gallery_start_ignore
lap("Captum GradientShap")
import inspect

defaults = inspect.signature(GradientShap.attribute).parameters
check(
    defaults["stdevs"].default == 0.0 and defaults["n_samples"].default == 5,
    "Captum's GradientShap adds no input noise by default (stdevs=0), and draws five "
    "samples by default",
    stdevs=defaults["stdevs"].default,
    n_samples=defaults["n_samples"].default,
)
# sphinx_gallery_end_ignore

# %%
# The expectation both estimate is Integrated Gradients averaged over the
# background rows, which we compute exactly (up to the 50-step quadrature) by
# pairing every district with every background row. Those are 1,000 Integrated
# Gradients attributions, so we let :func:`calhouse.attribute_dataset` compute
# them: it gives the numbers of Captum's IntegratedGradients, faster.
torch.manual_seed(0)
np.random.seed(0)
captum_gs_5 = as_array(gradient_shap.attribute(X, baselines=background))
expected_gradients = as_array(
    calhouse.attribute_dataset(
        model, pairs, "integrated_gradients", baselines=pair_baselines, n_steps=50
    )
    .reshape(len(X), len(background), len(names))
    .mean(1)
)


def distance(a, b):
    """Per district: the L1 distance of ``a`` from ``b``, relative to ``b``'s size."""
    return np.abs(a - b).sum(1) / np.abs(b).sum(1)


error_shap = distance(gradient_shap_200, expected_gradients)
error_captum = distance(captum_gs_200, expected_gradients)
error_tutorial = distance(captum_gs_5, expected_gradients)
print("median distance from the exact expectation, per district:")
print(f"  shap GradientExplainer, 200 draws: {np.median(error_shap):.0%}")
print(f"  Captum GradientShap, 200 draws:    {np.median(error_captum):.0%}")
print(f"  Captum GradientShap, 5 draws:      {np.median(error_tutorial):.0%}")
# sphinx_gallery_start_ignore
lap("IG, every baseline")
# sphinx_gallery_end_ignore

# %%
# The two estimates land equally far from the expectation, and from each other
# about as far as two independent estimates should: the squared distance
# between them is close to the sum of their squared errors.
squared = {
    "shap": ((gradient_shap_200 - expected_gradients) ** 2).sum(),
    "captum": ((captum_gs_200 - expected_gradients) ** 2).sum(),
    "between": ((gradient_shap_200 - captum_gs_200) ** 2).sum(),
}
independence = squared["between"] / (squared["shap"] + squared["captum"])
print(f"squared distance between / sum of squared errors: {independence:.2f}")
# sphinx_gallery_start_ignore
check(
    0.5 < np.median(error_shap) / np.median(error_captum) < 2
    and all(0.1 < np.median(e) < 0.35 for e in (error_shap, error_captum)),
    "the two estimates land equally far from the expectation, about a fifth off",
    shap=np.median(error_shap),
    captum=np.median(error_captum),
)
check(
    0.5 < independence < 2,
    "the squared distance between them is close to the sum of their squared errors",
    independence=independence,
)
check(
    np.median(error_tutorial)
    > 2.5 * max(np.median(error_shap), np.median(error_captum)),
    "with the tutorial's five draws GradientShap is several times further off",
    tutorial=np.median(error_tutorial),
)
lap("independence")
# sphinx_gallery_end_ignore

# %%
# With 200 draws each estimate is still about a fifth off for a typical
# district, and with the tutorial's five draws it is several times further off:
# per district, the tutorial's GradientShap is mostly noise. The two libraries
# agree in expectation, not draw by draw.
#
# A different question: KernelExplainer and the Shapley value
# -----------------------------------------------------------
# KernelExplainer never looks inside the model. It evaluates the model on
# inputs that take some features from the district and the rest from each
# background row, and fits the Shapley values of that game with a weighted
# linear regression. With eight features there are only 2^8 - 2 = 254
# coalitions to try; given at least that many samples, KernelExplainer tries
# them all, and its answer is then the exact Shapley value. It needs
# predictions only, on NumPy arrays.


def predict(rows):
    """The model as a function of a NumPy array, for KernelExplainer."""
    with torch.no_grad():
        return model(torch.as_tensor(rows, dtype=torch.float32)).numpy()


kernel = as_array(
    shap.KernelExplainer(predict, background.numpy()).shap_values(
        X.detach().numpy(), nsamples=2**8, silent=True
    )
)
# sphinx_gallery_start_ignore
lap("shap KernelExplainer")
# sphinx_gallery_end_ignore

# %%
# To check that claim, the Shapley values of the first district by their
# definition, from all 2^8 coalitions:


def exact_shapley(x):
    """The Shapley values of one district, from all 2^8 coalitions."""
    n = len(x)
    coalitions = np.arange(2**n)  # bit j set: feature j comes from the district
    members = (coalitions[:, None] >> np.arange(n)) & 1
    mixed = np.where(members[:, None, :] == 1, x, background.numpy()[None])
    value = predict(mixed.reshape(-1, n)).reshape(2**n, -1).mean(1)
    phi = np.zeros(n)
    for i in range(n):
        without_i = coalitions[members[:, i] == 0]
        size = members[without_i].sum(1)
        weight = np.array([1 / (n * math.comb(n - 1, k)) for k in size])
        phi[i] = np.sum(weight * (value[without_i | (1 << i)] - value[without_i]))
    return phi


exact = exact_shapley(X[0].detach().numpy())
print(f"KernelExplainer vs the definition: {np.abs(kernel[0] - exact).max():.1e}")
# sphinx_gallery_start_ignore
check(
    np.allclose(kernel[0], exact, atol=1e-4 * np.abs(exact).max()),
    "with all 254 coalitions KernelExplainer's answer is the exact Shapley value",
)
# sphinx_gallery_end_ignore

# %%
# The Shapley value is one of many ways to share the prediction out, and
# DeepLift and expected gradients are two others; they coincide only for a
# model without interactions between the features. How far apart are they here?
# The figure puts each pair side by side, every point one feature of one
# district.
OKABE_ITO = [
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#000000",
]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
panels = [
    ("Captum DeepLiftShap", deeplift_shap, "shap DeepExplainer", deep_shap),
    (
        "Captum GradientShap (200 draws)",
        captum_gs_200,
        "shap GradientExplainer",
        gradient_shap_200,
    ),
    ("Captum DeepLiftShap", deeplift_shap, "shap KernelExplainer (exact)", kernel),
]
fig, axes = plt.subplots(1, 3, figsize=(9.6, 4.4), layout="constrained")
for ax, (xlabel, x_values, ylabel, y_values) in zip(axes, panels, strict=True):
    limit = 1.05 * max(np.abs(x_values).max(), np.abs(y_values).max())
    ax.plot([-limit, limit], [-limit, limit], color="0.6", linewidth=1)
    for j, name in enumerate(names):
        ax.scatter(
            x_values[:, j],
            y_values[:, j],
            s=22,
            color=OKABE_ITO[j],
            marker=MARKERS[j],
            edgecolors="0.2",
            linewidths=0.3,
            label=name,
        )
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
axes[0].set_title("must agree")
axes[1].set_title("agree on average")
axes[2].set_title("need not agree")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=4)
plt.show()
# sphinx_gallery_thumbnail_number = 1
# sphinx_gallery_start_ignore
describe(
    fig,
    "Three scatter plots of one explainer's attributions against another's, a "
    "point per feature and district: DeepExplainer against DeepLiftShap exactly on "
    "the diagonal, GradientExplainer against GradientShap scattered around it, "
    "KernelExplainer's exact Shapley values against DeepLiftShap close to it.",
)
check(
    np.median(distance(deeplift_shap, kernel))
    < np.median(distance(gradient_shap_200, captum_gs_200)),
    "Shapley values and DeepLiftShap hug the diagonal more closely than the two "
    "samplers do",
)
# sphinx_gallery_end_ignore

# %%
# On the left the points sit on the diagonal: one rule, one implementation's
# rounding apart. In the middle they scatter around it: two samplers of one
# expectation. On the right, Shapley values against DeepLiftShap, the points
# hug the diagonal more closely than the two samplers do: for these districts
# the network is close enough to additive between the background and the inputs
# that the two ways of sharing agree.
#
# How far from the Shapley value is each method, and what does each cost?
# -----------------------------------------------------------------------
# Every attribution on this page, with the distance from KernelExplainer's
# exact Shapley values per district, and the tutorial's own Integrated
# Gradients, which measures against the all-zero input instead of the
# background. The cost is counted in evaluations of the network per district
# (each with its gradient, except KernelExplainer's): unlike a time, that count
# does not change from run to run or machine to machine.
ig_zero = as_array(IntegratedGradients(model).attribute(X, n_steps=50))
n_background = len(background)
rows = {
    "shap DeepExplainer": (deep_shap, 2 * n_background),
    "Captum DeepLiftShap": (deeplift_shap, 2 * n_background),
    "IG, every baseline": (expected_gradients, 50 * n_background),
    "shap GradientExplainer": (gradient_shap_200, 200),
    "Captum GradientShap": (captum_gs_200, 200),
    "Captum GradientShap, 5 draws": (captum_gs_5, 5),
    "Captum IG, zero baseline": (ig_zero, 50),
    "shap KernelExplainer": (kernel, (2**8 - 2) * n_background),
}
from_shapley = {label: distance(values, kernel) for label, (values, _) in rows.items()}
print(f"{'':<29}{'distance':>9}{'evaluations per district':>26}")
for label, (_values, evaluations) in rows.items():
    print(f"{label:<29}{np.median(from_shapley[label]):>9.1%}{evaluations:>26,}")
# sphinx_gallery_start_ignore
counter.remove()
lap("zero baseline")
counted = dict(cost)
# (shap's explainers add a few evaluations of the background, once)
check(
    all(
        rows[label][1] <= counted[label] <= 1.05 * rows[label][1] + 5
        for label in rows
        if label in counted
    )
    and len(set(rows) & set(counted)) == 6,
    "the evaluations per district in the table are what the explainers ran",
    counted=counted,
)
# sphinx_gallery_end_ignore

# %%
# The same distances, per district, on a logarithmic axis:
fig, ax = plt.subplots(figsize=(9.6, 4.2), layout="constrained")
labels = [label for label in rows if label != "shap KernelExplainer"]
ax.boxplot(
    [from_shapley[label] for label in labels],
    orientation="horizontal",
    tick_labels=labels,
    medianprops={"color": "#D55E00", "linewidth": 2},
)
ax.set_xscale("log")
ax.invert_yaxis()
ax.set_xlabel("distance from the exact Shapley values (L1, relative), per district")
ax.axvline(1, color="0.6", linestyle="--", linewidth=1)
plt.show()
# sphinx_gallery_start_ignore
describe(
    fig,
    "Box plots, on a logarithmic axis, of each method's distance from the exact "
    "Shapley values per district: DeepExplainer and DeepLiftShap a few percent, "
    "Integrated Gradients averaged over the background a little more, the sampled "
    "estimates further, and the tutorial's zero-baseline Integrated Gradients "
    "several times the attributions' size.",
)
# sphinx_gallery_end_ignore

# %%
# From the top: DeepExplainer and DeepLiftShap, identical, come closest to the
# Shapley values, a few percent off for a typical district, and Integrated
# Gradients averaged over the background rows a little further. The sampled
# estimates of that same average sit further out, because of their noise; with
# the tutorial's five draws GradientShap is about as far from the Shapley
# values as the attributions are large (the dashed line). The tutorial's
# Integrated Gradients is the odd one out by far. It is a fine method, but it
# answers another question: why the district's prediction differs from the
# prediction for an all-zero district. Between SHAP and the tutorial, the
# baseline makes the difference, not the library or the method.
median = {label: float(np.median(d)) for label, d in from_shapley.items()}
# sphinx_gallery_start_ignore
check(
    median["shap DeepExplainer"] < 0.15 and median["IG, every baseline"] < 0.2,
    "DeepExplainer and IG averaged over the background are a few percent off the "
    "Shapley values",
    median=median,
)
check(
    median["shap DeepExplainer"] < median["IG, every baseline"],
    "DeepLiftShap comes closer to the Shapley values than IG averaged over the "
    "background",
    median=median,
)
check(
    min(median["shap GradientExplainer"], median["Captum GradientShap"])
    > median["IG, every baseline"],
    "the sampled estimates sit further out than the exact expectation",
    median=median,
)
check(
    0.5 < median["Captum GradientShap, 5 draws"] < 2,
    "with five draws GradientShap is about as far from the Shapley values as they "
    "are large",
    median=median,
)
check(
    median["Captum IG, zero baseline"]
    > 3 * max(v for k, v in median.items() if k != "Captum IG, zero baseline"),
    "the tutorial's zero-baseline IG is the odd one out by far",
    median=median,
)
# The statements of the last cell, on the cost.
check(
    rows["shap KernelExplainer"][1] > 12_000
    and max(rows[k][1] for k in ("shap DeepExplainer", "shap GradientExplainer"))
    <= 200,
    "KernelExplainer evaluates the network over twelve thousand times per district; "
    "shap's two explainers for PyTorch one or two hundred times",
)
auto = "2 * X.shape[1] + 2048"
check(
    auto in shap.KernelExplainer.shap_values.__doc__
    and 2**11 - 2 <= 2 * 11 + 2048
    and 2**12 - 2 > 2 * 12 + 2048,
    "at its default number of samples, 2 * M + 2048, KernelExplainer can try every "
    "coalition for at most 11 features",
)
# sphinx_gallery_end_ignore

# %%
# As for the cost: KernelExplainer needs no gradients, but it evaluates the
# network for every coalition and every background row, over twelve thousand
# times per district; shap's two explainers for PyTorch need one or two
# hundred evaluations, with their gradients. We count evaluations rather than
# seconds: on a network this small the Python around each call costs as much
# as the arithmetic, so a time says more about each library's overhead, and
# about the machine and what else it is doing, than about the method. On your
# own, larger network the count is what carries over. At its default number of samples, ``2 * M + 2048`` for M features,
# KernelExplainer can try every coalition for at most 11 features; with more,
# it samples them, and its answer becomes an estimate too.
