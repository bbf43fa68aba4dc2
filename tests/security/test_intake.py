"""Intake without surprises: what is graded is the file the learner handed in, as given.

A symbolic link (to the course's solutions, to a classmate's file, to a hidden test) is refused
with a record that says so, never followed; a file named like an option is graded like any other.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.exports import gradescope
from autograder.isolation import PACKAGE_ROOT
from autograder.reader import SubmissionReadError, read_submission
from tests.conftest import ROOT

SOLUTION = ROOT / "solutions" / "01_pytorch_pipeline.py"
TARGETS = {
    "solutions": SOLUTION,
    "classmate": None,  # made per test: bob's own file
    "hidden test": PACKAGE_ROOT / "autograder" / "hidden" / "pytorch" / "suite.py",
}


def _records(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json")}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_symlink_upload_is_refused_not_followed(tmp_path, target):
    subs = tmp_path / "subs"
    (subs / "bob").mkdir(parents=True)
    (subs / "bob" / "solution.py").write_bytes(SOLUTION.read_bytes())
    (subs / "alice").mkdir()
    link = subs / "alice" / "01_pytorch_pipeline.py"
    link.symlink_to(TARGETS[target] or subs / "bob" / "solution.py")
    with pytest.raises(SubmissionReadError, match="symbolic link"):
        read_submission(link)
    out = tmp_path / "out"
    code = main(["grade", str(subs / "alice"), "--assignment", "pytorch", "--out", str(out)])
    assert code == 0
    (record,) = _records(out).values()
    assert record["score"] == 0 and "symbolic link" in record["error"]
    assert all(t["score"] == 0 for t in record["tests"])


def test_gradescope_refuses_a_symlink_upload(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "01_pytorch_pipeline.ipynb").symlink_to(SOLUTION)
    data = gradescope.run(root, "pytorch")
    assert data["score"] == 0 and "symbolic link" in data["output"]


@pytest.mark.slow
@pytest.mark.torch
def test_file_names_that_look_like_options_are_graded_like_any_other(tmp_path, monkeypatch):
    """``cd subs && dlcourse grade *.py``: every file gets its record, whatever its name."""
    subs = tmp_path / "subs"
    subs.mkdir()
    names = ["--force.py", "-h.py", "with space.py", "ünïcode.py", "new\nline.py", "--.py"]
    for name in names:
        (subs / name).write_bytes(b"\xff not text")  # unreadable: a record, no worker needed
    stub = ROOT / "assignments" / "01_pytorch_pipeline.ipynb"
    (subs / "-stub.ipynb").write_bytes(stub.read_bytes())
    monkeypatch.chdir(subs)
    out = tmp_path / "out"
    given = sorted(os.listdir(subs))
    assert main(["grade", *given, "--assignment", "pytorch", "--out", str(out)]) == 0
    records = _records(out)
    assert {r["submission"] for r in records.values()} == set(given)
    graded = next(r for r in records.values() if r["submission"] == "-stub.ipynb")
    assert not graded["error"] and graded["score"] == 0 and graded["tests"]
    # after "--" and as a directory argument too
    out2 = tmp_path / "out2"
    assert main(["grade", "--assignment", "pytorch", "--out", str(out2), "--", *given]) == 0
    assert len(_records(out2)) == len(given)
