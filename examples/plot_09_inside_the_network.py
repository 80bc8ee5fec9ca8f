"""
Inside the network: dead neurons, layer attributions and one neuron's inputs
============================================================================

The tutorial's last chart gives the conductance of the ten neurons that feed
the output layer ``lin4``, and several of them get exactly zero. It does not say
why. This example looks inside the network to find out. You will learn to
record what a layer outputs with :class:`~captum.attr.LayerActivation`, to
attribute the prediction to a hidden layer's units with
:class:`~captum.attr.LayerIntegratedGradients` and
:class:`~captum.attr.LayerConductance`, and to trace one hidden neuron back to
the input features that drive it with :class:`~captum.attr.NeuronConductance`.
(The tutorial imports ``LayerActivation`` and ``LayerIntegratedGradients`` but
never uses them.)
"""

# %%
# Which neurons of ``relu3`` ever fire?
# -------------------------------------
# ``relu3`` is the ReLU after ``lin3``: its ten outputs are the inputs of
# ``lin4``, the neurons whose conductance the tutorial plots. A ReLU unit either
# passes a positive value or outputs exactly zero; a unit that outputs zero for
# every district never contributes anything. :class:`~captum.attr.LayerActivation`
# records the layer's output for every test district. Next to it we compute the
# tutorial's conductance of the same ten neurons (``LayerConductance`` on the
# inputs of ``lin4``, 100 steps from the all-zero baseline). The inputs require
# gradients from the start, so Captum need not switch them on and warn.
import matplotlib.pyplot as plt
import numpy as np
import torch
from captum.attr import (
    IntegratedGradients,
    LayerActivation,
    LayerConductance,
    LayerIntegratedGradients,
    NeuronConductance,
)

import calhouse

split = calhouse.load_split()
model = calhouse.load_or_train_model("tutorial")
X = split.X_test.clone().requires_grad_()
names = calhouse.FEATURE_NAMES

activations = LayerActivation(model, model.relu3).attribute(X).detach()
conductance = (
    LayerConductance(model, model.lin4)
    .attribute(X, n_steps=100, attribute_to_layer_input=True)
    .detach()
)
fires = (activations > 0).float().mean(0)
total = conductance.sum(0)
never = [k for k in range(10) if fires[k] == 0]
zero = [k for k in range(10) if bool((conductance[:, k] == 0).all())]
print(f"{'neuron':>6} {'fires on':>9} {'conductance':>12}")
for k in range(10):
    print(f"{k:>6} {fires[k].item():>9.0%} {total[k].item():>12.4f}")
print(f"never fire on a test district: {never}")
print(f"exactly zero conductance:      {zero}")

# %%
# Two bar charts side by side show it: how often each neuron fires, and its
# summed conductance. The neurons that never fire are marked "never".
neurons = np.arange(10)
fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.8), layout="constrained")
left.bar(neurons, 100 * fires, color="#0072B2")
right.bar(neurons, total, color="#0072B2")
vertical = {"rotation": 90, "ha": "center", "va": "bottom"}
for ax in (left, right):
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(neurons)
    ax.set_xlabel("neuron of relu3")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    for k in never:
        ax.annotate("never", (k, 0), (0, 4), textcoords="offset points", **vertical)
left.set(ylim=(0, 105), ylabel="test districts where it fires (%)", title="Activity")
right.set(ylabel="summed conductance", title="Conductance (the tutorial's chart)")
plt.show()
# sphinx_gallery_thumbnail_number = 1
# sphinx_gallery_start_ignore
from page_checks import check, describe

describe(
    fig,
    "Two bar charts of relu3's ten neurons: neuron 0 fires on every test district and "
    "carries most of the conductance, neurons 2 and 3 fire on about two thirds, and six "
    "neurons never fire and conduct nothing or almost nothing.",
)
check(
    len(never) == 6 and sum(bool(0 < f < 0.01) for f in fires) == 1,
    "Six of the ten neurons never fire on any of the 180 test districts, and one more "
    "fires on a single district",
    fires=fires.tolist(),
)
check(
    fires[0] == 1
    and total[0] > 0.7 * total.abs().sum()
    and all(0.5 < fires[k] < 0.8 for k in (2, 3)),
    "neuron 0 fires on every district and carries most of the conductance, neurons 2 "
    "and 3 fire on about two thirds of them",
    fires=fires.tolist(),
    total=total.tolist(),
)
check(
    len(zero) == 4 and set(zero) <= set(never),
    "Four of the six silent neurons have exactly zero conductance",
    zero=zero,
    never=never,
)
# sphinx_gallery_end_ignore

# %%
# Six of the ten neurons never fire on any of the 180 test districts (marked
# "never"), and one more fires on a single district. Only three do the work:
# neuron 0 fires on every district and carries most of the conductance,
# neurons 2 and 3 fire on about two thirds of them. Four of the six silent
# neurons have exactly zero conductance. That explains the tutorial's zero bars:
# they belong to neurons that are dead on this data.
#
# Why not all six?
# ----------------
# Conductance is not measured at the district alone: like Integrated
# Gradients, it integrates along the straight path from the baseline (all
# zeros) to the district. A neuron that stays silent at every district can
# still fire somewhere on those paths, for instance near the all-zero input,
# and then it conducts. We record ``relu3`` at 101 points along every path,
# the baseline included.
alphas = torch.linspace(0, 1, 101)
path = (alphas[:, None, None] * split.X_test[None]).reshape(-1, len(names))
on_path = (LayerActivation(model, model.relu3).attribute(path) > 0).any(0)
dead_on_paths = [k for k in range(10) if not on_path[k]]
at_zero = LayerActivation(model, model.relu3).attribute(torch.zeros(1, len(names)))[0]
print(f"never fire anywhere on the paths: {dead_on_paths}")
print(f"fire at the all-zero baseline: {[k for k in range(10) if at_zero[k] > 0]}")
others = sorted(set(never) - set(zero))
print(f"conductance of the other silent neurons {others}:", end=" ")
print(", ".join(f"{total[k].item():.4f}" for k in others))
# sphinx_gallery_start_ignore
check(
    dead_on_paths == zero,
    "The neurons with exactly zero conductance are exactly those that never fire "
    "anywhere between the baseline and a district",
    dead_on_paths=dead_on_paths,
    zero=zero,
)
check(
    len(others) == 2 and all(on_path[k] for k in others) and at_zero[9] > 0,
    "The two others are silent at every district but fire on the way there; neuron 9 "
    "even fires at the all-zero input itself",
    others=others,
    at_zero=at_zero.tolist(),
)
check(
    all(0 < abs(total[k]) < 0.01 * total[0] for k in others),
    "Their conductance is small but not zero",
    others={k: total[k].item() for k in others},
)
# sphinx_gallery_end_ignore

# %%
# The neurons with exactly zero conductance are exactly those that never fire
# anywhere between the baseline and a district. The two others are silent at
# every district but fire on the way there; neuron 9 even fires at the all-zero
# input itself. Their conductance is small but not zero, and it describes the
# journey from an input that no district resembles (see
# :ref:`sphx_glr_auto_examples_plot_05_baselines.py`). The first two hidden
# layers have many silent units too:
silent_counts = {}
for layer in ("relu1", "relu2"):
    out = LayerActivation(model, getattr(model, layer)).attribute(X).detach()
    silent_counts[layer] = int(((out > 0).sum(0) == 0).sum())
    count, units = silent_counts[layer], out.shape[1]
    print(f"{layer}: {count} of {units} units never fire on a test district")
# sphinx_gallery_start_ignore
check(
    0.25 < silent_counts["relu1"] / 100 < 1 / 3 and silent_counts["relu2"] / 50 > 1 / 3,
    "Almost a third of the first layer's units and more than a third of the second's "
    "never fire on this data",
    silent_counts=silent_counts,
)
# sphinx_gallery_end_ignore

# %%
# Almost a third of the first layer's units and more than a third of the
# second's never fire on this data.
# :ref:`sphx_glr_auto_examples_plot_10_standardized.py` counts them again in
# the model trained on standardised inputs.
#
# Attributing to a layer: ``LayerIntegratedGradients`` on ``lin1``
# -----------------------------------------------------------------
# :class:`~captum.attr.LayerIntegratedGradients` runs Integrated Gradients with
# a hidden layer's outputs as the "features": here the 100 outputs of the first
# linear layer. Its attributions for a district still add up to
# ``f(x) - f(0)``, now spread over 100 hidden units instead of 8 inputs. Asked
# for the layer's *input* instead (``attribute_to_layer_input=True``), it is
# plain Integrated Gradients on the 8 features, since ``lin1`` receives them
# directly.
lig = LayerIntegratedGradients(model, model.lin1)
hidden = lig.attribute(X, n_steps=50).detach()
inputs = lig.attribute(X, n_steps=50, attribute_to_layer_input=True).detach()
plain = IntegratedGradients(model).attribute(X, n_steps=50).detach()
sums_gap = (hidden.sum(1) - plain.sum(1)).abs().max().item()
inputs_gap = (inputs - plain).abs().max().item()
print(f"hidden attributions: {tuple(hidden.shape)}")
print(f"largest difference of the row sums, layer vs inputs: {sums_gap:.1e}")
print(f"on lin1's input, vs IntegratedGradients: {inputs_gap:.1e}")
# sphinx_gallery_start_ignore
check(
    sums_gap < 1e-4 and inputs_gap < 1e-5,
    "Its attributions for a district still add up to f(x) - f(0); on the layer's input "
    "it is plain Integrated Gradients",
    sums_gap=sums_gap,
    inputs_gap=inputs_gap,
)
# sphinx_gallery_end_ignore

# %%
# How is the attribution shared among the 100 units? The bars give each unit's
# share of the total absolute attribution, largest first, and the line their
# running total.
magnitude = hidden.abs().sum(0)
shares = 100 * magnitude.sort(descending=True).values / magnitude.sum()
running = torch.cumsum(shares, 0)
half = int((running < 50).sum()) + 1
ninety = int((running < 90).sum()) + 1
silent_units = (hidden == 0).all(0)
silent = int(silent_units.sum())
print(f"{half} units carry half of the total, {ninety} carry 90%, {silent} get zero")

ranks = np.arange(1, len(shares) + 1)
fig, ax = plt.subplots(figsize=(9.6, 3.8), layout="constrained")
ax.bar(ranks, shares, color="#0072B2", width=0.85, label="share of one unit")
ax.set(xlabel="units of lin1, largest share first", ylabel="share of the total (%)")
ax.set_xlim(0.3, len(shares) + 0.7)
ax.set_title("lin1's 100 units: share of the total absolute attribution")
twin = ax.twinx()
twin.plot(ranks, running, color="black", label="running total")
for pct, rank in ((50, half), (90, ninety)):
    point = (rank, running[rank - 1].item())
    twin.plot(*point, "o", color="#D55E00", markersize=7)
    twin.annotate(f"{pct}%: {rank} units", point, (8, -14), textcoords="offset points")
twin.set(ylim=(0, 105), ylabel="running total (%)")
handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
ax.legend(handles=handles, loc="center right")
ax.grid(True, axis="y", alpha=0.3)
plt.show()
# sphinx_gallery_start_ignore
dead_at_districts = (LayerActivation(model, model.relu1).attribute(X) <= 0).all(0)
describe(
    fig,
    f"Bars of the 100 units of lin1 sorted by their share of the absolute attribution, "
    f"with a running-total line that passes 50% at {half} units and 90% at {ninety}; "
    f"the last {silent} units get nothing.",
)
check(
    8 <= half <= 15 and 25 <= ninety <= 45 and silent > 12,
    "about a tenth of them carry half of the total, about a third carry 90%, and more "
    "than a dozen get nothing at all",
    half=half,
    ninety=ninety,
    silent=silent,
)
check(
    bool(dead_at_districts[silent_units].all()),
    "Those are all among the units of relu1 that never fire on a test district",
    silent=silent,
    dead=int(dead_at_districts.sum()),
)
# sphinx_gallery_end_ignore

# %%
# The attribution concentrates on a minority of the 100 units: about a tenth of
# them carry half of the total, about a third carry 90%, and more than a dozen
# get nothing at all. Those are all among the units of ``relu1`` that never
# fire on a test district, the same story as in ``relu3``.
#
# One neuron's inputs: ``NeuronConductance``
# ------------------------------------------
# Neuron 0 of ``relu3`` carries most of the conductance. Which input features
# feed it? :class:`~captum.attr.NeuronConductance` splits the conductance of
# one neuron over the 8 inputs, district by district. We compare the share of
# each feature in it with its share in the whole model's Integrated Gradients
# (both by mean absolute value, both from the zero baseline).
top = int(total.abs().argmax())
neuron = (
    NeuronConductance(model, model.lin4)
    .attribute(X, neuron_selector=top, n_steps=100, attribute_to_neuron_input=True)
    .detach()
)
neuron_share = neuron.abs().mean(0) / neuron.abs().mean(0).sum()
model_share = plain.abs().mean(0) / plain.abs().mean(0).sum()
gap = abs(neuron.sum().item() / total[top].item() - 1)
print(f"neuron {top}: its input conductances sum to its conductance within {gap:.1%}")
for name, a, b in zip(names, neuron_share, model_share, strict=True):
    print(f"{name:<11} neuron {a:>6.1%}   model {b:>6.1%}")

fig = calhouse.plot_grouped_bars(
    {
        f"neuron {top} of relu3 (NeuronConductance)": neuron_share,
        "whole model (Integrated Gradients)": model_share,
    },
    names,
    colors=["#E69F00", calhouse.METHOD_COLORS["integrated_gradients"]],
    hatches=["//", ""],
    title=f"What feeds neuron {top}",
    ylabel="share of mean |attribution|",
    legend=False,
)
fig.legend(loc="outside upper center", ncols=2)
plt.show()
# sphinx_gallery_start_ignore
neuron_ranking = [names[j] for j in np.argsort(-neuron_share.numpy())]
largest_raw = [names[j] for j in np.argsort(-split.X_test.abs().mean(0).numpy())]
describe(
    fig,
    f"Grouped bars of each feature's share in neuron {top}'s conductance and in the whole "
    "model's Integrated Gradients: the neuron is fed mostly by Population and Longitude, "
    "while the whole model leans most on MedInc.",
)
check(
    top == 0 and gap < 0.02,
    "The neuron's input conductances add up to its conductance in the tutorial's chart, "
    "within about a percent",
    top=top,
    gap=gap,
)
check(
    set(neuron_ranking[:2]) == {"Population", "Longitude"}
    and neuron_ranking[2] == "MedInc"
    and neuron_share[0] < model_share[0]
    and names[int(model_share.argmax())] == "MedInc"
    and set(largest_raw[:2]) == {"Population", "Longitude"},
    "Neuron 0 is fed above all by Population and Longitude, the two features with the "
    "largest raw values, and MedInc, the model's most "
    "important feature overall, comes only third for it, with a smaller share than in the "
    "whole model",
    neuron_ranking=neuron_ranking,
    model_share=model_share.tolist(),
)
check(
    0.2 < neuron_share[names.index("Longitude")] < 0.3,
    "a quarter of what this neuron carries is booked to Longitude",
    share=neuron_share[names.index("Longitude")].item(),
)
# sphinx_gallery_end_ignore

# %%
# The neuron's input conductances add up to its conductance in the tutorial's
# chart, within about a percent (the two are integrated separately). Neuron 0 is
# fed above all by Population and Longitude, the two features with the largest
# raw values, and MedInc, the model's most important feature overall, comes
# only third for it, with a smaller share than in the whole model. Measured
# from the all-zero baseline, a quarter of what this neuron carries is booked
# to Longitude, the attribution that
# :ref:`sphx_glr_auto_examples_plot_05_baselines.py` showed to be an artefact of
# that baseline.
