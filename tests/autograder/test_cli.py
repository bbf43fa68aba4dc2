"""The `dlcourse` command line: results files, the class table, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from autograder.cli import EXIT_OK, EXIT_USAGE, main
from tests.conftest import ROOT

pytestmark = pytest.mark.torch

RESULT_KEYS = {"submission", "assignment", "score", "max_score", "steps", "tests", "elapsed_s"}
TEST_KEYS = {"name", "step", "score", "max_score", "status", "message"}


def test_grade_writes_one_json_per_submission_and_prints_a_table(tmp_path, capsys):
    """Does `dlcourse grade` write <stem>.json per submission with the documented schema?"""
    bad = tmp_path / "broken.ipynb"
    bad.write_text("{")
    ref = ROOT / "examples" / "pytorch" / "reference.ipynb"
    code = main(
        ["grade", str(ref), str(bad), "--assignment", "pytorch", "--out", str(tmp_path / "out")]
    )
    assert code == EXIT_OK
    table = capsys.readouterr().out
    assert "reference.ipynb" in table and "broken.ipynb" in table and "total" in table
    good = json.loads((tmp_path / "out" / "reference.json").read_text())
    broken = json.loads((tmp_path / "out" / "broken.json").read_text())
    for record in (good, broken):
        assert set(record) >= RESULT_KEYS
        assert all(set(t) >= TEST_KEYS for t in record["tests"])
        assert all(t["status"] in ("passed", "failed", "error", "timeout") for t in record["tests"])
        assert set(record["steps"]) == {
            "download",
            "data",
            "model",
            "loss_opt",
            "metric",
            "train",
            "report",
        }
    assert good["score"] == good["max_score"] > 0
    assert broken["score"] == 0 and "not valid notebook JSON" in broken["error"]
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_a_file_without_assignment_gets_a_record_and_the_batch_goes_on(tmp_path, capsys):
    """Without --assignment, is a script (no metadata) recorded as an error while notebooks that
    name their assignment are still graded, and does the exit code flag it?"""
    script = tmp_path / "s.py"
    script.write_text("x = 1\n")
    ref = ROOT / "examples" / "pytorch" / "reference.ipynb"
    assert main(["grade", str(script), str(ref), "--out", str(tmp_path / "out")]) == EXIT_USAGE
    assert "pass --assignment" in capsys.readouterr().err
    record = json.loads((tmp_path / "out" / "s.json").read_text())
    assert record["assignment"] == "unknown" and "pass --assignment" in record["error"]
    graded = json.loads((tmp_path / "out" / "reference.json").read_text())
    assert graded["score"] == graded["max_score"]


def test_no_submissions_is_a_usage_error(tmp_path):
    """Is an empty directory a usage error rather than a silent success?"""
    assert main(["grade", str(tmp_path), "--assignment", "pytorch"]) == EXIT_USAGE


def test_a_mistyped_path_or_another_file_type_stops_before_grading(tmp_path, capsys):
    """Is a path that does not exist, or a file that is no notebook or .py, a usage error that
    names it, with nothing graded and no record written (not a 0-point 'learner')?"""
    good = tmp_path / "alice.ipynb"
    good.write_text((ROOT / "examples" / "pytorch" / "reference.ipynb").read_text())
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    out = tmp_path / "out"
    for given, words in (
        ("alcie.ipynb", "no such file or folder"),
        ("notes.pdf", "not a notebook"),
    ):
        code = main(["grade", str(good), str(tmp_path / given), "--out", str(out)])
        assert code == EXIT_USAGE
        err = capsys.readouterr().err
        assert words in err and given in err and "nothing was graded" in err
        assert not out.exists()


def test_ctrl_c_stops_with_one_line_and_the_rerun_continues(tmp_path, capsys, monkeypatch):
    """Ctrl-C after the first of two submissions: one line (no traceback), exit 130, the first
    record kept; the same command then keeps it and grades only the second."""
    import autograder.cli as cli

    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    ref = (ROOT / "examples" / "pytorch" / "reference.ipynb").read_text()
    for name in ("a", "b"):
        (subs / f"{name}.ipynb").write_text(ref)
    real = cli._engine

    class StopsAfterOne:
        def __init__(self, engine):  # noqa: ANN001
            self.engine = engine

        def run(self, tasks):  # noqa: ANN001, ANN202
            for done, pair in enumerate(self.engine.run(tasks)):
                if done == 1:
                    raise KeyboardInterrupt
                yield pair

        def describe(self):  # noqa: ANN202
            return self.engine.describe()

        def close(self):  # noqa: ANN202
            self.engine.close()

    monkeypatch.setattr(cli, "_engine", lambda args, out: StopsAfterOne(real(args, out)))
    assert main(["grade", str(subs), "--out", str(out)]) == cli.EXIT_INTERRUPTED
    err = capsys.readouterr().err
    assert "interrupted; the results written so far are in" in err and "Traceback" not in err
    assert sorted(p.name for p in out.glob("*.json")) == ["a.json"]
    monkeypatch.setattr(cli, "_engine", real)
    assert main(["grade", str(subs), "--out", str(out)]) == EXIT_OK
    err = capsys.readouterr().err
    assert "unchanged a.ipynb: 56/56 (kept)" in err and "graded b.ipynb" in err


def test_time_limits_are_flags_with_their_defaults_in_the_help(tmp_path, capsys):
    """Do --load-timeout, --submission-timeout and --probe-time-factor show their defaults, and
    does a short load limit end a definition that never finishes loading, with a record?"""
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    usage = " ".join(capsys.readouterr().out.split())
    assert "--load-timeout S" in usage and "(default 60;" in usage
    assert "(default 300)" in usage and "--probe-time-factor X" in usage
    looping = tmp_path / "loop.py"
    looping.write_text("def download(url=any(iter(lambda: 0, 1))):\n    pass\n")
    argv = ["grade", str(looping), "--assignment", "pytorch", "--out", str(tmp_path / "out")]
    assert main([*argv, "--load-timeout", "2"]) == EXIT_OK
    record = json.loads((tmp_path / "out" / "loop.json").read_text())
    assert record["score"] == 0 and record["elapsed_s"] < 30
    assert "loading your code before the time limit" in record["tests"][0]["message"]
    with pytest.raises(SystemExit) as refused:
        main([*argv, "--load-timeout", "0"])
    assert refused.value.code == EXIT_USAGE
    assert "expected a positive number, got '0'" in capsys.readouterr().err


def test_unknown_assignment_is_rejected_by_the_parser():
    """Is an unknown --assignment refused with exit code 2?"""
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "grade", "x.py", "--assignment", "nope"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == EXIT_USAGE and "invalid choice" in proc.stderr


def test_the_grader_process_never_imports_a_framework(tmp_path):
    """Do verdicts run without torch in the grader (learner code only in the worker)?"""
    ref = ROOT / "examples" / "pytorch" / "reference.ipynb"
    probe = (
        "import sys\nfrom autograder.grade import grade_file\n"
        f"r = grade_file({str(ref)!r}, 'pytorch')\n"
        "print(r.score, r.max_score, 'torch' in sys.modules, 'tensorflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == out[1] and out[2:] == ["False", "False"]


def test_rerun_keeps_unchanged_results_and_regrades_changed_ones(tmp_path, capsys):
    """Does a rerun skip submissions whose bytes and hidden-test version did not change, and
    grade again the ones that changed or whose result file is corrupt?"""
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    ref = (ROOT / "examples" / "pytorch" / "reference.ipynb").read_text()
    for name in ("a", "b", "c"):
        (subs / f"{name}.ipynb").write_text(ref)
    assert main(["grade", str(subs), "--out", str(out)]) == EXIT_OK
    capsys.readouterr()
    (subs / "b.ipynb").write_text(ref.replace("lr=lr", "lr=0.5"))  # b changed
    (out / "c.json").write_text('{"submission": "c.ipynb", "assig')  # c's result cut short
    assert main(["grade", str(subs), "--out", str(out)]) == EXIT_OK
    err = capsys.readouterr().err
    assert "unchanged a.ipynb: 56/56 (kept)" in err
    assert "grading 2 submissions" in err
    assert "[1/2] graded b.ipynb" in err and "[2/2] graded c.ipynb" in err
    assert "left" in err and "done: 3 submissions" in err and "2 graded" in err
    assert "1 kept" in err and "per minute" in err
    assert (
        json.loads((out / "b.json").read_text())["score"]
        < json.loads((out / "a.json").read_text())["score"]
    )
    assert main(["grade", str(subs), "--out", str(out), "--force"]) == EXIT_OK
    assert "unchanged" not in capsys.readouterr().err


def test_changed_hidden_tests_regrade_and_say_what_changed(tmp_path, capsys, monkeypatch):
    """After a hidden test's points change (nobody bumps a version string), does a rerun regrade
    the records of the old tests, keep none of them, and print each learner's old -> new score
    with the tests that moved? And does an unchanged suite keep them again afterwards?"""
    import dataclasses

    from autograder.hidden.pytorch import suite as pytorch_suite

    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    ref = (ROOT / "examples" / "pytorch" / "reference.ipynb").read_text()
    (subs / "alice.ipynb").write_text(ref)
    (subs / "bob.ipynb").write_text(ref.replace("lr=lr", "lr=0.5"))
    assert main(["grade", str(subs), "--out", str(out)]) == EXIT_OK
    before = {n: json.loads((out / f"{n}.json").read_text()) for n in ("alice", "bob")}
    capsys.readouterr()
    old = pytorch_suite.SUITE
    tests = [dataclasses.replace(t, points=3) if t.name == "fit_history" else t for t in old.tests]
    changed = dataclasses.replace(old, tests=tests)
    assert changed.version == old.version and changed.record_version != old.record_version
    monkeypatch.setattr(pytorch_suite, "SUITE", changed)
    assert main(["grade", str(subs), "--out", str(out)]) == EXIT_OK
    err = capsys.readouterr().err
    assert "unchanged" not in err
    assert (
        "regraded alice.ipynb (hidden tests changed): 56 -> 58 of 56 -> 58; fit_history 1 -> 3"
        in err
    )
    bob = before["bob"]["score"]
    assert f"regraded bob.ipynb (hidden tests changed): {bob:g} -> {bob + 2:g}" in err
    after = json.loads((out / "alice.json").read_text())
    assert after["suite_version"] == changed.record_version != before["alice"]["suite_version"]
    assert main(["grade", str(subs), "--out", str(out)]) == EXIT_OK
    assert "unchanged alice.ipynb: 58/58 (kept)" in capsys.readouterr().err


def test_result_names_stay_unique_when_submissions_share_a_name():
    """Do two files called reference.ipynb (in two folders, or twice) get distinct result files?"""
    from pathlib import Path

    from autograder.cli import _stems

    paths = [
        Path("a/reference.ipynb"),
        Path("b/reference.ipynb"),
        Path("b/reference.py"),
        Path("c/x.py"),
    ]
    assert _stems(paths) == ["a__reference", "b__reference", "b__reference-2", "x"]


def test_check_command_runs_public_checks_on_a_file(tmp_path, capsys):
    """Can a learner working in a .py file run the notebook's public checks from the terminal?"""
    from autograder.cli import EXIT_CHECKS_FAIL

    assert (
        main(["check", str(ROOT / "examples" / "pytorch" / "reference.ipynb"), "metric"]) == EXIT_OK
    )
    assert "check('metric'): all checks pass" in capsys.readouterr().out
    stub = ROOT / "assignments" / "01_pytorch_pipeline.ipynb"
    assert main(["check", str(stub)]) == EXIT_CHECKS_FAIL
    out = capsys.readouterr().out
    assert out.startswith("progress: 0/7 steps") and "NOT IMPLEMENTED" not in out
    script = tmp_path / "mine.py"
    script.write_text(  # a real accuracy: a constant no longer passes the default check
        "def accuracy(logits, targets):\n"
        "    return float((logits.argmax(dim=1) == targets).float().mean())\n"
    )
    assert main(["check", str(script), "metric", "--assignment", "pytorch"]) == EXIT_CHECKS_FAIL
    assert "[PASS] accuracy" in capsys.readouterr().out


def test_a_terminal_gets_one_progress_bar_redrawn_in_place(tmp_path, monkeypatch, capsys):
    """On a terminal, is progress a bar redrawn with carriage returns, with the ETA?"""
    import io

    from autograder.cli import grade_paths

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    stub = ROOT / "assignments" / "01_pytorch_pipeline.ipynb"
    paths = []
    for name in ("a", "b"):
        (tmp_path / f"{name}.ipynb").write_text(stub.read_text())
        paths.append(tmp_path / f"{name}.ipynb")
    grade_paths(paths, "pytorch", None, resume=False)
    text = terminal.getvalue()
    assert "\r\033[K[############............] [1/2] graded" in text
    assert "\r\033[K[########################] [2/2] graded" in text and "left" in text
