"""Is the default temporary directory usable by learner code in every worker, warm or cold?
(``tempfile.mkstemp()`` without ``dir=`` once pointed at the zygote's directory, which does not
exist in a forked worker, so correct code failed warm and passed cold.)"""

from __future__ import annotations

import pytest

from autograder.assignments import get_assignment
from autograder.build import apply_edits, load_mutants
from autograder.grade import grade_file
from autograder.pool import WarmPool
from tests.conftest import ROOT, reference_code_of

pytestmark = pytest.mark.torch


def test_mkstemp_without_dir_gets_full_marks_warm_and_cold(tmp_path):
    (mutant,) = [
        m
        for m in load_mutants(get_assignment("pytorch"), ROOT)
        if m.name == "alt_tempfile_default_dir"
    ]
    path = tmp_path / "tempfile_default.py"
    path.write_text(apply_edits(reference_code_of("pytorch"), mutant), encoding="utf-8")
    cold = grade_file(path, "pytorch")
    with WarmPool() as pool:
        warm = grade_file(path, "pytorch", pool=pool)
    for result in (cold, warm):
        assert [(t.name, t.message) for t in result.tests if t.status != "passed"] == []
    assert [(t.name, t.status, t.message) for t in cold.tests] == [
        (t.name, t.status, t.message) for t in warm.tests
    ]
