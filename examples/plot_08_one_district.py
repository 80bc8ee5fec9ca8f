"""
One district: from the baseline's prediction to this one, feature by feature
============================================================================

The tutorial only looks at attributions summed over the test set. An
attribution is first of all a local explanation, though: for one district it
splits the difference between the model's prediction and the prediction for
the baseline into one share per feature. You will learn to draw that split as a
waterfall, to check that the steps add up (completeness), and to compare four
of Captum's methods on the same prediction:
:class:`~captum.attr.IntegratedGradients`, :class:`~captum.attr.DeepLift`,
:class:`~captum.attr.FeatureAblation` and
:class:`~captum.attr.ShapleyValueSampling`.
"""

# %%
# The district
# ------------
# We pick the test district with the highest predicted value. The inputs
# require gradients from the start, so that Captum need not switch them on and
# warn; DeepLift's notice that it hooks the ReLU modules is expected and
# silenced. ShapleyValueSampling draws random feature orders from torch's
# generator, seeded here.
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from captum.attr import (
    DeepLift,
    FeatureAblation,
    IntegratedGradients,
    ShapleyValueSampling,
)

import calhouse

warnings.filterwarnings(
    "ignore",
    message="Setting forward, backward hooks",
    category=UserWarning,
)
torch.manual_seed(0)

split = calhouse.load_split()
model = calhouse.load_or_train_model("tutorial")
names = calhouse.FEATURE_NAMES

with torch.no_grad():
    predictions = model(split.X_test).squeeze(1)
row = int(predictions.argmax())
x = split.X_test[row : row + 1].clone().requires_grad_()
average = split.X_train.mean(0, keepdim=True)  # the average training district

actual = split.y_test[row, 0].item()
print(f"test district {row}: predicted {predictions[row]:.3f}, actual {actual:.3f}")
print(f"{'feature':<11} {'district':>10} {'training mean':>14}")
for j, name in enumerate(names):
    print(f"{name:<11} {x[0, j].item():>10.2f} {average[0, j].item():>14.2f}")
income_ratio = (x[0, 0] / average[0, 0]).item()
print(f"median income: {income_ratio:.2f} times the training average")
# sphinx_gallery_start_ignore
from page_checks import check

check(
    2.3 < income_ratio < 2.7 and x[0, 2] > 1.5 * average[0, 2],
    "A rich district (its median income is two and a half times the training average) "
    "with large houses",
    income_ratio=income_ratio,
    rooms=x[0, 2].item(),
)
check(
    abs(actual - 5.00001) < 1e-5 and predictions[row] < actual,
    "Its actual value is the census' cap of $500,001; the model predicts less",
    actual=actual,
    predicted=predictions[row].item(),
)
# sphinx_gallery_end_ignore

# %%
# A rich district (its median income is two and a half times the training
# average) with large houses. Its actual value is the census' cap of $500,001;
# the model predicts less, as it must for a district whose true value lies
# above the cap.
#
# From the average district to this one
# -------------------------------------
# We explain the prediction relative to the average training district, so each
# attribution answers: how much does this feature move the prediction away from
# that of an average district? Integrated Gradients with 200 steps, and its
# convergence delta to check the sum.
ig = IntegratedGradients(model)
attribution, delta = ig.attribute(
    x,
    baselines=average,
    n_steps=200,
    return_convergence_delta=True,
)
with torch.no_grad():
    start, output = model(average).item(), model(x).item()


# %%
# A waterfall draws the split: it starts at the baseline's prediction and adds
# one feature's attribution at a time, largest first. The function is short
# enough to adapt; the values of the steps sit in a column on the right, clear
# of the bars and of the two vertical lines.
def largest_first(attribution):
    """The features and their attributions for one row, largest in size first."""
    pairs = zip(names, attribution.detach().reshape(-1).tolist(), strict=True)
    return dict(sorted(pairs, key=lambda pair: -abs(pair[1])))


def plot_waterfall(steps, start, output, title):
    """Draw the steps from f(baseline) to f(x): one bar per feature, in order."""
    values = np.array(list(steps.values()))
    before = start + np.cumsum(values) - values  # the running total before each step
    rows = np.arange(len(values))
    height = 0.45 * len(values) + 2.2
    fig, ax = plt.subplots(figsize=(9.6, height), layout="constrained")
    up = values >= 0
    ax.barh(
        rows[up],
        values[up],
        left=before[up],
        color="#0072B2",
        label="raises the prediction",
    )
    ax.barh(
        rows[~up],
        values[~up],
        left=before[~up],
        color="#D55E00",
        hatch="//",
        edgecolor="white",
        label="lowers it",
    )
    ax.axvline(start, color="grey", linestyle=":", label=f"f(baseline) = {start:.3f}")
    ax.axvline(output, color="black", linestyle="--", label=f"f(x) = {output:.3f}")
    ends = np.concatenate([[start, output], before, before + values])
    pad = 0.05 * (ends.max() - ends.min())
    ax.set_xlim(ends.min() - pad, ends.max() + pad)
    ax.set_yticks(rows, list(steps))
    ax.set_ylim(len(values) - 0.5, -0.5)
    right = ax.secondary_yaxis("right")  # the step values, as a column of labels
    right.set_yticks(rows, [f"{v:+.3f}" if abs(v) >= 5e-4 else "0.000" for v in values])
    right.tick_params(length=0)
    ax.set_xlabel("model output ($100,000)")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(title)
    fig.legend(loc="outside lower center", ncols=4)
    return fig


steps = largest_first(attribution)
fig = plot_waterfall(
    steps, start, output, f"Test district {row}: Integrated Gradients from the average"
)
plt.show()
# sphinx_gallery_thumbnail_number = 1
# sphinx_gallery_start_ignore
from page_checks import describe

describe(
    fig,
    f"Waterfall of test district {row}: from the average district's prediction of "
    f"{start:.2f} the bars step to {output:.2f}, MedInc adding by far the most and "
    "AveRooms most of the rest, while Latitude and Longitude add nothing.",
)
# sphinx_gallery_end_ignore

# %%
# The waterfall starts at the prediction for the average district (dotted
# line), adds one feature at a time, largest first, and should end at the
# district's own prediction (dashed line). Income does most of the work:
# MedInc alone lifts the prediction by more than all the other features
# together, and AveRooms adds most of the rest. The location features add
# nothing, as everywhere on this model with a data-based baseline.
share = {name: value / (output - start) for name, value in steps.items()}
total = start + sum(steps.values())
print(f"f(average) = {start:.4f}, steps end at {total:.4f}, f(x) = {output:.4f}")
medinc, rooms = share["MedInc"], share["AveRooms"]
print(f"shares of f(x) - f(average): MedInc {medinc:.0%}, AveRooms {rooms:.0%}")
# sphinx_gallery_start_ignore
others = sum(value for name, value in steps.items() if name != "MedInc")
check(
    list(steps)[:2] == ["MedInc", "AveRooms"]
    and steps["MedInc"] > others
    and steps["AveRooms"] > 0.5 * others,
    "MedInc alone lifts the prediction by more than all the other features together, "
    "and AveRooms adds most of the rest",
    steps=steps,
)
test_set = ig.attribute(
    split.X_test.clone().requires_grad_(), baselines=average
).detach()
location = (test_set[:, 6:].abs().sum(1) / test_set.abs().sum(1)).max().item()
check(
    max(abs(share["Latitude"]), abs(share["Longitude"])) < 1e-3 and location < 5e-3,
    "The location features add nothing, as everywhere on this model with a data-based baseline",
    share=share,
    largest_location_share_in_the_test_set=location,
)
# sphinx_gallery_end_ignore

# %%
# Do the steps add up?
# --------------------
# The steps end within a thousandth of the prediction: the attributions are
# *complete*, up to the numerical integration, and the gap is exactly Captum's
# convergence delta with its sign turned.
residual = output - total
print(f"left unexplained: {residual:+.4f} (Captum's delta: {delta.item():+.4f})")
# sphinx_gallery_start_ignore
check(
    abs(residual) < 1e-3 * abs(output - start) and abs(residual + delta.item()) < 1e-5,
    "The steps end within a thousandth of the prediction, and the gap is exactly "
    "Captum's convergence delta with its sign turned",
    residual=residual,
    delta=delta.item(),
)
# sphinx_gallery_end_ignore

# %%
# Four methods, one prediction
# ----------------------------
# Other methods split the same difference differently. DeepLift propagates it
# backwards through the network with its own rules. Feature Ablation replaces
# one feature at a time by its average value and records the change.
# ShapleyValueSampling averages that change over random orders in which the
# features are replaced (200 orders here): it estimates Shapley values, which
# add up by construction. The model returns its predictions as a column, of
# shape ``(n, 1)``; ``target=0`` tells ShapleyValueSampling to explain that
# column (without it, the attributions come back with an extra axis).
shapley = ShapleyValueSampling(model)
methods = {
    "IG": attribution.detach(),
    "DeepLift": DeepLift(model).attribute(x, baselines=average).detach(),
    "Ablation": FeatureAblation(model).attribute(x, baselines=average).detach(),
    "Shapley": shapley.attribute(x, average, target=0, n_samples=200).detach(),
}
print(f"{'':<11}" + "".join(f"{name:>10}" for name in methods))
for j, name in enumerate(names):
    row_values = [a[0, j].item() for a in methods.values()]
    print(f"{name:<11}" + "".join(f"{value:>+10.3f}" for value in row_values))
print(f"{'sum':<11}" + "".join(f"{a.sum().item():>+10.3f}" for a in methods.values()))
print(f"f(x) - f(average) = {output - start:+.3f}")
gaps = {name: a.sum().item() - (output - start) for name, a in methods.items()}
# sphinx_gallery_start_ignore
top_two = {
    method: [names[j] for j in np.argsort(-a[0].abs().numpy())[:2]]
    for method, a in methods.items()
}
small = [
    a[0, names.index(name)].item()
    for a in methods.values()
    for name in ("HouseAge", "Population")
]
check(
    all(top == ["MedInc", "AveRooms"] for top in top_two.values()),
    "All four agree on the story: MedInc first, AveRooms second",
    top_two=top_two,
)
check(
    all(0 < v < 0.15 * (output - start) for v in small),
    "small amounts for HouseAge and Population",
    small=small,
)
check(
    abs(gaps["DeepLift"]) < 1e-4
    and abs(gaps["Shapley"]) < 1e-4
    and abs(gaps["IG"]) < 1e-3 * (output - start),
    "DeepLift and Shapley sampling add up exactly, and Integrated Gradients within its small delta",
    gaps=gaps,
)
check(
    gaps["Ablation"] > 0.05 * (output - start),
    "Feature Ablation does not [add up]: together they overshoot the difference",
    gaps=gaps,
)
# sphinx_gallery_end_ignore

# %%
# All four agree on the story: MedInc first, AveRooms second, small amounts for
# HouseAge and Population. DeepLift and Shapley sampling add up exactly, and
# Integrated Gradients within its small delta. Feature Ablation does not: each
# of its numbers measures one feature's effect while all the others keep this
# district's values, and because the model's features interact, those effects
# overlap; together they overshoot the difference. Its numbers answer "what if
# only this feature were average?", which is a different question from "how do
# we share out the difference?".
#
# Same district, zero baseline
# ----------------------------
# The tutorial's zero baseline tells another story about the very same
# prediction.
zero = torch.zeros(1, len(names))
zero_steps = largest_first(ig.attribute(x, baselines=zero, n_steps=200))
with torch.no_grad():
    zero_start = model(zero).item()
fig = plot_waterfall(
    zero_steps, zero_start, output, f"Test district {row}, from the all-zero input"
)
plt.show()
# sphinx_gallery_start_ignore
describe(
    fig,
    f"Waterfall of the same district from the all-zero input: it starts below zero, at "
    f"{zero_start:.2f}, MedInc's step is far larger and Longitude's is a large negative "
    "step.",
)
# sphinx_gallery_end_ignore

# %%
# The waterfall now starts below zero, at the price of the all-zero district,
# and MedInc's step is far larger. Longitude appears as a large negative step,
# and HouseAge and Population take several times their steps from the average
# district: these numbers measure the difference between this district and a
# point in the ocean, not between this district and its neighbours.
print(f"{'step':<11} {'from the average':>17} {'from zero':>10}")
for name in names:
    print(f"{name:<11} {steps[name]:>+17.3f} {zero_steps[name]:>+10.3f}")
rank = list(zero_steps).index("Longitude") + 1
print(f"from zero, Longitude's step ranks {rank} of {len(names)} in size")
# sphinx_gallery_start_ignore
check(
    zero_start < 0 and rank <= 3 and zero_steps["Longitude"] < -0.5,
    "The waterfall now starts below zero, and Longitude appears as a large negative step",
    zero_start=zero_start,
    zero_steps=zero_steps,
)
check(
    zero_steps["MedInc"] > 1.5 * steps["MedInc"]
    and all(
        zero_steps[name] > 4 * steps[name] > 0 for name in ("HouseAge", "Population")
    ),
    "MedInc's step is far larger, and HouseAge and Population take several times their "
    "steps from the average district",
    zero_steps=zero_steps,
    steps=steps,
)
# sphinx_gallery_end_ignore
