"""Submissions written apart from the reference: correct ones in other styles get full marks."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.assignments import ASSIGNMENTS
from autograder.grade import grade_file

pytestmark = [pytest.mark.torch, pytest.mark.tensorflow]
HERE = Path(__file__).parent / "submissions"


@pytest.mark.parametrize("style", ["other_style", "tutorial_style"])
@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_other_style_submission_gets_full_marks(assignment, style):
    """Is a correct submission that shares no code with the reference graded as correct?
    ``tutorial_style``: written from the notebook alone, the way the PyTorch examples, the
    TensorFlow 2 quickstart and TF1-era tutorials write it (the TF1 one with a ``training``
    placeholder that has no default)."""
    result = grade_file(HERE / f"{assignment}_{style}.py", assignment)
    assert [(t.name, t.message) for t in result.tests if t.status != "passed"] == []
    assert result.score == result.max_score


def test_grading_twice_gives_the_same_result():
    """Is grading deterministic: same submission, same scores and messages?"""
    first = grade_file(HERE / "pytorch_other_style.py", "pytorch")
    second = grade_file(HERE / "pytorch_other_style.py", "pytorch")
    assert [(t.name, t.score, t.message) for t in first.tests] == [
        (t.name, t.score, t.message) for t in second.tests
    ]
