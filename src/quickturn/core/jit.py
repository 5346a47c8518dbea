"""Numba kernels compile once per machine: ``njit`` here is :func:`numba.njit`, and the
kernels of quickturn are declared with ``cache=True`` so that the machine code is written to
disk on the first call and loaded, not compiled again, by every later process.

Where the cache goes (Numba's own order): ``NUMBA_CACHE_DIR`` when set; else the
``__pycache__`` folder beside the module; else the user's cache folder
(``~/.cache/numba``).  Numba refuses to *define* a cached kernel when none of these can be
written (a read-only installation run by a user without a writable home, e.g. some
containers), so importing this module first points ``numba.config.CACHE_DIR`` at a folder
in the temporary directory in that case.  Set ``NUMBA_CACHE_DIR`` to choose the folder
yourself (docs/architecture.md, "Fast start").

This is the one place in ``core`` that looks at the file system, and only to pick a folder.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba

njit = numba.njit
_config: Any = numba.config


def _writable(folder: Path) -> bool:
    """True if files can be created in ``folder`` (created if missing)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def user_cache_dir(env: dict[str, str] | None = None) -> Path:
    """Numba's user-wide cache folder on Linux and macOS (``$XDG_CACHE_HOME/numba``)."""
    env = dict(os.environ) if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "numba"


def fallback_cache_dir(
    *,
    configured: str,
    package_dir: Path,
    user_dir: Path,
    writable: Callable[[Path], bool] = _writable,
) -> str | None:
    """The folder to give Numba, or None when Numba finds a writable one itself."""
    if configured:
        return None
    if writable(package_dir / "__pycache__") or writable(user_dir):
        return None
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return str(Path(tempfile.gettempdir()) / f"quickturn-numba-{uid}")


def _configure() -> None:
    chosen = fallback_cache_dir(
        configured=str(_config.CACHE_DIR or ""),
        package_dir=Path(__file__).resolve().parent,
        user_dir=user_cache_dir(),
    )
    if chosen is not None:
        _config.CACHE_DIR = chosen


_configure()

__all__ = ["fallback_cache_dir", "njit", "user_cache_dir"]
