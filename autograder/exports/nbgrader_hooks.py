"""Loaded by nbgrader itself (the exported ``nbgrader_config.py`` names it), never by dlcourse.

nbgrader runs test cells in the learner's kernel, where the learner's code ran first: code that
targets a test cell (a fake ``autograder.exports.cell`` in ``sys.modules``) could make it show
any number, code that rewrites files (the learner's own file under ``submitted/``) could change
what is graded afterwards, and other threads of the kernel (TensorFlow's logs) can write to its
stderr, which nbgrader scores 0. So grading happens in nbgrader's own process, around Execute:

- :class:`GradeAsSubmitted` runs *before* Execute, on the notebook nbgrader is about to run (its
  sanitized copy: read-only cells restored from the source), before any learner code exists: it
  writes that notebook to a private folder and grades it with ``dlcourse grade`` (a fresh
  ``python -I`` process, the usual sandboxed worker). Then it sets the code cells' sources aside
  (:mod:`autograder.exports.unrun`), so that Execute runs none of the learner's code in
  nbgrader's unsandboxed kernel, unless ``c.GradeAsSubmitted.run_learner_code = True``.
- :class:`TrustedScores` runs *after* Execute, puts the sources back and replaces the outputs of
  every hidden-test cell with that record's feedback and points. What a kernel printed there is
  discarded. Without the first (an older ``nbgrader_config.py``) every hidden-test cell scores 0
  and says why.
"""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path
from typing import Any

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from autograder.assignments import ASSIGNMENTS
from autograder.exports import TEST_CELL_PREFIX
from autograder.exports.unrun import put_back, set_aside


def is_test_cell(cell: Any) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and str(meta.get("grade_id", "")).startswith(TEST_CELL_PREFIX)


def assignment_of(notebook_id: str) -> str | None:
    """The course assignment whose notebook is ``<notebook_id>.ipynb``."""
    for assignment in ASSIGNMENTS.values():
        if Path(assignment.notebook).stem == notebook_id:
            return assignment.name
    return None


WIDTH = 96
"""Characters per line of a hidden-test cell's text: nbgrader's feedback page shows outputs in
a box that does not wrap, and cut a failing test's message off after about 100."""


def _wrap(line: str) -> list[str]:
    return textwrap.wrap(
        line, WIDTH, subsequent_indent="     ", break_on_hyphens=False, break_long_words=False
    )


def trusted_outputs(result: dict[str, Any], step: str, first: bool = False) -> list[Any]:
    """The outputs a hidden-test cell gets: the feedback lines (the first cell also the record's
    notes: what went wrong while loading the notebook), then the points as its value."""
    import nbformat

    from autograder.exports.cell import feedback_lines, step_total

    notes = [f"note: {n}" for n in result.get("notes", []) if isinstance(n, str)] if first else []
    lines = [
        wrapped for line in notes + feedback_lines(result, step) for wrapped in _wrap(line) or [""]
    ]
    text = "".join(f"{line}\n" for line in lines)
    value = {"text/plain": repr(step_total(result, step))}
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)] if text else []
    return outputs + [nbformat.v4.new_output("execute_result", data=value, execution_count=None)]


RECORD = "dlcourse_record"
"""Where :class:`GradeAsSubmitted` leaves the record for :class:`TrustedScores` (nbconvert hands
one ``resources`` dict through every preprocessor of a notebook's conversion)."""
MISSING = (
    "this notebook was not graded before nbgrader executed it: nbgrader_config.py lacks "
    "autograder.exports.nbgrader_hooks.GradeAsSubmitted before nbgrader.preprocessors.Execute; "
    "regenerate it with `dlcourse build --nbgrader`"
)


def _course_cells(nb: Any, resources: dict[str, Any]) -> tuple[list[Any], str | None]:
    cells = [c for c in nb.cells if c.get("cell_type") == "code" and is_test_cell(c)]
    return cells, assignment_of(resources.get("nbgrader", {}).get("notebook", ""))


RESTORED = "dlcourse_restored"
"""Metadata key of a hidden-test cell the learner deleted and
:class:`autograder.exports.nbgrader_cells.CourseCells` put back."""


def _put_back_note(step: str) -> Any:
    import nbformat

    text = (
        f"note: this hidden-test cell of step {step!r} was missing from your notebook (deleted); "
        "it was put back and the step graded as usual\n"
    )
    return nbformat.v4.new_output("stream", name="stdout", text=text)


class _Enabled(Preprocessor):  # type: ignore[misc]
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enabled = True  # nbconvert only calls preprocessors that are enabled


class GradeAsSubmitted(_Enabled):
    """Before Execute: grade the notebook as nbgrader will run it, before the learner's code has
    run anywhere (so nothing it does in the kernel can change what is graded)."""

    run_learner_code = Bool(
        False,
        help="Let Execute run the learner's code cells in nbgrader's kernel, outside dlcourse's "
        "sandbox, so that their outputs show in the graded notebook and feedback (scores still "
        "come from dlcourse's sandboxed grading).",
    ).tag(config=True)

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        import nbformat

        from autograder.exports.cell import grade_outside

        cells, assignment = _course_cells(nb, resources)
        if not cells or assignment is None:
            return nb, resources
        notebook = Path(ASSIGNMENTS[assignment].notebook).name
        with tempfile.TemporaryDirectory(prefix="dlcourse-nbgrader-") as folder:
            path = Path(folder) / notebook
            nbformat.write(nb, path)
            resources[RECORD] = grade_outside(path, assignment)
        if not self.run_learner_code:
            set_aside(nb)
        return nb, resources


class TrustedScores(_Enabled):
    """After Execute: replace the outputs of dlcourse's hidden-test cells with the record
    :class:`GradeAsSubmitted` computed before any learner code ran."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        put_back(nb)
        cells, assignment = _course_cells(nb, resources)
        if not cells or assignment is None:
            return nb, resources
        result = resources.get(RECORD) or {"error": MISSING, "tests": []}
        for cell in cells:
            step = cell.metadata["nbgrader"]["grade_id"].removeprefix(TEST_CELL_PREFIX)
            cell.outputs = trusted_outputs(result, step, first=cell is cells[0])
            if cell.metadata.get(RESTORED):
                cell.outputs[0:0] = [_put_back_note(step)]
        return nb, resources
