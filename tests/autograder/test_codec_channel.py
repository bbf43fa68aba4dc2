"""The wire between worker and grader: plain data only, and corrupt frames are refused."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import struct

import numpy as np
import pytest

from autograder import channel, codec
from autograder.codec import CodecError, Limits, decode, encode


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


# -- bounded decoding: honest frames pass, every kind of misfit is refused naming its limit ------

SMALL = Limits(
    max_bytes=8192,
    max_depth=4,
    max_objects=200,
    max_string_chars=64,
    max_escaped_chars=64,
    max_array_elements=100,
    max_array_bytes=400,
    max_array_dims=3,
)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


HONEST = {
    "scalars": [0, -7, 2**62, 1.5, -0.0, 1e-300, None, True, False, ""],
    "non-finite floats": [float("nan"), float("inf"), float("-inf")],
    "text with escapes": ['quote " backslash \\ newline \n tab \t', "café Ωμέγα 🙂", "[{,:}]"],
    "nested at the depth limit": {"a": {"b": [[1]]}},
    "arrays of every dtype": [
        (np.arange(6) % 3).astype(name).reshape(2, 3) for name in sorted(codec._ALLOWED_DTYPES)
    ],
    "empty arrays": [np.zeros((0, 3)), np.ones((2, 0, 1), dtype=np.int8)],
    "array at the size limit": np.full(50, np.nan, dtype=np.float64),
    "plain dict named like array parts": {"dtype": "x", "shape": [1], "data": "AAAA"},
}


@pytest.mark.parametrize("kind", sorted(HONEST))
def test_honest_frame_of_each_kind_roundtrips_unchanged(kind):
    """Does every kind of honest value come back equal, with tight limits it stays under?"""
    obj = HONEST[kind]
    assert _same(obj, decode(encode(obj), SMALL))
    assert _same(obj, channel_roundtrip(obj))


def channel_roundtrip(obj):
    r, w = os.pipe()
    try:
        channel.send(w, obj)
        return channel.receive(r)
    finally:
        os.close(r)
        os.close(w)


def _array(dtype="float64", shape=(1,), data=None) -> bytes:
    if data is None:
        data = "A" * (4 * math.ceil(math.prod(shape) * np.dtype(dtype).itemsize / 3))
    spec = {"dtype": dtype, "shape": list(shape), "data": data}
    return json.dumps({"__ndarray__": spec}).encode()


MISFITS = {
    "over max_bytes": (b"[" + b" " * 9000 + b"]", "max_bytes"),
    "over max_depth": (b"[[[[[1]]]]]", "max_depth"),
    "depth outside strings": (
        b'["]]]]",[[[[[]]]]]]',
        "max_depth",
    ),
    "over max_objects (lists)": (b"[" + b"[]," * 210 + b"[]]", "max_objects"),
    "over max_objects (strings)": (b"[" + b'"",' * 210 + b'""]', "max_objects"),
    "over max_objects (dict)": (
        json.dumps({str(i): 0 for i in range(120)}).encode(),
        "max_objects",
    ),
    "over max_string_chars": (json.dumps(["x" * 65]).encode(), "max_string_chars"),
    "long string keyed data but escaped": (b'{"data": "' + b"\\n" * 40 + b'"}', "max_string_chars"),
    "over max_escaped_chars": (json.dumps(["Ω" * 6] * 4).encode(), "max_escaped_chars"),
    "over max_array_dims": (_array(shape=(1, 1, 1, 1)), "max_array_dims"),
    "over max_array_elements": (_array(shape=(10**12,), data=""), "max_array_elements"),
    "over max_array_bytes": (_array(shape=(60,)), "max_array_bytes"),
    "data shorter than its shape": (_array(shape=(4,), data="AAAA"), "base64 characters"),
    "data not base64": (_array(shape=(3,), data="!" * 32), "not base64"),
    "bool in shape": (_array(shape=(True,), data="AAAAAAAAAAA="), "invalid shape"),
    "array spec with extra keys": (
        b'{"__ndarray__": {"dtype": "int8", "shape": [], "data": "AA==", "x": 1}}',
        "expected keys",
    ),
    "object dtype": (_array(dtype="object", shape=(1,), data=""), "unsupported dtype"),
    "__float__ with a number": (b'{"__float__": "1e308"}', "expected one of"),
    "__float__ with a long string": (b'{"__float__": "' + b"9" * 60 + b'"}', "expected one of"),
    "__float__ not a string": (b'{"__float__": [1]}', "expected one of"),
    "bare NaN": (b"[NaN]", "bare NaN"),
    "bare -Infinity": (b"[-Infinity]", "Infinity"),
    "huge integer": (b"[" + b"9" * 100 + b"]", "number of 100 characters"),
    "not ASCII": (b'["\xff"]', "not ASCII"),
    "not JSON": (b"\x80\x04\x95 pickled", "not ASCII"),
    "truncated JSON": (b'{"a": [1, 2', "corrupt frame"),
    "a flood of closing brackets": (b"[" + b"]" * 5000, "closing brackets"),
    "not JSON but ASCII": (b"cos\nsystem\n(S'ls'\ntR.", "corrupt frame"),
    "lone surrogate escape": (b'["\\udc00"]', ""),
}


@pytest.mark.parametrize("kind", sorted(MISFITS))
def test_each_kind_of_misfit_is_refused_naming_the_limit(kind):
    """Is a frame over one limit (or not made by the encoder) refused with that limit named?"""
    raw, words = MISFITS[kind]
    if kind == "lone surrogate escape":  # valid JSON: a str Python can hold; it must not crash
        assert decode(raw, SMALL) == ["\udc00"]
        return
    with pytest.raises(CodecError, match=re.escape(words)):
        decode(raw, SMALL)


def test_default_limits_hold_what_the_encoder_makes_of_a_large_honest_observation():
    """Does a frame ten times the largest honest one (per docs/security.md) still pass?"""
    obj = {
        "params": [np.random.default_rng(0).normal(size=(256, 256)).astype(np.float32)] * 10,
        "history": [{"loss": 0.1 * i, "step": i} for i in range(2000)],
        "message": "x" * 10_000,
    }
    assert _same(obj, decode(encode(obj)))


def test_nothing_but_codec_error_escapes_decode():
    """Do random byte strings and mutated honest frames only ever raise CodecError?"""
    rng = np.random.default_rng(1)
    honest = encode(HONEST["arrays of every dtype"] + [HONEST["text with escapes"]])
    for _ in range(300):
        raw = bytearray(honest)
        for i in rng.integers(0, len(raw), size=3):
            raw[i] = int(rng.integers(0, 128))
        with contextlib.suppress(CodecError):
            decode(bytes(raw))
    for _ in range(100):
        with contextlib.suppress(CodecError):
            decode(rng.integers(0, 256, size=64, dtype=np.uint8).tobytes())


def test_header_over_the_limit_is_refused_before_the_payload_is_read():
    """Is a frame whose header is over max_bytes refused with the payload still unread?"""
    r, w = os.pipe()
    try:
        os.write(w, struct.pack(">I", SMALL.max_bytes + 1) + b"[1]")
        with pytest.raises(CodecError, match="max_bytes"):
            channel.receive(r, limits=SMALL)
        assert os.read(r, 16) == b"[1]"
    finally:
        os.close(r)
        os.close(w)


def test_truncated_frame_is_a_closed_channel():
    """Does a frame cut short by the writer closing give ChannelClosed, saying how far it got?"""
    r, w = os.pipe()
    os.write(w, struct.pack(">I", 100) + b"[1,")
    os.close(w)
    with pytest.raises(channel.ChannelClosed, match="3/100"):
        channel.receive(r)
    os.close(r)
