"""Does the bundle from ``dlcourse build --gradescope`` grade a submission laid out like
``/autograder``, within Gradescope's defaults, into a ``results.json`` of Gradescope's schema?"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest

from autograder.assignments import get_assignment
from autograder.build import notebook, repo_root
from autograder.exports.gradescope import DEFAULT_LIMITS, install_tree, write_bundle
from autograder.exports.layout import fill_code_cells, layout
from autograder.notebook_source import parse_source
from tests.autograder.exports import gradescope_limits
from tests.autograder.exports.helpers import our_steps, variant_code

# Gradescope's documented results.json (autograder specifications, "Output format").
SCHEMA = {
    "type": "object",
    "required": ["tests"],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "stdout_visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "extra_data": {"type": "object"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string"},
                    "name_format": {"type": "string"},
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "output_format": {"type": "string"},
                    "tags": {"type": "array"},
                    "visibility": {
                        "enum": ["hidden", "after_due_date", "after_published", "visible"]
                    },
                    "extra_data": {"type": "object"},
                },
            },
        },
    },
}


def test_bundle_holds_the_scripts_and_the_grader_but_no_course_internals(tmp_path):
    """Are setup.sh and run_autograder executable and valid bash, and does the zip carry the
    grader and hidden tests but no solutions, examples or project tests?"""
    bundle = write_bundle(tmp_path / "tf2.zip", "tf2")
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
        setup = archive.read("setup.sh").decode()
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert "dlcourse/autograder/hidden/tf2/suite.py" in names
    assert "dlcourse/course_utils/datasets/digits.npz" in names or any(
        n.startswith("dlcourse/course_utils/datasets/") for n in names
    )
    for forbidden in ("solutions/", "examples/", "tests/", "benchmarks/", ".git/"):
        assert not any(n.startswith(f"dlcourse/{forbidden}") for n in names), forbidden
    assert not any("__pycache__" in n for n in names)
    assert '"$SOURCE/dlcourse[tf]"' in setup  # one framework: TensorFlow only
    root = tmp_path / "autograder"
    install_tree(bundle, root)
    for script in (root / "source" / "setup.sh", root / "run_autograder"):
        subprocess.run(["bash", "-n", str(script)], check=True)


def test_unknown_visibility_is_refused(tmp_path):
    with pytest.raises(ValueError, match="visibility must be one of"):
        write_bundle(tmp_path / "x.zip", "pytorch", details="sometimes")


def _solved_notebook(assignment: str, variant: str) -> nbformat.NotebookNode:
    nb = notebook(parse_source(repo_root() / get_assignment(assignment).source), solved=True)
    return fill_code_cells(nb, variant_code(assignment, variant))


def _run(tmp_path: Path, assignment: str, submission: dict[str, bytes]) -> tuple[dict, float]:
    """Install the bundle in a fresh ``/autograder``-like tree, put ``submission`` (relative
    path -> bytes) in it and run ``run_autograder`` within Gradescope's default limits when this
    machine can impose them; returns (results.json, peak MB or 0)."""
    root = tmp_path / "autograder"
    run = install_tree(write_bundle(tmp_path / "bundle.zip", assignment), root)
    for relative, data in submission.items():
        (root / "submission" / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / relative).write_bytes(data)
    env = dict(os.environ, DLCOURSE_AUTOGRADER_ROOT=str(root), DLCOURSE_PYTHON=sys.executable)
    limit = DEFAULT_LIMITS["timeout_s"]
    peak = 0.0
    started = time.monotonic()
    if gradescope_limits.available():
        proc, peak = gradescope_limits.run_limited(
            [str(run)], env, DEFAULT_LIMITS["memory_mb"], DEFAULT_LIMITS["cpus"], limit
        )
    else:
        proc = subprocess.run([str(run)], env=env, capture_output=True, text=True, timeout=limit)
    wall = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, SCHEMA)
    assert results["extra_data"]["grader"] == str(root / "source" / "dlcourse")
    print(f"{assignment}: {results['score']} in {wall:.1f} s wall, peak {peak:.0f} MB")
    return results, peak


def _steps(results: dict) -> dict[str, float]:
    return {t["name"]: t["score"] for t in results["tests"] if "max_score" in t}


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tensorflow
@pytest.mark.parametrize(
    ("assignment", "names"),
    [
        ("pytorch", ("reference", "no_zero_grad")),
        ("tf2", ("reference", "metrics_not_reset")),
        # both frameworks in one bundle; TF1's bundle is TF2's (one framework: TensorFlow)
        ("bridge", ("conv_weights_reshaped",)),
    ],
)
def test_run_autograder_scores_like_dlcourse_within_gradescope_limits(tmp_path, assignment, names):
    """Do the reference and a mutant get ``dlcourse grade``'s points per step under 768 MB and
    half a vCPU (each run costs about a minute there), with step scores visible and each hidden
    check's details after the due date?"""
    plan = layout(assignment)
    files = []
    for name in names:
        files.append(tmp_path / f"{name}.ipynb")
        nbformat.write(_solved_notebook(assignment, name), files[-1])
    ours = dict(zip(names, our_steps(files, assignment)))
    for name, path in zip(names, files):
        results, peak = _run(
            tmp_path / name, assignment, {"nested/" + plan.notebook_name: path.read_bytes()}
        )
        assert _steps(results) == ours[name], name
        assert results["score"] == sum(ours[name].values())
        if gradescope_limits.available():
            assert 0 < peak <= DEFAULT_LIMITS["memory_mb"]
        steps = [t for t in results["tests"] if "max_score" in t]
        checks = [t for t in results["tests"] if "max_score" not in t]
        assert {t["visibility"] for t in steps} == {"visible"}
        assert {t["visibility"] for t in checks} == {"after_due_date"}
        assert len(checks) == len(plan.tests)
    failed = [t for t in results["tests"] if t["status"] == "failed" and "max_score" not in t]
    assert failed and all(t["output"] for t in failed)  # the mutant's teaching messages


@pytest.mark.slow
@pytest.mark.torch
def test_a_broken_notebook_gets_a_record_that_says_why(tmp_path):
    """Is a corrupt upload still a valid results.json with score 0 and the reason?"""
    results, _ = _run(tmp_path, "pytorch", {"01_pytorch_pipeline.ipynb": b'{"cells": [ oops'})
    assert results["score"] == 0
    assert "Not graded" in results["output"]
    assert all(t.get("score", 0) == 0 for t in results["tests"])


@pytest.mark.slow
@pytest.mark.torch
def test_an_empty_or_ambiguous_upload_says_what_was_expected(tmp_path):
    """No notebook, or two notebooks none of which has the expected name: score 0, and the
    output names what was expected and what was found."""
    results, _ = _run(tmp_path / "empty", "pytorch", {"notes.txt": b"hello"})
    assert results["score"] == 0
    assert "expected one notebook (01_pytorch_pipeline.ipynb)" in results["output"]
    assert "notes.txt" in results["output"]
    nb = nbformat.writes(nbformat.v4.new_notebook()).encode()
    results, _ = _run(tmp_path / "two", "pytorch", {"a.ipynb": nb, "b.ipynb": nb})
    assert results["score"] == 0 and "a.ipynb, b.ipynb" in results["output"]
    # two notebooks that name the assignment and a .py beside them: ambiguous, the .py is not
    # graded in their place, and the output says which files it found
    named = nbformat.v4.new_notebook(metadata={"dlcourse": {"assignment": "pytorch"}})
    named_bytes = nbformat.writes(named).encode()
    ref_py = (repo_root() / "examples" / "pytorch" / "no_zero_grad.py").read_bytes()
    upload = {"a.ipynb": named_bytes, "b.ipynb": named_bytes, "b.py": ref_py}
    results, _ = _run(tmp_path / "three", "pytorch", upload)
    assert results["score"] == 0
    assert (
        "ambiguous: 2 files could be the pytorch notebook (a.ipynb, b.ipynb)" in results["output"]
    )
    results, _ = _run(tmp_path / "one", "pytorch", {"work/b.py": ref_py})
    assert results["score"] > 0 and "Graded file: work/b.py" in results["output"]
