"""All PyTorch probes, by name. Imported by the worker only (``Suite.probes_module``)."""

from __future__ import annotations

import contextlib
import importlib
import random

import numpy as np
import torch

from autograder.probes.common.settings import torch_settings as global_state  # noqa: F401
from autograder.probes.pytorch import probes_io, probes_loop, probes_nn


def prepare_worker() -> None:
    """Run once in the worker, before learner code.

    One thread makes forking a child per probe safe. Modules that torch and the probes import
    lazily (torch._dynamo through the optimizers, tensorboard, matplotlib) are imported here once,
    so each forked child does not pay for them again.
    """
    torch.set_num_threads(1)
    # Nothing here may start autograd's device threads or initialise CUDA (no backward(), no
    # tensor on a GPU): forked children could not use either. Building an optimizer only imports.
    torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    import matplotlib

    matplotlib.use("Agg")
    for name in (
        "matplotlib.pyplot",
        "torch.utils.tensorboard",
        "tensorboard.compat.proto.event_pb2",
        "tensorboardX",  # the notebook's writer (the `torch` extra installs it)
    ):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def seed_child(seed: int) -> None:
    """Run in each forked child before its probe: learner code that draws random numbers (weight
    initialisation) sees the same stream on every grading run of the same submission."""
    torch.manual_seed(seed % 2**63)
    np.random.seed(seed % 2**32)
    random.seed(seed)


PROBES = {**probes_io.PROBES, **probes_nn.PROBES, **probes_loop.PROBES}
