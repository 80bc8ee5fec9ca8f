"""How the engine runs: the checks both public functions share, threads, chunk by chunk.

:func:`prepare` checks the arguments of :mod:`calhouse.attribution`'s functions
in the order a reader fixes them; :func:`threads` decides how many threads run
chunks; :func:`fill` runs them into the output tensor with a progress bar.
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

import torch
from torch import nn

from calhouse._checks import check_optional_bool, check_positive_int
from calhouse._chunks import Compute, Target
from calhouse._random import intra_op_threads
from calhouse._table_checks import (
    check_baselines,
    check_device,
    check_feature_names,
    check_module,
    check_table,
    check_target,
)


def model_on(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` itself if it already lives on ``device``, else a copy moved there."""
    tensors = [*model.parameters(), *model.buffers()]
    if all(t.device == device for t in tensors):
        return model
    return copy.deepcopy(model).to(device)


def n_outputs(net: nn.Module, x: torch.Tensor, feature_names: tuple[str, ...] | None) -> int | None:
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
class Threads:
    """How the chunks run: on ``workers`` threads."""

    workers: int
    #: Whether every operation runs on one thread (torch's thread count is 1 meanwhile).
    single_threaded_ops: bool


def threads(device: torch.device, n_chunks: int) -> Threads:
    """On the CPU, chunks on as many threads as torch would use in one operation.

    A chunk's operations are small (it fits in cache): split across threads, each
    of them waits for the slowest thread, and on a busy machine (another process
    holding a core) every such wait can last a time slice of the scheduler, longer
    than the arithmetic. So every operation runs on one thread, and chunks run side
    by side on threads of their own (:data:`SHARED_THREADS`), which need no
    waits: a thread that falls behind simply takes fewer chunks. Even a single
    chunk runs on one thread.
    Other devices run one chunk at a time.
    """
    if device.type != "cpu":
        return Threads(1, False)
    return Threads(max(1, min(torch.get_num_threads(), n_chunks)), True)


class SharedThreads:
    """The threads that run chunks, kept from one call to the next.

    A new thread's first chunk takes about twice as long as the next ones (its
    memory comes from a fresh arena of the allocator), and starting threads costs
    time of its own: on the tutorial's DeepLift, a whole call of some 20 ms, the
    kept threads save a quarter of it. Idle between calls, they wait on a queue
    and use no processor time. A forked process (whose copy of the pool has no
    threads) starts its own; a call that wants more threads than the pool has
    replaces it with a larger one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0
        self.size = 0

    def submit(self, task: Callable[[], None], n: int) -> list[Future[None]]:
        """``task`` on ``n`` of the threads at once."""
        with self._lock:  # a pool replaced by another call is never handed out
            if self._pool is None or self._pid != os.getpid() or self.size < n:
                if self._pool is not None and self._pid == os.getpid():
                    self._pool.shutdown(wait=False)  # its threads end once idle
                self._pool = ThreadPoolExecutor(n, thread_name_prefix="calhouse")
                self._pid, self.size = os.getpid(), n
            return [self._pool.submit(task) for _ in range(n)]


#: The engine's threads: one pool for the process.
SHARED_THREADS = SharedThreads()


def fill(
    out: torch.Tensor,
    compute: Compute,
    batch_size: int,
    threads: Threads,
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

        # Each thread takes the next chunk itself when it is done with one: no thread
        # waits for another, and none has to wake to hand out work (on a busy machine
        # each such wake-up can wait for a time slice). After a failed chunk (or an
        # interrupt) no chunk starts: the work ends with the chunks in progress.
        todo = iter(ranges)
        lock = threading.Lock()
        halt = threading.Event()

        def work() -> None:
            rows_done = 0
            while True:
                with lock:
                    if rows_done:
                        bar.update(rows_done)
                    chunk = None if halt.is_set() else next(todo, None)
                if chunk is None:
                    return
                start, stop = chunk
                try:
                    out[start:stop] = compute(start, stop)
                except BaseException:
                    halt.set()
                    raise
                rows_done = stop - start

        futures = SHARED_THREADS.submit(work, threads.workers)
        try:
            for future in futures:
                future.result()
        finally:
            halt.set()
            wait(futures)  # no chunk goes on after the call has ended


@dataclass(frozen=True)
class Checked:
    """The arguments both public functions share, checked."""

    net: nn.Module
    X: torch.Tensor
    baselines: torch.Tensor | None
    target: Target
    device: torch.device
    batch_size: int | None
    progress: bool | None


def prepare(
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
) -> Checked:
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
    net = model_on(model, dev)
    width = n_outputs(net, table[:1].detach().to(dev), names)
    goal = check_target(target, n_rows=n_rows, n_outputs=width)
    return Checked(net, table.detach(), base, goal, dev, size, show)
