"""Hostile submissions earn nothing, leak nothing, leave nothing behind, and cannot touch an
honest submission graded in the same batch."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import uuid

import psutil
import pytest

from autograder.cli import grade_paths
from autograder.engines import LocalEngine
from autograder.extract import extract
from autograder.grade import grade_file
from autograder.isolation import PACKAGE_ROOT
from autograder.reader import read_submission
from tests.conftest import ROOT
from tests.security.attacks import ATTACKS, render

pytestmark = [pytest.mark.torch, pytest.mark.slow]

SECRET_MARKERS = (
    "dlcourse-hidden-2026-11",  # the seed salt (autograder/hidden/base.py)
    "def loaders_test",  # verdict source
    "BEGIN SOLUTION",  # solutions/
    "torch.optim.Adam(model.parameters(), lr=lr)",  # the reference's code
    "LOOP_HEAD",  # solutions/mutants_pytorch.py
)


def _full_isolation_available() -> bool:
    probe = grade_file(ROOT / "assignments" / "01_pytorch_pipeline.ipynb", "pytorch")
    return probe.sandbox == "mount, net, pid"


class Listener:
    """A loopback TCP server that records every connection it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.received.append(conn.recv(1024) or b"<connected>")
                except OSError:
                    self.received.append(b"<connected>")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def _worker_processes() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        ours = str(PACKAGE_ROOT) in cmdline  # not another checkout's grader running beside us
        if ours and ("autograder.worker.boot" in cmdline or "autograder.worker.zygote" in cmdline):
            found.append(proc)
    return found


@pytest.fixture(scope="module", params=["warm", "cold"])
def batch(request, tmp_path_factory):
    """The attacks graded in one batch, with workers forked from a warm zygote (the default)
    and with workers started from scratch (``--cold``): every guarantee must hold for both."""
    if not _full_isolation_available():
        pytest.skip("this machine refuses namespaces: hostile code would run unconfined here")
    base = tmp_path_factory.mktemp("hostile")
    subs, out = base / "submissions", base / "results"
    subs.mkdir()
    canary = PACKAGE_ROOT / f".security-canary-{uuid.uuid4().hex[:8]}"
    canary.mkdir()
    (canary / "keep.txt").write_text("still here")
    listener = Listener()
    marker = f"HOSTILE-{uuid.uuid4().hex}"
    stub = extract(read_submission(ROOT / "assignments" / "01_pytorch_pipeline.ipynb")).code
    shutil.copy(ROOT / "examples" / "pytorch" / "reference.ipynb", subs / "reference.ipynb")
    for name, attack in ATTACKS.items():
        code = stub + render(attack, port=listener.port, marker=marker, out=out, canary=canary)
        (subs / f"{name}.py").write_text(code)
    (subs / "stub.py").write_text(stub)
    before = {p.pid for p in _worker_processes()}
    paths = sorted(subs.iterdir())
    started = time.monotonic()
    engine = LocalEngine(jobs=2, warm=request.param == "warm", private_dirs=[out])
    try:
        graded = grade_paths(paths, "pytorch", out, quiet=True, engine=engine)
    finally:
        engine.close()
    results = {r.submission.rsplit(".", 1)[0]: r for r in graded}
    elapsed = time.monotonic() - started
    honest_json = (out / "reference.json").read_text()
    time.sleep(6)  # give a surviving daemon time to strike (it waits 4 s)
    yield {
        "results": results,
        "out": out,
        "honest_json": honest_json,
        "honest_json_later": (out / "reference.json").read_text(),
        "received": list(listener.received),
        "marker": marker,
        "leftover": [p for p in _worker_processes() if p.pid not in before],
        "canary": canary,
        "elapsed": elapsed,
    }
    listener.close()
    shutil.rmtree(canary, ignore_errors=True)


def test_there_are_at_least_twenty_distinct_attacks():
    """Does the suite try at least 20 different attacks?"""
    assert len(ATTACKS) >= 20


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_earns_nothing_beyond_the_stub(batch, name):
    """Does this attack score no more than the untouched stub (which scores 0)?"""
    stub, hostile = batch["results"]["stub"], batch["results"][name]
    assert stub.score == 0
    assert hostile.score <= stub.score, [(t.name, t.status) for t in hostile.tests if t.score > 0]
    assert len(hostile.tests) == len(stub.tests)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_leaks_nothing_into_its_result(batch, name):
    """Does no result record quote hidden tests, the salt of the seeds, or the solutions?"""
    text = (batch["out"] / f"{name}.json").read_text()
    for secret in SECRET_MARKERS:
        assert secret not in text


def test_honest_submission_in_the_same_batch_is_untouched(batch):
    """Does the reference, graded beside 24 attackers, keep full marks and an intact file?"""
    honest = batch["results"]["reference"]
    assert honest.score == honest.max_score > 0
    assert batch["honest_json"] == batch["honest_json_later"]
    assert json.loads(batch["honest_json_later"])["score"] == honest.max_score


def test_no_connection_reaches_a_loopback_listener(batch):
    """Does the real loopback listener stay without a single connection?"""
    assert batch["received"] == []


def test_no_process_survives_the_batch(batch):
    """Is every process a submission started (daemons and fork swarms included) gone?"""
    assert batch["leftover"] == []


def test_results_directory_holds_only_the_graders_files(batch):
    """Could any attack add or change files in the results directory?"""
    names = sorted(p.name for p in batch["out"].iterdir())
    assert names == sorted(f"{n}.json" for n in [*ATTACKS, "reference", "stub"])
    for path in batch["out"].iterdir():
        data = json.loads(path.read_text())
        assert data["submission"].startswith(path.stem)


def test_files_outside_the_sandbox_are_intact(batch):
    """Did the delete attack fail to remove a file that the worker could see (read-only)?"""
    assert (batch["canary"] / "keep.txt").read_text() == "still here"


def test_hidden_files_exist_where_the_worker_cannot_read_them():
    """Are the grader-only modules real files on the host, outside every path of the worker's
    view (so hiding them is meaningful)?"""
    from autograder.isolation import view

    files = sorted((PACKAGE_ROOT / "autograder" / "hidden").rglob("*.py"))
    exposed = view()
    assert any(f.name == "suite.py" for f in files) and all(f.is_file() for f in files)
    for f in files:
        assert not any(f.is_relative_to(d) for d in exposed.dirs), f


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("memory_bomb", "MB of memory"),
        ("ignore_signals_and_loop", "did not finish"),
        ("patch_numpy_comparisons", "replaces functions"),
        ("forge_the_channel", "replaces functions"),
        ("os_exit_in_calls", "exited with code 0"),
    ],
)
def test_attacks_are_named_in_feedback(batch, name, words):
    """Does the result say what happened (memory cap, timeout, tampering, exit)?"""
    messages = " ".join(t.message for t in batch["results"][name].tests)
    assert words in messages


def test_flooding_output_does_not_slow_or_break_grading(batch):
    """Is the flood's output capped, with the batch finishing in reasonable time?"""
    flood = batch["results"]["flood_stdout"]
    assert flood.score == 0 and len(flood.tests) > 30
    assert batch["elapsed"] < 600
