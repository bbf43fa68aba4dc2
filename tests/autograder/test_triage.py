"""`dlcourse triage` on a fake class: every case an instructor must look at is named (an
unreadable and an empty file, an import that fails, a syntax error in one cell, a top-level
endless loop, definitions that never finish loading, a probe that runs out of time, identical
and near-identical submissions), and honest work is in no section."""

from __future__ import annotations

import json

import pytest

from autograder.cli import EXIT_OK, main
from tests.conftest import ROOT

pytestmark = pytest.mark.torch


def _notebook(cells: list[str]) -> str:
    ref = json.loads((ROOT / "examples" / "pytorch" / "reference.ipynb").read_text())
    code = [c for c in ref["cells"] if c["cell_type"] == "code"]
    extra = [
        {"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
        for s in cells
    ]
    ref["cells"] = [code[0], *extra, *code[1:]]
    return json.dumps(ref)


def _edited(old: str, new: str) -> str:
    """The reference notebook with ``old`` replaced by ``new`` in its code."""
    ref = json.loads((ROOT / "examples" / "pytorch" / "reference.ipynb").read_text())
    for cell in ref["cells"]:
        text = "".join(cell["source"])
        if old in text:
            cell["source"] = text.replace(old, new)
            return json.dumps(ref)
    raise AssertionError(f"{old!r} is not in the reference")


def _fake_class(root) -> None:  # noqa: ANN001
    ref = (ROOT / "examples" / "pytorch" / "reference.ipynb").read_text()
    files = {
        "alice": ref,
        "bob": ref,  # the same bytes as alice
        "carol": _edited("total_loss", "running_loss"),  # alice's, one name changed
        "dan": '{"cells": [',  # cut short
        "erin": "",
        "frank": _notebook(["import not_a_module_xyz\n"]),
        "gina": _notebook(["def broken(:\n    pass\n"]),
        "hank": _notebook(["while True:\n    pass\n"]),
        "ivan": _notebook(["def slow(x=any(iter(lambda: 0, 1))):\n    pass\n"]),
        "judy": _edited(
            "def to_device(",
            "def to_device(*args):\n    while True:\n        pass\n\n\ndef _unused(",
        ),
    }
    for learner, text in files.items():
        (root / learner).mkdir(parents=True)
        (root / learner / "01_pytorch_pipeline.ipynb").write_text(text)


def test_triage_names_every_case_of_a_fake_class(tmp_path, capsys):
    root, out = tmp_path / "class", tmp_path / "results"
    _fake_class(root)
    argv = ["grade", str(root), "--assignment", "pytorch", "--out", str(out), "--jobs", "2"]
    assert main([*argv, "--load-timeout", "8", "--probe-time-factor", "0.25"]) == EXIT_OK
    capsys.readouterr()
    assert main(["triage", str(out), "--submissions", str(root), "--assignment", "pytorch"]) == 0
    report = capsys.readouterr().out
    body = report.split("\n")
    section = {}
    current = None
    for line in body:
        if not line.startswith("  "):
            current = line.split(" (")[0]
            section[current] = []
        else:
            section[current].append(line.strip())
    unreadable = " ".join(section["unreadable files"])
    assert "dan (" in unreadable and "erin (" in unreadable
    stops = " ".join(section["would not run top to bottom"])
    assert "frank (" in stops and "ModuleNotFoundError" in stops
    assert "gina (" in stops and "syntax error" in stops
    assert "hank (" in stops and "endless loop" in stops
    assert "ivan (" in " ".join(section["never finished loading"])
    assert "judy (" in " ".join(section["time-outs"])
    assert section["identical submissions"] == [
        "alice (01_pytorch_pipeline.ipynb), bob (01_pytorch_pipeline.ipynb)"
    ]
    near = " ".join(section["near-duplicates"])
    assert "alice ~ carol" in near and "bob ~ carol" in near
    everything = report.replace(section["identical submissions"][0], "")
    everything = everything.split("near-duplicates")[0]
    assert "alice (" not in everything  # honest work is in no other section
    record = json.loads((out / "hank.json").read_text())
    assert any("endless loop" in n for n in record["notes"])
