"""The cache as a whole: a source's files fetched, checked, unpacked and recorded, and
their state (present, partial, absent) for ``naspred data list`` and the loaders."""

from __future__ import annotations

import logging
import os
import shutil
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from naspred.errors import DataUnavailableError
from naspred.fetch.download import download, file_digests, part_path
from naspred.fetch.home import data_home, read_manifest, record, source_dir
from naspred.fetch.sources import RemoteFile, Source, get_source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileStatus:
    """One file of a source in the cache.

    ``state`` is ``present`` (the file is there or, for an archive, the folder it
    unpacks to), ``partial`` (an interrupted ``.part``, or an archive not unpacked) or
    ``absent``. ``size`` is the bytes on disk (the ``.part``'s when partial);
    ``sha256`` and ``url`` come from the manifest, None when the file was not recorded
    there. ``action`` says what :func:`fetch_source` did: ``fetched``, ``resumed``,
    ``unpacked`` (an archive already there), ``recorded`` (found in place and
    recorded), ``present`` (already recorded), or ``""`` for a status query.
    ``published`` is the checksum the publisher gives: ``sha256``, ``md5`` or ``none``.
    """

    source: str
    name: str
    path: Path
    state: str
    size: int | None
    sha256: str | None
    url: str | None
    action: str = ""
    published: str = ""


def _published(file: RemoteFile) -> str:
    if file.sha256:
        return "sha256"
    return "md5" if file.md5 else "none"


def _file_status(source: Source, file: RemoteFile, home: Path, manifest: dict) -> FileStatus:
    path = source_dir(source.name, home) / file.name
    entry = manifest.get(f"{source.name}/{file.name}", {})
    part = part_path(path)
    unpacked = file.unpack_to is not None and (path.parent / file.unpack_to).is_dir()
    if unpacked or (file.unpack_to is None and path.is_file()):
        state, size = "present", path.stat().st_size if path.is_file() else None
    elif path.is_file():  # an archive not unpacked yet
        state, size = "partial", path.stat().st_size
    elif part.is_file():
        state, size = "partial", part.stat().st_size
    else:
        state, size = "absent", None
    recorded = entry if state == "present" or path.is_file() else {}
    return FileStatus(
        source.name,
        file.name,
        path,
        state,
        size,
        recorded.get("sha256"),
        recorded.get("url"),
        published=_published(file),
    )


def source_status(source: str | Source, home: Path | None = None) -> list[FileStatus]:
    """The state of each of ``source``'s files in the cache.

    Args:
        source: a registered source name or a :class:`Source`.
        home: the cache directory; :func:`data_home` when None.
    """
    source = get_source(source) if isinstance(source, str) else source
    home = home if home is not None else data_home()
    manifest = read_manifest(home)
    return [_file_status(source, f, home, manifest) for f in source.files]


def fetched_dir(source: str, home: Path | None = None) -> Path | None:
    """``source``'s cache directory if every one of its files is present, else None: how a
    loader finds fetched data without a path flag.

    Args:
        source: a registered source name.
        home: the cache directory; :func:`data_home` when None.
    """
    statuses = source_status(source, home)
    return statuses[0].path.parent if all(s.state == "present" for s in statuses) else None


def fetch_source(
    source: str | Source,
    *,
    mirrors: Sequence[str] = (),
    progress: bool = False,
    home: Path | None = None,
) -> list[FileStatus]:
    """Download the files of ``source`` that the cache lacks, check and record them.

    A file already there is kept; if the manifest does not record it (placed by hand)
    it is checked against the published checksum, where there is one, and recorded.

    Args:
        source: a registered source name or a :class:`Source`.
        mirrors: base URLs tried before the registered ones, each holding the files
            under their names (``<mirror>/zc_nasbench201.json``): an institutional copy.
        progress: show tqdm progress bars on stderr.
        home: the cache directory; :func:`data_home` when None.

    Returns:
        Each file's status after the fetch, with what was done in ``action``.

    Raises:
        DataUnavailableError: a file could not be downloaded from any URL (the message
            names each URL, its reason, and the step to take by hand), or a file found in
            place does not match its published checksum.
    """
    source = get_source(source) if isinstance(source, str) else source
    home = home if home is not None else data_home()
    directory = source_dir(source.name, home)
    results = []
    for file in source.files:
        status = _file_status(source, file, home, read_manifest(home))
        if status.state == "present":
            action = "present" if status.sha256 else _record_in_place(source, file, status, home)
        elif file.unpack_to is not None and status.path.is_file():  # fetched, not unpacked
            if not status.sha256:
                _record_in_place(source, file, status, home)
            _unpack(status.path, file.unpack_to)
            action = "unpacked"
        else:
            urls = [f"{m.rstrip('/')}/{file.name}" for m in mirrors] + list(file.urls)
            got = download(
                urls,
                status.path,
                sha256=file.sha256,
                md5=file.md5,
                size=file.size,
                manual=source.manual.format(dir=directory),
                progress=progress,
            )
            _record(source, file, home, got.url, got.size, got.sha256, got.md5)
            if file.unpack_to is not None:
                _unpack(status.path, file.unpack_to)
            action = "resumed" if got.resumed_from else "fetched"
        done = _file_status(source, file, home, read_manifest(home))
        results.append(replace(done, action=action))
    return results


def _record(
    source: Source, file: RemoteFile, home: Path, url: str | None, size: int, sha: str, md5: str
) -> None:
    record(
        f"{source.name}/{file.name}",
        {
            "source": source.name,
            "file": file.name,
            "url": url,
            "size": size,
            "sha256": sha,
            "md5": md5,
            "published_checksum": _published(file),
            "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
        home,
    )


def _record_in_place(source: Source, file: RemoteFile, status: FileStatus, home: Path) -> str:
    """Check and record a file found in the cache that no fetch recorded."""
    if not status.path.is_file():  # only the unpacked folder is there: nothing to hash
        return "present"
    size, sha, md5 = file_digests(status.path)
    wrong = (file.sha256 and sha != file.sha256) or (file.md5 and md5 != file.md5)
    if wrong or (file.size is not None and size != file.size):
        raise DataUnavailableError(
            f"{status.path} does not match its published checksum "
            f"({'sha256 ' + file.sha256 if file.sha256 else 'md5 ' + str(file.md5)}; "
            f"the file has sha256 {sha}, md5 {md5}, {size} bytes); delete it and run "
            f"`naspred data fetch {source.name}` again"
        )
    _record(source, file, home, None, size, sha, md5)
    return "recorded"


def _unpack(archive: Path, folder: str) -> None:
    """Unpack a tar archive next to itself; ``folder`` appears whole or not at all."""
    target = archive.parent / folder
    with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".unpack-") as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        unpacked = Path(tmp) / folder
        if not unpacked.is_dir():
            raise DataUnavailableError(
                f"{archive} does not unpack to {folder}/; delete it and fetch it again"
            )
        if target.exists():
            shutil.rmtree(target)
        os.replace(unpacked, target)
    log.info("unpacked %s to %s", archive, target)
