"""``dlcourse build``: student notebooks and sample submissions, generated from ``solutions/``.

A pipeline of small steps: parse the source, then for each target render cells and write the file
only if its content changed (so ``git diff`` shows real changes only).
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.assignments import ASSIGNMENTS, Assignment
from autograder.notebook_source import SolutionSource, keep_solutions, parse_source, strip_solutions


@dataclass
class Mutant:
    """A reference solution with one typical mistake (or one valid alternative style)."""

    name: str
    step: str | None
    """The step whose points the mistake must cost; None for a correct alternative."""
    misconception: str
    """Words the feedback must contain (case-insensitive)."""
    edits: list[tuple[str, str]]
    """(old, new) replacements; each ``old`` must occur exactly once in the reference code."""
    example: bool = False
    """Also written to ``examples/`` for the demo."""


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def new_notebook(assignment: str, **dlcourse: Any):  # noqa: ANN201 - nbformat.NotebookNode
    """An empty course notebook: Python 3 kernel, ``metadata.dlcourse`` naming the assignment
    (plus ``dlcourse``'s other keys), which the grader reads to tell the assignment."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "dlcourse": {"assignment": assignment, **dlcourse},
    }
    return nb


def new_cell(kind: str, source: str):  # noqa: ANN201 - nbformat.NotebookNode
    """A markdown cell for ``kind == "markdown"``, else a code cell."""
    import nbformat

    if kind == "markdown":
        return nbformat.v4.new_markdown_cell(source)
    return nbformat.v4.new_code_cell(source)


def number_cells(nb: Any, assignment: str) -> Any:
    """Stable cell ids (``<assignment>-000`` ...), so regenerated notebooks diff cleanly."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{assignment}-{i:03d}"
    return nb


def notebook(source: SolutionSource, solved: bool):  # noqa: ANN201 - nbformat.NotebookNode
    name = source.meta["assignment"]
    nb = new_notebook(name, solved=solved)
    for cell in source.cells:
        if cell.kind == "markdown":
            nb.cells.append(new_cell("markdown", cell.source))
        else:
            code = keep_solutions(cell.source) if solved else strip_solutions(cell.source)
            nb.cells.append(new_cell("code", code))
    return number_cells(nb, name)


def reference_code(source: SolutionSource) -> str:
    """The code cells of the reference as one script (check and pipeline cells included)."""
    return "\n\n\n".join(keep_solutions(c.source) for c in source.cells if c.kind == "code") + "\n"


def apply_edits(code: str, mutant: Mutant) -> str:
    for old, new in mutant.edits:
        count = code.count(old)
        if count != 1:
            raise ValueError(
                f"mutant {mutant.name}: {old!r} occurs {count} times in the reference, "
                "expected once"
            )
        code = code.replace(old, new)
    return code


def load_mutants(assignment: Assignment, root: Path) -> list[Mutant]:
    """``solutions/mutants_<name>.py`` defines ``MUTANTS``; it may import its siblings in
    ``solutions/`` (``mutants_tf_common``: the mutants the TF notebooks share)."""
    path = root / assignment.mutants
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location(f"_mutants_{assignment.name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
        for name in [n for n in sys.modules if n.startswith("mutants_")]:
            del sys.modules[name]  # another root's siblings are read afresh
    return list(module.MUTANTS)


def code_variants(
    assignment: Assignment, root: Path | None = None, examples_only: bool = False
) -> dict[str, list[str]]:
    """The code-cell sources (solution markers kept) of each sample submission, in cell order:
    ``reference``, ``stub``, and every mutant (only the ``example`` ones if asked). Each mutant
    edit must fall inside one cell."""
    root = root or repo_root()
    reference = [c.source for c in parse_source(root / assignment.source).cells if c.kind == "code"]
    out = {"reference": reference, "stub": [strip_solutions(c) for c in reference]}
    for mutant in load_mutants(assignment, root):
        if examples_only and not mutant.example:
            continue
        edited = [keep_solutions(src) for src in reference]
        for old, new in mutant.edits:
            hits = [i for i, src in enumerate(edited) if old in src]
            if len(hits) != 1:
                raise ValueError(f"mutant {mutant.name}: {old!r} is in {len(hits)} cells, not 1")
            edited[hits[0]] = edited[hits[0]].replace(old, new)
        out[mutant.name] = edited
    return out


def _write_if_changed(path: Path, text: str, written: list[Path]) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(path)


def build_outputs(root: Path | None = None) -> dict[Path, str]:
    """Every generated file and its content, without writing anything."""
    import nbformat

    root = root or repo_root()
    outputs: dict[Path, str] = {}
    for assignment in ASSIGNMENTS.values():
        source = parse_source(root / assignment.source)
        outputs[root / assignment.notebook] = nbformat.writes(notebook(source, solved=False)) + "\n"
        examples = root / "examples" / assignment.name
        outputs[examples / "reference.ipynb"] = (
            nbformat.writes(notebook(source, solved=True)) + "\n"
        )
        reference = reference_code(source)
        for mutant in load_mutants(assignment, root):
            if mutant.example:
                header = f"# Sample submission: {mutant.name} ({mutant.misconception}).\n"
                outputs[examples / f"{mutant.name}.py"] = header + apply_edits(reference, mutant)
    from autograder import contract

    tables = {a.name: (root / a.source, contract.promises(a.name)) for a in ASSIGNMENTS.values()}
    outputs[root / "docs" / "contract.md"] = contract.render(tables)
    return outputs


def build(root: Path | None = None) -> list[Path]:
    """Write generated files that changed; returns their paths."""
    written: list[Path] = []
    for path, text in build_outputs(root).items():
        _write_if_changed(path, text, written)
    return written
