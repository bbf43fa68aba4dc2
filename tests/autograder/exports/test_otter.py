"""Do master notebooks exported with ``dlcourse build --otter`` go through the real ``otter
assign`` and ``otter run`` with the same points per step as ``dlcourse grade``?"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.assignments import ASSIGNMENTS
from autograder.exports.layout import fill_code_cells, layout
from autograder.exports.otter import SHARES, master, write_masters
from tests.autograder.exports.helpers import SUBMISSIONS, our_steps, tool, variant_code

OTTER = SUBMISSIONS  # otter run costs ~10-20 s a submission


def test_every_hidden_test_is_two_half_cases_summing_to_the_step_points():
    """Do the question's cases add up to the step's points, so otter totals equal ours?"""
    plan = layout("pytorch")
    nb = master(plan)
    questions = [
        c.source for c in nb.cells if c.cell_type == "raw" and "BEGIN QUESTION" in c.source
    ]
    assert len(questions) == len({t.step for t in plan.tests})
    cases = [c.source for c in nb.cells if c.cell_type == "code" and "TEST CONFIG" in c.source]
    assert len(cases) == len(plan.tests) * len(SHARES)
    points = [float(c.split("points: ")[1].split("\n")[0]) for c in cases]
    assert sum(points) == sum(t.points for t in plan.tests)
    assert all("hidden: true" in c for c in cases)


@pytest.fixture(scope="module")
def assign(tmp_path_factory):
    """``assign(name)``: ``otter assign`` run for real on the exported master notebook (once)."""
    done: dict[str, tuple[str, Path]] = {}

    def run(assignment: str) -> tuple[str, Path]:
        if assignment not in done:
            root = tmp_path_factory.mktemp(f"otter-{assignment}")
            (path,) = write_masters(root, [assignment])
            tool("otter", "assign", path.name, "dist", cwd=path.parent)
            done[assignment] = (assignment, path.parent / "dist")
        return done[assignment]

    return run


@pytest.fixture(params=list(ASSIGNMENTS))
def assigned(request, assign):
    return assign(request.param)


@pytest.fixture(params=sorted(SUBMISSIONS))
def assigned_for_grading(request, assign):
    """The assignments graded through the real ``otter run`` (each notebook costs 20-40 s)."""
    return assign(request.param)


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
def test_student_notebook_has_stubs_and_no_hidden_tests(assigned):
    """Does the student version hold our stubs, and neither solutions nor hidden tests?"""
    assignment, dist = assigned
    text = (dist / "student" / layout(assignment).notebook_name).read_text(encoding="utf-8")
    assert "write your code here" in text
    for secret in ("require(", "BEGIN SOLUTION", "BEGIN PROMPT", "autograder"):
        assert secret not in text, secret
    assert len(list((dist / "autograder").glob("*.zip"))) == 1


def _otter_steps(dist: Path, submission: Path, out: Path) -> dict[str, float]:
    (zip_path,) = (dist / "autograder").glob("*.zip")
    out.mkdir()
    tool("otter", "run", "-a", str(zip_path), "-o", str(out), str(submission), cwd=out)
    tests = json.loads((out / "results.json").read_text(encoding="utf-8"))["tests"]
    return {t["name"]: t["score"] for t in tests if t.get("max_score")}


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
def test_otter_run_gives_the_same_points_per_step_as_dlcourse(assigned_for_grading, tmp_path):
    """Does ``otter run`` score the reference, the stub, an alternative and mutants exactly like
    ``dlcourse grade`` scores the same notebooks (partial credit of a check included)?"""
    assignment, dist = assigned_for_grading
    student = dist / "student" / layout(assignment).notebook_name
    files = []
    for name in OTTER[assignment]:
        nb = nbformat.read(student, 4)
        if name != "stub":  # the stub is otter's student notebook as it is
            fill_code_cells(nb, variant_code(assignment, name))
        files.append(tmp_path / f"{name}.ipynb")
        nbformat.write(nb, files[-1])
    ours = dict(zip(OTTER[assignment], our_steps(files, assignment)))
    plan = layout(assignment)
    full = {t.step: plan.step_points(t.step) for t in plan.tests}
    for name, path in zip(OTTER[assignment], files):
        theirs = _otter_steps(dist, path, tmp_path / f"out-{name}")
        assert theirs == ours[name], name
    assert ours["reference"] == full
    assert set(ours["stub"].values()) == {0.0}
    if assignment == "pytorch":  # half of one check: otter's half-credit case passes alone
        assert 0 < full["download"] - ours["download_not_atomic"]["download"] < full["download"]


def test_hidden_tests_give_no_partial_credit_otter_cases_cannot_express():
    """Otter cases pass or fail, so the export is exact only for fractions in SHARES: does every
    ``failed(message, fraction)`` in the hidden tests use a literal fraction from SHARES?"""
    import ast

    from autograder.build import repo_root

    found = []
    for path in sorted((repo_root() / "autograder" / "hidden").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "failed":
                args = node.args[1:] + [k.value for k in node.keywords if k.arg == "fraction"]
                for arg in args:
                    value = arg.value if isinstance(arg, ast.Constant) else None
                    found.append((path.name, node.lineno, value))
    assert found, "no partial credit found: the scan is looking in the wrong place"
    wrong = [f for f in found if f[2] not in SHARES]
    assert not wrong, f"fractions otter cases cannot express: {wrong}"


def _rezipped(dist: Path, tmp_path: Path, name: str, plugin: dict | None) -> Path:
    """The same otter autograder zip with our plugin's configuration ``plugin`` (None: without
    our plugin, to show that an attack is real)."""
    (zip_path,) = (dist / "autograder").glob("*.zip")
    other = tmp_path / name / "autograder"
    other.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(other / "other.zip", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "otter_config.json":
                config = json.loads(data)
                ((key, ours),) = config.pop("plugins")[0].items()
                if plugin is not None:
                    config["plugins"] = [{key: {**ours, **plugin}}]
                data = json.dumps(config).encode()
            target.writestr(item, data)
    return other.parent


def _without_plugin(dist: Path, tmp_path: Path) -> Path:
    return _rezipped(dist, tmp_path, "bare", None)


def _running_learner_code(dist: Path, tmp_path: Path) -> Path:
    """Our plugin configured to let otter's kernel run the learner's code (for its outputs)."""
    return _rezipped(dist, tmp_path, "learner-code", {"run_learner_code": True})


@pytest.mark.slow
@pytest.mark.torch
def test_learner_code_cannot_forge_the_test_cases(tmp_path, assign):
    """Stubs plus a fake of the module the cases call (every case "passes" in the kernel): the
    same autograder without our plugin gives 56/56, so the attack is real; with the plugin
    letting the kernel run the learner's code, which then fakes the cases, the plugin rescores
    them outside the kernel: 0 like ``dlcourse grade``."""
    _, dist = assign("pytorch")
    nb = nbformat.read(dist / "student" / layout("pytorch").notebook_name, 4)
    forger = tmp_path / "forger.ipynb"
    nbformat.write(fill_code_cells(nb, variant_code("pytorch", "forger")), forger)
    with_plugin = _running_learner_code(dist, tmp_path)
    assert set(_otter_steps(with_plugin, forger, tmp_path / "with-plugin").values()) == {0.0}
    forged = _otter_steps(_without_plugin(dist, tmp_path), forger, tmp_path / "without-plugin")
    assert sum(forged.values()) == 56.0


# Kernel code aimed at otter's own process: the results object the kernel pickles is rewritten
# (every case of every question passes, bodies emptied, so nothing looks like one of ours) and
# carries an object that, unpickled, would run a command in otter's process. It also leaves a
# file behind whenever the kernel runs it.
PICKLER = """
import pickle as _pickle
open("{ran}", "w").close()
_real_dump = _pickle.dump
class _Boom:
    def __reduce__(self):
        import os
        return (os.system, ("touch {marker}",))
def _forged_dump(results, f, *args, **kwargs):
    for _question in getattr(results, "results", {{}}).values():
        for _result in _question.test_case_results:
            _result.test_case.body = ""
            _result.passed = True
        _question._score = 99
    results.boom = _Boom()
    _real_dump(results, f, *args, **kwargs)
_pickle.dump = _forged_dump
"""


@pytest.mark.slow
@pytest.mark.torch
def test_otters_kernel_runs_no_learner_code_and_its_results_run_nothing(tmp_path, assign):
    """Stubs plus kernel code that forges the pickled results (every case passed, bodies emptied,
    a question's score set to 99) and plants an object whose unpickling runs a command. By
    default otter's kernel never runs it (the stub's 0 on every step). Configured to run the
    learner's code, the kernel does, and still: the stub's 0, and the command never ran in
    otter's process. Without our plugin it does: the attack is real."""
    _, dist = assign("pytorch")
    nb = nbformat.read(dist / "student" / layout("pytorch").notebook_name, 4)
    code = variant_code("pytorch", "stub")
    first = next(i for i, c in enumerate(variant_code("pytorch", "reference")) if "BEGIN" in c)
    ran, marker = tmp_path / "ran-in-kernel", tmp_path / "ran-in-otter"
    code[first] += "\n" + PICKLER.format(marker=marker, ran=ran)
    forger = tmp_path / "pickler.ipynb"
    nbformat.write(fill_code_cells(nb, code), forger)
    steps = _otter_steps(dist, forger, tmp_path / "out")
    assert steps and set(steps.values()) == {0.0}
    assert set(steps) == {t.step for t in layout("pytorch").tests}
    assert not ran.exists(), "otter's kernel ran learner code outside dlcourse's sandbox"
    steps = _otter_steps(_running_learner_code(dist, tmp_path), forger, tmp_path / "out-code")
    assert ran.exists(), "configured to run learner code, the kernel did not: nothing tested"
    assert set(steps.values()) == {0.0}
    assert not marker.exists(), "unpickling the kernel's results ran code in otter's process"
    _otter_steps(_without_plugin(dist, tmp_path), forger, tmp_path / "without-plugin")
    assert marker.exists(), "without our plugin the planted object never ran: nothing tested"


def _declared_pip_lines(zip_path: Path, into: Path) -> list[str]:
    """The pip section of the zip's environment.yml (what otter's image installs), with the zip
    unpacked into ``into`` (the paths in it are relative to there)."""
    import yaml

    with zipfile.ZipFile(zip_path) as z:
        z.extractall(into)
    env = yaml.safe_load((into / "environment.yml").read_text(encoding="utf-8"))
    assert "python=3.11" in env["dependencies"]
    (pip,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    return pip


@pytest.mark.slow
@pytest.mark.torch
def test_the_zip_declares_everything_its_grading_needs(assign, tmp_path):
    """A fresh venv built only from what the autograder zip's environment.yml declares (otter,
    the framework as CPU wheels, this package's wheel from the zip) runs ``otter run`` on the
    solved notebook to full marks: what ``otter grade`` in otter's image and otter-on-Gradescope
    install is enough. Nothing of this checkout is on the venv's path."""
    import subprocess
    import sys

    assignment, dist = assign("pytorch")
    (zip_path,) = (dist / "autograder").glob("*.zip")
    unpacked = tmp_path / "zip"
    pip_lines = _declared_pip_lines(zip_path, unpacked)
    assert any(line.startswith("torch==") for line in pip_lines)
    assert any(line.startswith("--extra-index-url") and "/whl/cpu" in line for line in pip_lines)
    (wheel,) = [line for line in pip_lines if line.endswith(".whl")]
    assert (unpacked / wheel).is_file()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    args = [a for line in pip_lines for a in line.split(" ", 1 if line.startswith("--") else 0)]
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    env |= {"PIP_RETRIES": "0", "PIP_DEFAULT_TIMEOUT": "10"}  # no route to the CPU index here
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", *args],
        cwd=unpacked, env=env, check=True, capture_output=True, timeout=1500,
    )  # fmt: skip
    student = dist / "student" / layout(assignment).notebook_name
    nb = nbformat.read(student, 4)
    fill_code_cells(nb, variant_code(assignment, "reference"))
    submission = tmp_path / "reference.ipynb"
    nbformat.write(nb, submission)
    out = tmp_path / "out"
    out.mkdir()
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"
    proc = subprocess.run(
        [str(venv / "bin" / "otter"), "run", "-a", str(zip_path), "-o", str(out), str(submission)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    tests = json.loads((out / "results.json").read_text(encoding="utf-8"))["tests"]
    plan = layout(assignment)
    full = {t.step: plan.step_points(t.step) for t in plan.tests}
    assert {t["name"]: t["score"] for t in tests if t.get("max_score")} == full
