"""Attribution at dataset scale: every row, in bounded memory, equal to Captum's.

The tutorial explains 180 rows; plain Captum on all 20,640 districts takes minutes and,
for NoiseTunnel, about 13 GB. The network is not the reason: it needs a few GFLOP.
Profiling plain Captum shows where the time goes instead:

* Captum differentiates ``torch.unbind(outputs)``, one autograd root per evaluated row
  (a million for IntegratedGradients on 20,640 rows with 50 steps), and that
  bookkeeping costs many times the network's own arithmetic. The gradient of the
  *sum* of the outputs with respect to each row's input is the same number (autograd
  adds up the roots' gradients anyway), with one root per chunk.
* It expands every row ``n_steps`` times (times ``nt_samples`` for NoiseTunnel) at
  once, so the activations of all the expanded rows live in memory together.

Here rows are processed in chunks small enough for the activations to stay in the
processor's cache, and each chunk is differentiated through the sum of its outputs.
DeepLift and FeatureAblation are Captum's own classes, called chunk by chunk
(DeepLift with its ``gradient_func`` replaced by the summed one). For the integrated
methods the per-chunk arithmetic is written out here, with Captum's own quadrature
(:func:`captum.attr._utils.approximation_methods.approximation_parameters`) and in
Captum's order of operations; the tests show that every method equals the plain
Captum call.

Random methods draw what Captum draws, in its order, from the same global generators
(seeded by ``seed``): NoiseTunnel one ``torch.normal`` tensor of shape
``(n_samples * nt_samples, 8)``; GradientShap the baseline indices
(``numpy.random.choice``), its (zero) noise, then the interpolation coefficients
(``numpy.random.uniform``). The draws are made once for the whole dataset, before
chunking, so that the result does not depend on ``batch_size`` and equals plain
Captum's for the same seed.
"""

from __future__ import annotations

import copy
import math
import numbers
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch
from torch import nn

from calhouse._random import intra_op_threads, seeded
from calhouse.attribution import METHODS
from calhouse.data import check_features

__all__ = [
    "CHUNK_EVALUATIONS",
    "attribute_dataset",
    "layer_conductance_dataset",
]

#: Network evaluations per chunk when ``batch_size`` is not given: a chunk of
#: IntegratedGradients (50 steps) holds 163 rows, one of NoiseTunnel 32. The
#: tutorial network's activations for that many evaluations (about 10 MB) stay
#: in the processor's cache; measured on 2 cores, 4x larger chunks are slower.
CHUNK_EVALUATIONS = 8_192

# Each method's options with Captum's defaults (the tutorial's settings), and the
# number of network evaluations per input row in the largest forward pass.
_OPTIONS: dict[str, dict[str, Any]] = {
    "integrated_gradients": {"n_steps": 50},
    "noise_tunnel": {"n_steps": 50, "nt_samples": 5, "stdevs": 1.0},
    "deeplift": {},
    "gradient_shap": {"n_samples": 5, "stdevs": 0.0},
    "feature_ablation": {},
}


def _evaluations_per_row(method: str, options: dict[str, Any]) -> int:
    if method == "integrated_gradients":
        return options["n_steps"]
    if method == "noise_tunnel":
        return options["n_steps"] * options["nt_samples"]
    if method == "gradient_shap":
        return options["n_samples"]
    if method == "deeplift":
        return 2  # DeepLift runs each row and its baseline in one batch
    return 1  # FeatureAblation: one forward pass per feature, each of the chunk's size


# --- checks -------------------------------------------------------------------------


def _check_method(method: object) -> str:
    if method not in METHODS:
        raise ValueError(
            f"unknown attribution method {method!r}; expected one of "
            f"{', '.join(map(repr, METHODS))} (layer conductance: "
            "calhouse.layer_conductance_dataset)"
        )
    return str(method)


def _check_options(method: str, given: dict[str, Any]) -> dict[str, Any]:
    defaults = _OPTIONS[method]
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        accepted = ", ".join(defaults) if defaults else "none"
        raise TypeError(
            f"unexpected option(s) for {method!r}: {', '.join(unknown)}; accepted: {accepted}"
        )
    options = {**defaults, **given}
    for name in ("n_steps", "nt_samples", "n_samples"):
        if name in options:
            options[name] = _positive_int(options[name], name)
    if "stdevs" in options:
        stdevs = options["stdevs"]
        if (
            isinstance(stdevs, bool)
            or not isinstance(stdevs, numbers.Real)
            or not math.isfinite(stdevs)
            or stdevs < 0
        ):
            raise ValueError(f"stdevs must be a finite float >= 0, got {stdevs!r}")
        options["stdevs"] = float(stdevs)
    return options


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_model(model: object) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def _check_device(device: str | torch.device) -> torch.device:
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must name a torch device such as 'cpu' or 'cuda:0', got {device!r}"
        ) from None
    if dev.type == "meta":
        raise ValueError(
            "device 'meta' holds shapes but no values, so attributions cannot be computed "
            "on it; use 'cpu' or an accelerator such as 'cuda'"
        )
    try:
        return torch.empty(0, device=dev).device
    except Exception as exc:  # noqa: BLE001 -- each backend fails in its own way
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(
            f"device {str(dev)!r} is not available on this machine ({reason}); use 'cpu'"
        ) from None


def _check_batch_size(batch_size: object, default: int) -> int:
    if batch_size is None:
        return default
    return _positive_int(batch_size, "batch_size")


def _check_baselines(
    baselines: torch.Tensor | float | None, n_rows: int, *, distribution: bool = False
) -> torch.Tensor | None:
    """Baselines as a float32 tensor of shape (1, 8), (n_rows, 8) or (n_ref, 8)."""
    if baselines is None:
        return None
    if isinstance(baselines, numbers.Real) and not isinstance(baselines, bool):
        if not math.isfinite(baselines):
            raise ValueError(f"baselines must be finite, got {baselines!r}")
        return torch.full((1, 8), float(baselines))
    if isinstance(baselines, torch.Tensor) and baselines.ndim == 1:
        baselines = baselines.reshape(1, -1)
    check_features(baselines, "baselines")
    if not distribution and baselines.shape[0] not in (1, n_rows):
        raise ValueError(
            f"baselines must have shape (8,), (1, 8) or one row per row of X "
            f"({n_rows}, 8), got {tuple(baselines.shape)}"
        )
    return baselines.detach()


def _check_output(output: torch.Tensor, n_rows: int) -> None:
    if output.shape not in ((n_rows,), (n_rows, 1)):
        raise ValueError(
            f"the model must return one value per row, shape ({n_rows}, 1) or "
            f"({n_rows},); it returned {tuple(output.shape)}"
        )


# --- shared machinery ---------------------------------------------------------------


def _model_on(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` itself if it already lives on ``device``, else a copy moved there."""
    tensors = [*model.parameters(), *model.buffers()]
    if all(t.device == device for t in tensors):
        return model
    return copy.deepcopy(model).to(device)


def _fill(
    out: torch.Tensor,
    compute: Callable[[int, int], torch.Tensor],
    *,
    n_rows: int,
    batch_size: int,
    device: torch.device,
    desc: str,
    progress: bool | None,
    concurrent: bool = True,
) -> None:
    """``out[start:stop] = compute(start, stop)`` for each chunk, with a progress bar.

    On the CPU every operation runs on one thread, and ``concurrent`` chunks run on
    as many threads as torch would otherwise use within one operation. A chunk's
    operations are small (it fits in cache): split across threads, each of them
    waits for the slowest thread, and on a busy machine (another process holding a
    core) those waits cost more than the arithmetic. Separate chunks need no waits.
    Other devices get the chunks one after the other.
    """
    from tqdm import tqdm

    ranges = [(a, min(a + batch_size, n_rows)) for a in range(0, n_rows, batch_size)]
    workers = min(torch.get_num_threads(), len(ranges)) if concurrent else 1
    with tqdm(
        total=n_rows,
        desc=desc,
        unit="row",
        unit_scale=True,
        disable=None if progress is None else not progress,
    ) as bar:
        if device.type != "cpu":
            for start, stop in ranges:
                out[start:stop] = compute(start, stop)
                bar.update(stop - start)
            return
        with intra_op_threads(1), ThreadPoolExecutor(workers) as pool:
            for (start, stop), result in zip(
                ranges, pool.map(lambda r: compute(*r), ranges), strict=True
            ):
                out[start:stop] = result
                bar.update(stop - start)


def _rows(tensor: torch.Tensor | None, start: int, stop: int, device: torch.device):
    """Rows ``start:stop`` of a per-row tensor, or the tensor itself if it has one row."""
    if tensor is None:
        return None
    if tensor.shape[0] == 1:
        return tensor.to(device)
    return tensor[start:stop].to(device)


def _summed_gradients(
    forward_fn: Callable[..., torch.Tensor],
    inputs: tuple[torch.Tensor, ...],
    target_ind: object = None,
    additional_forward_args: object = None,
) -> tuple[torch.Tensor, ...]:
    """Captum's ``compute_gradients``, differentiating the sum of the outputs.

    Captum's version differentiates ``torch.unbind(outputs)``, one root per row;
    autograd adds the roots' gradients up, so the sum has the same gradient with
    respect to every input, with one root instead of thousands.
    """
    if target_ind is not None or additional_forward_args is not None:
        raise ValueError("targets and additional forward arguments are not supported here")
    with torch.enable_grad():
        outputs = forward_fn()
        return torch.autograd.grad(outputs.sum(), inputs)


def _input_gradients(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Gradient of each row's output with respect to that row's input."""
    x = x.detach().requires_grad_()
    with torch.enable_grad():
        output = model(x)
        _check_output(output, x.shape[0])
        (grad,) = torch.autograd.grad(output.sum(), x)
    return grad


def _quadrature(n_steps: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Captum's Gauss-Legendre step sizes and alphas for ``n_steps`` points."""
    from captum.attr._utils.approximation_methods import approximation_parameters

    step_sizes, alphas = approximation_parameters("gausslegendre")
    return (
        torch.tensor(step_sizes(n_steps), dtype=torch.float32, device=device),
        torch.tensor(alphas(n_steps), dtype=torch.float32, device=device),
    )


def _integrated_gradients(
    model: nn.Module,
    x: torch.Tensor,
    baseline: torch.Tensor | None,
    steps: torch.Tensor,
    alphas: torch.Tensor,
) -> torch.Tensor:
    """IntegratedGradients of the rows ``x``, as Captum computes it in ``_attribute``."""
    n_steps, (n_rows, n_features) = len(alphas), x.shape
    baseline = torch.zeros(1, n_features, device=x.device) if baseline is None else baseline
    diff = x - baseline
    # Captum's baseline + alpha * (input - baseline), all steps of a row stacked step-major.
    scaled = (baseline + alphas.view(-1, 1, 1) * diff).reshape(n_steps * n_rows, n_features)
    grads = _input_gradients(model, scaled).view(n_steps, n_rows, n_features)
    return (grads * steps.view(-1, 1, 1)).sum(0) * diff


# --- the methods --------------------------------------------------------------------


def attribute_dataset(
    model: nn.Module,
    X: torch.Tensor,
    method: str,
    *,
    baselines: torch.Tensor | float | None = None,
    seed: int | None = 0,
    batch_size: int | None = None,
    device: str | torch.device = "cpu",
    progress: bool | None = None,
    **options: Any,
) -> torch.Tensor:
    """Attribute the model's output for every row of a dataset, chunk by chunk.

    The same numbers as :func:`calhouse.attribute` (plain Captum with the tutorial's
    settings), for any number of rows, in memory bounded by ``batch_size`` and many
    times faster; see the module documentation for how.

    Parameters
    ----------
    model : torch.nn.Module
        The regression network; it must return one value per row.
    X : torch.Tensor of shape (n_samples, 8)
        Float32 rows to explain, on any device.
    method : str
        One of :data:`calhouse.METHODS`: ``"integrated_gradients"``,
        ``"noise_tunnel"`` (SmoothGrad over IG), ``"deeplift"``, ``"gradient_shap"``
        or ``"feature_ablation"``.
    baselines : torch.Tensor or float, optional
        Reference input. For every method but GradientShap: a number, a tensor of
        shape (8,) or (1, 8) used for every row (e.g. ``model.mean``), or one row per
        row of ``X`` (n_samples, 8); default zero. For GradientShap (required): the
        reference rows (n_references, 8) to draw from, e.g. the training set.
    seed : int or None, default=0
        Seed of torch's and NumPy's global generators for the random methods; the
        caller's random state is restored afterwards. ``None`` draws from the global
        state as a direct Captum call does. Draws are made on the CPU whatever the
        ``device``, so a seed gives the same attributions everywhere.
    batch_size : int, optional
        Rows of ``X`` per chunk. Working memory grows with it (a chunk evaluates the
        network ``batch_size`` times the evaluations per row: ``n_steps`` for IG,
        ``n_steps * nt_samples`` for NoiseTunnel, ``n_samples`` for GradientShap, 2
        for DeepLift, 1 per forward pass for FeatureAblation). Default:
        :data:`CHUNK_EVALUATIONS` evaluations per chunk. The result does not depend
        on it.
    device : str or torch.device, default="cpu"
        Where the network runs. Chunks are moved there one at a time; the model is
        used as is if it lives there, else a copy is moved (the caller's model is
        never moved).
    progress : bool or None, default=None
        Show a progress bar over the rows; ``None`` shows one only on a terminal.
    **options
        Captum's options for the method, with Captum's defaults: ``n_steps=50``
        (IG, NoiseTunnel), ``nt_samples=5`` and ``stdevs=1.0`` (NoiseTunnel),
        ``n_samples=5`` and ``stdevs=0.0`` (GradientShap).

    Returns
    -------
    torch.Tensor of shape (n_samples, 8)
        Float32 attributions, on the CPU.

    Raises
    ------
    ValueError
        For an unknown method, bad shapes, NaN or infinite values, a bad batch size
        or option value, or a device that is not available (``"meta"`` included).
    TypeError
        For inputs that are not float32 tensors, or options the method does not take.

    Notes
    -----
    Apart from the output, the only memory that grows with the number of rows holds
    the random draws (``nt_samples`` or ``n_samples`` values per input value), made
    up front so that the result equals plain Captum's for the same seed whatever the
    batch size.

    On the CPU, chunks run concurrently on ``torch.get_num_threads()`` threads, each
    operation on a single thread: torch's thread count is set to 1 for the duration
    of the call and restored afterwards. Working memory is then about that many
    chunks, and the result does not depend on the number of threads.

    Examples
    --------
    >>> from calhouse import CaliforniaModel
    >>> attribute_dataset(CaliforniaModel(), torch.ones(1000, 8), "integrated_gradients").shape
    torch.Size([1000, 8])
    """
    method = _check_method(method)
    options = _check_options(method, options)
    model = _check_model(model)
    check_features(X)
    dev = _check_device(device)
    n_rows = X.shape[0]
    if method == "gradient_shap" and not isinstance(baselines, torch.Tensor):
        raise ValueError(
            "gradient_shap needs baselines: a tensor of reference rows of shape "
            f"(n_references, 8) to draw from, e.g. the training set; got {baselines!r}"
        )
    baselines = _check_baselines(baselines, n_rows, distribution=method == "gradient_shap")
    per_row = _evaluations_per_row(method, options)
    batch_size = _check_batch_size(batch_size, max(1, CHUNK_EVALUATIONS // per_row))
    net = _model_on(model, dev)
    X = X.detach()
    if method == "integrated_gradients":
        compute = _integrated_gradients_chunks(net, X, baselines, options, dev)
    elif method == "noise_tunnel":
        compute = _noise_tunnel_chunks(net, X, baselines, options, seed=seed, dev=dev)
    elif method == "gradient_shap":
        compute = _gradient_shap_chunks(net, X, baselines, options, seed=seed, dev=dev)
    elif method == "deeplift":
        compute = _deeplift_chunks(net, X, baselines, dev)
    else:
        compute = _feature_ablation_chunks(net, X, baselines, dev)
    out = torch.empty(n_rows, X.shape[1], dtype=torch.float32)
    _fill(
        out,
        compute,
        n_rows=n_rows,
        batch_size=batch_size,
        device=dev,
        desc=method,
        progress=progress,
        # DeepLift hooks the model's modules while it runs, so its chunks run one
        # after the other.
        concurrent=method != "deeplift",
    )
    return out


Compute = Callable[[int, int], torch.Tensor]


def _integrated_gradients_chunks(net, X, baselines, options, dev) -> Compute:
    steps, alphas = _quadrature(options["n_steps"], dev)

    def compute(start: int, stop: int) -> torch.Tensor:
        x, base = X[start:stop].to(dev), _rows(baselines, start, stop, dev)
        return _integrated_gradients(net, x, base, steps, alphas)

    return compute


def _noise_tunnel_chunks(net, X, baselines, options, *, seed, dev) -> Compute:
    """SmoothGrad over IG, as :class:`captum.attr.NoiseTunnel` computes it."""
    n_samples, stdev = options["nt_samples"], options["stdevs"]
    n_rows, n_features = X.shape
    with seeded(seed):
        # NoiseTunnel._add_noise_to_input: one draw for all rows, row i's samples
        # at i * n_samples, ..., (i + 1) * n_samples - 1.
        noise = torch.normal(0, torch.tensor(stdev).repeat((n_rows * n_samples, n_features)))
    steps, alphas = _quadrature(options["n_steps"], dev)

    def compute(start: int, stop: int) -> torch.Tensor:
        x = X[start:stop].to(dev).repeat_interleave(n_samples, dim=0)
        noisy = x + noise[start * n_samples : stop * n_samples].to(dev)
        base = _rows(baselines, start, stop, dev)
        if base is not None and base.shape[0] > 1:
            base = base.repeat_interleave(n_samples, dim=0)
        attr = _integrated_gradients(net, noisy, base, steps, alphas)
        # NoiseTunnel's mean: the sum over samples, times 1, divided by nt_samples.
        return attr.view(stop - start, n_samples, n_features).sum(1) * 1 / n_samples

    return compute


def _gradient_shap_chunks(net, X, references, options, *, seed, dev) -> Compute:
    """:class:`captum.attr.GradientShap`: NoiseTunnel over InputBaselineXGradient."""
    n_samples, stdev = options["n_samples"], options["stdevs"]
    n_rows, n_features = X.shape
    with seeded(seed):
        # In Captum's order: baseline indices, then the noise (drawn even when its
        # stdev is zero), then one interpolation coefficient per sample.
        index = torch.from_numpy(np.random.choice(references.shape[0], n_samples * n_rows))
        noise = torch.normal(0, torch.tensor(stdev).repeat((n_rows * n_samples, n_features)))
        coefficients = torch.tensor(
            np.random.uniform(0.0, 1.0, n_rows * n_samples), dtype=torch.float32
        )

    def compute(start: int, stop: int) -> torch.Tensor:
        rows = slice(start * n_samples, stop * n_samples)
        x = X[start:stop].to(dev).repeat_interleave(n_samples, dim=0) + noise[rows].to(dev)
        base = references[index[rows]].to(dev)
        alpha = coefficients[rows].to(dev).view(-1, 1)
        grads = _input_gradients(net, alpha * x + (1.0 - alpha) * base)
        attr = (x - base) * grads
        return attr.view(stop - start, n_samples, n_features).sum(1) * 1 / n_samples

    return compute


def _deeplift_chunks(net, X, baselines, dev) -> Compute:
    """Captum's :class:`~captum.attr.DeepLift`, one chunk at a time."""
    from captum.attr import DeepLift

    deeplift = DeepLift(net)
    deeplift.gradient_func = _summed_gradients

    def compute(start: int, stop: int) -> torch.Tensor:
        x = X[start:stop].to(dev).requires_grad_()
        base = _rows(baselines, start, stop, dev)
        with warnings.catch_warnings():
            # DeepLift announces, on every call, the hooks it sets and removes again.
            warnings.filterwarnings("ignore", "Setting forward, backward hooks", UserWarning)
            return deeplift.attribute(x, baselines=base).detach()

    return compute


def _feature_ablation_chunks(net, X, baselines, dev) -> Compute:
    """Captum's :class:`~captum.attr.FeatureAblation`, one chunk at a time."""
    from captum.attr import FeatureAblation

    def compute(start: int, stop: int) -> torch.Tensor:
        # An instance per chunk: chunks run concurrently, and the model's plain
        # forward pass is all they share.
        with torch.no_grad():
            return FeatureAblation(net).attribute(
                X[start:stop].to(dev), baselines=_rows(baselines, start, stop, dev)
            )

    return compute


def layer_conductance_dataset(
    model: nn.Module,
    X: torch.Tensor,
    layer: str = "lin4",
    *,
    n_steps: int = 100,
    attribute_to_layer_input: bool = True,
    baselines: torch.Tensor | float | None = None,
    batch_size: int | None = None,
    device: str | torch.device = "cpu",
    progress: bool | None = None,
) -> torch.Tensor:
    """:class:`~captum.attr.LayerConductance` of a layer's neurons for every row.

    The same numbers as :func:`calhouse.layer_conductance` (the tutorial's call:
    the inputs of ``lin4``, ``n_steps=100``), chunk by chunk: Captum's quadrature
    with ``n_steps + 1`` Gauss-Legendre points, the layer's values captured by a
    forward hook, and its gradient taken through the sum of the chunk's outputs.

    Parameters
    ----------
    model : torch.nn.Module
        The regression network; it must return one value per row.
    X : torch.Tensor of shape (n_samples, 8)
        Float32 rows to explain, on any device.
    layer : str, default="lin4"
        Name of a submodule of ``model``.
    n_steps : int, default=100
        Integration steps.
    attribute_to_layer_input : bool, default=True
        Attribute to the layer's inputs (True) or outputs.
    baselines : torch.Tensor or float, optional
        As in :func:`attribute_dataset`; default zero.
    batch_size : int, optional
        Rows of ``X`` per chunk (a chunk evaluates the network ``batch_size *
        (n_steps + 1)`` times); default :data:`CHUNK_EVALUATIONS` evaluations.
    device : str or torch.device, default="cpu"
        As in :func:`attribute_dataset`.
    progress : bool or None, default=None
        Show a progress bar over the rows; ``None`` shows one only on a terminal.

    Returns
    -------
    torch.Tensor of shape (n_samples, n_neurons)
        Float32 conductances, on the CPU.

    Examples
    --------
    >>> from calhouse import CaliforniaModel
    >>> layer_conductance_dataset(CaliforniaModel(), torch.ones(1000, 8)).shape
    torch.Size([1000, 10])
    """
    model = _check_model(model)
    check_features(X)
    n_steps = _positive_int(n_steps, "n_steps")
    dev = _check_device(device)
    n_rows = X.shape[0]
    baselines = _check_baselines(baselines, n_rows)
    batch_size = _check_batch_size(batch_size, max(1, CHUNK_EVALUATIONS // (n_steps + 1)))
    modules = dict(model.named_modules())
    if not isinstance(layer, str) or layer not in modules or layer == "":
        raise ValueError(
            f"unknown layer {layer!r}; expected one of {', '.join(repr(n) for n in modules if n)}"
        )
    net = _model_on(model, dev)
    target = dict(net.named_modules())[layer]
    _, alphas = _quadrature(n_steps + 1, dev)
    X = X.detach()
    n_features = X.shape[1]
    kept = threading.local()  # each thread's layer values of its current chunk

    # The hooks put a clone of the layer's value into the graph, as Captum's do, so
    # that the gradient is taken with respect to exactly the tensor that is kept.
    def keep_input(_module: nn.Module, inputs: tuple[torch.Tensor, ...]):
        kept.values.append(inputs[0].clone())
        return (kept.values[-1], *inputs[1:])

    def keep_output(_module: nn.Module, _inputs: object, output: torch.Tensor):
        kept.values.append(output.clone())
        return kept.values[-1]

    def layer_values(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The network's output on ``x`` and the layer's value in that pass."""
        kept.values = []
        output = net(x)
        _check_output(output, x.shape[0])
        if len(kept.values) != 1:
            raise ValueError(
                f"layer {layer!r} ran {len(kept.values)} times in one forward pass; expected once"
            )
        return output, kept.values[0]

    def compute(start: int, stop: int) -> torch.Tensor:
        x, base = X[start:stop].to(dev), _rows(baselines, start, stop, dev)
        base = torch.zeros(1, n_features, device=dev) if base is None else base
        b = stop - start
        scaled = (base + alphas.view(-1, 1, 1) * (x - base)).reshape(-1, n_features)
        with torch.enable_grad():
            output, value = layer_values(scaled.requires_grad_())
            (grads,) = torch.autograd.grad(output.sum(), value)
        value = value.detach()
        # Captum: the layer's change between consecutive points times its gradient
        # at the first of them, summed over the steps.
        return ((value[b:] - value[:-b]) * grads[:-b]).reshape(n_steps, b, -1).sum(0)

    hook = (
        target.register_forward_pre_hook(keep_input)
        if attribute_to_layer_input
        else target.register_forward_hook(keep_output)
    )
    try:
        with torch.no_grad():
            width = layer_values(X[:1].to(dev))[1][0].numel()
        out = torch.empty(n_rows, width, dtype=torch.float32)
        _fill(
            out,
            compute,
            n_rows=n_rows,
            batch_size=batch_size,
            device=dev,
            desc="layer_conductance",
            progress=progress,
        )
    finally:
        hook.remove()
    return out
