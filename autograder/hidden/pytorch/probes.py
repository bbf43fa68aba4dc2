"""All PyTorch probes, by name. Imported by the worker only (``Suite.probes_module``)."""

from __future__ import annotations

import importlib

import torch

from autograder.hidden.pytorch import probes_io, probes_loop, probes_nn


def prepare_worker() -> None:
    """Run once in the worker, before learner code.

    One thread makes forking a child per probe safe. Modules that torch and the probes import
    lazily are imported here once, so each forked child does not pay for them again.
    """
    torch.set_num_threads(1)
    torch.manual_seed(0)
    param = torch.nn.Parameter(torch.zeros(1))
    param.sum().backward()
    torch.optim.SGD([param], lr=0.1).step()  # imports torch._dynamo and the optimizer machinery
    import matplotlib

    matplotlib.use("Agg")
    for name in ("matplotlib.pyplot", "torch.utils.tensorboard", "tensorboard.compat.proto.event_pb2"):
        importlib.import_module(name)


PROBES = {**probes_io.PROBES, **probes_nn.PROBES, **probes_loop.PROBES}
