"""Probes for the ``download`` and ``data`` steps (worker side)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from autograder.probes.common import instances, probes_data
from autograder.worker.probe_api import ProbeContext


def loaders(ctx: ProbeContext) -> dict[str, Any]:
    n_train, n_test, batch = (instances.BATCHING[k] for k in ("n_train", "n_test", "batch"))
    test_ids = torch.from_numpy(instances.batching_test_ids(ctx.seed).astype(np.float32))

    def tensors() -> tuple[torch.Tensor, ...]:
        x_train = torch.arange(n_train, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 1, 3, 3)
        x_test = test_ids.view(-1, 1, 1, 1).expand(-1, 1, 3, 3)
        return (
            x_train.contiguous(),
            torch.arange(n_train, dtype=torch.int64) % 10,
            x_test.contiguous(),
            torch.arange(n_test, dtype=torch.int64) % 10,
        )

    return probes_data.batching(ctx, "make_loaders", tensors, n_train, n_test, batch=batch)


PROBES = {
    **probes_data.PROBES,
    "loaders": loaders,
}
