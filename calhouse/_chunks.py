"""How one chunk of rows is attributed: Captum's arithmetic, a chunk at a time.

Each ``*_chunks`` function takes a :class:`Job` (the checked arguments of a
call) and returns the computation of the rows ``start:stop``, which the runner
(:mod:`calhouse._runner`) applies chunk by chunk. The gradients are taken
through the sum of a chunk's outputs (:func:`input_gradients`): the same
numbers as Captum's one autograd root per row, since a row's output depends on
that row only. The integrated methods use Captum's Gauss-Legendre steps from
``numpy.polynomial.legendre.leggauss`` and its order of operations;
FeatureAblation is Captum's own class, called chunk by chunk. DeepLift, with
hooks of the engine's own, is in :mod:`calhouse._deeplift`.

Each builder returns a :class:`Chunked`, a context manager: what it sets on the
network (hooks) stays for the whole call, shared by the threads that run chunks,
and is removed on leaving.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from calhouse._random import seeded

#: A target as the chunk builders get it: checked, and a tensor on the CPU.
Target = int | torch.Tensor | None
#: Attributions of the rows ``start:stop`` of the table.
Compute = Callable[[int, int], torch.Tensor]


@dataclass(frozen=True)
class Job:
    """What the chunk builders get: everything checked, on its device."""

    net: nn.Module
    X: torch.Tensor
    baselines: torch.Tensor | None
    target: Target
    options: Mapping[str, Any]
    seed: int | None
    device: torch.device


@dataclass(frozen=True)
class Chunked:
    """What a chunk builder returns: ``with Chunked(...) as compute``.

    Leaving the block removes the ``hooks`` the builder set on the network (the
    builders are plain functions, not generators, so that mutation testing
    reaches their bodies: mutmut leaves decorated functions alone).
    """

    compute: Compute
    hooks: tuple[RemovableHandle, ...] = ()

    def __enter__(self) -> Compute:
        return self.compute

    def __exit__(self, *_exc: object) -> None:
        for hook in self.hooks:
            hook.remove()


# --- shared arithmetic ----------------------------------------------------------------


def select(outputs: torch.Tensor, target: Target) -> torch.Tensor:
    """The outputs to explain, chosen as Captum chooses them for a 2-D output."""
    if target is None:
        return outputs
    if isinstance(target, int):
        return outputs[:, target]
    if target.numel() == 1:  # Captum reads a one-element tensor as a column
        return outputs[:, int(target)]
    return outputs.gather(1, target.view(-1, 1).to(outputs.device)).squeeze(1)


def expand(target: Target, repeats: int, *, interleave: bool = False) -> Target:
    """A per-row target for rows repeated ``repeats`` times, as Captum expands it."""
    if not isinstance(target, torch.Tensor) or target.numel() == 1:
        return target
    return target.repeat_interleave(repeats) if interleave else target.repeat(repeats)


def input_gradients(net: nn.Module, x: torch.Tensor, target: Target) -> torch.Tensor:
    """The gradient of each row's output (its ``target``) with respect to that row.

    Captum differentiates ``torch.unbind(outputs)``, one autograd root per row;
    this differentiates the sum of the outputs, one root in all. When each output
    depends on its own row only (any network without batch statistics), every
    row's gradient is the same.
    """
    x = x.detach().requires_grad_()
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(select(net(x), target).sum(), x)
    return grad


@functools.lru_cache(maxsize=32)
def _gauss_legendre(n_steps: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Captum's ``"gausslegendre"`` step sizes and alphas: the nodes moved to [0, 1]."""
    nodes, weights = np.polynomial.legendre.leggauss(n_steps)
    return tuple((0.5 * weights).tolist()), tuple((0.5 * (1 + nodes)).tolist())


def quadrature(n_steps: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Step sizes and alphas as float32 tensors on ``device``, as Captum uses them."""
    steps, alphas = _gauss_legendre(n_steps)
    return (
        torch.tensor(steps, dtype=torch.float32, device=device),
        torch.tensor(alphas, dtype=torch.float32, device=device),
    )


def integrated_gradients(
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
        baseline = torch.zeros(1, n_features, dtype=x.dtype, device=x.device)
    diff = x - baseline
    # baseline + alpha * (input - baseline), every step of every row, step-major.
    scaled = (baseline + alphas.view(-1, 1, 1) * diff).reshape(n_steps * n_rows, n_features)
    grads = input_gradients(net, scaled, expand(target, n_steps))
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
    noise = torch.empty(n_rows, n_features, dtype=torch.float32).normal_(0.0, stdev)
    return None if stdev == 0 else noise


def rows(tensor: torch.Tensor | None, start: int, stop: int, device: torch.device) -> Any:
    """Rows ``start:stop`` of a per-row tensor; a one-row tensor or None as it is."""
    if tensor is None:
        return None
    if tensor.shape[0] == 1:
        return tensor.to(device)
    return tensor[start:stop].to(device)


def target_rows(target: Target, start: int, stop: int, device: torch.device) -> Target:
    if isinstance(target, torch.Tensor):
        return target[start:stop].to(device)
    return target


# --- chunk builders: each returns the computation of a chunk --------------------------


def integrated_gradients_chunks(job: Job) -> Chunked:
    """:class:`~captum.attr.IntegratedGradients` with Gauss-Legendre steps."""
    nodes = quadrature(job.options["n_steps"], job.device)

    def compute(start: int, stop: int) -> torch.Tensor:
        x = job.X[start:stop].to(job.device)
        base = rows(job.baselines, start, stop, job.device)
        target = target_rows(job.target, start, stop, job.device)
        return integrated_gradients(job.net, x, base, target, nodes)

    return Chunked(compute)


def noise_tunnel_chunks(job: Job) -> Chunked:
    """SmoothGrad over IG, as :class:`~captum.attr.NoiseTunnel` computes it."""
    n_samples, stdev = job.options["nt_samples"], job.options["stdevs"]
    n_rows, n_features = job.X.shape
    with seeded(job.seed):
        # NoiseTunnel._add_noise_to_input: one draw for all rows, row i's samples
        # at i * n_samples, ..., (i + 1) * n_samples - 1.
        noise = _noise(n_rows * n_samples, n_features, stdev, job.seed)
    nodes = quadrature(job.options["n_steps"], job.device)

    def compute(start: int, stop: int) -> torch.Tensor:
        noisy = job.X[start:stop].to(job.device).repeat_interleave(n_samples, dim=0)
        if noise is not None:
            noisy = noisy + noise[start * n_samples : stop * n_samples].to(job.device)
        base = rows(job.baselines, start, stop, job.device)
        if base is not None and base.shape[0] > 1:
            base = base.repeat_interleave(n_samples, dim=0)
        target = expand(
            target_rows(job.target, start, stop, job.device), n_samples, interleave=True
        )
        attr = integrated_gradients(job.net, noisy, base, target, nodes)
        # NoiseTunnel's mean: the sum over the samples, times 1, over nt_samples.
        mean: torch.Tensor = attr.view(stop - start, n_samples, n_features).sum(1) * 1 / n_samples
        return mean

    return Chunked(compute)


def gradient_shap_chunks(job: Job) -> Chunked:
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
        span = slice(start * n_samples, stop * n_samples)
        x = job.X[start:stop].to(job.device).repeat_interleave(n_samples, dim=0)
        if noise is not None:
            x = x + noise[span].to(job.device)
        base = references[index[span]].to(job.device)
        alpha = coefficients[span].to(job.device).view(-1, 1)
        target = expand(
            target_rows(job.target, start, stop, job.device), n_samples, interleave=True
        )
        grads = input_gradients(job.net, alpha * x + (1.0 - alpha) * base, target)
        attr = (x - base) * grads
        mean: torch.Tensor = attr.view(stop - start, n_samples, n_features).sum(1) * 1 / n_samples
        return mean

    return Chunked(compute)


def feature_ablation_chunks(job: Job) -> Chunked:
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
                    baselines=rows(job.baselines, start, stop, job.device),
                    target=target_rows(job.target, start, stop, job.device),
                ),
            )

    return Chunked(compute)


def layer_conductance_chunks(
    job: Job, layer_name: str, n_steps: int, *, to_input: bool
) -> tuple[Chunked, int]:
    """:class:`~captum.attr.LayerConductance` of the layer ``layer_name``, and its width.

    Captum's quadrature with ``n_steps + 1`` Gauss-Legendre points, the layer's
    values captured by a hook on the module (removed on leaving the ``Chunked``
    block), and its gradient taken through the sum of the chunk's outputs. The
    width comes from one row, run before returning.
    """
    net, table, base, goal, dev = job.net, job.X, job.baselines, job.target, job.device
    module = dict(net.named_modules())[layer_name]
    _, alphas = quadrature(n_steps + 1, dev)
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
        base_rows = rows(base, start, stop, dev)
        if base_rows is None:
            base_rows = torch.zeros(1, n_features, dtype=torch.float32, device=dev)
        scaled = (base_rows + alphas.view(-1, 1, 1) * (x - base_rows)).reshape(-1, n_features)
        with torch.enable_grad():
            output, value = layer_values(scaled.requires_grad_())
            target = expand(target_rows(goal, start, stop, dev), n_steps + 1)
            (grads,) = torch.autograd.grad(select(output, target).sum(), value)
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
    except BaseException:
        hook.remove()
        raise
    return Chunked(compute, (hook,)), width
