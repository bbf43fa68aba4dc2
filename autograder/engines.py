"""Where submissions are graded: here, N at a time through warm workers, or on a Dask cluster.

Both engines take the same tasks and give back the same :class:`SubmissionResult` records; the
grading itself (sandboxed worker, probes, verdicts) is :func:`autograder.grade.grade_file`
wherever it runs.
"""

from __future__ import annotations

import atexit
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.pool import WarmPool
from autograder.results import SubmissionResult
from autograder.sandbox import Limits


@dataclass(frozen=True)
class Task:
    index: int
    path: Path
    stem: str
    assignment: str


class LocalEngine:
    """``jobs`` submissions at a time on this machine; warm workers unless ``warm=False``;
    ``limits``: each worker's time and resource limits (default: ``Limits()``)."""

    def __init__(
        self,
        jobs: int = 1,
        warm: bool = True,
        private_dirs: list[Path] | None = None,
        limits: Limits | None = None,
    ):
        self.jobs = max(1, int(jobs))
        self.pool = WarmPool() if warm else None
        self.private_dirs = private_dirs
        self.limits = limits

    def run(self, tasks: list[Task]) -> Iterator[tuple[Task, SubmissionResult]]:
        """Grade every task; yields (task, result) as each one finishes."""
        from autograder.grade import grade_file

        with ThreadPoolExecutor(max_workers=self.jobs) as executor:
            futures = {
                executor.submit(
                    grade_file, t.path, t.assignment, self.limits, self.private_dirs, self.pool
                ): t
                for t in tasks
            }
            for future in as_completed(futures):
                yield futures[future], future.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()

    def describe(self) -> str:
        return f"{self.jobs} at a time, {'warm' if self.pool else 'cold'} workers"


# -- Dask ------------------------------------------------------------------------------------

_WORKER_POOL: dict[str, WarmPool] = {}
_WORKER_POOL_LOCK = threading.Lock()


def _process_pool() -> WarmPool:
    """One warm pool per Dask worker process, shared by its task threads."""
    with _WORKER_POOL_LOCK:
        if "pool" not in _WORKER_POOL:
            _WORKER_POOL["pool"] = WarmPool()
            atexit.register(_WORKER_POOL["pool"].close)
        return _WORKER_POOL["pool"]


def grade_on_worker(
    filename: str, content: bytes, assignment: str, limits: Limits | None = None
) -> dict[str, Any]:
    """A Dask task: grade one submission's bytes on the worker's machine, sandbox and all."""
    from autograder.grade import grade_file

    with tempfile.TemporaryDirectory(prefix="dlcourse-task-") as tmp:
        path = Path(tmp) / Path(filename).name
        path.write_bytes(content)
        return grade_file(path, assignment, limits, pool=_process_pool()).to_dict()


class DaskEngine:
    """Submissions as tasks on a ``dask.distributed`` scheduler at ``address``.

    Each task sends the submission's bytes and returns the result record; with ``gpu=True``
    tasks ask for the ``GPU`` resource, so they run only on workers started with
    ``--resources GPU=1``.
    """

    def __init__(self, address: Any, gpu: bool = False, limits: Limits | None = None):
        from dask.distributed import Client

        self.address, self.limits = address, limits
        self.client = Client(address)
        self.resources = {"GPU": 1} if gpu else None

    def run(self, tasks: list[Task]) -> Iterator[tuple[Task, SubmissionResult]]:
        from dask.distributed import as_completed as dask_completed

        futures = {
            self.client.submit(
                grade_on_worker,
                t.path.name,
                t.path.read_bytes(),
                t.assignment,
                self.limits,
                pure=False,
                key=f"grade-{t.index}-{t.stem}",
                resources=self.resources,
            ): t
            for t in tasks
        }
        for future in dask_completed(futures):
            task = futures[future]
            try:
                result = SubmissionResult.from_dict(future.result())
            except Exception as exc:  # noqa: BLE001 - the cluster failed, not the submission
                result = SubmissionResult(
                    submission=task.path.name,
                    assignment=task.assignment,
                    error=f"the Dask task failed before grading finished: {exc}"[:500],
                )
            yield task, result

    def close(self) -> None:
        self.client.close()

    def describe(self) -> str:
        workers = len(self.client.scheduler_info().get("workers", {}))
        return f"Dask scheduler {self.address}, {workers} workers"
