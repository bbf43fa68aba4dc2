"""Whatever arrives on a channel is refused quickly, without bloating the reader.

Each frame is built and written by a separate process (so that building it costs the test
process nothing) into a pipe that this process reads with ``channel.receive``, exactly as the
grader reads a worker's response pipe. The reader's resident memory is sampled all along.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time

import psutil
import pytest

from autograder import channel
from autograder.codec import CodecError

# Python expressions (``struct`` imported) for the bytes a forger writes: header and payload.
_MB = 1_000_000


def _framed(payload: str) -> str:
    return f"(lambda p: struct.pack('>I', len(p)) + p)({payload})"


HOSTILE = {
    "60 MB of nested empty lists (over max_bytes)": (
        _framed("b'[' + b'[],' * 20_000_000 + b'[]]'"),
        CodecError,
        "max_bytes",
    ),
    "15 MB of nested empty lists (under max_bytes)": (
        _framed("b'[' + b'[[],[]],' * 1_800_000 + b'[]]'"),
        CodecError,
        "max_objects",
    ),
    # 100k brackets are over max_objects already; 50k deep is under it and refused for depth
    "100k deep": (_framed("b'[' * 100_000 + b']' * 100_000"), CodecError, "max_objects"),
    "50k deep": (_framed("b'[' * 50_000 + b']' * 50_000"), CodecError, "max_depth"),
    "5 million tiny objects": (
        _framed("b'[' + b'0,' * 5_000_000 + b'0]'"),
        CodecError,
        "max_objects",
    ),
    "5 million empty strings": (
        _framed("b'[' + b'\"\",' * 5_000_000 + b'\"\"]'"),
        CodecError,
        "max_objects",
    ),
    "fake array header of shape [10**12]": (
        _framed('b\'{"__ndarray__": {"dtype": "float64", "shape": [1000000000000], "data": ""}}\''),
        CodecError,
        "max_array_elements",
    ),
    "length header claiming 4 GB": (
        "struct.pack('>I', 2**32 - 1) + b'[1]'",
        CodecError,
        "max_bytes",
    ),
    "truncated frame": ("struct.pack('>I', 1000) + b'[1, 2'", channel.ChannelClosed, "5/1000"),
    "invalid UTF-8": (_framed("b'[\"\\xff\\xfe\\xfd\"]'"), CodecError, "not ASCII"),
    "__float__ with a 1 MB string": (
        _framed("b'{\"__float__\": \"' + b'9' * 1_000_000 + b'\"}'"),
        CodecError,
        "expected one of",
    ),
    "a 12 MB string with one wide escape": (
        _framed("b'[\"' + b'a' * 12_000_000 + b'\\\\ud83d\\\\ude00\"]'"),
        CodecError,
        "max_string_chars",
    ),
    "a number of a million digits": (
        _framed("b'[' + b'9' * 1_000_000 + b']'"),
        CodecError,
        "number",
    ),
}

_WRITER = """
import os, struct, sys
data = eval(sys.argv[2])
fd = int(sys.argv[1])
try:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
except OSError:
    pass  # the reader refused and closed its end
"""


class PeakRss:
    """Samples this process's resident set size every 2 ms; ``peak - base`` is the growth."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.base = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.002)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.base) / _MB


def _receive_from_writer(expr: str) -> tuple[BaseException | None, float, float]:
    """Start a writer process for ``expr``; return (what receive raised, seconds, RSS growth)."""
    r, w = os.pipe()
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(w), expr], pass_fds=(w,))
    os.close(w)
    raised: BaseException | None = None
    try:
        with PeakRss() as rss:
            started = time.monotonic()
            try:
                channel.receive(r, deadline=started + 60)
            except Exception as exc:  # noqa: BLE001 - the test inspects it
                raised = exc
            elapsed = time.monotonic() - started
    finally:
        os.close(r)
        writer.wait(timeout=60)
    return raised, elapsed, rss.growth_mb


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_frame_is_refused_quickly_without_bloating_the_reader(kind):
    """Is each forged frame refused (naming why), within seconds, with the reader's RSS growing
    by less than 200 MB?"""
    expr, expected, words = HOSTILE[kind]
    raised, elapsed, growth = _receive_from_writer(expr)
    assert isinstance(raised, expected), f"{kind}: expected {expected.__name__}, got {raised!r}"
    assert words in str(raised)
    # the time counts waiting for the writer to build and send its frame (a second or two on a
    # busy 2-core machine); decoding refusals themselves take well under a second
    assert elapsed < 20, f"{kind}: refused only after {elapsed:.1f} s"
    assert growth < 200, f"{kind}: the reader grew by {growth:.0f} MB"


_ALL_IN_A_FRESH_READER = """
import resource
from tests.security import test_hostile_frames as t
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for expr, _, _ in t.HOSTILE.values():
    t._receive_from_writer(expr)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1000)
"""


def test_all_hostile_frames_together_keep_the_readers_peak_under_a_gigabyte():
    """After every hostile frame, has a reader's lifetime peak RSS grown by under 1 GB
    (ru_maxrss, which no sampling can miss)? The reader is a fresh process: this one's lifetime
    peak counts whatever earlier tests loaded."""
    done = subprocess.run(
        [sys.executable, "-c", _ALL_IN_A_FRESH_READER],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    grown_mb = float(done.stdout.split()[-1])
    assert grown_mb < 1000, f"peak RSS grew by {grown_mb:.0f} MB"


def test_an_honest_frame_near_the_limits_still_arrives():
    """Does a frame of 8 MB of array data and 50k small objects come through intact?"""
    expr = _framed(
        "__import__('autograder.codec').codec.encode("
        "{'a': __import__('numpy').ones(1_000_000), 'b': list(range(50_000))})"
    )
    r, w = os.pipe()
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(w), expr], pass_fds=(w,), env=env)
    os.close(w)
    try:
        got = channel.receive(r, deadline=time.monotonic() + 60)
    finally:
        os.close(r)
        writer.wait(timeout=60)
    assert got["a"].shape == (1_000_000,) and float(got["a"].sum()) == 1_000_000
    assert got["b"] == list(range(50_000))


# -- end to end: a submission that writes such a frame into the worker's response pipe ----------

_FIND_AND_WRITE = """
class _Attack:
    import gc, os, struct, sys
    payload = b"[" + b"[]," * ({size} // 3) + b"[]]"
    frame = struct.pack(">I", len(payload)) + payload
    fds = []
    if {walk}:  # the response fd is an int local of a caller (worker/runtime.py: serve)
        f = sys._getframe()
        while f is not None:
            for name in ("response_fd", "resp_w", "fd"):
                value = f.f_locals.get(name)
                if type(value) is int and value > 2 and value not in fds:
                    fds.append(value)
            f = f.f_back
    paths = []
    if {brute}:  # or any fd at all, directly or through /proc
        fds += sorted(set(range(3, 51)) - set(fds))  # (a class body: no comprehension reads fds)
        paths = ["/proc/%s/fd/%d" % (p, n) for p in ("1", "self") for n in range(3, 51)]
    written = []
    for fd in fds:
        try:
            view = memoryview(frame)
            while view:
                view = view[os.write(fd, view):]
            written.append(fd)
        except OSError:
            pass
    for path in paths:
        try:
            with open(path, "wb", buffering=0) as out:
                out.write(frame)
            written.append(path)
        except OSError:
            pass
"""

# Load-time code in the probe child takes the child's own reply pipe from the frames of its
# callers (worker/runtime.py: _SharedChild.start) and writes, before the real load report, a
# forged one and a run of malformed replies, each with the tamper digest it computes before
# patching anything (so the supervisor lets them through to the grader's checks): an
# observation of the wrong type, of the wrong shape, an elapsed time that is no number, an
# unknown status, an observation of nested junk.
_FORGE_REPLIES = """
class _Forge:
    import json, os, struct, sys
    def frame(obj, json=json, struct=struct):
        p = json.dumps(obj).encode()
        return struct.pack(">I", len(p)) + p
    junk = [
        {"op": "loaded", "ok": True, "error": None, "names": ["train"], "tampered": []},
        {"status": "ok", "obs": [1, 2, 3]},
        {"status": "ok", "obs": {"logits": "x" * 1000, "shape": [-1], "loss": [[[]]]}},
        {"status": "ok", "obs": {}, "elapsed_s": "forged"},
        {"status": "passed", "score": 1e9},
        {"status": "ok", "obs": {"accuracy": "nan", "learner_error": 7}},
        {"status": "ok", "obs": [[[[[[[[[[[]]]]]]]]]]]},
    ]
    f, fds, digest = sys._getframe(), [], None
    while f is not None:
        for name in ("from_child_w", "write_fd"):
            value = f.f_locals.get(name)
            if type(value) is int and value > 2 and value not in fds:
                fds.append(value)
        checker = f.f_globals.get("tamper")
        if digest is None and hasattr(checker, "digest"):  # nothing is patched yet: the
            digest = checker.digest()  # supervisor's own digest, so the frames get through
        f = f.f_back
    integrity = {"digest": digest, "changed": []}
    junk = list(map(lambda j, i=integrity: dict(j, integrity=i), junk))
    data = b"".join(map(frame, junk * 20))
    for fd in fds:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        except OSError:
            pass
"""

FRAME_ATTACKS = {
    # the worker's channel is out of the child's reach: these find no fd of it to write to and
    # are graded as the stub
    "frame_63mb_via_caller_frames": _FIND_AND_WRITE.format(size=63_000_000, walk=True, brute=False),
    "frame_15mb_via_caller_frames": _FIND_AND_WRITE.format(size=15_000_000, walk=True, brute=False),
    # writing into every fd reaches the child's own reply pipe: the supervisor refuses the frame
    "frame_15mb_to_every_fd_and_proc": _FIND_AND_WRITE.format(
        size=15_000_000, walk=False, brute=True
    ),
    "malformed_replies_via_the_childs_pipe": _FORGE_REPLIES,
}
REACHED = {
    "frame_15mb_to_every_fd_and_proc": "frame refused",
    "malformed_replies_via_the_childs_pipe": "does not have the documented form",
}
"""What the records of the attacks that reach a pipe say (proof that they ran)."""


def _grade_in_a_grader_process(args: list[str]) -> tuple[int, float]:
    """Run ``dlcourse grade`` as its own process, as an instructor does; return its exit code and
    the peak resident set size of that grader process itself (MB; workers not counted), sampled
    every 10 ms."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "autograder.cli", "grade", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    watched, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss)
        time.sleep(0.01)
    return proc.returncode, peak / _MB


@pytest.mark.torch
@pytest.mark.tensorflow
@pytest.mark.slow
@pytest.mark.parametrize(
    ("assignment", "warm", "jobs"),
    [("pytorch", True, 2), ("pytorch", False, 1), ("tf2", True, 1), ("bridge", False, 2)],
    ids=["pytorch-warm-jobs2", "pytorch-cold-jobs1", "tf2-warm-jobs1", "bridge-cold-jobs2"],
)
def test_submission_writing_a_hostile_frame_costs_only_itself(assignment, warm, jobs, tmp_path):
    """Graded first, beside the reference and the stub: does each attacker earn no more than the
    stub, the reference keep full marks, every file get a result, and the grader's own RSS stay
    under 1 GB? (The bridge runs two workers per submission, one per framework.)"""
    from autograder.assignments import get_assignment
    from autograder.extract import extract
    from autograder.reader import read_submission
    from autograder.results import SubmissionResult
    from tests.conftest import ROOT
    from tests.security.test_hostile_submissions import _full_isolation_available

    if not _full_isolation_available():
        pytest.skip("this machine refuses namespaces: hostile code would run unconfined here")
    subs, out = tmp_path / "submissions", tmp_path / "results"
    subs.mkdir()
    stub = extract(read_submission(ROOT / get_assignment(assignment).notebook)).code
    paths = []
    for name, attack in FRAME_ATTACKS.items():
        path = subs / f"{name}.py"
        path.write_text(stub + attack)
        paths.append(path)
    (subs / "stub.py").write_text(stub)
    paths += [subs / "reference.ipynb", subs / "stub.py"]
    import shutil

    shutil.copy(ROOT / "examples" / assignment / "reference.ipynb", subs / "reference.ipynb")
    args = [*map(str, paths), "--assignment", assignment, "--out", str(out), "--jobs", str(jobs)]
    code, peak_mb = _grade_in_a_grader_process(args + ([] if warm else ["--cold"]))
    assert code == 0
    graded = [SubmissionResult.from_dict(json.loads(p.read_text())) for p in out.glob("*.json")]
    results = {r.submission.rsplit(".", 1)[0]: r for r in graded}
    assert sorted(results) == sorted(p.stem for p in paths)
    stub_result, honest = results["stub"], results["reference"]
    assert honest.score == honest.max_score > 0
    for name in FRAME_ATTACKS:
        hostile = results[name]
        assert hostile.score <= stub_result.score, [(t.name, t.status) for t in hostile.tests]
        assert len(hostile.tests) == len(stub_result.tests)
        messages = " ".join(t.message for t in hostile.tests)
        if name in REACHED:
            assert REACHED[name] in messages, f"{name} never reached the grader: nothing tested"
        else:
            assert hostile.score == stub_result.score
    print(f"grader process peak RSS {peak_mb:.0f} MB")
    print({n: sorted({t.message[:120] for t in results[n].tests}) for n in FRAME_ATTACKS})
    assert peak_mb < 1000, f"the grader's own RSS peaked at {peak_mb:.0f} MB"
