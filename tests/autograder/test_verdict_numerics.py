"""Do verdicts compare observed numbers only through the NaN-safe helpers of
``autograder/hidden/common/numerics.py``?

Every ordering comparison with NaN is False. A verdict that fails on ``abs(got - want) > tol``
therefore lets a NaN through as correct, and one that passes on ``got >= 0.85`` rejects it
without saying why. So verdict modules (``autograder/hidden/**/verdicts*.py``) must not compare
numbers by hand; they call ``numerics.close`` / ``close_to_any`` / ``at_least`` / ``at_most`` /
``above`` / ``finite`` (False for NaN, ±inf, None, non-numeric values and shape mismatches) and
``numerics.non_finite_message`` to say that a value was NaN.

The rule, checked on the syntax tree of every verdict module (``numerics.py`` itself is not a
verdict module and is exempt):

1. No call of a function or method named ``allclose``, ``isclose``, ``isfinite`` or ``isnan``
   (``np.allclose``, ``math.isclose``, ``np.isfinite``...): closeness and finiteness are decided
   in one place.
2. No ordering comparison (``<``, ``<=``, ``>``, ``>=``) of which an operand contains
   a. a distance: a call of ``abs``, ``np.abs`` / ``numpy.abs``, ``np.absolute``, ``np.fabs`` or
      ``math.fabs`` (``abs(obs["x"] - 1) > 1e-4``, ``min(abs(a - b), ...) < tol``);
   b. a float literal: a tolerance or a threshold (``1e-4``, ``0.85``);
   c. an identifier or string key that names a tolerance (contains ``tol``: ``tol``, ``atol``,
      ``tolerances[k]``, ``obs["tolerance"]``).
   Ordering comparisons of integers (``len(a) > n``, ``runs > 1``, ``traces > 2``) are allowed:
   they count things (lengths, steps, batches), and a count is never NaN.

Equality tests (``==``, ``!=``, ``np.array_equal``) are not restricted: NaN is unequal to
everything, so a verdict that passes on equality or fails on inequality already rejects it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

HIDDEN = ROOT / "autograder" / "hidden"
VERDICT_MODULES = sorted(HIDDEN.rglob("verdicts*.py"))
FORBIDDEN_CALLS = {"allclose", "isclose", "isfinite", "isnan"}
DISTANCE_CALLS = {"abs", "absolute", "fabs"}
ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _names_tolerance(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return "tol" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "tol" in node.attr.lower()
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "tol" in node.value.lower()
    return False


def _why_tolerance_or_threshold(operand: ast.AST) -> str | None:
    """What makes this operand of an ordering comparison a distance or a bound, if anything."""
    for node in ast.walk(operand):
        if isinstance(node, ast.Call) and _call_name(node) in DISTANCE_CALLS:
            return f"a distance ({ast.unparse(node)})"
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            return f"a float threshold or tolerance ({node.value!r})"
        if _names_tolerance(node):
            return f"a tolerance ({ast.unparse(node)})"
    return None


def violations(source: str, filename: str = "<source>") -> list[str]:
    """Every place in ``source`` that compares numbers by hand, as ``file:line: what``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call) and _call_name(node) in FORBIDDEN_CALLS:
            found.append(
                f"{filename}:{node.lineno}: {ast.unparse(node.func)}(...) is not NaN-safe in a "
                "verdict; use numerics.close / numerics.finite"
            )
        if isinstance(node, ast.Compare) and any(isinstance(op, ORDERING) for op in node.ops):
            for operand in (node.left, *node.comparators):
                why = _why_tolerance_or_threshold(operand)
                if why:
                    found.append(
                        f"{filename}:{node.lineno}: `{ast.unparse(node)}` compares against {why} "
                        "with a bare ordering operator, which NaN passes or fails silently; use "
                        "numerics.close / at_least / at_most / above"
                    )
                    break
    return found


def test_every_verdict_module_is_scanned():
    """Does the scan find the verdict modules of every assignment and the shared ones?"""
    names = {p.relative_to(HIDDEN).as_posix() for p in VERDICT_MODULES}
    assert {
        "bridge/verdicts.py",
        "common/verdicts_data.py",
        "common/verdicts_model.py",
        "common/verdicts_report.py",
        "pytorch/verdicts_io.py",
        "pytorch/verdicts_loop.py",
        "pytorch/verdicts_nn.py",
        "tf1/verdicts_graph.py",
        "tf2/verdicts_tf.py",
    } <= names
    assert "common/numerics.py" not in names


@pytest.mark.parametrize("path", VERDICT_MODULES, ids=lambda p: p.relative_to(HIDDEN).as_posix())
def test_verdicts_compare_numbers_only_through_numerics(path: Path):
    """Does this verdict module leave every tolerance and threshold to the NaN-safe helpers?"""
    assert violations(path.read_text(encoding="utf-8"), path.name) == []


@pytest.mark.parametrize(
    "source",
    [
        'if abs(obs["x"] - 1) > 1e-4:\n    pass',
        "ok = min(abs(v - a), abs(v - b)) < 1e-4",
        "ok = np.max(np.abs(got - want)) <= limit",
        'ok = obs["final_accuracy"] >= 0.85',
        'ok = obs["final_accuracy"] < 0.85',
        "ok = report[k] <= tolerances[k]",
        "ok = diff > atol",
        "ok = np.allclose(got, want, atol=1e-4)",
        "ok = math.isclose(got, want)",
        "ok = bool(np.isfinite(x))",
        "ok = allclose(got, want)",
    ],
)
def test_rule_flags_bare_comparisons(source: str):
    """Is a hand-made tolerance or threshold comparison reported?"""
    assert len(violations(source)) == 1, violations(source)


@pytest.mark.parametrize(
    "source",
    [
        "ok = len(a1) > n",
        "ok = runs > 1",
        'ok = rows.get("train", 0) < 1000',
        'ok = num.close(obs["x"], 1, atol=1e-4)',
        'ok = num.at_least(obs["final_accuracy"], 0.85)',
        'ok = obs["epochs"] == 3',
        "ok = np.array_equal(a, b)",
    ],
)
def test_rule_allows_counts_helpers_and_equality(source: str):
    """Are counts, the helpers and equality tests left alone?"""
    assert violations(source) == []


def test_rule_names_file_and_line():
    """Does a violation say where it is and what to use instead?"""
    (found,) = violations('x = 1\nif abs(obs["x"] - 1) > 1e-4:\n    pass\n', "verdicts_demo.py")
    assert found.startswith("verdicts_demo.py:2: ")
    assert "numerics.close" in found
