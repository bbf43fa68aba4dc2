"""Notice when learner code replaces functions of the grader, the frameworks or the builtins.

Observations are raw data, so patching a comparison or an assertion cannot change a verdict
(verdicts run in the grader). What patching *can* do is change what probes observe — e.g. a
replaced ``torch.Tensor.to`` or ``builtins.isinstance``. The worker takes a fingerprint (the
identity of every function and class) of the modules probes rely on before learner code runs,
and compares after loading it and after each probe: any replaced or removed entry voids the test.
"""

from __future__ import annotations

import sys
from types import ModuleType

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

Fingerprint = dict[str, int]


def _entries(prefix: str, namespace: dict) -> dict[str, int]:
    out = {}
    for name, value in list(namespace.items()):
        if callable(value) or isinstance(value, ModuleType | property | staticmethod | classmethod):
            out[f"{prefix}.{name}"] = id(value)
    return out


_PROTECTED: list[tuple[str, ModuleType]] = []
"""The modules to watch, remembered by :func:`protect` while the grader's are still in
``sys.modules`` (a probe child removes them before learner code exists)."""


def protect() -> None:
    """Remember which modules to fingerprint: the protected framework modules and every module
    of ours. Called once in the worker, before any child is forked."""
    names = [m for m in _MODULES if m in sys.modules]
    names += [m for m in list(sys.modules) if m.split(".")[0] in _OURS and m != "submission"]
    _PROTECTED[:] = [(n, sys.modules[n]) for n in dict.fromkeys(names) if sys.modules.get(n)]


def fingerprint() -> Fingerprint:
    """Identity of every function, class and submodule reachable from the protected modules."""
    found: Fingerprint = {}
    if not _PROTECTED:
        protect()
    for name, module in _PROTECTED:
        if name.split(".")[0] not in _OURS:  # a framework module swapped in sys.modules
            found[f"sys.modules[{name}]"] = id(sys.modules.get(name))
        found.update(_entries(name, vars(module)))
    for module_name, class_name in _CLASSES:
        cls = getattr(sys.modules.get(module_name), class_name, None)
        if isinstance(cls, type):
            found.update(_entries(f"{module_name}.{class_name}", dict(vars(cls))))
    return found


def changed(baseline: Fingerprint) -> list[str]:
    """Entries of ``baseline`` that were replaced or removed since (new entries do not count)."""
    now = fingerprint()
    return sorted(name for name, ident in baseline.items() if now.get(name) != ident)
