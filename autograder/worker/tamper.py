"""Notice when learner code replaces anything the probes rely on.

Observations are raw data, so patching a comparison or an assertion cannot change a verdict
(verdicts run in the grader). What patching *can* do is change what probes observe, or replace
the probes: a swapped entry of a probe registry, a probe's code object, defaults or closure, a
rebound global of a probe module, a wrapped ``torch.Tensor.to`` or ``keras.Model.__call__``, a
replaced ``builtins.isinstance``.

:func:`protect` (in the worker, before any child exists) lists the *slots* to watch, each a
place that holds an object: an entry of a watched module's namespace; every global of our own
modules, and the entries of their registries (dicts of functions); each function of ours: its
``__code__``, ``__defaults__``, ``__kwdefaults__`` and closure cells, methods of our classes
included; and for the framework classes the probes use, every attribute as the class resolves
it (through its MRO, so a method *added* to ``keras.Model`` that shadows ``Layer.__call__``
counts). :func:`digest` hashes the identity of what each slot holds.

The worker's supervisor, which never runs learner code, takes the digest before it forks a
probe child and keeps it; the child reports its digest after loading the learner's code and
after each probe (:func:`report`), and the supervisor voids any answer whose digest differs.
So changing the child's copy of the baseline, or the list of slots, changes nothing: only the
live objects count. What this cannot stop is learner code that replaces the reporting code
itself with code that replays a digest it saved before patching (in-process checks can always
be forged by code that runs in the same process); the hidden tests therefore give points for
values the grader recomputes, not for what an observation says of itself (docs/security.md).
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from types import FunctionType, ModuleType
from typing import Any

_MODULES = (
    "builtins",
    "os",
    "json",
    "math",
    "numpy",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.optim",
    "torch.utils.data",
    "torch.autograd",
    "torch.cuda",
    "tensorflow",
    "tensorflow.compat.v1",
    "keras",
    "keras.ops",
    "keras.losses",
    "keras.metrics",
    "keras.optimizers",
)
_CLASSES = (
    ("torch", "Tensor"),
    ("torch.nn", "Module"),
    ("torch.optim", "Optimizer"),
    ("torch.utils.data", "DataLoader"),
    ("numpy", "ndarray"),
    ("keras", "Model"),
    ("keras", "Layer"),
    ("keras", "Sequential"),
    ("keras.metrics", "Metric"),
    ("keras.optimizers", "Optimizer"),
    # the layers the bridge's trusted networks are made of (its reference run and ported twins)
    ("torch.nn", "Conv2d"),
    ("torch.nn", "Linear"),
    ("torch.nn", "MaxPool2d"),
    ("torch.nn", "Flatten"),
    ("torch.nn", "ReLU"),
    ("keras.layers", "Conv2D"),
    ("keras.layers", "Dense"),
    ("keras.layers", "MaxPooling2D"),
    ("keras.layers", "Flatten"),
    ("keras.layers", "ReLU"),
)
_OURS = ("autograder", "course_utils")

_ENTRY, _ATTR, _CELL, _RESOLVED = range(4)
_MISSING = object()
_FUNCTION_SLOTS = ("__code__", "__defaults__", "__kwdefaults__")

UNKNOWN = "the worker's record of what the probes rely on"

_TAKEN: dict[str, str] = {}
"""The digest :func:`protect` took once its slots were listed (see :func:`expected`)."""

_NAMES: list[str] = []
_SLOTS: list[tuple[int, Any, str]] = []
"""What :func:`protect` listed: a name for each slot (for messages) and how to read it."""


def _watched(value: Any) -> bool:
    return callable(value) or isinstance(value, ModuleType | property | staticmethod | classmethod)


def _add(name: str, kind: int, holder: Any, key: str = "") -> None:
    _NAMES.append(name)
    _SLOTS.append((kind, holder, key))


def _add_function(name: str, function: FunctionType) -> None:
    for attribute in _FUNCTION_SLOTS:
        _add(f"{name}.{attribute}", _ATTR, function, attribute)
    for i, cell in enumerate(function.__closure__ or ()):
        _add(f"{name}.__closure__[{i}]", _CELL, cell)


def _add_ours(module_name: str, module: ModuleType) -> None:
    for key, value in list(vars(module).items()):
        if key.startswith("__") and key.endswith("__"):
            continue
        name = f"{module_name}.{key}"
        _add(name, _ENTRY, vars(module), key)  # every global: a rebound constant counts too
        if isinstance(value, FunctionType) and value.__module__ == module_name:
            _add_function(name, value)
        elif isinstance(value, type) and value.__module__ == module_name:
            for attr, member in list(vars(value).items()):
                if isinstance(member, staticmethod | classmethod):
                    member = member.__func__
                if isinstance(member, FunctionType):
                    _add(f"{name}.{attr}", _ENTRY, vars(value), attr)
                    _add_function(f"{name}.{attr}", member)
        elif isinstance(value, dict):  # a registry: name -> probe
            for entry, member in list(value.items()):
                if isinstance(entry, str) and callable(member):
                    _add(f"{name}[{entry!r}]", _ENTRY, value, entry)


def protect() -> None:
    """List the slots to watch: the protected framework modules and classes, and every module
    of ours. Called in the worker, before any child is forked (a probe child removes our
    modules from ``sys.modules`` before learner code exists; the module objects stay)."""
    _NAMES.clear()
    _SLOTS.clear()
    ours = [m for m in list(sys.modules) if m.split(".")[0] in _OURS and m != "submission"]
    for module_name in dict.fromkeys([*(m for m in _MODULES if m in sys.modules), *ours]):
        module = sys.modules.get(module_name)
        if not isinstance(module, ModuleType):
            continue
        if module_name.split(".")[0] in _OURS:
            _add_ours(module_name, module)
            continue
        _add(f"sys.modules[{module_name}]", _ENTRY, sys.modules, module_name)
        for key, value in list(vars(module).items()):
            if _watched(value):
                _add(f"{module_name}.{key}", _ENTRY, vars(module), key)
    for module_name, class_name in _CLASSES:
        cls = getattr(sys.modules.get(module_name), class_name, None)
        if isinstance(cls, type):
            for attr in dir(cls):
                _add(f"{module_name}.{class_name}.{attr}", _RESOLVED, cls, attr)
    _TAKEN["digest"] = digest(_now())


def expected() -> str:
    """The digest every probe child must report: taken once, by :func:`protect`, in the
    supervisor, which never runs learner code (so what its slots hold never changes there)."""
    if "digest" not in _TAKEN:
        protect()
    return _TAKEN["digest"]


def _held(kind: int, holder: Any, key: str) -> Any:
    if kind == _ENTRY:
        return holder.get(key, _MISSING)
    if kind == _ATTR:
        return getattr(holder, key, _MISSING)
    if kind == _CELL:
        try:
            return holder.cell_contents
        except ValueError:  # an empty cell
            return _MISSING
    for klass in holder.__mro__:  # _RESOLVED: as attribute lookup on the class finds it
        if key in klass.__dict__:
            return klass.__dict__[key]
    return _MISSING


def identities() -> array:
    """The identity of what each slot holds now, in :func:`protect`'s order."""
    if not _SLOTS:
        protect()
    return _now()


def _now() -> array:
    return array("Q", [id(_held(kind, holder, key)) for kind, holder, key in _SLOTS])


def digest(ids: array | None = None) -> str:
    return hashlib.sha256((identities() if ids is None else ids).tobytes()).hexdigest()


def report(baseline: array) -> dict[str, Any]:
    """What a child says of itself after loading or probing: its digest (which the supervisor
    compares with the one it took) and the slots that differ from ``baseline`` (its own copy,
    for the message only)."""
    now = identities()
    if len(now) != len(baseline):
        names = [UNKNOWN]
    elif now == baseline:
        names = []
    else:
        names = [_NAMES[i] for i, (a, b) in enumerate(zip(baseline, now)) if a != b]
    return {"digest": digest(now), "changed": names[:8]}


def verify(answer: dict[str, Any], expected: str) -> list[str]:
    """In the supervisor: what to say when a child's ``answer`` (its load report or a probe's
    reply) does not carry the digest the supervisor took before forking it; empty when it does.
    Removes the ``integrity`` entry from ``answer`` either way."""
    integrity = answer.pop("integrity", None)
    if not isinstance(integrity, dict) or integrity.get("digest") != expected:
        names = integrity.get("changed") if isinstance(integrity, dict) else None
        if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
            return [n[:200] for n in names[:8]]
        return [UNKNOWN]
    return []
