"""The contract table: every promise a stub's docstring makes, and the hidden tests that grade it
(or why none does). Written to ``docs/contract.md`` by ``dlcourse build``; checked by
``tests/autograder/test_contract.py``.

A docstring is cut into clauses (its sentences, and each ``Args``/``Raises`` entry); each clause
must hold the quote of at least one :class:`Promise` of the assignment's ``CONTRACT`` (in
``autograder/hidden/<assignment>/contract.py``), so a docstring that gains a promise fails the
test until the table says who grades it.
"""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignments import get_assignment

SECTION = re.compile(r"^\s*(Args|Arguments|Returns|Raises|Yields):\s*$")
ENTRY = re.compile(r"^\s{4}[\w*, ()]+: ")


@dataclass(frozen=True)
class Promise:
    """One promise of ``function``'s docstring: ``quote`` is a piece of its text; ``tests`` the
    hidden tests that grade it, ``mutants`` the mistakes that break it (``solutions/mutants_*``),
    or ``reason`` why it is not graded."""

    function: str
    quote: str
    tests: tuple[str, ...] = ()
    mutants: tuple[str, ...] = ()
    reason: str = ""


@dataclass
class Stub:
    name: str
    clauses: list[str] = field(default_factory=list)
    docstring: str = ""


def normal(text: str) -> str:
    return " ".join(text.split())


def clauses(docstring: str) -> list[str]:
    """A docstring's sentences and ``Args``/``Raises`` entries, whitespace normalised."""
    parts: list[list[str]] = [[]]
    for line in docstring.splitlines():
        if not line.strip() or SECTION.match(line):
            parts.append([])
            continue
        if ENTRY.match(line):
            parts.append([])
        parts[-1].append(line.strip())
    found = []
    for part in parts:
        text = normal(" ".join(part))
        found += [s for s in re.split(r"(?<=[.;])\s+(?=[A-Z`(])", text) if s]
    return found


def stubs(source: Path) -> list[Stub]:
    """The functions a learner fills in (their body holds ``BEGIN SOLUTION``), in order."""
    text = source.read_text(encoding="utf-8")
    found = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            body = ast.get_source_segment(text, node) or ""
            if "BEGIN SOLUTION" in body:
                doc = ast.get_docstring(node) or ""
                found.append(Stub(node.name, clauses(doc), normal(doc)))
    return found


def promises(assignment: str) -> list[Promise] | None:
    """The assignment's table (``autograder.hidden.<assignment>.contract.CONTRACT``), or None
    when it has none yet."""
    try:
        module = importlib.import_module(get_assignment(assignment).contract)
    except ModuleNotFoundError:
        return None
    return list(module.CONTRACT)


def uncovered(stub: Stub, table: list[Promise]) -> list[str]:
    """The clauses of ``stub``'s docstring that hold no promise's quote."""
    quotes = [normal(p.quote) for p in table if p.function == stub.name]
    return [c for c in stub.clauses if not any(q in c for q in quotes)]


def render(rows: dict[str, tuple[Path, list[Promise] | None]]) -> str:
    """``docs/contract.md`` for ``{assignment: (source, its table or None)}``."""
    out = [
        "# The contract: every docstring promise and what grades it",
        "",
        "Written by `dlcourse build` from the stubs' docstrings (`solutions/*.py`) and the",
        "tables in `autograder/hidden/<assignment>/contract.py`; do not edit by hand.",
        "`tests/autograder/test_contract.py` fails when a docstring clause holds no promise,",
        "a promise names a test or mutant that does not exist, or a promise has neither tests",
        "nor a reason.",
        "",
    ]
    for assignment, (source, table) in rows.items():
        out += [f"## {assignment}", ""]
        if table is None:
            out += ["No table yet: its promises are not mapped to tests.", ""]
            continue
        graded = sum(1 for p in table if p.tests)
        bare = sum(1 for p in table if p.tests and not p.mutants)
        out += [
            f"{len(table)} promises of {len(stubs(source))} functions: {graded} graded, "
            f"{len(table) - graded} not graded (with the reason); {bare} of the graded ones "
            "have no mutant of their own yet.",
            "",
            "| function | promise (from the docstring) | graded by | mutants |",
            "|---|---|---|---|",
        ]
        for p in table:
            tests = ", ".join(f"`{t}`" for t in p.tests) or f"not graded: {p.reason}"
            if p.tests and p.reason:
                tests += f" ({p.reason})"
            mutants = ", ".join(f"`{m}`" for m in p.mutants) or "-"
            quote = normal(p.quote).replace("``", "`").replace("|", "\\|")
            out.append(f"| `{p.function}` | {quote} | {tests} | {mutants} |")
        out.append("")
    return "\n".join(out)


def problems(
    assignment: str, source: Path, tests: set[str], mutants: dict[str, str | None]
) -> list[str]:
    """What is wrong with ``assignment``'s table against its docstrings (``source``), its
    suite's ``tests`` and its ``mutants`` (name -> step, None for alternatives); [] when
    nothing is."""
    table = promises(assignment)
    if table is None:
        return [f"{assignment} has no contract table"]
    found = []
    docs = {stub.name: stub for stub in stubs(source)}
    for stub in docs.values():
        found += [f"{stub.name}: no promise holds {c!r}" for c in uncovered(stub, table)]
    for p in table:
        if p.function not in docs:
            found.append(f"{p.function}: not a stub of {source.name}")
        elif normal(p.quote) not in docs[p.function].docstring:
            found.append(f"{p.function}: {p.quote!r} is not in its docstring")
        if not p.tests and not p.reason:
            found.append(f"{p.function}: {p.quote!r} has neither a test nor a reason")
        found += [f"{p.function}: no hidden test {t!r}" for t in p.tests if t not in tests]
        found += [
            f"{p.function}: no mistake mutant {m!r}"
            for m in p.mutants
            if mutants.get(m, "missing") in (None, "missing")
        ]
    graded = {t for p in table for t in p.tests}
    found += [f"hidden test {t!r} grades no promise of the table" for t in sorted(tests - graded)]
    broken = {m for p in table for m in p.mutants}
    found += [
        f"mutant {m!r} breaks no promise of the table"
        for m, step in sorted(mutants.items(), key=lambda kv: kv[0])
        if step is not None and m not in broken
    ]
    return found
