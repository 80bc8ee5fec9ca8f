"""
Your own model, any size: attributions for a million rows
=========================================================

The tutorial's network takes eight inputs and returns one number, and the
tutorial explains a few hundred rows. Your network may take any number of
inputs and return several numbers, and your table may have millions of rows.
This example makes such a table without downloading anything, with
scikit-learn's :func:`~sklearn.datasets.make_friedman1`, trains a small
classifier on it, and explains a million rows with
:func:`calhouse.attribute_dataset`. You will learn how to fit the call to your
own model (``target=``, ``feature_names=``, ``baselines=``, ``batch_size=``,
``device=``), how to check it against plain Captum on a sample, how many
integration steps a large table needs, and what the attributions say about the
function behind the data.
"""

# %%
# A table anyone can make
# -----------------------
# :func:`~sklearn.datasets.make_friedman1` draws ten inputs uniformly from
# [0, 1] and computes::
#
#     y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)**2 + 10 x4 + 5 x5 + noise
#
# so that x6 to x10 do not enter at all. To give the network several outputs,
# as many readers' networks have, it classifies each row into three bands of
# y: low, middle and high, cut at the thirds of the training targets. We make
# 3,000 rows to train on, 1,000 to test on, and, separately, the table to
# explain: a million rows, any number would do.
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import torch
from captum.attr import IntegratedGradients
from sklearn.datasets import make_friedman1
from torch import nn

import calhouse

names = [f"x{j}" for j in range(1, 11)]
bands = ["low", "middle", "high"]
X, y = make_friedman1(n_samples=4_000, noise=1.0, random_state=0)
cuts = np.quantile(y[:3_000], [1 / 3, 2 / 3])
X = torch.tensor(X, dtype=torch.float32)
labels = torch.tensor(np.digitize(y, cuts))
X_train, y_train, X_test, y_test = X[:3_000], labels[:3_000], X[3_000:], labels[3_000:]

table, _ = make_friedman1(n_samples=1_000_000, noise=1.0, random_state=1)
table = torch.tensor(table, dtype=torch.float32)
print(f"bands of y: low < {cuts[0]:.2f} <= middle < {cuts[1]:.2f} <= high")
print(f"table to explain: {tuple(table.shape)}, {table.nbytes / 2**20:.0f} MiB")

# %%
# Your network: ten inputs, three outputs
# ---------------------------------------
# Any :class:`torch.nn.Module` that maps rows to rows will do; this one is
# narrower and shallower than the tutorial's (two hidden layers of 32 and 16
# ReLU units), with ten inputs and one output, a score, per band. 150
# iterations of full-batch :class:`~torch.optim.LBFGS` on all 3,000 training
# rows at once fit it, on one thread: a network this small gains nothing from
# more.
torch.manual_seed(0)
net = nn.Sequential(
    nn.Linear(10, 32),
    nn.ReLU(),
    nn.Linear(32, 16),
    nn.ReLU(),
    nn.Linear(16, 3),
)
optimizer = torch.optim.LBFGS(
    net.parameters(), max_iter=150, history_size=20, line_search_fn="strong_wolfe"
)


def closure():
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(net(X_train), y_train)
    loss.backward()
    return loss


threads = torch.get_num_threads()
torch.set_num_threads(1)
try:
    optimizer.step(closure)
finally:
    torch.set_num_threads(threads)
net.eval()
with torch.no_grad():
    accuracy = (net(X_test).argmax(1) == y_test).float().mean().item()
print(f"test accuracy {accuracy:.1%} (guessing one band: about 33%)")
# sphinx_gallery_start_ignore
from page_checks import check, describe

check(
    accuracy > 0.8, "the network puts most test rows in their band", accuracy=accuracy
)
# sphinx_gallery_end_ignore

# %%
# The network puts more than four test rows in five in their band; its
# mistakes are rows near the cuts, where the noise decides.
#
# Plain Captum on a sample, and the same call on the whole table
# --------------------------------------------------------------
# Integrated Gradients explains how a row's output differs from a baseline's.
# Here the baseline is the average training row, the middle of the cube, so an
# attribution says how much an input moves a row away from the average row.
# A network with several outputs needs ``target=``, the output to explain: an
# int explains that output for every row; one per row (a tensor, or a list)
# explains each row's own, here the band the network chose for it, as one
# usually explains a classifier.
#
# On a sample of 1,000 rows, plain Captum's
# :class:`~captum.attr.IntegratedGradients` and
# :func:`calhouse.attribute_dataset` get the same arguments. The engine also
# takes ``feature_names=``, which its error messages use, and
# ``batch_size=``, the rows per chunk; 300 does not divide 1,000, and the
# result does not depend on it.
baseline = X_train.mean(0)
sample = table[:1_000]
with torch.no_grad():
    sample_band = net(sample).argmax(1)

ig = IntegratedGradients(net)
differences = {}
for target in (sample_band, 2):
    plain = ig.attribute(
        sample.clone().requires_grad_(),
        baselines=baseline[None],
        target=target,
        n_steps=50,
    ).detach()
    ours = calhouse.attribute_dataset(
        net,
        sample,
        "integrated_gradients",
        baselines=baseline,
        target=target,
        n_steps=50,
        feature_names=names,
        batch_size=300,
    )
    what = "each row's band" if isinstance(target, torch.Tensor) else "target=2 (high)"
    differences[what] = ((ours - plain).abs().max() / plain.abs().max()).item()
    print(f"{what:<16} largest difference, relative to the largest value ", end="")
    print(f"{differences[what]:.0e}")
# sphinx_gallery_start_ignore
check(
    len(differences) == 2 and max(differences.values()) < 1e-5,
    "The same numbers, with either form of target",
    differences=differences,
)
# sphinx_gallery_end_ignore

# %%
# The same numbers, with either form of ``target``, up to the rounding of
# float32 arithmetic done in another order.
#
# Mistakes are caught before the work
# -----------------------------------
# A call that does not fit the model or the table fails at once, with a
# message that says what was expected and what came, in the names of your
# columns: here, forgetting ``target=``, and a missing value in x5.
with_gap = sample.clone()
with_gap[7, 4] = float("nan")
messages = []
for rows, target in [(sample, None), (with_gap, sample_band)]:
    try:
        calhouse.attribute_dataset(
            net, rows, "integrated_gradients", target=target, feature_names=names
        )
    except ValueError as error:
        messages.append(str(error))
        print(textwrap.fill(f"ValueError: {error}", 88), end="\n\n")
# sphinx_gallery_start_ignore
check(
    len(messages) == 2 and "target" in messages[0] and "x5" in messages[1],
    "a message that says what was expected and what came, in the names of your columns",
    messages=messages,
)
# sphinx_gallery_end_ignore

# %%
# How many steps does a large table need?
# ---------------------------------------
# Integrated Gradients integrates the gradient along the straight path from
# the baseline to the row, with ``n_steps`` points (Captum's default is 50):
# each step is one evaluation of the network for every row. The attributions
# of a row add up to its output minus the baseline's, up to the error of that
# integral, which is how to see what fewer steps cost. We compare 5 to 50
# steps on the sample: the gap of each row's sum, and how far the mean
# absolute attribution of each input moves from its value at 50 steps.
with torch.no_grad():
    chosen = net(sample).gather(1, sample_band[:, None]).squeeze(1)
    difference_from_baseline = chosen - net(baseline[None])[0, sample_band]
by_steps = {
    n_steps: calhouse.attribute_dataset(
        net,
        sample,
        "integrated_gradients",
        baselines=baseline,
        target=sample_band,
        n_steps=n_steps,
    )
    for n_steps in (5, 10, 20, 50)
}
summary_50 = by_steps[50].abs().mean(0)
print("steps  median gap  99th percentile gap  largest change of a mean |attribution|")
gaps, moves = {}, {}
for n_steps, attributions in by_steps.items():
    gap = (attributions.sum(1) - difference_from_baseline).abs()
    moves[n_steps] = ((attributions.abs().mean(0) - summary_50).abs().max()).item()
    gaps[n_steps] = (gap.median().item(), gap.quantile(0.99).item())
    print(f"{n_steps:>5}{gaps[n_steps][0]:>12.3f}{gaps[n_steps][1]:>21.3f}", end="")
    print(f"{moves[n_steps] / summary_50.max().item():>39.1%}")
typical = difference_from_baseline.abs().median().item()
print(f"median |output - baseline's output|: {typical:.2f}")
# sphinx_gallery_start_ignore
check(
    gaps[10][0] < 0.02 * typical and moves[10] < 0.01 * summary_50.max(),
    "with 10 steps, the typical row's sum is off by less than 2% of what it explains, "
    "and "
    "the mean attribution of no input moves by 1% of the largest",
    gaps=gaps,
    moves=moves,
    typical=typical,
)
from gallery_hooks import MAX_SECONDS

check(MAX_SECONDS == 30, "30 seconds for the whole example", MAX_SECONDS=MAX_SECONDS)
check(
    gaps[10][1] > gaps[50][1] * 2,
    "a few rows' sums are off by much more [with 10 steps than with 50]",
    gaps=gaps,
)
# sphinx_gallery_end_ignore

# %%
# Fewer steps cost accuracy row by row, but hardly move the averages: with 10
# steps, the typical row's sum is off by less than 2% of what it explains, a
# few rows' by much more, and the mean attribution of no input moves by 1% of
# the largest. A million rows at Captum's 50 steps are 50 million evaluations
# of the network; to keep this page's build short (30 seconds for the whole
# example), the table below, whose averages we read, gets 10. For a single
# row's explanation, check its gap, and take more steps where it is large.
#
# A million rows
# --------------
# The rows' bands come from the network, a chunk of rows at a time so that
# its activations stay small. The call is the sample's, with three
# differences: 10 steps; a progress bar (``progress=True``; by default one
# shows only on a terminal, and this page's went to the log of its build);
# and ``device=``, where the network runs, here a GPU if there is one. The
# engine moves the rows there a chunk at a time and returns the attributions
# on the CPU. Its working memory is a chunk per thread, whatever the number of
# rows; ``batch_size=`` makes the chunks larger, which a GPU may need to be
# kept busy.
device = "cuda" if torch.cuda.is_available() else "cpu"
with torch.no_grad():
    band = torch.cat([net(rows).argmax(1) for rows in table.split(100_000)])
# sphinx_gallery_start_ignore
# The bar's rate and times differ from run to run: in the build it goes to the
# build's log (the process's own stderr), so that the page stays the same.
import sys
import time

page_stderr, sys.stderr = sys.stderr, sys.__stderr__
started = time.perf_counter()
# sphinx_gallery_end_ignore
attributions = calhouse.attribute_dataset(
    net,
    table,
    "integrated_gradients",
    baselines=baseline,
    target=band,
    n_steps=10,
    feature_names=names,
    device=device,
    progress=True,
)
# sphinx_gallery_start_ignore
seconds = time.perf_counter() - started
sys.stderr = page_stderr
rate = f"{len(table) / seconds:,.0f} rows/s"
print(f"plot_16: {len(table):,} rows in {seconds:.1f} s, {rate}", file=sys.__stderr__)
# sphinx_gallery_end_ignore
print(f"{len(table) * 10:,} network evaluations")
print(f"attributions: {tuple(attributions.shape)}, {attributions.dtype}")
counts = torch.bincount(band, minlength=3)
print(
    "rows by band:",
    ", ".join(f"{b} {n:,}" for b, n in zip(bands, counts.tolist(), strict=True)),
)
# sphinx_gallery_start_ignore
check(
    attributions.shape == table.shape and torch.isfinite(attributions).all(),
    "attributions for a million rows",
)
# sphinx_gallery_end_ignore

# %%
# What the attributions say about the function
# --------------------------------------------
# The mean absolute attribution of each input says how much the network relies
# on it. The bars are drawn per band, since each row is explained for the band
# the network chose.
by_band = {bands[b]: attributions[band == b].abs().mean(0).numpy() for b in range(3)}
fig = calhouse.plot_grouped_bars(
    by_band,
    names,
    colors=["#0072B2", "#E69F00", "#009E73"],
    hatches=["", "//", ".."],
    title="Mean |attribution| over a million rows, by the band the network chose",
    ylabel="mean |attribution| (score)",
)
plt.show()
# sphinx_gallery_thumbnail_number = 1
overall = attributions.abs().mean(0)
share_unused = (overall[5:].sum() / overall.sum()).item()
with torch.no_grad():
    baseline_band = bands[net(baseline[None]).argmax().item()]
print(f"x6..x10 together: {share_unused:.1%} of the total mean |attribution|")
print(f"x4 / x5: {overall[3] / overall[4]:.2f}")
print(f"the average row's band: {baseline_band}")
# sphinx_gallery_start_ignore
describe(
    fig,
    "Grouped bars of the mean absolute attribution of x1 to x10 for the rows of each "
    "predicted band: x1 to x5 have tall bars for the low and high bands, x6 to x10 "
    "barely any; every bar of the middle band is short.",
)
outer = [by_band["low"], by_band["high"]]
check(
    overall[5:].max() < 0.1 * overall[:5].min()
    and share_unused < 0.1
    and all(v[5:].max() < 0.1 * v[:5].min() for v in outer),
    "x1 to x5 carry nearly all of it; x6 to x10, which do not enter the function, get "
    "a few percent [in the low and high bands and overall]",
    overall=overall.tolist(),
    share_unused=share_unused,
)
check(
    1.5 < overall[3] / overall[4] < 2.5,
    "x4 gets about twice as much as x5, as 10 x4 is twice 5 x5",
    ratio=(overall[3] / overall[4]).item(),
)
check(
    baseline_band == "middle"
    and by_band["middle"].max() < 0.5 * min(v[:5].min() for v in outer),
    "every attribution to the middle band is small: the average row is itself in the "
    "middle band",
    by_band={k: v.tolist() for k, v in by_band.items()},
)
# sphinx_gallery_end_ignore

# %%
# x1 to x5 carry nearly all of it; x6 to x10, which do not enter the
# function, get a few percent: the network, fitted to noisy targets, is not
# exactly the function. x4 gets about twice as much as x5, as its term, 10 x4,
# is twice 5 x5. Every attribution to the middle band is small: the average
# row, the baseline, is itself in the middle band, so a row's middle score
# differs little from the baseline's, and there is little to share out.
# Attributions explain a difference from the baseline, never an output alone.
#
# For this ranking a million rows were not needed: as the numbers below show,
# the first 1,000 rows give nearly the same means. The whole table is for what
# needs every row: storing each prediction with its explanation, or finding
# the rare rows explained differently from the rest.
first_rows = attributions[:1_000].abs().mean(0)
sample_error = ((first_rows - overall).abs() / overall)[:5].max().item()
same_top = set(first_rows.argsort()[5:].tolist()) == set(range(5))
print(f"the first 1,000 rows put x1..x5 on top: {same_top}")
print(f"their means of x1..x5 differ from all rows' by at most {sample_error:.0%}")
# sphinx_gallery_start_ignore
check(
    same_top and sample_error < 0.1,
    "the first 1,000 rows give nearly the same means",
    sample_error=sample_error,
)
# sphinx_gallery_end_ignore

# %%
# The shape of each term
# ----------------------
# Each row's attribution, plotted against the input's value, shows how the
# network responds to that input. For the rows the network puts in the high
# band, here are x3, whose term is a parabola around 0.5, x4, a straight line,
# and x6, absent from the function.
high = torch.nonzero(band == 2).squeeze(1)[:3_000]
fig, axes = plt.subplots(1, 3, figsize=(9.6, 3.6), sharey=True, layout="constrained")
terms = {2: "20 (x3 - 0.5)²", 3: "10 x4", 5: "x6: not in y"}
for ax, (j, term) in zip(axes, terms.items(), strict=True):
    ax.scatter(table[high, j], attributions[high, j], s=4, color="#0072B2")
    ax.axhline(0, color="black", lw=0.8)
    ax.set(xlabel=names[j], title=term)
axes[0].set_ylabel("attribution to the high band")
plt.show()


def correlation(a, b):
    return torch.corrcoef(torch.stack([a, b]))[0, 1].item()


x3_parabola = correlation((table[high, 2] - 0.5) ** 2, attributions[high, 2])
x4_line = correlation(table[high, 3], attributions[high, 3])
x6_size = (
    attributions[high, 5].abs().mean() / attributions[high, 3].abs().mean()
).item()
print(f"correlation of x3's attribution with (x3 - 0.5)**2: {x3_parabola:.2f}")
print(f"correlation of x4's attribution with x4: {x4_line:.2f}")
print(f"mean |attribution| of x6 / of x4: {x6_size:.2f}")
# sphinx_gallery_start_ignore
describe(
    fig,
    "Three scatter plots of attribution against input value for rows in the high band: "
    "x3's forms a U around 0.5, x4's rises along a line, x6's stays near zero.",
)
check(
    x3_parabola > 0.8 and x4_line > 0.9 and x6_size < 0.1,
    "x3's attributions trace the parabola, x4's the line, and x6's stay near zero",
    x3_parabola=x3_parabola,
    x4_line=x4_line,
    x6_size=x6_size,
)
# sphinx_gallery_end_ignore

# %%
# x3's attributions trace the parabola, x4's the line, and x6's stay near
# zero: read row by row, the attributions recover the shape of each term of
# the function the network learnt, from nothing but the network.
