"""Trusted helpers for PyTorch probes: spy models that record how they are called, conversions.

Runs in the worker only (imports torch).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import torch
from torch import nn

from autograder.probes.common import instances as inst
from autograder.probes.common.observe import as_float, describe, to_numpy  # noqa: F401
from autograder.probes.pytorch import emulated


class SpyLinear(nn.Module):
    """Flatten + Linear whose logits carry ``instances.spy_gain`` (train mode, autograd on), so
    the grader can tell each call's modes from the values it recomputes; it also records the
    input's and the parameters' device of each forward (placement runs).

    ``calls`` is shared with copies made by ``copy.deepcopy`` only by reference, which is fine for
    probes: they read it from the instance they hold.
    """

    def __init__(self, weight: np.ndarray, bias: np.ndarray):
        super().__init__()
        self.linear = nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            self.linear.weight.copy_(torch.from_numpy(weight))
            self.linear.bias.copy_(torch.from_numpy(bias))
        self.calls: list[dict[str, Any]] = []
        self.record_values = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        call = {
            "training": bool(self.training),
            "grad_enabled": bool(torch.is_grad_enabled()),
            "input_device": str(x.device),
            "param_device": str(self.linear.weight.device),
            "input_shape": list(x.shape),
        }
        if self.record_values:  # placement runs: where the values were computed shows in them
            call["input"] = emulated.values_of(x)
            if not self.calls:
                call["weight"] = emulated.values_of(self.linear.weight)
                call["bias"] = emulated.values_of(self.linear.bias)
        self.calls.append(call)
        gain = inst.spy_gain(self.training, torch.is_grad_enabled())
        return self.linear(x.flatten(1)) * gain


class SpyLoss(nn.Module):
    """Cross-entropy that records the devices of its arguments."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict[str, Any]] = []

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        call: dict[str, Any] = {
            "logits_device": str(logits.device),
            "targets_device": str(targets.device),
        }
        self.calls.append(call)
        loss = nn.functional.cross_entropy(logits, targets)
        value = emulated.values_of(loss)
        call["value"] = None if value is None else float(value)
        return loss


def target_device() -> torch.device:
    """Where placement probes send work: the GPU if there is one, else ``meta``, which
    :func:`placed` turns into the emulated device (``emulated.py``): it checks devices exactly
    as a GPU does, computes, and stores float32 values with fewer mantissa bits, so the values a
    loop computes show where it computed them."""
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("meta")


def placed(device: torch.device) -> contextlib.AbstractContextManager[None]:
    """The context a placement probe runs learner code in: the emulated device for ``meta``."""
    return emulated.emulated() if device.type == "meta" else contextlib.nullcontext()


def loader(x: np.ndarray, y: np.ndarray, batch_size: int) -> torch.utils.data.DataLoader:
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False)
