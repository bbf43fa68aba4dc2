"""Loaded by nbgrader itself (the exported ``nbgrader_config.py`` names it), never by dlcourse.

:class:`CourseCells` is nbgrader's ``OverwriteCells`` (it restores read-only cells from the
course source before grading) with two differences for dlcourse's hidden-test cells:

- **A deleted hidden-test cell is put back.** nbgrader scores a missing grade cell 0, so a
  learner who deleted one step's locked cell lost that step under nbgrader and not under
  ``dlcourse grade``. nbgrader's own ``add_missing_cells`` cannot do it for these notebooks: it
  looks for the cell before the missing one among grade and solution cells, and a step's check
  cell (read-only, not graded) comes first. The cell goes back after its step's check cell, and
  the cell says it was put back; its points come from dlcourse's grading, as for every step.
- **No warning for an untouched cell.** The course source holds a hidden-test cell with its
  ``### BEGIN HIDDEN TESTS`` block; the released copy does not, so nbgrader's checksum differs
  for every submission and it warns "Attribute 'checksum' ... has changed!" for each of them,
  drowning the warnings that matter. The warning is kept for a cell whose text differs from
  what was released (the learner edited it); every other check of ``OverwriteCells`` is kept.
"""

from __future__ import annotations

from typing import Any

from nbgrader import utils
from nbgrader.preprocessors import OverwriteCells

from autograder.exports import TEST_CELL_PREFIX
from autograder.exports.nbgrader import test_cell_meta
from autograder.exports.nbgrader_hooks import RESTORED, assignment_of


def released(source: str) -> str:
    """A hidden-test cell's source as ``nbgrader generate_assignment`` releases it (its
    ``ClearHiddenTests``: the lines from BEGIN to END HIDDEN TESTS removed)."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if "BEGIN HIDDEN TESTS" in line:
            hidden = True
        elif "END HIDDEN TESTS" in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


class CourseCells(OverwriteCells):  # type: ignore[misc]
    """``OverwriteCells`` that puts deleted hidden-test cells back and warns about a hidden-test
    cell's checksum only when the learner changed the cell."""

    _quiet: str | None = None

    def report_change(self, name: str, attr: str, old: Any, new: Any) -> None:
        if attr == "checksum" and name == self._quiet:
            self.log.debug("hidden-test cell %s as released; its hidden tests put back", name)
            return
        super().report_change(name, attr, old, new)

    def preprocess_cell(self, cell: Any, resources: Any, cell_index: int) -> tuple[Any, Any]:
        grade_id = _grade_id(cell)
        self._quiet = None
        if grade_id.startswith(TEST_CELL_PREFIX):
            source = self._source_cell(grade_id)
            if source is not None and released(source.source) == cell.source:
                self._quiet = grade_id
        try:
            return super().preprocess_cell(cell, resources, cell_index)  # type: ignore[no-any-return]
        finally:
            self._quiet = None

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        from nbgrader.api import Gradebook

        nb, resources = super().preprocess(nb, resources)  # opens and closes self.gradebook
        if assignment_of(self.notebook_id) is not None:
            with Gradebook(self.db_url) as gradebook:
                self._put_back_test_cells(nb, gradebook)
        return nb, resources

    def _source_cell(self, grade_id: str) -> Any:
        from nbgrader.api import MissingEntry

        try:
            return self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
        except MissingEntry:
            return None

    def _put_back_test_cells(self, nb: Any, gradebook: Any) -> None:
        import nbformat

        source = gradebook.find_notebook(self.notebook_id, self.assignment_id)
        points = {c.name: float(c.max_score) for c in source.grade_cells}
        order = [c.name for c in source.source_cells]
        for original in source.source_cells:
            name = original.name
            index = {_grade_id(c): i for i, c in enumerate(nb.cells)}
            if not name.startswith(TEST_CELL_PREFIX) or name in index:
                continue
            self.log.warning(
                "Hidden-test cell %s was deleted from the submission: put back (its step is "
                "graded by dlcourse as usual)",
                name,
            )
            cell = nbformat.v4.new_code_cell(original.source)
            cell.metadata["nbgrader"] = {"schema_version": 3, **test_cell_meta(name, points[name])}
            cell.metadata["deletable"] = False
            cell.metadata["editable"] = False
            cell.metadata[RESTORED] = True
            cell.metadata["nbgrader"]["checksum"] = utils.compute_checksum(cell)
            nb.cells.insert(_after_previous(index, order, name, len(nb.cells)), cell)


def _grade_id(cell: Any) -> str:
    return str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))


def _after_previous(index: dict[str, int], order: list[str], name: str, end: int) -> int:
    """Where a put-back cell goes: after the nearest cell before it in the source that the
    submission still has (``index``: grade id -> position; its step's check cell, usually),
    else at the ``end``."""
    for earlier in reversed(order[: order.index(name)]):
        if earlier in index:
            return index[earlier] + 1
    return end
