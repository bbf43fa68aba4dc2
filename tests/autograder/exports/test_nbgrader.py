"""Does a course exported with ``dlcourse build --nbgrader`` grade in the real nbgrader with the
same points per step as ``dlcourse grade``, TensorFlow's stderr logs notwithstanding?"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from autograder.assignments import ASSIGNMENTS
from autograder.exports import TEST_CELL_PREFIX
from autograder.exports.layout import fill_code_cells, layout
from autograder.exports.nbgrader import write_course
from autograder.exports.nbgrader_hooks import TrustedScores, is_test_cell, trusted_outputs
from tests.autograder.exports.helpers import EXTRAS, SUBMISSIONS, our_steps, tool, variant_code


def _source_notebook(tmp_path: Path, assignment: str) -> nbformat.NotebookNode:
    write_course(tmp_path, [assignment])
    return nbformat.read(tmp_path / "source" / assignment / layout(assignment).notebook_name, 4)


@pytest.mark.parametrize("assignment", list(ASSIGNMENTS))
def test_source_has_schema_3_metadata_and_a_test_cell_per_step(tmp_path, assignment):
    """Is every graded step one locked test cell worth its points, and is learners' code in
    solution cells?"""
    plan = layout(assignment)
    nb = _source_notebook(tmp_path, assignment)
    nbformat.validate(nb)
    metas = [c.metadata.get("nbgrader") for c in nb.cells]
    assert all(m["schema_version"] == 3 for m in metas if m)
    tests = {m["grade_id"]: m for m in metas if m and m["grade"]}
    steps = {t.step for t in plan.tests}
    assert set(tests) == {f"{TEST_CELL_PREFIX}{s}" for s in steps}
    for step in steps:
        meta = tests[f"{TEST_CELL_PREFIX}{step}"]
        assert meta["locked"] and not meta["solution"]
        assert meta["points"] == plan.step_points(step)
    assert sum(m["points"] for m in tests.values()) == sum(t.points for t in plan.tests)
    solutions = [c for c in nb.cells if (c.metadata.get("nbgrader") or {}).get("solution")]
    assert solutions and all("### BEGIN SOLUTION" in c.source for c in solutions)
    ids = [m["grade_id"] for m in metas if m]
    assert len(ids) == len(set(ids))


def test_trusted_outputs_are_the_feedback_then_the_points():
    """Does a hidden-test cell get the record's feedback as stdout and the step's points as its
    value (nbgrader's partial credit), whatever the kernel printed?"""
    record = {
        "tests": [
            {"name": "a", "step": "data", "score": 2.0, "max_score": 2, "status": "passed"},
            {
                "name": "b",
                "step": "data",
                "score": 0.5,
                "max_score": 1,
                "status": "failed",
                "message": "statistics from the test split",
            },
            {
                "name": "c",
                "step": "model",
                "score": 0.0,
                "max_score": 3,
                "status": "failed",
                "message": "other step",
            },
        ]
    }
    outputs = trusted_outputs(record, "data")
    assert [o.output_type for o in outputs] == ["stream", "execute_result"]
    assert outputs[0].name == "stdout" and "FAIL b: 0.5/1 - statistics from" in outputs[0].text
    assert "other step" not in outputs[0].text
    assert outputs[1].data["text/plain"] == "2.5"
    record["notes"] = ["cell 3 raised NameError while loading"]
    assert "cell 3 raised" not in trusted_outputs(record, "data")[0].text
    assert trusted_outputs(record, "data", first=True)[0].text.startswith("note: cell 3 raised")
    long = "expected the mean over samples; observed the mean of batch means " * 4
    record["tests"][1]["message"] = long.strip()
    text = trusted_outputs(record, "data")[0].text
    assert max(len(line) for line in text.splitlines()) <= 100, text  # nbgrader's page cuts
    assert " ".join(text.split()).endswith(" ".join(long.split())), text  # nothing lost


def test_notebooks_of_other_courses_are_left_alone():
    """A notebook that is not one of the course's assignments keeps its outputs."""
    cell = nbformat.v4.new_code_cell("x")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"{TEST_CELL_PREFIX}data"}
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="w\n")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    resources = {"nbgrader": {"notebook": "someone_elses", "student": "s", "assignment": "a"}}
    nb, _ = TrustedScores()(nb, resources)  # as nbconvert calls it
    assert nb.cells[0].outputs[0].text == "w\n"


def _delete_and_edit_locked_cells(nb: nbformat.NotebookNode) -> None:
    """What a learner may do to read-only cells: delete the hidden-test cells of two steps,
    edit a third and a step's check cell."""
    tests = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if is_test_cell(c)}
    deleted = {f"{TEST_CELL_PREFIX}data", f"{TEST_CELL_PREFIX}train"}
    nb.cells = [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in deleted
    ]
    tests[f"{TEST_CELL_PREFIX}model"].source = "print('full marks please')"
    check = next(c for c in nb.cells if c.source.startswith('check("model")'))
    check.source = "# no need to check"


TAMPERED = {"deleter": ("reference", _delete_and_edit_locked_cells)}


def _autograded_course(root: Path, students: dict[str, list[str]], config: str = "") -> Path:
    """An nbgrader course under ``root`` (``config`` added to its nbgrader_config.py): the
    assignments of ``students`` released, submitted by them and autograded for real (each
    notebook costs 20-40 s there); nbgrader's log in ``autograde-<assignment>.log``."""
    write_course(root)
    if config:
        with (root / "nbgrader_config.py").open("a", encoding="utf-8") as f:
            f.write(config + "\n")
    for assignment, names in students.items():
        tool("nbgrader", "generate_assignment", assignment, "--force", cwd=root)
        released = root / "release" / assignment / layout(assignment).notebook_name
        for name in names:
            nb = nbformat.read(released, 4)
            base, tamper = TAMPERED.get(name, (name, None))
            if base != "stub":  # the stub is the released notebook as it is
                fill_code_cells(nb, variant_code(assignment, base))
            if tamper is not None:
                tamper(nb)
            target = root / "submitted" / name / assignment / released.name
            target.parent.mkdir(parents=True)
            nbformat.write(nb, target)
        done = tool("nbgrader", "autograde", assignment, "--force", cwd=root)
        (root / f"autograde-{assignment}.log").write_text(done.stdout + done.stderr)
    return root


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The exported course as it is: ``SUBMISSIONS``, a walker and a rewriter."""
    students = {a: list(names) for a, names in SUBMISSIONS.items()}
    students["pytorch"] += ["walker", "rewriter", *TAMPERED]
    return _autograded_course(tmp_path_factory.mktemp("nbgrader-course"), students), students


@pytest.fixture(scope="module")
def course_running_learner_code(tmp_path_factory):
    """The course configured to let nbgrader's kernel run learner code (for its outputs), where
    a noisy reference, a forger and a rewriter then run."""
    root = tmp_path_factory.mktemp("nbgrader-learner-code")
    config = "c.GradeAsSubmitted.run_learner_code = True"
    return _autograded_course(root, {"pytorch": ["noisy", "forger", "rewriter"]}, config)


def _nbgrader_steps(root: Path, assignment: str, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    notebook = Path(layout(assignment).notebook_name).stem
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        nb = gradebook.find_submission_notebook(notebook, assignment, student)
        return {g.name.removeprefix(TEST_CELL_PREFIX): g.score for g in nb.grades}


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
@pytest.mark.parametrize("assignment", sorted(SUBMISSIONS))
def test_nbgrader_gives_the_same_points_per_step_as_dlcourse(course, assignment):
    """Do ``nbgrader generate_assignment`` + ``autograde`` score the reference, the stub, a
    correct alternative and each mutant exactly like ``dlcourse grade`` scores the same files?"""
    root, students = course
    name = layout(assignment).notebook_name
    honest = [s for s in students[assignment] if s not in (*EXTRAS, *TAMPERED)]
    files = [root / "submitted" / s / assignment / name for s in honest]
    ours_by_student = dict(zip(honest, our_steps(files, assignment)))
    plan = layout(assignment)
    full = {t.step: plan.step_points(t.step) for t in plan.tests}
    for student in honest:
        theirs = _nbgrader_steps(root, assignment, student)
        assert theirs == ours_by_student[student], student
    assert _nbgrader_steps(root, assignment, "reference") == full
    assert set(_nbgrader_steps(root, assignment, "stub").values()) == {0.0}
    mutants = [s for s in honest if s not in ("reference", "stub")]
    for student in mutants:
        total = sum(_nbgrader_steps(root, assignment, student).values())
        assert (total == sum(full.values())) == student.startswith("alt_"), student


def _graded_notebook(root: Path, student: str) -> nbformat.NotebookNode:
    name = layout("pytorch").notebook_name
    return nbformat.read(root / "autograded" / student / "pytorch" / name, 4)


def _ours(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
def test_nbgraders_kernel_runs_no_learner_code_by_default(course):
    """Stubs plus a cell that, run in nbgrader's kernel, would overwrite the learner's own file
    under ``submitted/``: the file is as submitted (the kernel never ran it), the step scores are
    the stub's 0, and the graded notebook shows the learner's code as submitted, without
    outputs, and the hidden-test cells the record's feedback."""
    root, _ = course
    name = layout("pytorch").notebook_name
    submitted = nbformat.read(root / "submitted" / "rewriter" / "pytorch" / name, 4)
    assert any("_shutil.copy" in c.source for c in submitted.cells), "the attack was not submitted"
    assert set(_nbgrader_steps(root, "pytorch", "rewriter").values()) == {0.0}
    graded = _graded_notebook(root, "rewriter")
    learner = [c for c in graded.cells if c.cell_type == "code" and c not in _ours(graded)]
    as_submitted = [
        c for c in submitted.cells if c.cell_type == "code" and c not in _ours(submitted)
    ]
    assert [c.source for c in learner] == [c.source for c in as_submitted]
    assert all(not c.outputs for c in learner)
    assert all(c.outputs[-1].data["text/plain"] == "0.0" for c in _ours(graded))
    assert not any("dlcourse_set_aside" in c.metadata for c in graded.cells)


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
def test_a_walker_under_nbgrader_finds_nothing_and_shows_nothing(course):
    """The walker of tests/security (every copy of the grader's hidden side, classmates' files)
    graded by the exported course: it ran in dlcourse's sandbox (its report is in the first
    hidden-test cell's notes), found nothing, and no marker of the hidden tests is in any output
    of the notebook nbgrader keeps."""
    from tests.security.test_worker_view import markers

    root, _ = course
    graded = _graded_notebook(root, "walker")
    text = json.dumps([c.get("outputs", []) for c in graded.cells])  # its source lists them
    report = _ours(graded)[0].outputs[0].text
    assert "WALKED" in report and "FOUND 0:" in report, report
    assert not [m for m in markers() if m in text]
    assert set(_nbgrader_steps(root, "pytorch", "walker").values()) == {0.0}


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
def test_stderr_noise_from_other_threads_does_not_cost_points(course_running_learner_code):
    """Configured to run learner code: a kernel thread writes to stderr every 5 ms during the
    whole run, as TensorFlow's logs can: the hidden-test cells still get full points, and carry
    no stderr output."""
    root = course_running_learner_code
    assert sum(_nbgrader_steps(root, "pytorch", "noisy").values()) == 56.0
    nb = _graded_notebook(root, "noisy")

    def streams(cells):
        return [o.name for c in cells if c.cell_type == "code" for o in c.outputs if "name" in o]

    ours = _ours(nb)
    others = [c for c in nb.cells if c not in ours]
    assert "stderr" in streams(others), "the noise never reached the notebook: nothing tested"
    assert "stderr" not in streams(ours)
    feedback = json.dumps([c.outputs for c in ours])
    assert "ok   download_fetches_and_verifies" in feedback


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
def test_learner_code_cannot_forge_the_test_cells(course_running_learner_code):
    """Configured to run learner code: stubs plus a fake of the module the test cells import,
    claiming full points: in the kernel every test cell would show the step's maximum; nbgrader
    still records 0, because the cells are scored outside the kernel from the submitted file."""
    root = course_running_learner_code
    assert set(_nbgrader_steps(root, "pytorch", "forger").values()) == {0.0}
    assert all(
        c.outputs[-1].data["text/plain"] == "0.0" for c in _ours(_graded_notebook(root, "forger"))
    )


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
def test_learner_code_cannot_change_what_is_graded(course_running_learner_code):
    """Configured to run learner code: stubs plus a cell that, in nbgrader's kernel, overwrites
    the learner's own file under ``submitted/`` with the instructor's solved source notebook: the
    file was overwritten (the attack ran), and nbgrader still records the stub's 0, graded before
    Execute ran anything."""
    root = course_running_learner_code
    name = layout("pytorch").notebook_name
    overwritten = root / "submitted" / "rewriter" / "pytorch" / name
    assert overwritten.read_bytes() == (root / "source" / "pytorch" / name).read_bytes()
    assert set(_nbgrader_steps(root, "pytorch", "rewriter").values()) == {0.0}


def test_the_course_config_times_cells_out_in_minutes_and_copies_no_tensorboard_logs(tmp_path):
    """The generated nbgrader_config.py: a per-cell limit that suits these notebooks (not half an
    hour), and a learner's runs/ folder left out of the autograded and feedback copies."""
    import os

    from nbgrader.utils import find_all_files
    from traitlets.config import Config

    from autograder.exports.nbgrader import write_course

    config_file = write_course(tmp_path, ["pytorch"])[0]
    config = Config()
    exec(config_file.read_text(), {"get_config": lambda: config})  # noqa: S102
    os.environ.pop("DLCOURSE_NBGRADER_TRUSTED", None)  # the config sets it for nbgrader's process
    assert config.ExecutePreprocessor.timeout == 120
    submitted = tmp_path / "submitted" / "alice" / "pytorch"
    (submitted / "runs" / "pytorch").mkdir(parents=True)
    (submitted / "runs" / "pytorch" / "events.out.tfevents.1").write_bytes(b"x")
    (submitted / "data.txt").write_text("kept")
    copied = find_all_files(str(submitted), config.CourseDirectory.ignore + ["*.ipynb"])
    assert copied == [str(submitted / "data.txt")]


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
def test_deleted_or_edited_locked_cells_cost_no_points_under_nbgrader(course):
    """A reference whose hidden-test cells of two steps were deleted and of a third edited, and
    a check cell edited: does nbgrader give the same full marks as ``dlcourse grade`` (it scores
    a missing grade cell 0), say in the graded notebook which cells were put back, and warn
    about changed checksums only for the cells the learner changed?"""
    root, _ = course
    plan = layout("pytorch")
    full = {t.step: plan.step_points(t.step) for t in plan.tests}
    submitted = root / "submitted" / "deleter" / "pytorch" / plan.notebook_name
    assert our_steps([submitted], "pytorch")[0] == full
    assert _nbgrader_steps(root, "pytorch", "deleter") == full
    graded = {
        c.metadata["nbgrader"]["grade_id"]: c for c in _ours(_graded_notebook(root, "deleter"))
    }
    assert set(graded) == {f"{TEST_CELL_PREFIX}{step}" for step in full}
    for step in ("data", "train"):
        assert (
            "was missing from your notebook" in graded[f"{TEST_CELL_PREFIX}{step}"].outputs[0].text
        )
    log = (root / "autograde-pytorch.log").read_text()
    changed = [line for line in log.splitlines() if "Attribute 'checksum'" in line]
    ours = [line for line in changed if TEST_CELL_PREFIX in line]
    assert len(ours) == 1 and f"{TEST_CELL_PREFIX}model" in ours[0], ours  # only the edited one
    assert len(changed) == 2, changed  # and the edited check cell
    assert sum("was deleted from the submission" in line for line in log.splitlines()) == 2
