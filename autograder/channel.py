"""Length-prefixed frames over a pipe file descriptor (4-byte big-endian length, then payload).

:func:`receive` refuses a frame whose header claims more than ``Limits.max_bytes`` before it
reads a byte of the payload (the stream is then out of step: the caller must drop the peer, as
``sandbox.Worker._receive`` does by killing the worker), reads an accepted payload into one
buffer of exactly its length, and hands it to :func:`autograder.codec.decode`, which refuses
anything over the other limits before building it.
"""

from __future__ import annotations

import os
import select
import struct
import time
from typing import Any

from autograder.codec import LIMITS, CodecError, Limits, decode, encode
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


def _read_exact(fd: int, n: int, deadline: float | None) -> bytearray:
    """Exactly ``n`` bytes, read into one buffer (no chunk list, no join: one copy in memory)."""
    buf = bytearray(n)
    view, done = memoryview(buf), 0
    while done < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelTimeout(f"no complete frame after waiting ({done}/{n} bytes)")
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not ready:
                continue
        got = os.readv(fd, [view[done : done + (1 << 20)]])
        if not got:
            raise ChannelClosed(f"end of stream after {done}/{n} bytes")
        done += got
    view.release()
    return buf


def receive(fd: int, deadline: float | None = None, limits: Limits = LIMITS) -> Any:
    """Read one frame; ``deadline`` is a ``time.monotonic()`` value or None (wait forever).

    Raises CodecError for a frame over ``limits`` (checked from the header before the payload
    is read) or not made by the encoder, ChannelClosed for a stream that ends early."""
    (length,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if length > limits.max_bytes:
        raise CodecError(
            f"frame refused: its header claims {length} bytes, Limits.max_bytes={limits.max_bytes}"
            " (refused before reading it; no honest probe sends that much)"
        )
    return decode(_read_exact(fd, length, deadline), limits)
