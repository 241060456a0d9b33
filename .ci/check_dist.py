"""Check the built distributions: nothing of the package is left out of the wheel.

Usage: python .ci/check_dist.py DIST_DIR

- The wheel holds every file under src/portalkit (modules and package data:
  migrations, templates, the password blocklist, translations, py.typed),
  except caches and compiled files.
- The sdist holds the package, the tests, the docs and the project files, so
  that the tests can run from it.
Exits 1 and lists what is missing otherwise.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_PARTS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".pyo"}
SDIST_MUST_HAVE = [
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "src/portalkit/__init__.py",
]
SDIST_MUST_HAVE_DIRS = ["tests/", "docs/"]


def package_files() -> set[str]:
    """Every file of the package in the source tree, as paths inside the wheel."""
    src = ROOT / "src"
    return {
        path.relative_to(src).as_posix()
        for path in (src / "portalkit").rglob("*")
        if path.is_file()
        and not SKIP_PARTS.intersection(path.parts)
        and path.suffix not in SKIP_SUFFIXES
    }


def main(dist: Path) -> int:
    """Compare the wheel and sdist in *dist* with the source tree."""
    wheels = sorted(dist.glob("*.whl"))
    sdists = sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        print(f"expected one wheel and one sdist in {dist}, found {wheels + sdists}")
        return 1
    with zipfile.ZipFile(wheels[0]) as wheel:
        in_wheel = set(wheel.namelist())
    missing = sorted(package_files() - in_wheel)
    with tarfile.open(sdists[0]) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    missing += [f"sdist: {name}" for name in SDIST_MUST_HAVE if name not in in_sdist]
    missing += [
        f"sdist: {prefix}"
        for prefix in SDIST_MUST_HAVE_DIRS
        if not any(name.startswith(prefix) for name in in_sdist)
    ]
    if missing:
        print("missing from the distributions:\n  " + "\n  ".join(missing))
        return 1
    print(f"{wheels[0].name}: all {len(package_files())} package files; {sdists[0].name}: complete")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "dist")))
