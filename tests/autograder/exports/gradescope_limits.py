"""Run a command inside Gradescope's default limits (768 MB, half a vCPU) with cgroup v1, and
read back its peak memory. Needs root and writable cgroup v1 memory/cpu hierarchies, which the
course machines and CI have; ``available()`` says whether this machine does."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

MEMORY = Path("/sys/fs/cgroup/memory")
CPU = Path("/sys/fs/cgroup/cpu")


def available() -> bool:
    return (
        os.geteuid() == 0 and (MEMORY / "cgroup.procs").exists() and (CPU / "cgroup.procs").exists()
    )


def run_limited(
    command: list[str], env: dict[str, str], memory_mb: int, cpus: float, timeout: float
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``command`` in fresh memory and cpu cgroups; returns (process, peak memory in MB)."""
    name = f"dlcourse-gradescope-{uuid.uuid4().hex[:8]}"
    memory, cpu = MEMORY / name, CPU / name
    memory.mkdir()
    cpu.mkdir()
    try:
        (memory / "memory.limit_in_bytes").write_text(str(memory_mb * 1024 * 1024))
        period = 100_000
        (cpu / "cpu.cfs_period_us").write_text(str(period))
        (cpu / "cpu.cfs_quota_us").write_text(str(int(period * cpus)))
        join = f'echo $$ > {memory}/cgroup.procs && echo $$ > {cpu}/cgroup.procs && exec "$@"'
        proc = subprocess.run(
            ["sh", "-c", join, "sh", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        peak = int((memory / "memory.max_usage_in_bytes").read_text()) / 2**20
        return proc, peak
    finally:
        for group in (memory, cpu):
            for _ in range(50):
                try:
                    group.rmdir()
                    break
                except OSError:  # processes still leaving
                    time.sleep(0.1)
