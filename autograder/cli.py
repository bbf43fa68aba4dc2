"""``dlcourse``: build notebooks, grade submissions, run the demo.

Exit codes: 0 every submission was graded (whatever its score, including unreadable files, which
get an error record); 2 usage error: unknown assignment, no files, or a file whose assignment was
neither given (--assignment) nor in its metadata (the others are still graded and every file
still gets a record); 3 ``build --check`` found generated files out of date; 4 ``check`` ran and
some public checks fail; 5 ``gradebook``/``feedback``/``analytics`` skipped some files that are
not valid result records (each is named; the rest is still processed); 1 an internal error of the
grader itself.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from autograder.assignments import ASSIGNMENTS, UnknownAssignmentError
from autograder.exports.gradescope import VISIBILITIES
from autograder.results import SubmissionResult, write_result
from autograder.sandbox import GraderInternalError, Limits

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_STALE, EXIT_CHECKS_FAIL = 0, 1, 2, 3, 4
EXIT_SKIPPED = 5
EXIT_INTERRUPTED = 130  # as a shell reports a command stopped by Ctrl-C
SUBMISSION_SUFFIXES = (".ipynb", ".py")


def _expand(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.iterdir() if p.suffix in SUBMISSION_SUFFIXES and p.is_file())
            )
        else:
            found.append(path)
    return found


def _stems(paths: list[Path]) -> list[str]:
    """Unique result-file stems: the submission's stem; where several files share one, the parent
    folder's name is prefixed (``pytorch__reference``), then a counter if that is not enough."""
    counts: dict[str, int] = {}
    for path in paths:
        counts[path.stem] = counts.get(path.stem, 0) + 1
    stems: list[str] = []
    taken: set[str] = set()
    for path in paths:
        stem = path.stem if counts[path.stem] == 1 else f"{path.parent.name}__{path.stem}"
        candidate, n = stem, 2
        while candidate in taken:
            candidate, n = f"{stem}-{n}", n + 1
        taken.add(candidate)
        stems.append(candidate)
    return stems


def _when(path: Path) -> str:
    from datetime import UTC, datetime

    from autograder.learners import submission_time

    return datetime.fromtimestamp(submission_time(path), UTC).isoformat(timespec="seconds")


def _learner_stems(learners: list[str], names: list[str | None], out: Path | None) -> list[str]:
    """Result-file stems named after the learners: ``<learner>``, or ``<learner>__<assignment>``
    where the learner has another assignment in this batch or a record of another one in
    ``out``; a counter where even that is taken."""
    from autograder.learners import file_stem

    bases = [file_stem(learner) for learner in learners]
    assignments: dict[str, set[str | None]] = {}
    for base, name in zip(bases, names, strict=True):
        assignments.setdefault(base, set()).add(name)
    stems: list[str] = []
    for base, name in zip(bases, names, strict=True):
        stored = _stored(out, base)
        other = stored is not None and stored.assignment != (name or "unknown")
        stem = f"{base}__{name or 'unknown'}" if len(assignments[base]) > 1 or other else base
        candidate, n = stem, 2
        while candidate in stems:
            candidate, n = f"{stem}-{n}", n + 1
        stems.append(candidate)
    return stems


def _stored(out: Path | None, stem: str) -> SubmissionResult | None:
    """The result this grader wrote (its signature verifies) under ``stem`` in ``out``."""
    from autograder.records import verify

    if out is None or not (out / f"{stem}.json").is_file():
        return None
    try:
        data = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
        if not verify(data):
            return None  # not written by this grader (planted, edited, or another key): regrade
        return SubmissionResult.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable or from an interrupted writer: grade again


def _reusable(previous: SubmissionResult | None, path: Path, assignment: str) -> bool:
    """Was ``previous`` made from these exact bytes by this version of the hidden tests?"""
    from autograder.reader import SubmissionReadError, read_bytes
    from autograder.suites import get_suite

    if previous is None:
        return False
    try:
        digest = hashlib.sha256(read_bytes(path)).hexdigest()
    except (OSError, SubmissionReadError):
        return False
    return (
        previous.assignment == assignment
        and previous.content_sha256 == digest
        and previous.suite_version == get_suite(assignment).record_version
    )


def regrade_change(before: SubmissionResult, after: SubmissionResult) -> str:
    """One line on what a regrade changed: why it was regraded, the score, the tests whose
    points moved (``regraded alice.ipynb (hidden tests changed): 56 -> 55; fit_history 1 -> 0``)."""
    if before.content_sha256 != after.content_sha256:
        why = "the file changed"
    elif before.suite_version != after.suite_version:
        why = "hidden tests changed"
    else:
        why = "graded again"
    line = f"regraded {after.submission} ({why}): {before.score:g} -> {after.score:g}"
    if before.max_score != after.max_score:
        line += f" of {before.max_score:g} -> {after.max_score:g}"
    old = {t.name: t.score for t in before.tests}
    moved = [
        f"{t.name} {old[t.name]:g} -> {t.score:g}"
        if t.name in old
        else f"{t.name} new ({t.score:g})"
        for t in after.tests
        if old.get(t.name) != t.score
    ]
    moved += [f"{name} removed" for name in old if name not in {t.name for t in after.tests}]
    return line + (
        "; " + ", ".join(moved[:8]) + (", ..." if len(moved) > 8 else "") if moved else ""
    )


def grade_paths(
    paths: list[Path],
    assignment: str | None,
    out: Path | None,
    quiet: bool = False,
    resume: bool = True,
    engine: Any = None,
    learners: list[str] | None = None,
    notes: dict[int, list[str]] | None = None,
) -> list[SubmissionResult]:
    """Grade each file; a file whose assignment cannot be told still gets a result record.

    ``learners``: who handed in each file (``autograder.learners``); the records are then named
    after them (``<learner>.json``, ``<learner>__<assignment>.json`` where one learner has
    several assignments here or in ``out``). Without them, each file's learner is its name and
    records are named after the files. ``notes`` go into the record of the file at that index.

    With ``resume``, a file whose result in ``out`` was made from the same bytes by the same
    version of the hidden tests is not graded again (an interrupted batch continues where it
    stopped). ``engine`` grades the rest (default: one at a time, warm workers, here). Progress,
    with an estimate of the time left, goes to stderr; results come back in input order."""
    from autograder.engines import LocalEngine, Task
    from autograder.grade import resolve_assignment
    from autograder.learners import identify
    from autograder.suites import get_suite

    def say(message: str) -> None:
        if not quiet:
            print(message, file=sys.stderr)

    results: dict[int, SubmissionResult] = {}
    before: dict[int, SubmissionResult] = {}  # the records a regrade replaces
    tasks: list[Task] = []
    started = time.monotonic()
    names = [resolve_assignment(path, assignment) for path in paths]
    stamped = learners is not None  # a class batch: when each file was handed in is kept
    if learners is None:
        stems = _stems(paths)
        learners = [identify(path, None).learner for path in paths]
    else:
        stems = _learner_stems(learners, names, out)
    for index, (path, stem, name) in enumerate(zip(paths, stems, names, strict=True)):
        previous = _stored(out, stem) if name else None
        if resume and name and _reusable(previous, path, name):
            assert previous is not None
            say(f"unchanged {path.name}: {previous.score:g}/{previous.max_score:g} (kept)")
            results[index] = previous
        elif name is None:
            results[index] = SubmissionResult(
                submission=path.name,
                assignment="unknown",
                learner=learners[index],
                error=(
                    f"{path.name}: no --assignment given and the file names none in its metadata; "
                    f"pass --assignment ({', '.join(ASSIGNMENTS)})"
                ),
            )
            if out is not None:
                write_result(results[index], out, stem)
        else:
            get_suite(name)
            tasks.append(Task(index, path, stem, name))
            if previous is not None:
                before[index] = previous
    changes: list[str] = []
    owned = engine is None
    engine = engine or LocalEngine(private_dirs=[out] if out is not None else None)
    try:
        if tasks and len(paths) > 1:
            say(f"grading {len(tasks)} submissions ({engine.describe()})")
        for done, (task, result) in enumerate(engine.run(tasks), start=1):
            result.submission = task.path.name
            result.learner = learners[task.index]
            if stamped:
                result.submitted_at = _when(task.path)
            result.notes.extend((notes or {}).get(task.index, []))
            if out is not None:
                write_result(result, out, task.stem)
            results[task.index] = result
            if task.index in before:
                changes.append(regrade_change(before[task.index], result))
            elapsed = time.monotonic() - started
            left = elapsed / done * (len(tasks) - done)
            line = (
                f"[{done}/{len(tasks)}] graded {task.path.name}: "
                f"{result.score:g}/{result.max_score:g} in {result.elapsed_s:.1f} s, "
                f"about {_duration(left)} left"
            )
            if not quiet and sys.stderr.isatty():  # a terminal: one bar, redrawn in place
                sys.stderr.write("\r\033[K" + _bar(done, len(tasks)) + " " + line)
                sys.stderr.flush()
            else:
                say(line)
    finally:
        if owned:
            engine.close()
        if tasks and not quiet and sys.stderr.isatty():
            sys.stderr.write("\n")
    for change in changes:
        say(change)
    ordered = [results[i] for i in range(len(paths))]
    if len(paths) > 1:
        full = sum(r.max_score > 0 and r.score == r.max_score for r in ordered)
        unreadable = sum(bool(r.error) for r in ordered)
        wall = time.monotonic() - started
        rate = f", {len(tasks) / wall * 60:.0f} per minute" if tasks and wall > 0 else ""
        say(
            f"done: {len(ordered)} submissions in {_duration(wall)} ({len(tasks)} graded{rate}, "
            f"{len(ordered) - len(tasks)} kept); {full} with full marks, {unreadable} unreadable"
        )
    return ordered


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = round(width * done / max(1, total))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def _duration(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


def _cmd_grade(args: argparse.Namespace) -> int:
    from autograder.table import class_table, detail_table

    wrong = _not_submissions(args.submissions)
    if wrong:
        print(f"dlcourse grade: {wrong}; nothing was graded", file=sys.stderr)
        return EXIT_USAGE
    from autograder.grade import resolve_assignment
    from autograder.learners import Roster, RosterError, choose, discover, identify

    try:
        roster = Roster.read(args.roster) if args.roster else None
    except RosterError as exc:
        print(f"dlcourse grade: {exc}", file=sys.stderr)
        return EXIT_USAGE
    found = [
        identify(p, root, roster) for p, root in discover(args.submissions, SUBMISSION_SUFFIXES)
    ]
    if not found:
        print("dlcourse grade: no .ipynb or .py submissions found", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out) if args.out else None
    clash = _out_inside_submissions(out, args.submissions, [f.path for f in found])
    if clash:
        print(f"dlcourse grade: {clash}", file=sys.stderr)
        return EXIT_USAGE
    choices = choose(found, [resolve_assignment(f.path, args.assignment) for f in found])
    paths = [c.found.path for c in choices]
    notes = {
        i: [
            "also handed in, not graded (the latest file of a learner is graded): "
            + ", ".join(p.name for p in c.others)
        ]
        for i, c in enumerate(choices)
        if c.others
    }
    for c in choices:
        if c.others:
            print(
                f"{c.found.learner}: graded {c.found.path.name}, the latest of "
                f"{len(c.others) + 1} files for {c.assignment}",
                file=sys.stderr,
            )
    engine = _engine(args, out)
    try:
        results = grade_paths(
            paths,
            args.assignment,
            out,
            resume=not args.force,
            engine=engine,
            learners=[c.found.learner for c in choices],
            notes=notes,
        )
    except KeyboardInterrupt:
        kept = (
            f"; the results written so far are in {out}/ and the same command continues"
            if out
            else ""
        )
        print(f"\ndlcourse grade: interrupted{kept}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        engine.close()
    print(class_table(results))
    if args.details:
        for r in results:
            print()
            print(detail_table(r))
    if out is not None:
        print(f"\nresults: {out}/<submission>.json")
    unmatched = [r for r in results if r.assignment == "unknown"]
    for r in unmatched:
        print(f"dlcourse: {r.error}", file=sys.stderr)
    if roster is not None:
        _roster_report(roster, [c.found for c in choices])
    return EXIT_USAGE if unmatched else EXIT_OK


def _roster_report(roster: Any, found: list[Any]) -> None:
    """Learners not on the roster, and learners on it with no submission."""
    unknown = sorted({f.learner for f in found if not f.known})
    if unknown:
        print(
            f"not on the roster ({len(unknown)}, graded under the name found): "
            + ", ".join(unknown),
            file=sys.stderr,
        )
    handed_in = {f.learner for f in found}
    missing = [learner.id for learner in roster.learners if learner.id not in handed_in]
    if missing:
        print(f"no submission from ({len(missing)}): " + ", ".join(missing), file=sys.stderr)


def _not_submissions(given: list[str]) -> str:
    """Why the paths given are not all submissions or folders of them ('' when they are): a
    mistyped path, or a file of another type, stops the command before anything is graded."""
    for raw in given:
        path = Path(raw)
        if not path.exists():
            return f"no such file or folder: {raw}"
        if path.is_file() and path.suffix not in SUBMISSION_SUFFIXES:
            return f"{raw} is not a notebook (.ipynb) or a Python file (.py)"
    return ""


def _out_inside_submissions(out: Path | None, given: list[str], paths: list[Path]) -> str:
    """Why ``out`` may not be used (it lies inside a folder of submissions), or ''.

    Records in ``--out`` are trusted on a rerun (when signed); learners control what is in the
    submissions' folders, so results never go there."""
    if out is None:
        return ""
    target = out.resolve()
    trees = {Path(g).resolve() for g in given if Path(g).is_dir()}  # out nowhere inside them
    beside = {p.resolve().parent for p in paths}  # out not the very folder of a given file
    for folder in sorted(trees | beside):
        if target == folder or (folder in trees and folder in target.parents):
            return (
                f"--out {out} is inside the submissions folder {folder}: results must not be "
                "written where submissions are (a learner could plant a record there); choose "
                "a folder outside it, e.g. --out results/"
            )
    return ""


def _engine(args: argparse.Namespace, out: Path | None) -> Any:
    from autograder.engines import DaskEngine, LocalEngine

    limits = Limits(
        load_timeout_s=args.load_timeout,
        submission_timeout_s=args.submission_timeout,
        probe_time_factor=args.probe_time_factor,
    )
    if args.scheduler:
        try:
            return DaskEngine(args.scheduler, gpu=args.gpu, limits=limits)
        except ImportError:
            raise GraderInternalError(
                "--scheduler needs dask.distributed: pip install 'dlcourse[cluster]'"
            ) from None
    private = [out] if out is not None else None
    return LocalEngine(jobs=args.jobs, warm=not args.cold, private_dirs=private, limits=limits)


def _cmd_build(args: argparse.Namespace) -> int:
    from autograder.build import build, build_outputs

    if args.learner:
        from autograder.learner_bundle import write_learner_bundle

        files = write_learner_bundle(Path(args.learner))
        print(f"wrote the learner kit ({len(files)} files, no grader code) to {args.learner}")
        return EXIT_OK
    exported = _export(args)
    if exported is not None:
        return exported
    if args.check:
        stale = [
            p
            for p, text in build_outputs().items()
            if not p.exists() or p.read_text(encoding="utf-8") != text
        ]
        for path in stale:
            print(f"out of date: {path}", file=sys.stderr)
        return EXIT_STALE if stale else EXIT_OK
    for path in build():
        print(f"wrote {path}")
    return EXIT_OK


def _export(args: argparse.Namespace) -> int | None:
    """``build --nbgrader/--otter/--gradescope``; None when none was asked for."""
    chosen = [args.assignment] if args.assignment else None
    if args.gradescope:
        from autograder.exports.gradescope import write_bundle

        if not args.assignment:
            print(
                "--gradescope needs --assignment: a Gradescope assignment grades one notebook "
                f"(one of: {', '.join(ASSIGNMENTS)})",
                file=sys.stderr,
            )
            return EXIT_USAGE
        path = write_bundle(Path(args.gradescope), args.assignment, args.details)
        print(f"wrote the Gradescope autograder bundle for {args.assignment} to {path}")
        return EXIT_OK
    if args.nbgrader:
        from autograder.exports.nbgrader import write_course

        files = write_course(Path(args.nbgrader), chosen)
        print(f"wrote the nbgrader course source ({len(files)} files) to {args.nbgrader}")
        print(f"next: cd {args.nbgrader} && nbgrader generate_assignment <assignment>")
        return EXIT_OK
    if args.otter:
        from autograder.exports.otter import write_masters

        files = write_masters(Path(args.otter), chosen)
        for path in files:
            print(f"wrote {path}")
        print("next: otter assign <master notebook> dist")
        return EXIT_OK
    return None


def _collect_all(directories: list[str]):  # noqa: ANN202
    """Valid records of every results directory (learner ids prefixed when several), problems
    printed; returns (results, had_problems)."""
    from autograder.reports.collect import collect

    results, problems = {}, []
    for directory in directories:
        found = collect(directory)
        prefix = f"{Path(directory).name}/" if len(directories) > 1 else ""
        results.update({prefix + k: v for k, v in found.results.items()})
        problems += found.problems
    for problem in problems:
        print(f"dlcourse: {problem}", file=sys.stderr)
    return results, bool(problems)


def _cmd_gradebook(args: argparse.Namespace) -> int:
    from autograder.learners import Roster, RosterError
    from autograder.reports import lms
    from autograder.reports.course import Course, CourseFileError
    from autograder.reports.gradebook import Gradebook, GradebookError

    try:
        course = Course.read(args.course) if args.course else None
        roster = Roster.read(args.roster) if args.roster else None
    except (CourseFileError, RosterError) as exc:
        print(f"dlcourse gradebook: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if (args.canvas or args.moodle) and roster is None:
        print("dlcourse gradebook: --canvas and --moodle need --roster", file=sys.stderr)
        return EXIT_USAGE
    results, skipped = _collect_all(args.results)
    try:
        with Gradebook(args.db) as book:
            counts = book.record_all(results)
            book.export_csv(args.csv, course)
            mixed = book.mixed_versions()
            rows = book.latest()
    except GradebookError as exc:
        print(f"dlcourse gradebook: {exc}", file=sys.stderr)
        return EXIT_USAGE
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing"
    print(f"gradebook {args.db}: {summary}; CSV (one row per learner): {args.csv}")
    for flag, write in (("canvas", lms.canvas_csv), ("moodle", lms.moodle_csv)):
        target = getattr(args, flag)
        if target and roster is not None:
            left_out = write(rows, roster, course or Course(), Path(target))
            print(f"{flag.capitalize()} grade import: {target}")
            if left_out:
                print(
                    f"not in the {flag.capitalize()} file (not on the roster): "
                    + ", ".join(left_out),
                    file=sys.stderr,
                )
    for assignment, versions in mixed.items():
        parts = "; ".join(
            f"{version}: {len(names)} ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''})"
            for version, names in versions.items()
        )
        print(
            f"warning: {assignment} mixes {len(versions)} versions of the hidden tests ({parts}): "
            "regrade the older records with `dlcourse grade` into the same --out first",
            file=sys.stderr,
        )
    return EXIT_SKIPPED if skipped else EXIT_OK


def _cmd_override(args: argparse.Namespace) -> int:
    from autograder.reports import overrides as ov

    try:
        if args.list:
            print(ov.listed(args.results))
            return EXIT_OK
        if not (args.learner and args.assignment and (args.test or args.step)):
            print(
                "dlcourse override: give LEARNER, --assignment and --test or --step "
                "(with --points and --comment), or --list",
                file=sys.stderr,
            )
            return EXIT_USAGE
        kind, target = ("test", args.test) if args.test else ("step", args.step)
        done = ov.record(
            args.results,
            ov.Override(args.learner, args.assignment, kind, target, args.points, args.comment),
        )
    except ov.OverrideError as exc:
        print(f"dlcourse override: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"override recorded in {ov.path_in(args.results)}: {done.learner} {done.assignment} "
        f"{done.kind} {done.target} = {done.points:g} ({done.comment}); it survives regrades "
        "and shows in the gradebook and the feedback pages"
    )
    return EXIT_OK


def _cmd_triage(args: argparse.Namespace) -> int:
    from autograder.grade import resolve_assignment
    from autograder.learners import Roster, RosterError, choose, discover, identify
    from autograder.reports.triage import submission_code, triage

    results, skipped = _collect_all(args.results)
    code = None
    if args.submissions:
        wrong = _not_submissions(args.submissions)
        try:
            roster = Roster.read(args.roster) if args.roster else None
        except RosterError as exc:
            wrong = str(exc)
        if wrong:
            print(f"dlcourse triage: {wrong}", file=sys.stderr)
            return EXIT_USAGE
        found = [
            identify(p, root, roster) for p, root in discover(args.submissions, SUBMISSION_SUFFIXES)
        ]
        choices = choose(found, [resolve_assignment(f.path, args.assignment) for f in found])
        code = {
            c.found.learner: (c.assignment, submission_code(c.found.path))
            for c in choices
            if c.assignment
        }
    print(triage(results, code).render())
    return EXIT_SKIPPED if skipped else EXIT_OK


def _cmd_feedback(args: argparse.Namespace) -> int:
    from autograder.reports.feedback import write_feedback

    results, skipped = _collect_all(args.results)
    pages = write_feedback(results, args.out)
    print(f"wrote {len(pages)} feedback pages to {args.out}/")
    return EXIT_SKIPPED if skipped else EXIT_OK


def _cmd_analytics(args: argparse.Namespace) -> int:
    from autograder.reports.analytics import write_analytics

    results, skipped = _collect_all(args.results)
    title = args.title or f"Class report: {', '.join(Path(d).name for d in args.results)}"
    print(f"wrote {write_analytics(results, args.out, title)}")
    return EXIT_SKIPPED if skipped else EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from autograder.build import repo_root
    from autograder.table import class_table, detail_table

    root = repo_root()
    out = Path(args.out)
    for name, assignment in ASSIGNMENTS.items():
        examples = root / "examples" / name
        paths = _expand([str(examples)]) + [root / assignment.notebook]
        print(
            f"== {assignment.title}: grading {len(paths)} sample submissions "
            f"from {examples.relative_to(root)}/"
        )
        results = grade_paths(paths, name, out / name, resume=False)
        by_learner = dict(zip(_stems(paths), results))  # the result files' stems
        print(class_table(results))
        print()
        for r in results:
            if r.score < r.max_score:
                print(detail_table(r))
                print()
        print(f"reports: {out / name}/<submission>.json")
        _demo_reports(out, name, by_learner)
    _demo_exports(out / "exports")
    return EXIT_OK


def _demo_exports(out: Path) -> None:
    """The same course for the other tools: nbgrader source, otter masters, Gradescope zips."""
    from autograder.exports.gradescope import write_bundle
    from autograder.exports.nbgrader import write_course
    from autograder.exports.otter import write_masters

    write_course(out / "nbgrader")
    write_masters(out / "otter")
    for name in ASSIGNMENTS:
        write_bundle(out / "gradescope" / f"{name}.zip", name)
    print(
        f"exports: nbgrader course source {out / 'nbgrader'}/ (cd there; nbgrader "
        f"generate_assignment pytorch), otter-assign masters {out / 'otter'}/<assignment>/, "
        f"Gradescope bundles {out / 'gradescope'}/<assignment>.zip"
    )


def _demo_reports(out: Path, name: str, results: dict[str, SubmissionResult]) -> None:
    """What an instructor gets beside the records: gradebook + CSV, feedback, analytics."""
    from autograder.reports.analytics import write_analytics
    from autograder.reports.feedback import write_feedback
    from autograder.reports.gradebook import Gradebook

    with Gradebook(out / "gradebook.sqlite") as book:
        book.record_all({f"{name}/{learner}": r for learner, r in results.items()})
        book.export_csv(out / "grades.csv")
    write_feedback(results, out / "feedback" / name)
    write_analytics(results, out / f"analytics-{name}.html", f"Class report: {name} (examples)")
    print(
        f"gradebook: {out / 'gradebook.sqlite'} and {out / 'grades.csv'}; feedback pages: "
        f"{out / 'feedback' / name}/; analytics: {out / f'analytics-{name}.html'}\n"
    )


def _cmd_check(args: argparse.Namespace) -> int:
    """The public checks of the notebooks, for a learner who works in a .py file (or a notebook)
    with their own editor. Like the notebook's check(), it runs the learner's code in this process:
    it is the learner's own tool, on their own machine, with no hidden test anywhere near it."""
    from autograder.extract import extract
    from autograder.reader import SubmissionReadError, read_submission
    from course_utils.checks import Checker

    try:
        submission = read_submission(args.file)
    except SubmissionReadError as exc:
        print(f"dlcourse check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    assignment = args.assignment or submission.assignment
    if assignment is None:
        print(f"dlcourse check: pass --assignment ({', '.join(ASSIGNMENTS)})", file=sys.stderr)
        return EXIT_USAGE
    extracted = extract(submission)
    for note in extracted.notes:
        print(f"note: {note}")
    # The extracted code has its own line numbers: compile it under a name whose source is that
    # code (registered as IPython registers cells), so tf.function's autograph reads the right
    # source and a traceback quotes the learner's line. TensorFlow's start-up logs stay quiet.
    import linecache
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # its notice ignores the log level
    name = f"<dlcourse check {Path(args.file).name}>"
    linecache.cache[name] = (len(extracted.code), None, extracted.code.splitlines(True), name)
    namespace: dict = {"__name__": "submission"}
    try:
        exec(compile(extracted.code, name, "exec"), namespace)  # noqa: S102
    except Exception as exc:  # noqa: BLE001 - report, then check what was defined
        print(f"note: running your definitions raised {type(exc).__name__}: {exc}")
    report = Checker(assignment, namespace)(args.step)
    print(repr(report))
    steps = report.reports if hasattr(report, "reports") else [report]
    return EXIT_OK if all(s.passed for s in steps) else EXIT_CHECKS_FAIL


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlcourse", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    grade = sub.add_parser("grade", help="grade .ipynb / .py submissions (files or directories)")
    grade.add_argument("submissions", nargs="+")
    grade.add_argument(
        "--assignment", choices=sorted(ASSIGNMENTS), help="default: the notebook's metadata"
    )
    grade.add_argument("--out", help="directory for <learner>.json results")
    grade.add_argument(
        "--roster",
        metavar="CSV",
        help="learners (columns id, name, email, lms_id): names found are matched to their id",
    )
    grade.add_argument("--details", action="store_true", help="print every failed test's message")
    grade.add_argument(
        "--force", action="store_true", help="grade again even where an up-to-date result exists"
    )
    grade.add_argument(
        "--jobs", type=_positive, default=1, help="submissions graded at once (default 1)"
    )
    grade.add_argument(
        "--cold",
        action="store_true",
        help="start every worker from scratch instead of forking it from a warm one",
    )
    grade.add_argument(
        "--scheduler", metavar="ADDRESS", help="grade on a Dask cluster (tcp://host:8786)"
    )
    grade.add_argument(
        "--gpu", action="store_true", help="with --scheduler: only on workers with resource GPU"
    )
    limits = Limits()
    grade.add_argument(
        "--load-timeout",
        type=_seconds,
        default=limits.load_timeout_s,
        metavar="S",
        help=f"seconds to start a worker and run the submission's definitions "
        f"(default {limits.load_timeout_s:g}; a module-level endless loop ends here)",
    )
    grade.add_argument(
        "--submission-timeout",
        type=_seconds,
        default=limits.submission_timeout_s,
        metavar="S",
        help=f"seconds for all tests of one submission (default {limits.submission_timeout_s:g})",
    )
    grade.add_argument(
        "--probe-time-factor",
        type=_seconds,
        default=limits.probe_time_factor,
        metavar="X",
        help="multiplies each test's own limit (20 s, 60 s for fit; default 1): "
        "above 1 on slow machines",
    )
    grade.set_defaults(func=_cmd_grade)
    build = sub.add_parser("build", help="generate assignments/ and examples/ from solutions/")
    build.add_argument(
        "--check", action="store_true", help="only report generated files that are out of date"
    )
    build.add_argument(
        "--learner",
        metavar="DIR",
        help="write the learner kit (notebooks + course_utils, no hidden tests) to DIR",
    )
    build.add_argument("--nbgrader", metavar="DIR", help="write an nbgrader course source to DIR")
    build.add_argument("--otter", metavar="DIR", help="write otter-assign master notebooks to DIR")
    build.add_argument(
        "--gradescope", metavar="FILE.zip", help="write a Gradescope autograder bundle"
    )
    build.add_argument(
        "--assignment",
        choices=sorted(ASSIGNMENTS),
        help="with an export: only this assignment (required for --gradescope)",
    )
    build.add_argument(
        "--details",
        default="after_due_date",
        choices=VISIBILITIES,
        help="with --gradescope: when learners see each hidden check's outcome and message",
    )
    build.set_defaults(func=_cmd_build)
    check = sub.add_parser("check", help="run the public checks on your .py or .ipynb file")
    check.add_argument("file")
    check.add_argument("step", nargs="?", help="one step (default: all steps, as progress)")
    check.add_argument("--assignment", choices=sorted(ASSIGNMENTS))
    check.set_defaults(func=_cmd_check)
    gradebook = sub.add_parser("gradebook", help="collect results into a SQLite gradebook + CSV")
    gradebook.add_argument("results", nargs="+", help="directories written by dlcourse grade")
    gradebook.add_argument("--db", default="gradebook.sqlite")
    gradebook.add_argument("--csv", default="grades.csv")
    gradebook.add_argument(
        "--course", metavar="TOML", help="due dates, late policy, extensions, LMS titles"
    )
    gradebook.add_argument("--roster", metavar="CSV", help="learners (id, name, email, lms_id)")
    gradebook.add_argument("--canvas", metavar="CSV", help="also write Canvas's grade import")
    gradebook.add_argument("--moodle", metavar="CSV", help="also write a Moodle grade import")
    gradebook.set_defaults(func=_cmd_gradebook)
    tri = sub.add_parser(
        "triage", help="what to look at: unreadable, would not run, time-outs, duplicates"
    )
    tri.add_argument("results", nargs="+", help="directories written by dlcourse grade")
    tri.add_argument(
        "--submissions", nargs="+", metavar="PATH", help="the files graded: compare their code"
    )
    tri.add_argument("--roster", metavar="CSV", help="as given to dlcourse grade")
    tri.add_argument("--assignment", choices=sorted(ASSIGNMENTS), help="as given to grade")
    tri.set_defaults(func=_cmd_triage)
    override = sub.add_parser(
        "override", help="record a manual score for a learner's test or step (kept on regrade)"
    )
    override.add_argument("results", help="a directory written by dlcourse grade")
    override.add_argument("learner", nargs="?", help="the learner id of the record")
    override.add_argument("--assignment", choices=sorted(ASSIGNMENTS))
    override.add_argument("--test", help="a hidden test's name (as in the record)")
    override.add_argument("--step", help="a step's name: its points are set as a whole")
    override.add_argument("--points", type=float, default=0.0)
    override.add_argument("--comment", default="", help="why (shown to the learner)")
    override.add_argument("--list", action="store_true", help="list the overrides recorded")
    override.set_defaults(func=_cmd_override)
    feedback = sub.add_parser("feedback", help="one HTML feedback page per submission")
    feedback.add_argument("results", nargs="+")
    feedback.add_argument("--out", default="feedback")
    feedback.set_defaults(func=_cmd_feedback)
    analytics = sub.add_parser("analytics", help="the class report: scores, steps, misconceptions")
    analytics.add_argument("results", nargs="+")
    analytics.add_argument("--out", default="class-report.html")
    analytics.add_argument("--title")
    analytics.set_defaults(func=_cmd_analytics)
    demo = sub.add_parser("demo", help="grade the bundled examples and print the class table")
    demo.add_argument("--out", default="build/demo")
    demo.set_defaults(func=_cmd_demo)
    return parser


def _files_not_options(argv: list[str]) -> list[str]:
    """A learner's file named like an option (``--force.py``, ``-h.py``, met by ``grade *.py``) is
    graded as the file it is, not read as an option: an existing ``.py``/``.ipynb`` path that
    starts with ``-`` is passed as ``./<name>``."""
    return [
        os.path.join(".", arg)
        if arg.startswith("-") and arg.endswith(SUBMISSION_SUFFIXES) and os.path.lexists(arg)
        else arg
        for arg in argv
    ]


def main(argv: list[str] | None = None) -> int:
    argv = _files_not_options(sys.argv[1:] if argv is None else list(argv))
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UnknownAssignmentError as exc:
        print(f"dlcourse: {exc.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    except GraderInternalError as exc:
        print(
            f"dlcourse: internal error of the grader (not of any submission): {exc}",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
