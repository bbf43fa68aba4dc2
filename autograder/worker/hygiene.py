"""Is a probe child still as clean as a fresh fork? The check that lets one child run many probes.

Forking a child per probe isolates tests perfectly, but each fresh TensorFlow child pays its
runtime's start (the first op, the first kernels: ~0.05-0.1 s). So a child runs probe after probe,
and after each one the worker asks what a later probe could notice that a fresh fork would not:

* rebinding a name of the learner's module (``global COUNT``, or a probe standing in for a
  step) is undone: the module's bindings are put back;
* the working directory is put back;
* anything else that changed (the learner's own mutable state: module-level containers, arrays,
  tensors, function defaults and attributes, closures, class attributes; the process: environment,
  ``sys.path``, Python threads, signal handlers, timers, tracing hooks, recursion limit, numpy's
  error state; a framework's global settings, from the probes module's ``global_state()``) retires
  the child: the next probe starts in a fresh one.

What this cannot see is state deeper than it looks (three levels into containers, objects'
attributes one level) or inside C extensions other than the framework settings listed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import sys
import threading
import types
from typing import Any

import numpy as np

_DEPTH = 3
_ITEMS = 200
_HASHED_BYTES = 1 << 20
_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGALRM", "SIGTERM", "SIGINT", "SIGCHLD", "SIGUSR1", "SIGUSR2", "SIGXCPU")
    if hasattr(signal, name)
)


def _state(value: Any, depth: int = _DEPTH) -> Any:
    """A comparable summary of ``value``'s contents, ``depth`` levels deep."""
    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        return value
    if isinstance(value, np.ndarray):
        if value.nbytes <= _HASHED_BYTES:
            digest = hashlib.sha1(value.tobytes()).digest()
            return ("ndarray", value.shape, str(value.dtype), digest)
        return ("ndarray", id(value), value.shape, str(value.dtype))
    if type(value).__module__.startswith("torch"):
        version = getattr(value, "_version", None)  # a tensor counts its in-place changes
        if isinstance(version, int):
            return ("tensor", id(value), version)
    if depth <= 0:
        return (type(value).__name__, id(value))
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return (type(value).__name__, len(value), [_state(v, depth - 1) for v in items[:_ITEMS]])
    if isinstance(value, dict):
        items = list(value.items())[:_ITEMS]
        return ("dict", len(value), [(repr(k), _state(v, depth - 1)) for k, v in items])
    if isinstance(value, bytearray):
        return ("bytearray", hashlib.sha1(value).digest())
    if isinstance(value, types.FunctionType):
        return _function_state(value, depth)
    if isinstance(value, type | types.ModuleType):
        return (type(value).__name__, id(value))
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict):
        return (type(value).__name__, id(value), _state(attributes, 1))
    return (type(value).__name__, id(value))


def _function_state(fn: types.FunctionType, depth: int) -> Any:
    cells = []
    for cell in fn.__closure__ or ():
        try:
            cells.append(_state(cell.cell_contents, depth - 1))
        except ValueError:  # an empty cell
            cells.append("<empty>")
    return (
        "function",
        id(fn.__code__),
        _state(fn.__defaults__, depth),
        _state(fn.__kwdefaults__, depth),
        _state(fn.__dict__, max(depth - 1, 1)),
        cells,
    )


def _learner_state(module: types.ModuleType) -> dict[str, Any]:
    """The learner's own state: what their module defines, not the libraries it imports."""
    found: dict[str, Any] = {}
    for name, value in list(vars(module).items()):
        if name.startswith("__") or isinstance(value, types.ModuleType):
            continue
        try:
            state = _value_state(value, module.__name__)
        except Exception:  # noqa: BLE001 - e.g. a stand-in for a framework this worker lacks
            state = ("unreadable", type(value).__name__, id(value))
        if state is not None:
            found[name] = state
    return found


def _value_state(value: Any, module_name: str) -> Any:
    """``value``'s state, or None for a function or class the learner imported."""
    wrapped = getattr(value, "python_function", None)  # a tf.function: its Python function
    if isinstance(wrapped, types.FunctionType):
        value = wrapped
    if isinstance(value, types.FunctionType | type):
        if getattr(value, "__module__", None) != module_name:
            return None  # imported from a library, not the learner's
        if isinstance(value, type):
            return ("class", id(value), _state(dict(vars(value)), 2))
    return _state(value)


def _process_state() -> dict[str, Any]:
    handlers = {}
    for sig in _SIGNALS:
        with contextlib.suppress(ValueError, OSError):
            handlers[int(sig)] = id(signal.getsignal(sig))
    return {
        "environment": dict(os.environ),
        "sys.path": list(sys.path),
        "threads": threading.active_count(),
        "signal handlers": handlers,
        "timer": signal.getitimer(signal.ITIMER_REAL)[0] > 0,
        "tracing": (sys.gettrace() is not None, sys.getprofile() is not None),
        "recursion limit": sys.getrecursionlimit(),
        "numpy error state": sorted(np.geterr().items()),
        "standard streams": (id(sys.stdin), id(sys.stdout), id(sys.stderr)),
    }


class CleanState:
    """What a freshly forked probe child looks like; :meth:`restore` brings a used one back to
    it, or says what it cannot bring back (then the child retires)."""

    def __init__(self, module: types.ModuleType, probes: Any) -> None:
        self._module = module
        self._global_state = getattr(probes, "global_state", None)
        self._bindings = dict(vars(module))
        self._cwd = os.getcwd()
        self._learner = _learner_state(module)
        self._process = _process_state()
        self._framework = self._framework_state()

    def _framework_state(self) -> Any:
        if self._global_state is None:
            return None
        try:
            return self._global_state()
        except Exception as exc:  # noqa: BLE001 - a setting we cannot read counts as changed
            return f"unreadable: {exc}"

    def restore(self) -> list[str]:
        """Undo what can be undone; return what changed and cannot be (empty: still clean)."""
        namespace = vars(self._module)
        if namespace.keys() != self._bindings.keys() or any(
            namespace[k] is not v for k, v in self._bindings.items()
        ):
            namespace.clear()
            namespace.update(self._bindings)
        dirt = []
        try:
            os.chdir(self._cwd)
        except OSError:
            dirt.append("the working directory")
        learner = _learner_state(self._module)
        dirt += [f"your {k!r}" for k, v in self._learner.items() if learner.get(k) != v]
        process = _process_state()
        dirt += [name for name, value in self._process.items() if process[name] != value]
        if self._framework_state() != self._framework:
            dirt.append("the framework's global settings")
        return dirt
