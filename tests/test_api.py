"""The API keeps its word: small, one idea per module, typed, its docstring examples run.

Run against calhouse as installed (``nox -s tests``), so these also check what a
user's installation holds.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.resources
import pkgutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

import calhouse

PACKAGE = Path(calhouse.__file__).parent
MODULES = sorted(f"calhouse.{m.name}" for m in pkgutil.iter_modules(calhouse.__path__))


def test_the_package_exports_at_most_30_names() -> None:
    assert len(calhouse.__all__) <= 30, sorted(calhouse.__all__)
    assert len(set(calhouse.__all__)) == len(calhouse.__all__)
    assert "__version__" not in calhouse.__all__
    missing = [name for name in calhouse.__all__ if not hasattr(calhouse, name)]
    assert missing == []


def test_importing_calhouse_leaves_scikit_learn_until_the_estimator_is_used() -> None:
    """A process that trains or explains a model does not pay for scikit-learn and SciPy."""
    code = (
        "import sys, calhouse\n"
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))\n"
        "print('TorchRegressor' in dir(calhouse), calhouse.TorchRegressor.__module__)\n"
        "print('sklearn' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == ["[]", "True calhouse.estimator", "True"]
    from calhouse import TorchRegressor

    assert TorchRegressor is calhouse.estimator.TorchRegressor


def test_an_unknown_name_of_the_package_is_an_attribute_error_with_a_suggestion() -> None:
    with pytest.raises(AttributeError) as raised:
        calhouse.TorchRegresor  # noqa: B018
    assert str(raised.value) == "module 'calhouse' has no attribute 'TorchRegresor'"
    assert (raised.value.name, raised.value.obj) == ("TorchRegresor", calhouse)
    assert not hasattr(calhouse, "estimator_class")


@pytest.mark.parametrize("module", MODULES)
def test_a_module_is_short_and_has_no_appended_sections(module: str) -> None:
    path = PACKAGE / (module.removeprefix("calhouse.") + ".py")
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 400, f"{path.name}: split it by idea"
    assert "__all__ +=" not in text


def test_the_package_is_typed_for_users_type_checkers() -> None:
    assert importlib.resources.files("calhouse").joinpath("py.typed").is_file()


@pytest.mark.usefixtures("split")  # the examples load the data: from CALHOUSE_DATA, offline
@pytest.mark.parametrize("module", [m for m in MODULES if m != "calhouse.__main__"])
def test_docstring_examples_run(module: str) -> None:
    """Every ``>>>`` line of every module, as ``doctest`` runs it (the data is offline)."""
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    with warnings.catch_warnings(), torch.random.fork_rng():
        warnings.simplefilter("ignore", UserWarning)  # Captum's hook notices
        torch.manual_seed(0)
        for test in finder.find(mod, module, globs=dict(vars(mod))):
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"


def test_every_public_function_and_class_shows_a_call() -> None:
    """Each has a docstring example, which the test above runs (exceptions need none)."""
    missing = [
        name
        for name in calhouse.__all__
        if callable(obj := getattr(calhouse, name))
        and not (isinstance(obj, type) and issubclass(obj, Exception))
        and ">>>" not in (obj.__doc__ or "")
    ]
    assert missing == []


def test_docstring_examples_are_checked_by_the_test_above() -> None:
    """A planted wrong example is caught, so the doctest test can fail."""

    def wrong() -> None:
        """Add.

        >>> 1 + 1
        3
        """

    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(wrong, "wrong"):
        runner.run(test, out=lambda _text: None)
    assert runner.summarize(verbose=False).failed == 1


def test_results_come_back_as_detached_float32_cpu_tensors(split: calhouse.Split) -> None:
    model = calhouse.load_model()
    for result in (
        calhouse.attribute_dataset(model, split.X_test[:7], "deeplift", progress=False),
        calhouse.layer_conductance_dataset(model, split.X_test[:7], "lin4", progress=False),
    ):
        assert result.dtype == torch.float32
        assert result.device.type == "cpu"
        assert not result.requires_grad
        assert result.numpy().shape[0] == 7


def test_objects_print_as_a_short_summary(split: calhouse.Split) -> None:
    assert repr(split) == "Split(n_train=420, n_test=180, features=8)"
    assert len(repr(calhouse.load_california()).splitlines()) == 1
    assert len(repr(calhouse.METHODS["deeplift"]).splitlines()) == 1
