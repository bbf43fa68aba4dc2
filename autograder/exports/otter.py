"""``dlcourse build --otter DIR``: otter-assign master notebooks made from ``solutions/``.

``DIR/<assignment>/<notebook>.ipynb`` per assignment, in otter-assign's notebook format (raw
``# BEGIN QUESTION`` ... cells): one question per step, worth the step's points. Solution regions
become otter's ``# BEGIN SOLUTION NO PROMPT`` blocks followed by the same stub learners see in our
own notebooks. Each hidden test of the step becomes two hidden otter test cases of half its points
each, one passing at half credit and one at full credit (otter cases pass or fail, and the
hidden tests' partial credit is a half), so otter totals equal ``dlcourse grade``'s. The cases
call :func:`autograder.exports.cell.require`, which grades the notebook once, sandboxed; the
masters also name :class:`autograder.exports.otter_plugin.TrustedScores`, which rescores those
cases outside the learner's kernel after otter has run them.

Then ``otter assign DIR/<assignment>/<notebook>.ipynb dist`` writes the student notebook and
``autograder.zip``; ``otter run -a dist/autograder/autograder.zip SUBMISSION`` grades.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.assignments import ASSIGNMENTS
from autograder.build import new_cell, new_notebook, number_cells, repo_root
from autograder.exports.layout import HiddenTestPoints, Layout, StepBlock, is_solution, layout
from autograder.exports.wheel import build_wheel, wheel_name
from autograder.notebook_source import BEGIN, END, SourceCell, strip_solutions

_CONFIG = """\
# ASSIGNMENT CONFIG
name: {name}
init_cell: false
check_all_cell: false
export_cell: false
run_tests: false
solutions_pdf: false
generate: true
# What otter's grading environment installs (environment.yml in the autograder zip): this
# package (its wheel travels in the zip) and the framework, as CPU wheels, on Python 3.11.
python_version: "3.11"
requirements:
{requirements}
autograder_files:
    - {wheel}
plugins:
    - autograder.exports.otter_plugin.TrustedScores:
        assignment: {name}
        # otter's kernel is not sandboxed, so it runs none of the learner's code (graded
        # notebooks show no outputs); true brings outputs back, the code running as your user
        run_learner_code: false
        # our questions, as the plugin rebuilds them from dlcourse's record: [test, share, points]
        questions:
{questions}
"""


# Otter cases pass or fail; a hidden test's score is all, half or nothing of its points.
SHARES = (0.5, 1.0)


def _case_points(test: HiddenTestPoints) -> float:
    """Each of a hidden test's otter cases (one per share) is worth an equal part of it."""
    return test.points / len(SHARES)


EXTRAS = {"torch": ["torch"], "tensorflow": ["tf"], "torch+tensorflow": ["torch", "tf"]}
"""The ``pyproject.toml`` extras an assignment of each framework needs (the pins live there)."""


def framework_pins(framework: str) -> list[str]:
    """The requirements of ``framework``'s extras, as ``pyproject.toml`` pins them."""
    import tomllib

    project = tomllib.loads((repo_root() / "pyproject.toml").read_text(encoding="utf-8"))
    extras = project["project"]["optional-dependencies"]
    return [req for extra in EXTRAS[framework] for req in extras[extra]]


CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"


def requirements(framework: str, wheel: str) -> list[str]:
    """The pip lines otter's environment needs for an assignment of ``framework``: the CPU
    index where torch is needed (the default one gives a multi-GB CUDA build), the pinned
    frameworks, and this package's ``wheel`` (otter puts autograder_files in ``files/`` beside
    environment.yml, and conda reads pip paths from there)."""
    index = [CPU_INDEX] if "torch" in framework else []
    return [*index, *framework_pins(framework), f"./files/{wheel}"]  # otter zips them in files/


def _requirements(plan: Layout, wheel: str) -> str:
    lines = requirements(plan.assignment.framework, wheel)
    return "\n".join(f"    - {line}" for line in lines)


def _questions(plan: Layout) -> str:
    """The plugin's list of our questions and their cases (YAML, indented for ``_CONFIG``)."""
    lines = []
    for step in dict.fromkeys(t.step for t in plan.tests):
        lines.append(f"            {step}:")
        for test in plan.step_tests(step):
            for share in SHARES:
                lines.append(f"                - [{test.name}, {share}, {_case_points(test):g}]")
    return "\n".join(lines)


def _solution(code: str) -> str:
    """Solution regions as otter blocks: the solution (dropped for learners), then our stub in an
    otter prompt block (a no-op string in the solution, the code learners get)."""
    stub_lines = strip_solutions(code).splitlines()
    lines = code.splitlines()
    out: list[str] = []
    stub_at = 0  # position in stub_lines matching the current line of code
    inside = False
    for line in lines:
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped == BEGIN:
            inside = True
            out.append(f"{indent}# BEGIN SOLUTION NO PROMPT")
            continue
        if stripped == END:
            inside = False
            stub = stub_lines[stub_at]
            stub_at += 1
            out += [f"{indent}# END SOLUTION", f'{indent}""" # BEGIN PROMPT', stub]
            out.append(f'{indent}""" # END PROMPT')
            continue
        out.append(line)
        if not inside:
            stub_at += 1
    return "\n".join(out)


def test_case_source(name: str, test: HiddenTestPoints, notebook: str, share: float) -> str:
    return (
        '""" # BEGIN TEST CONFIG\n'
        f"points: {_case_points(test):g}\n"
        "hidden: true\n"
        '""" # END TEST CONFIG\n'
        "from autograder.exports.cell import require\n"
        f"require({name!r}, {test.name!r}, notebook={notebook!r}, share={share})"
    )


def master(plan: Layout) -> Any:
    """The otter-assign master notebook of one assignment (nbformat node)."""
    import nbformat

    raw = nbformat.v4.new_raw_cell
    name = plan.assignment.name
    wheel = wheel_name(repo_root())
    config = _CONFIG.format(
        name=name, questions=_questions(plan), requirements=_requirements(plan, wheel), wheel=wheel
    )
    cells: list[Any] = [raw(config)]

    def plain(cell: SourceCell) -> Any:
        return new_cell(cell.kind, cell.source)

    for item in plan.items:
        if not isinstance(item, StepBlock):
            cells.append(plain(item))
            continue
        points = plan.step_points(item.step)
        cells.append(raw(f"# BEGIN QUESTION\nname: {item.step}\npoints: {points:g}"))
        prompt = [c for c in item.cells if c.kind == "markdown" and not _after_code(item, c)]
        cells += [plain(c) for c in prompt]
        body = [c for c in item.cells if c not in prompt]
        if body:
            cells.append(raw("# BEGIN SOLUTION"))
            for cell in body:
                source = _solution(cell.source) if is_solution(cell) else cell.source
                cells.append(plain(SourceCell(cell.kind, source)))
            cells.append(raw("# END SOLUTION"))
        cells.append(raw("# BEGIN TESTS"))
        for test in plan.step_tests(item.step):
            for share in SHARES:
                case = test_case_source(name, test, plan.notebook_name, share)
                cells.append(new_cell("code", case))
        cells += [raw("# END TESTS"), raw("# END QUESTION"), plain(item.check)]
    nb = new_notebook(name)
    nb.cells = cells
    return number_cells(nb, name)


def _after_code(block: StepBlock, cell: SourceCell) -> bool:
    first_code = next((i for i, c in enumerate(block.cells) if c.kind == "code"), len(block.cells))
    return block.cells.index(cell) > first_code


def write_masters(out: Path, assignments: list[str] | None = None) -> list[Path]:
    """Write one master notebook per assignment under ``out``; returns the files written."""
    import nbformat

    written = []
    for name in assignments or list(ASSIGNMENTS):
        plan = layout(name)
        path = out / name / plan.notebook_name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(master(plan), path)
        build_wheel(repo_root(), path.parent)  # the config's autograder_files: into the zip
        written.append(path)
    return written
