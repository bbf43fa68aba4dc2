"""Turn whatever a learner function returned into plain data: numpy, torch or tensorflow alike.

Runs in the worker. Only frameworks that are already imported are looked at.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np


def _torch_tensor(x: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _tf_tensor(x: Any) -> bool:
    tf = sys.modules.get("tensorflow")
    return tf is not None and hasattr(tf, "Tensor") and isinstance(x, tf.Tensor | tf.Variable)


def describe(x: Any) -> dict[str, Any]:
    """Type, dtype, shape and device of a returned value, as plain data."""
    info: dict[str, Any] = {"type": f"{type(x).__module__}.{type(x).__qualname__}"}
    if _torch_tensor(x):
        info.update(
            kind="tensor",
            dtype=str(x.dtype).removeprefix("torch."),
            shape=list(x.shape),
            device=str(x.device),
            requires_grad=bool(x.requires_grad),
            has_graph=x.grad_fn is not None,
        )
    elif _tf_tensor(x):
        info.update(kind="tensor", dtype=x.dtype.name, shape=list(x.shape), device=str(x.device))
    elif isinstance(x, np.ndarray):
        info.update(kind="ndarray", dtype=str(x.dtype), shape=list(x.shape), device="cpu")
    elif isinstance(x, bool):
        info.update(kind="bool")
    elif isinstance(x, int | float | np.number):
        info.update(kind="number")
    else:
        info.update(kind="other")
    return info


def to_numpy(x: Any) -> np.ndarray | None:
    """A numpy copy of a tensor / array / number, or None if it is not array-like."""
    if _torch_tensor(x):
        return x.detach().cpu().numpy() if x.device.type != "meta" else None
    if _tf_tensor(x):
        return np.asarray(x.numpy())
    if isinstance(x, np.ndarray | np.number | int | float):
        return np.asarray(x)
    if hasattr(x, "__array__") and not isinstance(x, str | bytes | dict | list | tuple):
        try:  # Keras 3 variables and other array-likes
            return np.asarray(x)
        except (TypeError, ValueError):
            return None
    return None


def as_float(x: Any) -> float | None:
    arr = to_numpy(x)
    if arr is None or arr.size != 1 or arr.dtype.kind not in "biuf":
        return None
    return float(arr.reshape(()))


def evaluation(result: Any) -> dict[str, Any]:
    """What an ``evaluate`` returned: its loss and accuracy as floats and its keys, or that it
    was no dict (with what it was)."""
    if not isinstance(result, dict):
        return {"is_dict": False, "returned": describe(result)}
    return {
        "is_dict": True,
        "loss": as_float(result.get("loss")),
        "accuracy": as_float(result.get("accuracy")),
        "keys": sorted(map(str, result)),
    }
