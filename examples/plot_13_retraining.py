"""
Would another training run tell the same story? Twenty seeds against the bootstrap
===================================================================================

The tutorial trains its network once, with seed 1234, and reads its
conclusions off that one model: MedInc and AveRooms matter most, AveBedrms
least, and Integrated Gradients agrees with DeepLift. A different seed gives
different initial weights and a different order of the mini-batches, and so
a different network, trained on the same data by the same recipe. Would it
tell the same story?

This example takes the recipe trained with 20 more seeds, 1 to 20, and explains
all 21 networks with the tutorial's methods. Training them takes minutes, so
calhouse ships their weights, each made by ``calhouse train --seed N`` in the
pinned arithmetic that makes a rerun give the same bytes, with its metadata
beside it. You will learn how to put an interval on each feature's importance
across training runs, how that interval compares with the one a bootstrap over
the explained districts gives (:meth:`numpy.random.Generator.integers` to
resample, :func:`numpy.percentile` for the interval), how stable the ranking of
the features is (:func:`scipy.stats.rankdata`), and which of the tutorial's
statements hold for how many of the 21 runs.
"""

# %%
# Twenty-one runs of one recipe
# -----------------------------
# Each run is the tutorial's recipe, :class:`calhouse.TrainingConfig` with only
# the seed changed: 200 epochs of RMSprop on the 420 training districts. The
# seeds' weights lie beside the tutorial's model, and their metadata
# (:func:`calhouse.read_metadata`) records how each was made. Seed 1234 is the
# tutorial's own model.
import matplotlib.pyplot as plt
import numpy as np
import torch
from captum.attr import IntegratedGradients, LayerActivation
from scipy.stats import rankdata

import calhouse

SEED_DIR = calhouse.MODELS["tutorial"].path.parent / "seeds"
SEEDS = [1234, *range(1, 21)]


def load_seed_model(seed):
    """The tutorial's network, trained by its recipe with ``seed``."""
    if seed == 1234:
        return calhouse.load_or_train_model("tutorial")
    return calhouse.load_model(SEED_DIR / f"california_model_seed_{seed}.pt")


split = calhouse.load_split()
X_train, X_test, y_test = split.X_train, split.X_test, split.y_test
names = list(calhouse.FEATURE_NAMES)
models = {seed: load_seed_model(seed) for seed in SEEDS}
metadata = {
    seed: calhouse.read_metadata(SEED_DIR / f"california_model_seed_{seed}.pt")
    for seed in SEEDS[1:]
}
print(f"made by: {metadata[1]['command']}")
print(f"    ... {metadata[20]['command']}")
errors = {seed: calhouse.rmse(model, X_test, y_test) for seed, model in models.items()}
others = np.array([errors[seed] for seed in SEEDS[1:]])
print(f"test RMSE, seed 1234 (the tutorial): {errors[1234]:.3f}")
print(
    f"test RMSE, seeds 1-20: median {np.median(others):.3f}, "
    f"from {others.min():.3f} to {others.max():.3f}"
)
# sphinx_gallery_start_ignore
from page_checks import check, describe

tutorial_meta = calhouse.read_metadata(calhouse.MODELS["tutorial"].path)
check(
    all(
        meta["training"] == {**tutorial_meta["training"], "seed": seed}
        and meta["data"] == tutorial_meta["data"]
        and meta["arithmetic"]["pinned"]
        and abs(meta["test_rmse"] - errors[seed]) < 1e-5
        for seed, meta in metadata.items()
    ),
    "each run is the tutorial's recipe with only the seed changed, trained in pinned "
    "arithmetic, and its metadata records how it was made",
)
# sphinx_gallery_end_ignore

# %%
# The test error across the runs
# ------------------------------
fig, ax = plt.subplots(figsize=(9.6, 2.6), layout="constrained")
ax.scatter(
    others,
    np.zeros_like(others),
    s=60,
    marker="o",
    color="#56B4E9",
    edgecolors="#000000",
    linewidths=0.5,
    label="seeds 1-20",
)
ax.scatter(
    [errors[1234]],
    [0],
    s=160,
    marker="*",
    color="#D55E00",
    edgecolors="#000000",
    linewidths=0.5,
    label="seed 1234 (the tutorial)",
)
for k, seed in enumerate(seed for seed in SEEDS[1:] if errors[seed] > 1.2):
    ax.annotate(
        f"seed {seed}",
        (errors[seed], 0),
        xytext=(0, 12 if k % 2 else -22),
        textcoords="offset points",
        ha="center",
    )
ax.set_yticks([])
ax.set_xlabel("test RMSE ($100,000)")
ax.legend(loc="upper center", ncols=2, frameon=False)
ax.set_ylim(-1, 1.6)
plt.show()
# sphinx_gallery_thumbnail_number = 2
# sphinx_gallery_start_ignore
describe(
    fig,
    "The test RMSE of the 21 runs on one axis: the tutorial's seed 1234 lowest at "
    "about 0.66, most other seeds between 0.7 and 0.9, seeds 6 and 7 near 1.5.",
)
check(
    sorted(seed for seed in SEEDS[1:] if errors[seed] > 1.2) == [6, 7]
    and all(0.69 < errors[seed] < 0.9 for seed in SEEDS[1:] if seed not in (6, 7))
    and 0.64 < errors[1234] < 0.68,
    "the tutorial's seed 1234 lowest at about 0.66, most other seeds between 0.7 and "
    "0.9, seeds 6 and 7 near 1.5",
    errors=errors,
)
# sphinx_gallery_end_ignore

# %%
# The tutorial's model is the best of the 21: every other seed ends with a
# larger test error, the typical one by about a sixth. Two runs did much worse.
# One of them is not a model at all; Captum's
# :class:`~captum.attr.LayerActivation` shows why:
with torch.no_grad():
    constant = {
        seed: float(model(X_test).std()) < 1e-4 for seed, model in models.items()
    }
dead = [seed for seed, flag in constant.items() if flag]
print(f"seeds whose network predicts one price for every district: {dead}")
collapsed = models[dead[0]]
activity = LayerActivation(collapsed, collapsed.relu3).attribute(
    torch.cat([X_train, X_test])
)
n_active = int((activity > 0).any(0).sum())
print(
    "units of its last hidden layer active for any of the 600 districts: "
    f"{n_active} of 10"
)
# sphinx_gallery_start_ignore
check(
    errors[1234] == min(errors.values())
    and 1.1 < np.median(others) / errors[1234] < 1.25,
    "the tutorial's model is the best of the 21, the typical seed worse by about a "
    "sixth",
    errors=errors,
)
check(
    sum(e > 1.2 for e in others) == 2,
    "two runs did much worse",
    errors=errors,
)
with torch.no_grad():
    constant_output = collapsed(X_test).unique()
check(
    len(dead) == 1
    and n_active == 0
    and torch.allclose(constant_output, collapsed.lin4.bias.detach()),
    "one run is a dead network: no unit of its last hidden layer is ever active, so "
    "it predicts its output bias whatever the input",
    dead=dead,
)
# sphinx_gallery_end_ignore

# %%
# Every unit of its last hidden layer is switched off for every district, so it
# predicts its output bias whatever the input: training collapsed. It has
# nothing to explain, and the attribution statistics below leave it out, which
# leaves 20 runs. The tutorial's recipe does this to one seed in twenty-one,
# and the tutorial's test RMSE is the luck of a good seed, not what the recipe
# typically gives.
#
# Attributions of every run
# -------------------------
# Each run's 180 test districts are explained with the tutorial's five methods
# and settings. For one run, as a reminder, the plain Captum call;
# :func:`calhouse.attribute_dataset` computes the same numbers faster, and does
# the rest.
ig_tutorial = (
    IntegratedGradients(models[1234]).attribute(X_test, n_steps=50).detach().numpy()
)
LABELS = {
    "integrated_gradients": "Integrated Gradients",
    "noise_tunnel": "IG + SmoothGrad",
    "deeplift": "DeepLift",
    "gradient_shap": "GradientShap",
    "feature_ablation": "Feature Ablation",
}
runs = [seed for seed in SEEDS if seed not in dead]
attributions = {
    seed: {
        method: calhouse.attribute_dataset(
            models[seed],
            X_test,
            method,
            baselines=X_train if method == "gradient_shap" else None,
            seed=0,
        ).numpy()
        for method in LABELS
    }
    for seed in runs
}
print(
    "largest difference from the plain call: "
    f"{np.abs(attributions[1234]['integrated_gradients'] - ig_tutorial).max():.1e}"
)


def normalized_sum(attr):
    """The tutorial's bars: attributions summed over districts, L1-normalised."""
    total = attr.sum(0)
    return total / np.abs(total).sum()


bars = {m: np.array([normalized_sum(attributions[s][m]) for s in runs]) for m in LABELS}
# sphinx_gallery_start_ignore
check(
    np.allclose(
        attributions[1234]["integrated_gradients"], ig_tutorial, rtol=1e-4, atol=1e-4
    ),
    "calhouse.attribute_dataset computes the same numbers as the plain Captum call",
)
# sphinx_gallery_end_ignore

# %%
# Two sources of uncertainty
# --------------------------
# The tutorial's bars have two kinds of uncertainty. One comes from the
# districts it happens to explain: another 180 districts would give other sums.
# A bootstrap measures it, for the tutorial's model, by resampling the 180
# districts with replacement 1,000 times and recomputing the bars. The other
# comes from training, and the 20 runs measure it. For both we take the
# interval that holds the middle 90% of the values.
rng = np.random.default_rng(0)
resamples = rng.integers(0, len(X_test), size=(1000, len(X_test)))
tutorial_index = runs.index(1234)


def intervals(method):
    """Per feature: the middle-90% interval over seeds, and over bootstrap resamples."""
    sums = attributions[1234][method][resamples].sum(1)
    bootstrap = sums / np.abs(sums).sum(1, keepdims=True)
    return np.percentile(bars[method], [5, 95], axis=0), np.percentile(
        bootstrap, [5, 95], axis=0
    )


spread = {m: intervals(m) for m in LABELS}
width_ratio = {
    m: (np.diff(seeds_iv, axis=0) / np.diff(boot_iv, axis=0)).ravel()
    for m, (seeds_iv, boot_iv) in spread.items()
}
SHORT = {
    "integrated_gradients": "IG",
    "noise_tunnel": "SmoothGrad",
    "deeplift": "DeepLift",
    "gradient_shap": "GradientShap",
    "feature_ablation": "Ablation",
}
print("interval width across seeds / bootstrap interval width:")
print(f"{'':<11}" + "".join(f"{short:>13}" for short in SHORT.values()))
for j, name in enumerate(names):
    print(f"{name:<11}" + "".join(f"{width_ratio[m][j]:>13.1f}" for m in SHORT))

# %%
# For the methods that measure against the zero input, Integrated Gradients,
# its SmoothGrad version, DeepLift and Feature Ablation, the interval across
# training runs is several times as wide as the bootstrap's, for every feature,
# and up to twenty times for some. GradientShap is the other way round: for
# most features its bootstrap interval is the wider one. Its attributions
# nearly cancel when summed, as
# :ref:`sphx_glr_auto_examples_plot_03_input_attributions.py` found, so which
# 180 districts are summed moves its bars a lot; and what is left after the
# cancelling is set by how the test districts differ from its baselines, the
# training districts, which every run shares. The figure shows the two
# intervals for Integrated Gradients and Feature Ablation: each seed is a dot,
# the tutorial's model is the star with its bootstrap interval, and the grey
# band holds the middle 90% of the seeds.
STYLE = {
    "integrated_gradients": "#0072B2",
    "feature_ablation": "#009E73",
}
fig, axes = plt.subplots(1, 2, figsize=(9.6, 5.0), sharey=True, layout="constrained")
rows = np.arange(len(names))
for ax, method in zip(axes, STYLE, strict=True):
    (seed_lo, seed_hi), (boot_lo, boot_hi) = spread[method]
    ax.barh(
        rows,
        seed_hi - seed_lo,
        left=seed_lo,
        height=0.6,
        color="0.85",
        label="middle 90% of the seeds",
    )
    jitter = np.linspace(-0.2, 0.2, len(runs))
    for k, values in enumerate(bars[method]):
        if runs[k] != 1234:
            ax.scatter(
                values,
                rows + jitter[k],
                s=14,
                color=STYLE[method],
                marker="o",
                label="one seed" if k == 1 else None,
            )
    tutorial = bars[method][tutorial_index]
    ax.errorbar(
        tutorial,
        rows,
        xerr=[tutorial - boot_lo, boot_hi - tutorial],
        fmt="*",
        markersize=12,
        color="#D55E00",
        markeredgecolor="#000000",
        ecolor="#000000",
        elinewidth=2.5,
        capsize=4,
        label="seed 1234, bootstrap 90%",
    )
    ax.axvline(0, color="0.5", linewidth=0.8)
    ax.set_title(LABELS[method])
    ax.set_xlabel("normalised sum of attributions")
axes[0].set_yticks(rows, names)
axes[0].invert_yaxis()
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
plt.show()
# sphinx_gallery_start_ignore
describe(
    fig,
    "For Integrated Gradients and Feature Ablation, each feature's normalised sum in "
    "every run as dots over a grey band holding the middle 90% of the runs, beside the "
    "tutorial's value as a star with its much shorter bootstrap interval.",
)
# sphinx_gallery_end_ignore

# %%
# The black bootstrap intervals are short; the dots scatter across most of the
# grey bands, and for Latitude and Longitude the bands reach across zero to
# both sides. The coordinates are raw, near 37.8 and -122.2 for these
# districts, and measured from an all-zero baseline: together they take about
# a third of a run's bars, in most runs with opposite signs, and which of the
# two is positive changes from run to run:
lat, lon = names.index("Latitude"), names.index("Longitude")
ig_bars = bars["integrated_gradients"]
lat_positive = int((ig_bars[:, lat] > 0).sum())
lon_positive = int((ig_bars[:, lon] > 0).sum())
opposite = int((np.sign(ig_bars[:, lat]) != np.sign(ig_bars[:, lon])).sum())
print(f"Integrated Gradients, {len(runs)} runs, bars positive:")
print(f"  Latitude in {lat_positive}, Longitude in {lon_positive}")
print(f"  Latitude's and Longitude's signs opposite in {opposite}")
# sphinx_gallery_start_ignore
zero_methods = ["integrated_gradients", "noise_tunnel", "deeplift", "feature_ablation"]
check(
    all(width_ratio[m].min() > 3 for m in zero_methods)
    and all(width_ratio[m].max() > 12 for m in zero_methods),
    "across training runs the interval is several times as wide as the bootstrap's, "
    "for every feature, and up to twenty times for some (IG, SmoothGrad, DeepLift, "
    "Feature Ablation)",
    ratios={m: width_ratio[m].round(1).tolist() for m in LABELS},
)
check(
    np.sum(width_ratio["gradient_shap"] < 1) >= 5
    and width_ratio["gradient_shap"].max() < 2,
    "GradientShap is the other way round: for most features its bootstrap interval is "
    "the wider one",
    ratios=width_ratio["gradient_shap"].round(2).tolist(),
)
check(
    all(spread[m][0][0, j] < 0 < spread[m][0][1, j] for m in STYLE for j in (lat, lon)),
    "for Latitude and Longitude the seeds' bands reach across zero",
)
coordinates = np.median(X_test[:, [lat, lon]].numpy(), axis=0)
coordinate_share = np.median(np.abs(ig_bars[:, lat]) + np.abs(ig_bars[:, lon]))
check(
    np.allclose(coordinates, [37.8, -122.2], atol=0.1)
    and 0.25 < coordinate_share < 0.45
    and opposite >= 0.6 * len(runs),
    "coordinates near 37.8 and -122.2; together they take about a third of a run's "
    "bars, in most runs with opposite signs",
    coordinates=coordinates,
    coordinate_share=coordinate_share,
    opposite=opposite,
)
check(
    min(lat_positive, lon_positive) >= 3 and max(lat_positive, lon_positive) <= 17,
    "which of the two is positive changes from run to run",
    lat_positive=lat_positive,
    lon_positive=lon_positive,
)
# sphinx_gallery_end_ignore

# %%
# The story is set by the training run far more than by the districts
# explained: a bootstrap over the explained rows, the usual way to put error
# bars on attributions, would suggest a precision that the model does not have.
#
# How stable is the ranking?
# --------------------------
# The tutorial ranks the features by the size of their bars. For each run, each
# feature's rank (1: the largest bar) under Integrated Gradients; each cell
# counts the runs, of 20, that gave that feature that rank.
ranks = {m: np.array([rankdata(-np.abs(b)) for b in bars[m]]) for m in LABELS}
counts = np.array(
    [
        [np.sum(ranks["integrated_gradients"][:, j] == r) for r in range(1, 9)]
        for j in range(len(names))
    ]
)
fig, ax = plt.subplots(figsize=(9.6, 4.6), layout="constrained")
image = ax.imshow(counts, cmap="cividis", vmin=0, vmax=len(runs), aspect="auto")
for j in range(len(names)):
    for r in range(8):
        ax.text(
            r,
            j,
            counts[j, r],
            ha="center",
            va="center",
            color="#000000" if counts[j, r] > len(runs) / 2 else "#FFFFFF",
        )
ax.set_xticks(range(8), [str(r) for r in range(1, 9)])
ax.set_yticks(range(len(names)), names)
ax.set_xlabel("rank under Integrated Gradients (1 = largest bar)")
fig.colorbar(image, ax=ax, label="runs")
plt.show()
# sphinx_gallery_start_ignore
describe(
    fig,
    "A grid of features against ranks 1 to 8 under Integrated Gradients, each cell "
    "counting the runs that gave the feature that rank: MedInc always in the top "
    "three, AveBedrms always seventh or last, the other features spread over many "
    "ranks.",
)
ig_ranks = ranks["integrated_gradients"]
rank_of = {name: ig_ranks[:, j] for j, name in enumerate(names)}
firsts = {name: int(np.sum(rank_of[name] == 1)) for name in names}
check(
    rank_of["MedInc"].max() <= 3
    and rank_of["AveBedrms"].min() >= 7
    and np.sum(rank_of["AveBedrms"] == 8) > len(runs) / 2
    and rank_of["AveOccup"].min() >= 5,
    "MedInc always in the top three, AveBedrms always seventh or last (last in most "
    "runs), AveOccup always in the lower half",
    ranks=ig_ranks.tolist(),
)
check(
    {name for name, n in firsts.items() if n}
    == {"MedInc", "Longitude", "Latitude", "Population"}
    and firsts["MedInc"] <= len(runs) * 0.6
    and firsts["Longitude"] >= 4,
    "MedInc comes first in about half the runs, Longitude in about a third, Latitude "
    "and Population in the rest",
    firsts=firsts,
)
check(
    np.sum(rank_of["AveRooms"] == 2) <= 5
    and np.sum((rank_of["AveRooms"] >= 3) & (rank_of["AveRooms"] <= 4)) >= 10,
    "AveRooms, the tutorial's second, is second in a few runs only, and third or "
    "fourth in most",
    aveRooms=rank_of["AveRooms"].tolist(),
)
# sphinx_gallery_end_ignore

# %%
# Under Integrated Gradients the bottom of the ranking is stable: AveBedrms is
# seventh or last in every run, and AveOccup stays in the lower half. MedInc is
# always in the top three, but the top is crowded: MedInc comes first in about
# half the runs, Longitude in about a third, Latitude and Population in the
# rest, and AveRooms, the tutorial's second, is second in a few runs only and
# third or fourth in most.
#
# Which of the tutorial's statements hold, and how often?
# -------------------------------------------------------
# The three statements of
# :ref:`sphx_glr_auto_examples_plot_03_input_attributions.py`, counted over the
# 20 runs for each method:


def holds(method):
    """For each run: MedInc and AveRooms the top two, AveBedrms last."""
    top_two = np.sort(
        ranks[method][:, [names.index("MedInc"), names.index("AveRooms")]], 1
    )
    return (
        np.all(top_two == [1, 2], axis=1),
        ranks[method][:, names.index("AveBedrms")] == 8,
    )


n = len(runs)
print(f"{'':<21}{'MedInc, AveRooms top':>22}{'AveBedrms last':>16}{'MedInc first':>14}")
tally = {}
for method, label in LABELS.items():
    top, last = holds(method)
    first = ranks[method][:, names.index("MedInc")] == 1
    tally[method] = (int(top.sum()), int(last.sum()), int(first.sum()))
    print(
        f"{label:<21}{top.sum():>17} / {n}{last.sum():>11} / {n}{first.sum():>9} / {n}"
    )

ig_dl = [
    (
        np.corrcoef(bars["integrated_gradients"][k], bars["deeplift"][k])[0, 1],
        np.abs(bars["integrated_gradients"][k] - bars["deeplift"][k]).max(),
    )
    for k in range(n)
]
close = sum(r > 0.99 and gap < 0.05 for r, gap in ig_dl)
print(f"IG and DeepLift bars correlate above 0.99 and differ by < 0.05: {close} / {n}")
print(
    f"lowest correlation {min(r for r, _ in ig_dl):.4f}, "
    f"largest difference {max(g for _, g in ig_dl):.3f}"
)
# sphinx_gallery_start_ignore
tut_rank = {m: ranks[m][tutorial_index] for m in LABELS}
check(
    all(
        tut_rank[m][names.index("MedInc")] == 1
        and tut_rank[m][names.index("AveRooms")] == 2
        for m in ["integrated_gradients", "noise_tunnel", "deeplift"]
    ),
    "the tutorial's own run has MedInc and AveRooms on top",
    tut_rank=tut_rank,
)
check(
    all(tally[m][0] <= 5 for m in zero_methods) and tally["feature_ablation"][0] == 0,
    "MedInc and AveRooms are the top two in at most a few runs under the methods that "
    "measure from zero, and in none under Feature Ablation",
    tally=tally,
)
check(
    all(tally[m][1] >= 12 for m in zero_methods) and tally["gradient_shap"][1] <= 3,
    "AveBedrms is last in most runs under the methods that measure from zero, almost "
    "never under GradientShap",
    tally=tally,
)
check(
    tally["gradient_shap"][2] >= n - 2,
    "GradientShap puts MedInc on top in nearly every run",
    tally=tally,
)
check(
    close == n,
    "IG and DeepLift give nearly identical bars in every one of the 20 runs",
    ig_dl=ig_dl,
)
# sphinx_gallery_end_ignore

# %%
# The tutorial's headline, MedInc and AveRooms on top, holds for its own run
# and for at most a few of the other 19 under the methods that measure from
# zero, and for none under Feature Ablation; the tutorial's seed happens to
# tell it, most seeds do not. AveBedrms at the bottom holds for most runs under
# those methods. GradientShap looks steadier, MedInc on top in nearly every
# run, but its bars measure something else: what remains after its
# attributions nearly cancel, which is how the test districts differ from the
# training districts on average (MedInc lower, as
# :ref:`sphx_glr_auto_examples_plot_03_input_attributions.py` showed), not how
# much a feature matters. The most robust statement is the one about the
# methods, not the data: Integrated Gradients and DeepLift give nearly
# identical bars in every one of the 20 runs.
#
# Each run is a different function of the same data, and an explanation
# explains its own function. Conclusions about which *features* matter to house
# prices need either many runs, as here, or a model less free to differ between
# them; the standardised model of
# :ref:`sphx_glr_auto_examples_plot_10_standardized.py` would be the next thing
# to test.
