"""Length-prefixed frames over a pipe file descriptor (4-byte big-endian length, then payload)."""

from __future__ import annotations

import os
import select
import struct
import time
from typing import Any

from autograder.codec import MAX_FRAME_BYTES, CodecError, decode, encode
from course_utils.errors import CourseError

_HEADER = struct.Struct(">I")


class ChannelClosed(CourseError, EOFError):
    """The other end closed the pipe (the process exited or died)."""


class ChannelTimeout(CourseError, TimeoutError):
    """No complete frame arrived before the deadline."""


def send(fd: int, obj: Any) -> None:
    """Write one frame; raises ChannelClosed if the reader is gone."""
    payload = encode(obj)
    data = _HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    try:
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except (BrokenPipeError, OSError) as exc:
        raise ChannelClosed(str(exc)) from None


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelTimeout(f"no complete frame after waiting ({n - remaining}/{n} bytes)")
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not ready:
                continue
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise ChannelClosed("end of stream")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def receive(fd: int, deadline: float | None = None) -> Any:
    """Read one frame; ``deadline`` is a ``time.monotonic()`` value or None (wait forever)."""
    (length,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if length > MAX_FRAME_BYTES:
        raise CodecError(f"frame of {length} bytes exceeds {MAX_FRAME_BYTES}")
    return decode(_read_exact(fd, length, deadline))
