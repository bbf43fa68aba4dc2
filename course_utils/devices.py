"""Device helpers that work the same on a laptop CPU and a GPU machine."""

from __future__ import annotations

import sys
from typing import Any


def describe_devices() -> dict[str, list[str]]:
    """What each already-imported framework can run on, e.g. ``{"torch": ["cpu", "cuda:0"]}``."""
    found: dict[str, list[str]] = {}
    torch = sys.modules.get("torch")
    if torch is not None:
        found["torch"] = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    tf = sys.modules.get("tensorflow")
    if tf is not None and hasattr(tf, "config"):
        found["tensorflow"] = [d.name for d in tf.config.list_logical_devices()]
    return found


def same_device_type(a: Any, b: Any) -> bool:
    """Compare devices by type: a CUDA tensor lives on ``cuda:0``, never on plain ``cuda``.

    ``tensor.device == torch.device("cuda")`` is False on a GPU (the tensor says ``cuda:0``), which
    is why course code compares ``.type``. Accepts devices, strings or tensors.
    """
    return _device_type(a) == _device_type(b)


def _device_type(x: Any) -> str:
    device = getattr(x, "device", x)
    kind = getattr(device, "type", None)
    return kind if isinstance(kind, str) else str(device).split(":")[0]
