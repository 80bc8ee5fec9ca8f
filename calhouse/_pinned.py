"""Pinned arithmetic: training that writes the same bytes on every x86-64 processor.

Two things make a training run's floating point depend on the processor:

* PyTorch picks its vectorised CPU kernels (ATen) by processor when it starts
  (SSE, AVX2 or AVX-512 code, each summing in its own order);
* matrix products go to MKL, which also picks its code by processor, and whose
  "conditional numerical reproducibility" mode (``MKL_CBWR=COMPATIBLE``) was
  measured to give other bits on an AMD processor than on an Intel one.

The pinned mode removes both: the training runs in a fresh process started with
``ATEN_CPU_CAPABILITY=default`` (the same portable kernels on every x86-64
processor, chosen before torch is imported, which is the only time torch reads
it) on one thread, and inside :class:`PinnedArithmetic`, which computes every
linear layer as an elementwise product and a sum, so that no matrix product,
and so no MKL or oneDNN code, takes part. Each remaining operation is ATen's
portable code, which does the same operations in the same order everywhere.

Other platforms (ARM, Apple silicon) compile those portable kernels with other
instructions (fused multiply-adds, for one), so their bytes differ; ``calhouse
check`` then compares within a stated tolerance instead.
"""

from __future__ import annotations

import codecs
import json
import os
import platform
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any, cast

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

#: Environment of a pinned training process: portable ATen kernels, one thread.
PINNED_ENVIRONMENT: Mapping[str, str] = {
    "ATEN_CPU_CAPABILITY": "default",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

#: Processors whose pinned training gives the shipped bytes (``platform.machine()``).
PINNED_MACHINES = ("x86_64", "AMD64")

# Matrix products, which would reach MKL or oneDNN: refused inside the pinned mode,
# so that a model using one fails loudly instead of training in processor-specific sums.
_MATRIX_PRODUCTS = frozenset(
    {
        torch.mm,
        torch.bmm,
        torch.matmul,
        torch.addmm,
        torch.baddbmm,
        torch.addbmm,
        torch.einsum,
        torch.Tensor.mm,
        torch.Tensor.bmm,
        torch.Tensor.matmul,
        torch.Tensor.__matmul__,
        torch.Tensor.addmm,
        F.bilinear,
        F.conv1d,
        F.conv2d,
    }
)

# Float32 functions that ATen computes with MKL's vector maths, whose results differ
# by processor and by MKL setting (measured: float32 sqrt is not correctly rounded on
# every code path). sqrt is computed exactly instead; the others are refused.
_SQRT = frozenset({torch.sqrt, torch.Tensor.sqrt, torch._foreach_sqrt})
_SQRT_IN_PLACE = frozenset({torch.Tensor.sqrt_, torch._foreach_sqrt_})
_VECTOR_MATHS = frozenset(
    {
        *(getattr(torch, name) for name in ("exp", "log", "log1p", "expm1", "tanh", "sigmoid")),
        *(getattr(torch, name) for name in ("sin", "cos", "tan", "erf", "erfc", "rsqrt")),
        *(getattr(torch.Tensor, name) for name in ("exp", "log", "tanh", "sigmoid", "rsqrt")),
        F.gelu,
        F.silu,
        F.softplus,
    }
)


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``x @ weight.T + bias`` as a broadcast product and a sum over the inputs."""
    out = (x.unsqueeze(-2) * weight).sum(-1)
    return out if bias is None else out + bias


def _exact_sqrt(x: torch.Tensor) -> torch.Tensor:
    """The correctly rounded square root: in float64, then rounded once to the input's dtype.

    float64 carries more than twice float32's precision, so that the double rounding
    of a square root cannot differ from a single one.
    """
    return x.double().sqrt().to(x.dtype)


class PinnedArithmetic(TorchFunctionMode):
    """Compute linear layers without BLAS and square roots exactly; refuse the rest.

    Used as a context manager around a training loop, backward pass and optimizer
    step included: the gradients of a product and a sum are again products and sums.
    The numbers equal those of :class:`torch.nn.Linear` up to the order of a float32
    sum. Matrix products and the vector-maths functions that MKL computes by
    processor (``exp``, ``tanh``, ...) raise :class:`RuntimeError`.
    """

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Sequence[type],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
    ) -> Any:
        kwargs = dict(kwargs or {})
        if func is F.linear:
            bias = args[2] if len(args) > 2 else kwargs.get("bias")
            return _linear(args[0], args[1], bias)
        if func in _SQRT:
            x = args[0]
            return [_exact_sqrt(t) for t in x] if isinstance(x, list | tuple) else _exact_sqrt(x)
        if func in _SQRT_IN_PLACE:
            x = args[0]
            for t in x if isinstance(x, list | tuple) else [x]:
                t.copy_(_exact_sqrt(t))
            return x
        if func in _MATRIX_PRODUCTS or func in _VECTOR_MATHS:
            raise RuntimeError(
                f"pinned arithmetic cannot compute {getattr(func, '__name__', func)} the same "
                "way on every processor; it supports torch.nn.Linear, ReLU, sums, products "
                "and square roots"
            )
        return func(*args, **kwargs)


def is_pinned() -> bool:
    """Whether this process runs torch's portable kernels, as a pinned process does."""
    return torch.backends.cpu.get_cpu_capability() == "DEFAULT"


def bytes_reproducible(machine: str | None = None) -> bool:
    """Whether pinned training on ``machine`` (default: this one) gives the shipped bytes."""
    return (machine or platform.machine()) in PINNED_MACHINES


# What the child process runs: one function of calhouse, with keyword arguments as JSON.
_CHILD = (
    "import importlib, json, sys; module, function = sys.argv[1].split(':'); "
    "getattr(importlib.import_module(module), function)(**json.loads(sys.argv[2]))"
)


def run_pinned(
    function: str, kwargs: Mapping[str, Any], *, on_line: Callable[[str], object] | None = None
) -> subprocess.CompletedProcess[str]:
    """Call ``function`` (``"module:name"``) with ``kwargs`` in a fresh, pinned process.

    The child inherits this process's environment (``CALHOUSE_DATA`` among it)
    with :data:`PINNED_ENVIRONMENT` on top; ``kwargs`` travel as JSON. Each line of
    its standard output goes to ``on_line`` as it comes; its standard error
    (progress bars, a traceback) is copied to this process's standard error as it
    comes. Both are returned with the exit status.
    """
    env = {**os.environ, **PINNED_ENVIRONMENT, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
    errors: list[str] = []

    def copy_stderr(stream: IO[str]) -> None:
        # Whatever has arrived, as it arrives: a text stream's read(n) would wait
        # for n characters, and hold back the end of a progress bar's line.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            chunk = os.read(stream.fileno(), 65536)
            # At the end (b""), a character cut off by the child's exit is flushed too.
            if text := decoder.decode(chunk, final=not chunk):
                errors.append(text)
                sys.stderr.write(text)
                sys.stderr.flush()
            if not chunk:
                return

    command = [sys.executable, "-c", _CHILD, function, json.dumps(dict(kwargs))]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8"
    ) as child:
        # Both are pipes (the arguments above); joined below, the reader needs no daemon flag.
        reader = threading.Thread(target=copy_stderr, args=(cast(IO[str], child.stderr),))
        reader.start()
        lines = []
        for line in cast(IO[str], child.stdout):
            lines.append(line)
            if on_line is not None:
                on_line(line.rstrip("\n"))
        returncode = child.wait()
        reader.join()
    return subprocess.CompletedProcess(command, returncode, "".join(lines), "".join(errors))
