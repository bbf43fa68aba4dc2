"""Resolve the learner kit's dependencies for each laptop platform, without installing them.

Builds the kit, reads its pyproject, evaluates its environment markers for each target (pip
evaluates markers against the running interpreter even with --platform, so that is done here),
then runs ``pip install --dry-run --only-binary=:all: --platform ...`` on the result. Exit status
1 if a platform that should resolve does not; Intel Macs are expected not to (no wheels of these
framework versions) and are reported as such.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.learner_bundle import write_learner_bundle  # noqa: E402

PLATFORMS = {
    "macOS arm64": (
        ["macosx_14_0_arm64", "macosx_13_0_arm64", "macosx_12_0_arm64", "macosx_11_0_arm64"],
        {"sys_platform": "darwin", "platform_machine": "arm64", "platform_system": "Darwin",
         "os_name": "posix"},
        [],
    ),
    "macOS x86_64": (
        ["macosx_14_0_x86_64", "macosx_12_0_x86_64", "macosx_10_15_x86_64", "macosx_10_9_x86_64"],
        {"sys_platform": "darwin", "platform_machine": "x86_64", "platform_system": "Darwin",
         "os_name": "posix"},
        [],
    ),
    "Windows": (
        ["win_amd64"],
        {"sys_platform": "win32", "platform_machine": "AMD64", "platform_system": "Windows",
         "os_name": "nt"},
        [],
    ),
    "Linux": (
        ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
         "manylinux2014_x86_64"],
        {"sys_platform": "linux", "platform_machine": "x86_64", "platform_system": "Linux",
         "os_name": "posix"},
        [],  # torch's own wheel is on PyPI too (resolved --no-deps); the kit's README names
        # the CPU index for installs
    ),
}  # fmt: skip
EXPECTED_TO_FAIL = {"macOS x86_64"}


def requirements(pyproject: Path, env: dict[str, str]) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    names = list(project["dependencies"])
    for extra in ("torch", "tf"):
        names += project["optional-dependencies"][extra]
    full = {"python_version": "3.11", "python_full_version": "3.11.9", "extra": ""} | env
    kept = []
    for text in names:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate(full):
            req.marker = None
            kept.append(str(req))
    return kept


TIMEOUT_S = 300


def _pip(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)


def main() -> int:
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        kit = Path(tmp) / "kit"
        write_learner_bundle(kit)
        for name, (tags, env, extra) in PLATFORMS.items():
            reqs = requirements(kit / "pyproject.toml", env)
            cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                   "--only-binary=:all:", "--python-version", "3.11", "--target",
                   str(Path(tmp) / "target"), "--quiet", *extra]  # fmt: skip
            for tag in tags:
                cmd += ["--platform", tag]
            # pip evaluates the markers of *transitive* requirements against this host even with
            # --platform (torch's Linux-only CUDA packages then look required on every platform):
            # torch is resolved on its own without its dependencies (its wheel must exist for the
            # platform), everything else with them.
            torch = [r for r in reqs if r.startswith("torch")]
            rest = [r for r in reqs if not r.startswith("torch")]
            try:
                done = _pip([*cmd, *rest])
                if done.returncode == 0 and torch:
                    done = _pip([*cmd, "--no-deps", *torch])
            except subprocess.TimeoutExpired:
                # a registry that does not answer is not a "no": say so, do not hang CI on it
                print(f"{name:13s} not checked: the registry did not answer in {TIMEOUT_S} s")
                continue
            ok = done.returncode == 0
            errors = [ln for ln in done.stderr.splitlines() if ln.startswith("ERROR")]
            error = errors[-1] if errors else ""
            print(f"{name:13s} {'resolves' if ok else 'does not resolve'}: {' '.join(reqs)}")
            if not ok:
                print(f"    {error}")
                if name not in EXPECTED_TO_FAIL:
                    failed.append(name)
            elif name in EXPECTED_TO_FAIL:
                print("    (resolves now: drop it from EXPECTED_TO_FAIL and the README's note)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
