"""Is the generated student notebook graded as 'not implemented' everywhere, without a crash?"""

from __future__ import annotations

import pytest

from autograder.assignments import get_assignment
from autograder.grade import grade_file
from tests.conftest import ROOT

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module")
def stub_result():
    return grade_file(ROOT / get_assignment("pytorch").notebook, "pytorch")


def test_stub_scores_zero(stub_result):
    """Does the untouched student notebook earn nothing?"""
    assert stub_result.score == 0
    assert stub_result.max_score > 0
    assert stub_result.error == ""


def test_stub_messages_say_not_implemented(stub_result):
    """Does every dynamic test tell the learner the function is not implemented yet?"""
    dynamic = [t for t in stub_result.tests if t.name != "device_compared_by_type"]
    assert all(t.status == "failed" for t in dynamic), [
        (t.name, t.status, t.message) for t in dynamic
    ]
    assert all("not implemented yet" in t.message for t in dynamic)
