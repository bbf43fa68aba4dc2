"""Does the worker's tamper check see each way learner code can replace what the probes rely
on, and say what was replaced? (Run here, in-process, on the real PyTorch probes; graded end
to end, warm and cold: tests/security/test_tampering.py.)"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module")
def probes():
    import torch  # noqa: F401 - the framework the probes watch

    from autograder.probes.pytorch import probes as pytorch_probes
    from autograder.worker import (
        runtime,  # noqa: F401 - as the worker has it
        tamper,
    )

    tamper.protect()
    return pytorch_probes


@contextlib.contextmanager
def _changed(holder, name: str, value) -> Iterator[None]:  # noqa: ANN001
    """``holder.name = value`` (or the item) for the duration; restored afterwards."""
    item = isinstance(holder, dict)
    old = holder[name] if item else getattr(holder, name)
    if item:
        holder[name] = value
    else:
        setattr(holder, name, value)
    try:
        yield
    finally:
        if item:
            holder[name] = old
        else:
            setattr(holder, name, old)


def _forged(ctx):  # noqa: ANN001, ANN202
    return {"cuda_available": False, "default": "cpu", "no_gpu_wanted": "cpu"}


def _seen(expected_words: str) -> None:
    from autograder.worker import tamper

    report = tamper.report(BASELINE[0])
    assert report["digest"] != tamper.digest(BASELINE[0]), "the digest did not change"
    assert any(expected_words in name for name in report["changed"]), report["changed"]


BASELINE: list = []


@pytest.fixture(autouse=True)
def baseline(probes):
    from autograder.worker import tamper

    BASELINE[:] = [tamper.identities()]
    yield
    assert tamper.report(BASELINE[0])["changed"] == [], "a test left something replaced"


def test_nothing_replaced_reports_nothing(probes):
    """Is a clean process's report empty, with the supervisor's digest?"""
    from autograder.worker import tamper

    report = tamper.report(BASELINE[0])
    assert report == {"digest": tamper.digest(), "changed": []}
    assert report["digest"] == tamper.expected()  # what the supervisor took once, in protect()


def test_a_swapped_registry_entry(probes):
    with _changed(probes.PROBES, "get_device_real", _forged):
        _seen("PROBES['get_device_real']")


def test_a_probes_code_object_swapped(probes):
    probe = probes.PROBES["get_device_real"]
    with _changed(probe, "__code__", _forged.__code__):
        _seen("get_device_real.__code__")


def test_defaults_and_keyword_defaults_changed(probes):
    import types

    from autograder.worker import tamper

    function = next(
        f for f in vars(tamper).values() if isinstance(f, types.FunctionType) and f.__defaults__
    )
    with _changed(function, "__defaults__", tuple(None for _ in function.__defaults__)):
        _seen(f"{function.__name__}.__defaults__")
    with _changed(function, "__kwdefaults__", {"anything": 1}):
        _seen(f"{function.__name__}.__kwdefaults__")


def test_a_closure_cell_changed(probes):
    import sys
    import types

    from autograder.worker import tamper

    functions = [
        f
        for name, module in list(sys.modules.items())
        if name.startswith("autograder.") and isinstance(module, types.ModuleType)
        for f in vars(module).values()
        if isinstance(f, types.FunctionType) and f.__closure__ and f.__module__ == name
    ]
    assert functions, "no function of ours has a closure: nothing to test"
    cell = functions[0].__closure__[0]
    old = cell.cell_contents
    cell.cell_contents = object()
    try:
        _seen(f"{functions[0].__name__}.__closure__[0]")
    finally:
        cell.cell_contents = old
    assert tamper.report(BASELINE[0])["changed"] == []


def test_a_global_of_a_probe_module_rebound(probes):
    import autograder.probes.pytorch.probes_nn as nn_probes

    with _changed(vars(nn_probes), "_device_type", lambda device: "cpu"):
        _seen("probes_nn._device_type")
    with _changed(vars(nn_probes), "torch", None):  # a module, not a function
        _seen("probes_nn.torch")


@pytest.mark.parametrize(
    ("owner", "name"),
    [("torch.nn.Module", "to"), ("torch.Tensor", "to"), ("torch.Tensor", "__eq__")],
)
def test_a_framework_method_wrapped(probes, owner, name):
    import torch

    cls = torch.nn.Module if owner == "torch.nn.Module" else torch.Tensor
    original = getattr(cls, name)
    with _changed(cls, name, lambda self, *a, **k: original(self, *a, **k)):
        _seen(f"{owner}.{name}")


def test_a_method_added_that_shadows_an_inherited_one(probes):
    """``torch.nn.Linear.__call__`` does not exist: it is inherited from ``Module``. Adding one
    that shadows it is a replacement as attribute lookup sees it."""
    import torch

    assert "__call__" not in vars(torch.nn.Linear)
    torch.nn.Linear.__call__ = lambda self, x: x
    try:
        _seen("torch.nn.Linear.__call__")
    finally:
        del torch.nn.Linear.__call__


def test_the_childs_copy_of_the_baseline_does_not_count(probes):
    """Learner code that swaps a probe and then rewrites the child's baseline to match hides it
    from the child's own list, but not from the digest the supervisor took."""
    from autograder.worker import tamper

    expected = tamper.digest()
    with _changed(probes.PROBES, "get_device_real", _forged):
        BASELINE[0][:] = tamper.identities()  # the learner's rewrite
        report = tamper.report(BASELINE[0])
        assert report["changed"] == []
        assert tamper.verify(dict(report=None, integrity=report), expected)
    BASELINE[0][:] = tamper.identities()


def test_the_list_of_slots_cleared(probes):
    """Emptying the list of what to watch makes the next check list the state as it is now,
    whose digest is not the supervisor's."""
    from autograder.worker import tamper

    expected = tamper.digest()
    names, slots = list(tamper._NAMES), list(tamper._SLOTS)
    with _changed(probes.PROBES, "get_device_real", _forged):
        tamper._NAMES.clear()
        tamper._SLOTS.clear()
        try:
            assert tamper.digest() != expected
        finally:
            tamper._NAMES[:], tamper._SLOTS[:] = names, slots


def test_the_supervisor_refuses_a_missing_or_malformed_integrity_report():
    from autograder.worker import tamper

    for answer in ({}, {"integrity": "x"}, {"integrity": {"digest": 3}}):
        assert tamper.verify(dict(answer), "abc") == [
            "the worker's record of what the probes rely on"
        ]
    assert tamper.verify({"integrity": {"digest": "abc", "changed": []}}, "abc") == []
    named = {"integrity": {"digest": "x", "changed": ["torch.Tensor.to"]}}
    assert tamper.verify(named, "abc") == ["torch.Tensor.to"]
