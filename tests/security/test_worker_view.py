"""The worker reads nothing it should not: its file system is an allow-list, so no copy of the
grader's hidden side (source, bytecode, installed copy, zip), no classmate's file and no result
exists for it, and a record planted in the results folder is never kept.

The markers a hostile submission hunts for are derived from the grader-side modules themselves
(every string constant of every grader-side module that no worker-visible file also holds, and
the seed salt), not from a hand-written list, so a new verdict module is covered the day it lands.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.assignments import ASSIGNMENTS
from autograder.cli import grade_paths, main
from autograder.engines import LocalEngine
from autograder.extract import extract
from autograder.hidden import base
from autograder.isolation import PACKAGE_ROOT
from autograder.reader import read_submission
from tests.conftest import ROOT, reference_code_of

pytestmark = [pytest.mark.torch, pytest.mark.slow]

PACKAGE = PACKAGE_ROOT / "autograder"
WORKER_SIDE = ("probes", "worker", "__init__.py", "codec.py", "channel.py")
"""What of ``autograder`` a worker runs (in memory only: it reads none of it from disk)."""


def grader_side_modules() -> list[Path]:
    """Every module of the package that is not worker-side: the hidden tests and the engine."""
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] not in WORKER_SIDE and "__pycache__" not in p.parts
    )


def _strings(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def markers() -> list[str]:
    """The two longest string constants (>= 24 characters) of every module of the hidden
    tests (``autograder/hidden``: suites, verdicts, numerics, the salt's module) found in
    no file a worker may read (worker-side modules, ``course_utils``), plus the seed salt.
    They survive compilation, so they show in bytecode and in zipped or installed copies too."""
    public = set()
    for folder in (PACKAGE / "probes", PACKAGE / "worker", PACKAGE_ROOT / "course_utils"):
        for path in folder.rglob("*.py"):
            public |= _strings(path)
    for name in ("codec.py", "channel.py", "__init__.py"):
        public |= _strings(PACKAGE / name)
    found = {base._SEED_SALT}
    for path in (p for p in grader_side_modules() if "hidden" in p.relative_to(PACKAGE).parts):
        own = sorted(
            (s.strip() for s in _strings(path) - public if len(s.strip()) >= 24 and "\n" not in s),
            key=lambda s: (-len(s), s),
        )
        found |= set(own[:2])  # the two longest: a walker reads ~a GB, one search per marker
    return sorted(found)


WALKER = """
class _Walk:
    import os, sys, zipfile
    MARKERS = [m.encode() for m in {markers!r}]
    SKIP = ("/proc", "/sys", "/dev")
    # third-party trees too big to read within the load limit (their names are still walked)
    HEAVY = {{"torch", "tensorflow", "keras", "tensorboard", "jaxlib", "nvidia", "triton",
             "sympy", "scipy", "pandas", "matplotlib", "numpy", "jupyterlab", "notebook",
             "IPython", "share", "include", "locale", "x86_64-linux-gnu", "perl", "perl5",
             "gcc", "zoneinfo", "doc", "man", "playwright", "babel", "nbconvert", "mpl-data"}}
    SUFFIXES = (".py", ".pyc", ".zip", ".whl", ".egg", ".json", ".ipynb", ".txt", ".pth", ".toml")
    hits, looked = [], 0

    def scan(name, data, hits=hits, markers=MARKERS):
        if any(m in data for m in markers):
            hits.append(name)

    # "/" (system programs under /usr skipped) and every sys.path entry (where a copy of a
    # package would be importable from, /usr's dist-packages included)
    tops = [{top!r}] + ([p for p in sys.path if p.startswith("/usr")] if {top!r} == "/" else [])
    for top in tops:
        for folder, dirs, files in os.walk(top or "."):
            if folder.startswith(SKIP) or (folder.startswith("/usr/") and top == "/"):
                dirs[:] = []
                continue
            heavy = bool(HEAVY.intersection(folder.split("/")))
            heavy = heavy or ("/lib/python3" in folder and "-packages" not in folder)  # stdlib
            for d in dirs:
                inside = []
                if d == "autograder":  # a copy of the grader: its hidden side or its sources
                    try:
                        inside = [e for e in os.listdir(os.path.join(folder, d))
                                  if e == "hidden" or e.endswith(".py")]
                    except OSError:
                        pass
                if inside or d in ("hidden", "solutions") or d.startswith("{classmate}"):
                    hits.append(os.path.join(folder, d) + "/")
            for f in files:
                path = os.path.join(folder, f)
                if f.startswith("{classmate}") or f.endswith("{record}"):
                    hits.append(path)
                if heavy or (not f.endswith(SUFFIXES) and "." in f):
                    continue
                try:
                    if os.path.getsize(path) > 8_000_000:
                        continue
                    with open(path, "rb") as handle:
                        data = handle.read()
                except OSError:
                    continue
                looked += 1
                scan(path, data)
                if f.endswith((".zip", ".whl", ".egg")):
                    try:
                        with zipfile.ZipFile(path) as archive:
                            for member in archive.namelist():
                                scan(path + "!" + member, archive.read(member))
                    except Exception:
                        pass
    try:
        import autograder.hidden.base as _b
        hits.append("import autograder.hidden.base: " + repr(_b))
    except ImportError:
        pass
    hits += [m for m in sys.modules if m.startswith("autograder")]
    raise RuntimeError("WALKED %d files; FOUND %d: %s" % (looked, len(hits), sorted(set(hits))[:6]))
"""


def walker_code(
    classmate: str = "zz-no-classmate", record: str = "zz-no-record", top: str = "/"
) -> str:
    stub = extract(read_submission(ROOT / "assignments" / "01_pytorch_pipeline.ipynb")).code
    body = WALKER.format(markers=markers(), classmate=classmate, record=record, top=top)
    return stub + textwrap.dedent(body)


def _walk_report(result) -> str:  # noqa: ANN001
    notes = [n for n in result.notes if "WALKED" in n]
    assert notes, result.notes
    return notes[0]


def _found_nothing(report: str) -> bool:
    return "FOUND 0:" in report


def test_markers_come_from_every_grader_side_module():
    """Are there markers from the hidden tests of every assignment, and the salt?"""
    found = markers()
    assert base._SEED_SALT in found
    for assignment in ASSIGNMENTS:
        verdicts = [p for p in grader_side_modules() if p.parent.name == assignment]
        assert verdicts and any(set(found) & _strings(p) for p in verdicts), assignment


def test_the_walker_would_find_the_grader_outside_the_sandbox(tmp_path):
    """Can the walker fail? Run here, unsandboxed, over the package, it finds the hidden tests."""
    code = walker_code(top=str(PACKAGE))
    start = code.index("class _Walk:")
    namespace: dict = {}
    with pytest.raises(RuntimeError, match=r"FOUND [1-9]"):
        exec(compile(code[start:], "walker", "exec"), namespace)  # noqa: S102


@pytest.fixture(scope="module", params=["warm", "cold"])
def class_tree(request, tmp_path_factory):
    """A class laid out one folder per learner (nbgrader-style ``submitted/<id>/<assignment>``
    and plain ``subs/<id>/``), graded in one batch: the reference, a walker, and a stub that
    tries to read and run a classmate's file."""
    base_dir = tmp_path_factory.mktemp(f"class-{request.param}")
    subs = base_dir / "submitted"
    (subs / "alice" / "pytorch").mkdir(parents=True)
    (subs / "bob" / "pytorch").mkdir(parents=True)
    (subs / "carol").mkdir(parents=True)
    alice = subs / "alice" / "pytorch" / "alice-solution.py"
    alice.write_text(reference_code_of("pytorch"))
    walker = subs / "bob" / "pytorch" / "bob.py"
    walker.write_text(walker_code(classmate="alice", record="alice-solution.json"))
    stub = extract(read_submission(ROOT / "assignments" / "01_pytorch_pipeline.ipynb")).code
    borrow = textwrap.dedent(
        f"""
        class _Borrow:
            import glob, os
            paths = [p for p in glob.glob("/**/alice-solution.py", recursive=True)]
            paths += [p for p in ["{alice}"] if os.path.exists(p)]
            if paths:
                exec(open(paths[0]).read(), globals())
        """
    )
    (subs / "carol" / "carol.py").write_text(stub + borrow)
    out = base_dir / "results"
    engine = LocalEngine(jobs=2, warm=request.param == "warm", private_dirs=[out])
    env = dict(os.environ)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        paths = [alice, walker, subs / "carol" / "carol.py"]
        results = grade_paths(paths, "pytorch", out, quiet=True, engine=engine)
    finally:
        engine.close()
        os.environ.clear()
        os.environ.update(env)
    return {r.submission: r for r in results}


def test_honest_learner_keeps_full_marks(class_tree):
    """Does the reference, graded beside a walker and a borrower, keep full marks?"""
    honest = class_tree["alice-solution.py"]
    assert honest.score == honest.max_score > 0 and honest.sandbox == "mount, net, pid"


def test_walker_finds_no_grader_code_no_classmate_and_no_result(class_tree):
    """Does a submission that walks the whole file system and every sys.path entry (source,
    bytecode, zips) find no grader-side content, no classmate's file and no result record?"""
    report = _walk_report(class_tree["bob.py"])
    assert "WALKED" in report and _found_nothing(report), report
    assert class_tree["bob.py"].score == 0


def test_a_stub_cannot_run_a_classmates_file(class_tree):
    """Does a stub that looks for a classmate's solution (by glob over / and by its real path)
    and runs it earn nothing (it finds nothing to run)?"""
    assert class_tree["carol.py"].score == 0


def test_planted_record_is_never_kept(tmp_path, capsys):
    """Is a record planted in --out (right assignment, suite version and content hash, a
    forged score) graded again instead of kept?"""
    subs, out = tmp_path / "subs", tmp_path / "results"
    subs.mkdir()
    stub = extract(read_submission(ROOT / "assignments" / "01_pytorch_pipeline.ipynb")).code
    (subs / "mallory.py").write_text(stub)
    assert main(["grade", str(subs), "--assignment", "pytorch", "--out", str(out)]) == 0
    record = json.loads((out / "mallory.json").read_text())
    assert record["score"] == 0 and "signature" in record
    forged = {k: v for k, v in record.items() if k != "signature"}
    for test in forged["tests"]:
        test.update(score=test["max_score"], status="passed", message="")
    (out / "mallory.json").write_text(json.dumps(forged))
    capsys.readouterr()
    assert main(["grade", str(subs), "--assignment", "pytorch", "--out", str(out)]) == 0
    assert "kept" not in capsys.readouterr().err
    assert json.loads((out / "mallory.json").read_text())["score"] == 0


def test_a_record_this_grader_wrote_is_kept(tmp_path, capsys):
    """Does resume still keep a record the grader signed (so the HMAC costs no regrade)?"""
    subs, out = tmp_path / "subs", tmp_path / "results"
    subs.mkdir()
    (subs / "a.py").write_text("x = 1\n")
    assert main(["grade", str(subs), "--assignment", "pytorch", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["grade", str(subs), "--assignment", "pytorch", "--out", str(out)]) == 0
    assert "unchanged a.py" in capsys.readouterr().err


@pytest.mark.parametrize("inside", [".", "results", "alice/results", "alice"])
def test_out_inside_the_submissions_is_a_usage_error(tmp_path, capsys, inside):
    """Is --out inside (or equal to) a folder of submissions refused with exit 2?"""
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / "a.py").write_text("x = 1\n")
    out = subs / inside
    code = main(["grade", str(subs / "alice" / "a.py"), str(subs), "--assignment", "pytorch",
                 "--out", str(out)])  # fmt: skip
    assert code == 2
    assert "inside the submissions folder" in capsys.readouterr().err


def test_gradescope_tree_installed_non_editable(tmp_path):
    """In a Gradescope tree whose venv holds a non-editable install (a full copy of the grader
    in site-packages, as setup.sh makes), does the walker still find nothing?"""
    from autograder.exports.gradescope import install_tree, write_bundle

    root = tmp_path / "autograder"
    install_tree(write_bundle(tmp_path / "bundle.zip", "pytorch"), root)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    # the frameworks come from this environment; the grader is copied in, as pip would
    ours = next(p for p in sys.path if p.endswith("site-packages") and Path(p, "torch").is_dir())
    (site / "frameworks.pth").write_text(ours + "\n")
    for package in ("autograder", "course_utils"):
        shutil.copytree(root / "source" / "dlcourse" / package, site / package)
    subprocess.run([str(venv / "bin" / "python"), "-m", "compileall", "-q", str(site)], check=True)
    assert list((site / "autograder" / "hidden").rglob("*.pyc"))
    (root / "submission" / "01_pytorch_pipeline.py").write_text(walker_code())
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(DLCOURSE_AUTOGRADER_ROOT=str(root), DLCOURSE_PYTHON=str(venv / "bin" / "python"))
    subprocess.run([str(root / "run_autograder")], env=env, check=True, timeout=600)
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0
    reports = [line for line in data["output"].splitlines() if "WALKED" in line]
    assert reports, data["output"][:2000]
    report = reports[0]
    assert _found_nothing(report), report


def test_exposed_paths_are_read_only(tmp_path):
    """Can a submission write into what its view exposes (course_utils, site-packages, a tree
    under /tmp)? Every write outside its private /tmp fails with a read-only file system."""
    import course_utils
    from autograder.grade import grade_file

    targets = [Path(course_utils.__file__).parent / "planted.py", Path(sys.prefix) / "planted"]
    stub = extract(read_submission(ROOT / "assignments" / "01_pytorch_pipeline.ipynb")).code
    attack = textwrap.dedent(
        f"""
        def download(url, cache_dir, sha256):
            outcomes = []
            for target in {[str(t) for t in targets]!r}:
                try:
                    open(target, "w").write("x")
                    outcomes.append("WROTE " + target)
                except OSError as exc:
                    outcomes.append(type(exc).__name__ + ": " + str(exc.strerror))
            raise RuntimeError(" | ".join(outcomes))
        """
    )
    (tmp_path / "writer.py").write_text(stub + attack)
    result = grade_file(tmp_path / "writer.py", "pytorch")
    message = next(t.message for t in result.tests if t.name == "download_fetches_and_verifies")
    assert "WROTE" not in message and message.count("Read-only file system") == 2, message
    assert not any(t.exists() for t in targets)
