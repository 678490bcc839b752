"""Wheels for an offline bundle: kagglekit's own, and those of its pure-Python dependencies.

Two ways to make a wheel, both without network:

* :func:`build_from_source` builds kagglekit from a checkout (``pip wheel --no-deps
  --no-build-isolation --no-index``; pip's isolated build, which needs setuptools from an index,
  only where this environment has no setuptools) in a temporary copy, so the checkout gets no
  ``build/`` or ``*.egg-info`` folder.
* :func:`repack_installed` zips the files of an installed pure-Python distribution (those listed
  in its ``RECORD``, each checked against its recorded SHA-256) back into a wheel: exactly the
  version installed here, with no index needed. Console scripts are not copied (pip writes them
  again from ``entry_points.txt``); byte code is left out.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as metadata
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from kagglekit.errors import KagglekitError

# files of an installed .dist-info that are written by the installer, not part of the wheel
_INSTALLER_FILES = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
# top-level files of a checkout that a source build may read (besides the package itself)
_SOURCE_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in")


class WheelError(KagglekitError, RuntimeError):
    """A wheel could not be made; the message names the package and the way out."""


def normalize(name: str) -> str:
    """The wheel-file form of a project name: ``hydra-core`` -> ``hydra_core``."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def editable_source(name: str) -> Path | None:
    """The project folder of an editable install of ``name`` (``pip install -e``), else None."""
    try:
        text = metadata.distribution(name).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    info = json.loads(text)
    if not info.get("dir_info", {}).get("editable"):
        return None
    url = str(info.get("url", ""))
    return Path(url.removeprefix("file://")) if url.startswith("file://") else None


def installed_wheel_file(name: str) -> Path | None:
    """The wheel file ``name`` was installed from, when pip recorded one that still exists."""
    try:
        text = metadata.distribution(name).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    url = str(json.loads(text).get("url", ""))
    if url.startswith("file://") and url.endswith(".whl"):
        path = Path(url.removeprefix("file://"))
        return path if path.is_file() else None
    return None


def build_from_source(root: Path, out_dir: Path) -> Path:
    """Build the wheel of the project at ``root`` into ``out_dir``; return its path."""
    root = Path(root)
    package = root / "kagglekit"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kagglekit-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in _SOURCE_FILES:
            if (root / name).is_file():
                shutil.copy2(root / name, src / name)
        for path in [*root.glob("README*"), *root.glob("LICENSE*")]:
            if path.is_file():
                shutil.copy2(path, src / path.name)
        shutil.copytree(
            package, src / "kagglekit", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        built = Path(tmp) / "dist"
        pip = [sys.executable, "-m", "pip"]
        offline = [*pip, "--isolated", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
        isolated = [*pip, "wheel", "--no-deps"]
        wheels, failures = [], []
        # offline with this environment's setuptools first; else pip's own isolated build
        # environment, which fetches setuptools from the configured index or find-links
        for command in (offline, isolated):
            proc = subprocess.run(
                [*command, "--quiet", "-w", str(built), str(src)],
                capture_output=True,
                text=True,
                check=False,
            )
            wheels = sorted(built.glob("kagglekit-*.whl"))
            if proc.returncode == 0 and wheels:
                break
            failures.append(" ".join((proc.stderr or proc.stdout).strip().splitlines()[-2:]))
        if not wheels:
            raise WheelError(
                f"Building kagglekit's wheel from {root} failed ({' / '.join(failures)}). It "
                "needs pip and setuptools in this environment (pip install setuptools wheel), "
                "or pass --wheel <kagglekit-*.whl>."
            )
        target = out_dir / wheels[0].name
        shutil.copy2(wheels[0], target)
    check_has_configs(target)
    return target


def check_has_configs(wheel: Path) -> None:
    """Refuse a kagglekit wheel without its configs (package data)."""
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    if "kagglekit/conf/config.yaml" not in names:
        raise WheelError(
            f"{wheel} holds no kagglekit/conf/config.yaml: it was built without the configs. "
            "Build it from a checkout whose pyproject.toml lists the package data."
        )


def _tags(wheel_text: str) -> tuple[bool, list[str]]:
    purelib = False
    tags = []
    for line in wheel_text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Root-Is-Purelib":
            purelib = value.strip().lower() == "true"
        elif key.strip() == "Tag":
            tags.append(value.strip())
    return purelib, tags


def is_pure(name: str) -> bool:
    """Is the installed ``name`` a pure-Python wheel (``*-none-any``)?"""
    purelib, tags = _tags(metadata.distribution(name).read_text("WHEEL") or "")
    return purelib and bool(tags) and all(t.endswith("-none-any") for t in tags)


def _compressed_tag(tags: list[str]) -> str:
    pythons = []
    for tag in tags:
        python = tag.split("-")[0]
        for part in python.split("."):
            if part not in pythons:
                pythons.append(part)
    return f"{'.'.join(pythons)}-none-any"


def _zip_entry(name: str) -> zipfile.ZipInfo:
    """A compressed, readable entry with a fixed date (the same files give the same wheel)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def repack_installed(name: str, out_dir: Path) -> Path:
    """Zip the installed pure-Python distribution ``name`` back into a wheel in ``out_dir``."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError as exc:
        raise WheelError(
            f"{name} is not installed here, so no wheel of it can be bundled. Install it "
            f"(pip install {name}) or leave it out."
        ) from exc
    version = dist.version
    wheel_text = dist.read_text("WHEEL") or ""
    purelib, tags = _tags(wheel_text)
    if not (purelib and tags and all(t.endswith("-none-any") for t in tags)):
        raise WheelError(
            f"{name} {version} is not pure Python (tags {tags or 'unknown'}): its wheel depends on "
            "the platform and cannot be rebuilt from the installed files; Kaggle's image must "
            "provide it."
        )
    if editable_source(name) is not None:
        raise WheelError(f"{name} is an editable install: build its wheel from its source folder.")
    files = dist.files or []
    if not files:
        raise WheelError(f"{name} {version} has no RECORD: its files are unknown.")
    entries: list[tuple[str, bytes]] = []
    record_dir = ""
    for file in files:
        rel = file.as_posix()
        parts = rel.split("/")
        if rel.startswith("../") or "__pycache__" in parts or rel.endswith(".pyc"):
            continue  # console scripts (pip writes them again), byte code
        if parts[0].endswith(".dist-info"):
            record_dir = parts[0]
            if len(parts) == 2 and parts[1] in _INSTALLER_FILES:
                continue
        path = Path(str(dist.locate_file(file)))
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise WheelError(
                f"{path} of {name} {version} is missing ({exc.strerror}): reinstall {name}."
            ) from exc
        recorded = file.hash
        if (
            recorded is not None
            and recorded.mode == "sha256"
            and _record_hash(data) != f"sha256={recorded.value}"
        ):
            raise WheelError(
                f"{path} of {name} {version} differs from what was installed: the installed "
                f"copy was edited. Reinstall {name} (pip install --force-reinstall "
                f"{name}=={version})."
            )
        entries.append((rel, data))
    if not record_dir:
        raise WheelError(f"{name} {version}: no .dist-info folder among its files.")
    filename = f"{normalize(dist.metadata['Name'] or name)}-{version}-{_compressed_tag(tags)}.whl"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / filename
    entries.sort(key=lambda e: (e[0].startswith(record_dir + "/"), e[0]))
    record_lines = [f"{rel},{_record_hash(data)},{len(data)}" for rel, data in entries]
    record_lines.append(f"{record_dir}/RECORD,,")
    tmp = target.with_name(f".{filename}.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for rel, data in entries:
            zf.writestr(_zip_entry(rel), data)
        zf.writestr(_zip_entry(f"{record_dir}/RECORD"), "\n".join(record_lines) + "\n")
    tmp.replace(target)
    return target
