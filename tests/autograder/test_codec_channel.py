"""The wire between worker and grader: plain data only, and corrupt frames are refused."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest

from autograder import channel
from autograder.codec import CodecError, decode, encode


def test_roundtrip_of_plain_data_and_arrays():
    """Do nested dicts, NaN/inf and numeric arrays survive the trip unchanged?"""
    obj = {
        "a": [1, 2.5, None, True, "x"],
        "arr": np.arange(6, dtype=np.float32).reshape(2, 3),
        "nan": float("nan"),
        "inf": float("-inf"),
    }
    back = decode(encode(obj))
    assert back["a"] == [1, 2.5, None, True, "x"]
    assert back["arr"].dtype == np.float32 and back["arr"].shape == (2, 3)
    assert np.isnan(back["nan"]) and back["inf"] == float("-inf")


@pytest.mark.parametrize(
    "raw",
    [
        b"\x80\x04\x95 pickled",
        b'{"__ndarray__": {"dtype": "object", "shape": [1], "data": ""}}',
        b'{"__ndarray__": {"dtype": "float64", "shape": [1000000], "data": "AAAA"}}',
        b'{"__ndarray__": {"dtype": "float64", "shape": [-1], "data": ""}}',
    ],
)
def test_forged_or_corrupt_frames_are_refused(raw):
    """Is anything but JSON with numeric arrays of matching size refused (never unpickled)?"""
    with pytest.raises(CodecError):
        decode(raw)


def test_oversized_frame_header_is_refused_before_reading():
    """Does a frame that claims gigabytes fail at once instead of allocating them?"""
    r, w = os.pipe()
    os.write(w, struct.pack(">I", 2**31))
    with pytest.raises(CodecError):
        channel.receive(r)
    os.close(r)
    os.close(w)


def test_receive_times_out_and_reports_closed_pipes():
    """Does a silent peer give ChannelTimeout, and a closed one ChannelClosed?"""
    import time

    r, w = os.pipe()
    with pytest.raises(channel.ChannelTimeout):
        channel.receive(r, deadline=time.monotonic() + 0.2)
    os.close(w)
    with pytest.raises(channel.ChannelClosed):
        channel.receive(r, deadline=time.monotonic() + 0.2)
    os.close(r)
