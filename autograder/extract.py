"""Keep what defines the learner's functions; drop statements that run experiments.

From each code cell we keep imports, function and class definitions, and assignments of
constants, in their original order. Top-level statements with effects (training runs, plots,
``check()`` calls) are dropped, so grading never pays for the learner's own experiments.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from autograder.reader import Submission

_KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class Extracted:
    """The code the worker executes, and what was noticed on the way."""

    code: str
    line_map: dict[int, tuple[int, int]] = field(default_factory=dict)
    """Line in ``code`` -> (cell index, line in that cell)."""
    notes: list[str] = field(default_factory=list)
    """Problems worth telling the learner, e.g. a cell with a syntax error."""
    defined: list[str] = field(default_factory=list)

    def where(self, line: int | None) -> str:
        """Human description of a line of ``code``: ``cell 5, line 3``."""
        if line is None or line not in self.line_map:
            return ""
        cell, cell_line = self.line_map[line]
        return f"cell {cell}, line {cell_line}" if cell >= 0 else f"line {cell_line}"


_PYTHON_CELL_MAGICS = frozenset({"time", "capture", "prun"})
"""Cell magics whose body IPython runs as Python in the notebook's namespace: its definitions
count. Every other cell magic (``%%writefile``, ``%%bash``, ``%%html``, ``%%script``, even
``%%timeit``, whose body runs inside a timing function) defines nothing in Run All."""


@dataclass(frozen=True)
class PythonSource:
    """A code cell as the kernel runs it: Python source, and the cell line of its first line."""

    text: str
    first_line: int = 1
    note: str = ""


def as_python(source: str) -> PythonSource:
    """The Python that IPython runs for a code cell, by IPython's own input transformers: line
    magics, ``!`` shell lines and ``?`` help become ``get_ipython()`` calls exactly where IPython
    sees them (not on a continuation line, not inside a string); a cell magic's body is Python only
    for ``%%time``, ``%%capture`` and ``%%prun``, else the cell contributes nothing."""
    from IPython.core.inputtransformer2 import TransformerManager

    lines = source.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].startswith("%%"):
        words = lines[first][2:].split()
        name = words[0] if words else ""
        if name not in _PYTHON_CELL_MAGICS:
            note = f"a %%{name} cell, not run as Python by Run All: nothing it defines is graded"
            return PythonSource("", note=note)
        body = as_python("\n".join(lines[first + 1 :]))
        return PythonSource(body.text, body.first_line + first + 1, body.note)
    if first is None:
        return PythonSource(source)
    rest = "\n".join(lines[first:]) + "\n"
    try:  # IPython drops leading blank lines: keep them, so line numbers stay the cell's
        text = TransformerManager().transform_cell(rest)
    except (SyntaxError, ValueError, IndexError):  # what IPython itself cannot transform
        text = rest  # ast.parse reports the syntax error
    return PythonSource("\n" * first + text)


def _is_constant_assignment(node: ast.stmt) -> bool:
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets, value = [node.target], node.value
    else:
        return False
    if not all(isinstance(t, ast.Name) for t in targets):
        return False
    return _is_setting(value)


# Calls that make a setting rather than run an experiment: ``TOL = dict(loss=1e-6)``,
# ``DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")``.
_SETTING_CALLS = {
    "dict", "list", "tuple", "set", "frozenset", "int", "float", "str", "bool", "range", "Path",
    "device", "is_available", "dtype", "list_physical_devices", "list_logical_devices",
    "getenv", "get",
}  # fmt: skip
_SETTING_NODES = (
    ast.Constant, ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.List, ast.Set,
    ast.Dict, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.keyword,
    ast.Load, ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.Slice, ast.Starred,
)  # fmt: skip


def _is_setting(value: ast.expr) -> bool:
    """Literals, aliases (``F = torch.nn.functional``) and expressions of them, with calls only
    of ``_SETTING_CALLS``: cheap, and the learner's functions may read them."""
    for node in ast.walk(value):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in _SETTING_CALLS:
                return False
        elif not isinstance(node, _SETTING_NODES):
            return False
    return True


# Top-level calls that configure a framework rather than run an experiment: learners' code relies
# on them, so they are kept (e.g. TF1 code written for graph mode).
_CONFIG_CALLS = {
    "disable_eager_execution",
    "disable_v2_behavior",
    "set_image_data_format",
    "set_floatx",
    "set_default_dtype",
}


def _is_config_call(node: ast.stmt) -> bool:
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in _CONFIG_CALLS


def _is_import_guard(node: ast.stmt) -> bool:
    """``try: import x / except ImportError: ...`` blocks are kept."""
    return isinstance(node, ast.Try) and all(
        isinstance(s, ast.Import | ast.ImportFrom) for s in node.body
    )


def _endless(node: ast.stmt) -> bool:
    """A ``while`` loop whose test is a true constant and whose body has no ``break`` of its
    own (one inside a nested loop ends that loop only) and no ``return``/``raise``."""
    if not isinstance(node, ast.While) or not (
        isinstance(node.test, ast.Constant) and node.test.value
    ):
        return False

    def exits(body: list[ast.stmt]) -> bool:
        for stmt in body:
            for child in ast.walk(stmt):
                stops = isinstance(child, ast.Break | ast.Raise | ast.Return)
                if stops and not _inside_inner_loop(stmt, child):
                    return True
        return False

    return not exits(node.body)


def _inside_inner_loop(top: ast.stmt, target: ast.AST) -> bool:
    """Is ``target`` (a break) inside a loop nested in ``top`` (so it does not end the outer)?"""
    if not isinstance(target, ast.Break):
        return False
    loops = (n for n in ast.walk(top) if isinstance(n, ast.For | ast.While | ast.AsyncFor))
    return any(any(child is target for child in ast.walk(loop)) for loop in loops)


def _keep(node: ast.stmt) -> bool:
    return (
        isinstance(node, _KEPT)
        or _is_constant_assignment(node)
        or _is_import_guard(node)
        or _is_config_call(node)
    )


def extract(submission: Submission) -> Extracted:
    """The definitions of ``submission`` as one module's source."""
    out_lines: list[str] = []
    result = Extracted(code="")
    for cell in submission.cells:
        python = (
            as_python(cell.source) if submission.kind == "notebook" else PythonSource(cell.source)
        )
        source, shift = python.text, python.first_line - 1
        if python.note and ("def " in cell.source or "class " in cell.source):
            result.notes.append(f"cell {cell.index} is {python.note}")
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            place = f"cell {cell.index}" if submission.kind == "notebook" else "the file"
            result.notes.append(
                f"{place} has a syntax error at line {(exc.lineno or 0) + shift}: {exc.msg}; "
                "its definitions were skipped"
            )
            continue
        cell_lines = source.splitlines()
        for node in tree.body:
            if _endless(node):
                place = f"cell {cell.index}" if submission.kind == "notebook" else "the file"
                result.notes.append(
                    f"{place} has a top-level endless loop at line {node.lineno + shift} "
                    "(`while True` with no break): 'Run All' would never get past it; grading "
                    "runs only the definitions and skipped it"
                )
            if not _keep(node):
                continue
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            last = node.end_lineno or node.lineno
            cell_no = cell.index if submission.kind == "notebook" else -1
            for offset, line in enumerate(cell_lines[first - 1 : last]):
                out_lines.append(line)
                result.line_map[len(out_lines)] = (cell_no, first + offset + shift)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                result.defined.append(node.name)
    result.code = "\n".join(out_lines) + "\n"
    return result
