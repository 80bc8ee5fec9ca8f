"""Write the small intersphinx inventories that let the docs link to other projects offline.

The docs build runs without network, so intersphinx cannot download the
``objects.inv`` of Python, NumPy, SciPy, PyTorch, scikit-learn, matplotlib, Captum
and SHAP.
Instead this script writes, for each of them, an inventory that lists only the
objects these docs refer to, with the address of their real documentation
page. ``docs/conf.py`` points ``intersphinx_mapping`` at these files, so links
resolve to the projects' public documentation with no download.

To link to another external object, add it to ``INVENTORIES`` below and run::

    python docs/_inventories/make_inventories.py

The output is deterministic (sorted, fixed zlib level), so an unchanged table
rewrites identical files; a test checks that the committed files are up to date.
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

# project key -> (project name, version, {name: (domain:role, page#anchor)}); several
# space-separated roles list the object under each of them.
# Pages are relative to the project's documentation root, given in docs/conf.py.
INVENTORIES: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = {
    "python": (
        "Python",
        "3",
        {
            "None": ("py:data", "library/constants.html#None"),
            "True": ("py:data", "library/constants.html#True"),
            "False": ("py:data", "library/constants.html#False"),
            "str": ("py:class", "library/stdtypes.html#str"),
            "int": ("py:class", "library/functions.html#int"),
            "float": ("py:class", "library/functions.html#float"),
            "bool": ("py:class", "library/functions.html#bool"),
            "dict": ("py:class", "library/stdtypes.html#dict"),
            "list": ("py:class", "library/stdtypes.html#list"),
            "tuple": ("py:class", "library/stdtypes.html#tuple"),
            "object": ("py:class", "library/functions.html#object"),
            "type": ("py:class", "library/functions.html#type"),
            "callable": ("py:function", "library/functions.html#callable"),
            "print": ("py:function", "library/functions.html#print"),
            "math.fsum": ("py:function", "library/math.html#math.fsum"),
            "ValueError": ("py:exception", "library/exceptions.html#ValueError"),
            "TypeError": ("py:exception", "library/exceptions.html#TypeError"),
            "KeyError": ("py:exception", "library/exceptions.html#KeyError"),
            "AssertionError": ("py:exception", "library/exceptions.html#AssertionError"),
            "FileExistsError": ("py:exception", "library/exceptions.html#FileExistsError"),
            "FileNotFoundError": ("py:exception", "library/exceptions.html#FileNotFoundError"),
            "os.PathLike": ("py:class", "library/os.html#os.PathLike"),
            "pathlib.Path": ("py:class", "library/pathlib.html#pathlib.Path"),
            "collections.abc.Callable": (
                "py:class",
                "library/collections.abc.html#collections.abc.Callable",
            ),
            "collections.abc.Mapping": (
                "py:class",
                "library/collections.abc.html#collections.abc.Mapping",
            ),
            "collections.abc.Sequence": (
                "py:class",
                "library/collections.abc.html#collections.abc.Sequence",
            ),
            "contextlib.contextmanager": (
                "py:function",
                "library/contextlib.html#contextlib.contextmanager",
            ),
            "collections.namedtuple": (
                "py:function",
                "library/collections.html#collections.namedtuple",
            ),
            "bltin-boolean-values": ("std:label", "library/stdtypes.html#bltin-boolean-values"),
            "iterable": ("std:term", "glossary.html#term-iterable"),
            "sequence": ("std:term", "glossary.html#term-sequence"),
            "mapping": ("std:term", "glossary.html#term-mapping"),
            "generator": ("std:term", "glossary.html#term-generator"),
            "path-like object": ("std:term", "glossary.html#term-path-like-object"),
        },
    ),
    "numpy": (
        "NumPy",
        "2",
        {
            "numpy": ("py:module", "reference/index.html#module-numpy"),
            "numpy.ndarray": ("py:class", "reference/generated/numpy.ndarray.html#numpy.ndarray"),
            "numpy.random.RandomState": (
                "py:class",
                "reference/random/legacy.html#numpy.random.RandomState",
            ),
            "numpy.random.seed": (
                "py:function",
                "reference/random/generated/numpy.random.seed.html#numpy.random.seed",
            ),
            "numpy.random.default_rng": (
                "py:function",
                "reference/random/generator.html#numpy.random.default_rng",
            ),
            "numpy.random.Generator.integers": (
                "py:method",
                "reference/random/generated/numpy.random.Generator.integers.html"
                + "#numpy.random.Generator.integers",
            ),
            "numpy.polyfit": (
                "py:function",
                "reference/generated/numpy.polyfit.html#numpy.polyfit",
            ),
            "numpy.corrcoef": (
                "py:function",
                "reference/generated/numpy.corrcoef.html#numpy.corrcoef",
            ),
            "numpy.percentile": (
                "py:function",
                "reference/generated/numpy.percentile.html#numpy.percentile",
            ),
            "numpy.argsort": (
                "py:function",
                "reference/generated/numpy.argsort.html#numpy.argsort",
            ),
            "numpy.median": ("py:function", "reference/generated/numpy.median.html#numpy.median"),
            "numpy.mean": ("py:function", "reference/generated/numpy.mean.html#numpy.mean"),
            "numpy.cumsum": ("py:function", "reference/generated/numpy.cumsum.html#numpy.cumsum"),
            "numpy.linalg.norm": (
                "py:function",
                "reference/generated/numpy.linalg.norm.html#numpy.linalg.norm",
            ),
            "numpy.inf": ("py:data", "reference/constants.html#numpy.inf"),
            "numpy.nan": ("py:data", "reference/constants.html#numpy.nan"),
            "array_like": ("std:term", "glossary.html#term-array_like"),
            "arrays.scalars": ("std:label", "reference/arrays.scalars.html#arrays-scalars"),
        },
    ),
    "torch": (
        "PyTorch",
        "2",
        {
            "torch.Tensor": ("py:class", "tensors.html#torch.Tensor"),
            "torch.Tensor.requires_grad_": (
                "py:method",
                "generated/torch.Tensor.requires_grad_.html#torch.Tensor.requires_grad_",
            ),
            "torch.Tensor.detach": (
                "py:method",
                "generated/torch.Tensor.detach.html#torch.Tensor.detach",
            ),
            "torch.device": ("py:class", "tensor_attributes.html#torch.device"),
            "torch.dtype": ("py:class", "tensor_attributes.html#torch.dtype"),
            "torch.nn.Module": ("py:class", "generated/torch.nn.Module.html#torch.nn.Module"),
            "torch.nn.Module.state_dict": (
                "py:method",
                "generated/torch.nn.Module.html#torch.nn.Module.state_dict",
            ),
            "torch.nn.Module.named_modules": (
                "py:method",
                "generated/torch.nn.Module.html#torch.nn.Module.named_modules",
            ),
            "torch.nn.Module.eval": (
                "py:method",
                "generated/torch.nn.Module.html#torch.nn.Module.eval",
            ),
            "torch.nn.Linear": ("py:class", "generated/torch.nn.Linear.html#torch.nn.Linear"),
            "torch.nn.Linear.reset_parameters": (
                "py:method",
                "generated/torch.nn.Linear.html#torch.nn.Linear.reset_parameters",
            ),
            "torch.nn.ReLU": ("py:class", "generated/torch.nn.ReLU.html#torch.nn.ReLU"),
            "torch.nn.MSELoss": ("py:class", "generated/torch.nn.MSELoss.html#torch.nn.MSELoss"),
            "torch.optim.RMSprop": (
                "py:class",
                "generated/torch.optim.RMSprop.html#torch.optim.RMSprop",
            ),
            "torch.optim.LBFGS": (
                "py:class",
                "generated/torch.optim.LBFGS.html#torch.optim.LBFGS",
            ),
            "torch.utils.data.DataLoader": (
                "py:class",
                "data.html#torch.utils.data.DataLoader",
            ),
            "torch.utils.data.TensorDataset": (
                "py:class",
                "data.html#torch.utils.data.TensorDataset",
            ),
            "torch.manual_seed": (
                "py:function",
                "generated/torch.manual_seed.html#torch.manual_seed",
            ),
            # A class that is used like a function, and referred to as either.
            "torch.no_grad": (
                "py:class py:function",
                "generated/torch.no_grad.html#torch.no_grad",
            ),
            "torch.load": ("py:function", "generated/torch.load.html#torch.load"),
            "torch.save": ("py:function", "generated/torch.save.html#torch.save"),
            "torch.zeros": ("py:function", "generated/torch.zeros.html#torch.zeros"),
            "torch.cat": ("py:function", "generated/torch.cat.html#torch.cat"),
            "torch.tensor": ("py:function", "generated/torch.tensor.html#torch.tensor"),
        },
    ),
    "sklearn": (
        "scikit-learn",
        "1",
        {
            name: (role, f"modules/generated/{name}.html#{name}")
            for name, role in {
                "sklearn.datasets.fetch_california_housing": "py:function",
                "sklearn.datasets.make_friedman1": "py:function",
                "sklearn.model_selection.train_test_split": "py:function",
                "sklearn.metrics.mean_squared_error": "py:function",
                "sklearn.linear_model.LinearRegression": "py:class",
                "sklearn.inspection.permutation_importance": "py:function",
                "sklearn.inspection.partial_dependence": "py:function",
                "sklearn.inspection.PartialDependenceDisplay": "py:class",
                "sklearn.base.RegressorMixin": "py:class",
                "sklearn.base.BaseEstimator": "py:class",
            }.items()
        },
    ),
    "matplotlib": (
        "Matplotlib",
        "3",
        {
            "matplotlib.figure.Figure": (
                "py:class",
                "api/_as_gen/matplotlib.figure.Figure.html#matplotlib.figure.Figure",
            ),
            "matplotlib.axes.Axes": (
                "py:class",
                "api/_as_gen/matplotlib.axes.Axes.html#matplotlib.axes.Axes",
            ),
            "matplotlib.axes.Axes.bar": (
                "py:method",
                "api/_as_gen/matplotlib.axes.Axes.bar.html#matplotlib.axes.Axes.bar",
            ),
            "matplotlib.container.BarContainer": (
                "py:class",
                "api/container_api.html#matplotlib.container.BarContainer",
            ),
            "matplotlib.pyplot.subplots": (
                "py:function",
                "api/_as_gen/matplotlib.pyplot.subplots.html#matplotlib.pyplot.subplots",
            ),
            "matplotlib.colors.Colormap": (
                "py:class",
                "api/_as_gen/matplotlib.colors.Colormap.html#matplotlib.colors.Colormap",
            ),
        },
    ),
    "captum": (
        "Captum",
        "0.9",
        {
            f"captum.attr.{name}": ("py:class", f"{page}.html#captum.attr.{name}")
            for name, page in {
                "IntegratedGradients": "integrated_gradients",
                "Saliency": "saliency",
                "DeepLift": "deep_lift",
                "DeepLiftShap": "deep_lift_shap",
                "GradientShap": "gradient_shap",
                "InputXGradient": "input_x_gradient",
                "FeatureAblation": "feature_ablation",
                "FeaturePermutation": "feature_permutation",
                "ShapleyValueSampling": "shapley_value_sampling",
                "KernelShap": "kernel_shap",
                "Lime": "lime",
                "NoiseTunnel": "noise_tunnel",
                "LayerConductance": "layer",
                "LayerActivation": "layer",
                "LayerIntegratedGradients": "layer",
                "NeuronConductance": "neuron",
                "NeuronIntegratedGradients": "neuron",
            }.items()
        }
        | {
            "captum.attr.IntegratedGradients.attribute": (
                "py:method",
                "integrated_gradients.html#captum.attr.IntegratedGradients.attribute",
            ),
            "captum.metrics.infidelity": ("py:function", "metrics.html#captum.metrics.infidelity"),
            "captum.metrics.infidelity_perturb_func_decorator": (
                "py:function",
                "metrics.html#captum.metrics.infidelity_perturb_func_decorator",
            ),
            "captum.metrics.sensitivity_max": (
                "py:function",
                "metrics.html#captum.metrics.sensitivity_max",
            ),
        },
    ),
    "scipy": (
        "SciPy",
        "1.17",
        {
            name: ("py:function", f"reference/generated/{name}.html#{name}")
            for name in ("scipy.stats.rankdata", "scipy.stats.spearmanr", "scipy.stats.pearsonr")
        },
    ),
    "shap": (
        "SHAP",
        "0.51",
        {
            f"shap.{name}": ("py:class", f"generated/shap.{name}.html#shap.{name}")
            for name in ("DeepExplainer", "GradientExplainer", "KernelExplainer")
        },
    ),
    # docs.dask.org documents dask.distributed's client and local cluster too.
    "dask": (
        "Dask",
        "2026.8",
        {
            **{
                name: ("py:function", f"generated/{name}.html#{name}")
                for name in ("dask.array.from_array", "dask.array.map_blocks")
            },
            "distributed.Client": ("py:class", "futures.html#distributed.Client"),
            "distributed.Client.scatter": (
                "py:method",
                "futures.html#distributed.Client.scatter",
            ),
            "distributed.deploy.local.LocalCluster": (
                "py:class",
                "deploying-python.html#distributed.deploy.local.LocalCluster",
            ),
        },
    ),
}


def inventory_bytes(project: str, version: str, objects: dict[str, tuple[str, str]]) -> bytes:
    """An ``objects.inv`` (Sphinx inventory version 2) listing ``objects``."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    ).encode()
    lines = "".join(
        f"{name} {role} 1 {uri} -\n"
        for name, (roles, uri) in sorted(objects.items())
        for role in roles.split()
    )
    return header + zlib.compress(lines.encode(), 9)


def main(out_dir: Path = HERE) -> list[Path]:
    """Write one ``<key>.inv`` per project into ``out_dir``; return the paths."""
    written = []
    for key, (project, version, objects) in INVENTORIES.items():
        path = out_dir / f"{key}.inv"
        path.write_bytes(inventory_bytes(project, version, objects))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
