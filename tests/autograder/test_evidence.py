"""Does docs/evidence.md hold one row per hidden test of every assignment, with the suite's
points and one of the three kinds of evidence, and totals that add up?"""

from __future__ import annotations

import re

import pytest

from autograder.assignments import ASSIGNMENTS
from autograder.suites import get_suite
from tests.conftest import ROOT

KINDS = ("recomputed", "behaviour", "self-described")


def _text() -> str:
    return (ROOT / "docs" / "evidence.md").read_text(encoding="utf-8")


def _sections() -> dict[str, str]:
    """The text before the first section (key ``""``) and each assignment's section."""
    found = re.split(r"^## (\w+)\n", _text(), flags=re.M)
    return {"": found[0], **dict(zip(found[1::2], found[2::2]))}


def _rows(section: str) -> list[list[str]]:
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in rows]
    return [c for c in cells if c[0] not in ("test", "assignment") and not c[0].startswith("-")]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_hidden_test_has_its_evidence_row(assignment):
    """Adding, renaming or repricing a hidden test without its row here fails."""
    rows = _rows(_sections()[assignment])
    tests = {t.name: t.points for t in get_suite(assignment).tests}
    names = [r[0] for r in rows]
    assert len(names) == len(set(names)), "a test has two rows"
    assert set(names) == set(tests), {
        "without a row": sorted(set(tests) - set(names)),
        "not a test": sorted(set(names) - set(tests)),
    }
    for name, points, kind, backed_by in (r[:4] for r in rows):
        assert float(points) == tests[name], f"{name}: row says {points}, suite {tests[name]}"
        assert kind in KINDS, f"{name}: {kind!r}"
        assert len(backed_by) > 20, f"{name}: say what backs it"


def test_the_summary_table_adds_up():
    """Is the summary at the top the sum of each assignment's rows?"""
    sections = _sections()
    summary = {r[0]: r for r in _rows(sections[""])}
    for assignment in ASSIGNMENTS:
        rows = _rows(sections[assignment])
        sums = [sum(float(r[1]) for r in rows if r[2] == kind) for kind in KINDS]
        line = summary[assignment]
        assert float(line[1]) == sum(sums)
        assert [float(c.split()[0]) for c in line[2:5]] == sums, assignment
