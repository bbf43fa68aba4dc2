"""Result records the grader can prove it wrote: an HMAC over each record, keyed by a secret
that no worker can read.

A rerun with the same ``--out`` keeps a record only when its signature verifies, so a file that
looks like a record (right assignment, suite version and content hash, all computable by a
learner) but was planted by anyone else is graded again. The key lives in the instructor's own
data directory (``$DLCOURSE_KEY_FILE``, else ``$XDG_DATA_HOME/dlcourse/records.key``, else
``~/.local/share/dlcourse/records.key``), created on first use with mode 0600; workers see no
home directory at all (their file system is an allow-list).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

SIGNATURE = "signature"
"""The key of the signature inside a written record."""


def key_path() -> Path:
    if os.environ.get("DLCOURSE_KEY_FILE"):
        return Path(os.environ["DLCOURSE_KEY_FILE"])
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(base) / "dlcourse" / "records.key"


def _key() -> bytes:
    path = key_path()
    with contextlib.suppress(FileNotFoundError):
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return bytes.fromhex(key)


def _canonical(data: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in data.items() if k != SIGNATURE}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()


def sign(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its signature added."""
    digest = hmac.new(_key(), _canonical(data), hashlib.sha256).hexdigest()
    return {**data, SIGNATURE: digest}


def verify(data: dict[str, Any]) -> bool:
    """Whether ``data`` was signed with this grader's key (and not changed since)."""
    claimed = data.get(SIGNATURE)
    if not isinstance(claimed, str):
        return False
    digest = hmac.new(_key(), _canonical(data), hashlib.sha256).hexdigest()
    return hmac.compare_digest(digest, claimed)
