"""Read TensorBoard scalars back from event files, whichever framework wrote them.

A plain TFRecord reader plus tensorboard's protobufs: no TensorFlow import, so a PyTorch kernel
(or the grader's worker) can check what ``SummaryWriter`` or ``tf.summary`` wrote.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

_TENSOR_DTYPES = {1: "<f4", 2: "<f8"}  # DT_FLOAT, DT_DOUBLE


def _records(path: Path) -> Iterator[bytes]:
    """TFRecord framing: length (u64), crc (u32), data, crc (u32)."""
    data = path.read_bytes()
    pos = 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        pos += 12
        yield data[pos : pos + length]
        pos += length + 4


def read_scalars(log_dir: str | Path) -> dict[str, list[list[float]]]:
    """``{tag: [[step, value], ...]}`` of every scalar under ``log_dir`` (recursively).

    Reads TF1 ``simple_value`` summaries and TF2 ``tf.summary`` tensor summaries alike.
    """
    from tensorboard.compat.proto import event_pb2

    found: dict[str, list[list[float]]] = {}
    for path in sorted(Path(log_dir).rglob("events.out.tfevents.*")):
        for record in _records(path):
            event = event_pb2.Event.FromString(record)
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    number = value.simple_value
                elif value.HasField("tensor") and value.tensor.float_val:
                    number = value.tensor.float_val[0]
                elif value.HasField("tensor") and value.tensor.tensor_content:
                    dtype = _TENSOR_DTYPES.get(value.tensor.dtype)
                    if dtype is None:
                        continue
                    number = float(np.frombuffer(value.tensor.tensor_content, dtype=dtype)[0])
                else:
                    continue
                found.setdefault(value.tag, []).append([float(event.step), float(number)])
    return found


_WRITER_MODULES = ("torch.utils.tensorboard", "tensorboardX", "tensorflow", "tensorboard")


def _drained(pending: Any) -> bool:
    try:
        return bool(pending.empty()) and not getattr(pending, "_buffer", None)
    except Exception:  # noqa: BLE001 - a closed queue: nothing more will come
        return True


def settled_scalars(log_dir: str | Path, expected: int, wait_s: float = 3.0) -> dict:
    """``read_scalars(log_dir)`` once ``expected`` values are there, or after ``wait_s``: open
    writers are flushed (``flush_open_writers``) before each read, so a writer left open whose
    thread has not written everything yet is waited for, and code that writes fewer values
    is read the same way every time (it costs that code the wait only)."""
    import time

    deadline = time.monotonic() + wait_s
    while True:
        flush_open_writers()
        found = read_scalars(log_dir)
        if sum(len(v) for v in found.values()) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def flush_open_writers() -> None:
    """Flush every TensorBoard writer still open: the docstrings do not ask for a close, and a
    writer left open holds events in a buffer that its own thread flushes at some later time,
    so reading the files right away would grade the same code differently from run to run."""
    import gc
    import queue as queues
    import threading
    import time

    # a torch / tensorboardX writer that went out of scope unclosed leaves its writer thread,
    # still holding events it has not written: let it write them all, then flush its file
    deadline = time.monotonic() + 5.0
    for thread in threading.enumerate():
        pending, records = getattr(thread, "_queue", None), getattr(thread, "_record_writer", None)
        if records is None or pending is None:
            continue
        if isinstance(pending, queues.Queue):  # torch's writer: counts what it has written
            while pending.unfinished_tasks and time.monotonic() < deadline:
                time.sleep(0.002)
        else:  # tensorboardX's multiprocessing queue: drained once empty and its feeder idle
            while time.monotonic() < deadline and not _drained(pending):
                time.sleep(0.002)
        with contextlib.suppress(Exception):
            records.flush()
    for obj in gc.get_objects():
        module = getattr(type(obj), "__module__", "") or ""
        if "Writer" in type(obj).__name__ and module.startswith(_WRITER_MODULES):
            with contextlib.suppress(Exception):
                obj.flush()
    # a TF1 FileWriter that went out of scope unclosed leaves only its logger thread, still
    # holding queued events: ask it to flush, as FileWriter.flush() would
    for thread in threading.enumerate():
        queue, sentinel, done = (
            getattr(thread, a, None) for a in ("_queue", "_flush_sentinel", "_flush_complete")
        )
        if queue is not None and sentinel is not None and done is not None:
            with contextlib.suppress(Exception):
                done.clear()
                queue.put(sentinel)
                done.wait(5.0)
