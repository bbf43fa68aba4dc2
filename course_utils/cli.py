"""``dlcourse-check FILE [STEP]`` (or ``python -m course_utils FILE [STEP]``): the notebooks'
public checks from a terminal, for a notebook or a ``.py`` file written in any editor.

It runs the file's definitions (imports, functions, classes, assignments without calls) in this
process, as the notebook's ``check()`` does in the kernel, then the checks of ``STEP`` (all steps
without one). The definitions are compiled with their own line numbers under a name whose source
is registered, so ``tf.function`` (autograph) reads the right source, as it does in a notebook.
"""

from __future__ import annotations

import argparse
import ast
import json
import linecache
import os
import sys
from pathlib import Path
from typing import Any

from course_utils.assignments import ASSIGNMENTS, by_number


def _cells(path: Path) -> tuple[list[str], str | None]:
    """The file's code (one entry per cell) and its assignment, where the file says."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        nb = json.loads(text)
        meta = nb.get("metadata", {}).get("dlcourse", {})
        code = [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb.get("cells", [])
            if c.get("cell_type") == "code"
        ]
        return code, meta.get("assignment")
    record = by_number(path.name[:2])
    return [text], record.name if record else None


def _kept(node: ast.stmt) -> bool:
    """Definitions only: the check and training cells (calls) are not run."""
    if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef):
        return True
    if isinstance(node, ast.AsyncFunctionDef):
        return True
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        return not any(isinstance(n, ast.Call) for n in ast.walk(node.value))
    return False


def load_namespace(path: Path) -> tuple[dict[str, Any], str | None, list[str]]:
    """The definitions of ``path`` run in a fresh namespace; its assignment; notes."""
    cells, assignment = _cells(path)
    # IPython magics and shell lines are not Python: comment them out, keep the line numbers
    source = "\n".join(
        "\n".join("#" + ln if ln.lstrip().startswith(("%", "!")) else ln for ln in c.splitlines())
        for c in cells
    )
    name = str(path.resolve()) if path.suffix == ".py" else f"<dlcourse-check {path.name}>"
    lines = [ln + "\n" for ln in source.splitlines()]
    linecache.cache[name] = (len(source), None, lines, name)
    tree = ast.parse(source, filename=name)
    tree.body = [n for n in tree.body if _kept(n)]
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": name}
    notes = []
    try:
        exec(compile(tree, name, "exec"), namespace)  # noqa: S102 - the learner's own code
    except Exception as exc:  # noqa: BLE001 - report, then check what was defined
        notes.append(f"running your definitions raised {type(exc).__name__}: {exc}")
    return namespace, assignment, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dlcourse-check", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, help="a course notebook (.ipynb) or a .py file")
    parser.add_argument("step", nargs="?", help="one step (default: every step)")
    parser.add_argument("--assignment", choices=list(ASSIGNMENTS))
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up logs
    # TF 2.21 prints its oneDNN notice (and absl's "before InitializeLog" warning) whatever the
    # log level; the plain kernels are also what the grader's workers run
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    from course_utils.checks import Checker

    namespace, assignment, notes = load_namespace(args.file)
    assignment = args.assignment or assignment
    if assignment is None:
        parser.error("pass --assignment (pytorch, tf2, tf1 or bridge)")
    for note in notes:
        print(f"note: {note}")
    report = Checker(assignment, namespace)(args.step)
    print(repr(report))
    steps = getattr(report, "reports", [report])
    return 0 if all(s.passed for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
