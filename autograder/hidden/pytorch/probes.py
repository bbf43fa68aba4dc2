"""All PyTorch probes, by name. Imported by the worker only (``Suite.probes_module``)."""

from __future__ import annotations

import torch

from autograder.hidden.pytorch import probes_io, probes_loop, probes_nn


def prepare_worker() -> None:
    """Run once in the worker before learner code: one thread makes forking per probe safe."""
    torch.set_num_threads(1)
    torch.manual_seed(0)


PROBES = {**probes_io.PROBES, **probes_nn.PROBES, **probes_loop.PROBES}
