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
X_test = split.X_test.requires_grad_()  # gradients with respect to the inputs, as before
model = calhouse.load_or_train_model("tutorial")

lc = LayerConductance(model, model.lin4)
lc_attr_test = lc.attribute(X_test, n_steps=100, attribute_to_layer_input=True)
lc_attr_test = lc_attr_test.detach()
print(f"conductance: {tuple(lc_attr_test.shape)} (test districts, neurons)")

# %%
# The tutorial's text calls this layer "the second linear layer", but its code
# passes ``model.lin4``, the fourth and last. The ten attributed neurons are the
# inputs of ``lin4``; the second layer, ``lin2``, has a hundred inputs.
print(f"lin4 takes {model.lin4.in_features} inputs; lin2 takes {model.lin2.in_features}")
calhouse.claim(
    lc_attr_test.shape[1] == model.lin4.in_features == 10 != model.lin2.in_features,
    "the attributed neurons are the ten inputs of lin4, not of the second linear layer",
)

# %%
# Like Integrated Gradients, conductance is complete: the conductances of a
# district's ten neurons add up to its prediction minus the prediction for the
# baseline, up to the error of the numerical integration.
with torch.no_grad():
    f_test = model(X_test).squeeze(1)
    f_zero = model(torch.zeros(1, 8)).item()
gap = float((lc_attr_test.sum(1) - (f_test - f_zero)).abs().max())
print(f"largest |sum of conductances - (f(x) - f(0))| over the test districts: {gap:.5f}")
calhouse.claim(gap < 0.01, "each district's conductances add up to f(x) - f(0)", gap=gap)

# %%
# Conductance against the weights
# -------------------------------
# The tutorial averages each neuron's conductance over the test districts and
# sets it beside the neuron's weight in ``lin4``, both divided by their L1 norm.
# :func:`calhouse.last_layer_weights` returns the normalised ``lin4.weight[0]``.
conductance = calhouse.l1_normalize(lc_attr_test.mean(0))
weights = calhouse.last_layer_weights(model)
neurons = [f"Neuron {i}" for i in range(len(weights))]
fig = calhouse.plot_grouped_bars(
    {
        "Conductance (mean over the test set)": conductance,
        "Weight in lin4": weights,
    },
    neurons,
    colors=["#d62728", "#2ca02c"],
    title="The last hidden layer: conductance and weights, each L1-normalised",
    ylabel="share",
)
plt.show()
# sphinx_gallery_thumbnail_number = 1

# %%
# The two rows of bars look nothing alike, and for the last layer there is an
# exact reason. ``lin4`` is linear, so the gradient of the output with respect
# to neuron *j* is simply its weight *w_j*, and the conductance of the neuron is
# that weight times the change in its activation *h_j* from the baseline to the
# input: *w_j* (*h_j(x)* - *h_j(0)*). A weight is what a neuron *could* pass on;
# conductance is what it does pass on, given how much it is excited.


def last_hidden_layer(x: torch.Tensor) -> torch.Tensor:
    """The ten outputs of relu3, the inputs of lin4, for the rows of ``x``."""
    for layer in (model.lin1, model.relu1, model.lin2, model.relu2, model.lin3, model.relu3):
        x = layer(x)
    return x


with torch.no_grad():
    hidden = last_hidden_layer(X_test)
    hidden_zero = last_hidden_layer(torch.zeros(1, 8))
w = model.lin4.weight[0].detach()
exact = w * (hidden - hidden_zero)
worst = float((exact - lc_attr_test).abs().max())
print(f"largest |conductance - w_j (h_j(x) - h_j(0))|: {worst:.5f}")
calhouse.claim(worst < 0.01, "in the last layer, conductance = weight x activation change")

# %%
# Per neuron, the shares of the chart together with how often the neuron is
# active (its ReLU output above zero) on the test districts:
active = (hidden > 0).float().mean(0)
print(f"{'':<10}{'conductance':>12}{'weight':>9}{'active on':>11}")
for i, name in enumerate(neurons):
    print(f"{name:<10}{conductance[i]:>+12.4f}{weights[i]:>+9.4f}{active[i]:>10.0%}")

zero = [i for i in range(10) if bool((lc_attr_test[:, i] == 0).all())]
calhouse.claim(
    len(zero) >= 3, "several neurons have zero conductance for every district", zero=zero
)

# %%
# Reading the chart
# -----------------
# **Neuron 0 carries most of the prediction.** Its conductance dwarfs the
# others', while the weights are far more even; the tutorial notes this spike,
# and it is there.
largest_weight_share = float(np.abs(weights).max())
print(f"neuron 0 carries {conductance[0]:.1%} of the conductance")
print(f"the largest weight carries {largest_weight_share:.1%} of the weights")
calhouse.claim(
    int(np.argmax(conductance)) == 0
    and conductance[0] > 0.5
    and conductance[0] > 3 * largest_weight_share,
    "neuron 0 carries most of the conductance, far more than any weight's share",
    conductance=conductance,
)

# %%
# **Not every neuron has a positive score.** The tutorial says all ten neurons
# have positive attributions. Here several have none at all: their conductance is
# exactly zero for every test district, because their activation is the same at
# the baseline and at the input: zero, at both ends, for every district. (A later
# example in this gallery looks at when each neuron fires.) One more has a mean
# conductance that is negative, if tiny.
negative = [i for i in range(10) if conductance[i] < 0]
print(f"zero for every district: {', '.join(neurons[i] for i in zero)}")
print(
    "negative on average:    ", ", ".join(f"{neurons[i]} ({conductance[i]:+.1e})" for i in negative)
)
calhouse.claim(
    not all(conductance > 0) and len(negative) >= 1,
    "not all neurons have positive conductance: several are zero, one is negative",
    negative=negative,
)
calhouse.claim(
    all(float(hidden[:, i].max()) == float(hidden_zero[0, i]) == 0 for i in zero),
    "the zero-conductance neurons output zero at the baseline and at every test district",
)

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
calhouse.claim(
    {5, 6} <= set(zero) and weight_rank[5] == 1 and weight_rank[6] <= 4,
    "neurons 5 and 6 have zero conductance but among the largest weights",
    weight_rank=weight_rank,
)

# %%
# The same lesson as the first layer's neuron 0 in the :ref:`previous example
# <sphx_glr_auto_examples_plot_03_input_attributions.py>`: weights describe the
# network, attributions describe what it does with the data it is given, and
# the two can disagree completely.
