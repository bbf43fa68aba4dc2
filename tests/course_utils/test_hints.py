"""Graded hints: one more each call, for every step of every assignment, never the solution."""

from __future__ import annotations

import pytest

from autograder.assignments import ASSIGNMENTS
from autograder.notebook_source import BEGIN, END, parse_source
from course_utils.hints import HINTS, Hints
from tests.conftest import ROOT


def _solution_lines(name: str) -> set[str]:
    lines, inside = set(), False
    for cell in parse_source(ROOT / ASSIGNMENTS[name].source).cells:
        for line in cell.source.splitlines():
            if line.strip() == BEGIN:
                inside = True
            elif line.strip() == END:
                inside = False
            elif inside and len(line.strip()) > 25:
                lines.add(line.strip())
    return lines


def test_hints_escalate_then_stop_at_the_last():
    """Does each call give the next hint, and the last one again with a note?"""
    hint = Hints("pytorch")
    texts = [hint("train") for _ in range(4)]
    assert [t.split(":")[0] for t in texts] == [f"hint {i}/3 for train" for i in (1, 2, 3, 3)]
    assert texts[3].endswith("(that is the last hint for this step)")
    assert hint("data").startswith("hint 1/3 for data")


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_every_step_has_three_hints(name):
    """Does every step of every assignment have a nudge, a concept and an API hint?"""
    steps = ASSIGNMENTS[name].steps
    assert set(HINTS[name]) == set(steps)
    assert all(len(HINTS[name][step]) == 3 for step in steps)


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_hints_never_contain_solution_lines(name):
    """Is no line of the reference solution quoted in a hint?"""
    solution = _solution_lines(name)
    assert solution
    for step, hints in HINTS[name].items():
        for text in hints:
            assert not [line for line in solution if line in text], (step, text)
