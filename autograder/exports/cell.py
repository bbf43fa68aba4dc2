"""What the test cells of the nbgrader and otter-grader exports call, inside the learner's kernel.

The hidden tests never run in that kernel: the first call grades the submitted notebook file with
``dlcourse grade`` in a fresh, isolated process (``python -I``, so nothing the submission put in
its folder or on ``sys.path`` is imported), which runs the learner's code in the usual sandboxed
worker. The kernel only gets the result record back; later cells reuse it.

Limits of in-kernel tools, stated rather than hidden: nbgrader and otter run their test cells in
the learner's kernel, so code that targets the test cell itself (replacing this module in
``sys.modules``, say) can forge the number the cell shows. The points computed here are
``dlcourse grade``'s; for a class that may try that, grade the same files with ``dlcourse grade``
or the Gradescope bundle, where learner code never shares a process with the grader.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

GRADE_TIMEOUT_S = 1800
_results: dict[tuple[str, str], dict[str, Any]] = {}


class SubmissionNotFound(AssertionError):
    """The submitted notebook is not where the grading tool keeps it."""


def locate(notebook: str, assignment: str) -> Path:
    """The submitted notebook file.

    ``DLCOURSE_SUBMISSION`` if set; else ``notebook`` in the working directory (otter-grader
    runs there); else the copy nbgrader keeps under ``submitted/`` while it executes in
    ``autograded/<student>/<assignment>/``; else the one notebook here whose metadata names the
    assignment."""
    if os.environ.get("DLCOURSE_SUBMISSION"):
        return Path(os.environ["DLCOURSE_SUBMISSION"])
    here = Path.cwd()
    looked = [here / notebook]
    parts = here.parts
    if "autograded" in parts:
        i = len(parts) - 1 - parts[::-1].index("autograded")
        looked.append(Path(*parts[:i], "submitted", *parts[i + 1 :], notebook))
    for candidate in looked:
        if candidate.is_file():
            return candidate
    named = [p for p in sorted(here.glob("*.ipynb")) if _names(p, assignment)]
    if len(named) == 1:
        return named[0]
    raise SubmissionNotFound(
        f"expected the submitted notebook {notebook!r}; looked at {', '.join(map(str, looked))} "
        f"and found {len(named)} notebooks in {here} for assignment {assignment!r}. Likely cause: "
        "the notebook was renamed; set DLCOURSE_SUBMISSION to its path"
    )


def _names(path: Path, assignment: str) -> bool:
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(meta, dict) and meta.get("dlcourse", {}).get("assignment") == assignment


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Nothing reaches the cell's stderr while grading: nbgrader scores a test cell that wrote to
    stderr 0, and frameworks' background threads log there at any time (fd 2 and sys.stderr)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def graded(assignment: str, notebook: str) -> dict[str, Any]:
    """The result record of the submitted notebook (graded once per kernel and file content)."""
    path = locate(notebook, assignment)
    key = (assignment, hashlib.sha256(path.read_bytes()).hexdigest())
    if key not in _results:
        with _quiet_stderr():
            _results[key] = _grade(path, assignment)
    return _results[key]


def _grade(path: Path, assignment: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dlcourse-cell-") as out:
        command = [sys.executable, "-I", "-m", "autograder.cli", "grade", str(path)]
        command += ["--assignment", assignment, "--out", out, "--cold", "--force"]
        try:
            proc = subprocess.run(
                command,
                cwd=out,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=GRADE_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"grading took longer than {GRADE_TIMEOUT_S} s", "tests": []}
        records = sorted(Path(out).glob("*.json"))
        if proc.returncode != 0 or len(records) != 1:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            return {
                "error": f"dlcourse grade exited {proc.returncode}: " + " | ".join(tail),
                "tests": [],
            }
        data: dict[str, Any] = json.loads(records[0].read_text(encoding="utf-8"))
        return data


def _step_tests(result: dict[str, Any], step: str) -> list[dict[str, Any]]:
    return [t for t in result.get("tests", []) if t.get("step") == step]


def step_score(assignment: str, step: str, notebook: str) -> float:
    """nbgrader: the step's points as ``dlcourse grade`` gives them (the cell's value is its
    partial credit); prints each hidden test's outcome and, for a failure, its teaching message."""
    result = graded(assignment, notebook)
    tests = _step_tests(result, step)
    if result.get("error"):
        print(f"not graded: {result['error']}")
    for test in tests:
        mark = "ok  " if test["status"] == "passed" else "FAIL"
        line = f"{mark} {test['name']}: {test['score']:g}/{test['max_score']:g}"
        print(line + (f" - {test['message']}" if test["status"] != "passed" else ""))
    return round(float(sum(t["score"] for t in tests)), 4)


def require(assignment: str, test: str, notebook: str, share: float = 1.0) -> None:
    """otter-grader: passes when hidden test ``test`` scored at least ``share`` of its points;
    otherwise raises ``AssertionError`` with the test's teaching message. Prints nothing (otter
    compares printed output)."""
    result = graded(assignment, notebook)
    found = [t for t in result.get("tests", []) if t.get("name") == test]
    if not found:
        raise AssertionError(f"not graded: {result.get('error') or 'no result for ' + test}")
    record = found[0]
    if record["score"] + 1e-9 < share * record["max_score"]:
        raise AssertionError(record["message"] or f"{test}: {record['status']}")
