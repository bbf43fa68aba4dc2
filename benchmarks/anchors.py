"""The same exercise and the same submissions for otter-grader and nbgrader (benchmark anchors).

Not the exports (``dlcourse build --otter/--nbgrader``, whose test cells call our grader): these
measure the tools grading the way they do natively. Built from the single source in
``solutions/``, each step becomes one question worth the same points as in ``dlcourse grade``,
tested by the step's public ``check`` run inside the learner's kernel. Submissions are the
reference, the example mutants and the stub, as notebooks: the same code for all three graders.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from autograder.assignments import get_assignment
from autograder.build import code_variants, notebook
from autograder.exports.layout import CHECK_CELL, layout
from autograder.notebook_source import BEGIN, END, keep_solutions, parse_source

ROOT = Path(__file__).resolve().parent.parent
# TensorFlow logs to stderr, and nbgrader scores a passing test cell 0 when it writes to stderr
_QUIET = "import os\nos.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')\n"


def step_points(assignment: str) -> dict[str, float]:
    plan = layout(assignment)
    return {t.step: plan.step_points(t.step) for t in plan.tests}


def _source(assignment: str):  # noqa: ANN202
    return parse_source(ROOT / get_assignment(assignment).source)


def variants(assignment: str) -> dict[str, list[str]]:
    """Code-cell sources of each submission: reference, every example mutant, and the stub."""
    return code_variants(get_assignment(assignment), ROOT, examples_only=True)


def _notebook(assignment: str, code: list[str], clean: bool = True) -> nbformat.NotebookNode:
    """A notebook of the assignment's cells with the given code-cell sources."""
    nb = notebook(_source(assignment), solved=True)
    it = iter(code)
    for cell in nb.cells:
        if cell.cell_type == "code":
            source = next(it)
            cell.source = keep_solutions(source) if clean else source
    return nb


def plain_submissions(assignment: str, directory: Path) -> list[Path]:
    """Notebooks for ``dlcourse grade`` and ``otter run``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, code in variants(assignment).items():
        path = directory / f"{name}.ipynb"
        nbformat.write(_notebook(assignment, code), path)
        paths.append(path)
    return paths


# -- otter-grader -----------------------------------------------------------------------------


def otter_master(assignment: str) -> nbformat.NotebookNode:
    """An otter-assign master notebook: one question per step, tested by the step's check."""
    points = step_points(assignment)
    nb = _notebook(assignment, variants(assignment)["reference"], clean=False)
    config = (
        "# ASSIGNMENT CONFIG\ninit_cell: false\ncheck_all_cell: false\nexport_cell: false\n"
        "generate: true\nrun_tests: false\nsolutions_pdf: false\n"
    )
    cells = [nbformat.v4.new_raw_cell(config)]
    pending: list[nbformat.NotebookNode] = []  # code cells of the step being read
    for cell in nb.cells:
        match = CHECK_CELL.match(cell.source) if cell.cell_type == "code" else None
        if match:
            step = match.group(1)
            raw = nbformat.v4.new_raw_cell
            cells += [raw(f"# BEGIN QUESTION\nname: {step}\npoints: {points[step]:g}")]
            cells += [raw("# BEGIN SOLUTION"), *pending, raw("# END SOLUTION")]
            test = nbformat.v4.new_code_cell(f"# HIDDEN\nassert check({step!r}).passed")
            cells += [raw("# BEGIN TESTS"), test, raw("# END TESTS"), raw("# END QUESTION")]
            pending = []
        elif cell.cell_type == "code" and (BEGIN in cell.source or pending):
            pending.append(cell)
        else:
            cells.append(cell)
    nb.cells = cells + pending
    for cell in nb.cells:
        cell.pop("id", None)
    return nb


# -- nbgrader ---------------------------------------------------------------------------------


def _nbgrader_notebook(
    assignment: str,
    code: list[str],
    reference: nbformat.NotebookNode,
    points: dict[str, float],
    learner: bool,
) -> nbformat.NotebookNode:
    """The assignment with nbgrader metadata; roles come from the ``reference`` notebook, code
    from ``code``: markers kept for the instructor's source, removed in a learner's submission."""
    nb = _notebook(assignment, code, clean=False)
    for i, (ref, cell) in enumerate(zip(reference.cells, nb.cells)):
        meta = {"schema_version": 3, "grade_id": f"cell-{i:03d}", "locked": False}
        match = CHECK_CELL.match(ref.source) if ref.cell_type == "code" else None
        if match:
            step = match.group(1)
            cell.source = (
                _QUIET + f"_report = check({step!r})\nassert _report.passed, repr(_report)"
            )
            meta.update(grade=True, solution=False, locked=True, points=points[step])
            meta["grade_id"] = f"test-{step}"
        elif ref.cell_type == "code" and BEGIN in ref.source:
            meta.update(grade=False, solution=True)
            if learner:
                cell.source = keep_solutions(cell.source)
            else:
                cell.source = cell.source.replace(BEGIN, "### BEGIN SOLUTION").replace(
                    END, "### END SOLUTION"
                )
        else:
            continue
        cell.metadata["nbgrader"] = meta
    return nb


def nbgrader_course(assignment: str, course: Path, students: dict[str, str]) -> None:
    """A course directory: ``source/<assignment>/`` with nbgrader metadata, and
    ``submitted/<student>/<assignment>/`` for each ``{student: variant}``."""
    points = step_points(assignment)
    all_code = variants(assignment)
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'dlcourse-bench'\n"
        "c.ExecutePreprocessor.timeout = 600\n"
    )
    name = f"{assignment}.ipynb"
    targets = {course / "source" / assignment / name: ("reference", False)}
    for student, variant in students.items():
        targets[course / "submitted" / student / assignment / name] = (variant, True)
    reference = _notebook(assignment, all_code["reference"], clean=False)
    for path, (variant, learner) in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        nb = _nbgrader_notebook(assignment, all_code[variant], reference, points, learner)
        nbformat.write(nb, path)


if __name__ == "__main__":  # a quick look: python benchmarks/anchors.py pytorch
    import sys

    print(json.dumps({k: len(v) for k, v in variants(sys.argv[1]).items()}))
