"""Shared fixtures: the reference and its graded mutants (graded once per session)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.assignments import get_assignment
from autograder.build import apply_edits, load_mutants, reference_code, repo_root
from autograder.grade import grade_file
from autograder.notebook_source import parse_source
from autograder.pool import WarmPool
from autograder.results import SubmissionResult

ROOT = repo_root()


def has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def grade_sources(
    sources: dict[str, str],
    tmp: Path,
    assignment: str,
    warm: WarmPool | None = None,
    jobs: int = 2,
) -> dict[str, SubmissionResult]:
    """Write each source to ``tmp/<name>.py`` and grade them ``jobs`` at a time, with workers
    forked from ``warm`` (cold ones, started afresh, without it)."""
    paths = {}
    for name, code in sources.items():
        path = tmp / f"{name}.py"
        path.write_text(code, encoding="utf-8")
        paths[name] = path
    with ThreadPoolExecutor(max_workers=jobs) as threads:
        futures = {
            name: threads.submit(grade_file, path, assignment, pool=warm)
            for name, path in paths.items()
        }
        return {name: f.result() for name, f in futures.items()}


def reference_code_of(name: str) -> str:
    return reference_code(parse_source(ROOT / get_assignment(name).source))


@pytest.fixture(scope="session")
def pytorch_reference_code() -> str:
    return reference_code_of("pytorch")


_GRADED: dict[tuple[str, str], dict[str, SubmissionResult]] = {}


def mutant_sources(name: str) -> dict[str, str]:
    """The reference and every mutant of solutions/mutants_<name>.py, by name."""
    code = reference_code_of(name)
    sources = {"reference": code}
    for mutant in load_mutants(get_assignment(name), ROOT):
        sources[mutant.name] = apply_edits(code, mutant)
    return sources


@pytest.fixture(scope="session")
def warm_pool():  # noqa: ANN201
    """One warm pool for the session's gradings that want one (closed at its end)."""
    with WarmPool() as pool:
        yield pool


@pytest.fixture(scope="session")
def graded_mutants(tmp_path_factory: pytest.TempPathFactory, warm_pool: WarmPool):  # noqa: ANN201
    """``graded_mutants(name)``: the reference and every mutant of solutions/mutants_<name>.py,
    graded once per session with warm workers, two at a time (``tests/autograder/
    test_determinism.py`` shows the records are those of cold workers one at a time)."""

    def get(name: str) -> dict[str, SubmissionResult]:
        if ("warm", name) not in _GRADED:
            tmp = tmp_path_factory.mktemp(f"{name}-mut")
            _GRADED["warm", name] = grade_sources(mutant_sources(name), tmp, name, warm=warm_pool)
        return _GRADED["warm", name]

    return get
