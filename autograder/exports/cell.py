"""What the test cells of the nbgrader and otter-grader exports call, inside the learner's kernel.

The hidden tests never run in that kernel: the first call grades the submitted notebook file with
``dlcourse grade`` in a fresh, isolated process (``python -I``, so nothing the submission put in
its folder or on ``sys.path`` is imported), which runs the learner's code in the usual sandboxed
worker. The kernel only gets the result record back; later cells reuse it.

Trust: learner code ran in that kernel before the test cells and could fake this module, so the
kernel's numbers are not what counts. Under ``nbgrader autograde`` with the exported configuration
a preprocessor (:mod:`autograder.exports.nbgrader_hooks`) and under otter a plugin
(:mod:`autograder.exports.otter_plugin`) replace them with ``dlcourse grade``'s record of the
submitted file, computed in the tool's own process; with nbgrader the kernel then skips grading.
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
TRUSTED_ENV = "DLCOURSE_NBGRADER_TRUSTED"
"""Set by the exported nbgrader_config.py: its preprocessor scores the hidden-test cells."""
OTTER_TRUSTED_ENV = "DLCOURSE_OTTER_TRUSTED"
"""Set by the otter plugin in otter's process (its kernel inherits it): the plugin scores our
questions, so the kernel's cases need not grade the notebook a second time."""
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
    named = [p for p in sorted(here.glob("*.ipynb")) if names_assignment(p, assignment)]
    if len(named) == 1:
        return named[0]
    raise SubmissionNotFound(
        f"expected the submitted notebook {notebook!r}; looked at {', '.join(map(str, looked))} "
        f"and found {len(named)} notebooks in {here} for assignment {assignment!r}. Likely cause: "
        "the notebook was renamed; set DLCOURSE_SUBMISSION to its path"
    )


def names_assignment(path: Path, assignment: str) -> bool:
    """Whether the notebook's metadata says it is for ``assignment`` (read as the grader does)."""
    from autograder.reader import SubmissionReadError, read_submission

    try:
        return read_submission(path).assignment == assignment
    except (OSError, SubmissionReadError):
        return False


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
            _results[key] = grade_outside(path, assignment)
    return _results[key]


def grade_outside(path: Path, assignment: str) -> dict[str, Any]:
    """The result record of ``path`` from ``dlcourse grade`` in a fresh ``python -I`` process."""
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


def feedback_lines(result: dict[str, Any], step: str) -> list[str]:
    """Each hidden test of ``step``: ok/FAIL, points and, for a failure, its teaching message."""
    lines = [f"not graded: {result['error']}"] if result.get("error") else []
    for test in _step_tests(result, step):
        mark = "ok  " if test["status"] == "passed" else "FAIL"
        line = f"{mark} {test['name']}: {test['score']:g}/{test['max_score']:g}"
        lines.append(line + (f" - {test['message']}" if test["status"] != "passed" else ""))
    return lines


def step_total(result: dict[str, Any], step: str) -> float:
    return round(float(sum(t["score"] for t in _step_tests(result, step))), 4)


def scored_outside_kernel() -> bool:
    """nbgrader is autograding with the exported configuration, or otter with our plugin, and
    that scores these cells from outside the kernel (so grading here again would only cost time;
    what the kernel reports is discarded)."""
    autograding = os.environ.get("NBGRADER_EXECUTION") == "autograde"
    nbgrader = autograding and os.environ.get(TRUSTED_ENV) == "1"
    return nbgrader or os.environ.get(OTTER_TRUSTED_ENV) == "1"


def step_score(assignment: str, step: str, notebook: str) -> float:
    """nbgrader: the step's points as ``dlcourse grade`` gives them (the cell's value is its
    partial credit); prints each hidden test's outcome and, for a failure, its teaching message."""
    if scored_outside_kernel():
        print("scored by dlcourse outside this kernel")
        return 0.0
    result = graded(assignment, notebook)
    for line in feedback_lines(result, step):
        print(line)
    return step_total(result, step)


def require(assignment: str, test: str, notebook: str, share: float = 1.0) -> None:
    """otter-grader: passes when hidden test ``test`` scored at least ``share`` of its points;
    otherwise raises ``AssertionError`` with the test's teaching message. Prints nothing (otter
    compares printed output)."""
    if scored_outside_kernel():
        return
    failure = share_failure(graded(assignment, notebook), test, share)
    if failure is not None:
        raise AssertionError(failure)


def share_failure(result: dict[str, Any], test: str, share: float) -> str | None:
    """None when hidden test ``test`` scored at least ``share`` of its points in ``result``;
    otherwise why not: its teaching message, or why it has no result."""
    found = [t for t in result.get("tests", []) if t.get("name") == test]
    if not found:
        return f"not graded: {result.get('error') or 'no result for ' + test}"
    record = found[0]
    if record["score"] + 1e-9 < share * record["max_score"]:
        return str(record["message"] or f"{test}: {record['status']}")
    return None
