"""
One district: from the baseline's prediction to this one, feature by feature
============================================================================

The tutorial only looks at attributions summed over the test set. An
attribution is first of all a local explanation, though: for one district it
splits the difference between the model's prediction and the prediction for
the baseline into one share per feature. You will learn to draw that split as a
waterfall with :func:`calhouse.contributions` and :func:`calhouse.plot_waterfall`,
to check that the steps add up (completeness), and to compare four of Captum's
methods on the same prediction: :class:`~captum.attr.IntegratedGradients`,
:class:`~captum.attr.DeepLift`, :class:`~captum.attr.FeatureAblation` and
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

import torch
from captum.attr import DeepLift, FeatureAblation, IntegratedGradients, ShapleyValueSampling

import calhouse

warnings.filterwarnings("ignore", message="Setting forward, backward hooks", category=UserWarning)
torch.manual_seed(0)

split = calhouse.load_split()
model = calhouse.load_or_train_model("tutorial")
names = calhouse.FEATURE_NAMES

with torch.no_grad():
    predictions = model(split.X_test).squeeze(1)
row = int(predictions.argmax())
x = split.X_test[row : row + 1].clone().requires_grad_()
average = calhouse.make_baselines(split.X_train, ["mean"])["mean"]

print(f"test district {row}: predicted {predictions[row]:.3f}, actual {split.y_test[row, 0]:.3f}")
print(f"{'feature':<11} {'district':>10} {'training mean':>14}")
for j, name in enumerate(names):
    print(f"{name:<11} {x[0, j].item():>10.2f} {average[0, j].item():>14.2f}")
income_ratio = (x[0, 0] / average[0, 0]).item()
calhouse.claim(
    2.3 < income_ratio < 2.7 and x[0, 2] > 1.5 * average[0, 2],
    "its median income is about two and a half times the training average, and its houses large",
    income_ratio=income_ratio,
)
calhouse.claim(
    abs(split.y_test[row, 0].item() - 5.00001) < 1e-5 and predictions[row] < split.y_test[row, 0],
    "its actual value sits at the census' cap of $500,001, and the model predicts less",
)

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
attribution, delta = ig.attribute(x, baselines=average, n_steps=200, return_convergence_delta=True)
with torch.no_grad():
    start, output = model(average).item(), model(x).item()
steps = calhouse.contributions(attribution, start, output)
fig = calhouse.plot_waterfall(
    steps, title=f"Test district {row}, Integrated Gradients from the average district"
)

# %%
# The waterfall starts at the prediction for the average district (grey dashed
# line), adds one feature at a time, largest first, and should end at the
# district's own prediction (black dashed line). Income does most of the work:
# MedInc alone lifts the prediction by more than all the other features
# together, and AveRooms adds most of the rest. The location features add
# nothing, as everywhere on this model with a data-based baseline.
share = {name: v / (output - start) for name, v in zip(steps.features, steps.values, strict=True)}
print(f"f(average) = {steps.start:.4f}, steps end at {steps.total:.4f}, f(x) = {steps.output:.4f}")
print(f"left unexplained: {steps.residual:+.4f} (Captum's delta: {delta.item():+.4f})")
calhouse.claim(
    steps.features[:2] == ("MedInc", "AveRooms") and share["MedInc"] > 0.5,
    "MedInc lifts the prediction by more than all other features together, AveRooms is second",
    share=share,
)
calhouse.claim(
    max(abs(share["Latitude"]), abs(share["Longitude"])) < 1e-3,
    "the location features add nothing",
    share=share,
)

# %%
# Do the steps add up?
# --------------------
# The steps end within a thousandth of the prediction: the attributions are
# *complete*, up to the numerical integration, and the gap is exactly Captum's
# convergence delta with its sign turned.
calhouse.claim(
    abs(steps.residual) < 1e-3 * abs(output - start) and abs(steps.residual + delta.item()) < 1e-5,
    "the steps end within a thousandth of the prediction, and the gap is the negated delta",
    residual=steps.residual,
    delta=delta.item(),
)

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
methods = {
    "IG": attribution.detach(),
    "DeepLift": DeepLift(model).attribute(x, baselines=average).detach(),
    "Ablation": FeatureAblation(model).attribute(x, baselines=average).detach(),
    "Shapley": ShapleyValueSampling(model)
    .attribute(x, baselines=average, target=0, n_samples=200)
    .detach(),
}
print(f"{'':<11}" + "".join(f"{name:>10}" for name in methods))
for j, name in enumerate(names):
    print(f"{name:<11}" + "".join(f"{a[0, j].item():>+10.3f}" for a in methods.values()))
print(f"{'sum':<11}" + "".join(f"{a.sum().item():>+10.3f}" for a in methods.values()))
print(f"f(x) - f(average) = {output - start:+.3f}")

gaps = {name: a.sum().item() - (output - start) for name, a in methods.items()}
calhouse.claim(
    abs(gaps["DeepLift"]) < 1e-4 and abs(gaps["Shapley"]) < 1e-4,
    "DeepLift and Shapley sampling add up exactly",
    gaps=gaps,
)
calhouse.claim(
    gaps["Ablation"] > 0.05 * (output - start),
    "Feature Ablation's steps overshoot by more than 5%",
    gaps=gaps,
)
calhouse.claim(
    all(calhouse.rank_features(a[0].abs())[:2] == ["MedInc", "AveRooms"] for a in methods.values()),
    "all four methods rank MedInc first and AveRooms second for this district",
)

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
baseline = torch.zeros(1, len(names))
zero_attribution = ig.attribute(x, baselines=baseline, n_steps=200)
with torch.no_grad():
    zero_start = model(baseline).item()
zero_steps = calhouse.contributions(zero_attribution, zero_start, output)
fig = calhouse.plot_waterfall(zero_steps, title=f"Test district {row}, from the all-zero input")

# %%
# The waterfall now starts below zero, at the price of the all-zero district,
# and MedInc's step is far larger. Longitude appears as a large negative step,
# and HouseAge and Population take several times their steps from the average
# district: these numbers measure the difference between this district and a
# point in the ocean, not between this district and its neighbours.
zero_rank = dict(zip(zero_steps.features, range(1, len(names) + 1), strict=True))
longitude = zero_steps.values[zero_steps.features.index("Longitude")]
print(f"Longitude from zero: {longitude:+.3f}, rank {zero_rank['Longitude']} by size")
calhouse.claim(
    zero_start < 0 and zero_rank["Longitude"] <= 3 and longitude < 0,
    "from zero the waterfall starts below zero and Longitude is among the three largest steps, "
    "negative",
    zero_start=zero_start,
    zero_rank=zero_rank,
)
from_zero = dict(zip(zero_steps.features, zero_steps.values, strict=True))
from_mean = dict(zip(steps.features, steps.values, strict=True))
calhouse.claim(
    from_zero["MedInc"] > 1.5 * from_mean["MedInc"]
    and all(from_zero[name] > 4 * from_mean[name] > 0 for name in ("HouseAge", "Population")),
    "MedInc's step is far larger from zero, HouseAge's and Population's several times larger",
    from_zero=from_zero,
    from_mean=from_mean,
)

# sphinx_gallery_thumbnail_number = 1
