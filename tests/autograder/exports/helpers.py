"""What the export tests share: the submissions they grade, our own points for them, and the
other tools' command lines (run from this environment, with their logs kept out of the way)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from autograder.assignments import get_assignment
from autograder.build import code_variants
from autograder.cli import grade_paths
from autograder.engines import LocalEngine
from autograder.exports.layout import layout
from autograder.notebook_source import BEGIN

# Submissions each export is checked on: the reference, the stub, a correct solution in another
# style, and mutants (one with partial credit: download_not_atomic scores half of a check).
# What the export tests grade through the real tools (each notebook costs 20-40 s there, and
# CI has 90 minutes for everything): one PyTorch and one TensorFlow assignment, with the
# reference, the stub, and mutants that lose a whole check or part of one (download_not_atomic:
# otter's half-credit case passes alone), plus one correct alternative. The exports are made the
# same way for every assignment (their structure is tested for all four); every mutant of every
# assignment is graded natively by tests/autograder/test_mutants.py.
SUBMISSIONS = {
    "pytorch": ["reference", "stub", "alt_log_softmax_nll", "download_not_atomic", "no_zero_grad"],
    "tf2": ["reference", "stub", "from_logits_missing"],
}

# Noise another thread of the kernel writes to stderr all the time, as TensorFlow's logging does.
NOISE = """
import os as _os, sys as _sys, threading as _threading, time as _time
def _noise():
    while True:
        _os.write(2, b"W0000 noise.cc:1] a log line written to fd 2\\n")
        _sys.stderr.write("a Python warning on sys.stderr\\n")
        _time.sleep(0.005)
_threading.Thread(target=_noise, daemon=True).start()
"""


# Learner code aimed at the test cells: a fake of the module they import, claiming every step's
# full points, while every function is still a stub.
FORGER = """
import sys as _sys, types as _types
_fake = _types.ModuleType("autograder.exports.cell")
_fake.step_score = lambda assignment, step, notebook: {points!r}[step]  # nbgrader's cells
_fake.require = lambda *args, **kwargs: None  # otter's cases: every one "passes"
_sys.modules["autograder.exports.cell"] = _fake
"""

# Learner code aimed at what nbgrader grades: while the kernel runs (in
# autograded/<student>/<assignment>/), it overwrites the learner's own file under submitted/
# with the instructor's solved source notebook, every function of the notebook still a stub.
REWRITER = """
import os as _os, shutil as _shutil
_parts = _os.getcwd().split(_os.sep)
_root, _me, _which = _os.sep.join(_parts[:-3]), _parts[-2], _parts[-1]
for _name in _os.listdir(_os.path.join(_root, "source", _which)):
    if _name.endswith(".ipynb"):
        _shutil.copy(
            _os.path.join(_root, "source", _which, _name),
            _os.path.join(_root, "submitted", _me, _which, _name),
        )
"""


def walker() -> str:
    """tests/security's walker (it looks for every copy of the grader's hidden side, for a
    classmate's file, and reports at load what it found), as a notebook cell's code."""
    from tests.security.test_worker_view import WALKER, markers

    return WALKER.format(
        markers=markers(), classmate="alt_log_softmax", record="zz-no-record", top="/"
    )


EXTRAS = {
    "noisy": ("reference", lambda: NOISE),
    "forger": ("stub", lambda: FORGER),
    "rewriter": ("stub", lambda: REWRITER),
    "walker": ("stub", walker),
}


def variant_code(assignment: str, name: str) -> list[str]:
    """Code-cell sources of a named submission; one of ``EXTRAS`` is a variant plus hostile or
    noisy code in the first solution cell (tools restore read-only cells from their source)."""
    variants = code_variants(get_assignment(assignment))
    if name in EXTRAS:
        base, extra = EXTRAS[name]
        code = list(variants[base])
        first = next(i for i, c in enumerate(variants["reference"]) if BEGIN in c)
        plan = layout(assignment)
        points = {t.step: plan.step_points(t.step) for t in plan.tests}
        code[first] = code[first] + "\n" + extra().replace("{points!r}", repr(points))
        return code
    return variants[name]


def our_steps(files: list[Path], assignment: str) -> list[dict[str, float]]:
    """``dlcourse grade``'s points per step of each file, in the order given."""
    engine = LocalEngine(jobs=2)
    try:
        results = grade_paths(files, assignment, None, quiet=True, resume=False, engine=engine)
    finally:
        engine.close()
    return [{s: v.score for s, v in r.steps.items()} for r in results]


def tool(*args: str, cwd: Path, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    """Run a command of this environment (``nbgrader``, ``otter``) and return what it did; the
    environment's bin is put first on PATH (nbgrader runs ``alembic`` from there)."""
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    command = [str(Path(bin_dir) / args[0]), *args[1:]]
    proc = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n"
            f"{proc.stderr[-3000:]}"
        )
    return proc
