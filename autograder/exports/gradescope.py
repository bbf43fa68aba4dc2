"""``dlcourse build --gradescope FILE.zip --assignment NAME``: a Gradescope autograder bundle.

The zip holds ``setup.sh`` (run once when Gradescope builds the image: a Python 3.11 virtual
environment with this package and the one framework the assignment needs), ``run_autograder``
(run per submission) and ``dlcourse/`` (this package's source: the grader and its hidden tests,
which stay on the grading side; learner code reads none of it from its sandbox).

``run_autograder`` grades the notebook in ``/autograder/submission`` with the same sandboxed
worker as ``dlcourse grade`` and writes ``/autograder/results/results.json`` atomically, in
Gradescope's format: top-level ``score``, ``execution_time``, ``output``; one visible test per
step with its points; one test per hidden check (name, outcome, teaching message) whose
visibility is ``after_due_date`` by default. The root is configurable
(``DLCOURSE_AUTOGRADER_ROOT``), so tests run it in a temporary tree laid out like ``/autograder``.
"""

from __future__ import annotations

import argparse
import shutil
import stat
import sys
import time
import traceback
import zipfile
from pathlib import Path
from typing import Any

from autograder.assignments import ASSIGNMENTS, get_assignment
from autograder.build import repo_root
from autograder.results import SubmissionResult, write_json_atomic

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
# Gradescope's default container: 768 MB of memory, half a vCPU, 10 minutes per submission.
DEFAULT_LIMITS = {"memory_mb": 768, "cpus": 0.5, "timeout_s": 600}
_EXTRAS = {"torch": "torch", "tensorflow": "tf", "torch+tensorflow": "torch,tf"}

_SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
if ! command -v python3.11 >/dev/null 2>&1; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends python3.11 python3.11-venv
fi
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet --upgrade pip
# CPU wheels of PyTorch (the default index would pull a multi-GB CUDA build).
/autograder/venv/bin/pip install --quiet \\
    --extra-index-url https://download.pytorch.org/whl/cpu "$SOURCE/dlcourse[{extra}]"
"""

_RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission; results go to $ROOT/results/results.json.
set -uo pipefail
ROOT="${{DLCOURSE_AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{DLCOURSE_PYTHON:-$ROOT/venv/bin/python}}"
cd "$ROOT"
# The bundle's copy of the grader comes first on the path, whatever else is installed.
export PYTHONPATH="$ROOT/source/dlcourse"
exec "$PYTHON" -m autograder.exports.gradescope --root "$ROOT" \\
    --assignment {assignment} --details {details}
"""


def write_bundle(
    zip_path: Path, assignment: str, details: str = "after_due_date", root: Path | None = None
) -> Path:
    """Write the autograder zip for ``assignment``. ``details``: when learners see each hidden
    check's outcome and message (Gradescope visibility); step scores are always visible."""
    if details not in VISIBILITIES:
        raise ValueError(f"details visibility must be one of {VISIBILITIES}, got {details!r}")
    spec = get_assignment(assignment)
    root = root or repo_root()
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = zip_path.with_name(f".{zip_path.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as bundle:
        _add(bundle, "setup.sh", _SETUP.format(extra=_EXTRAS[spec.framework]), executable=True)
        run = _RUN.format(assignment=assignment, details=details)
        _add(bundle, "run_autograder", run, executable=True)
        for name in ("pyproject.toml", "README.md"):
            _add(bundle, f"dlcourse/{name}", (root / name).read_text(encoding="utf-8"))
        for package in ("autograder", "course_utils"):
            for path in sorted((root / package).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    arcname = f"dlcourse/{path.relative_to(root).as_posix()}"
                    bundle.write(path, arcname)
    tmp.replace(zip_path)
    return zip_path


def _add(bundle: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, text)


# -- run_autograder ---------------------------------------------------------------------------


def find_submission(folder: Path, assignment: str) -> Path:
    """The file to grade in Gradescope's submission folder (uploads may be nested).

    The notebook with the assignment's name; else the one notebook naming the assignment in its
    metadata; else the only notebook; else the only ``.py`` file. The first of these that finds
    anything decides: two candidates there are ambiguous (a ``.py`` beside two notebooks is not
    graded instead). Raises ``FileNotFoundError`` saying what was found otherwise."""
    from autograder.exports.cell import names_assignment

    expected = Path(get_assignment(assignment).notebook).name
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__MACOSX" not in p.parts)
    notebooks = [p for p in files if p.suffix == ".ipynb" and ".ipynb_checkpoints" not in p.parts]
    for choice in (
        [p for p in notebooks if p.name == expected],
        [p for p in notebooks if names_assignment(p, assignment)],
        notebooks,
        [p for p in files if p.suffix == ".py"],
    ):
        if len(choice) == 1:
            return choice[0]
        if len(choice) > 1:
            names = ", ".join(str(p.relative_to(folder)) for p in choice[:10])
            raise FileNotFoundError(
                f"the submission is ambiguous: {len(choice)} files could be the {assignment} "
                f"notebook ({names}), and none is graded in their place. Likely cause: "
                f"several versions were uploaded; upload one, named {expected}"
            )
    shown = ", ".join(str(p.relative_to(folder)) for p in files[:10]) or "nothing"
    raise FileNotFoundError(
        f"expected one notebook ({expected}) in the submission; found {shown}. Likely cause: "
        "the notebook was not uploaded, or several notebooks were and none has that name"
    )


def results_json(result: SubmissionResult, details: str = "after_due_date") -> dict[str, Any]:
    """Gradescope's ``results.json`` from the one results model: per step a visible test with
    its points, per hidden check a test with its outcome and teaching message."""
    tests: list[dict[str, Any]] = []
    for step, total in result.steps.items():
        checks = [t for t in result.tests if t.step == step]
        passed = sum(t.status == "passed" for t in checks)
        tests.append(
            {
                "name": f"{step}",
                "score": total.score,
                "max_score": total.max_score,
                "status": "passed" if total.score >= total.max_score else "failed",
                "output": f"{passed} of {len(checks)} hidden checks passed",
                "visibility": "visible",
            }
        )
    for test in result.tests:
        tests.append(
            {
                "name": f"{test.step}: {test.name}",
                "status": "passed" if test.status == "passed" else "failed",
                "output": test.message
                or f"{test.score:g}/{test.max_score:g} points ({test.status})",
                "visibility": details,
            }
        )
    lines = [f"{result.assignment}: {result.score:g}/{result.max_score:g} points"]
    if result.submission and not result.submission.startswith("("):
        lines.append(f"Graded file: {result.submission}")
    if result.error:
        lines.append(f"Not graded: {result.error}")
    lines += [f"Note: {note}" for note in result.notes]
    return {
        "score": result.score,
        "execution_time": round(result.elapsed_s, 1),
        "output": "\n".join(lines),
        "output_format": "text",
        "stdout_visibility": "hidden",
        "extra_data": {
            "assignment": result.assignment,
            "suite_version": result.suite_version,
            "content_sha256": result.content_sha256,
            "peak_rss_mb": round(result.peak_rss_mb, 1),
            "grader": str(Path(__file__).resolve().parents[2]),
        },
        "tests": tests,
    }


def run(root: Path, assignment: str, details: str = "after_due_date") -> dict[str, Any]:
    """Grade ``root/submission`` and write ``root/results/results.json``; never raises for a
    problem of the submission, and writes a record (score 0, the reason) if grading failed."""
    from autograder.grade import grade_file

    started = time.monotonic()
    results_dir = root / "results"
    try:
        path = find_submission(root / "submission", assignment)
        result = grade_file(path, assignment, private_dirs=[results_dir, root / "submission"])
        result.submission = path.relative_to(root / "submission").as_posix()
    except FileNotFoundError as exc:
        result = _not_graded("(none)", assignment, str(exc), f"not graded: {exc}")
    except Exception as exc:  # the grader's own failure: still a record, never a missing file
        message = f"internal error of the grader ({type(exc).__name__}: {exc}); please report it"
        traceback.print_exc()
        result = _not_graded("(error)", assignment, message, message)
    result.elapsed_s = time.monotonic() - started
    data = results_json(result, details)
    write_json_atomic(results_dir / "results.json", data)
    return data


def _not_graded(submission: str, assignment: str, error: str, message: str) -> SubmissionResult:
    """A record with ``error`` set and every hidden test at 0 with ``message``."""
    from autograder.hidden.base import result_for
    from autograder.suites import get_suite

    suite = get_suite(assignment)
    result = SubmissionResult(
        submission, assignment, suite_version=suite.record_version, error=error
    )
    result.tests = [result_for(t, "error", message) for t in suite.tests]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.exports.gradescope")
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    parser.add_argument("--assignment", required=True, choices=sorted(ASSIGNMENTS))
    parser.add_argument("--details", default="after_due_date", choices=VISIBILITIES)
    args = parser.parse_args(argv)
    data = run(args.root, args.assignment, args.details)
    print(data["output"])
    return 0


def install_tree(bundle: Path, root: Path) -> Path:
    """Lay out ``root`` as Gradescope does: the bundle in ``source/``, ``run_autograder`` at the
    top, empty ``submission/`` and ``results/``. For tests and local trials."""
    with zipfile.ZipFile(bundle) as archive:
        for info in archive.infolist():
            target = root / "source" / info.filename
            archive.extract(info, root / "source")
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                target.chmod(mode)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir(parents=True, exist_ok=True)
    (root / "results").mkdir(parents=True, exist_ok=True)
    return root / "run_autograder"


if __name__ == "__main__":
    sys.exit(main())
