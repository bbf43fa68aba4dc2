"""What learners get: the student notebooks and ``course_utils`` (data, checks, hints, practice),
as an installable folder, and nothing of the grader.

``dlcourse build --learner DIR`` writes it. The hidden tests, the reference solutions, the
mutants and the grader's own code stay with the instructor: the bundle is made from an allow
list, and ``tests/autograder/test_learner_bundle.py`` checks that no file of it names or quotes
them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.assignments import ASSIGNMENTS
from autograder.build import repo_root

_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "dlcourse-learner"
version = "{version}"
description = "Learner kit of dlcourse: notebooks, data, public checks, hints, practice mode"
requires-python = ">=3.11"
dependencies = ["numpy>=1.26", "matplotlib>=3.8", "tensorboard>=2.16", "jupyterlab>=4"]

[project.optional-dependencies]
torch = ["torch==2.13.0"]
tf = ["tensorflow-cpu==2.21.0"]

[tool.setuptools.packages.find]
include = ["course_utils*"]

[tool.setuptools.package-data]
course_utils = ["datasets/*.npz"]
"""

_README = """\
# dlcourse: learner kit

    python -m venv .venv && .venv/bin/pip install -e ".[torch,tf]"
    .venv/bin/jupyter lab assignments/

Each notebook has teaching text, stubs to fill in, `check("<step>")` cells with public checks,
`hint("<step>")` for graded hints, and practice mode (`from course_utils import practice;
practice()`) for fresh random instances with expected-vs-observed explanations. The tests used
for grading are not in this kit.
"""


def write_learner_bundle(out: Path, root: Path | None = None) -> list[Path]:
    """Write the learner kit to ``out`` (replacing it); returns the files written."""
    root = root or repo_root()
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(
        root / "course_utils",
        out / "course_utils",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    (out / "assignments").mkdir(parents=True)
    for assignment in ASSIGNMENTS.values():
        shutil.copy(root / assignment.notebook, out / "assignments")
    version = _version(root)
    (out / "pyproject.toml").write_text(_PYPROJECT.format(version=version), encoding="utf-8")
    (out / "README.md").write_text(_README, encoding="utf-8")
    return sorted(p for p in out.rglob("*") if p.is_file())


def _version(root: Path) -> str:
    for line in (root / "pyproject.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    return "0"
