"""The worker's probe children: one child runs probe after probe while it stays as clean as a
fresh fork, and is replaced when it dies, hangs, tampers, or keeps a change it cannot undo.

These run ``autograder.worker.runtime`` directly with a small probes module of our own (no
framework, no sandbox), so what they show is the mechanism itself; ``test_grade_faults.py`` and
the mutant tests show it inside real grading.
"""

from __future__ import annotations

import os
import time
import types

import pytest

from autograder.worker import runtime, tamper


def _probes() -> types.SimpleNamespace:
    def pid(ctx):
        return {"pid": os.getpid(), "cwd": os.getcwd()}

    def learner(ctx, function: str):
        return {"pid": os.getpid(), "value": ctx.call(function)}

    def stand_in(ctx):
        """Like the fit probes: put a trusted stand-in into the learner's module."""
        vars(ctx.module)["helper"] = lambda: "trusted stand-in"
        return {"pid": os.getpid(), "value": ctx.call("helper")}

    def write(ctx, fd: int):
        """What learner code could try: write a forged frame into the grader's channel."""
        try:
            os.write(fd, b"forged")
        except OSError as exc:
            return {"pid": os.getpid(), "error": exc.strerror}
        return {"pid": os.getpid(), "error": None}

    probes = {
        "pid": pid,
        "learner": learner,
        "stand_in": stand_in,
        "write": write,
        "solo": pid,
        "solo_write": write,
    }
    return types.SimpleNamespace(PROBES=probes, SOLO_PROBES=frozenset({"solo", "solo_write"}))


LEARNER = """
import os, signal, time, threading
COUNT = 0
SEEN = []

def helper():
    return "learner's helper"

def rebind():
    global COUNT
    COUNT += 1
    return COUNT

def remember():
    SEEN.append(1)
    return len(SEEN)

def move():
    os.chdir("/")
    return os.getcwd()

def setenv():
    os.environ["LEARNER_WAS_HERE"] = "1"
    return 1

def background():
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
    return 1

def crash():
    os.kill(os.getpid(), signal.SIGKILL)

def hang():
    while True:
        pass
"""


@pytest.fixture
def worker(tmp_path, monkeypatch):
    """A worker's state: the probes imported, the modules to watch remembered, a shared child
    that loads the learner's code itself (this process, like the worker, never runs it)."""
    monkeypatch.chdir(tmp_path)
    probes = _probes()
    tamper.protect()
    grader_r, grader_w = os.pipe()  # stands for the worker's channel to the grader
    shared = runtime._SharedChild(probes, LEARNER, closes=(grader_w,))
    loaded = shared.start()
    assert loaded["ok"], loaded

    def run(probe: str, timeout: float = 10.0, **params):
        request = {"name": probe, "seed": 1, "params": params, "timeout": timeout}
        if probe in probes.SOLO_PROBES:
            closes = (grader_w, *shared.fds())
            return runtime._run_in_child(probes, LEARNER, request, closes)
        return shared.run(request)

    run.grader_channel = grader_w
    yield run
    shared.close()
    os.close(grader_r)
    os.close(grader_w)


def _obs(reply):
    assert reply["status"] == "ok", reply
    return reply["obs"]


def test_consecutive_probes_share_one_child(worker):
    """Do probes that leave nothing behind run in the same child (no new process each time)?"""
    pids = {_obs(worker("pid"))["pid"] for _ in range(4)}
    assert len(pids) == 1 and os.getpid() not in pids


def test_a_solo_probe_gets_a_fresh_child(worker):
    """Does a probe listed in SOLO_PROBES run in a child of its own, leaving the shared one?"""
    shared = _obs(worker("pid"))["pid"]
    solo = _obs(worker("solo"))["pid"]
    assert solo != shared
    assert _obs(worker("pid"))["pid"] == shared


def test_a_rebound_global_is_put_back_without_a_new_child(worker):
    """Does ``global COUNT; COUNT += 1`` in one probe leave the next probe a fresh COUNT, in
    the same child (rebinding is undone, not a reason to start over)?"""
    first, second = (
        _obs(worker("learner", function="rebind")),
        _obs(worker("learner", function="rebind")),
    )
    assert first["value"] == second["value"] == 1
    assert first["pid"] == second["pid"]


def test_a_stand_in_put_into_the_module_does_not_reach_the_next_probe(worker):
    """When a probe replaces a learner function by a trusted stand-in, does the next probe see
    the learner's own function again?"""
    assert _obs(worker("stand_in"))["value"] == "trusted stand-in"
    assert _obs(worker("learner", function="helper"))["value"] == "learner's helper"


@pytest.mark.parametrize("function", ["remember", "setenv", "background"])
def test_a_change_that_cannot_be_undone_retires_the_child(worker, function):
    """Does a probe that mutates the learner's own list, the environment, or leaves a thread
    running make the next probe start in a fresh child, with a fresh state?"""
    first = _obs(worker("learner", function=function))
    second = _obs(worker("learner", function=function))
    assert second["pid"] != first["pid"]
    assert second["value"] == first["value"] == 1


def test_the_working_directory_is_put_back(worker, tmp_path):
    """Does a probe that changes directory leave the next probe in the worker's directory,
    in the same child?"""
    moved = _obs(worker("learner", function="move"))
    assert moved["value"] == "/"
    after = _obs(worker("pid"))
    assert after["cwd"] == str(tmp_path) and after["pid"] == moved["pid"]


def test_a_crash_costs_its_own_probe_and_the_next_runs_in_a_new_child(worker):
    """Is a probe that kills its process 'crashed', and does the next probe still get answered?"""
    before = _obs(worker("pid"))["pid"]
    crashed = worker("learner", function="crash")
    assert crashed["status"] == "crashed" and "SIGKILL" in crashed["detail"]
    after = _obs(worker("pid"))["pid"]
    assert after != before


def test_a_hang_times_out_and_the_next_probe_runs_in_a_new_child(worker):
    """Is a probe that never returns stopped at its limit, and is the hung child replaced?"""
    before = _obs(worker("pid"))["pid"]
    started = time.monotonic()
    hung = worker("learner", timeout=1.0, function="hang")
    assert hung["status"] == "timeout" and time.monotonic() - started < 5
    with pytest.raises(ProcessLookupError):
        os.kill(before, 0)  # the hung child was killed and reaped
    assert _obs(worker("pid"))["pid"] != before


@pytest.mark.parametrize("probe", ["write", "solo_write"])
def test_a_probe_child_cannot_write_into_the_graders_channel(worker, probe):
    """Is the worker's channel to the grader closed in every probe child, so learner code
    cannot forge the worker's answers?"""
    reply = _obs(worker(probe, fd=worker.grader_channel))
    assert reply["error"] == "Bad file descriptor"
