"""What ``hygiene.CleanState`` counts as a change a later probe could notice (the child then
retires), what it puts back itself, and what it leaves alone (no false alarms, which would cost
speed only). Run in this process: each test undoes what it changes."""

from __future__ import annotations

import sys
import textwrap

import pytest

from autograder.probes.common import settings
from autograder.worker import hygiene, runtime

LEARNER = textwrap.dedent(
    """
    import numpy as np

    MEAN = np.array([0.5, 0.25])
    TABLE = {"sizes": [1, 2]}

    def cached(x, memo={}):
        return memo.setdefault(x, x * 2)

    def counter():
        calls = []
        def count():
            calls.append(1)
            return len(calls)
        return count

    COUNT = counter()

    class Net:
        created = 0
        def __init__(self):
            Net.created += 1

    def step(x):
        return x
    """
)


@pytest.fixture
def loaded():
    module, error = runtime._load_submission(LEARNER)
    assert error is None
    return module


def _clean(module, probes=None):
    return hygiene.CleanState(module, probes)


def test_untouched_state_is_clean(loaded):
    """Does a module nobody changed read as clean, again and again (no false alarm)?"""
    clean = _clean(loaded)
    assert clean.restore() == [] and clean.restore() == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda m: m.MEAN.__isub__(0.5), "MEAN"),  # an array changed in place
        (lambda m: m.TABLE["sizes"].append(3), "TABLE"),  # a list inside a dict
        (lambda m: m.cached(3), "cached"),  # a mutable default argument
        (lambda m: m.COUNT(), "COUNT"),  # a closure's list
        (lambda m: m.Net(), "Net"),  # a class attribute
        (lambda m: setattr(m.step, "calls", 1), "step"),  # a function attribute
    ],
    ids=["array", "nested list", "default", "closure", "class attribute", "function attribute"],
)
def test_the_learners_own_state_changed_in_place_is_named(loaded, change, named):
    """Is each kind of in-place change to the learner's state noticed, naming the culprit?"""
    clean = _clean(loaded)
    change(loaded)
    assert clean.restore() == [f"your {named!r}"]


def test_rebinding_is_put_back_not_reported(loaded):
    """Is a rebound or new global undone (the same objects back) instead of retiring the child?"""
    clean = _clean(loaded)
    original = loaded.step
    loaded.step = lambda x: "stand-in"
    loaded.EXTRA = 1
    assert clean.restore() == []
    assert loaded.step is original and not hasattr(loaded, "EXTRA")


def test_process_state_is_named(loaded, monkeypatch):
    """Are the environment and the recursion limit changes a later probe could notice?"""
    clean = _clean(loaded)
    monkeypatch.setenv("LEARNER_WAS_HERE", "1")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + 7)
    try:
        assert clean.restore() == ["environment", "recursion limit"]
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.torch
def test_a_torch_setting_retires_the_child(loaded):
    """Does turning autograd off (a learner forgetting ``torch.no_grad`` is a context) count?"""
    import torch

    clean = _clean(
        loaded, type("Probes", (), {"global_state": staticmethod(settings.torch_settings)})
    )
    torch.set_grad_enabled(False)
    try:
        assert clean.restore() == ["the framework's global settings"]
    finally:
        torch.set_grad_enabled(True)
    assert clean.restore() == []


@pytest.mark.tensorflow
def test_a_tensorflow_setting_retires_the_child(loaded):
    """Does ``tf.config.run_functions_eagerly(True)`` (tf.function traced no more) count?"""
    import tensorflow as tf

    probes = type("Probes", (), {"global_state": staticmethod(settings.tensorflow_settings)})
    clean = _clean(loaded, probes)
    tf.config.run_functions_eagerly(True)
    try:
        assert clean.restore() == ["the framework's global settings"]
    finally:
        tf.config.run_functions_eagerly(False)
    assert clean.restore() == []
