"""
Sanity checks: do the attributions depend on what the model learned?
=====================================================================

An attribution method returns eight numbers per district whatever the model
has learned. Adebayo et al., "Sanity Checks for Saliency Maps" (NeurIPS 2018),
proposed a test that any explanation of a *model* must pass: destroy what the
model learned, layer by layer, and watch the explanation. If it barely moves,
it was explaining the data, not the model.

This example runs their cascading model-randomisation test on the tutorial's
network. You will learn how to re-initialise a trained network's layers from
the top (``lin4``) down to the first (``lin1``) with
:meth:`torch.nn.Linear.reset_parameters`, how to measure how far attributions
move with rank correlations (:func:`scipy.stats.rankdata`,
:func:`scipy.stats.pearsonr`, :func:`scipy.stats.spearmanr`), and which of the
tutorial's methods pass: :class:`~captum.attr.IntegratedGradients`, its
SmoothGrad version (:class:`~captum.attr.NoiseTunnel`),
:class:`~captum.attr.DeepLift`, :class:`~captum.attr.GradientShap`,
:class:`~captum.attr.FeatureAblation`, and the first-layer weights that the
tutorial draws beside them.
"""

# %%
# The trained model and its attributions
# --------------------------------------
# The tutorial's network and its 180 test districts, explained with the
# tutorial's five methods and settings, as in
# :ref:`sphx_glr_auto_examples_plot_03_input_attributions.py`: every method but
# GradientShap measures against the all-zero input, GradientShap draws its
# baselines from the 420 training districts. NoiseTunnel and GradientShap draw
# random numbers, so each call is seeded. As a reminder of the calls, the
# plain Captum ones for the first 20 districts:
import copy
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
from scipy.stats import pearsonr, rankdata, spearmanr

import calhouse

# DeepLift announces at every call that it hooks the ReLU modules while it runs.
warnings.filterwarnings(
    "ignore", message="Setting forward, backward hooks", category=UserWarning
)

split = calhouse.load_split()
X_train, X_test = split.X_train, split.X_test
model = calhouse.load_or_train_model("tutorial")
names = list(calhouse.FEATURE_NAMES)

X = X_test[:20].clone().requires_grad_()
ig = IntegratedGradients(model)
torch.manual_seed(0)
nt_attr = NoiseTunnel(ig).attribute(X)
torch.manual_seed(0)
np.random.seed(0)
gs_attr = GradientShap(model).attribute(X, baselines=X_train)
trained = {
    "integrated_gradients": ig.attribute(X, n_steps=50),
    "noise_tunnel": nt_attr,
    "deeplift": DeepLift(model).attribute(X),
    "gradient_shap": gs_attr,
    "feature_ablation": FeatureAblation(model).attribute(X),
}
trained = {method: attr.detach().numpy() for method, attr in trained.items()}

# %%
# The test needs the same five attributions of all 180 districts for a dozen
# randomised copies of the network. :func:`calhouse.attribute_dataset` computes
# exactly what the Captum calls above compute (for the same rows and seed) in a
# fraction of the time, so the loop below uses it.
LABELS = {
    "integrated_gradients": "Integrated Gradients",
    "noise_tunnel": "IG + SmoothGrad",
    "deeplift": "DeepLift",
    "gradient_shap": "GradientShap",
    "feature_ablation": "Feature Ablation",
}


def explain(net, rows=X_test):
    """The five methods' attributions of ``rows`` under ``net``."""
    return {
        method: calhouse.attribute_dataset(
            net,
            rows,
            method,
            baselines=X_train if method == "gradient_shap" else None,
            seed=0,
        ).numpy()
        for method in LABELS
    }


first_20 = explain(model, X_test[:20])
largest_gap = max(np.abs(first_20[m] - trained[m]).max() for m in LABELS)
print(f"largest difference from the plain Captum calls: {largest_gap:.1e}")
reference = explain(model)  # the trained model, all 180 districts
# sphinx_gallery_start_ignore
from page_checks import check, describe

check(
    all(np.allclose(first_20[m], trained[m], rtol=1e-4, atol=1e-4) for m in LABELS),
    "calhouse.attribute_dataset computes exactly what the Captum calls above compute",
    largest_gap=largest_gap,
)
# sphinx_gallery_end_ignore

# %%
# Randomising the network from the top down
# -----------------------------------------
# The cascade re-initialises ``lin4`` first, then ``lin3`` as well, then
# ``lin2``, then ``lin1``, each with a fresh draw from PyTorch's default
# initialisation, the distribution its weights came from before training
# (:meth:`~torch.nn.Linear.reset_parameters`). After the last step nothing
# learned is left. One random draw could be lucky, so the whole cascade runs
# three times, with three seeds.
LAYERS = ["lin4", "lin3", "lin2", "lin1"]
DRAWS = [0, 1, 2]


def cascade(net, seed):
    """Copies of ``net`` with lin4, lin4-lin3, ..., lin4-lin1 re-initialised."""
    net = copy.deepcopy(net)
    torch.manual_seed(seed)
    steps = []
    for name in LAYERS:
        getattr(net, name).reset_parameters()
        steps.append(copy.deepcopy(net))
    return steps


randomised = {seed: cascade(model, seed) for seed in DRAWS}
errors = [calhouse.rmse(net, X_test, split.y_test) for net in randomised[0]]
print(
    f"test RMSE of the trained model: {calhouse.rmse(model, X_test, split.y_test):.3f}"
)
for name, error in zip(LAYERS, errors, strict=True):
    print(f"randomised down to {name}: test RMSE {error:6.2f}")
# sphinx_gallery_start_ignore
check(
    min(errors) > 4 * calhouse.rmse(model, X_test, split.y_test),
    "from the first step on, the randomised networks predict nothing",
    errors=errors,
)
# sphinx_gallery_end_ignore

# %%
# From the first step on, the network predicts nothing: its error is several
# times the trained model's. An explanation of *this* model should change
# accordingly.
#
# Measuring how far the attributions move
# ---------------------------------------
# A random network's output lives on another scale, so, like Adebayo et al., we
# compare the *ranking* of the absolute attributions, with Spearman's rank
# correlation (1: the same order, 0: unrelated). Two versions:
#
# - per district: the correlation between the trained and the randomised
#   model's ranking of the eight features of one district, and its median over
#   the 180 districts;
# - global: the correlation between the two rankings of the features by mean
#   absolute attribution over all districts, the usual summary of
#   "feature importance".
#
# The tutorial's "weights" bars, ``lin1.weight[0]``, have only a global form.


def row_similarity(a, b):
    """Spearman correlation of |a| and |b|, district by district."""
    ranks_a = rankdata(np.abs(a), axis=1)
    ranks_b = rankdata(np.abs(b), axis=1)
    return pearsonr(ranks_a, ranks_b, axis=1).statistic


def global_similarity(a, b):
    """Spearman correlation of the mean absolute attributions."""
    return spearmanr(np.abs(a).mean(0), np.abs(b).mean(0)).statistic


def first_weights(net):
    """What the tutorial's grey bars show: the first neuron's input weights."""
    return net.lin1.weight[0].detach().numpy()


n_stages = len(LAYERS) + 1  # the trained model, then one per layer randomised
per_row = {m: np.ones((len(DRAWS), n_stages)) for m in LABELS}
overall = {m: np.ones((len(DRAWS), n_stages)) for m in [*LABELS, "weights"]}
explained = {}  # the attributions of every randomised network, for later
for d, seed in enumerate(DRAWS):
    for k, net in enumerate(randomised[seed], start=1):
        explained[seed, k] = attributions = explain(net)
        for method in LABELS:
            per_row[method][d, k] = np.median(
                row_similarity(reference[method], attributions[method])
            )
            overall[method][d, k] = global_similarity(
                reference[method], attributions[method]
            )
        overall["weights"][d, k] = spearmanr(
            np.abs(first_weights(model)), np.abs(first_weights(net))
        ).statistic
# sphinx_gallery_start_ignore
check(
    np.isclose(
        row_similarity(reference["deeplift"], explained[0, 1]["deeplift"])[7],
        spearmanr(
            np.abs(reference["deeplift"][7]), np.abs(explained[0, 1]["deeplift"][7])
        ).statistic,
    ),
    "the per-district similarity is Spearman's rank correlation",
)
# sphinx_gallery_end_ignore

# %%
# The figure of the paper: similarity against the number of layers randomised,
# one line per method, the mean over the three draws with the range of the
# three as error bars.
MARKERS = {
    "integrated_gradients": ("o", "-"),
    "noise_tunnel": ("s", "--"),
    "deeplift": ("^", ":"),
    "gradient_shap": ("D", "-"),
    "feature_ablation": ("v", "-."),
    "weights": ("x", "--"),
}
steps = np.arange(n_stages)
step_labels = ["none", "lin4", "+lin3", "+lin2", "+lin1"]


def draw_lines(ax, values, methods, title):
    for method in methods:
        marker, line = MARKERS[method]
        mean = values[method].mean(0)
        # the range of the draws around their mean (clipped: rounding can dip
        # below zero)
        spread = np.clip(
            [mean - values[method].min(0), values[method].max(0) - mean], 0, None
        )
        ax.errorbar(
            steps,
            mean,
            yerr=spread,
            color=calhouse.METHOD_COLORS[method],
            marker=marker,
            linestyle=line,
            capsize=3,
            label=LABELS.get(method, "first-layer weights"),
        )
    ax.axhline(0, color="0.6", linewidth=0.8)
    ax.set_xticks(steps, step_labels)
    ax.set_xlabel("layers randomised (cumulative)")
    ax.set_ylim(-0.7, 1.05)
    ax.set_title(title)


fig, (left, right) = plt.subplots(
    1, 2, figsize=(9.6, 4.6), sharey=True, layout="constrained"
)
draw_lines(left, per_row, LABELS, "per district (median)")
draw_lines(right, overall, [*LABELS, "weights"], "global importance")
left.set_ylabel("rank correlation with\nthe trained model's")
fig.legend(*right.get_legend_handles_labels(), loc="outside lower center", ncols=3)
plt.show()
# sphinx_gallery_thumbnail_number = 1
# sphinx_gallery_start_ignore
describe(
    fig,
    "Rank correlation between the trained and the randomised model's attributions "
    "against the layers randomised, per district and for the global importance: "
    "Integrated Gradients, SmoothGrad and DeepLift fall to about a third, Feature "
    "Ablation to about a half, GradientShap stays high, and the first-layer weights "
    "stay at 1 until lin1 is randomised.",
)
# sphinx_gallery_end_ignore

# %%
# The numbers behind the lines, with every layer random:
full = {m: per_row[m][:, -1].mean() for m in LABELS}
full_global = {m: overall[m][:, -1].mean() for m in [*LABELS, "weights"]}
after_lin4 = {m: per_row[m][:, 1].mean() for m in LABELS}
print(f"{'':<21}{'after lin4':>11}{'all layers':>11}{'global':>8}")
for method, label in LABELS.items():
    print(
        f"{label:<21}{after_lin4[method]:>11.2f}{full[method]:>11.2f}"
        f"{full_global[method]:>8.2f}"
    )
print(f"{'first-layer weights':<21}{'':>11}{'':>11}{full_global['weights']:>8.2f}")
print(
    "DeepLift after lin4, per draw:",
    ", ".join(f"{v:.2f}" for v in per_row["deeplift"][:, 1]),
)
print(
    "first-layer weights, global, after lin4, +lin3, +lin2:",
    ", ".join(f"{v:.2f}" for v in overall["weights"][:, 1:4].mean(0)),
)
n_last = sum(p.numel() for p in model.lin4.parameters())
n_all = sum(p.numel() for p in model.parameters())
print(f"lin4 holds {n_last} of the network's {n_all:,} parameters")

# %%
# Reading the figure
# ------------------
# **Integrated Gradients, its SmoothGrad version and DeepLift pass.**
# Randomising the last layer alone, 11 of the network's 6,471 parameters,
# already moves their ranking of a typical district away from the trained
# model's, and with every layer random the correlation is about a third. The
# three lines lie on top of each other: on this network the three methods
# answer alike, trained or not. The global ranking, an average over all
# districts, moves less, to about one half.
#
# **Feature Ablation passes, less clearly.** It ends near 0.5 per district.
#
# **GradientShap fails.** With every layer random, its ranking of a district
# still correlates at about three quarters with the trained model's; the test
# can hardly tell the trained network from a random one through GradientShap's
# eyes.
#
# **The tutorial's weights bars are no explanation of the model's output.**
# They do not change at all while ``lin4``, ``lin3`` and ``lin2`` are replaced,
# because they read only ``lin1``: they would look the same on a network that
# predicts nothing.
#
# GradientShap draws five random baselines and points per district, so it is
# noisy even on one model. Its ceiling is how alike two of its runs on the
# *trained* model are:
gs_again = calhouse.attribute_dataset(
    model, X_test, "gradient_shap", baselines=X_train, seed=1
)
gs_ceiling = np.median(row_similarity(reference["gradient_shap"], gs_again.numpy()))
print(f"GradientShap, two seeds on the trained model: {gs_ceiling:.2f}")
print(f"GradientShap, trained vs every layer random:  {full['gradient_shap']:.2f}")
# sphinx_gallery_start_ignore
zero_baseline = ["integrated_gradients", "noise_tunnel", "deeplift"]
check(
    (n_last, n_all) == (11, 6471),
    "the last layer alone, 11 of the network's 6,471 parameters",
)
check(
    all(after_lin4[m] < 0.9 for m in zero_baseline)
    and all(0.2 < full[m] < 0.45 for m in zero_baseline),
    "randomising lin4 alone moves IG, SmoothGrad IG and DeepLift away from the "
    "trained model's "
    "ranking; with every layer random the correlation is about a third",
    after_lin4=after_lin4,
    full=full,
)
check(
    max(abs(full[a] - full[b]) for a in zero_baseline for b in zero_baseline) < 0.1,
    "the three lines lie on top of each other",
    full=full,
)
check(
    0.35 < full["feature_ablation"] < 0.6
    and full["feature_ablation"] > full["deeplift"],
    "Feature Ablation passes, less clearly: it ends near 0.5 per district",
    full=full,
)
check(
    all(0.3 < full_global[m] < 0.65 for m in [*zero_baseline, "feature_ablation"]),
    "the global ranking moves less, to about one half",
    full_global=full_global,
)
check(
    0.65 < full["gradient_shap"] < 0.88
    and all(
        full["gradient_shap"] > full[m] + 0.15 for m in LABELS if m != "gradient_shap"
    ),
    "GradientShap still correlates at about three quarters with every layer random",
    full=full,
)
check(
    bool(np.all(overall["weights"][:, 1:4] == 1.0)) and full_global["weights"] < 0.5,
    "the weights bars do not change while lin4, lin3 and lin2 are replaced",
    weights=overall["weights"],
)
check(
    gs_ceiling > full["gradient_shap"] and gs_ceiling < 0.95,
    "GradientShap is noisy even on one model; its two runs agree more than trained "
    "vs random",
    gs_ceiling=gs_ceiling,
)
# sphinx_gallery_end_ignore

# %%
# Two runs of GradientShap on the trained model agree only somewhat more than
# the trained and a fully random model do. Its picture is mostly made of
# something that does not depend on the weights.
#
# Why: a random network ranks the features by the size of the inputs
# ------------------------------------------------------------------
# Integrated Gradients, DeepLift and Feature Ablation from the zero baseline
# multiply, roughly, each feature's input by the model's sensitivity to it. The
# tutorial's features are raw: Population in the hundreds and thousands,
# Longitude near -122, most others below ten. A ranking that looks at the
# inputs alone, ``|x|`` (for GradientShap: the mean ``|x - baseline|`` over the
# training districts), is an "explanation" made without any model. Adebayo et
# al. found that some saliency maps look like an edge detector; here is the
# tabular analogue, and the share of districts whose most important feature is
# Population:
data_only = {m: np.abs(X_test.numpy()) for m in LABELS}
data_only["gradient_shap"] = np.abs(
    X_test.numpy()[:, None] - X_train.numpy()[None]
).mean(1)
population = names.index("Population")
like_data = {m: np.zeros((len(DRAWS), n_stages)) for m in LABELS}
top_population = {m: np.zeros((len(DRAWS), n_stages)) for m in LABELS}
for method in LABELS:
    for d, seed in enumerate(DRAWS):
        for k in range(n_stages):
            attr = reference[method] if k == 0 else explained[seed, k][method]
            like_data[method][d, k] = np.median(row_similarity(attr, data_only[method]))
            top_population[method][d, k] = np.mean(np.abs(attr).argmax(1) == population)

fig, (left, right) = plt.subplots(
    1, 2, figsize=(9.6, 4.6), sharex=True, layout="constrained"
)
draw_lines(left, like_data, LABELS, "like the inputs' sizes (median)")
left.set_ylim(0, 1.05)
left.set_ylabel("rank correlation with |x - baseline|")
draw_lines(right, top_population, LABELS, "Population ranked first")
right.set_ylim(-0.05, 1.05)
right.set_ylabel("share of the 180 districts")
fig.legend(*right.get_legend_handles_labels(), loc="outside lower center", ncols=3)
plt.show()
# sphinx_gallery_start_ignore
describe(
    fig,
    "Against the layers randomised, how closely each method's ranking follows the "
    "sizes of the inputs and the share of districts whose top feature is "
    "Population: both climb to near 1 for every method once lin4 and lin3 are "
    "random.",
)
typical = dict(zip(names, np.median(np.abs(X_test.numpy()), axis=0), strict=True))
longitude = np.median(X_test.numpy()[:, names.index("Longitude")])
rest = [n for n in names if n not in ("Population", "Longitude")]
check(
    typical["Population"] > 100
    and -125 < longitude < -115
    and sum(typical[n] < 10 for n in rest) >= 4,
    "Population in the hundreds and thousands, Longitude near -122, most others below "
    "ten",
    typical=typical,
)
# sphinx_gallery_end_ignore

# %%
# On the left, the trained model's attributions from Integrated Gradients,
# SmoothGrad and DeepLift rank a district's features quite unlike the sizes of
# its inputs: the training taught the network to discount Population. Once two
# layers are random, every method's ranking is close to the ranking of the
# input sizes, and on the right, every method names Population the most
# important feature of more than nine districts in ten. That is what the
# zero-baseline methods move *to*, and why they pass: the trained model's
# picture is far from it. GradientShap's picture of the trained model is close
# to the inputs' sizes already, so it has little room to move.
like_trained = {m: like_data[m][:, 0].mean() for m in LABELS}
like_random = {m: like_data[m][:, -1].mean() for m in LABELS}
population_random = {m: top_population[m][:, -1].mean() for m in LABELS}
print(f"{'trained -> all random':<21}{'like the sizes':>18}{'Population first':>20}")
for method, label in LABELS.items():
    print(
        f"{label:<21}{like_trained[method]:>10.2f} -> {like_random[method]:.2f}"
        f"{top_population[method][:, 0].mean():>13.0%} -> "
        f"{population_random[method]:.0%}"
    )
# sphinx_gallery_start_ignore
check(
    all(like_trained[m] < 0.6 for m in zero_baseline),
    "the trained model's IG, SmoothGrad and DeepLift rank features quite unlike the "
    "inputs' sizes",
    like_trained=like_trained,
)
two_or_more = {m: like_data[m][:, 2:].mean(0) for m in LABELS}
population_two = {m: top_population[m][:, 2:].mean(0) for m in LABELS}
check(
    all(two_or_more[m].min() > 0.75 for m in LABELS),
    "once two layers are random, every method's ranking is close to the ranking of "
    "the input sizes",
    two_or_more=two_or_more,
)
check(
    all(population_two[m].min() > 0.9 for m in LABELS)
    and all(top_population[m][:, 0].mean() < 0.5 for m in LABELS),
    "once two layers are random, every method names Population first for more than "
    "nine districts in ten (and for fewer than half with the trained model)",
    population_two=population_two,
)
check(
    like_trained["gradient_shap"] > 0.7
    and all(
        like_trained["gradient_shap"] > like_trained[m] + 0.2 for m in zero_baseline
    ),
    "GradientShap's picture of the trained model is close to the inputs' sizes already",
    like_trained=like_trained,
)
# sphinx_gallery_end_ignore

# %%
# What this means for the tutorial
# ---------------------------------
# Integrated Gradients, DeepLift, their SmoothGrad variant and, less clearly,
# Feature Ablation explain something the network learned; the first-layer
# weights do not explain its output, and GradientShap with the training
# districts as baselines, on raw features, shows mostly the spread of the
# inputs. That contradicts the tutorial, which draws the first-layer weights
# beside the attributions as one more picture of what matters, and reads
# GradientShap's bars as it reads the others'. Passing is necessary, not
# sufficient: a method that passes can still be fragile, as
# :ref:`sphx_glr_auto_examples_plot_06_trust.py` found. The result depends on
# the raw inputs: with features of very different sizes, every
# gradient-times-input method leans on those sizes, and a test built on
# rankings sees that first.
