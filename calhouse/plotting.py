"""Figures of the gallery: the last step of data -> model -> training -> attribution -> plots.

Each function draws one figure with matplotlib and returns it; the examples show
the figures, the tests check what is drawn. Colours of the attribution methods are
the tutorial's, so the charts can be compared with it side by side.
"""

from __future__ import annotations

__all__ = ["METHOD_COLORS"]

#: The tutorial's bar colours, by method key of :data:`calhouse.METHODS` (plus weights).
METHOD_COLORS: dict[str, str] = {
    "integrated_gradients": "#eb5e7c",
    "noise_tunnel": "#A90000",
    "deeplift": "#34b8e0",
    "gradient_shap": "#4260f5",
    "feature_ablation": "#49ba81",
    "weights": "grey",
}
