"""
The data: California districts and what their houses are worth
===============================================================

Every explanation in this gallery explains a model of the California housing
data, so we begin with the data itself. You will learn what the eight features
measure, which 600 districts the Captum tutorial keeps and how it splits them
into training and test sets, and how each feature relates to the price on its
own: the tutorial's grid of scatter plots, one per feature, each with its fitted
straight line.

:func:`calhouse.load_california` returns the data exactly as scikit-learn's
:func:`~sklearn.datasets.fetch_california_housing` does (or reads a local copy
of the original file, see :doc:`/data`), and :func:`calhouse.load_split` cuts
the tutorial's training and test sets from it.
"""

# %%
# Eight numbers per district
# --------------------------
# Each row of the data is a census block group, the smallest area for which the
# 1990 US census published sample data; we call it a district, as scikit-learn
# does. Eight features describe it, and the target is the median value of its
# houses in units of $100,000. :data:`calhouse.data.FEATURE_DESCRIPTIONS` says
# what each feature measures.
import matplotlib.pyplot as plt
import numpy as np

import calhouse

data = calhouse.load_california()
source = (
    "scikit-learn"
    if data.source == "scikit-learn"
    else "the local file in CALHOUSE_DATA"
)
print(f"{len(data.X):,} districts, {data.X.shape[1]} features, read from {source}")
print(f"fingerprint of the arrays (sha256): {data.sha256}\n")
for name in data.feature_names:
    print(f"{name:<11} {calhouse.data.FEATURE_DESCRIPTIONS[name]}")
print(
    f"{calhouse.TARGET_NAME:<11} median house value, in units of $100,000 (the target)"
)

# %%
# The fingerprint is computed from the arrays, not from the file, so it is the
# same whichever source supplied them: a reader with scikit-learn's download
# and this page's build, which reads the original StatLib file, work on
# identical numbers.
#
# The tutorial's 600 districts
# ----------------------------
# The tutorial keeps only the first 600 rows, to train quickly. The rows are not
# in random order: the file lists districts by place, so the first 600 are
# neighbours. The printout below shows how small an area they cover.
X, y = data.X[:600], data.y[:600]
lat, lon = X[:, 6], X[:, 7]
km_north = (lat.max() - lat.min()) * 111.2
km_east = (lon.max() - lon.min()) * 111.2 * np.cos(np.radians(lat.mean()))
print(f"latitude  {lat.min():.2f} to {lat.max():.2f} degrees north: {km_north:.0f} km")
print(f"longitude {lon.min():.2f} to {lon.max():.2f} degrees east:  {km_east:.0f} km")
all_lat = data.X[:, 6]
print(
    f"(all {len(data.X):,} districts: latitude {all_lat.min():.2f} to {all_lat.max():.2f})"
)
# sphinx_gallery_start_ignore
from page_checks import check, describe  # docs-only helper, importable during the build

check(
    km_north < 50 and km_east < 50,
    "the first 600 districts lie in one patch a few tens of kilometres across",
    km_north=km_north,
    km_east=km_east,
)
towns = {"Oakland": (37.80, -122.27), "Berkeley": (37.87, -122.27)}
inside = [
    lat.min() < n < lat.max() and lon.min() < e < lon.max() for n, e in towns.values()
]
check(all(inside), "All 600 districts lie around Oakland and Berkeley", inside=inside)
# sphinx_gallery_end_ignore

# %%
# All 600 districts lie around Oakland and Berkeley, on the east side of San
# Francisco Bay. The model of this gallery never sees the rest of the state, so
# whatever it learns about Latitude and Longitude is about position within
# that patch, not across California.
#
# Here is the range of every feature over these 600 districts.
print(f"{'feature':<11} {'min':>9} {'median':>9} {'max':>9}")
for i, name in enumerate(data.feature_names):
    low, mid, high = np.percentile(X[:, i], [0, 50, 100])
    print(f"{name:<11} {low:>9.2f} {mid:>9.2f} {high:>9.2f}")
low, mid, high = np.percentile(y, [0, 50, 100])
print(f"{calhouse.TARGET_NAME:<11} {low:>9.2f} {mid:>9.2f} {high:>9.2f}")
# sphinx_gallery_start_ignore
check(
    X[:, 4].max() > 1000 and X[:, 3].max() < 2,
    "Population runs into the thousands while AveBedrms stays near one",
    max_population=X[:, 4].max(),
    max_avebedrms=X[:, 3].max(),
)
# sphinx_gallery_end_ignore

# %%
# The scales differ enormously: Population runs into the thousands while
# AveBedrms stays near one. The tutorial feeds these raw values to its network
# unscaled, and that choice comes back in every later example.
#
# Training and test sets
# ----------------------
# :func:`calhouse.load_split` takes the first 600 rows and splits them 70/30
# with scikit-learn's :func:`~sklearn.model_selection.train_test_split` and
# ``random_state=0``, exactly as the tutorial does, returning float32 tensors
# ready for the network. The targets are column vectors, the shape the loss
# function expects.
split = calhouse.load_split()
print(f"X_train {tuple(split.X_train.shape)}, y_train {tuple(split.y_train.shape)}")
print(f"X_test  {tuple(split.X_test.shape)}, y_test  {tuple(split.y_test.shape)}")
print(f"dtype {split.X_train.dtype}; fingerprint of the split: {split.sha256}")

# %%
# Each feature against the price
# -------------------------------
# The tutorial looks at the target against each feature, with a least-squares
# straight line through the points (dashed, vermilion). The figure adds the Pearson
# correlation ``r`` of each feature with the price, and uses the ninth panel,
# which the tutorial leaves empty, for the distribution of the price itself.
fig, axes = plt.subplots(3, 3, figsize=(9.6, 7.65), sharey=True, layout="constrained")
for i, (ax, name) in enumerate(zip(axes.flat, data.feature_names, strict=False)):
    x = X[:, i]
    slope, intercept = np.polyfit(x, y, 1)
    ends = np.array([x.min(), x.max()])
    ax.scatter(x, y, s=5, alpha=0.45, color="#0072B2", linewidths=0)
    ax.plot(ends, slope * ends + intercept, "--", color="#D55E00", linewidth=1.5)
    ax.set_title(name)
    ax.text(
        0.97,
        0.95,
        f"r = {np.corrcoef(x, y)[0, 1]:+.2f}",
        transform=ax.transAxes,
        ha="right",
        va="top",
        bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8, "linewidth": 0},
    )
for ax in axes[:, 0]:
    ax.set_ylabel(calhouse.TARGET_NAME)
# The ninth panel: the price's distribution, along the same axis as the scatters.
axes[2, 2].hist(y, bins=30, orientation="horizontal", color="#999999")
axes[2, 2].set_title(f"{calhouse.TARGET_NAME} (distribution)")
axes[2, 2].set_xlabel("districts")
# sphinx_gallery_start_ignore
describe(
    fig,
    "Eight scatter plots of the median house value against each feature for the "
    "tutorial's 600 districts, each with a dashed least-squares line and its "
    "correlation r; MedInc rises most steeply; a ninth panel shows the price's "
    "distribution, with a bar at the cap of 5.",
)
# sphinx_gallery_end_ignore
plt.show()
# sphinx_gallery_thumbnail_number = 1

# %%
# Median income (MedInc) goes with the price more closely than anything else,
# and the average number of rooms (AveRooms) comes second; both lines rise. The
# correlations, strongest first:
r = {name: np.corrcoef(X[:, i], y)[0, 1] for i, name in enumerate(data.feature_names)}
ranked = sorted(r, key=lambda name: -abs(r[name]))
for name in ranked:
    print(f"{name:<11} r = {r[name]:+.3f}")
# sphinx_gallery_start_ignore
check(
    ranked[:2] == ["MedInc", "AveRooms"] and r["MedInc"] > 0 and r["AveRooms"] > 0,
    "MedInc goes with the price more closely than anything else, AveRooms comes second; "
    "both lines rise",
    r=r,
)
# sphinx_gallery_end_ignore

# %%
# Two features are capped in the census file, and the figure shows both caps.
# House values stop at $500,001 (5.00001 in these units): the row of points
# along the top of every panel, and the small bar at the top of the price's
# distribution. The median house age stops at 52 years, and a large part of
# the tutorial's districts sit exactly there, which is one reason why HouseAge
# shows almost no straight-line relation with the price.
capped_price = int((y == y.max()).sum())
capped_age = int((X[:, 1] == 52).sum())
print(f"price at the cap {y.max():.5f}: {capped_price} districts")
print(f"HouseAge at the cap of 52 years: {capped_age} of {len(X)} districts")
# sphinx_gallery_start_ignore
check(
    y.max() == 5.00001 and capped_price > 1,
    "House values stop at $500,001 (5.00001 in these units): the row of points along the top",
    capped_price=capped_price,
)
check(
    X[:, 1].max() == 52 and capped_age > 0.25 * len(X) and abs(r["HouseAge"]) < 0.1,
    "a large part of the tutorial's districts sit exactly at 52 years, and HouseAge shows "
    "almost no straight-line relation with the price",
    capped_age=capped_age,
    r=r["HouseAge"],
)
# sphinx_gallery_end_ignore

# %%
# A scatter plot shows one feature at a time. The network of the next example
# sees all eight together, and the attribution methods that follow ask how much
# each of them contributes to its predictions: :ref:`the model and its training
# <sphx_glr_auto_examples_plot_02_model_training.py>`.
