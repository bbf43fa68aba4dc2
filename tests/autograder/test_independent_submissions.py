"""Submissions written apart from the reference: correct ones in other styles get full marks."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grade import grade_file

pytestmark = [pytest.mark.torch, pytest.mark.tensorflow]
HERE = Path(__file__).parent / "submissions"


@pytest.mark.parametrize("assignment", ["pytorch", "tf2", "tf1", "bridge"])
def test_other_style_submission_gets_full_marks(assignment):
    """Is a correct submission that shares no code with the reference graded as correct?"""
    result = grade_file(HERE / f"{assignment}_other_style.py", assignment)
    assert [(t.name, t.message) for t in result.tests if t.status != "passed"] == []
    assert result.score == result.max_score


def test_grading_twice_gives_the_same_result():
    """Is grading deterministic: same submission, same scores and messages?"""
    first = grade_file(HERE / "pytorch_other_style.py", "pytorch")
    second = grade_file(HERE / "pytorch_other_style.py", "pytorch")
    assert [(t.name, t.score, t.message) for t in first.tests] == [
        (t.name, t.score, t.message) for t in second.tests
    ]
