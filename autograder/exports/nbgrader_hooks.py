"""Loaded by nbgrader itself (the course's ``nbgrader_config.py`` names it), never by dlcourse.

nbgrader scores a test cell 0 when any stderr output is attached to it. The hidden-test cells of
the export compute their score in a separate process and write nothing to stderr themselves, but
other threads of the kernel can (TensorFlow logs from background threads, a learner's thread):
that text says nothing about the step, so it is dropped from those cells, and only those, before
nbgrader scores them. An exception in the cell is an ``error`` output and still scores 0.
"""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor

from autograder.exports import TEST_CELL_PREFIX


def is_test_cell(cell: Any) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and str(meta.get("grade_id", "")).startswith(TEST_CELL_PREFIX)


class DropTestCellStderr(Preprocessor):  # type: ignore[misc]
    """Remove stderr stream outputs of dlcourse's hidden-test cells."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enabled = True  # nbconvert only calls preprocessors that are enabled

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        if cell.get("cell_type") == "code" and is_test_cell(cell):
            cell.outputs = [
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            ]
        return cell, resources
