"""One source of truth: generated notebooks and examples match solutions/, and carry no outputs."""

from __future__ import annotations

import json

import nbformat
import pytest

from autograder.assignments import ASSIGNMENTS
from autograder.build import Mutant, apply_edits, build_outputs
from autograder.notebook_source import BEGIN, END, strip_solutions
from tests.conftest import ROOT


def test_committed_generated_files_match_the_build():
    """Would `dlcourse build` change any committed file under assignments/ or examples/?"""
    stale = [
        str(p.relative_to(ROOT))
        for p, text in build_outputs(ROOT).items()
        if not p.exists() or p.read_text() != text
    ]
    assert stale == [], f"run `dlcourse build` and commit: {stale}"


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_student_notebook_has_stubs_and_no_solutions(name):
    """Does the student notebook hold stubs, checks and metadata, and no solutions or outputs?"""
    path = ROOT / ASSIGNMENTS[name].notebook
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert BEGIN not in code and END not in code
    assert code.count("raise NotImplementedError") >= 10
    assert "torch.optim.Adam(model.parameters()" not in code
    assert nb.metadata["dlcourse"]["assignment"] == name
    cells = [c.source for c in nb.cells if c.source.startswith("check(")]
    checks = [line for source in cells for line in source.splitlines()]
    assert checks == [f'check("{s}")' for s in ASSIGNMENTS[name].steps]
    raw = json.loads(path.read_text())
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in raw["cells"]
        if c["cell_type"] == "code"
    )


def test_strip_solutions_keeps_indentation_and_names_the_function():
    """Is a solution region replaced by a stub at the right indentation?"""
    code = "def f(x):\n    '''doc'''\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n"
    assert (
        strip_solutions(code)
        == "def f(x):\n    '''doc'''\n    raise NotImplementedError(\"f: write your code here\")"
    )


def test_mutant_edit_must_match_exactly_once():
    """Does a mutant whose edit no longer matches the reference fail loudly (no silent no-op)?"""
    with pytest.raises(ValueError, match="occurs 0 times"):
        apply_edits("a = 1\n", Mutant("m", "data", "x", [("b = 2", "b = 3")]))
