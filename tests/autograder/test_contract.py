"""Is every promise of every stub's docstring in the contract table, with the hidden tests that
grade it (or why none does) and the mutants that break it, and is docs/contract.md the table?"""

from __future__ import annotations

import pytest

from autograder import contract
from autograder.assignments import ASSIGNMENTS, get_assignment
from autograder.build import load_mutants
from autograder.suites import get_suite
from tests.conftest import ROOT


def _problems(assignment: str) -> list[str]:
    spec = get_assignment(assignment)
    mutants = {m.name: m.step for m in load_mutants(spec, ROOT)}
    tests = {t.name for t in get_suite(assignment).tests}
    return contract.problems(assignment, ROOT / spec.source, tests, mutants)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_docstring_promise_has_its_row(assignment):
    """Each docstring clause holds a promise's quote; each promise names real hidden tests and
    mistake mutants, or says why it is not graded; each hidden test grades a promise, and each
    mistake mutant breaks one."""
    assert _problems(assignment) == []


def test_the_check_fails_on_an_unmapped_promise(monkeypatch):
    """A docstring sentence no quote holds, a test that does not exist and a promise with
    neither a test nor a reason are each reported."""
    table = contract.promises("pytorch")
    assert table is not None
    broken = [p for p in table if p.function != "get_device"] + [
        contract.Promise("get_device", "a CUDA GPU if one is available", ("no_such_test",)),
        contract.Promise("accuracy", "as a float"),
    ]
    monkeypatch.setattr(contract, "promises", lambda assignment: broken)
    found = _problems("pytorch")
    assert any("get_device: no promise holds" in f for f in found), found
    assert any("no hidden test 'no_such_test'" in f for f in found), found
    assert any("neither a test nor a reason" in f for f in found), found


def test_docs_contract_md_is_rendered_from_the_tables():
    """docs/contract.md lists every promise of every assignment (``dlcourse build`` writes it;
    ``test_build`` checks it is up to date)."""
    text = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    for assignment in ASSIGNMENTS:
        table = contract.promises(assignment)
        assert table is not None and f"## {assignment}" in text
        assert text.count("\n| `") >= len(table)
