"""
Inside the network: which neurons carry the prediction
======================================================

Input attributions say which features matter; layer attributions say which
neurons the prediction flows through. This example follows the tutorial's last
step: :class:`~captum.attr.LayerConductance` of the ten neurons that feed the
output layer ``lin4``, compared with the weights that connect them to the
output. You will learn how to attribute to a layer's inputs with Captum, what
conductance means for the last layer of a network (where it has an exact,
simple form), and what the tutorial's chart shows for this model, including two
of its statements that the numbers do not support.
"""

# %%
# Conductance of the last hidden layer
# ------------------------------------
# Conductance extends Integrated Gradients to hidden neurons: along the same
# straight path from the baseline (all zeros) to each input, it accumulates how
# much of the change in the output passes through each neuron. The tutorial
# attributes to the *inputs* of ``lin4``, that is the ten outputs of ``relu3``,
# the last hidden layer, with 100 integration steps.
import matplotlib.pyplot as plt
import numpy as np
import torch
from captum.attr import LayerConductance

import calhouse

split = calhouse.load_split()
X_test = split.X_test.requires_grad_()  # gradients w.r.t. the inputs, as before
model = calhouse.load_or_train_model("tutorial")

lc = LayerConductance(model, model.lin4)
lc_attr_test = lc.attribute(X_test, n_steps=100, attribute_to_layer_input=True)
lc_attr_test = lc_attr_test.detach()
print(f"conductance: {tuple(lc_attr_test.shape)} (test districts, neurons)")

# %%
# The tutorial's text calls this layer "the second linear layer", but its code
# passes ``model.lin4``, the fourth and last. The ten attributed neurons are the
# inputs of ``lin4``; the second layer, ``lin2``, has a hundred inputs.
print(f"inputs of lin4: {model.lin4.in_features}; of lin2: {model.lin2.in_features}")
# sphinx_gallery_start_ignore
from page_checks import check  # docs-only, importable during the build

check(
    lc_attr_test.shape[1] == model.lin4.in_features == 10 != model.lin2.in_features,
    "the attributed neurons are the ten inputs of lin4, not of the second linear layer",
)
# sphinx_gallery_end_ignore

# %%
# Like Integrated Gradients, conductance is complete: the conductances of a
# district's ten neurons add up to its prediction minus the prediction for the
# baseline, up to the error of the numerical integration.
with torch.no_grad():
    f_test = model(X_test).squeeze(1)
    f_zero = model(torch.zeros(1, 8)).item()
gap = float((lc_attr_test.sum(1) - (f_test - f_zero)).abs().max())
print(f"largest |sum of conductances - (f(x) - f(0))| of a district: {gap:.5f}")
# sphinx_gallery_start_ignore
check(gap < 0.01, "each district's conductances add up to f(x) - f(0)", gap=gap)
# sphinx_gallery_end_ignore

# %%
# Conductance against the weights
# -------------------------------
# The tutorial averages each neuron's conductance over the test districts and
# sets it beside the neuron's weight in ``lin4`` (the row ``lin4.weight[0]``),
# both divided by their L1 norm.
mean_conductance = lc_attr_test.mean(0)
conductance = (mean_conductance / mean_conductance.abs().sum()).numpy()
w = model.lin4.weight[0].detach()
weights = (w / w.abs().sum()).numpy()
neurons = [f"Neuron {i}" for i in range(len(weights))]
fig = calhouse.plot_grouped_bars(
    {
        "Conductance (mean over the test set)": conductance,
        "Weight in lin4": weights,
    },
    neurons,
    colors=["#D55E00", calhouse.METHOD_COLORS["weights"]],
    hatches=["//", ""],
    title="The last hidden layer: conductance and weights, each L1-normalised",
    ylabel="share",
)
plt.show()
# sphinx_gallery_thumbnail_number = 1
# sphinx_gallery_start_ignore
from page_checks import describe

describe(
    fig,
    "Bar chart of the ten neurons of the last hidden layer, each with two bars: its "
    "share of the mean conductance over the test districts and its share of the "
    "weights in lin4; neuron 0 alone carries most of the conductance, while the "
    "weights are spread far more evenly and several neurons with sizeable weights "
    "have no conductance at all.",
)
# sphinx_gallery_end_ignore

# %%
# The two rows of bars look nothing alike, and for the last layer there is an
# exact reason. ``lin4`` is linear, so the gradient of the output with respect
# to neuron *j* is simply its weight *w_j*, and the conductance of the neuron is
# that weight times the change in its activation *h_j* from the baseline to the
# input: *w_j* (*h_j(x)* - *h_j(0)*). A weight is what a neuron *could* pass on;
# conductance is what it does pass on, given how much it is excited.


def last_hidden_layer(x: torch.Tensor) -> torch.Tensor:
    """The ten outputs of relu3, the inputs of lin4, for the rows of ``x``."""
    for name in ("lin1", "relu1", "lin2", "relu2", "lin3", "relu3"):
        x = getattr(model, name)(x)
    return x


with torch.no_grad():
    hidden = last_hidden_layer(X_test)
    hidden_zero = last_hidden_layer(torch.zeros(1, 8))
exact = w * (hidden - hidden_zero)
worst = float((exact - lc_attr_test).abs().max())
print(f"largest |conductance - w_j (h_j(x) - h_j(0))|: {worst:.5f}")
# sphinx_gallery_start_ignore
check(worst < 0.01, "in the last layer, conductance = weight x activation change")
# sphinx_gallery_end_ignore

# %%
# Per neuron, the shares of the chart together with how often the neuron is
# active (its ReLU output above zero) on the test districts:
active = (hidden > 0).float().mean(0)
print(f"{'':<10}{'conductance':>12}{'weight':>9}{'active on':>11}")
for i, name in enumerate(neurons):
    print(f"{name:<10}{conductance[i]:>+12.4f}{weights[i]:>+9.4f}{active[i]:>10.0%}")

# %%
# Reading the chart
# -----------------
# **Neuron 0 carries most of the prediction.** Its conductance dwarfs the
# others', while the weights are far more even; the tutorial notes this spike,
# and it is there.
largest_weight_share = float(np.abs(weights).max())
print(f"neuron 0 carries {conductance[0]:.1%} of the conductance")
print(f"the largest weight carries {largest_weight_share:.1%} of the weights")
# sphinx_gallery_start_ignore
check(
    int(np.argmax(conductance)) == 0
    and conductance[0] > 0.5
    and conductance[0] > 3 * largest_weight_share,
    "neuron 0 carries most of the conductance, far more than any weight's share",
    conductance=conductance,
)
# sphinx_gallery_end_ignore

# %%
# **Not every neuron has a positive score.** The tutorial says all ten neurons
# have positive attributions. Here several have none at all: their conductance is
# exactly zero for every test district, because their activation is the same at
# the baseline and at the input: zero, at both ends, for every district. (A later
# example in this gallery looks at when each neuron fires.) One more has a mean
# conductance that is negative, if tiny.
zero = [i for i in range(10) if bool((lc_attr_test[:, i] == 0).all())]
negative = [i for i in range(10) if conductance[i] < 0]
print("zero for every district:", ", ".join(neurons[i] for i in zero))
shares = [f"{neurons[i]} ({conductance[i]:+.1e})" for i in negative]
print("negative on average:    ", ", ".join(shares))
# sphinx_gallery_start_ignore
check(
    len(zero) >= 3 and len(negative) == 1 and abs(conductance[negative[0]]) < 1e-3,
    "several neurons have zero conductance for every test district; one more has a "
    "mean conductance that is negative, if tiny",
    zero=zero,
    negative={i: conductance[i] for i in negative},
)
check(
    all(float(hidden[:, i].max()) == float(hidden_zero[0, i]) == 0 for i in zero),
    "the zero-conductance neurons output zero at the baseline and for every district",
)
# sphinx_gallery_end_ignore

# %%
# **Neurons 5 and 6: large weights, nothing passed on.** This statement of the
# tutorial holds: both have zero conductance, yet neuron 5 has the largest
# weight of all ten in absolute value and neuron 6 one of the larger ones. A
# large weight on a neuron that never fires is a large weight on nothing.
weight_rank = np.argsort(np.argsort(-np.abs(weights))) + 1
for i in (5, 6):
    print(
        f"Neuron {i}: weight {weights[i]:+.4f} (rank {weight_rank[i]} of 10), "
        f"conductance {conductance[i]:+.4f}"
    )
# sphinx_gallery_start_ignore
check(
    {5, 6} <= set(zero) and weight_rank[5] == 1 and weight_rank[6] <= 4,
    "neurons 5 and 6 have zero conductance but among the largest weights",
    weight_rank=weight_rank,
)
# sphinx_gallery_end_ignore

# %%
# The same lesson as the first layer's neuron 0 in the :ref:`previous example
# <sphx_glr_auto_examples_plot_03_input_attributions.py>`: weights describe the
# network, attributions describe what it does with the data it is given, and
# the two can disagree completely.
