"""No module of the package is over 600 lines (issue 19 item 6).

A long module hides its seams; split it along them into modules named for what
they hold, and keep the old import path working by re-exporting. Migrations are
generated and exempt.
"""

from __future__ import annotations

from pathlib import Path

import portalkit

PACKAGE_DIR = Path(portalkit.__file__).resolve().parent
LIMIT = 600


def _is_migration(path: Path) -> bool:
    return "migrations" in path.relative_to(PACKAGE_DIR).parts


def _sizes() -> dict[str, int]:
    return {
        path.relative_to(PACKAGE_DIR).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if not _is_migration(path)
    }


def test_no_module_is_over_the_limit() -> None:
    """Every module except the migrations has at most 600 lines, without exceptions."""
    over = {name: lines for name, lines in _sizes().items() if lines > LIMIT}
    assert not over, (
        f"modules over {LIMIT} lines (split them along their seams): {over}"
    )


def test_the_walk_sees_the_package_and_skips_migrations() -> None:
    """The check reads real files: the package's modules, without the migrations."""
    sizes = _sizes()
    assert "domain/policy.py" in sizes
    assert not any("migrations" in name for name in sizes)
    assert (PACKAGE_DIR / "contrib/django/migrations").is_dir()
