"""Stand-ins for the framework a worker does not load, for assignments written in two frameworks.

The bridge notebook imports torch *and* tensorflow at the top, but each is graded in its own
worker (memory: both together exceed a Gradescope container). In the PyTorch worker,
``import tensorflow as tf`` then gives a stand-in module, and the learner's module still loads:

- while the module loads, anything done with a stand-in gives another stand-in (``@tf.function``
  leaves the function as it is), so the definitions below it still run;
- afterwards (``strict()``, called before each probe), nothing in the process can be one of that
  framework's objects: ``isinstance(x, tf.Tensor)`` and ``tf.is_tensor(x)`` are False, and any
  other use raises ``FrameworkNotLoaded`` with a message that says so.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import inspect
import sys
import types
from typing import Any

_NAMES = {"torch": "PyTorch", "tensorflow": "TensorFlow", "keras": "Keras"}
_NEVER_A_TENSOR = {"is_tensor", "is_storage", "is_keras_tensor", "is_symbolic_tensor"}
_state = {"strict": False}


class FrameworkNotLoaded(RuntimeError):
    """Learner code used a framework that this grading process does not load."""


def strict(on: bool = True) -> None:
    """From now on, using a stand-in raises (probes run); before, it gives another stand-in."""
    _state["strict"] = on


def _refuse(path: str) -> FrameworkNotLoaded:
    root = path.split(".", 1)[0]
    return FrameworkNotLoaded(
        f"`{path}` belongs to {_NAMES.get(root, root)}, which the process grading this part "
        "does not load: this part is called with numpy arrays and tensors of the other "
        f"framework only, so code for {_NAMES.get(root, root)} objects should not run here"
    )


class _StandinMeta(type):
    """Stand-ins are classes, so they also work as base classes and in ``isinstance``."""

    _path: str

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return standin(f"{cls._path}.{name}")

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls._path.rsplit(".", 1)[-1] in _NEVER_A_TENSOR:
            return False
        if _state["strict"]:
            raise _refuse(cls._path)
        decorated = args[0] if len(args) == 1 and not kwargs else None
        if inspect.isroutine(decorated) or isinstance(decorated, type):
            return decorated  # a decorator such as @tf.function or @torch.no_grad()
        return standin(f"{cls._path}(...)")

    def __instancecheck__(cls, obj: Any) -> bool:
        return False

    def __subclasscheck__(cls, sub: type) -> bool:
        return isinstance(sub, _StandinMeta) and cls in sub.__mro__

    def __bool__(cls) -> bool:
        return False

    def __iter__(cls) -> Any:
        if _state["strict"]:
            raise _refuse(cls._path)
        return iter(())

    def __repr__(cls) -> str:
        return f"<{cls._path}: not loaded in this grading process>"

    def _use(cls, *_: Any) -> Any:
        if _state["strict"]:
            raise _refuse(cls._path)
        return cls

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _use
    __truediv__ = __rtruediv__ = __matmul__ = __rmatmul__ = __neg__ = __getitem__ = _use
    __enter__ = _use

    def __exit__(cls, *_: Any) -> None:
        return None


def standin(path: str) -> type:
    """A stand-in for ``path`` (``"tensorflow.keras.layers.Dense"``)."""
    return _StandinMeta(path.rsplit(".", 1)[-1], (), {"_path": path, "__module__": path})


class _StandinModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return standin(f"{self.__name__}.{name}")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, roots: list[str]):
        self.roots = set(roots)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname.split(".", 1)[0] not in self.roots:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _StandinModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def install(roots: list[str]) -> None:
    """Make ``import root`` (and ``root.sub``) give stand-ins; the real packages stay unloaded.
    Idempotent. Call after the worker's own framework is imported."""
    for name in list(sys.modules):
        if name.split(".", 1)[0] in roots and not isinstance(sys.modules[name], _StandinModule):
            raise RuntimeError(f"{name} is loaded already: it cannot be replaced by a stand-in")
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder(roots))
