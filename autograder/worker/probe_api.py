"""What a probe gets: the learner's module, a seeded RNG, and calls that turn learner exceptions
into plain data. Runs inside the worker, next to untrusted code; holds no expected values."""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

SUBMISSION_FILENAME = "<submission>"


class LearnerError(Exception):
    """A learner function was missing, not implemented, or raised; ``info`` is plain data."""

    def __init__(self, info: dict[str, Any]):
        super().__init__(info.get("message", ""))
        self.info = info


def _clip(message: str, limit: int = 400) -> str:
    """Long framework errors keep their head and their tail (where TensorFlow puts the cause)."""
    if len(message) <= limit:
        return message
    return message[: limit // 2].rstrip() + " [...] " + message[-limit // 2 :].lstrip()


_GRAPH_ERROR = "Detected at node"
_RACY_NAMES = re.compile(r"(find variable |resource variable |resource: )[^\s.)]+")
_NODE = re.compile(r"\s*\[\[\{\{node [^}]*\}\}\]\]")


def _error_text(exc: BaseException) -> str:
    """``str(exc)``, except for a TensorFlow graph error: only its cause, without the Python
    traceback of the op's creation and the node names. Which of several uninitialised
    variables an executor reads first changes from run to run, so their names are left out too:
    the same bytes must always give the same message."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return _os_error_text(exc)
    text = str(exc)
    if _GRAPH_ERROR not in text:
        return text
    cause = [
        line.strip()
        for line in text.splitlines()
        if line.strip()
        and not line.startswith((" ", "\t"))
        and not line.startswith((_GRAPH_ERROR, "Graph execution error", "Node:", "Original stack"))
    ]
    found = _NODE.sub("", " ".join(cause))
    return _RACY_NAMES.sub(r"\1<name>", found).strip() or "a TensorFlow operation failed"


_SCRATCH = re.compile(r"^.*?/probe-[^/]+/")  # a probe's own temporary folder
_RANDOM_NAME = re.compile(
    r"(?:(?<=[-.])|(?<=tmp))[a-z0-9_]{8}(?=$|\.)"
)  # tempfile's 8 random characters


def _os_error_text(exc: OSError) -> str:
    """An OSError's reason and the folder it happened in, relative to the probe's own folder,
    without the random parts temporary names carry (``.part-3kx9a1zq``): the same bytes must
    give the same message, and the probe's folder changes every run."""
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    shown = []
    for path in paths:
        inside = _SCRATCH.sub("", path)
        if inside != path:
            parent, _, name = inside.rpartition("/")
            name = _RANDOM_NAME.sub("*", name)
            path = f"{parent}/{name}" if parent else name
        shown.append(repr(path))
    return f"[Errno {exc.errno}] {exc.strerror}: {' -> '.join(shown)}"


def describe_exception(exc: BaseException, function: str) -> dict[str, Any]:
    """Plain-data description of an exception raised by learner code."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == SUBMISSION_FILENAME:
            line = frame.lineno
    if isinstance(exc, NotImplementedError):
        kind = "not_implemented"
    elif isinstance(exc, SystemExit):
        kind = "exit"
    else:
        kind = "raised"
    return {
        "function": function,
        "kind": kind,
        "type": type(exc).__name__,
        "message": _clip(_error_text(exc)),
        "line": line,
    }


def contract_error(function: str, message: str) -> LearnerError:
    """A learner function returned something other than its contract says (e.g. not a pair)."""
    return LearnerError(
        {
            "function": function,
            "kind": "raised",
            "type": "TypeError",
            "message": message,
            "line": None,
        }
    )


def trusted_code(source: str, **names: Any) -> dict[str, Any]:
    """Compile grader-sent stand-ins (``autograder/hidden/common/trusted.py``) in a namespace of
    their own holding ``names``: they exist in this child only from now on, after the learner's
    code has loaded, and only for the probe whose request carried them."""
    import __future__

    namespace: dict[str, Any] = {"__name__": "trusted", "Any": Any, **names}
    flags = __future__.annotations.compiler_flag
    exec(compile(source, "<trusted stand-ins>", "exec", flags=flags, dont_inherit=True), namespace)
    return namespace


def run_learner(function: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run something the learner made (a model, a loss, a dataset, a session call on their graph)
    on behalf of ``function``: its exceptions become LearnerErrors attributed to that function."""
    try:
        return call(*args, **kwargs)
    except LearnerError:
        raise
    except BaseException as exc:  # noqa: BLE001 - learner code may raise anything
        raise LearnerError(describe_exception(exc, function)) from None


@dataclass
class ProbeContext:
    """Handed to every probe."""

    module: ModuleType
    """The learner's code, executed as a module."""
    seed: int
    """This test's seed, chosen by the grader."""
    scratch: Path
    """A private directory for files the probe makes."""
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def fn(self, name: str) -> Any:
        """The learner's function ``name``, or LearnerError(kind="missing")."""
        obj = getattr(self.module, name, None)
        if not callable(obj):
            raise LearnerError(
                {"function": name, "kind": "missing", "type": "", "message": "", "line": None}
            )
        return obj

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the learner's function ``name``; any exception becomes a LearnerError."""
        func = self.fn(name)
        try:
            return func(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - learner code may raise anything
            raise LearnerError(describe_exception(exc, name)) from None

    def subdir(self, name: str) -> Path:
        path = self.scratch / name
        path.mkdir(parents=True, exist_ok=True)
        return path
