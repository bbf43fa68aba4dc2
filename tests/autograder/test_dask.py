"""``dlcourse grade --scheduler``: a real dask.distributed cluster grades a batch with the same
results as the local pool."""

from __future__ import annotations

import pytest

from autograder.cli import grade_paths, main
from autograder.engines import DaskEngine
from autograder.results import SubmissionResult
from tests.autograder.test_pool import _outcome  # score, sandbox, notes and every test
from tests.conftest import ROOT

distributed = pytest.importorskip("dask.distributed", reason="pip install .[cluster]")
pytestmark = [pytest.mark.torch, pytest.mark.slow]

NAMES = ["reference.ipynb", "no_zero_grad.py", "stats_from_all_data.py"]


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
    assert remote[0].score == remote[0].max_score


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


def test_gpu_tasks_run_only_on_workers_that_declare_a_gpu(tmp_path):
    """With one worker declaring GPU=1 and one plain worker, do all --gpu tasks land on the
    first?"""
    import subprocess
    import sys
    import time

    from autograder.engines import Task

    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
        resources={"GPU": 1},
    ) as gpu_cluster:  # fmt: skip
        plain = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", gpu_cluster.scheduler_address,
             "--nthreads", "1", "--no-dashboard", "--name", "cpu-only"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        engine = DaskEngine(gpu_cluster.scheduler_address, gpu=True)
        try:
            deadline = time.monotonic() + 60
            while len(engine.client.scheduler_info()["workers"]) < 2:
                assert time.monotonic() < deadline, "the plain worker did not join"
                time.sleep(0.2)
            workers = engine.client.scheduler_info()["workers"]
            gpu = {a for a, w in workers.items() if w.get("resources", {}).get("GPU")}
            path = ROOT / "examples" / "pytorch" / "no_zero_grad.py"
            tasks = [Task(i, path, f"s{i}", "pytorch") for i in range(3)]
            with distributed.get_task_stream(engine.client) as stream:
                results = [r for _, r in engine.run(tasks)]
            ran_on = {t["worker"] for t in stream.data if t["key"].startswith("grade-")}
        finally:
            engine.close()
            plain.terminate()
            plain.wait(30)
    assert len(gpu) == 1 and ran_on == gpu, (ran_on, gpu)
    assert all(r.score == results[0].score < r.max_score for r in results)
