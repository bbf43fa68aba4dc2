"""Does a course exported with ``dlcourse build --nbgrader`` grade in the real nbgrader with the
same points per step as ``dlcourse grade``, TensorFlow's stderr logs notwithstanding?"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from autograder.exports import TEST_CELL_PREFIX
from autograder.exports.layout import fill_code_cells, layout
from autograder.exports.nbgrader import write_course
from autograder.exports.nbgrader_hooks import TrustedScores, trusted_outputs
from tests.autograder.exports.helpers import EXTRAS, SUBMISSIONS, our_steps, tool, variant_code


def _source_notebook(tmp_path: Path, assignment: str) -> nbformat.NotebookNode:
    write_course(tmp_path, [assignment])
    return nbformat.read(tmp_path / "source" / assignment / layout(assignment).notebook_name, 4)


@pytest.mark.parametrize("assignment", ["pytorch", "tf2", "tf1", "bridge"])
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


def test_notebooks_of_other_courses_are_left_alone():
    """A notebook that is not one of the course's assignments keeps its outputs."""
    cell = nbformat.v4.new_code_cell("x")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"{TEST_CELL_PREFIX}data"}
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="w\n")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    resources = {"nbgrader": {"notebook": "someone_elses", "student": "s", "assignment": "a"}}
    nb, _ = TrustedScores()(nb, resources)  # as nbconvert calls it
    assert nb.cells[0].outputs[0].text == "w\n"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """One nbgrader course: the assignments of ``SUBMISSIONS`` released, submitted and autograded
    for real (each notebook costs 20-40 s there)."""
    root = tmp_path_factory.mktemp("nbgrader-course")
    write_course(root)
    students = {a: list(names) for a, names in SUBMISSIONS.items()}
    students["pytorch"] += ["noisy", "forger", "rewriter"]
    for assignment, names in students.items():
        tool("nbgrader", "generate_assignment", assignment, "--force", cwd=root)
        released = root / "release" / assignment / layout(assignment).notebook_name
        for name in names:
            nb = nbformat.read(released, 4)
            if name != "stub":  # the stub is the released notebook as it is
                fill_code_cells(nb, variant_code(assignment, name))
            target = root / "submitted" / name / assignment / released.name
            target.parent.mkdir(parents=True)
            nbformat.write(nb, target)
        tool("nbgrader", "autograde", assignment, "--force", cwd=root)
    return root, students


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
    honest = [s for s in students[assignment] if s != "rewriter"]  # it rewrote its own file
    files = [root / "submitted" / s / assignment / name for s in honest]
    ours_by_student = dict(zip(honest, our_steps(files, assignment)))
    plan = layout(assignment)
    full = {t.step: plan.step_points(t.step) for t in plan.tests}
    for student in honest:
        theirs = _nbgrader_steps(root, assignment, student)
        assert theirs == ours_by_student[student], student
    assert _nbgrader_steps(root, assignment, "reference") == full
    assert set(_nbgrader_steps(root, assignment, "stub").values()) == {0.0}
    mutants = [s for s in students[assignment] if s not in ("reference", "stub", *EXTRAS)]
    for student in mutants:
        total = sum(_nbgrader_steps(root, assignment, student).values())
        assert (total == sum(full.values())) == student.startswith("alt_"), student


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
def test_stderr_noise_from_other_threads_does_not_cost_points(course):
    """A kernel thread writes to stderr every 5 ms during the whole run, as TensorFlow's logs
    can: the hidden-test cells still get full points, and carry no stderr output."""
    root, _ = course
    assert sum(_nbgrader_steps(root, "pytorch", "noisy").values()) == 56.0
    graded = root / "autograded" / "noisy" / "pytorch" / layout("pytorch").notebook_name
    nb = nbformat.read(graded, 4)

    def streams(cells):
        return [o.name for c in cells if c.cell_type == "code" for o in c.outputs if "name" in o]

    ours = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    others = [c for c in nb.cells if c not in ours]
    assert "stderr" in streams(others), "the noise never reached the notebook: nothing tested"
    assert "stderr" not in streams(ours)
    feedback = json.dumps([c.outputs for c in ours])
    assert "ok   download_fetches_and_verifies" in feedback


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
def test_learner_code_cannot_forge_the_test_cells(course):
    """Stubs plus a fake of the module the test cells import, claiming full points: in the
    kernel every test cell would show the step's maximum; nbgrader still records 0, because
    the cells are scored outside the kernel from the submitted file."""
    root, _ = course
    assert set(_nbgrader_steps(root, "pytorch", "forger").values()) == {0.0}
    graded = root / "autograded" / "forger" / "pytorch" / layout("pytorch").notebook_name
    ours = [
        c for c in nbformat.read(graded, 4).cells if c.metadata.get("nbgrader", {}).get("grade")
    ]
    assert all(c.outputs[-1].data["text/plain"] == "0.0" for c in ours)


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
def test_learner_code_cannot_change_what_is_graded(course):
    """Stubs plus a cell that, in nbgrader's kernel, overwrites the learner's own file under
    ``submitted/`` with the instructor's solved source notebook: the file was overwritten (the
    attack ran), and nbgrader still records the stub's 0, graded before Execute ran anything."""
    root, _ = course
    name = layout("pytorch").notebook_name
    overwritten = root / "submitted" / "rewriter" / "pytorch" / name
    assert overwritten.read_bytes() == (root / "source" / "pytorch" / name).read_bytes()
    assert set(_nbgrader_steps(root, "pytorch", "rewriter").values()) == {0.0}
