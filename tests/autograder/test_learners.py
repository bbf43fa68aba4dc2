"""Who handed in what: learner ids from nbgrader folders, Canvas and Moodle bulk downloads,
per-learner folders at any depth or file names, matched to a roster; one graded file per
learner and assignment, records named after learners whatever else is in the batch."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autograder.cli import EXIT_OK, EXIT_USAGE, main
from autograder.learners import Learner, Roster, RosterError, choose, identify, submission_time
from tests.conftest import ROOT

ROSTER = Roster(
    [
        Learner("s001", "Bob Smith", "bob.smith@uni.edu", "340934"),
        Learner("s002", "Ann Lee", "ann.lee@uni.edu", "77"),
        Learner("alice", "Alice Doe", "alice@uni.edu"),
    ]
)


@pytest.mark.parametrize(
    ("path", "root", "learner", "rule"),
    [
        ("course/submitted/alice/pytorch/01_pytorch_pipeline.ipynb", None, "alice", "nbgrader"),
        ("dl/smithbob_340934_208490284_01_pytorch_pipeline.ipynb", "dl", "s001", "canvas"),
        ("dl/smithbob_LATE_340934_208490284_nb-1.ipynb", "dl", "s001", "canvas"),
        ("md/Ann Lee_77_assignsubmission_file_/notebook.ipynb", "md", "s002", "moodle"),
        ("md/Ann Lee_77_assignsubmission_file_notebook.ipynb", "md", "s002", "moodle"),
        ("class/Alice@Uni.edu/work/deep/x.ipynb", "class", "alice", "folder"),
        ("class/ALICE/01_pytorch_pipeline.ipynb", None, "alice", "folder"),
        ("subs/alice.py", "subs", "alice", "file name"),
    ],
)
def test_each_naming_rule_finds_the_rosters_learner(path, root, learner, rule):
    found = identify(Path(path), Path(root) if root else None, ROSTER)
    assert (found.learner, found.rule, found.known) == (learner, rule, True)


def test_a_name_not_on_the_roster_is_kept_and_marked_unknown():
    found = identify(Path("subs/zed.ipynb"), Path("subs"), ROSTER)
    assert (found.learner, found.known) == ("zed", False)
    assert identify(Path("subs/zed.ipynb"), Path("subs")).known  # no roster: nobody is unknown


def test_a_roster_without_an_id_column_or_with_a_repeated_id_is_refused(tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_text("name,email\nAnn,ann@uni.edu\n")
    with pytest.raises(RosterError, match="expected a header with an 'id' column"):
        Roster.read(bad)
    bad.write_text("id,name\na,Ann\na,Bob\n")
    with pytest.raises(RosterError, match="line 3: id 'a' twice"):
        Roster.read(bad)
    good = tmp_path / "good.csv"
    good.write_text("\ufeffID,Name,Email,LMS_ID,Section\ns9,Eve,eve@uni.edu,123,A\n")
    assert Roster.read(good).find("123") == Learner("s9", "Eve", "eve@uni.edu", "123")


def test_the_latest_file_of_a_learner_is_chosen_nbgraders_timestamp_first(tmp_path):
    older, newer = tmp_path / "a.py", tmp_path / "b.ipynb"
    older.write_text("x")
    newer.write_text("y")
    os.utime(older, (1_000, 1_000))
    os.utime(newer, (2_000, 2_000))
    found = [identify(p, None) for p in (older, newer)]
    for f in found:
        object.__setattr__(f, "learner", "ann")
    (choice,) = choose(found, ["pytorch", "pytorch"])
    assert choice.found.path == newer and choice.others == (older,)
    assert len(choose(found, ["pytorch", "tf2"])) == 2  # two assignments: both graded
    stamped = tmp_path / "submitted" / "ann" / "pytorch"
    stamped.mkdir(parents=True)
    (stamped / "timestamp.txt").write_text("2026-11-30 23:59:00.000000 UTC\n")
    (stamped / "nb.ipynb").write_text("z")
    assert submission_time(stamped / "nb.ipynb") < os.stat(stamped / "nb.ipynb").st_mtime


def _class_tree(root: Path) -> None:
    """A class as an instructor gets it: per-learner folders at two depths, one learner with a
    notebook and an older .py, a Canvas-named file, and someone not on the roster."""
    ref = (ROOT / "examples" / "pytorch" / "reference.ipynb").read_text()
    stub = (ROOT / "assignments" / "01_pytorch_pipeline.ipynb").read_text()
    (root / "alice").mkdir(parents=True)
    (root / "alice" / "01_pytorch_pipeline.ipynb").write_text(ref)
    (root / "bob" / "work").mkdir(parents=True)
    (root / "bob" / "old.py").write_text("def download(url, cache_dir, sha256):\n    pass\n")
    os.utime(root / "bob" / "old.py", (1_000, 1_000))
    (root / "bob" / "work" / "01_pytorch_pipeline.ipynb").write_text(ref)
    (root / "smithbob_340934_208490284_01_pytorch_pipeline.ipynb").write_text(stub)
    (root / "zed").mkdir()
    (root / "zed" / "nb.ipynb").write_text(ref)
    (root / "alice" / ".ipynb_checkpoints").mkdir()
    (root / "alice" / ".ipynb_checkpoints" / "01_pytorch_pipeline-checkpoint.ipynb").write_text(
        stub
    )


def test_a_class_tree_gets_one_record_per_learner_named_after_them(tmp_path, capsys):
    root, out, roster = tmp_path / "class", tmp_path / "out", tmp_path / "roster.csv"
    _class_tree(root)
    roster.write_text(
        "id,name,email,lms_id\nalice,A,,\nbob,B,,\ns001,Bob Smith,,340934\ncarol,C,,\n"
    )
    argv = [
        "grade",
        str(root),
        "--assignment",
        "pytorch",
        "--out",
        str(out),
        "--roster",
        str(roster),
    ]
    assert main(argv) == EXIT_OK
    captured = capsys.readouterr()
    records = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert sorted(records) == ["alice", "bob", "s001", "zed"]
    assert {k: r["learner"] for k, r in records.items()} == {k: k for k in records}
    assert records["bob"]["submission"] == "01_pytorch_pipeline.ipynb"
    assert any("old.py" in note for note in records["bob"]["notes"])
    assert records["alice"]["score"] == records["alice"]["max_score"] > records["s001"]["score"]
    assert "bob: graded 01_pytorch_pipeline.ipynb, the latest of 2 files" in captured.err
    assert "not on the roster (1, graded under the name found): zed" in captured.err
    assert "no submission from (1): carol" in captured.err
    assert "01_pytorch_pipeline.ipynb" not in captured.out.split("results:")[0]  # learners
    # the same learner's key, graded alone, is the same record: kept, not a new learner
    assert main(["grade", str(root / "alice"), "--out", str(out), "--assignment", "pytorch"]) == 0
    assert "unchanged 01_pytorch_pipeline.ipynb" in capsys.readouterr().err
    assert sorted(p.stem for p in out.glob("*.json")) == ["alice", "bob", "s001", "zed"]


def test_a_bad_roster_is_a_usage_error_before_grading(tmp_path, capsys):
    (tmp_path / "roster.csv").write_text("name\nAnn\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    argv = ["grade", str(tmp_path / "a.py"), "--roster", str(tmp_path / "roster.csv")]
    assert main([*argv, "--assignment", "pytorch"]) == EXIT_USAGE
    assert "expected a header with an 'id' column" in capsys.readouterr().err
