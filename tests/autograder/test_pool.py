"""Warm workers and ``--jobs``: the same results as cold workers, in input order, with a dead
zygote replaced instead of failing the batch."""

from __future__ import annotations

import os
import signal

import pytest

from autograder.assignments import get_assignment
from autograder.cli import grade_paths
from autograder.engines import LocalEngine
from autograder.grade import grade_file
from autograder.pool import WarmPool
from autograder.suites import get_suite
from tests.conftest import ROOT

pytestmark = [pytest.mark.torch, pytest.mark.tensorflow, pytest.mark.slow]

SAMPLES = {
    "pytorch": ["reference.ipynb", "no_zero_grad.py", "reshape_instead_of_permute.py"],
    "tf2": ["reference.ipynb", "metrics_not_reset.py", "forward_outside_tape.py"],
    "tf1": ["reference.ipynb", "ops_created_in_loop.py"],
}


def _paths(assignment):
    return [ROOT / "examples" / assignment / n for n in SAMPLES[assignment]] + [
        ROOT / get_assignment(assignment).notebook
    ]


def _outcome(result):
    return (
        result.score,
        result.sandbox,
        result.notes,
        [(t.name, t.status, t.score, t.message) for t in result.tests],
    )


@pytest.mark.parametrize("assignment", sorted(SAMPLES))
def test_warm_workers_give_exactly_the_results_of_cold_ones(assignment):
    """Reference, mutants and the stub: same scores, messages and sandbox, warm or cold?"""
    paths = _paths(assignment)
    cold = [grade_file(p, assignment) for p in paths]
    with WarmPool() as pool:
        warm = [grade_file(p, assignment, pool=pool) for p in paths]
        assert pool.started == 1  # one zygote served every submission
    assert [_outcome(r) for r in warm] == [_outcome(r) for r in cold]
    assert warm[0].score == warm[0].max_score > 0 and warm[-1].score == 0


def test_jobs_two_returns_the_results_of_jobs_one_in_input_order(tmp_path):
    """With two submissions graded at once, are results the same and in the input's order?"""
    paths = _paths("pytorch") * 2
    one = grade_paths(paths, "pytorch", tmp_path / "one", quiet=True, resume=False)
    engine = LocalEngine(jobs=2)
    try:
        two = grade_paths(
            paths, "pytorch", tmp_path / "two", quiet=True, resume=False, engine=engine
        )
    finally:
        engine.close()
    assert [r.submission for r in two] == [p.name for p in paths]
    assert [_outcome(r) for r in two] == [_outcome(r) for r in one]
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted(
        p.name for p in (tmp_path / "one").iterdir()
    )


def test_a_killed_zygote_is_replaced_on_the_next_submission():
    """If the warm parent dies between submissions, is the next one still graded in full?"""
    reference = ROOT / "examples" / "pytorch" / "reference.ipynb"
    suite = get_suite("pytorch")
    with WarmPool() as pool:
        first = grade_file(reference, "pytorch", pool=pool)
        zygote = pool.zygote(suite.probes_module, suite.blocked_modules)
        os.killpg(zygote._proc.pid, signal.SIGKILL)
        zygote._proc.wait(10)
        second = grade_file(reference, "pytorch", pool=pool)
        assert pool.started == 2
    assert first.score == second.score == second.max_score


def test_a_zygote_that_cannot_fork_falls_back_to_a_fresh_worker(monkeypatch):
    """If forking from the warm parent fails, is the submission still graded in full, with a
    note saying how, instead of the batch stopping?"""
    from autograder.pool import Zygote
    from autograder.sandbox import GraderInternalError

    def broken(self, config, fds):  # noqa: ANN001, ANN202
        raise GraderInternalError("the warm worker did not fork a worker")

    monkeypatch.setattr(Zygote, "spawn", broken)
    reference = ROOT / "examples" / "pytorch" / "reference.ipynb"
    with WarmPool() as pool:
        result = grade_file(reference, "pytorch", pool=pool)
    assert result.score == result.max_score > 0
    assert any("graded with a fresh one" in n for n in result.notes), result.notes


def test_sandbox_and_pool_do_not_import_each_other():
    """Cold workers (``sandbox``) and warm ones (``pool``) share what starting a worker takes
    through ``launch``: neither names the other in an import, not even for type checking."""
    import ast

    for module, other in (("sandbox", "pool"), ("pool", "sandbox")):
        tree = ast.parse((ROOT / "autograder" / f"{module}.py").read_text(encoding="utf-8"))
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert f"autograder.{other}" not in imported, module
        assert "autograder.launch" in imported, module
