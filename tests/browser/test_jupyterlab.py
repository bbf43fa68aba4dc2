"""A learner in JupyterLab, for real: headless Chromium opens an assignment, a stub is filled
in by typing into the page, the cells run one after another, and ``check()`` shows a pass for
that step and failures for the others. Screenshots are kept as test artefacts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder.assignments import get_assignment
from tests.browser.lab import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    browser_or_skip,
    copy_notebook,
    jupyter_lab,
)
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOKS = {name: ROOT / get_assignment(name).notebook for name in ("pytorch", "tf2")}
STEPS = ("download", "data", "model", "loss_opt", "metric", "train", "report")


_KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""


def _cell_source(notebook: Path, marker: str) -> tuple[int, str]:
    nb = nbformat.read(notebook, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and marker in cell.source:
            return i, cell.source
    raise AssertionError(f"no code cell with {marker!r} in {notebook}")


def _run_every_cell(page, count: int) -> None:  # noqa: ANN001
    """Shift+Enter through the notebook like a learner, each cell after the previous finished
    (a failing stub does not stop the next cell, as it would with Run All)."""
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Escape")
    for i in range(count):
        cell = page.locator(".jp-Notebook .jp-Cell").nth(i)
        page.keyboard.press("Shift+Enter")
        if "jp-CodeCell" in (cell.get_attribute("class") or ""):
            prompt = cell.locator(".jp-InputArea-prompt")
            page.wait_for_function(
                "(el) => /\\[\\d+\\]/.test(el.textContent)", arg=prompt.element_handle(),
                timeout=120_000,
            )  # fmt: skip
    page.wait_for_function(_KERNEL_IDLE, timeout=120_000)


def _append_cell_and_run(page, code: str) -> str:  # noqa: ANN001
    """Type ``code`` into an empty cell at the end (Shift+Enter on the last cell leaves one; else
    press ``b`` for a new one), run it, and return its output text."""
    cells = page.locator(".jp-Notebook .jp-Cell")
    if cells.last.locator(".cm-content").inner_text().strip():
        cells.last.click()
        page.keyboard.press("Escape")
        page.keyboard.press("b")
    cell = cells.nth(cells.count() - 1).element_handle()
    cell.query_selector(".cm-content").click()
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(
        "(el) => /\\[\\d+\\]/.test(el.querySelector('.jp-InputArea-prompt').textContent)"
        " && el.querySelector('.jp-OutputArea-output') !== null",
        arg=cell,
        timeout=120_000,
    )
    cell.scroll_into_view_if_needed()
    return cell.query_selector(".jp-OutputArea").inner_text()


@contextmanager
def _notebook_page(tmp_path: Path, notebook: Path, failure_shot: str) -> Iterator[Any]:
    """A Chromium page on ``notebook`` in a fresh JupyterLab, its kernel idle; only the loopback
    server can be reached. When the block fails, a full-page screenshot ``failure_shot`` is kept
    among the artefacts."""
    sync_playwright = browser_or_skip()
    with jupyter_lab(tmp_path) as lab, sync_playwright() as pw:
        name = copy_notebook(notebook, lab)
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith(lab.url) else route.abort()
                ),
            )
            page.goto(lab.notebook_url(name))
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_function(_KERNEL_IDLE, timeout=120_000)
            try:
                yield page
            except Exception:
                page.screenshot(path=str(_shots() / failure_shot), full_page=True)
                raise
        finally:
            browser.close()


def _shots() -> Path:
    shots = ARTIFACTS / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    return shots


@pytest.mark.parametrize("assignment", sorted(NOTEBOOKS))
def test_learner_fills_a_stub_in_jupyterlab_and_check_shows_it(tmp_path, assignment):
    """Typing the download step into the page and running the cells: does check() show
    download passing and every other step failing as not implemented, in the real UI?"""
    student = NOTEBOOKS[assignment]
    index, solved = _cell_source(
        ROOT / "examples" / assignment / "reference.ipynb", "def download("
    )
    assert _cell_source(student, "def download(")[0] == index
    shots = _shots()

    with _notebook_page(tmp_path, student, f"{assignment}-failure.png") as page:
        cells = page.locator(".jp-Notebook .jp-Cell")
        count = cells.count()

        # the learner replaces the stub: click into the cell, select all, type the code
        editor = cells.nth(index).locator(".cm-content")
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(solved)
        assert "raise NotImplementedError" not in editor.inner_text()

        _run_every_cell(page, count)
        progress = _append_cell_and_run(page, "check()")
        page.screenshot(path=str(shots / f"{assignment}-check.png"))
        modules = _append_cell_and_run(
            page, "import sys\nprint(sorted(m for m in sys.modules if 'autograder' in m))"
        )

    verdicts = dict(re.findall(r"check\('(\w+)'\): (all checks pass|some checks fail)", progress))
    assert verdicts == {s: "some checks fail" for s in STEPS} | {"download": "all checks pass"}, (
        progress
    )
    later = progress.split("check('data')", 1)[1]
    assert "not implemented" in later, progress
    assert modules.strip() == "[]", f"the learner's kernel imported the grader: {modules}"
    assert (shots / f"{assignment}-check.png").stat().st_size > 10_000


def _cell_output(page, index: int) -> str:  # noqa: ANN001
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    area = cell.locator(".jp-OutputArea")
    return area.inner_text() if area.count() else ""


def test_a_headline_mistake_fails_the_default_check_with_its_likely_cause(tmp_path):
    """A learner's PyTorch notebook whose preprocess reshapes where a permute is needed, run
    cell by cell in JupyterLab with practice mode off (the default): does check('data') show a
    failure whose text names the likely cause, on screen?"""
    from autograder.exports.layout import fill_code_cells
    from tests.autograder.exports.helpers import variant_code

    student = NOTEBOOKS["pytorch"]
    nb = fill_code_cells(
        nbformat.read(student, 4), variant_code("pytorch", "reshape_instead_of_permute")
    )
    source = tmp_path / "mistake.ipynb"
    nbformat.write(nb, source)
    index, _ = _cell_source(source, 'check("data")')
    shot = _shots() / "pytorch-reshape-check.png"
    with _notebook_page(tmp_path, source, "pytorch-reshape-failure.png") as page:
        _run_every_cell(page, index + 1)
        text = _cell_output(page, index)
        page.screenshot(path=str(shot))
    assert "check('data'): some checks fail" in text, text
    assert "Likely cause" in text and "permute" in text, text
    assert shot.stat().st_size > 10_000


def test_the_tf2_notebook_starts_without_tensorflow_logs(tmp_path):
    """Running the TF2 notebook's imports cell in JupyterLab: is its output area empty (no
    TensorFlow start-up logs in red under a comment that says they are hidden)?"""
    student = NOTEBOOKS["tf2"]
    nb = nbformat.read(student, 4)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    with _notebook_page(tmp_path, student, "tf2-first-cell-failure.png") as page:
        _run_every_cell(page, first + 1)
        text = _cell_output(page, first)
        page.screenshot(path=str(_shots() / "tf2-first-cell.png"))
    assert text.strip() == "", f"the imports cell printed: {text[:500]}"
