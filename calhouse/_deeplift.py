"""DeepLift for the engine: Captum's Rescale rule, with hooks of calhouse's own.

Captum's :class:`~captum.attr.DeepLift` runs each row with its baseline in one
batch, and its hooks replace the derivative of each activation module by a
multiplier, for the rows and for the baselines. Here the baselines run first,
without gradients, the hooks keep what each module did, and the rows then run
with the multipliers (:class:`Rescale`) in place of the modules' derivatives:
the same multipliers, and a backward pass over the rows only.
"""

from __future__ import annotations

import threading
from typing import Any

import torch
from torch import nn

from calhouse._chunks import Chunked, Job, input_gradients, rows, target_rows

#: The modules whose DeepLift multiplier is Captum's Rescale rule (``captum.attr.DeepLift``
#: hooks exactly these types, and passes the gradient through any other module).
RESCALE = (nn.ReLU, nn.ELU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Softplus)
#: Modules Captum's DeepLift gives rules of their own, which the engine does not take.
OTHER_RULES = {
    nn.Softmax: "its rule mixes the rows of a batch (it subtracts a mean over the whole "
    "batch), so no result computed in chunks can equal Captum's",
    nn.MaxPool1d: "its rule is not implemented here",
    nn.MaxPool2d: "its rule is not implemented here",
    nn.MaxPool3d: "its rule is not implemented here",
}
#: Captum's DeepLift's ``eps``: below this change of its input, a module's own gradient.
RESCALE_EPS = 1e-10


class Rescale(torch.autograd.Function):
    """DeepLift's Rescale rule for one module: its output, with a gradient of multipliers.

    ``forward(x, y, x_ref, y_ref)`` returns ``y``, the module's output on ``x``;
    backward gives ``x`` the incoming gradient times ``(y - y_ref) / (x - x_ref)``,
    in Captum's order of operations, and where the input hardly moved
    (``|x - x_ref| < RESCALE_EPS``) passes the gradient to ``y``, through the
    module's own derivative, as Captum falls back to it.

    Whether any input hardly moved is found in the forward pass, from the smallest
    ``|x - x_ref|``: one pass and a minimum, where the mask of such inputs and the
    choices it makes would take several (comparisons and selections are the
    slowest of torch's elementwise operations on the CPU). The mask is made only
    when there is such an input.
    """

    @staticmethod
    def forward(
        ctx: Any, x: torch.Tensor, y: torch.Tensor, x_ref: torch.Tensor, y_ref: torch.Tensor
    ) -> torch.Tensor:
        delta_in = x - x_ref
        ctx.save_for_backward(delta_in, y - y_ref)
        ctx.fallback = delta_in.numel() > 0 and bool(delta_in.abs().amin() < RESCALE_EPS)
        return y.view_as(y)

    @staticmethod
    def backward(
        ctx: Any, grad: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None, None, None]:
        delta_in, delta_out = ctx.saved_tensors
        rescaled = grad.mul(delta_out).div_(delta_in)  # (grad * delta_out) / delta_in
        if not ctx.fallback:
            return rescaled, None, None, None
        small = delta_in.abs() < RESCALE_EPS
        return torch.where(small, 0.0, rescaled), torch.where(small, grad, 0.0), None, None


def unequal_passes(more_or_fewer: str) -> ValueError:
    """The error for rows and baselines that ran different activation modules."""
    return ValueError(
        f"deeplift: the network ran {more_or_fewer} activation modules on the rows than on "
        "their baselines; its forward pass must not depend on the values"
    )


def deeplift_chunks(job: Job) -> Chunked:
    """:class:`~captum.attr.DeepLift` (Rescale rule), with hooks of the engine's own.

    Captum runs each row with its baseline in one batch and differentiates both;
    here the baselines run first, without gradients (one row for all when there
    is one baseline), the hooks keep each module's input and output, and the rows
    then run with every such module's gradient replaced by its multipliers
    (:class:`Rescale`): half the backward pass, the same multipliers.
    """
    for name, module in job.net.named_modules():
        if type(module) in OTHER_RULES:
            raise ValueError(
                f"deeplift: module {name or 'model'!r} is {type(module).__name__}: "
                f"{OTHER_RULES[type(module)]}; calhouse's DeepLift applies the Rescale rule of "
                f"{', '.join(kind.__name__ for kind in RESCALE)} modules only. Call "
                "captum.attr.DeepLift on this network directly"
            )
    state = threading.local()  # each thread's pass: what runs, what the baselines gave
    # One baseline row for every row (or the default zeros), not one per row: a
    # chunk of one row also has a one-row baseline, but its own.
    one_baseline = job.baselines is None or job.baselines.shape[0] == 1

    def before(_module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...]:
        # An in-place module (ReLU(inplace=True)) works on a copy: its input is kept.
        state.inputs.append(args[0])
        return (args[0].clone(), *args[1:])

    def after(
        module: nn.Module, args: tuple[Any, ...], output: torch.Tensor
    ) -> torch.Tensor | None:
        x = state.inputs.pop() if module in in_place else args[0]
        if state.references is None:  # the baselines' pass: keep what the module did
            state.kept.append((x, output))
            return None
        if state.step == len(state.references):
            raise unequal_passes("more")
        x_ref, y_ref = state.references[state.step]
        state.step += 1
        rescaled: torch.Tensor = Rescale.apply(x, output, x_ref, y_ref)  # type: ignore[no-untyped-call]
        return rescaled

    def baselines_pass(base: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Each module's input and output on ``base``, in the order they ran."""
        state.inputs, state.kept, state.references = [], [], None
        with torch.no_grad():
            job.net(base)
        kept: list[tuple[torch.Tensor, torch.Tensor]] = state.kept
        return kept

    def compute(start: int, stop: int) -> torch.Tensor:
        x = job.X[start:stop].to(job.device)
        base = rows(job.baselines, start, stop, job.device)
        if base is None:
            base = torch.zeros(1, x.shape[1], dtype=x.dtype, device=x.device)
        if not one_baseline:
            references = baselines_pass(base)
        elif hasattr(state, "shared_pass"):  # the same for every chunk: kept per thread
            references = state.shared_pass
        else:
            references = state.shared_pass = baselines_pass(base)
        state.inputs, state.references, state.step = [], references, 0
        target = target_rows(job.target, start, stop, job.device)
        grad = input_gradients(job.net, x, target)
        if state.step != len(state.references):
            raise unequal_passes("fewer")
        attributions: torch.Tensor = (x - base) * grad
        return attributions

    rescaled = [module for module in job.net.modules() if type(module) in RESCALE]
    in_place = {module for module in rescaled if getattr(module, "inplace", False)}
    hooks = (
        *(module.register_forward_pre_hook(before) for module in in_place),
        *(module.register_forward_hook(after) for module in rescaled),
    )
    return Chunked(compute, hooks)
