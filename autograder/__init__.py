"""The dlcourse grading engine: build notebooks from one source, grade submissions safely.

Learner code runs in a separate worker process (``autograder.worker``); hidden tests' verdicts run
here (``autograder.hidden``). See ``docs/`` and the README for the data flow.
"""

import os as _os
import sys as _sys

__version__ = "0.1.0"


def _private_bytecode() -> None:
    """Bytecode of the grader (its hidden tests included) goes to a private cache of this user,
    never beside the sources, where a copy of the package might be readable by others."""
    if _sys.pycache_prefix is not None or _sys.dont_write_bytecode:
        return
    folder = _os.path.join(_os.path.expanduser("~"), ".cache", "dlcourse", "pycache")
    try:
        _os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        _sys.dont_write_bytecode = True  # nowhere private: write none
        return
    _sys.pycache_prefix = folder


_private_bytecode()
