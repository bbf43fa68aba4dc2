"""Check a worker's reply before any verdict reads it (grader side; called first by ``judge``).

A worker runs learner code, so its reply may be forged whatever the probe meant to send. Two
layers are checked, each against a schema (``autograder/schema.py``):

1. the frame: ``status`` one of the known strings, ``elapsed_s`` a finite number >= 0, ``detail``
   a short string, nothing else;
2. with status ``ok``, the observation: either ``{"learner_error": ...}`` in the form
   ``probe_api.describe_exception`` makes, or what the test's probe returns, declared once beside
   the probes (``autograder/probes/<assignment>/schemas.py``: ``SCHEMAS[probe]``).

A reply that does not fit is reported as a message; the verdict never sees it.
"""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Callable
from typing import Any

from autograder.probes.common.schemas import LEARNER_ERROR_REPLY
from autograder.schema import Choice, Dict, List, Num, Schema, Str, check

STATUSES = ("ok", "timeout", "crashed", "corrupt", "tampered", "error")
"""Every status a worker (``worker/runtime.py``) or the grader (``grade._Grading.settle``) sets."""

MAX_DETAIL = 4000
"""Longest ``detail`` (the worker's own are cut at 300 or 2000 characters)."""

FRAME = Dict(
    required={"status": Choice(*STATUSES)},
    optional={
        "detail": Str(MAX_DETAIL),
        "elapsed_s": Num(),
        "retired": List(Str(MAX_DETAIL), 100),
    },
)
"""A frame without its ``obs`` (which is checked against the probe's schema)."""

STATIC = Dict(required={"code": Str(10_000_000)})
"""What a source check reads: the extracted code (made by the grader itself)."""

SchemaLookup = Callable[[str, str], Schema | None]
"""``(worker, probe) -> schema``, e.g. ``Suite.schema_of``."""


@functools.cache
def probe_schemas(probes_module: str) -> dict[str, Schema]:
    """``SCHEMAS`` of the package that holds ``probes_module``
    (``autograder.probes.pytorch.probes`` -> ``autograder.probes.pytorch.schemas``)."""
    package = probes_module.rsplit(".", 1)[0]
    schemas: dict[str, Schema] = importlib.import_module(f"{package}.schemas").SCHEMAS
    return schemas


def frame_misfit(reply: object) -> str | None:
    """Why ``reply`` is not a frame a worker sends, or None."""
    if not isinstance(reply, dict):
        return f"expected a dict, got a {type(reply).__name__} at reply"
    found = check(FRAME, {k: v for k, v in reply.items() if k != "obs"}, "reply")
    if found:
        return found
    elapsed = reply.get("elapsed_s", 0.0)
    if not math.isfinite(elapsed) or elapsed < 0:
        return f"expected a finite number of seconds >= 0, got {elapsed!r} at reply['elapsed_s']"
    return None


def observation_misfit(
    worker: str,
    probe: str | None,
    obs: object,
    schema_of: SchemaLookup,
) -> str | None:
    """Why ``obs`` is not what ``probe`` of ``worker`` returns, or None."""
    if not isinstance(obs, dict):
        return f"expected a dict, got a {type(obs).__name__} at obs"
    if "learner_error" in obs:
        return check(LEARNER_ERROR_REPLY, obs)
    if probe is None:
        return check(STATIC, obs)
    schema = schema_of(worker, probe)
    if schema is None:
        return f"expected a declared schema for the probe {probe!r}, found none"
    return check(schema, obs)


def reply_misfit(
    reply: dict[str, Any],
    worker: str,
    probe: str | None,
    schema_of: SchemaLookup,
) -> str | None:
    """Why ``reply`` (frame and, for status ``ok``, observation) is malformed, or None."""
    found = frame_misfit(reply)
    if found or reply.get("status") != "ok":
        return found
    if "obs" not in reply:
        return "expected a dict with the key 'obs', got no such key at reply"
    return observation_misfit(worker, probe, reply["obs"], schema_of)
