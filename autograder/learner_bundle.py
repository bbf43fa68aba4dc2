"""What learners get: the student notebooks and ``course_utils`` (data, checks, hints, practice),
as an installable folder, and nothing of the grader.

``dlcourse build --learner DIR`` writes it. The hidden tests, the reference solutions, the
mutants and the grader's own code stay with the instructor: the bundle is made from an allow
list, and ``tests/autograder/test_learner_bundle.py`` checks that no file of it names or quotes
them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from autograder.assignments import ASSIGNMENTS
from autograder.build import repo_root

TORCH = "torch==2.13.0"
TENSORFLOW = "2.21.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
APPLE_SILICON = 'sys_platform == "darwin" and platform_machine == "arm64"'
NOT_APPLE_SILICON = 'sys_platform != "darwin" or platform_machine != "arm64"'  # PEP 508: no `not`
"""PyPI has no ``tensorflow-cpu`` wheel for macOS arm64: ``tensorflow`` there, -cpu elsewhere."""

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
torch = ["{torch}", "tensorboardX>=2.6"]
tf = [
    'tensorflow=={tf}; {apple}',
    'tensorflow-cpu=={tf}; {not_apple}',
]

[project.scripts]
dlcourse-check = "course_utils.cli:main"

[tool.setuptools.packages.find]
include = ["course_utils*"]

[tool.setuptools.package-data]
course_utils = ["datasets/*.npz"]

[tool.setuptools.data-files]
# JupyterLab's default settings of this environment: no "Jupyter news?" pop-up over outputs
"share/jupyter/lab/settings" = ["lab-settings/overrides.json"]
"""

LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}
}
"""Installed as ``<venv>/share/jupyter/lab/settings/overrides.json``: JupyterLab otherwise opens
with a "Would you like to receive official Jupyter news?" notification over the first outputs
and asks PyPI for updates."""

_README = """\
# dlcourse: learner kit

{notebooks}

Each has teaching text, stubs to fill in, `check("<step>")` cells with public checks,
`hint("<step>")` for graded hints, and practice mode (`from course_utils import practice;
practice()`) for fresh random instances with expected-vs-observed explanations. The tests used
for grading are not in this kit.

## Install (Python >= 3.11)

Expect a download of about 1 GB (PyTorch CPU ~200 MB, TensorFlow ~300-600 MB, JupyterLab and the
rest ~100 MB): 5-15 minutes on a home connection, about 3 GB on disk once installed.

Linux (the CPU build of PyTorch: from PyPI, `torch` pulls several GB of CUDA libraries):

    python3 -m venv .venv
    source .venv/bin/activate
    pip install --upgrade pip
    pip install {torch} --index-url {index}
    pip install ".[torch,tf]"

macOS (Apple silicon; `pip` picks `tensorflow` there, `tensorflow-cpu` elsewhere):

    python3 -m venv .venv
    source .venv/bin/activate
    pip install --upgrade pip
    pip install ".[torch,tf]"

Windows (PowerShell; in cmd.exe activate with `.venv\\Scripts\\activate.bat`):

    py -3.11 -m venv .venv
    .venv\\Scripts\\Activate.ps1
    python -m pip install --upgrade pip
    pip install ".[torch,tf]"

Intel Macs (macOS x86_64): PyTorch {torch_version} and TensorFlow {tf} publish no wheels for
them (the last ones are PyTorch 2.2 and TensorFlow 2.16), so this kit does not install there;
use Linux, Windows, a Linux virtual machine or container, or a hosted notebook instead.

Only one framework? {one_framework}

## Work in JupyterLab

With the virtual environment active:

    jupyter lab assignments/

Open a notebook, fill in a step, and run its `check("<step>")` cell.

## Run the checks from a terminal

For a notebook, or for a `.py` file written in your own editor (name it like the notebook, e.g.
`01_my_pipeline.py`, or pass `--assignment {names}`):

    dlcourse-check assignments/01_pytorch_pipeline.ipynb          # every step
    dlcourse-check assignments/01_pytorch_pipeline.ipynb train    # one step
    python -m course_utils my_solution.py data --assignment tf2   # the same, without the script

It runs your definitions (imports, functions, classes) and the same public checks as the
notebook; the exit status is 0 when every check passes.
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
    pyproject = _PYPROJECT.format(
        version=version,
        torch=TORCH,
        tf=TENSORFLOW,
        apple=APPLE_SILICON,
        not_apple=NOT_APPLE_SILICON,
    )
    (out / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (out / "lab-settings").mkdir()
    overrides = json.dumps(LAB_OVERRIDES, indent=2) + "\n"
    (out / "lab-settings" / "overrides.json").write_text(overrides, encoding="utf-8")
    readme = _README.format(
        notebooks="\n".join(f"- `{a.notebook}`: {a.title}" for a in ASSIGNMENTS.values()),
        one_framework=_one_framework(),
        names="|".join(ASSIGNMENTS),
        torch=TORCH,
        torch_version=TORCH.split("==")[1],
        tf=TENSORFLOW,
        index=TORCH_CPU_INDEX,
    )
    (out / "README.md").write_text(readme, encoding="utf-8")
    return sorted(p for p in out.rglob("*") if p.is_file())


def _one_framework() -> str:
    """Which notebooks each framework's extra is enough for, from the assignments' records."""

    def numbers(names: list[str]) -> str:
        return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]

    records = list(ASSIGNMENTS.values())
    both = [a.number for a in records if len(a.frameworks) > 1]
    torch = [a.number for a in records if a.frameworks == ("torch",)]
    tf = [a.number for a in records if a.frameworks == ("tensorflow",)]
    halves = f" (and the PyTorch half of {numbers(both)})" if both else ""
    return (
        f'`pip install ".[torch]"` for notebook{"s" * (len(torch) > 1)} {numbers(torch)}{halves},'
        f'\n`pip install ".[tf]"` for {numbers(tf)}.'
    )


def _version(root: Path) -> str:
    for line in (root / "pyproject.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    return "0"
