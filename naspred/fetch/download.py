"""One file over HTTP(S): mirrors in order, resumable, checked, moved into place whole.

:func:`download` streams into ``<dest>.part``. A ``.part`` left by an earlier,
interrupted download is continued with an HTTP ``Range`` request; a server that
ignores the range (``200`` instead of ``206``) sends the whole file and the part is
started over. The finished part is checked against the size and checksums the
publisher gives (sha256, or md5 where that is all they give, as for CIFAR); a
mismatch deletes it. Only a checked file is moved to ``dest`` (``os.replace``), so
``dest`` is either absent or whole. A lock (``flock`` on ``<dest>.lock``, which dies
with its process) keeps a second fetch of the same file from writing the same part.
When every mirror fails, one error names each URL with its reason and the step to
take by hand.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

from naspred.errors import DataUnavailableError

log = logging.getLogger(__name__)

CHUNK = 1 << 16
TIMEOUT_S = 60.0
USER_AGENT = "naspred-data-fetch"


@dataclass(frozen=True)
class Downloaded:
    """What :func:`download` placed: where from, how big, its checksums, and how many
    bytes of it an earlier ``.part`` already held (0 for a fresh download)."""

    url: str
    size: int
    sha256: str
    md5: str
    resumed_from: int


class _MirrorFailed(Exception):
    """One URL did not give the file; the reason goes into the final error."""


def part_path(dest: Path) -> Path:
    """The partial file a download of ``dest`` writes into: ``<dest>.part``.

    Args:
        dest: the file being downloaded.
    """
    return dest.with_name(dest.name + ".part")


def download(
    urls: Sequence[str],
    dest: str | Path,
    *,
    sha256: str | None = None,
    md5: str | None = None,
    size: int | None = None,
    manual: str = "",
    progress: bool = False,
    timeout: float = TIMEOUT_S,
) -> Downloaded:
    """Fetch ``dest`` from the first of ``urls`` that gives it whole and correct.

    Args:
        urls: mirrors, tried in order.
        dest: where the checked file goes (its directory is created).
        sha256: the publisher's sha256 (lower-case hex), or None where none is given.
        md5: the publisher's md5, checked where given (for publishers that give no sha256).
        size: the expected size in bytes, or None.
        manual: the step to take by hand, named in the error when every mirror fails.
        progress: show a tqdm progress bar on stderr.
        timeout: seconds to wait for a connection or for data.

    Returns:
        The URL used, the file's size and checksums, and the bytes resumed.

    Raises:
        DataUnavailableError: no URL gave the file; the message names each URL with
            its reason, and ``manual``.
    """
    dest = Path(dest)
    if not urls:
        raise DataUnavailableError(f"no URL is known for {dest.name}; {manual}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(dest)
    failures = []
    with _exclusive(dest):
        for url in urls:
            try:
                resumed = _fetch_part(url, part, dest.name, progress, timeout)
                got = _check(part, sha256, md5, size)
            except _MirrorFailed as err:
                log.warning("%s: %s", url, err)
                failures.append(f"{url} ({err})")
                continue
            os.replace(part, dest)
            return Downloaded(url, got[0], got[1], got[2], resumed)
    raise DataUnavailableError(
        f"could not download {dest.name}; tried {len(failures)} URL(s): "
        + "; ".join(failures)
        + (f". By hand: {manual}" if manual else "")
    )


@contextlib.contextmanager
def _exclusive(dest: Path) -> Iterator[None]:
    """Hold ``<dest>.lock`` so that two fetches never append to one ``.part``. The lock
    is the kernel's (``flock``), released when its process ends, even by ``kill -9``;
    the file is removed on the way out. Where there is no ``fcntl`` (Windows) nothing
    is locked."""
    if fcntl is None:
        yield
        return
    lock = dest.with_name(dest.name + ".lock")
    while True:
        fh = lock.open("a")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise DataUnavailableError(
                f"another naspred process is downloading {dest} now; wait for it to finish "
                "and run the fetch again"
            ) from None
        # the holder before us may have removed the file between our open and our lock
        try:
            if os.path.samestat(os.fstat(fh.fileno()), lock.stat()):
                break
        except FileNotFoundError:
            pass
        fh.close()
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
        fh.close()


def _fetch_part(url: str, part: Path, label: str, progress: bool, timeout: float) -> int:
    """Bring ``part`` to the whole file from ``url``; return the bytes it held before."""
    have = part.stat().st_size if part.is_file() else 0
    response = _open(url, have, timeout)
    if response is None:  # 416: the part is no prefix this server can continue
        part.unlink(missing_ok=True)
        have = 0
        response = _open(url, 0, timeout)
        if response is None:  # unreachable: only a Range request is answered None
            raise _MirrorFailed("HTTP 416 to a request without Range")
    with response:
        # a sign-in, quota or virus-scan page (Google Drive) instead of the data
        if response.headers.get_content_type() == "text/html" and not label.endswith(".html"):
            raise _MirrorFailed(
                "the server sent a web page (text/html), not the file: it wants a browser "
                "(a sign-in, quota or confirmation page)"
            )
        start = 0
        if have and response.status == 206:
            content_range = response.headers.get("Content-Range", "")
            if not content_range.startswith(f"bytes {have}-"):
                part.unlink(missing_ok=True)
                raise _MirrorFailed(
                    f"asked for bytes {have}- and got Content-Range {content_range!r}; "
                    "the partial file was deleted"
                )
            start = have
        elif have:
            log.info("%s ignored the Range request; downloading %s from the start", url, label)
        length = response.headers.get("Content-Length")
        total = start + int(length) if length and length.isdigit() else None
        with (
            part.open("ab" if start else "wb") as fh,
            tqdm(
                total=total,
                initial=start,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=label,
                disable=not progress,
                file=sys.stderr,
                leave=False,
            ) as bar,
        ):
            try:
                # read1: whatever has arrived, so that the .part holds every byte
                # received (flushed per chunk) when the process is killed
                while chunk := response.read1(CHUNK):
                    fh.write(chunk)
                    fh.flush()
                    bar.update(len(chunk))
            except (OSError, http.client.HTTPException) as err:
                raise _MirrorFailed(
                    f"connection lost after {fh.tell()} bytes ({type(err).__name__}); "
                    f"{part.name} is kept and the next fetch resumes it"
                ) from err
            finally:
                fh.flush()
                os.fsync(fh.fileno())
        got = part.stat().st_size
        if total is not None and got < total:
            raise _MirrorFailed(
                f"connection closed after {got} of {total} bytes; "
                f"{part.name} is kept and the next fetch resumes it"
            )
    return start


def _open(url: str, have: int, timeout: float) -> http.client.HTTPResponse | None:
    """The response to a GET of ``url`` (from byte ``have`` on); None for a 416."""
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:
            return None
        raise _MirrorFailed(f"HTTP {err.code} {err.reason}") from err
    except urllib.error.URLError as err:
        raise _MirrorFailed(str(err.reason)) from err
    except (OSError, http.client.HTTPException, ValueError) as err:
        raise _MirrorFailed(f"{type(err).__name__}: {err}") from err


def file_digests(path: Path) -> tuple[int, str, str]:
    """``(size, sha256, md5)`` of a file, read once.

    Args:
        path: the file.
    """
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    size = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            sha.update(block)
            md5.update(block)
            size += len(block)
    return size, sha.hexdigest(), md5.hexdigest()


def _check(
    part: Path, sha256: str | None, md5: str | None, size: int | None
) -> tuple[int, str, str]:
    """The part's size and checksums; a mismatch with what is known deletes it."""
    got = file_digests(part)
    problems = []
    if size is not None and got[0] != size:
        problems.append(f"size mismatch: expected {size} bytes, got {got[0]}")
    if sha256 is not None and got[1] != sha256.lower():
        problems.append(f"sha256 mismatch: expected {sha256.lower()}, got {got[1]}")
    if md5 is not None and got[2] != md5.lower():
        problems.append(f"md5 mismatch: expected {md5.lower()}, got {got[2]}")
    if problems:
        part.unlink()
        raise _MirrorFailed("; ".join(problems) + "; the download was deleted")
    return got
