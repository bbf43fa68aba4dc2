"""Every reply is checked before a verdict sees it (``autograder/hidden/replies.py``, called by
``judge``): a frame, an observation or a peer observation that does not have its documented
form is that test's error, and the verdict is never called on it."""

from __future__ import annotations

import dataclasses
import importlib
import logging

import pytest

from autograder.assignments import ASSIGNMENTS
from autograder.hidden.base import HiddenTest, Verdict, judge, passed
from autograder.hidden.replies import probe_schemas
from autograder.suites import get_suite

PYTORCH = get_suite("pytorch")
BRIDGE = get_suite("bridge")
MALFORMED = "does not have the documented form"


def _spied(suite, name: str) -> tuple[HiddenTest, list]:
    """The suite's test ``name`` with a verdict that records its calls and passes."""
    calls: list = []

    def verdict(obs, seed) -> Verdict:  # noqa: ANN001
        calls.append(obs)
        return passed("fine")

    test = next(t for t in suite.tests if t.name == name)
    return dataclasses.replace(test, verdict=verdict), calls


def _optimizer_run(lr: float) -> dict:
    return {"lrs": [lr], "n_model": 4, "n_shared": 4, "type": "SGD", "step": [-lr, lr]}


def _honest_optimizer() -> dict:
    return {"a": _optimizer_run(0.0123), "b": _optimizer_run(0.37), "is_optimizer": True}


def _optimizer_test() -> HiddenTest:
    return next(t for t in PYTORCH.tests if t.probe == "optimizer")


def _judge(test: HiddenTest, reply: dict, suite=PYTORCH):  # noqa: ANN001, ANN202
    return judge(test, reply, 0, schema_of=suite.schema_of)


def test_an_honest_reply_reaches_the_verdict_as_it_was_sent():
    """Does a reply that fits reach the verdict, the very same observation object?"""
    test, calls = _spied(PYTORCH, _optimizer_test().name)
    obs = _honest_optimizer()
    result = _judge(test, {"status": "ok", "obs": obs, "elapsed_s": 0.25})
    assert result.status == "passed" and result.elapsed_s == 0.25
    assert len(calls) == 1 and calls[0] is obs


@pytest.mark.parametrize(
    ("reply", "where"),
    [
        ({"status": "ok", "obs": {}, "elapsed_s": "forged"}, "a string of 6 characters at reply"),
        ({"status": "ok", "obs": {}, "elapsed_s": float("nan")}, "got nan at reply['elapsed_s']"),
        ({"status": "ok", "obs": {}, "elapsed_s": -1.0}, "got -1.0 at reply['elapsed_s']"),
        ({"status": "won", "obs": {}}, "got 'won' at reply['status']"),
        ({"obs": {}}, "with the key 'status', got no such key at reply"),
        ({"status": "ok", "obs": {}, "score": 100}, "got the key 'score' at reply"),
        ({"status": "crashed", "detail": "x" * 5000}, "at reply['detail']"),
        ({"status": "ok"}, "with the key 'obs', got no such key at reply"),
        ({"status": "ok", "obs": [1, 2]}, "expected a dict, got a list at obs"),
    ],
    ids=[
        "forged elapsed_s",
        "NaN elapsed_s",
        "negative elapsed_s",
        "unknown status",
        "no status",
        "extra key",
        "long detail",
        "no observation",
        "list observation",
    ],
)
def test_a_malformed_frame_is_an_error_and_never_judged(reply, where, caplog):
    """Is each malformed frame an error result saying where it breaks, and logged?"""
    test, calls = _spied(PYTORCH, _optimizer_test().name)
    with caplog.at_level(logging.WARNING, logger="dlcourse.grader"):
        result = _judge(test, reply)
    assert result.status == "error" and result.score == 0
    assert MALFORMED in result.message and where in result.message, result.message
    assert "such results are not graded" in result.message
    assert calls == []
    assert any(test.name in r.getMessage() for r in caplog.records)


def test_an_observation_of_the_wrong_shape_is_an_error_naming_the_path():
    """A list where the probe sends a dict (what load-time code could make a probe answer):
    is it refused with the path, instead of an AttributeError in the verdict?"""
    test, calls = _spied(PYTORCH, _optimizer_test().name)
    obs = _honest_optimizer()
    obs["a"]["lrs"] = [{"lr": 0.1}]
    result = _judge(test, {"status": "ok", "obs": obs})
    assert result.status == "error" and "at obs['a']['lrs'][0]" in result.message
    assert "expected a float, got a dict" in result.message
    obs = {**_honest_optimizer(), "a": [0.1]}
    assert "at obs['a']" in _judge(test, {"status": "ok", "obs": obs}).message
    assert calls == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"kind": "won"}, "at obs['learner_error']['kind']"),
        ({"line": "3"}, "at obs['learner_error']['line']"),
        ({"message": "m" * 5000}, "at obs['learner_error']['message']"),
        ({"type": None}, "at obs['learner_error']['type']"),
    ],
)
def test_a_malformed_learner_error_is_an_error(change, where):
    """Is a learner error whose kind, line, message or type is not of its form refused?"""
    test, _ = _spied(PYTORCH, _optimizer_test().name)
    info = {"function": "make_optimizer", "kind": "raised", "type": "ValueError", "message": "no"}
    result = _judge(test, {"status": "ok", "obs": {"learner_error": {**info, "line": 3, **change}}})
    assert result.status == "error" and where in result.message, result.message


def test_an_honest_learner_error_is_described_as_before():
    """Does a learner error of the documented form still say what the learner's code raised?"""
    test, calls = _spied(PYTORCH, _optimizer_test().name)
    info = {
        "function": "make_optimizer",
        "kind": "raised",
        "type": "ValueError",
        "message": "bad lr",
        "line": None,
    }
    result = _judge(test, {"status": "ok", "obs": {"learner_error": info}})
    assert (
        result.status == "error" and "`make_optimizer` raised ValueError: bad lr" in result.message
    )
    assert calls == []


@pytest.mark.parametrize(
    "assignment",
    [
        pytest.param(a, marks=pytest.mark.torch if a == "pytorch" else pytest.mark.tensorflow)
        for a in ASSIGNMENTS
    ],
)
def test_every_probe_a_suite_names_exists_and_has_a_schema(assignment):
    """Does each probe a suite runs exist in its worker's PROBES,
    with a declared schema, and does every declared probe have a schema?"""
    suite = get_suite(assignment)
    wanted = {(t.worker, t.probe) for t in suite.tests if t.probe is not None}
    for worker, spec in suite.workers.items():
        probes = importlib.import_module(spec.probes_module).PROBES
        schemas = probe_schemas(spec.probes_module)
        assert set(probes) <= set(schemas), f"{spec.probes_module}: no schema for some probes"
        for side, probe in wanted:
            if side == worker:
                assert probe in probes, f"{assignment}: {probe} is not a probe of {worker}"
                assert suite.schema_of(worker, probe) is not None
