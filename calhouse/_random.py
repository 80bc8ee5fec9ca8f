"""Process-wide torch state, changed only inside a block: seeds and thread counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch


@contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Seed torch's and NumPy's global generators inside the block, then restore them.

    Captum draws from both (NoiseTunnel from torch, GradientShap from NumPy and
    torch), so both are seeded. ``seed=None`` leaves the global state alone and
    the block draws from it, exactly as a direct call would.
    """
    if seed is None:
        yield
        return
    np_state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(np_state)


@contextmanager
def intra_op_threads(n: int) -> Iterator[None]:
    """Set torch's intra-op thread count inside the block, then restore it.

    The network is tiny: splitting its small operations across threads only adds
    synchronisation, and on a busy machine a waiting thread stalls every step.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
