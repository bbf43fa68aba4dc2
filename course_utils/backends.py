"""One small adapter per array library, picked by the type of the array (the einops pattern).

Only libraries that are already imported are considered, so asking about a numpy array never
imports torch or tensorflow.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np


class Backend:
    """What the course needs from an array library; subclasses stay thin."""

    name = "base"
    module_name = ""

    def is_appropriate(self, x: Any) -> bool:
        raise NotImplementedError

    def shape(self, x: Any) -> tuple[int, ...]:
        return tuple(int(d) for d in x.shape)

    def dtype_name(self, x: Any) -> str:
        raise NotImplementedError

    def permute(self, x: Any, axes: tuple[int, ...]) -> Any:
        raise NotImplementedError

    def to_numpy(self, x: Any) -> np.ndarray:
        raise NotImplementedError

    def device(self, x: Any) -> str:
        return "cpu"


class NumpyBackend(Backend):
    name = module_name = "numpy"

    def is_appropriate(self, x: Any) -> bool:
        return isinstance(x, np.ndarray | np.generic)

    def dtype_name(self, x: Any) -> str:
        return str(np.asarray(x).dtype)

    def permute(self, x: Any, axes: tuple[int, ...]) -> Any:
        return np.transpose(x, axes)

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x)


class TorchBackend(Backend):
    name = module_name = "torch"

    def is_appropriate(self, x: Any) -> bool:
        return isinstance(x, sys.modules["torch"].Tensor)

    def dtype_name(self, x: Any) -> str:
        return str(x.dtype).removeprefix("torch.")

    def permute(self, x: Any, axes: tuple[int, ...]) -> Any:
        return x.permute(*axes)

    def to_numpy(self, x: Any) -> np.ndarray:
        return x.detach().cpu().numpy()

    def device(self, x: Any) -> str:
        return str(x.device)


class TensorflowBackend(Backend):
    name = "tensorflow"
    module_name = "tensorflow"

    def is_appropriate(self, x: Any) -> bool:
        tf = sys.modules["tensorflow"]
        return isinstance(x, tf.Tensor | tf.Variable)

    def dtype_name(self, x: Any) -> str:
        return x.dtype.name

    def permute(self, x: Any, axes: tuple[int, ...]) -> Any:
        return sys.modules["tensorflow"].transpose(x, axes)

    def to_numpy(self, x: Any) -> np.ndarray:
        return x.numpy()

    def device(self, x: Any) -> str:
        return x.device or "cpu"


_BACKENDS: tuple[Backend, ...] = (NumpyBackend(), TorchBackend(), TensorflowBackend())


def get_backend(x: Any) -> Backend:
    """The backend of ``x`` among the libraries already imported."""
    for backend in _BACKENDS:
        if backend.module_name in sys.modules and backend.is_appropriate(x):
            return backend
    raise TypeError(
        f"expected a numpy array, torch tensor or tensorflow tensor, got {type(x).__name__}"
    )
