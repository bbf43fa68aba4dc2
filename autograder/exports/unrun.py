"""The learner's code cells, set aside while nbgrader or otter executes a submitted notebook.

Both tools run the submission in a kernel of their own, outside dlcourse's sandbox: there the
learner's code could read the hidden tests, the grader's installed copy and classmates' files,
and print them into its own feedback. dlcourse has already graded the notebook in its sandbox
by then (``nbgrader_hooks.GradeAsSubmitted``, ``otter_plugin.TrustedScores.before_execution``),
so by default the tool runs none of the learner's code: each code cell's source is set aside in
the cell's metadata (the cell left empty, which the executor skips) and put back after
execution. The graded notebook and its feedback show the submission as written, without
outputs. An instructor who wants the learner's outputs there, and accepts that their code then
runs unsandboxed in the tool's kernel, sets ``run_learner_code`` (scores still come from
dlcourse's record).
"""

from __future__ import annotations

from typing import Any

KEY = "dlcourse_set_aside"


def set_aside(nb: Any) -> int:
    """Empty every code cell of ``nb``, keeping its source in its metadata; returns how many.
    A key planted in a submitted cell's metadata is dropped first (it would be put back)."""
    count = 0
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        cell.setdefault("metadata", {}).pop(KEY, None)
        if cell.get("source", "").strip():
            cell.metadata[KEY] = cell.source
            cell.source = ""
            count += 1
    return count


def put_back(nb: Any) -> None:
    """Restore the sources :func:`set_aside` kept (cells the executor added are left alone)."""
    for cell in nb.cells:
        kept = cell.get("metadata", {}).pop(KEY, None)
        if isinstance(kept, str) and cell.get("cell_type") == "code":
            cell.source = kept
