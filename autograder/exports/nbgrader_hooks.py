"""Loaded by nbgrader itself (the exported ``nbgrader_config.py`` names it), never by dlcourse.

nbgrader runs test cells in the learner's kernel, where the learner's code ran first: code that
targets a test cell (a fake ``autograder.exports.cell`` in ``sys.modules``) could make it show
any number, and other threads of the kernel (TensorFlow's logs) can write to its stderr, which
nbgrader scores 0. :class:`TrustedScores` runs in nbgrader's own process right after the
notebook is executed: it grades the *submitted file* with ``dlcourse grade`` (a fresh
``python -I`` process, the usual sandboxed worker) and replaces the outputs of every hidden-test
cell with that record's feedback and points. What the kernel printed there is discarded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbconvert.preprocessors import Preprocessor

from autograder.assignments import ASSIGNMENTS
from autograder.exports import TEST_CELL_PREFIX


def is_test_cell(cell: Any) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and str(meta.get("grade_id", "")).startswith(TEST_CELL_PREFIX)


def assignment_of(notebook_id: str) -> str | None:
    """The course assignment whose notebook is ``<notebook_id>.ipynb``."""
    for assignment in ASSIGNMENTS.values():
        if Path(assignment.notebook).stem == notebook_id:
            return assignment.name
    return None


def trusted_outputs(result: dict[str, Any], step: str) -> list[Any]:
    """The outputs a hidden-test cell gets: the feedback lines, then the points as its value."""
    import nbformat

    from autograder.exports.cell import feedback_lines, step_total

    text = "".join(f"{line}\n" for line in feedback_lines(result, step))
    value = {"text/plain": repr(step_total(result, step))}
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)] if text else []
    return outputs + [nbformat.v4.new_output("execute_result", data=value, execution_count=None)]


class TrustedScores(Preprocessor):  # type: ignore[misc]
    """Replace the outputs of dlcourse's hidden-test cells with scores computed outside the
    kernel, from the notebook the learner submitted."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enabled = True  # nbconvert only calls preprocessors that are enabled

    def submitted_path(self, resources: dict[str, Any]) -> Path:
        from nbgrader.coursedir import CourseDirectory  # type: ignore[import-untyped]

        info = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        folder = coursedir.format_path(
            coursedir.submitted_directory, info["student"], info["assignment"]
        )
        return Path(folder) / f"{info['notebook']}.ipynb"

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        from autograder.exports.cell import grade_outside

        cells = [c for c in nb.cells if c.get("cell_type") == "code" and is_test_cell(c)]
        assignment = assignment_of(resources.get("nbgrader", {}).get("notebook", ""))
        if not cells or assignment is None:
            return nb, resources
        path = self.submitted_path(resources)
        if path.is_file():
            result = grade_outside(path, assignment)
        else:
            result = {"error": f"the submitted notebook {path} is missing", "tests": []}
        for cell in cells:
            step = cell.metadata["nbgrader"]["grade_id"].removeprefix(TEST_CELL_PREFIX)
            cell.outputs = trusted_outputs(result, step)
        return nb, resources
