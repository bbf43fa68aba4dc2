"""``dlcourse build --nbgrader DIR``: an nbgrader course source made from ``solutions/``.

``DIR/source/<assignment>/<notebook>.ipynb`` for each assignment, with nbgrader cell metadata
(schema version 3): code learners write is a solution cell (``### BEGIN SOLUTION`` regions, which
``nbgrader generate_assignment`` replaces by a stub), setup and public-check cells are read-only,
and after each step's check cell comes an autograder test cell worth the step's points. Its
hidden-test block calls :func:`autograder.exports.cell.step_score`, whose value nbgrader takes as
partial credit: the same points per step as ``dlcourse grade``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.assignments import ASSIGNMENTS
from autograder.build import new_cell, new_notebook
from autograder.exports import TEST_CELL_PREFIX
from autograder.exports.layout import Layout, StepBlock, is_solution, layout
from autograder.notebook_source import BEGIN, END, SourceCell

COURSE_ID = "dlcourse"
_CONFIG = """\
# nbgrader course configuration written by `dlcourse build --nbgrader`; run nbgrader here.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
# A step's hidden tests run the learner's whole pipeline once, sandboxed, outside the kernel,
# before any cell runs; a cell of the kernel then takes seconds (a minute at most for a training
# cell if learner code runs there), so a hanging notebook stalls the class for 2 minutes a
# cell, not half an hour.
c.ExecutePreprocessor.timeout = 120
# TensorBoard logs a learner's run left beside the notebook are not copied into the autograded
# and feedback folders.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "runs"]
c.ClearSolutions.code_stub = {{"python": 'raise NotImplementedError("write your code here")'}}
# Keep these two lines of dlcourse (autograder/exports/nbgrader_hooks.py): the notebook is
# graded in nbgrader's own process before Execute runs any learner code, and the hidden-test
# cells get that record's points after it. What learner code in the kernel does (to those cells,
# to the submitted file) or TensorFlow logs on their stderr does not count; the kernel skips
# grading them. Without them, every hidden-test cell scores 0 and says why.
# By default nbgrader's kernel runs none of the learner's code (it would run outside dlcourse's
# sandbox, where it can read the hidden tests and classmates' files): the graded notebooks show
# the learners' code without outputs. To show outputs, accepting that risk (scores unchanged):
# c.GradeAsSubmitted.run_learner_code = True
import os  # noqa: E402
os.environ["DLCOURSE_NBGRADER_TRUSTED"] = "1"
# nbgrader's OverwriteCells, which also puts back a hidden-test cell a learner deleted (nbgrader
# scores a missing one 0) and warns about a hidden-test cell only when the learner changed it
# (autograder/exports/nbgrader_cells.py).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograder.exports.nbgrader_cells.CourseCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "autograder.exports.nbgrader_hooks.GradeAsSubmitted",
    "nbgrader.preprocessors.Execute",
    "autograder.exports.nbgrader_hooks.TrustedScores",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
"""


def test_cell_source(name: str, step: str, notebook: str, points: float) -> str:
    return (
        f'# Step "{step}" ({points:g} points): graded by the course\'s hidden tests, which run\n'
        "# your notebook in a separate, sandboxed process (nothing in this cell runs your code).\n"
        "### BEGIN HIDDEN TESTS\n"
        "from autograder.exports.cell import step_score\n"
        f"step_score({name!r}, {step!r}, notebook={notebook!r})\n"
        "### END HIDDEN TESTS"
    )


def test_cell_meta(grade_id: str, points: float) -> dict[str, Any]:
    """nbgrader metadata of a hidden-test cell (a locked autograder cell worth ``points``)."""
    return {
        "grade": True,
        "solution": False,
        "locked": True,
        "points": points,
        "grade_id": grade_id,
    }


def _cell(cell: SourceCell, meta: dict[str, Any] | None, cell_id: str) -> dict[str, Any]:
    node = new_cell(cell.kind, cell.source)
    if meta is not None:
        node.metadata["nbgrader"] = {"schema_version": 3, **meta}
    node["id"] = cell_id
    return node


def notebook(plan: Layout) -> Any:
    """The instructor's source notebook of one assignment (nbformat node)."""
    nb = new_notebook(plan.assignment.name, solved=True)
    cells: list[Any] = []

    def add(cell: SourceCell, role: str | None, grade_id: str = "") -> None:
        grade_id = grade_id or f"cell-{len(cells):03d}"
        meta: dict[str, Any] | None
        if role == "solution":
            source = cell.source.replace(BEGIN, "### BEGIN SOLUTION").replace(
                END, "### END SOLUTION"
            )
            cell = SourceCell(cell.kind, source)
            meta = {"grade": False, "solution": True, "locked": False, "grade_id": grade_id}
        elif role == "locked":
            meta = {"grade": False, "solution": False, "locked": True, "grade_id": grade_id}
        else:
            meta = None
        cells.append(_cell(cell, meta, grade_id))

    for item in plan.items:
        if isinstance(item, StepBlock):
            for cell in item.cells:
                add(cell, "solution" if is_solution(cell) else _default_role(cell))
            add(item.check, "locked")
            points = plan.step_points(item.step)
            source = test_cell_source(plan.assignment.name, item.step, plan.notebook_name, points)
            grade_id = f"{TEST_CELL_PREFIX}{item.step}"
            test = _cell(SourceCell("code", source), test_cell_meta(grade_id, points), grade_id)
            cells.append(test)
        else:
            add(item, _default_role(item))
    nb.cells = cells
    return nb


def _default_role(cell: SourceCell) -> str | None:
    """Setup code is read-only (nbgrader restores it before grading); text stays plain."""
    return "locked" if cell.kind == "code" else None


def write_course(out: Path, assignments: list[str] | None = None) -> list[Path]:
    """Write the course source to ``out``; returns the files written."""
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    written = [out / "nbgrader_config.py"]
    written[0].write_text(_CONFIG.format(course_id=COURSE_ID), encoding="utf-8")
    for name in assignments or list(ASSIGNMENTS):
        plan = layout(name)
        path = out / "source" / name / plan.notebook_name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook(plan), path)
        written.append(path)
    return written
