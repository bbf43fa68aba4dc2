"""A wheel of this package, written directly (no build tool, nothing written into the tree), for
exports whose graders install it from a file: otter's autograder zip declares it as a pip
requirement beside the framework, so ``otter grade`` in otter's image and otter-on-Gradescope
install exactly what grading needs."""

from __future__ import annotations

import base64
import hashlib
import tomllib
import zipfile
from pathlib import Path

PACKAGES = ("autograder", "course_utils")
_DATE = (2026, 1, 1, 0, 0, 0)


def wheel_name(root: Path) -> str:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return f"{project['name']}-{project['version']}-py3-none-any.whl"


def build_wheel(root: Path, out_dir: Path) -> Path:
    """Write ``<name>-<version>-py3-none-any.whl`` of the package at ``root`` into ``out_dir``:
    its two packages and data files, metadata with the base dependencies, and the ``dlcourse``
    command. The same tree gives the same bytes."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    name, version = project["name"], project["version"]
    info = f"{name}-{version}.dist-info"
    files: list[tuple[str, bytes]] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.append((path.relative_to(root).as_posix(), path.read_bytes()))
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {project.get('description', '')}",
        f"Requires-Python: {project.get('requires-python', '>=3.11')}",
        *(f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])),
    ]
    scripts = project.get("scripts", {})
    entry = "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())
    files += [
        (f"{info}/METADATA", ("\n".join(metadata) + "\n").encode()),
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: dlcourse\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
        (f"{info}/entry_points.txt", entry.encode()),
    ]
    record = "".join(f"{arc},sha256={_digest(data)},{len(data)}\n" for arc, data in files)
    files.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}-{version}-py3-none-any.whl"
    tmp = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as wheel:
        for arc, data in files:
            entry_info = zipfile.ZipInfo(arc, date_time=_DATE)
            entry_info.external_attr = 0o644 << 16
            entry_info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry_info, data)
    tmp.replace(target)
    return target


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
