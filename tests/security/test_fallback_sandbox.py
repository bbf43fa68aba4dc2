"""Where namespaces are refused, the fallback (audit hook, limits, process group) still blocks
the network and the hidden files. Forced here with DLCOURSE_SANDBOX=basic."""

from __future__ import annotations

import pytest

from autograder.extract import extract
from autograder.grade import grade_file
from autograder.isolation import hidden_files
from autograder.reader import read_submission
from tests.conftest import ROOT
from tests.security.attacks import in_calls, render
from tests.security.test_hostile_submissions import Listener

pytestmark = pytest.mark.torch

SNOOP = """
import os, socket
found = []
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"fallback")
    found.append("CONNECTED")
except Exception as exc:
    found.append(f"net refused: {type(exc).__name__}")
for path in {paths}:
    try:
        found.append(f"READ {path}: " + open(path).read()[:80])
    except Exception as exc:
        found.append(f"{type(exc).__name__}")
raise RuntimeError(" | ".join(found))
"""


def test_basic_sandbox_blocks_network_and_hidden_files(tmp_path, monkeypatch):
    """Without namespaces, are loopback connections and reads of hidden files still refused?"""
    monkeypatch.setenv("DLCOURSE_SANDBOX", "basic")
    listener = Listener()
    try:
        secrets = [*hidden_files()[:3], str(ROOT / "solutions" / "01_pytorch_pipeline.py")]
        stub = extract(read_submission(ROOT / "assignments" / "01_pytorch_pipeline.ipynb")).code
        attack = render(in_calls(SNOOP, ("make_loss",)), port=listener.port, paths=repr(secrets))
        path = tmp_path / "snoop.py"
        path.write_text(stub + attack)
        result = grade_file(path, "pytorch")
    finally:
        listener.close()
    assert result.sandbox == "basic"
    message = next(t.message for t in result.tests if t.name == "loss_is_mean_cross_entropy")
    assert "net refused: PermissionError" in message
    assert "READ" not in message and message.count("PermissionError") == 1 + len(secrets)
    assert listener.received == []
    assert result.score == 0


def test_basic_sandbox_still_grades_the_reference_fully(monkeypatch):
    """Does the fallback keep correct code at full marks (no false alarms from the audit hook)?"""
    monkeypatch.setenv("DLCOURSE_SANDBOX", "basic")
    result = grade_file(ROOT / "examples" / "pytorch" / "reference.ipynb", "pytorch")
    assert result.sandbox == "basic"
    assert result.score == result.max_score


@pytest.mark.tensorflow
def test_patching_keras_in_a_tf2_run_is_noticed(tmp_path):
    """Does replacing a Keras function (to fake what probes see) void the tests, as for torch?"""
    stub = extract(read_submission(ROOT / "assignments" / "02_tf2_pipeline.ipynb")).code
    path = tmp_path / "patch_keras.py"
    path.write_text(
        stub + "\n\nclass _Attack:\n    import keras\n    keras.ops.argmax = lambda *a, **k: 0\n"
    )
    result = grade_file(path, "tf2")
    assert result.score == 0
    assert any(
        "replaces functions" in t.message and "keras.ops.argmax" in t.message for t in result.tests
    )
