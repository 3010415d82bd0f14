"""The project's one way to run work in parallel: :func:`parallel_map`.

Every parallel job in naspred (proxies over many archs, studies over many tasks)
goes through :func:`parallel_map`; nothing else starts processes. Three backends:

* ``"local"`` (default): a pool of worker processes on this machine, started with
  the ``spawn`` method so it is safe with torch, CUDA and threads (a forked torch
  process can deadlock). Each worker sets torch to ``torch_threads`` threads
  (1 by default) so ``n_jobs`` workers do not oversubscribe the cores.
  A worker dies with the calling process (killed, say): on Linux the kernel kills
  it at once (``PR_SET_PDEATHSIG``), elsewhere a watchdog thread ends it within a
  second, so a killed run leaves no orphans computing for nobody.
* ``"serial"``: the same calls, one after another in this process -- for
  debugging (breakpoints, tracebacks) and for tiny jobs.
* ``"ray"``: one ``ray.remote`` task per item on a Ray cluster: the one this
  process is already connected to, else the one ``address`` (or ``$RAY_ADDRESS``,
  or a running local cluster found by ``address="auto"``) names, else a new local
  one. Ray is an optional dependency: ``pip install 'naspred[ray]'``.

What ``fn`` and the items must be. For ``local`` and ``ray`` they are pickled, so
``fn`` must be importable by name (a module-level function, not a lambda or a
closure); with ``spawn``, a script that calls :func:`parallel_map` must guard its
entry point with ``if __name__ == "__main__":``.

Errors. An exception inside ``fn`` for one item is caught where it happens (in
the worker) and turned into a :class:`TaskError` -- the item's index, the
exception's type and message, and the worker's formatted traceback -- because
arbitrary exceptions do not always survive pickling. With ``on_error="raise"``
(default) the first one seen is raised as :class:`ParallelTaskError` once the
work already running has stopped, and no further items are started; with
``on_error="return"`` the :class:`TaskError` takes the item's place in the
result list and the other items go on. Callers that want per-item failures to
be ordinary results (the proxy runner does) catch inside ``fn`` instead.

Results come back in input order. ``on_result(index, value)`` is called in the
calling process as each item finishes (in completion order), so a caller can
persist results as they arrive and lose nothing to a kill.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from tqdm.auto import tqdm

from naspred.errors import InvalidInputError, NaspredError

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

Backend = Literal["local", "serial", "ray"]
BACKENDS: tuple[str, ...] = ("local", "serial", "ray")


@dataclass(frozen=True)
class TaskError:
    """What went wrong in ``fn`` for one item (picklable, unlike many exceptions)."""

    index: int
    item: str
    type: str
    message: str
    traceback: str

    def __str__(self) -> str:
        return f"item {self.index} ({self.item}): {self.type}: {self.message}"


class ParallelTaskError(NaspredError):
    """``fn`` raised for an item; ``.error`` holds the :class:`TaskError` with the
    worker's traceback (also in the message)."""

    def __init__(self, error: TaskError) -> None:
        self.error = error
        super().__init__(f"{error}\n--- traceback in the worker ---\n{error.traceback}")


def default_n_jobs() -> int:
    """The CPUs this process may use (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def parallel_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    backend: Backend = "local",
    n_jobs: int | None = None,
    progress: bool = True,
    desc: str = "",
    on_error: Literal["raise", "return"] = "raise",
    on_result: Callable[[int, Any], None] | None = None,
    torch_threads: int | None = 1,
    address: str | None = None,
) -> list[R | TaskError]:
    """``[fn(item) for item in items]``, computed in parallel, in input order.

    Args:
        fn: a picklable (module-level) function of one item.
        items: the inputs (materialised into a list first).
        backend: ``"local"`` (process pool), ``"serial"`` (this process) or ``"ray"``.
        n_jobs: worker processes (local), or most items in flight at once (ray);
            None: every CPU this process may use (local), the cluster's choice (ray).
        progress: show a tqdm bar (one tick per item).
        desc: the bar's label.
        on_error: ``"raise"`` a :class:`ParallelTaskError` for the first failing item,
            or ``"return"`` its :class:`TaskError` in the result list.
        on_result: called as ``on_result(index, result)`` in this process as each item
            finishes (completion order), e.g. to write results as they arrive. An
            exception it raises stops the map and propagates.
        torch_threads: torch intra-op threads in each worker (local, ray); None leaves
            torch's default. Ignored by ``serial``, which must not change this process.
        address: Ray cluster address (ray backend only); see the module docstring.

    Returns:
        One entry per item, in input order: ``fn(item)``, or a :class:`TaskError`
        where ``fn`` raised and ``on_error="return"``.
    """
    work = list(items)
    if backend not in BACKENDS:
        raise InvalidInputError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if on_error not in ("raise", "return"):
        raise InvalidInputError(f"on_error must be 'raise' or 'return', not {on_error!r}")
    if n_jobs is not None and n_jobs < 1:
        raise InvalidInputError(f"n_jobs must be >= 1 (or None for all CPUs), not {n_jobs}")
    results: list[Any] = [None] * len(work)
    if not work:
        return results
    if backend == "serial":
        outcomes = _serial(fn, work)
    elif backend == "local":
        outcomes = _local(fn, work, n_jobs or default_n_jobs(), torch_threads)
    else:
        outcomes = _ray(fn, work, n_jobs, torch_threads, address)
    with tqdm(total=len(work), desc=desc or None, disable=not progress, unit="item") as bar:
        try:
            for index, ok, value in outcomes:
                if not ok and on_error == "raise":
                    raise ParallelTaskError(value)
                results[index] = value
                if on_result is not None:
                    on_result(index, value)
                bar.update(1)
        finally:
            # stop pending work (pool shutdown / ray cancel) on any early exit
            close = getattr(outcomes, "close", None)
            if close is not None:
                close()
    return results


# ---- what runs in the worker ----------------------------------------------------------


def _guarded(fn: Callable[[T], R], index: int, item: T) -> tuple[int, bool, Any]:
    """``(index, True, fn(item))``, or ``(index, False, TaskError)`` if ``fn`` raised."""
    try:
        return index, True, fn(item)
    except Exception as err:  # reported to the caller, who decides
        return index, False, _task_error(index, item, err)


def _task_error(index: int, item: object, err: BaseException) -> TaskError:
    text = repr(item)
    return TaskError(
        index=index,
        item=text if len(text) <= 200 else text[:197] + "...",
        type=type(err).__name__,
        message=str(err),
        traceback="".join(traceback.format_exception(type(err), err, err.__traceback__)),
    )


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op threads (None: leave as is), then restore.

    The small networks of predictors and encoders train several times faster on one
    thread than on many, which mostly wait on each other (and on the other processes
    of a shared machine).

    Args:
        n: threads for the block.
    """
    import torch

    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def flush_denormals() -> Iterator[None]:
    """Run the block with the CPU flushing denormal floats to zero, then restore.

    Denormals (magnitudes below about 1e-38 in float32) take the x86 CPU's slow
    path, tens of times slower than other floats. Training a predictor's small
    network for hundreds of epochs fills its gradients and Adam's moments with
    them: a GCN fit at 1,000 NB201 archs spent 42 ms a minibatch step with them
    and 2.6 ms flushed, at the same Kendall tau to three decimals (0.693; seed 0,
    1,000 held-out archs). Values that small change no prediction that matters.
    Torch has no getter for the setting, so the state before is read off one
    denormal product. ``NASPRED_DENORMALS=keep`` in the environment leaves the
    setting alone (``perf/predictors.py --speed`` times the predictors of before
    this change so).
    """
    import torch

    if os.environ.get("NASPRED_DENORMALS") == "keep":
        yield
        return

    before = bool((torch.tensor([1e-30]) * torch.tensor([1e-10])).item() == 0.0)
    supported = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if supported:
            torch.set_flush_denormal(before)


@contextmanager
def network_compute(threads: int | None) -> Iterator[None]:
    """How the predictors' and encoders' small networks train and predict: with
    ``threads`` torch intra-op threads (:func:`torch_threads`) and denormals flushed
    (:func:`flush_denormals`), both restored after the block.

    Args:
        threads: torch threads for the block (None: leave as is).
    """
    with torch_threads(threads), flush_denormals():
        yield


def _set_torch_threads(n: int | None) -> None:
    """Limit torch in a fresh worker (the pool initializer / first thing a Ray task does)."""
    if n is None:
        return
    # for libraries that read them when they start (OpenMP, MKL) in this worker
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    try:
        import torch
    except ImportError:  # a worker that never uses torch
        return
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def _watch_parent(parent_pid: int, interval: float = 1.0) -> None:
    """End this worker soon after the process that started it is gone.

    A pool worker whose parent was killed (SIGKILL, a closed terminal) is
    re-parented and would go on burning a core on work nobody will collect; a
    daemon thread notices the new parent and exits the worker.
    """

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="naspred-parent-watch", daemon=True).start()


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to kill this worker (SIGKILL) the moment its parent dies
    (``prctl(PR_SET_PDEATHSIG)``), and exit now if it has died already.

    The kernel acts at once, where the polling watchdog of :func:`_watch_parent`
    (kept for other systems, and as a fallback) would leave the worker computing for
    up to its interval. The signal fires when the parent *thread* that started the
    worker ends; the pool's workers are started by the thread that runs
    :func:`parallel_map`, which outlives the pool.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no usable libc: the watchdog still works
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _local_worker_init(threads: int | None, parent_pid: int) -> None:
    """Pool initializer: die with the parent, then set torch threads."""
    _die_with_parent(parent_pid)
    _watch_parent(parent_pid)
    _set_torch_threads(threads)


def _ray_call(fn: Callable[[T], R], index: int, item: T, threads: int | None) -> tuple:
    _set_torch_threads(threads)
    return _guarded(fn, index, item)


# ---- backends: each yields (index, ok, value) as items finish --------------------------


def _serial(fn: Callable[[T], R], work: Sequence[T]) -> Iterator[tuple[int, bool, Any]]:
    for index, item in enumerate(work):
        yield _guarded(fn, index, item)


def _local(
    fn: Callable[[T], R], work: Sequence[T], n_jobs: int, threads: int | None
) -> Iterator[tuple[int, bool, Any]]:
    workers = max(1, min(n_jobs, len(work)))
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_local_worker_init,
        initargs=(threads, os.getpid()),
    )
    # keep at most 2 items per worker queued, so an early stop leaves little to cancel
    pending: set[Future] = set()
    queue = iter(enumerate(work))
    try:
        while True:
            while len(pending) < 2 * workers:
                nxt = next(queue, None)
                if nxt is None:
                    break
                pending.add(pool.submit(_guarded, fn, *nxt))
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _ray(
    fn: Callable[[T], R],
    work: Sequence[T],
    n_jobs: int | None,
    threads: int | None,
    address: str | None,
) -> Iterator[tuple[int, bool, Any]]:
    ray = _connect_ray(address)
    remote = ray.remote(num_cpus=1)(_ray_call)
    limit = n_jobs or len(work)
    fn_ref = ray.put(fn)
    pending: list = []
    queue = iter(enumerate(work))
    try:
        while True:
            while len(pending) < limit:
                nxt = next(queue, None)
                if nxt is None:
                    break
                pending.append(remote.remote(fn_ref, nxt[0], nxt[1], threads))
            if not pending:
                break
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield ray.get(ref)
    finally:
        for ref in pending:
            ray.cancel(ref)


def _connect_ray(address: str | None) -> Any:
    """The ``ray`` module, connected: to the current cluster, to ``address`` /
    ``$RAY_ADDRESS``, to a running local cluster (``"auto"``), or to a new local one."""
    try:
        import ray
    except ImportError as err:
        raise NaspredError(
            "backend 'ray' needs Ray: pip install 'naspred[ray]' (or 'ray>=2.9')"
        ) from err
    if ray.is_initialized():
        return ray
    chosen = address or os.environ.get("RAY_ADDRESS")
    if chosen:
        _check_reachable(chosen)
        log.info("connecting to the Ray cluster at %s", chosen)
        try:
            ray.init(address=chosen, log_to_driver=False)
        except ConnectionError as err:  # something listens there, but no driver gets in
            cause = f": {err.__cause__}" if err.__cause__ is not None else ""
            raise NaspredError(
                f"the Ray cluster at {chosen} did not take this driver ({err}{cause}); check "
                "that the address is the head's (`ray start --head --port=PORT`), and if the "
                "cluster uses token authentication (`ray start` turns it on where "
                "~/.ray/auth_token exists) set RAY_AUTH_MODE=token here, with its token "
                "in ~/.ray/auth_token or $RAY_AUTH_TOKEN"
            ) from err
        return ray
    try:
        ray.init(address="auto", log_to_driver=False)
        log.info("connected to a running Ray cluster")
    except ConnectionError:
        log.info("no running Ray cluster found; starting a local one")
        ray.init(log_to_driver=False)
    return ray


def _check_reachable(address: str, timeout: float = 3.0) -> None:
    """Fail at once, naming the address, when nothing listens at a ``host:port`` Ray
    address (``ray.init`` would wait about half a minute and end in a traceback)."""
    import socket

    if address == "auto":
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        raise NaspredError(f"Ray address {address!r} is not HOST:PORT (or 'auto')")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except OSError as err:
        raise NaspredError(
            f"no Ray cluster answers at {address} ({err.strerror or err}); start one there "
            "(`ray start --head --port=PORT`) or leave out the address to start a local one"
        ) from err
