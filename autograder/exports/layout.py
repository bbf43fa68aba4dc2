"""How an assignment's single source maps onto another grading tool's notebook.

Every export (nbgrader, otter-grader) is made from the same pieces: the cells of each step (its
teaching text, the code learners write, its public ``check`` cell), the points of each hidden
test from the suite, and the notebook's file name. Points come from the suite only, so every
tool grades out of the same totals as ``dlcourse grade``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.assignments import Assignment, get_assignment
from autograder.build import repo_root
from autograder.notebook_source import BEGIN, SourceCell, keep_solutions, parse_source
from autograder.suites import get_suite

CHECK_CELL = re.compile(r'^check\("(\w+)"\)')
"""A step's public check cell; group 1 is the step."""


@dataclass
class StepBlock:
    """The contiguous cells of one step: teaching text and code cells, then its check cell."""

    step: str
    cells: list[SourceCell]
    check: SourceCell


@dataclass
class HiddenTestPoints:
    name: str
    step: str
    points: float


@dataclass
class Layout:
    assignment: Assignment
    items: list[SourceCell | StepBlock]
    """In notebook order: cells outside any step, and one block per step."""
    tests: list[HiddenTestPoints] = field(default_factory=list)

    @property
    def notebook_name(self) -> str:
        return Path(self.assignment.notebook).name

    def step_points(self, step: str) -> float:
        return round(sum(t.points for t in self.tests if t.step == step), 4)

    def step_tests(self, step: str) -> list[HiddenTestPoints]:
        return [t for t in self.tests if t.step == step]


def is_solution(cell: SourceCell) -> bool:
    return cell.kind == "code" and BEGIN in cell.source


def layout(name: str, root: Path | None = None) -> Layout:
    """The cells of assignment ``name`` grouped by step.

    A step's block ends at its ``check("<step>")`` cell and starts at its first code cell with a
    solution region, taking the teaching text right before it along."""
    assignment = get_assignment(name)
    cells = parse_source((root or repo_root()) / assignment.source).cells
    items: list[SourceCell | StepBlock] = []
    start = 0  # first cell not yet placed
    for index, cell in enumerate(cells):
        match = CHECK_CELL.match(cell.source) if cell.kind == "code" else None
        if not match:
            continue
        first = next((i for i in range(start, index) if is_solution(cells[i])), index)
        while first > start and cells[first - 1].kind == "markdown":
            first -= 1
        items.extend(cells[start:first])
        items.append(StepBlock(match.group(1), cells[first:index], cell))
        start = index + 1
    items.extend(cells[start:])
    suite = get_suite(name)
    tests = [HiddenTestPoints(t.name, t.step, float(t.points)) for t in suite.tests]
    steps = [item.step for item in items if isinstance(item, StepBlock)]
    if sorted(steps) != sorted({t.step for t in tests}):
        raise ValueError(
            f"{assignment.source}: check cells for steps {steps}, but the hidden tests grade "
            f"{sorted({t.step for t in tests})}; each graded step needs exactly one check cell"
        )
    return Layout(assignment, items, tests)


def fill_code_cells(released: Any, code: list[str]) -> Any:
    """A learner's submission made from a notebook a tool released: its code cells (graded test
    cells aside) set to ``code``, one source per code cell of ``solutions/``, in order (solution
    markers removed). Raises ``ValueError`` when the counts differ."""
    cells = [
        c
        for c in released.cells
        if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade")
    ]
    if len(cells) != len(code):
        raise ValueError(f"the notebook has {len(cells)} code cells to fill, got {len(code)}")
    for cell, source in zip(cells, code):
        cell.source = keep_solutions(source)
        cell.outputs, cell.execution_count = [], None
    return released
