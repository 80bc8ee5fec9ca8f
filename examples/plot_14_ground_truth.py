"""
Ground truth: attributions where the right answer is known
==========================================================

On the California data nobody knows what each feature really contributes,
so the earlier examples could compare methods only with each other.
scikit-learn's :func:`~sklearn.datasets.make_friedman1` makes data from a
known function of ten inputs, drawn uniformly from [0, 1]::

    y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)**2 + 10 x4 + 5 x5 + noise

where x6 to x10 do not enter at all. Against a baseline,
the contribution of each additive term is known in closed form, and the
interaction of x1 and x2 has to be shared between them.

This example trains a network of the tutorial's shape on such data, explains
it with the tutorial's methods (:class:`~captum.attr.IntegratedGradients`,
:class:`~captum.attr.NoiseTunnel`, :class:`~captum.attr.DeepLift`,
:class:`~captum.attr.GradientShap`, :class:`~captum.attr.FeatureAblation`),
and compares every attribution with the truth. You will learn how to apply
Captum to a plain Python function as well as to a network, how far each
method is from the truth and why, how each shares the interaction, and which
give the five irrelevant inputs zero.
"""

# %%
# The data and the true function
# ------------------------------
# 2,000 rows with noise of standard deviation 1, split as the tutorial splits
# its data (70% to train). The true function, without the noise, is written in
# torch so that Captum can take its gradients.
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from captum.attr import (
    DeepLift,
    FeatureAblation,
    GradientShap,
    IntegratedGradients,
    NoiseTunnel,
)
from sklearn.datasets import make_friedman1
from sklearn.model_selection import train_test_split
from torch import nn

import calhouse

# DeepLift announces at every call that it hooks the ReLU modules while it runs.
warnings.filterwarnings(
    "ignore", message="Setting forward, backward hooks", category=UserWarning
)

X, y = make_friedman1(n_samples=2000, n_features=10, noise=1.0, random_state=0)
X_train, X_test, y_train, y_test = (
    torch.tensor(a, dtype=torch.float32)
    for a in train_test_split(X, y, test_size=0.3, random_state=0)
)
y_train = y_train[:, None]
inputs = [f"x{j}" for j in range(1, 11)]


def friedman(x):
    """The function behind make_friedman1, without its noise, for a batch of rows."""
    return (
        10 * torch.sin(torch.pi * x[:, 0] * x[:, 1])
        + 20 * (x[:, 2] - 0.5) ** 2
        + 10 * x[:, 3]
        + 5 * x[:, 4]
    )


# %%
# The truth, against a baseline
# -----------------------------
# Captum's methods explain how a row's output differs from the output for a
# baseline; here, as in the tutorial, the all-zero input (GradientShap draws
# its baselines from the training rows instead; we come back to it). Each
# additive term contributes the change of that term: x4 contributes ``10 x4``,
# x3 contributes ``20 (x3 - 0.5)**2 - 5``. The interaction ``g = 10 sin(pi x1
# x2)`` changes by ``g(x)`` from zero, and that change belongs to x1 and x2
# together. How to share it is a convention, but from the zero baseline two of
# the standard ones agree: the Shapley value gives each half, because g is zero
# when either input is zero; Integrated Gradients' straight path gives each
# half too, by the symmetry of ``x1 x2``. So from zero the truth is: half of g
# each to x1 and x2, the additive terms' changes to x3, x4 and x5, and zero to
# the rest.
rows = X_test[:100]


def truth_from_zero(x):
    """The exact contributions of each input from the all-zero baseline."""
    x = x.double()
    g = 10 * torch.sin(torch.pi * x[:, 0] * x[:, 1])
    truth = torch.zeros_like(x)
    truth[:, 0] = truth[:, 1] = g / 2
    truth[:, 2] = 20 * (x[:, 2] - 0.5) ** 2 - 20 * 0.25
    truth[:, 3] = 10 * x[:, 3]
    truth[:, 4] = 5 * x[:, 4]
    return truth.numpy()


truth = truth_from_zero(rows)
interaction = truth[:, 0] + truth[:, 1]
print(f"mean |true contribution| of x1..x10: {np.abs(truth).mean(0).round(2)}")

# %%
# First, the methods on the true function itself
# -----------------------------------------------
# Captum accepts any function of a tensor, not only a network. Applied to the
# true function, a method shows its own error, with no model in between.
# (DeepLift needs a network's layers, so it sits this one out.)
rows_grad = rows.clone().requires_grad_()
torch.manual_seed(0)
np.random.seed(0)
on_truth = {
    "Integrated Gradients": IntegratedGradients(friedman).attribute(
        rows_grad, n_steps=50
    ),
    "IG + SmoothGrad": NoiseTunnel(IntegratedGradients(friedman)).attribute(rows_grad),
    "Feature Ablation": FeatureAblation(friedman).attribute(rows_grad),
}
on_truth = {name: a.detach().numpy() for name, a in on_truth.items()}


def distance(a, b):
    """Per row: the L1 distance of ``a`` from ``b``, relative to ``b``'s L1 size."""
    return np.abs(a - b).sum(1) / np.abs(b).sum(1)


print(f"{'':<21}{'median distance':>16}{'worst error, x3-x5':>20}{'x1 + x2 get':>14}")
for name, a in on_truth.items():
    additive = np.abs(a[:, 2:5] - truth[:, 2:5]).max()
    pair = np.median((a[:, 0] + a[:, 1]) / interaction)
    print(
        f"{name:<21}{np.median(distance(a, truth)):>16.1%}{additive:>20.4f}"
        f"{pair:>12.2f} g"
    )
# sphinx_gallery_start_ignore
import inspect

from page_checks import check, describe

ig_true = on_truth["Integrated Gradients"]
check(
    np.abs(ig_true - truth).max() < 0.01 * np.abs(truth).max(),
    "on the true function Integrated Gradients recovers the closed form, half of g "
    "to each",
    gap=np.abs(ig_true - truth).max(),
)
fa_true = on_truth["Feature Ablation"]
check(
    np.abs(fa_true[:, 2:] - truth[:, 2:]).max() < 1e-4 * np.abs(truth).max()
    and np.allclose(fa_true[:, 0], interaction, atol=1e-4)
    and np.allclose(fa_true[:, 1], interaction, atol=1e-4),
    "Feature Ablation is exact on the additive terms and gives x1 and x2 all of g each",
)
check(
    np.median(distance(on_truth["IG + SmoothGrad"], truth)) > 1,
    "SmoothGrad with Captum's default noise is further from the truth than the truth "
    "is large",
)
default_stdev = inspect.signature(NoiseTunnel.attribute).parameters["stdevs"].default
check(
    default_stdev == 1.0 and X.min() >= 0 and X.max() <= 1,
    "Captum's default noise has a standard deviation of 1.0, as wide as the whole "
    "range of every input",
    default_stdev=default_stdev,
)
# sphinx_gallery_end_ignore

# %%
# Integrated Gradients recovers the closed form to the quadrature's precision,
# halves of g included. Feature Ablation is exact on the additive terms, but it
# sets one input to zero at a time, and setting either x1 or x2 to zero removes
# the whole interaction: it gives *each* of them all of g, counting the
# interaction twice. SmoothGrad is far off even here: Captum's default noise
# has a standard deviation of 1.0, as wide as the whole range of every input,
# so it averages the function over inputs far outside [0, 1], where the
# quadratic term is large.
#
# A network of the tutorial's shape
# ---------------------------------
# The tutorial's layers (100, 50 and 10 ReLU units), with ten inputs. The
# tutorial's recipe, RMSprop with batches of 10 for 200 epochs, would take
# 28,000 steps on 1,400 rows, more than three times the tutorial's own
# training; :class:`~torch.optim.LBFGS` on all 1,400 rows at once gets a good
# fit in 200 iterations, with fewer than 250 evaluations of the whole batch.
torch.manual_seed(0)
net = nn.Sequential(
    nn.Linear(10, 100),
    nn.ReLU(),
    nn.Linear(100, 50),
    nn.ReLU(),
    nn.Linear(50, 10),
    nn.ReLU(),
    nn.Linear(10, 1),
)
optimizer = torch.optim.LBFGS(
    net.parameters(), max_iter=200, history_size=20, line_search_fn="strong_wolfe"
)


def closure():
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(net(X_train), y_train)
    loss.backward()
    return loss


# On one thread: a network this small gains nothing from more, and on a busy
# machine a second thread makes every step wait for it.
threads = torch.get_num_threads()
torch.set_num_threads(1)
try:
    optimizer.step(closure)
finally:
    torch.set_num_threads(threads)
net.eval()
with torch.no_grad():
    predicted = net(X_test).squeeze(1)
rmse_noisy = float(((predicted - y_test) ** 2).mean().sqrt())
rmse_true = float(((predicted - friedman(X_test)) ** 2).mean().sqrt())
print(f"test RMSE against the noisy targets: {rmse_noisy:.2f} (the noise alone: 1.0)")
print(
    f"test RMSE against the true function: {rmse_true:.2f} "
    f"(targets' spread: {y_test.std():.1f})"
)
# sphinx_gallery_start_ignore
check(
    rmse_true < 0.8 and rmse_noisy < 1.4,
    "the network fits the true function closely",
    rmse_true=rmse_true,
    rmse_noisy=rmse_noisy,
)
lbfgs = optimizer.state_dict()["state"][0]
check(
    lbfgs["n_iter"] == 200 and lbfgs["func_evals"] < 250,
    "L-BFGS gets a good fit in 200 iterations, with fewer than 250 evaluations of "
    "the whole batch",
    lbfgs={k: lbfgs[k] for k in ("n_iter", "func_evals")},
)
tutorial_shape = [
    m.out_features
    for m in calhouse.CaliforniaModel().modules()
    if isinstance(m, nn.Linear)
]
check(
    [m.out_features for m in net if isinstance(m, nn.Linear)]
    == tutorial_shape
    == [100, 50, 10, 1]
    and len(X_train) == 1400
    and 200 * len(X_train) // 10 == 28_000,
    "the tutorial's layers (100, 50 and 10 ReLU units); its recipe would take 28,000 "
    "steps on 1,400 rows",
)
# sphinx_gallery_end_ignore

# %%
# The network is off the true function by about half a unit, on targets that
# spread over several: a good fit, but not the function itself. Whatever it
# does differently, the attributions will show too, since they explain the
# network.
#
# The methods on the network
# --------------------------
# The tutorial's five calls, with its settings, on 100 test rows. GradientShap
# measures against the training rows, so its truth is the change of each term
# from its average over them.
ig = IntegratedGradients(net)
torch.manual_seed(0)
np.random.seed(0)
on_net = {
    "Integrated Gradients": ig.attribute(rows_grad, n_steps=50),
    "IG + SmoothGrad": NoiseTunnel(ig).attribute(rows_grad),
    "DeepLift": DeepLift(net).attribute(rows_grad),
    "GradientShap": GradientShap(net).attribute(rows_grad, baselines=X_train),
    "Feature Ablation": FeatureAblation(net).attribute(rows_grad),
}
on_net = {name: a.detach().numpy() for name, a in on_net.items()}

truth_gs = np.zeros_like(truth)
for j, term in [
    (2, lambda v: 20 * (v - 0.5) ** 2),
    (3, lambda v: 10 * v),
    (4, lambda v: 5 * v),
]:
    truth_gs[:, j] = (
        term(rows[:, j].double()).numpy() - term(X_train[:, j].double()).mean().item()
    )
g_train = (
    10 * torch.sin(torch.pi * X_train[:, 0] * X_train[:, 1]).double().mean().item()
)
interaction_gs = interaction - g_train
# Only the pair's total is known for GradientShap: how its expected gradients
# split g against random baselines has no closed form. We give each half.
truth_gs[:, 0] = truth_gs[:, 1] = interaction_gs / 2
truths = {name: truth_gs if name == "GradientShap" else truth for name in on_net}

# %%
# Each panel puts one method's attributions against the truth: on the diagonal
# is right. The three additive inputs, the pair x1 + x2 (their sum, against the
# whole interaction) and the five irrelevant inputs (whose truth is zero). The
# axes stop at -8 and 24, which leaves out a few of SmoothGrad's points and
# GradientShap's, and none of the others'.
GROUPS = [
    ("x3", [2], "#E69F00", "o"),
    ("x4", [3], "#56B4E9", "s"),
    ("x5", [4], "#009E73", "^"),
    ("x1 + x2", [0, 1], "#D55E00", "D"),
    ("x6..x10", [5, 6, 7, 8, 9], "#000000", "x"),
]
fig, axes = plt.subplots(2, 3, figsize=(9.6, 6.8), layout="constrained")
for ax, (name, a) in zip(axes.ravel()[: len(on_net)], on_net.items(), strict=True):
    t = truths[name]
    for label, cols, color, marker in GROUPS:
        ax.scatter(
            t[:, cols].sum(1) if len(cols) == 2 else t[:, cols].ravel(),
            a[:, cols].sum(1) if len(cols) == 2 else a[:, cols].ravel(),
            s=10,
            color=color,
            marker=marker,
            linewidths=1 if marker == "x" else 0,
            label=label,
        )
    ax.axline((0, 0), slope=1, color="0.5", linewidth=1)
    ax.set_title(name)
    ax.set_xlim(-8, 24)
    ax.set_ylim(-8, 24)
for ax in axes[1]:
    ax.set_xlabel("true contribution")
for ax in axes[:, 0]:
    ax.set_ylabel("attribution")
axes[1, 2].axis("off")
axes[1, 2].legend(
    *axes[0, 0].get_legend_handles_labels(), loc="center", markerscale=2.5
)
plt.show()
# sphinx_gallery_thumbnail_number = 1
# sphinx_gallery_start_ignore
describe(
    fig,
    "Five scatter plots, one per method, of each attribution against the true "
    "contribution for x3, x4, x5, the pair x1 + x2 and the irrelevant x6 to x10: "
    "Integrated Gradients and DeepLift close to the diagonal, Feature Ablation's pair "
    "above it, SmoothGrad and GradientShap widely scattered.",
)
plotted = {
    name: np.concatenate([a[:, 2:].ravel(), a[:, :2].sum(1)])
    for name, a in on_net.items()
}
cut = {name: int(np.sum((y < -8) | (y > 24))) for name, y in plotted.items()}
check(
    0 < cut["IG + SmoothGrad"] < 0.1 * len(plotted["IG + SmoothGrad"])
    and cut["GradientShap"] <= 5
    and all(
        cut[name] == 0
        for name in ["Integrated Gradients", "DeepLift", "Feature Ablation"]
    ),
    "the axes leave out a few of SmoothGrad's points and GradientShap's, and none "
    "of the others'",
    cut=cut,
)
# sphinx_gallery_end_ignore

# %%
# How far from the truth, per method: the median distance per row, and where
# the error sits.
print(f"{'':<21}{'distance':>9}{'x3-x5':>8}{'x1 + x2':>9}{'x6..x10':>9}")
errors = {}
for name, a in on_net.items():
    t = truths[name]
    errors[name] = {
        "distance": float(np.median(distance(a, t))),
        "additive": float(np.abs(a[:, 2:5] - t[:, 2:5]).mean()),
        "pair": float(np.abs(a[:, :2].sum(1) - t[:, :2].sum(1)).mean()),
        "irrelevant": float(np.abs(a[:, 5:]).mean()),
    }
    e = errors[name]
    print(
        f"{name:<21}{e['distance']:>9.1%}{e['additive']:>8.2f}{e['pair']:>9.2f}"
        f"{e['irrelevant']:>9.2f}"
    )
print("(mean absolute errors, in the target's units)")
# sphinx_gallery_start_ignore
best = ["Integrated Gradients", "DeepLift"]
check(
    all(errors[n]["distance"] < 0.4 for n in best)
    and all(
        errors[n]["distance"] > 1.5 * max(errors[b]["distance"] for b in best)
        for n in errors
        if n not in best
    ),
    "Integrated Gradients and DeepLift come closest to the truth",
    errors=errors,
)
check(
    errors["Feature Ablation"]["pair"] > 3 * max(errors[b]["pair"] for b in best)
    and errors["Feature Ablation"]["additive"]
    < 2 * max(errors[b]["additive"] for b in best),
    "Feature Ablation's error sits in the pair, where it counts the interaction twice",
    errors=errors,
)
check(
    errors["IG + SmoothGrad"]["distance"] > 1,
    "SmoothGrad is further from the truth than the truth is large",
    errors=errors,
)
check(
    0.5 < errors["GradientShap"]["distance"] < 2,
    "GradientShap's attributions of one row are about as far from the truth as the "
    "truth is large",
    errors=errors,
)
gs_bias = np.abs(
    np.append(
        (on_net["GradientShap"] - truth_gs)[:, 2:5].mean(0),
        (on_net["GradientShap"] - truth_gs)[:, :2].sum(1).mean(),
    )
)
gs_size = np.append(np.abs(truth_gs[:, 2:5]).mean(0), np.abs(interaction_gs).mean())
check(
    np.all(gs_bias < 0.15 * gs_size),
    "GradientShap is right on average (over the 100 rows, for x3 to x5 and the pair)",
    gs_bias=gs_bias,
    gs_size=gs_size,
)
check(
    all(0.15 < errors[n]["distance"] < 0.35 for n in best),
    "Integrated Gradients and DeepLift are about a quarter off per row",
    errors=errors,
)
# sphinx_gallery_end_ignore

# %%
# Integrated Gradients and DeepLift come closest, about a quarter off per row
# (a part of which is the network's own error, which no method can remove).
# Feature Ablation does as well on the additive terms but counts the
# interaction twice. SmoothGrad is off for the reason it was off on the true
# function, further from the truth than the truth is large. GradientShap is
# right on average (over the 100 rows, for x3 to x5 and the pair) but, with the
# tutorial's five random baselines per row, its attributions of one row are
# about as far from the truth as the truth is large: mostly noise.
#
# How each shares the interaction
# -------------------------------
# For the rows where the interaction is sizeable (``|g| > 2``), the share of g
# each method gives x1 and x2. The truth from zero is half each (the cross),
# and a method that accounts for g once, and only once, puts its points on the
# dashed line. GradientShap sits this one out: against random baselines the
# truth of the split has no closed form.
sizeable = np.abs(interaction) > 2
fig, ax = plt.subplots(figsize=(9.6, 5.4), layout="constrained")
STYLE = {
    "Integrated Gradients": (calhouse.METHOD_COLORS["integrated_gradients"], "o"),
    "IG + SmoothGrad": (calhouse.METHOD_COLORS["noise_tunnel"], "s"),
    "DeepLift": (calhouse.METHOD_COLORS["deeplift"], "^"),
    "Feature Ablation": (calhouse.METHOD_COLORS["feature_ablation"], "v"),
}
shares = {}
for name, (color, marker) in STYLE.items():
    a = on_net[name][sizeable]
    shares[name] = a[:, :2] / interaction[sizeable, None]
    ax.scatter(*shares[name].T, s=16, color=color, marker=marker, label=name)
ax.axline(
    (0, 1), slope=-1, color="0.4", linestyle="--", linewidth=1, label="x1 + x2 = g"
)
ax.scatter(
    [0.5],
    [0.5],
    s=250,
    marker="P",
    color="#CC79A7",
    edgecolors="#000000",
    zorder=3,
    label="truth: half each",
)
ax.set_xlim(-2, 2)
ax.set_ylim(-2, 2)
ax.set_aspect("equal")
ax.set_xlabel("x1's attribution / g")
ax.set_ylabel("x2's attribution / g")
ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
plt.show()
# sphinx_gallery_start_ignore
describe(
    fig,
    "For rows with a sizeable interaction, x2's share of it against x1's, per "
    "method: Integrated Gradients and DeepLift near the line where the shares add up "
    "to one, Feature Ablation near one each, SmoothGrad mostly below zero.",
)
# sphinx_gallery_end_ignore

# %%
# The medians of the two shares, and how far x1's share strays from one half in
# a typical row:
median_share = {name: np.median(s, axis=0) for name, s in shares.items()}
together = {name: float(np.median(s.sum(1))) for name, s in shares.items()}
stray = {name: float(np.median(np.abs(s[:, 0] - 0.5))) for name, s in shares.items()}
print(
    f"{'shares of g':<21}{'x1':>7}{'x2':>7}{'together':>10}{'x1 strays from 1/2':>20}"
)
for name, (s1, s2) in median_share.items():
    print(f"{name:<21}{s1:>7.2f}{s2:>7.2f}{together[name]:>10.2f}{stray[name]:>20.2f}")
wrong_sign = float(np.mean(shares["IG + SmoothGrad"].sum(1) < 0))
print(f"rows where SmoothGrad gives x1 + x2 the wrong sign: {wrong_sign:.0%}")
outside = float(np.mean(np.any(np.abs(shares["IG + SmoothGrad"]) > 2, axis=1)))
print(f"SmoothGrad's points outside the figure: {outside:.0%}")
# sphinx_gallery_start_ignore
check(
    all(0.9 < together[n] < 1.35 for n in best)
    and all(0.55 < median_share[n][0] < 0.8 for n in best)
    and all(0.4 < median_share[n][1] < 0.6 for n in best)
    and all(median_share[n][0] > median_share[n][1] + 0.08 for n in best),
    "IG and DeepLift account for g roughly once, but on the median give x1 about two "
    "thirds of it and x2 about one half",
    median_share=median_share,
    together=together,
)
check(
    all(stray[n] > 0.05 for n in best),
    "row by row, IG and DeepLift stray from half and half",
    stray=stray,
)
check(
    wrong_sign > 0.5,
    "for most rows SmoothGrad gets the sign of the interaction wrong",
    wrong_sign=wrong_sign,
)
check(
    0.04 < outside < 0.25,
    "about one in ten of SmoothGrad's points lie beyond the figure's edges",
    outside=outside,
)
check(
    all(0.8 < s < 1.2 for s in median_share["Feature Ablation"]),
    "Feature Ablation gives each of x1 and x2 about all of g",
    median_share=median_share,
)
# sphinx_gallery_end_ignore

# %%
# Integrated Gradients and DeepLift account for the interaction roughly once,
# but they do not split it in half: on the median they give x1 about two thirds
# of it and x2 about one half, and row by row the split strays further, along
# the dashed line. On the true function Integrated Gradients split it exactly
# in half, so the uneven split is the network's: it learned an interaction that
# is not quite symmetric in x1 and x2, and the methods report that. Feature
# Ablation's points sit near (1, 1): each input gets the whole interaction.
# SmoothGrad's points lie far from both, most of them below zero, and about one
# in ten beyond the figure's edges: for most rows it even gets the sign of the
# interaction wrong.
#
# Do the irrelevant inputs get zero?
# ----------------------------------
# None of the methods gives x6 to x10 zero. Are they wrong? They explain the
# network, and the network does use those inputs a little: it was fitted to
# noisy targets. Feature Ablation with one group for the five inputs
# (``feature_mask``) measures how much the prediction changes when all five are
# set to zero together.
group = torch.tensor([[0, 1, 2, 3, 4, 5, 5, 5, 5, 5]])
irrelevant_effect = FeatureAblation(net).attribute(rows_grad, feature_mask=group)
irrelevant_effect = irrelevant_effect.detach().numpy()[:, 5]
print(
    "prediction change when x6..x10 are all set to 0: "
    f"mean |change| {np.abs(irrelevant_effect).mean():.2f}"
)
for name in ["Integrated Gradients", "DeepLift", "Feature Ablation"]:
    total = on_net[name][:, 5:].sum(1)
    share = np.abs(on_net[name][:, 5:]).sum() / np.abs(on_net[name]).sum()
    print(
        f"{name:<21} x6..x10 together: mean |sum| {np.abs(total).mean():.2f}, "
        f"{share:.1%} of all attribution"
    )
# sphinx_gallery_start_ignore
check(
    all(np.abs(on_net[n][:, 5:]).mean() > 0.01 for n in on_net),
    "none of the methods gives x6..x10 zero",
)
check(
    np.abs(irrelevant_effect).mean() > 0.1,
    "the network does use those inputs a little",
    effect=np.abs(irrelevant_effect).mean(),
)
check(
    np.abs(irrelevant_effect).mean() > rmse_true,
    "removing them moves the prediction by more than the network's own error",
    effect=np.abs(irrelevant_effect).mean(),
    rmse_true=rmse_true,
)
check(
    all(np.abs(on_net[n][:, 5:]).sum() / np.abs(on_net[n]).sum() < 0.15 for n in best),
    "the irrelevant inputs get a small share of the attribution",
)
# sphinx_gallery_end_ignore

# %%
# Setting the five irrelevant inputs to zero moves the network's prediction by
# more, on average, than the network's whole error against the true function:
# it learned to lean on them a little, from the noise in 1,400 training rows.
# The methods report that, and give the five inputs a small share of the
# attribution. They are right about the network; zero would have been right
# about the data. An attribution explains the model, and a model fitted to
# noisy data leans on inputs that do not matter.
