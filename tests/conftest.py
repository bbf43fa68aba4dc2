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


def reference_code_of(name: str) -> str:
    return reference_code(parse_source(ROOT / get_assignment(name).source))


@pytest.fixture(scope="session")
def pytorch_reference_code() -> str:
    return reference_code_of("pytorch")


_GRADED: dict[str, dict[str, SubmissionResult]] = {}


@pytest.fixture(scope="session")
def graded_mutants(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """``graded_mutants(name)``: the reference and every mutant of solutions/mutants_<name>.py,
    graded once per session."""

    def get(name: str) -> dict[str, SubmissionResult]:
        if name not in _GRADED:
            code = reference_code_of(name)
            sources = {"reference": code}
            for mutant in load_mutants(get_assignment(name), ROOT):
                sources[mutant.name] = apply_edits(code, mutant)
            _GRADED[name] = grade_sources(sources, tmp_path_factory.mktemp(f"{name}-mut"), name)
        return _GRADED[name]

    return get
