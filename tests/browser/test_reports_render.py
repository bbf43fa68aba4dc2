"""Feedback and analytics pages in a real headless Chromium (no network): they render, on a
phone-sized screen too, with their plots decoded. Screenshots are kept as test artefacts."""

from __future__ import annotations

import pytest

from autograder.reports.analytics import write_analytics
from autograder.reports.feedback import write_feedback
from autograder.results import SubmissionResult, TestResult
from tests.browser.lab import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, browser_or_skip

pytestmark = [pytest.mark.browser]


def _class() -> dict[str, SubmissionResult]:
    def result(name, failing):  # noqa: ANN001, ANN202
        tests = [
            TestResult("zero_grad_each_step", "train", 0.0 if failing else 3.0, 3.0,
                       "failed" if failing else "passed",
                       "gradients accumulate across batches: call optimizer.zero_grad() <b>"
                       if failing else ""),
            TestResult("loss_is_mean_cross_entropy", "loss_opt", 2.0, 2.0, "passed"),
        ]  # fmt: skip
        return SubmissionResult(f"{name}.ipynb", "pytorch", tests)

    return {f"learner{i:02d}": result(f"learner{i:02d}", i % 3 == 0) for i in range(12)}


@pytest.mark.parametrize("width", [1280, 390])
def test_feedback_and_analytics_pages_render_in_chromium(tmp_path, width):
    """Do both pages render (text, plots decoded, nothing wider than the screen), desktop and
    phone, with the learner's message escaped, not interpreted?"""
    sync_playwright = browser_or_skip()
    results = _class()
    feedback = write_feedback(results, tmp_path / "feedback")[0]  # learner00: fails a test
    report = write_analytics(results, tmp_path / "report.html", "Class report")
    shots = ARTIFACTS / "reports"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                       else r.abort())  # fmt: skip
            page.goto(feedback.as_uri())
            text = page.inner_text("body")
            assert "2 / 5" in text and "zero_grad() <b>" in text and "Hint:" in text
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(shots / f"feedback-{width}.png"), full_page=True)
            page.goto(report.as_uri())
            widths = page.evaluate("[...document.images].map(i => i.naturalWidth)")
            assert len(widths) == 2 and all(w > 200 for w in widths), widths
            assert "zero_grad_each_step" in page.inner_text("table")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(shots / f"analytics-{width}.png"), full_page=True)
        finally:
            browser.close()
    for name in (f"feedback-{width}.png", f"analytics-{width}.png"):
        assert (shots / name).stat().st_size > 5_000
