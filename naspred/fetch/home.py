"""Where fetched data lives: one cache directory and the manifest inside it.

The cache is ``$NASPRED_DATA`` when set, else the platform's user cache directory
(``$XDG_CACHE_HOME/naspred`` or ``~/.cache/naspred`` on Linux,
``~/Library/Caches/naspred`` on macOS, ``%LOCALAPPDATA%/naspred/Cache`` on
Windows). Each source has a directory of its own, ``<cache>/<source>/``, and
``<cache>/manifest.json`` records every file a fetch placed there: its source, the
URL it came from, its size and its sha256.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from naspred.errors import DataUnavailableError
from naspred.journal import write_json_atomic

#: Environment variable naming the cache directory.
ENV_VAR = "NASPRED_DATA"
MANIFEST = "manifest.json"


def data_home() -> Path:
    """The cache directory for fetched data (not created here)."""
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        return Path(chosen).expanduser()
    return _user_cache_dir()


def _user_cache_dir() -> Path:
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return (Path(local) if local else Path.home() / "AppData" / "Local") / "naspred" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "naspred"
    xdg = os.environ.get("XDG_CACHE_HOME")
    # the XDG rule: a relative $XDG_CACHE_HOME is invalid and is ignored
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache") / "naspred"


def source_dir(source: str, home: Path | None = None) -> Path:
    """The directory that holds ``source``'s files in the cache.

    Args:
        source: a registered source name (``suite-zero``, ``cifar10``, ...).
        home: the cache directory; :func:`data_home` when None.
    """
    return (home if home is not None else data_home()) / source


def read_manifest(home: Path | None = None) -> dict[str, dict[str, Any]]:
    """The manifest's entries, keyed ``<source>/<file>``; empty when there is none.

    Args:
        home: the cache directory; :func:`data_home` when None.
    """
    path = (home if home is not None else data_home()) / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataUnavailableError(
            f"{path}: the fetch manifest is damaged ({err}); delete it and run "
            "`naspred data fetch` again (present files are checked and recorded anew)"
        ) from err
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        raise DataUnavailableError(
            f"{path}: the fetch manifest has no 'files' object; delete it and run "
            "`naspred data fetch` again"
        )
    return files


def record(key: str, entry: dict[str, Any], home: Path | None = None) -> None:
    """Add or replace one manifest entry, rewriting the manifest atomically.

    Args:
        key: ``<source>/<file>``.
        entry: what to record (source, url, size, sha256, ...).
        home: the cache directory; :func:`data_home` when None.
    """
    home = home if home is not None else data_home()
    files = read_manifest(home)
    files[key] = entry
    home.mkdir(parents=True, exist_ok=True)
    write_json_atomic(home / MANIFEST, {"files": dict(sorted(files.items()))})
