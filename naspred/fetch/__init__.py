"""Fetching public data into one cache: ``naspred data fetch`` and ``naspred data list``.

The registry (:mod:`naspred.fetch.sources`) names each release with its URLs and
checksums; :func:`fetch_source` downloads a source's missing files into
``<cache>/<source>/`` (:mod:`naspred.fetch.download`: mirrors in order, resumable,
checked, moved into place whole), unpacks archives and records each file in the
manifest (:mod:`naspred.fetch.home`); :func:`source_status` says what is there.
Loaders find fetched data through :func:`fetched_dir` without path flags; a path
given explicitly always wins over the cache.

This package sits one floor above :mod:`naspred.journal` (whose atomic writes keep
the manifest whole), so that both :mod:`naspred.benchmarks` and :mod:`naspred.data`
can find fetched files.
"""

from __future__ import annotations

from naspred.fetch.download import Downloaded, download
from naspred.fetch.home import ENV_VAR, data_home, source_dir
from naspred.fetch.sources import SOURCES, RemoteFile, Source, get_source
from naspred.fetch.store import FileStatus, fetch_source, fetched_dir, source_status

__all__ = [
    "ENV_VAR",
    "SOURCES",
    "Downloaded",
    "FileStatus",
    "RemoteFile",
    "Source",
    "data_home",
    "download",
    "fetch_source",
    "fetched_dir",
    "get_source",
    "source_dir",
    "source_status",
]
