"""Reading notebooks and scripts, and keeping only the learner's definitions."""

from __future__ import annotations

import json

import pytest

from autograder.extract import extract
from autograder.reader import SubmissionReadError, read_submission


def _nb(cells, metadata=None):
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": metadata or {},
            "cells": [{"cell_type": t, "source": s, "metadata": {}} for t, s in cells],
        }
    )


def test_notebook_metadata_names_the_assignment(tmp_path):
    """Is the assignment read from metadata.dlcourse.assignment?"""
    path = tmp_path / "a.ipynb"
    path.write_text(_nb([("code", "x = 1")], {"dlcourse": {"assignment": "pytorch"}}))
    assert read_submission(path).assignment == "pytorch"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"nbformat": 3, "cells": []}', "nbformat 3"),
        ("[1, 2]", "no 'cells' list"),
        ("not json at all", "not valid notebook JSON"),
    ],
)
def test_malformed_notebooks_are_explained(tmp_path, content, expected):
    """Does each kind of malformed notebook get a message saying what is wrong?"""
    path = tmp_path / "bad.ipynb"
    path.write_text(content)
    with pytest.raises(SubmissionReadError, match=expected):
        read_submission(path)


def test_binary_file_is_refused(tmp_path):
    """Is a non-UTF-8 file refused with the byte position?"""
    path = tmp_path / "bin.py"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SubmissionReadError, match="not UTF-8"):
        read_submission(path)


def test_extract_keeps_definitions_and_drops_experiments(tmp_path):
    """Are imports, defs, classes and constants kept, and training runs and plots dropped?"""
    path = tmp_path / "s.ipynb"
    path.write_text(
        _nb(
            [
                ("code", "import numpy as np\nBATCH = 64\nF = np.linalg\n"),
                ("markdown", "text"),
                ("code", "def f(x):\n    return x + 1\n\nhistory = f(1)\nprint(history)\n"),
                ("code", "%timeit f(1)\n@staticmethod\ndef g():\n    pass\nclass C:\n    pass\n"),
                ("code", "try:\n    import torch\nexcept ImportError:\n    torch = None\n"),
                ("code", "if __name__ == '__main__':\n    f(2)\n"),
                ("code", "import math\nmath.sqrt(4)\nmath.disable_eager_execution = f\n"),
            ]
        )
    )
    extracted = extract(read_submission(path))
    namespace: dict = {}
    exec(compile(extracted.code, "<x>", "exec"), namespace)
    assert {"np", "BATCH", "F", "f", "g", "C"} <= set(namespace)
    assert "history" not in namespace
    assert extracted.defined == ["f", "g", "C"]
    line = extracted.code.splitlines().index("def f(x):") + 1
    assert extracted.where(line) == "cell 2, line 1"


def test_framework_configuration_calls_are_kept(tmp_path):
    """Are top-level configuration calls (graph mode for TF1 code) kept, experiments dropped?"""
    path = tmp_path / "tf1.py"
    path.write_text(
        "import tensorflow as tf\ntf1 = tf.compat.v1\n"
        "tf1.disable_eager_execution()\nrun_everything()\n"
    )
    code = extract(read_submission(path)).code
    assert "tf1.disable_eager_execution()" in code and "run_everything" not in code
