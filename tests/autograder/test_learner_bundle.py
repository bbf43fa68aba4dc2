"""The learner kit: notebooks and course_utils only; nothing of the hidden tests, solutions or
grader; and it works on its own (checks, hints, practice) with the grader unimportable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.cli import main
from autograder.isolation import hidden_files
from tests.conftest import ROOT
from tests.test_notebooks import _PROBE, _text

pytestmark = pytest.mark.torch

SECRETS = (
    "dlcourse-hidden-2026-11",  # the seed salt of the hidden tests
    "BEGIN SOLUTION",  # solution markers (the source of truth)
    "def verdict",
    "import autograder",
    "from autograder",
)


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    out = tmp_path_factory.mktemp("kit") / "learner"
    assert main(["build", "--learner", str(out)]) == 0
    return out


def test_the_kit_holds_notebooks_and_course_utils_only(kit):
    """Is every file a student notebook, part of course_utils, or the kit's own three files?"""
    files = [p.relative_to(kit).as_posix() for p in kit.rglob("*") if p.is_file()]
    assert sorted(p for p in files if p.startswith("assignments/")) == [
        "assignments/01_pytorch_pipeline.ipynb",
        "assignments/02_tf2_pipeline.ipynb",
        "assignments/03_tf1_graph_pipeline.ipynb",
        "assignments/04_bridge.ipynb",
    ]
    others = [p for p in files if not p.startswith(("assignments/", "course_utils/"))]
    assert sorted(others) == ["README.md", "lab-settings/overrides.json", "pyproject.toml"]
    assert not any(part in p for p in files for part in ("autograder", "hidden", "solution"))


def test_no_file_of_the_kit_quotes_the_hidden_tests_or_solutions(kit):
    """Does no file contain the seed salt, solution markers, verdict code or grader imports, nor
    the text of any grader-only file?"""
    snippets = [Path(f).read_text(encoding="utf-8")[200:400] for f in hidden_files()]
    snippets = [s for s in snippets if len(s) > 50]
    assert snippets
    for path in kit.rglob("*"):
        if not path.is_file() or path.suffix == ".npz":
            continue
        text = path.read_text(encoding="utf-8")
        for secret in SECRETS:
            assert secret not in text, f"{path.name} contains {secret!r}"
        for snippet in snippets:
            assert snippet not in text


def test_the_kit_works_without_the_grader(kit):
    """With autograder unimportable, do checks, hints and practice mode run from the kit?"""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(kit)!r})\n"
        "sys.modules['autograder'] = None\n"
        "import course_utils\n"
        f"assert course_utils.__file__.startswith({str(kit)!r}), course_utils.__file__\n"
        "from course_utils import practice\n"
        "from course_utils.checks import Checker\n"
        "from course_utils.hints import Hints\n"
        "practice()\n"
        "def report(history, train, test):\n"
        "    return {'epochs': len(history), 'train_loss': train['loss'],\n"
        "            'train_accuracy': train['accuracy'], 'test_loss': test['loss'],\n"
        "            'test_accuracy': test['accuracy'],\n"
        "            'generalization_gap': train['accuracy'] - test['accuracy']}\n"
        "r = Checker('pytorch', globals())('report')\n"
        "print(r.results[0].status, [x.status for x in r.results if 'summary' in x.name])\n"
        "print(Hints('pytorch')('data')[:20])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=kit)
    assert done.returncode == 0, done.stderr[-2000:]
    first, second = done.stdout.splitlines()[:2]
    assert first.split(" ", 1)[1] == "['passed']", done.stdout
    assert second


def test_the_kit_pyproject_picks_tensorflow_by_platform(kit):
    """Does the kit ask for tensorflow on Apple silicon and tensorflow-cpu elsewhere (PyPI has no
    tensorflow-cpu wheel for macOS arm64), and name a terminal check command of its own?"""
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((kit / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    tf = [Requirement(r) for r in project["optional-dependencies"]["tf"]]
    envs = {
        "mac-arm64": {"sys_platform": "darwin", "platform_machine": "arm64"},
        "mac-x86_64": {"sys_platform": "darwin", "platform_machine": "x86_64"},
        "windows": {"sys_platform": "win32", "platform_machine": "AMD64"},
        "linux": {"sys_platform": "linux", "platform_machine": "x86_64"},
    }
    picked = {
        k: [r.name for r in tf if r.marker and r.marker.evaluate(env)] for k, env in envs.items()
    }
    assert picked == {
        "mac-arm64": ["tensorflow"],
        "mac-x86_64": ["tensorflow-cpu"],
        "windows": ["tensorflow-cpu"],
        "linux": ["tensorflow-cpu"],
    }
    assert project["scripts"]["dlcourse-check"] == "course_utils.cli:main"
    assert project["requires-python"] == ">=3.11"


def test_the_kit_readme_gives_commands_the_kit_has(kit):
    """Does the README state Python >= 3.11, the CPU index for torch on Linux, Windows venv
    activation, the download size, JupyterLab and the terminal checks, and no `make lab`?"""
    readme = (kit / "README.md").read_text(encoding="utf-8")
    for needed in (
        "Python >= 3.11",
        "--index-url https://download.pytorch.org/whl/cpu",
        ".venv\\Scripts\\Activate.ps1",
        "source .venv/bin/activate",
        "download of about",
        "jupyter lab assignments/",
        "dlcourse-check assignments/01_pytorch_pipeline.ipynb",
    ):
        assert needed in readme, needed
    assert "make " not in readme


def test_the_kit_terminal_check_gives_the_notebook_verdict(tmp_path):
    """Does `python -m course_utils FILE STEP` pass the reference's step and fail a stub's, with
    the exit status saying so?"""

    def run(path):
        return subprocess.run(
            [sys.executable, "-m", "course_utils", str(path), "metric"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        )

    good = run(ROOT / "examples" / "pytorch" / "reference.ipynb")
    stub = run(ROOT / "assignments" / "01_pytorch_pipeline.ipynb")
    assert good.returncode == 0 and "all checks pass" in good.stdout, good.stdout + good.stderr
    assert stub.returncode == 1 and "not implemented" in stub.stdout.lower(), stub.stdout


@pytest.mark.slow
def test_the_installed_kit_runs_the_solved_pytorch_notebook(kit, tmp_path):
    """Installed as its README says (``pip install ".[torch]"``) into a fresh venv with nothing
    of this checkout on its path, does the kit run the solved PyTorch notebook through nbclient
    to passing checks, and does it set JupyterLab's defaults (no news pop-up over outputs)?"""
    import json
    import os

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DLCOURSE_PRACTICE")}
    env |= {"PIP_RETRIES": "0", "PIP_DEFAULT_TIMEOUT": "10"}
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"  # the kernel's `python` is the venv's
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", f"{kit}[torch]"],
        env=env, capture_output=True, text=True, timeout=1500,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    overrides = venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    settings = json.loads(overrides.read_text(encoding="utf-8"))
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"

    work = tmp_path / "work"
    work.mkdir()
    notebook = work / "solved.ipynb"
    solved = nbformat.read(ROOT / "examples" / "pytorch" / "reference.ipynb", 4)
    solved.cells.append(nbformat.v4.new_code_cell(_PROBE))  # what did the kernel import?
    nbformat.write(solved, notebook)
    runner = (
        "import nbformat, sys\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read(sys.argv[1], 4)\n"
        "NotebookClient(nb, timeout=300, kernel_name='python3').execute()\n"
        "nbformat.write(nb, sys.argv[1])\n"
    )
    run = subprocess.run(
        [str(venv / "bin" / "python"), "-c", runner, str(notebook)],
        cwd=work, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    cells = nbformat.read(notebook, 4).cells
    checks = [_text(c) for c in cells if c.source.startswith("check(")]
    assert len(checks) == 7 and all("all checks pass" in c for c in checks), checks
    probe = _text(cells[-1])
    assert probe.startswith("GRADER MODULES []"), probe
