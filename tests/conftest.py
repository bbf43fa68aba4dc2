"""Shared fixtures: the reference and its graded mutants (graded once per session)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.assignments import get_assignment
from autograder.build import apply_edits, load_mutants, reference_code, repo_root
from autograder.grade import grade_file
from autograder.notebook_source import parse_source
from autograder.results import SubmissionResult

ROOT = repo_root()


def has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def grade_sources(
    sources: dict[str, str], tmp: Path, assignment: str
) -> dict[str, SubmissionResult]:
    """Write each source to ``tmp/<name>.py`` and grade them two at a time."""
    paths = {}
    for name, code in sources.items():
        path = tmp / f"{name}.py"
        path.write_text(code, encoding="utf-8")
        paths[name] = path
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(grade_file, path, assignment) for name, path in paths.items()}
        return {name: f.result() for name, f in futures.items()}


@pytest.fixture(scope="session")
def pytorch_reference_code() -> str:
    return reference_code(parse_source(ROOT / get_assignment("pytorch").source))


@pytest.fixture(scope="session")
def pytorch_graded(
    tmp_path_factory: pytest.TempPathFactory, pytorch_reference_code: str
) -> dict[str, SubmissionResult]:
    """The reference, and every mutant of solutions/mutants_pytorch.py, graded once."""
    assignment = get_assignment("pytorch")
    sources = {"reference": pytorch_reference_code}
    for mutant in load_mutants(assignment, ROOT):
        sources[mutant.name] = apply_edits(pytorch_reference_code, mutant)
    return grade_sources(sources, tmp_path_factory.mktemp("pytorch-mutants"), "pytorch")
