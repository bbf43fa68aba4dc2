"""What an instructor should look at before trusting a class's scores (``dlcourse triage``).

From the records alone: files that could not be read, submissions whose notebook would not run
top to bottom ("Run All" would stop: the first cell whose definitions raised, a syntax error,
an endless top-level loop), time-outs, code that never finished loading, and identical
submissions (same bytes). With the submission files too: near-duplicates by code similarity,
measured with ``copydetect`` (winnowed k-gram fingerprints, the method of MOSS) on the code
the grader runs, the assignment's own starter code removed as boilerplate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autograder.results import SubmissionResult

STOPS = ("running your definitions raised", "has a syntax error", "top-level endless loop")
LOAD_LOOP = "no answer while loading your code"
SIMILAR = 0.8
"""Pairs at least this similar (the share of either one's fingerprinted code the other holds)
are listed as near-duplicates."""


@dataclass
class Triage:
    unreadable: list[str] = field(default_factory=list)
    would_not_run: list[str] = field(default_factory=list)
    timeouts: list[str] = field(default_factory=list)
    load_loops: list[str] = field(default_factory=list)
    identical: list[list[str]] = field(default_factory=list)
    similar: list[tuple[str, str, float]] = field(default_factory=list)
    compared: int = 0
    """Submissions whose code was compared (0: no submission files were given)."""

    def render(self) -> str:
        def section(title: str, lines: list[str]) -> list[str]:
            return [f"{title} ({len(lines)})", *(f"  {line}" for line in lines or ["none"])]

        out: list[str] = []
        out += section("unreadable files", self.unreadable)
        out += section("would not run top to bottom ('Run All' stops)", self.would_not_run)
        out += section("time-outs", self.timeouts)
        out += section("never finished loading (a load-time loop?)", self.load_loops)
        out += section("identical submissions (same bytes)", [", ".join(g) for g in self.identical])
        if self.compared:
            pairs = [f"{a} ~ {b}: {s:.0%} similar" for a, b, s in self.similar]
            out += section(
                f"near-duplicates (copydetect, >= {SIMILAR:.0%}, {self.compared} compared)", pairs
            )
        else:
            out.append("near-duplicates: not checked (give --submissions to compare the code)")
        return "\n".join(out)


def _who(key: str, result: SubmissionResult) -> str:
    return f"{result.learner or key} ({result.submission})"


def triage(
    results: dict[str, SubmissionResult], code: dict[str, tuple[str, str]] | None = None
) -> Triage:
    """``code``: learner -> (assignment, the code the grader runs), for the similarity check."""
    found = Triage()
    by_hash: dict[str, list[str]] = {}
    for key, result in sorted(results.items()):
        who = _who(key, result)
        if result.error:
            found.unreadable.append(f"{who}: {result.error}")
            continue
        stops = [n for n in result.notes if any(s in n for s in STOPS)]
        if stops:
            found.would_not_run.append(f"{who}: {stops[0]}")
        if any(LOAD_LOOP in t.message for t in result.tests):
            found.load_loops.append(f"{who}: its definitions did not finish loading")
        else:
            slow = [t.name for t in result.tests if t.status == "timeout"]
            if slow:
                names = ", ".join(slow[:6]) + (", ..." if len(slow) > 6 else "")
                found.timeouts.append(f"{who}: {len(slow)} test(s) ran out of time: {names}")
        if result.content_sha256:
            by_hash.setdefault(f"{result.assignment}:{result.content_sha256}", []).append(who)
    found.identical = [group for group in by_hash.values() if len(group) > 1]
    if code:
        found.similar = similar_pairs(code)
        found.compared = len(code)
    return found


def similar_pairs(code: dict[str, tuple[str, str]]) -> list[tuple[str, str, float]]:
    """Pairs of learners (same assignment) whose code is at least ``SIMILAR`` alike, most alike
    first; each assignment's starter code is boilerplate (what everyone was given)."""
    import io

    from copydetect import CodeFingerprint, compare_files  # type: ignore[import-untyped]

    def fingerprint(text: str, boilerplate: object = None) -> CodeFingerprint:
        return CodeFingerprint(
            "submission.py", 25, 1, boilerplate, language="python", fp=io.StringIO(text)
        )

    starters: dict[str, object] = {}
    prints: dict[str, tuple[str, CodeFingerprint]] = {}
    for learner, (assignment, text) in sorted(code.items()):
        if assignment not in starters:
            starters[assignment] = list(fingerprint(starter_code(assignment)).hashes)
        prints[learner] = (assignment, fingerprint(text, starters[assignment]))
    pairs = []
    names = sorted(prints)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if prints[a][0] != prints[b][0]:
                continue
            _, (one, two), _ = compare_files(prints[a][1], prints[b][1])
            score = float(min(one, two))
            if score >= SIMILAR:
                pairs.append((a, b, round(score, 3)))
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


def starter_code(assignment: str) -> str:
    """The code of the notebook learners were given (the stubs), as the grader extracts it."""
    from autograder.assignments import get_assignment
    from autograder.build import repo_root
    from autograder.extract import extract
    from autograder.reader import read_submission

    notebook = repo_root() / get_assignment(assignment).notebook
    return extract(read_submission(notebook)).code if notebook.is_file() else ""


def submission_code(path: Path) -> str:
    """The code the grader runs of a submission file ('' when it cannot be read)."""
    from autograder.extract import extract
    from autograder.reader import SubmissionReadError, read_submission

    try:
        return extract(read_submission(path)).code
    except (OSError, SubmissionReadError):
        return ""
