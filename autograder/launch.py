"""What starting a worker takes, shared by cold workers (``sandbox``) and warm ones (``pool``):
the interpreter's flags, the environment built from nothing, where the grader's packages live,
and the shapes of a process and of a warm parent that forks workers. Neither module imports the
other."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol


class GraderInternalError(RuntimeError):
    """The grader's own code failed inside the worker (never the learner's fault)."""


class ChildProcess(Protocol):
    """A worker process: ``subprocess.Popen`` or one forked by a zygote."""

    pid: int
    returncode: int | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int | None: ...


class Spawner(Protocol):
    """A warm parent that forks a worker with ``config`` and hands it ``fds`` (``pool.Zygote``)."""

    def spawn(self, config: dict[str, Any], fds: list[int]) -> ChildProcess: ...


def worker_env(scratch: Path) -> dict[str, str]:
    """A worker's environment, built from nothing: its scratch as home and temporary
    directory, one thread per math library, quiet frameworks, and only the few variables of
    the grader's own environment a GPU or a BLAS needs."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(scratch / ".mpl"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        # TensorFlow's oneDNN kernels are compiled the first time each op runs in a process, and
        # every probe child is a new process: the plain kernels save ~0.4 s a TF submission
        # (benchmarks/grading_throughput.py) and agree with them to float32 round-off.
        "TF_ENABLE_ONEDNN_OPTS": "0",
    }
    env["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"  # asking "is there a GPU?" must not initialise CUDA
    passed = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "VIRTUAL_ENV", "LD_LIBRARY_PATH")
    for key, value in os.environ.items():
        if key in passed or key.startswith(("CUDA_", "NVIDIA_")):
            env[key] = value
    return env


# The worker imports the grader's own packages from where this copy of them lives, whatever
# the working directory or PYTHONPATH.
PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
WORKER_FLAGS = ("-s", "-P")
"""How workers and zygotes start the interpreter: no user site-packages, no script folder on
``sys.path``. Not ``-I``: it would also ignore the ``PYTHON*`` variables of :func:`worker_env`,
which the worker's environment (built from nothing) needs: a random hash seed per worker makes
set order, and so records, differ between runs, and without ``PYTHONDONTWRITEBYTECODE`` the
grader's private bytecode cache would move into the worker's empty scratch home, where every
module of torch or TensorFlow is compiled again at each start (~15 s a worker)."""
