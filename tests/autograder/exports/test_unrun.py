"""Are the learner's code cells set aside while a tool executes a notebook, and put back?"""

from __future__ import annotations

import nbformat

from autograder.exports.unrun import KEY, put_back, set_aside


def _notebook() -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_markdown_cell("# text"),
        nbformat.v4.new_code_cell("import os\nos.remove('x')"),
        nbformat.v4.new_code_cell("   "),
        nbformat.v4.new_code_cell("def f():\n    return 1"),
    ]
    return nbformat.v4.new_notebook(cells=cells)


def test_every_code_cell_is_emptied_and_comes_back_as_it_was():
    """Is every non-empty code cell emptied (so an executor skips it), markdown untouched, and
    is every source restored afterwards, with no trace in the metadata?"""
    nb = _notebook()
    before = nbformat.writes(nb)
    assert set_aside(nb) == 2
    assert [c.source for c in nb.cells] == ["# text", "", "   ", ""]
    put_back(nb)
    assert nbformat.writes(nb) == before


def test_cells_an_executor_added_are_left_alone():
    """Cells inserted between the two (otter adds its own) keep their code."""
    nb = _notebook()
    set_aside(nb)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import otter"))
    put_back(nb)
    assert nb.cells[0].source == "import otter" and nb.cells[2].source.startswith("import os")


def test_a_source_planted_in_the_metadata_is_not_put_back():
    """A submitted cell whose metadata already carries the key (a learner planting code to be
    shown as theirs) comes back as submitted, not as the planted text."""
    nb = _notebook()
    nb.cells[2].metadata[KEY] = "print('planted')"
    nb.cells[3].metadata[KEY] = "print('planted')"
    set_aside(nb)
    put_back(nb)
    assert nb.cells[2].source == "   " and nb.cells[3].source.startswith("def f")
    assert not any(KEY in c.metadata for c in nb.cells)
