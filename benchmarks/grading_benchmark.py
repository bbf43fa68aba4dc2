"""Grading speed and memory against the floor: a bare ``python -c "import torch"``, same run.

    python benchmarks/grading_benchmark.py [--copies 10] [--assignment pytorch] [--json out.json]

Grades N copies of the reference with ``dlcourse grade`` (one worker process per submission, as in
production) and reports seconds per submission, the ratio to one bare framework import, and the
peak memory of each submission's worker tree (PSS, measured by the grader's watchdog; PSS counts
pages shared between the worker and its forked probe children once). Timings depend on the
machine; run it on an idle one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_utils.assignments import ASSIGNMENTS

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK = {name: ", ".join(a.frameworks) for name, a in ASSIGNMENTS.items()}
"""What a bare import of each assignment's frameworks imports."""


def _timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and the peak RSS (MB) of the command's process tree's largest process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(before, after) / 1024


def bare_import(module: str, repeats: int) -> dict[str, float]:
    runs = [_timed([sys.executable, "-c", f"import {module}"]) for _ in range(repeats)]
    return {
        "seconds": statistics.median(r[0] for r in runs),
        "peak_rss_mb": max(r[1] for r in runs),
    }


def grade_copies(assignment: str, copies: int) -> dict[str, float]:
    reference = ROOT / "examples" / assignment / "reference.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs"
        subs.mkdir()
        for i in range(copies):
            shutil.copy(reference, subs / f"learner{i:03d}.ipynb")
        out = Path(tmp) / "out"
        cmd = [
            sys.executable,
            "-m",
            "autograder.cli",
            "grade",
            str(subs),
            "--assignment",
            assignment,
            "--out",
            str(out),
        ]
        elapsed, _ = _timed(cmd)
        results = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    scores = {r["score"] == r["max_score"] for r in results}
    return {
        "submissions": len(results),
        "all_full_marks": scores == {True},
        "seconds_total": elapsed,
        "seconds_per_submission": elapsed / len(results),
        "worker_peak_pss_mb": max(r["peak_rss_mb"] for r in results),
        "mean_in_worker_seconds": statistics.mean(r["elapsed_s"] for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--assignment", default="pytorch", choices=sorted(FRAMEWORK))
    parser.add_argument("--repeats", type=int, default=3, help="bare-import repetitions (median)")
    parser.add_argument("--json")
    args = parser.parse_args()
    floor = bare_import(FRAMEWORK[args.assignment], args.repeats)
    ours = grade_copies(args.assignment, args.copies)
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "assignment": args.assignment,
        "bare_import": floor,
        "dlcourse_grade": ours,
        "ratio_per_submission_to_bare_import": ours["seconds_per_submission"] / floor["seconds"],
    }
    print(f"machine: {report['machine']}")
    print(
        f"bare `import {FRAMEWORK[args.assignment]}`: {floor['seconds']:.2f} s, "
        f"peak RSS {floor['peak_rss_mb']:.0f} MB"
    )
    print(
        f"dlcourse grade, {ours['submissions']} copies of the reference: "
        f"{ours['seconds_per_submission']:.2f} s per "
        f"submission ({report['ratio_per_submission_to_bare_import']:.1f}x one bare import), "
        f"all full marks: {ours['all_full_marks']}"
    )
    print(f"peak memory of a submission's worker tree: {ours['worker_peak_pss_mb']:.0f} MB (PSS)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
