"""Grading a class: our grader (cold, warm, --jobs 2) against otter-grader, nbgrader and a bare
framework import, on the same submissions, in one run.

    python benchmarks/grading_throughput.py [--count 20] [--assignment pytorch tf2]
        [--anchors-python .venv-anchors/bin/python] [--anchor-count 4]
        [--json benchmarks/results/throughput.json]

Submissions: the reference, the example mutants and the stub of each assignment, as notebooks,
repeated to ``--count``. The otter and nbgrader exercises are built from the same source by
``benchmarks/anchors.py`` (one question per step, same points, tested by the step's public
check), and graded with ``otter run`` (one call per submission, as otter's non-container mode
works) and ``nbgrader autograde`` (the whole class in one call), on all of them or, with
``--anchor-count N``, on the first N (their figures per submission use N). The anchors need
their own environment (``make bench-anchors`` creates ``.venv-anchors``: otter-grader, nbgrader,
torch, tensorflow-cpu); without it only our grader and the import floor are measured.

Memory: the peak of the summed PSS of the grading command's whole process tree (grader, zygote,
workers; or otter/nbgrader and their kernels), sampled every 0.2 s; and for our grader the peak
of each submission's worker (its own PSS, from the result records).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.sandbox import _resident  # noqa: E402
from benchmarks import anchors  # noqa: E402
from benchmarks.grading_benchmark import FRAMEWORK  # noqa: E402


def _tree_pss(root: psutil.Process) -> float:
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    return sum(_resident(p) for p in procs) / 2**20  # the grader's own PSS reading


def run_measured(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> dict:
    """Wall seconds and peak tree PSS (MB) of one command; its output is discarded."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak, stop = [0.0], threading.Event()

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while not stop.wait(0.2):
            peak[0] = max(peak[0], _tree_pss(root))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    code = proc.wait()
    stop.set()
    thread.join()
    return {"wall_s": time.perf_counter() - started, "peak_tree_mb": peak[0], "rc": code}


def submissions(assignment: str, count: int, directory: Path) -> list[str]:
    """``count`` notebooks cycling through the variants; returns the variant of each."""
    variants = list(anchors.variants(assignment))
    plain = anchors.plain_submissions(assignment, directory / "_variants")
    chosen = [variants[i % len(variants)] for i in range(count)]
    for i, name in enumerate(chosen):
        shutil.copy(plain[variants.index(name)], directory / f"{i:02d}_{name}.ipynb")
    shutil.rmtree(directory / "_variants")
    return chosen


def ours(assignment: str, subs: Path, work: Path, jobs: int, cold: bool) -> dict:
    out = work / f"ours-{jobs}-{'cold' if cold else 'warm'}"
    cmd = [sys.executable, "-m", "autograder.cli", "grade", str(subs), "--assignment",
           assignment, "--out", str(out), "--force", "--jobs", str(jobs)]  # fmt: skip
    measured = run_measured(cmd + (["--cold"] if cold else []), cwd=ROOT)
    records = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    measured["worker_peak_mb"] = max(r["peak_rss_mb"] for r in records)
    measured["scores"] = {r["submission"]: r["score"] for r in records}
    return measured


def otter(assignment: str, subs: Path, work: Path, python: Path, count: int) -> dict:
    import nbformat

    build = work / "otter"
    build.mkdir()
    nbformat.write(anchors.otter_master(assignment), build / "master.ipynb")
    otter_bin = [str(python), "-m", "otter"]
    subprocess.run(otter_bin + ["assign", "master.ipynb", "dist"], cwd=build, check=True,
                   capture_output=True)  # fmt: skip
    zip_path = next((build / "dist" / "autograder").glob("*.zip"))
    total, peak, scores = 0.0, 0.0, {}
    for path in sorted(subs.glob("*.ipynb"))[:count]:
        out = build / "out" / path.stem
        out.mkdir(parents=True)
        measured = run_measured(
            otter_bin + ["run", "--no-logo", "-a", str(zip_path), "-o", str(out), str(path)],
            env=_anchor_env(python),
        )
        total += measured["wall_s"]
        peak = max(peak, measured["peak_tree_mb"])
        result = json.loads((out / "results.json").read_text())
        scores[path.name] = sum(t.get("score", 0) for t in result["tests"] if "score" in t)
    return {"wall_s": total, "peak_tree_mb": peak, "scores": scores, "count": len(scores)}


def nbgrader(assignment: str, chosen: list[str], work: Path, python: Path) -> dict:
    course = work / "nbgrader"
    students = {f"s{i:02d}": name for i, name in enumerate(chosen)}
    anchors.nbgrader_course(assignment, course, students)
    nb = [str(python), "-m", "nbgrader"]
    subprocess.run(nb + ["generate_assignment", assignment, "--force"], cwd=course, check=True,
                   capture_output=True, env=_anchor_env(python))  # fmt: skip
    measured = run_measured(nb + ["autograde", assignment, "--force"], cwd=course,
                            env=_anchor_env(python))  # fmt: skip
    code = (
        "import json, sys\nfrom nbgrader.api import Gradebook\n"
        f"with Gradebook('sqlite:///{course}/gradebook.db') as gb:\n"
        f"    print(json.dumps({{s: gb.find_submission({assignment!r}, s).score "
        f"for s in {sorted(students)!r}}}))\n"
    )
    scores = json.loads(subprocess.run([str(python), "-c", code], check=True,
                                       capture_output=True, text=True).stdout)  # fmt: skip
    measured["scores"] = {f"{int(s[1:]):02d}_{students[s]}.ipynb": v for s, v in scores.items()}
    measured["count"] = len(chosen)
    return measured


def _anchor_env(python: Path) -> dict:
    # TF's C++ logs go to stderr, which nbgrader scores as a failure: silence them, as a course
    # using nbgrader with TensorFlow has to. nbgrader runs `alembic` from PATH.
    path = f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT), PATH=path)


def import_floor(module: str, repeats: int = 3) -> dict:
    runs = [run_measured([sys.executable, "-c", f"import {module}"]) for _ in range(repeats)]
    return {
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "peak_tree_mb": max(r["peak_tree_mb"] for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--assignment", nargs="+", default=["pytorch", "tf2"])
    parser.add_argument("--anchors-python", type=Path, default=ROOT / ".venv-anchors/bin/python")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--anchor-count",
        type=int,
        help="grade only the first N submissions with otter and nbgrader (20-40x slower than "
        "ours; their per-submission figures and ratios use N); default: all",
    )
    args = parser.parse_args()
    anchors_ok = args.anchors_python.exists()
    report: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}",
        "count": args.count,
        "assignments": {},
    }
    for assignment in args.assignment:
        with tempfile.TemporaryDirectory(prefix="dlcourse-bench-") as tmp:
            work, subs = Path(tmp), Path(tmp) / "subs"
            subs.mkdir()
            chosen = submissions(assignment, args.count, subs)
            rows = {"import " + FRAMEWORK[assignment]: import_floor(FRAMEWORK[assignment])}
            rows["dlcourse --cold --jobs 1"] = ours(assignment, subs, work, 1, cold=True)
            rows["dlcourse --jobs 1 (warm)"] = ours(assignment, subs, work, 1, cold=False)
            rows["dlcourse --jobs 2 (warm)"] = ours(assignment, subs, work, 2, cold=False)
            if anchors_ok:
                few = args.anchor_count or args.count
                python = args.anchors_python
                rows["otter run"] = otter(assignment, subs, work, python, few)
                rows["nbgrader autograde"] = nbgrader(assignment, chosen[:few], work, python)
        _print(assignment, args.count, rows)
        report["assignments"][assignment] = {"submissions": chosen, "rows": rows}
    if not anchors_ok:
        print(f"\n(no {args.anchors_python}: otter/nbgrader anchors skipped; make bench-anchors)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


def _print(assignment: str, count: int, rows: dict) -> None:
    floor = next(v for k, v in rows.items() if k.startswith("import"))["wall_s"]
    otter_row = rows.get("otter run")
    anchors = f" (otter and nbgrader: the first {otter_row['count']})" if otter_row else ""
    print(f"\n{assignment}: {count} submissions{anchors}")
    print(f"  {'':<26}{'s/sub':>8}{'per min':>9}{'x import':>10}{'otter/x':>9}{'tree MB':>9}"
          f"{'worker MB':>11}")  # fmt: skip
    for name, row in rows.items():
        per = (
            row["wall_s"] if name.startswith("import") else row["wall_s"] / row.get("count", count)
        )
        row["s_per_submission"] = round(per, 3)
        otter_per = otter_row["wall_s"] / otter_row["count"] if otter_row else 0.0
        ratio = f"{otter_per / per:>8.1f}x" if otter_row else f"{'-':>9}"
        worker = f"{row['worker_peak_mb']:>10.0f}" if "worker_peak_mb" in row else f"{'-':>10}"
        print(
            f"  {name:<26}{per:>8.2f}{60 / per:>9.1f}{per / floor:>10.2f}{ratio}"
            f"{row['peak_tree_mb']:>9.0f} {worker}"
        )


if __name__ == "__main__":
    main()
