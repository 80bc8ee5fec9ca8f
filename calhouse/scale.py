"""Attribution for every row of a table: any tabular network, equal to Captum's.

:func:`attribute_dataset` and :func:`layer_conductance_dataset` give the numbers of
the plain Captum calls (``IntegratedGradients(model).attribute(X, ...)`` and so
on) for a table of any size and any number of columns, in memory bounded by a
chunk, many times faster. Plain Captum is slow on a whole table for two reasons,
neither of them the network:

* Captum differentiates ``torch.unbind(outputs)``, one autograd root per
  evaluated row (a million for IntegratedGradients on 20,640 rows with 50
  steps), and that bookkeeping costs many times the network's own arithmetic.
  The gradient of the *sum* of the outputs with respect to each row's input is
  the same number, since a row's output depends on that row only; autograd
  adds up the roots' gradients anyway.
* It expands every row ``n_steps`` times (times ``nt_samples`` for NoiseTunnel)
  at once, so the activations of all the expanded rows live in memory together.

Here the rows go through in chunks small enough for their activations to stay in
the processor's cache, and each chunk is differentiated through the sum of its
outputs. :data:`METHODS` is the registry of the methods: for each, the Captum
class that the result equals, the tutorial's label and Captum's default options.
:class:`~captum.attr.DeepLift` and :class:`~captum.attr.FeatureAblation` are
Captum's own classes, called chunk by chunk (DeepLift with its public
``gradient_func`` attribute set to ``summed_gradients``). For the integrated
methods and GradientShap the per-chunk arithmetic is written out here, in
Captum's order of operations, with the Gauss-Legendre nodes of
``numpy.polynomial.legendre.leggauss`` that Captum uses: Captum's ``attribute``
recomputes those nodes (twice) and builds the scaled inputs one step at a time on
every call, about 3 ms, which on a chunk of the tutorial's network adds some 40%
to the network's own time. The tests show that every method equals the plain
Captum call.

Random methods draw what Captum draws, in its order, from the same global
generators (seeded by ``seed``): NoiseTunnel one ``torch.normal`` tensor of
shape ``(n_samples * nt_samples, n_features)``; GradientShap the baseline
indices (``numpy.random.choice``), its noise, then the interpolation
coefficients (``numpy.random.uniform``). The draws are made once for the whole
table, before chunking, so that the result does not depend on ``batch_size``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import itertools
import queue
import threading
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
from torch import nn

from calhouse._checks import (
    check_baselines,
    check_bool,
    check_choice,
    check_device,
    check_feature_names,
    check_module,
    check_nonnegative_float,
    check_optional_bool,
    check_options,
    check_positive_int,
    check_seed,
    check_submodule,
    check_table,
    check_target,
)
from calhouse._random import intra_op_threads, seeded

if TYPE_CHECKING:
    from captum.attr import Attribution

__all__ = [
    "CHUNK_EVALUATIONS",
    "METHODS",
    "Method",
    "attribute_dataset",
    "layer_conductance_dataset",
    "summed_gradients",
]

#: Network evaluations per chunk when ``batch_size`` is not given: a chunk of
#: IntegratedGradients (50 steps) holds 163 rows, one of NoiseTunnel 32. The
#: tutorial network's activations for that many evaluations (about 10 MB) stay
#: in the processor's cache; measured on 2 cores, 4x larger chunks are slower.
CHUNK_EVALUATIONS = 8_192

#: A target as the chunk builders get it: checked, and a tensor on the CPU.
Target = int | torch.Tensor | None
#: Attributions of the rows ``start:stop`` of the table.
Compute = Callable[[int, int], torch.Tensor]


@dataclass(frozen=True)
class _Job:
    """What the chunk builders get: everything checked, on its device."""

    net: nn.Module
    X: torch.Tensor
    baselines: torch.Tensor | None
    target: Target
    options: Mapping[str, Any]
    seed: int | None
    device: torch.device
    #: For methods that hook the network's modules: one network per thread that
    #: runs chunks (copies of ``net`` when several threads do).
    nets: tuple[nn.Module, ...]


# --- shared arithmetic ----------------------------------------------------------------


def _select(outputs: torch.Tensor, target: Target) -> torch.Tensor:
    """The outputs to explain, chosen as Captum chooses them for a 2-D output."""
    if target is None:
        return outputs
    if isinstance(target, int):
        return outputs[:, target]
    if target.numel() == 1:  # Captum reads a one-element tensor as a column
        return outputs[:, int(target)]
    return outputs.gather(1, target.view(-1, 1).to(outputs.device)).squeeze(1)


def _expand(target: Target, repeats: int, *, interleave: bool = False) -> Target:
    """A per-row target for rows repeated ``repeats`` times, as Captum expands it."""
    if not isinstance(target, torch.Tensor) or target.numel() == 1:
        return target
    return target.repeat_interleave(repeats) if interleave else target.repeat(repeats)


def summed_gradients(
    forward_fn: Callable[..., torch.Tensor],
    inputs: tuple[torch.Tensor, ...],
    target_ind: Target = None,
    additional_forward_args: tuple[object, ...] | None = None,
) -> tuple[torch.Tensor, ...]:
    """A drop-in for the ``gradient_func`` of Captum's gradient attributions.

    Captum's own function differentiates ``torch.unbind(outputs)``, one autograd
    root per row; this one differentiates the sum of the outputs, one root in
    all. When each output depends on its own row only (any network without
    batch statistics), every input's gradient is the same.

    Parameters
    ----------
    forward_fn : callable
        The function Captum differentiates: the model, or a wrapper that takes
        no arguments (DeepLift's).
    inputs : tuple of torch.Tensor
        The tensors to differentiate with respect to.
    target_ind : int or torch.Tensor, optional
        The output to explain: a column, or one per row.
    additional_forward_args : tuple, optional
        Further arguments of ``forward_fn``, after the inputs.

    Returns
    -------
    tuple of torch.Tensor
        The gradients, one per input.

    Examples
    --------
    >>> from captum.attr import DeepLift
    >>> model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    >>> deeplift = DeepLift(model)
    >>> deeplift.gradient_func = summed_gradients
    >>> deeplift.attribute(torch.ones(5, 3)).shape
    torch.Size([5, 3])
    """
    with torch.enable_grad():
        if inspect.signature(forward_fn).parameters:
            outputs = forward_fn(*inputs, *(additional_forward_args or ()))
        else:
            outputs = forward_fn()
        return torch.autograd.grad(_select(outputs, target_ind).sum(), inputs)


def _input_gradients(net: nn.Module, x: torch.Tensor, target: Target) -> torch.Tensor:
    """The gradient of each row's output (its ``target``) with respect to that row."""
    x = x.detach().requires_grad_()
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(_select(net(x), target).sum(), x)
    return grad


@functools.lru_cache(maxsize=32)
def _gauss_legendre(n_steps: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Captum's ``"gausslegendre"`` step sizes and alphas: the nodes moved to [0, 1]."""
    nodes, weights = np.polynomial.legendre.leggauss(n_steps)
    return tuple((0.5 * weights).tolist()), tuple((0.5 * (1 + nodes)).tolist())


def _quadrature(n_steps: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Step sizes and alphas as float32 tensors on ``device``, as Captum uses them."""
    steps, alphas = _gauss_legendre(n_steps)
    return (
        torch.tensor(steps, dtype=torch.float32, device=device),
        torch.tensor(alphas, dtype=torch.float32, device=device),
    )


def _integrated_gradients(
    net: nn.Module,
    x: torch.Tensor,
    baseline: torch.Tensor | None,
    target: Target,
    quadrature: tuple[torch.Tensor, torch.Tensor],
) -> torch.Tensor:
    """IntegratedGradients of the rows ``x``, in the order of Captum's ``_attribute``."""
    steps, alphas = quadrature
    n_steps, (n_rows, n_features) = len(alphas), x.shape
    if baseline is None:
        baseline = torch.zeros(1, n_features, device=x.device)
    diff = x - baseline
    # baseline + alpha * (input - baseline), every step of every row, step-major.
    scaled = (baseline + alphas.view(-1, 1, 1) * diff).reshape(n_steps * n_rows, n_features)
    grads = _input_gradients(net, scaled, _expand(target, n_steps))
    return (grads.view(n_steps, n_rows, n_features) * steps.view(-1, 1, 1)).sum(0) * diff


def _noise(n_rows: int, n_features: int, stdev: float, seed: int | None) -> torch.Tensor | None:
    """Captum's ``torch.normal(0, torch.tensor(stdev).repeat((n_rows, n_features)))``.

    The same draw (one normal fill of that size: the same numbers and the same
    state of the generator afterwards; the tests compare them) without building
    the tensor of standard deviations. ``None`` for zero noise. Zero noise is
    drawn all the same when the caller's generator is used (``seed=None``), so
    that it moves on as Captum's call moves it; with a seed the generator's state
    is restored afterwards, so the draw would change nothing.
    """
    if stdev == 0 and seed is not None:
        return None
    noise = torch.empty(n_rows, n_features).normal_(0.0, stdev)
    return None if stdev == 0 else noise


def _rows(tensor: torch.Tensor | None, start: int, stop: int, device: torch.device) -> Any:
    """Rows ``start:stop`` of a per-row tensor; a one-row tensor or None as it is."""
    if tensor is None:
        return None
    if tensor.shape[0] == 1:
        return tensor.to(device)
    return tensor[start:stop].to(device)


def _target_rows(target: Target, start: int, stop: int, device: torch.device) -> Target:
    if isinstance(target, torch.Tensor):
        return target[start:stop].to(device)
    return target


# --- chunk builders: each returns the computation of a chunk --------------------------


def _integrated_gradients_chunks(job: _Job) -> Compute:
    """:class:`~captum.attr.IntegratedGradients` with Gauss-Legendre steps."""
    quadrature = _quadrature(job.options["n_steps"], job.device)

    def compute(start: int, stop: int) -> torch.Tensor:
        x = job.X[start:stop].to(job.device)
        base = _rows(job.baselines, start, stop, job.device)
        target = _target_rows(job.target, start, stop, job.device)
        return _integrated_gradients(job.net, x, base, target, quadrature)

    return compute


def _noise_tunnel_chunks(job: _Job) -> Compute:
    """SmoothGrad over IG, as :class:`~captum.attr.NoiseTunnel` computes it."""
    n_samples, stdev = job.options["nt_samples"], job.options["stdevs"]
    n_rows, n_features = job.X.shape
    with seeded(job.seed):
        # NoiseTunnel._add_noise_to_input: one draw for all rows, row i's samples
        # at i * n_samples, ..., (i + 1) * n_samples - 1.
        noise = _noise(n_rows * n_samples, n_features, stdev, job.seed)
    quadrature = _quadrature(job.options["n_steps"], job.device)

    def compute(start: int, stop: int) -> torch.Tensor:
        noisy = job.X[start:stop].to(job.device).repeat_interleave(n_samples, dim=0)
        if noise is not None:
            noisy = noisy + noise[start * n_samples : stop * n_samples].to(job.device)
        base = _rows(job.baselines, start, stop, job.device)
        if base is not None and base.shape[0] > 1:
            base = base.repeat_interleave(n_samples, dim=0)
        target = _expand(
            _target_rows(job.target, start, stop, job.device), n_samples, interleave=True
        )
        attr = _integrated_gradients(job.net, noisy, base, target, quadrature)
        # NoiseTunnel's mean: the sum over the samples, times 1, over nt_samples.
        mean: torch.Tensor = attr.view(stop - start, n_samples, n_features).sum(1) * 1 / n_samples
        return mean

    return compute


def _gradient_shap_chunks(job: _Job) -> Compute:
    """:class:`~captum.attr.GradientShap`: NoiseTunnel over InputBaselineXGradient."""
    n_samples, stdev = job.options["n_samples"], job.options["stdevs"]
    n_rows, n_features = job.X.shape
    references = cast(torch.Tensor, job.baselines)
    with seeded(job.seed):
        # In Captum's order: baseline indices, then the noise (drawn even when its
        # stdev is zero), then one interpolation coefficient per sample.
        index = torch.from_numpy(np.random.choice(references.shape[0], n_samples * n_rows))
        noise = _noise(n_rows * n_samples, n_features, stdev, job.seed)
        coefficients = torch.tensor(
            np.random.uniform(0.0, 1.0, n_rows * n_samples), dtype=torch.float32
        )

    def compute(start: int, stop: int) -> torch.Tensor:
        rows = slice(start * n_samples, stop * n_samples)
        x = job.X[start:stop].to(job.device).repeat_interleave(n_samples, dim=0)
        if noise is not None:
            x = x + noise[rows].to(job.device)
        base = references[index[rows]].to(job.device)
        alpha = coefficients[rows].to(job.device).view(-1, 1)
        target = _expand(
            _target_rows(job.target, start, stop, job.device), n_samples, interleave=True
        )
        grads = _input_gradients(job.net, alpha * x + (1.0 - alpha) * base, target)
        attr = (x - base) * grads
        mean: torch.Tensor = attr.view(stop - start, n_samples, n_features).sum(1) * 1 / n_samples
        return mean

    return compute


def _deeplift_chunks(job: _Job) -> Compute:
    """Captum's :class:`~captum.attr.DeepLift`, its gradient through the summed outputs."""
    from captum.attr import DeepLift

    # DeepLift sets hooks and attributes on the network's modules while it runs:
    # each thread that runs chunks takes a network of its own. A DeepLift per
    # chunk, since an instance keeps the handles of every hook it ever set and
    # removes them all again on every call.
    free: queue.SimpleQueue[nn.Module] = queue.SimpleQueue()
    for net in job.nets:
        free.put(net)
    local = threading.local()

    def deeplift() -> DeepLift:
        if not hasattr(local, "net"):
            local.net = free.get_nowait()
        method = DeepLift(local.net)
        method.gradient_func = summed_gradients
        return method

    def compute(start: int, stop: int) -> torch.Tensor:
        x = job.X[start:stop].to(job.device).requires_grad_()
        base = _rows(job.baselines, start, stop, job.device)
        target = _target_rows(job.target, start, stop, job.device)
        return cast(torch.Tensor, deeplift().attribute(x, baselines=base, target=target)).detach()

    return compute


def _feature_ablation_chunks(job: _Job) -> Compute:
    """Captum's :class:`~captum.attr.FeatureAblation`, one chunk at a time."""
    from captum.attr import FeatureAblation

    def compute(start: int, stop: int) -> torch.Tensor:
        # An instance per chunk: chunks run concurrently, and the network's plain
        # forward pass is all they share.
        with torch.no_grad():
            return cast(
                torch.Tensor,
                FeatureAblation(job.net).attribute(
                    job.X[start:stop].to(job.device),
                    baselines=_rows(job.baselines, start, stop, job.device),
                    target=_target_rows(job.target, start, stop, job.device),
                ),
            )

    return compute


# --- the registry -----------------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    """One attribution method of :func:`attribute_dataset`.

    Attributes
    ----------
    name : str
        The key in :data:`METHODS`, e.g. ``"integrated_gradients"``.
    label : str
        The label of the tutorial's chart, e.g. ``"Int Grads"``.
    captum_name : str
        The Captum class whose result :func:`attribute_dataset` equals, by its
        name in ``captum.attr`` (the class itself is ``captum_class``).
    options : Mapping[str, int or float]
        The options the method takes, with Captum's defaults (read-only).
    evaluations : callable
        Network evaluations per input row in the largest forward pass of a chunk,
        given the options.
    chunks : callable
        How the engine computes a chunk (internal).
    wraps : str or None, default=None
        For NoiseTunnel, the Captum class it wraps (``"IntegratedGradients"``).
    random : bool, default=False
        Whether the method draws random numbers (then ``seed`` matters).
    references : bool, default=False
        Whether its baselines are reference rows to draw from (GradientShap)
        rather than one baseline per row.
    hooks : bool, default=False
        Whether Captum's class sets hooks on the network's modules while it runs
        (DeepLift), so that chunks running at the same time need copies of it.

    Examples
    --------
    >>> METHODS["noise_tunnel"].label
    'Int Grads w/SmoothGrad'
    >>> METHODS["noise_tunnel"].captum_class.__name__
    'NoiseTunnel'
    >>> dict(METHODS["noise_tunnel"].options)
    {'n_steps': 50, 'nt_samples': 5, 'stdevs': 1.0}
    >>> METHODS["noise_tunnel"].evaluations(METHODS["noise_tunnel"].options)
    250
    """

    name: str
    label: str
    captum_name: str
    options: Mapping[str, int | float]
    evaluations: Callable[[Mapping[str, Any]], int] = field(repr=False, compare=False)
    chunks: Callable[[_Job], Compute] = field(repr=False, compare=False)
    wraps: str | None = None
    random: bool = False
    references: bool = False
    hooks: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    @property
    def captum_class(self) -> type[Attribution]:
        """The Captum class, e.g. :class:`captum.attr.NoiseTunnel`."""
        import captum.attr

        return cast("type[Attribution]", getattr(captum.attr, self.captum_name))

    def captum(self, model: nn.Module) -> Attribution:
        """The plain Captum object for ``model``, as the tutorial makes it.

        ``NoiseTunnel(IntegratedGradients(model))`` for ``"noise_tunnel"``, else
        ``captum_class(model)``. Its ``attribute(X, baselines=..., target=...,
        **options)`` is the call that :func:`attribute_dataset` equals.

        Examples
        --------
        >>> type(METHODS["deeplift"].captum(torch.nn.Linear(3, 1))).__name__
        'DeepLift'
        """
        import captum.attr

        if self.wraps is None:
            return self.captum_class(model)
        inner = getattr(captum.attr, self.wraps)(model)
        return self.captum_class(inner)


#: The methods of :func:`attribute_dataset`, by name: each a ``Method`` record
#: with its Captum class, the tutorial's label and Captum's default options.
METHODS: Mapping[str, Method] = MappingProxyType(
    {
        method.name: method
        for method in (
            Method(
                name="integrated_gradients",
                label="Int Grads",
                captum_name="IntegratedGradients",
                options={"n_steps": 50},
                evaluations=lambda o: o["n_steps"],
                chunks=_integrated_gradients_chunks,
            ),
            Method(
                name="noise_tunnel",
                label="Int Grads w/SmoothGrad",
                captum_name="NoiseTunnel",
                wraps="IntegratedGradients",
                options={"n_steps": 50, "nt_samples": 5, "stdevs": 1.0},
                random=True,
                evaluations=lambda o: o["n_steps"] * o["nt_samples"],
                chunks=_noise_tunnel_chunks,
            ),
            Method(
                name="deeplift",
                label="DeepLift",
                captum_name="DeepLift",
                options={},
                # DeepLift runs each row and its baseline in one batch.
                evaluations=lambda _o: 2,
                chunks=_deeplift_chunks,
                hooks=True,
            ),
            Method(
                name="gradient_shap",
                label="GradientSHAP",
                captum_name="GradientShap",
                options={"n_samples": 5, "stdevs": 0.0},
                random=True,
                references=True,
                evaluations=lambda o: o["n_samples"],
                chunks=_gradient_shap_chunks,
            ),
            Method(
                name="feature_ablation",
                label="Feature Ablation",
                captum_name="FeatureAblation",
                options={},
                # One forward pass per feature, each of the chunk's size.
                evaluations=lambda _o: 1,
                chunks=_feature_ablation_chunks,
            ),
        )
    }
)

#: Captum's options for splitting a call into batches, which chunking replaces.
_CAPTUM_BATCHING = {"internal_batch_size", "nt_samples_batch_size", "perturbations_per_eval"}

_OPTION_CHECKS: dict[str, Callable[[object, str], int | float]] = {
    "n_steps": check_positive_int,
    "nt_samples": check_positive_int,
    "n_samples": check_positive_int,
    "stdevs": check_nonnegative_float,
}


# --- shared machinery ------------------------------------------------------------------


def _model_on(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` itself if it already lives on ``device``, else a copy moved there."""
    tensors = [*model.parameters(), *model.buffers()]
    if all(t.device == device for t in tensors):
        return model
    return copy.deepcopy(model).to(device)


def _n_outputs(
    net: nn.Module, x: torch.Tensor, feature_names: tuple[str, ...] | None
) -> int | None:
    """Values the network returns per row (None: a vector, one per row), from one row."""
    try:
        with torch.no_grad():
            output = net(x)
    except Exception as exc:
        columns = f" ({', '.join(feature_names)})" if feature_names else ""
        mode = " (it is in training mode: model.eval() turns that off)" if net.training else ""
        raise ValueError(
            f"the model cannot run on the rows of X, which have {x.shape[1]} columns"
            f"{columns}: model(X[:1]) raised {type(exc).__name__}: {exc}{mode}"
        ) from exc
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"the model must return a tensor, it returned {type(output).__name__}")
    if output.shape == (1,):
        return None
    if output.ndim != 2 or output.shape[0] != 1 or output.shape[1] == 0:
        raise ValueError(
            "the model must return a tensor of shape (n_samples,) or (n_samples, "
            f"n_outputs); for 1 row it returned {tuple(output.shape)}"
        )
    return output.shape[1]


@dataclass(frozen=True)
class _Threads:
    """How the chunks run: ``workers`` threads, each with one of ``nets``."""

    workers: int
    #: Whether every operation runs on one thread (torch's thread count is 1 meanwhile).
    single_threaded_ops: bool
    nets: tuple[nn.Module, ...]


def _threads(device: torch.device, net: nn.Module, n_chunks: int, *, hooks: bool) -> _Threads:
    """On the CPU, chunks on as many threads as torch would use in one operation.

    A chunk's operations are small (it fits in cache): split across threads, each
    of them waits for the slowest thread, and on a busy machine (another process
    holding a core) every such wait can last a time slice of the scheduler, longer
    than the arithmetic. So every operation runs on one thread, and chunks run side
    by side on threads of their own, which need no waits: a thread that falls
    behind simply takes fewer chunks. Even a single chunk runs on one thread.

    A method that ``hooks`` the network's modules (DeepLift) needs a copy of the
    network per thread; a network that ``copy.deepcopy`` cannot copy runs its
    chunks one after the other, and so does one over :data:`_COPY_LIMIT` bytes,
    whose operations are then large enough to split across torch's threads.
    Other devices run one chunk at a time.
    """
    if device.type != "cpu":
        return _Threads(1, False, (net,))
    workers = max(1, min(torch.get_num_threads(), n_chunks))
    if not hooks or workers == 1:
        return _Threads(workers, True, (net,))
    size = sum(t.numel() * t.element_size() for t in (*net.parameters(), *net.buffers()))
    if size > _COPY_LIMIT:
        return _Threads(1, False, (net,))
    try:
        return _Threads(workers, True, tuple(copy.deepcopy(net) for _ in range(workers)))
    except Exception:  # noqa: BLE001 -- a module holding a lock, a file, a generator...
        return _Threads(1, True, (net,))


#: The largest network (parameters and buffers, in bytes) that methods hooking its
#: modules copy for each thread.
_COPY_LIMIT = 64 * 2**20


def _fill(
    out: torch.Tensor,
    compute: Compute,
    batch_size: int,
    threads: _Threads,
    *,
    desc: str,
    progress: bool | None,
) -> None:
    """``out[start:stop] = compute(start, stop)`` for each chunk, with a progress bar."""
    from tqdm import tqdm

    n_rows = out.shape[0]
    ranges = [(a, min(a + batch_size, n_rows)) for a in range(0, n_rows, batch_size)]
    bar = tqdm(
        total=n_rows,
        desc=desc,
        unit="row",
        unit_scale=True,
        disable=None if progress is None else not progress,
    )
    ops = intra_op_threads(1) if threads.single_threaded_ops else contextlib.nullcontext()
    with bar, ops:
        if threads.workers == 1:
            for start, stop in ranges:
                out[start:stop] = compute(start, stop)
                bar.update(stop - start)
            return

        def run(start: int, stop: int) -> int:
            out[start:stop] = compute(start, stop)
            return stop - start

        # A few chunks in flight per thread, the next submitted as one is done:
        # waiting on a handful of futures is cheap, and a failed chunk stops the
        # work after the chunks in flight.
        todo = iter(ranges)
        with ThreadPoolExecutor(threads.workers) as pool:
            pending: set[Future[int]] = set()
            while True:
                for start, stop in itertools.islice(todo, 2 * threads.workers - len(pending)):
                    pending.add(pool.submit(run, start, stop))
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    bar.update(future.result())


@dataclass(frozen=True)
class _Checked:
    """The arguments both public functions share, checked."""

    net: nn.Module
    X: torch.Tensor
    baselines: torch.Tensor | None
    target: Target
    device: torch.device
    batch_size: int | None
    progress: bool | None


def _prepare(
    model: object,
    X: object,
    *,
    baselines: object,
    target: object,
    feature_names: object,
    device: object,
    batch_size: object,
    progress: object,
    references: bool = False,
) -> _Checked:
    """The checks both functions share, in the order a reader fixes them."""
    model = check_module(model)
    names = check_feature_names(feature_names)
    table = check_table(X, feature_names=names)
    dev = check_device(device)
    size = None if batch_size is None else check_positive_int(batch_size, "batch_size")
    show = check_optional_bool(progress, "progress")
    n_rows, n_features = table.shape
    if references and baselines is None:
        raise ValueError(
            "gradient_shap needs baselines: a tensor of reference rows of shape "
            f"(n_references, {n_features}) to draw from, e.g. the training set"
        )
    base = check_baselines(
        baselines, n_rows=n_rows, n_features=n_features, feature_names=names, references=references
    )
    net = _model_on(model, dev)
    n_outputs = _n_outputs(net, table[:1].detach().to(dev), names)
    goal = check_target(target, n_rows=n_rows, n_outputs=n_outputs)
    return _Checked(net, table.detach(), base, goal, dev, size, show)


# --- the public functions ----------------------------------------------------------------


def attribute_dataset(
    model: nn.Module,
    X: torch.Tensor,
    method: str,
    *,
    baselines: torch.Tensor | float | None = None,
    target: int | list[int] | torch.Tensor | None = None,
    feature_names: list[str] | tuple[str, ...] | None = None,
    seed: int | None = 0,
    batch_size: int | None = None,
    device: str | torch.device = "cpu",
    progress: bool | None = None,
    **options: Any,
) -> torch.Tensor:
    """Attribute a model's output to the input features, for every row of a table.

    The numbers of the plain Captum call (``METHODS[method].captum(model).attribute(X,
    baselines=..., target=..., **options)``, e.g. ``IntegratedGradients(model)
    .attribute(X, n_steps=50)``) for any number of rows, chunk by chunk in bounded
    memory, and many times faster (see Notes).

    Parameters
    ----------
    model : torch.nn.Module
        A network that takes rows of ``n_features`` values and returns one value
        per row (shape (n_samples,) or (n_samples, 1)) or several (n_samples,
        n_outputs). Its outputs must depend on its own row only (no batch
        statistics), as for any network in ``eval()`` mode.
    X : torch.Tensor of shape (n_samples, n_features)
        Float32 rows to explain, on any device; any number of rows >= 1.
    method : str
        A key of :data:`METHODS`: ``"integrated_gradients"``, ``"noise_tunnel"``
        (SmoothGrad over IG), ``"deeplift"``, ``"gradient_shap"`` or
        ``"feature_ablation"``.
    baselines : torch.Tensor or float, optional
        The reference input, in one of these forms (the same as
        :func:`layer_conductance_dataset`): a number, for every feature of every
        row; a tensor of shape (n_features,) or (1, n_features), one reference row
        for every row (e.g. the training set's mean, ``X_train.mean(0)``); or one
        reference row per row of ``X``, (n_samples, n_features). Default zero.
        Tensors must be float32 and finite; a NumPy array is refused (convert it
        with ``torch.as_tensor(a, dtype=torch.float32)``). For ``"gradient_shap"``
        (required): reference rows to draw from, a tensor of shape
        (n_references, n_features), e.g. the training set.
    target : int, list of int or torch.Tensor, optional
        Which output to explain, for a model with several: an int, or one per row
        (a list or a 1-D integer tensor of n_samples), as Captum takes it.
        ``None`` (default) for a model with one output.
    feature_names : sequence of str, optional
        The names of the columns of ``X``, used in error messages.
    seed : int or None, default=0
        Seed of torch's and NumPy's global generators for the random methods; the
        caller's random state is restored afterwards. ``None`` draws from the
        global state as a direct Captum call does. Draws are made on the CPU
        whatever the ``device``, so a seed gives the same draws everywhere.
    batch_size : int, optional
        Rows of ``X`` per chunk. Working memory grows with it: a chunk evaluates
        the network ``batch_size`` times the evaluations per row (``n_steps``
        for IG, ``n_steps * nt_samples`` for NoiseTunnel, ``n_samples`` for
        GradientShap, 2 for DeepLift, 1 per forward pass for FeatureAblation).
        Default: :data:`CHUNK_EVALUATIONS` evaluations per chunk. The result does
        not depend on it.
    device : str or torch.device, default="cpu"
        Where the network runs. Chunks are moved there one at a time; the model is
        used as it is if it lives there, else a copy is moved (the caller's model
        is never moved).
    progress : bool or None, default=None
        Show a progress bar over the rows; ``None`` shows one only on a terminal.
    **options
        The method's options (``METHODS[method].options``), with Captum's defaults:
        ``n_steps=50`` (IG, NoiseTunnel), ``nt_samples=5`` and ``stdevs=1.0``
        (NoiseTunnel), ``n_samples=5`` and ``stdevs=0.0`` (GradientShap).

    Returns
    -------
    torch.Tensor of shape (n_samples, n_features)
        The attributions: a new float32 tensor on the CPU, detached from any
        graph (``.numpy()`` works on it directly).

    Raises
    ------
    ValueError
        For an unknown method, bad shapes, an empty ``X``, NaN or infinite values,
        a bad option value, ``batch_size`` or ``target``, a model with several
        outputs and no ``target``, or a device that is not available
        (``"meta"`` included); all before any attribution work.
    TypeError
        For a model that is not a :class:`torch.nn.Module` (a file path, say),
        inputs that are not float32 tensors, or options the method does not take
        (with the closest name the method does take).

    See Also
    --------
    layer_conductance_dataset : The conductance of a layer's neurons.

    Notes
    -----
    Captum, given a whole table, differentiates every evaluated row's output
    separately (a million autograd roots for IG on 20,640 rows) and holds the
    activations of all the expanded rows at once. Here the rows go through in
    chunks whose activations fit in the processor's cache, and the gradient of
    each chunk is taken through the sum of its outputs: the same gradients, since
    a row's output depends on that row only (which is why the model must not mix
    rows, e.g. through batch statistics). The random methods draw what Captum
    draws, in Captum's order, once for the whole table: the result does not depend
    on ``batch_size``.

    Apart from the output, the only memory that grows with the number of rows holds
    those draws (``nt_samples`` or ``n_samples`` values per input value).

    On the CPU, chunks run concurrently on ``torch.get_num_threads()`` threads, each
    operation on a single thread: torch's thread count is set to 1 for the duration
    of the call and restored afterwards. Small operations split across threads
    wait for each other, and on a busy machine each wait can last a time slice of
    the scheduler; chunks on threads of their own do not wait, and a thread that
    falls behind takes fewer chunks. Working memory is then about one chunk per
    thread, and the result does not depend on the number of threads. DeepLift
    gives each of those threads a copy of the network, since it hooks its modules
    (for a network over 64 MiB, or one that cannot be copied, its chunks run one
    after the other instead).

    Examples
    --------
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 2))
    >>> X = torch.rand(1000, 3)
    >>> attributions = attribute_dataset(model, X, "integrated_gradients", target=1)
    >>> attributions.shape, attributions.dtype, attributions.requires_grad
    (torch.Size([1000, 3]), torch.float32, False)

    The same numbers as Captum's own call:

    >>> from captum.attr import IntegratedGradients
    >>> plain = IntegratedGradients(model).attribute(X, target=1, n_steps=50)
    >>> torch.allclose(attributions, plain, atol=1e-6)
    True
    """
    if method in ("layer_conductance", "conductance"):
        raise ValueError(
            f"{method!r} is a layer method: use calhouse.layer_conductance_dataset(model, X, layer)"
        )
    spec = METHODS[check_choice(method, METHODS, "attribution method")]
    batching = sorted(set(options) & _CAPTUM_BATCHING)
    if batching:
        raise TypeError(
            f"{batching[0]} is Captum's own way of splitting the work; here the rows "
            "go through in chunks already: pass batch_size (rows per chunk) instead"
        )
    check_options(options, spec.options, spec.name)
    chosen = {**spec.options}
    for option, value in options.items():
        chosen[option] = _OPTION_CHECKS[option](value, option)
    seed = check_seed(seed)
    args = _prepare(
        model,
        X,
        baselines=baselines,
        target=target,
        feature_names=feature_names,
        device=device,
        batch_size=batch_size,
        progress=progress,
        references=spec.references,
    )
    size = args.batch_size or max(1, CHUNK_EVALUATIONS // spec.evaluations(chosen))
    n_rows = args.X.shape[0]
    threads = _threads(args.device, args.net, -(-n_rows // size), hooks=spec.hooks)
    job = _Job(
        args.net,
        args.X,
        args.baselines,
        args.target,
        MappingProxyType(chosen),
        seed,
        args.device,
        threads.nets,
    )
    out = torch.empty(args.X.shape, dtype=torch.float32)
    with warnings.catch_warnings():
        # Captum's DeepLift announces, on every call, the hooks it sets and removes
        # again. (Filters are global: one block around all the threads' chunks.)
        warnings.filterwarnings("ignore", "Setting forward, backward hooks", UserWarning)
        _fill(out, spec.chunks(job), size, threads, desc=spec.name, progress=args.progress)
    return out


def layer_conductance_dataset(
    model: nn.Module,
    X: torch.Tensor,
    layer: str | nn.Module,
    *,
    n_steps: int = 50,
    attribute_to_layer_input: bool = False,
    baselines: torch.Tensor | float | None = None,
    target: int | list[int] | torch.Tensor | None = None,
    feature_names: list[str] | tuple[str, ...] | None = None,
    batch_size: int | None = None,
    device: str | torch.device = "cpu",
    progress: bool | None = None,
) -> torch.Tensor:
    """:class:`~captum.attr.LayerConductance` of a layer's neurons, for every row of a table.

    The numbers of ``LayerConductance(model, layer).attribute(X, n_steps=...,
    attribute_to_layer_input=..., baselines=..., target=...)``, chunk by chunk:
    Captum's quadrature with ``n_steps + 1`` Gauss-Legendre points, the layer's
    values captured by a forward hook, and its gradient taken through the sum of
    the chunk's outputs.

    Parameters
    ----------
    model : torch.nn.Module
        As in :func:`attribute_dataset`.
    X : torch.Tensor of shape (n_samples, n_features)
        Float32 rows to explain, on any device; any number of rows >= 1.
    layer : str or torch.nn.Module
        The layer: a submodule of ``model``, or its name (``"lin4"``,
        ``"0.linear"``, as :meth:`torch.nn.Module.named_modules` gives it). It
        must run once per forward pass.
    n_steps : int, default=50
        Integration steps (Captum's default; the tutorial uses 100).
    attribute_to_layer_input : bool, default=False
        Attribute to the layer's inputs (True) or outputs (False, Captum's default).
    baselines : torch.Tensor or float, optional
        The reference input, in the forms :func:`attribute_dataset` takes; default
        zero.
    target : int, list of int or torch.Tensor, optional
        As in :func:`attribute_dataset`.
    feature_names : sequence of str, optional
        The names of the columns of ``X``, used in error messages.
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
        The conductance of each of the layer's values (its input's with
        ``attribute_to_layer_input``): a new float32 tensor on the CPU, detached
        from any graph.

    Raises
    ------
    ValueError, TypeError
        As :func:`attribute_dataset`, and for a layer that is not a submodule of
        ``model`` (with the closest name there is), all before any work.

    Examples
    --------
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1))
    >>> X = torch.rand(1000, 3)
    >>> conductance = layer_conductance_dataset(model, X, "1", n_steps=100)
    >>> conductance.shape
    torch.Size([1000, 16])
    >>> from captum.attr import LayerConductance
    >>> plain = LayerConductance(model, model[1]).attribute(X, n_steps=100)
    >>> torch.allclose(conductance, plain, atol=1e-6)
    True
    """
    model = check_module(model)
    layer_name, _ = check_submodule(model, layer)
    n_steps = check_positive_int(n_steps, "n_steps")
    to_input = check_bool(attribute_to_layer_input, "attribute_to_layer_input")
    args = _prepare(
        model,
        X,
        baselines=baselines,
        target=target,
        feature_names=feature_names,
        device=device,
        batch_size=batch_size,
        progress=progress,
    )
    net, table, base, goal, dev = args.net, args.X, args.baselines, args.target, args.device
    size = args.batch_size or max(1, CHUNK_EVALUATIONS // (n_steps + 1))
    module = dict(net.named_modules())[layer_name]
    _, alphas = _quadrature(n_steps + 1, dev)
    n_features = table.shape[1]
    kept = threading.local()  # each thread's layer values of its current chunk

    # The hooks put a clone of the layer's value into the graph, as Captum's do, so
    # that the gradient is taken with respect to exactly the tensor that is kept.
    def keep_input(_module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> tuple[Any, ...]:
        kept.values.append(inputs[0].clone())
        return (kept.values[-1], *inputs[1:])

    def keep_output(_module: nn.Module, _inputs: object, output: torch.Tensor) -> torch.Tensor:
        kept.values.append(output.clone())
        return cast(torch.Tensor, kept.values[-1])

    def layer_values(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The network's output on ``x`` and the layer's value in that pass."""
        kept.values = []
        output = net(x)
        if len(kept.values) != 1:
            raise ValueError(
                f"layer {layer_name!r} ran {len(kept.values)} times in one forward pass; "
                "expected once"
            )
        return output, kept.values[0]

    def compute(start: int, stop: int) -> torch.Tensor:
        x, b = table[start:stop].to(dev), stop - start
        base_rows = _rows(base, start, stop, dev)
        if base_rows is None:
            base_rows = torch.zeros(1, n_features, device=dev)
        scaled = (base_rows + alphas.view(-1, 1, 1) * (x - base_rows)).reshape(-1, n_features)
        with torch.enable_grad():
            output, value = layer_values(scaled.requires_grad_())
            target_rows = _expand(_target_rows(goal, start, stop, dev), n_steps + 1)
            (grads,) = torch.autograd.grad(_select(output, target_rows).sum(), value)
        value = value.detach()
        # Captum: the layer's change between consecutive points times its gradient
        # at the first of them, summed over the steps.
        return ((value[b:] - value[:-b]) * grads[:-b]).reshape(n_steps, b, -1).sum(0)

    hook = (
        module.register_forward_pre_hook(keep_input)
        if to_input
        else module.register_forward_hook(keep_output)
    )
    try:
        with torch.no_grad():
            width = layer_values(table[:1].to(dev))[1][0].numel()
        out = torch.empty(table.shape[0], width, dtype=torch.float32)
        threads = _threads(dev, net, -(-table.shape[0] // size), hooks=False)
        _fill(out, compute, size, threads, desc="layer_conductance", progress=args.progress)
    finally:
        hook.remove()
    return out
