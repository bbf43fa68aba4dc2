"""How long ``check(step)`` takes in a warm Jupyter kernel, as the learner sees it.

    python benchmarks/check_latency.py [--assignment pytorch tf2 tf1] [--calls 20] [--json out.json]

Runs the solved notebook (examples/<assignment>/reference.ipynb) in a real ipykernel, then sends
``check("<step>")`` as a cell ``--calls`` times per step and reports the median and the slowest
round trip: execute request to idle, including the rich HTML the notebook renders. The same with
practice mode on (fresh random instances each call). The first call of a step is included: it is
what a learner meets right after writing the step.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel

from autograder.assignments import ASSIGNMENTS, get_assignment

ROOT = Path(__file__).resolve().parent.parent


def _run(client, code: str, timeout: float = 300) -> float:  # noqa: ANN001
    """Execute ``code``; seconds from request to the kernel's idle; raise on an error reply."""
    started = time.perf_counter()
    reply = client.execute_interactive(code, timeout=timeout, output_hook=lambda msg: None)
    elapsed = time.perf_counter() - started
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code[:60]!r} failed: {reply['content'].get('evalue')}")
    return elapsed


def measure(assignment: str, calls: int) -> dict:
    nb = nbformat.read(ROOT / "examples" / assignment / "reference.ipynb", as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DLCOURSE_PRACTICE"}
        env["PYTHONPATH"] = str(ROOT)
        manager, client = start_new_kernel(kernel_name="python3", cwd=tmp, env=env)
        try:
            started = time.perf_counter()
            for cell in nb.cells:
                if cell.cell_type == "code":
                    _run(client, cell.source)
            notebook_s = time.perf_counter() - started
            result: dict = {"notebook_s": round(notebook_s, 2), "plain": {}, "practice": {}}
            for mode in ("plain", "practice"):
                _run(client, f"from course_utils import practice; practice({mode == 'practice'})")
                for step in get_assignment(assignment).steps:
                    times = [_run(client, f'check("{step}")') for _ in range(calls)]
                    result[mode][step] = {
                        "median_s": round(statistics.median(times), 4),
                        "first_s": round(times[0], 4),
                        "max_s": round(max(times), 4),
                    }
            return result
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", nargs="+", default=list(ASSIGNMENTS))
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "calls_per_step": args.calls,
        "assignments": {},
    }
    for assignment in args.assignment:
        data = measure(assignment, args.calls)
        report["assignments"][assignment] = data
        print(f"\n{assignment}: solved notebook ran in {data['notebook_s']:.1f} s")
        print(f"  {'step':<13}{'median':>10}{'first':>10}{'max':>10}   practice median / max")
        for step in get_assignment(assignment).steps:
            p, q = data["plain"][step], data["practice"][step]
            print(
                f"  {step:<13}{p['median_s'] * 1000:>8.0f}ms{p['first_s'] * 1000:>8.0f}ms"
                f"{p['max_s'] * 1000:>8.0f}ms   {q['median_s'] * 1000:>6.0f}ms / "
                f"{q['max_s'] * 1000:.0f}ms"
            )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
