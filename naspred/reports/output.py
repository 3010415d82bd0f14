"""Writing a study's outputs whole: a killed or failed write never leaves a mix.

Every table and figure writer of :mod:`naspred.reports` writes through
:func:`output_dir`: the new files go to a fresh staging directory next to the
output directory (same filesystem), and only once all of them are written does
the staging directory take the output directory's place, in one step. A write
killed (``kill -9``, power cut) or failing at any moment leaves the output
directory holding either the previous complete set of outputs or the new
complete set, never a 0-byte ``compare.csv`` beside a ``compare.md`` of the
previous run.

Design: swap the whole directory, carrying over what is not the writer's.
An output directory may hold files the writer does not produce: a results store
or journal kept beside the tables (``tables/predictors/nb201_cifar10_store.jsonl``),
a ``README.md`` written by a study script, the sub-directories of other tasks,
committed notes. Before the swap, every such file is hard-linked (copied where
the filesystem cannot link) into the staging directory, so the swap installs the
writer's new files and the foreign ones together; a hard link is the same file,
so a store appended to by another process during or after the swap loses
nothing. Files the writer does not produce this time but owns (``owns``
patterns: e.g. the heatmap of a task no longer studied) are dropped as stale;
everything else survives. Swapping only the writer's files one by one could not
be atomic as a set, hence the whole-directory swap.

The swap itself is ``renameat2(RENAME_EXCHANGE)`` on Linux: one system call
exchanges the two directories, so the output path always names a complete set.
Where the OS or filesystem lacks it, the old directory is renamed aside and the
new one into place (a kill between the two renames leaves the path missing for a
moment; the next write, or :func:`recover_output_dir`, puts the previous set
back). Leftovers of a killed run (``.<name>.naspred-new-*``: an unfinished
staging dir, or the previous set after an exchange; ``.<name>.naspred-old-*``:
the previous set renamed aside) are cleaned when the next write starts; a
directory still locked by a live writer (``flock``) is left alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fnmatch
import glob
import logging
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from naspred.errors import InvalidInputError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: writers are then not locked
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

_NEW, _OLD = "naspred-new", "naspred-old"
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _load_renameat2() -> object | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # glibc < 2.28 or another libc
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_renameat2 = _load_renameat2()

# (inode, size, mtime) of a foreign file when it was carried over: a file found
# changed after the swap was replaced by another process meanwhile and is kept
_Stamp = tuple[int, int, int]


@contextlib.contextmanager
def output_dir(path: str | Path, *, owns: Sequence[str] = ()) -> Iterator[Path]:
    """Stage a writer's outputs and install them at ``path`` as one set.

    Write every output into the yielded staging directory. On normal exit the
    staging directory replaces ``path`` in one step (see the module docstring),
    carrying over the files of ``path`` that the writer does not produce; on an
    exception the staging directory is removed and ``path`` is left untouched.

    Args:
        path: the output directory; created (with its parents) if missing. A
            symlink to a directory is followed, so the link stays a link.
        owns: shell-style patterns of paths relative to ``path``, matched
            component by component (``"heatmaps/*.png"``), naming the writer's
            outputs: files of the previous set that match and are not written
            again are dropped as stale instead of carried over.

    Yields:
        The staging directory to write into.

    Raises:
        InvalidInputError: ``path`` is a file, holds a git repository, or is the
            current directory or one of its parents (swapping it would move the
            working directory), or a foreign entry collides with a new output.
    """
    target = _target(Path(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_output_dir(target)
    staging = _make_staging(target)
    locks = [_lock(staging)]
    try:
        try:
            yield staging
            produced = set(_files(staging))
            _fsync_all(staging, produced)
            carried: dict[str, _Stamp] = {}
            if target.is_dir():
                # lock the previous set too: after the swap it lies under a leftover's
                # name until removed, and another writer must not clean it meanwhile
                locks.append(_lock(target))
                carried = _carry_over(target, staging, produced, owns)
            old = _install(staging, target)
        except BaseException:
            _remove_tree(staging)
            raise
        _fsync_dir(target.parent)
        if old is not None:
            _rescue(old, target, produced, owns, carried)
            _remove_tree(old)
    finally:
        for fd in locks:
            if fd is not None:
                os.close(fd)


def relocate(files: Iterable[Path], staging: Path, target: str | Path) -> list[Path]:
    """Where ``files`` written under ``staging`` lie once installed at ``target``.

    Args:
        files: paths under the staging directory.
        staging: the directory :func:`output_dir` yielded.
        target: the output directory given to :func:`output_dir`.

    Returns:
        The same files under ``target``.
    """
    return [Path(target) / Path(f).relative_to(staging) for f in files]


def recover_output_dir(path: str | Path) -> None:
    """Clean what a killed write left beside ``path``, restoring ``path`` first if
    a kill between the two renames of the fallback swap left it missing.

    Leftovers locked by a live writer are left alone. :func:`output_dir` calls
    this before every write.

    Args:
        path: the output directory.
    """
    target = Path(path)
    parent, name = target.parent, target.name
    if not parent.is_dir():
        return
    # newest first: should several sets lie aside, the latest complete one is restored
    leftovers = sorted(
        (p for p in parent.glob(f".{glob.escape(name)}.naspred-*-*") if p.is_dir()),
        key=_mtime,
        reverse=True,
    )
    for leftover in leftovers:
        fd = _try_lock(leftover)
        if fd is None:
            continue  # a live writer's: not ours to touch
        try:
            aside = leftover.name.startswith(f".{name}.{_OLD}-")
            if aside and not target.exists():
                # the previous complete set, renamed aside by a killed fallback swap
                os.rename(leftover, target)
                log.warning("%s: restored the previous outputs after an interrupted write", target)
                continue
            log.info("%s: removing %s left by an interrupted write", target, leftover.name)
            _remove_tree(leftover)
        finally:
            os.close(fd)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed meanwhile by another writer's cleanup
        return 0.0


def _make_staging(target: Path) -> Path:
    """A new empty directory beside ``target``: made with the usual permissions
    (``mkdtemp`` would give 0o700), those of ``target`` where it exists."""
    while True:
        staging = target.parent / f".{target.name}.{_NEW}-{secrets.token_hex(6)}"
        try:
            staging.mkdir()
        except FileExistsError:
            continue
        if target.is_dir():
            os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
        return staging


def _target(path: Path) -> Path:
    if path.is_symlink():
        path = path.resolve()
    path = path.absolute()
    if path.exists() and not path.is_dir():
        raise InvalidInputError(f"{path} is a file, not an output directory")
    real, cwd = path.resolve(), Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        raise InvalidInputError(
            f"{path} is the current directory or one of its parents; write the outputs "
            "to a directory of their own (e.g. tables/<study>)"
        )
    if (path / ".git").exists():
        raise InvalidInputError(f"{path} holds a git repository; choose an output directory")
    return path


def _files(root: Path) -> Iterator[str]:
    """Relative POSIX paths of the files and symlinks under ``root``."""
    for dirpath, dirs, files in os.walk(root):
        base = Path(dirpath).relative_to(root)
        for name in files + [d for d in dirs if (Path(dirpath) / d).is_symlink()]:
            yield (base / name).as_posix()


def _owned(rel: str, owns: Sequence[str]) -> bool:
    parts = rel.split("/")
    for pattern in owns:
        bits = pattern.split("/")
        if len(bits) == len(parts) and all(
            fnmatch.fnmatchcase(p, b) for p, b in zip(parts, bits, strict=True)
        ):
            return True
    return False


def _carry_over(
    target: Path, staging: Path, produced: set[str], owns: Sequence[str]
) -> dict[str, _Stamp]:
    """Link (or copy) into ``staging`` every entry of ``target`` that is not a new
    output and not a stale one; their stamps, keyed by relative path."""
    carried: dict[str, _Stamp] = {}
    produced_dirs = {Path(rel).parent.as_posix() for rel in produced}
    for dirpath, dirs, files in os.walk(target):
        base = Path(dirpath).relative_to(target)
        for name in dirs:
            rel = (base / name).as_posix()
            src = Path(dirpath) / name
            if not src.is_symlink():
                try:
                    (staging / rel).mkdir(exist_ok=True)  # empty dirs are kept too
                except (FileExistsError, NotADirectoryError) as err:
                    raise _collision(target, rel) from err
                if rel not in produced_dirs:
                    os.chmod(staging / rel, stat.S_IMODE(src.stat().st_mode))
                continue
            files.append(name)  # a symlink to a dir: carried as the link, not walked
        for name in files:
            rel = (base / name).as_posix()
            if rel in produced or _owned(rel, owns):
                continue
            src, dst = Path(dirpath) / name, staging / rel
            st = src.lstat()
            try:
                if src.is_symlink():
                    os.symlink(os.readlink(src), dst)
                else:
                    try:
                        os.link(src, dst)
                    except (FileExistsError, NotADirectoryError, IsADirectoryError):
                        raise
                    except OSError:  # the filesystem cannot hard-link
                        shutil.copy2(src, dst)
            except (FileExistsError, NotADirectoryError, IsADirectoryError) as err:
                raise _collision(target, rel) from err
            carried[rel] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return carried


def _collision(target: Path, rel: str) -> InvalidInputError:
    return InvalidInputError(
        f"{target / rel}: not an output of this writer, but in the way of one; move it away"
    )


def _install(staging: Path, target: Path) -> Path | None:
    """Put ``staging`` at ``target``; the directory now holding the previous set."""
    if not target.exists():
        os.rename(staging, target)
        return None
    if _exchange(staging, target):
        return staging
    aside = target.parent / f".{target.name}.{_OLD}-{secrets.token_hex(6)}"
    _rename(target, aside)
    try:
        _rename(staging, target)
    except BaseException:
        _rename(aside, target)  # the previous set back in place before giving up
        raise
    return aside


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one system call; False where that is not available."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False  # e.g. a filesystem without RENAME_EXCHANGE: use the fallback
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _rename(src: Path, dst: Path) -> None:
    os.rename(src, dst)


def _rescue(
    old: Path, target: Path, produced: set[str], owns: Sequence[str], carried: dict[str, _Stamp]
) -> None:
    """Move into ``target`` the foreign files of ``old`` that another process created
    or replaced after they were carried over (e.g. a store rewritten by rename)."""
    for rel in _files(old):
        if rel in produced or _owned(rel, owns):
            continue
        src = old / rel
        st = src.lstat()
        if carried.get(rel) == (st.st_ino, st.st_size, st.st_mtime_ns):
            continue
        dst = target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        log.info("%s: kept %s, changed during the write", target, rel)


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _fsync_all(root: Path, files: Iterable[str]) -> None:
    """Flush the new files to disk, so that a power cut after the swap cannot leave
    them empty (a kill alone cannot: the page cache outlives the process)."""
    for rel in files:
        path = root / rel
        if path.is_symlink():
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _lock(path: Path) -> int | None:
    """An fd on directory ``path`` holding an exclusive lock (released when closed,
    or when the process dies), so that no other writer cleans it as a leftover;
    None where a directory cannot be opened (Windows): no lock then."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _try_lock(path: Path) -> int | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
    return fd
