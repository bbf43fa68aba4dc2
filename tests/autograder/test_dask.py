"""``dlcourse grade --scheduler``: a real dask.distributed cluster grades a batch with the same
results as the local pool."""

from __future__ import annotations

import pytest

from autograder.cli import grade_paths, main
from autograder.engines import DaskEngine
from autograder.results import SubmissionResult
from tests.conftest import ROOT

distributed = pytest.importorskip("dask.distributed", reason="pip install .[cluster]")
pytestmark = [pytest.mark.torch, pytest.mark.slow]

NAMES = ["reference.ipynb", "no_zero_grad.py", "stats_from_all_data.py"]


def _outcome(result):
    return result.score, [(t.name, t.status, t.score, t.message) for t in result.tests]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        resources={"GPU": 1},  # declared, so --gpu tasks have somewhere to run
    ) as local:
        yield local


def test_a_dask_cluster_grades_like_the_local_pool(cluster, tmp_path):
    """Do tasks on two Dask worker processes give the local pool's results, in input order?"""
    paths = [ROOT / "examples" / "pytorch" / n for n in NAMES]
    local = grade_paths(paths, "pytorch", tmp_path / "local", quiet=True, resume=False)
    engine = DaskEngine(cluster.scheduler_address)
    try:
        remote = grade_paths(
            paths, "pytorch", tmp_path / "dask", quiet=True, resume=False, engine=engine
        )
        workers = engine.client.run(lambda: __import__("os").getpid())
    finally:
        engine.close()
    assert len(workers) == 2
    assert [r.submission for r in remote] == NAMES
    assert [_outcome(r) for r in remote] == [_outcome(r) for r in local]
    assert remote[0].score == remote[0].max_score and remote[0].sandbox == local[0].sandbox


def test_cli_scheduler_option_writes_the_same_records(cluster, tmp_path):
    """Does ``dlcourse grade --scheduler ADDRESS --gpu`` grade and write result files?"""
    path = ROOT / "examples" / "pytorch" / "reference.ipynb"
    code = main(
        [
            "grade",
            str(path),
            "--assignment",
            "pytorch",
            "--out",
            str(tmp_path),
            "--scheduler",
            cluster.scheduler_address,
            "--gpu",
        ]  # fmt: skip
    )
    assert code == 0
    record = SubmissionResult.from_dict(
        __import__("json").loads((tmp_path / "reference.json").read_text())
    )
    assert record.score == record.max_score > 0
