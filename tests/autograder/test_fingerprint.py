"""Does a suite's fingerprint (the ``suite_version`` of its records) follow what decides the
grades, so that a fixed hidden test regrades without anyone bumping a version string?"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from pathlib import Path

import pytest

from autograder.assignments import ASSIGNMENTS as ALL
from autograder.hidden import base
from autograder.suites import get_suite

ASSIGNMENTS = list(ALL)


def _verdict_file(verdict: object) -> Path:
    while isinstance(verdict, functools.partial):
        verdict = verdict.func
    return Path(inspect.getfile(verdict)).resolve()  # type: ignore[arg-type]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_verdict_and_probe_module_is_in_the_fingerprint(assignment):
    suite = get_suite(assignment)
    sources = set(base._graded_sources(suite))
    verdicts = {_verdict_file(t.verdict) for t in suite.tests}
    verdicts |= {_verdict_file(t.static) for t in suite.tests if t.static is not None}
    assert verdicts - sources == set()
    for spec in suite.workers.values():
        assert base._module_file(spec.probes_module) in sources
    assert all(p.name != "contract.py" for p in sources)  # documentation only


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_or_source_change_the_fingerprint(assignment, monkeypatch):
    suite = get_suite(assignment)
    first = suite.tests[0]
    more = dataclasses.replace(suite, tests=[dataclasses.replace(first, points=first.points + 1)])
    fewer = dataclasses.replace(suite, tests=suite.tests[1:])
    versions = {suite.record_version, more.record_version, fewer.record_version}
    assert len(versions) == 3
    assert dataclasses.replace(suite).record_version == suite.record_version  # same facts, same
    assert suite.record_version.startswith(suite.version + "+")
    real = Path.read_bytes
    verdict = _verdict_file(first.verdict)
    monkeypatch.setattr(
        Path, "read_bytes", lambda p: real(p) + (b"# edited" if p == verdict else b"")
    )
    assert dataclasses.replace(suite).record_version != suite.record_version
