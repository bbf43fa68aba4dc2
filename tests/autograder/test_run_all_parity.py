"""Does the grader define what Jupyter's Run All defines, cell magics, shell lines and all?

The same tricky notebook runs through nbclient (a real IPython kernel, as Run All) and through
the grader's reader and extraction; the functions each defines, and what they return, must agree.
"""

from __future__ import annotations

import json
import types

import nbformat
import pytest

from autograder.extract import as_python, extract
from autograder.reader import read_submission

CELLS = [
    # a %%writefile body is a file on disk, not a definition
    "%%writefile helper.py\ndef written():\n    return 'file'\n",
    # %%bash and %%timeit bodies define nothing in the notebook's namespace
    "%%bash\necho 'def bashed(): pass'\n",
    "%%timeit -n1 -r1\ndef timed_inside():\n    return 0\n",
    # %%time and %%capture run their body as Python: these count
    "%%time\ndef timed():\n    return 'time'\n",
    "%%capture captured\n%%time\ndef captured_def():\n    return 'capture'\n",
    # a line starting with != is a continuation, a % inside a docstring is text
    "def differs(a=1, b=2):\n    return (a\n            != b)\n",
    'def documented():\n    """Not magics:\n    %timeit f()\n    !ls\n    """\n    return "doc"\n',
    # line magics and shell lines are IPython's, and the code around them still counts
    "%matplotlib inline\nfiles = !echo hi\ndef after_magics():\n    return 'after'\n",
    # a definition given twice: Run All keeps the last one executed
    "def twice():\n    return 1\n",
    "def twice():\n    return 2\n",
]
NAMES = [
    "written",
    "bashed",
    "timed_inside",
    "timed",
    "captured_def",
    "differs",
    "documented",
    "after_magics",
    "twice",
]
REPORT = (
    "import json\n"
    "print(json.dumps({n: repr(globals()[n]()) for n in %r if callable(globals().get(n))}))"
)


def _notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "tricky.ipynb"
    nbformat.write(nb, path)
    return path


def _run_all(path) -> dict[str, str]:
    from nbclient import NotebookClient

    nb = nbformat.read(path, 4)
    nb.cells.append(nbformat.v4.new_code_cell(REPORT % (NAMES,)))
    NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(path.parent)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    return json.loads(text.strip().splitlines()[-1])


def _extracted(path) -> dict[str, str]:
    module = types.ModuleType("submission")
    exec(extract(read_submission(path)).code, module.__dict__)  # noqa: S102 - our own test code
    found = vars(module)
    return {n: repr(found[n]()) for n in NAMES if callable(found.get(n))}


@pytest.mark.slow
def test_extraction_defines_what_run_all_defines(tmp_path):
    path = _notebook(tmp_path)
    jupyter = _run_all(path)
    assert set(jupyter) == {
        "timed",
        "captured_def",
        "differs",
        "documented",
        "after_magics",
        "twice",
    }
    assert jupyter["twice"] == "2"
    assert _extracted(path) == jupyter


def test_a_definition_in_a_writefile_cell_is_named_in_the_notes(tmp_path):
    """A learner whose function sits in a %%writefile cell is told why it is not graded."""
    notes = extract(read_submission(_notebook(tmp_path))).notes
    assert any("cell 0" in n and "%%writefile" in n for n in notes), notes


@pytest.mark.parametrize(
    ("cell", "python"),
    [
        ("x = 1\n!ls -la\n", "x = 1\nget_ipython().system('ls -la')\n"),
        ("%%html\n<b>def f(): pass</b>\n", ""),
        ("def f(a, b):\n    return (a\n  != b)\n", "def f(a, b):\n    return (a\n  != b)\n"),
    ],
)
def test_cells_become_the_python_ipython_runs(cell, python):
    assert as_python(cell).text == python


def test_a_python_cell_magic_body_keeps_its_cell_line_numbers():
    """Errors in a %%time body point at the line of the cell, not of the body."""
    source = as_python("%%time\n\ndef f():\n    pass\n")
    assert source.first_line == 2 and source.text.startswith("\ndef f")
