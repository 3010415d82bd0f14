"""Put a new zero-cost proxy beside every baseline: the engine of ``naspred compare``.

Given a proxy -- a registered name, or a user's function named ``module:function``
(or ``path/to/file.py:function``) -- :func:`run_compare`

1. draws, per task, a seeded subset of the archs that carry every stored baseline
   score (NAS-Bench-Suite-Zero stores its proxies for 491 NB201 archs per dataset);
2. builds and initialises each arch's network and scores it with the new proxy
   (and, optionally, with registered proxies computed live) through
   :func:`naspred.proxies.score_archs`, on one seeded minibatch of the task's data;
3. correlates every proxy, new and stored, with ``val_accuracy`` on the same archs:
   Spearman and Kendall with percentile bootstrap 95% confidence intervals
   (archs resampled with replacement; the *same* resamples for every proxy, so
   the fraction of resamples in which the new proxy's Spearman beats a
   baseline's is a paired bootstrap probability);
4. ranks the proxies within each task by Spearman (1 = best) and averages the
   ranks over tasks;
5. measures how much the new proxy is just another baseline: its Spearman with
   every baseline, as a heatmap (is it ``params`` again?).

Everything is written to ``results/compare/<proxy>/`` (markdown, CSV, PNG) unless
another directory is given.

The user's function follows the engine's proxy signature, ``fn(ctx) -> float``
with ``ctx`` a :class:`naspred.proxies.ProxyContext` (see
``docs/examples/my_proxy.py``). A function decorated with
:func:`naspred.proxies.register` keeps its registered name and declared shared
quantities; an undecorated one is registered under its own name, with the
quantities listed in its ``needs`` attribute if it has one (it may also call
``ctx.require(...)`` itself).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import logging
import math
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats

from naspred.benchmarks.task import TARGET, Task
from naspred.errors import InvalidInputError, NaspredError, ProxySpecError
from naspred.experiments.correlation_stats import mean_ranks
from naspred.experiments.picking import seeded_subset
from naspred.experiments.proxy_scoring import ScoreChunk, score_chunk, scoring_threads
from naspred.experiments.units import Unit, run_units
from naspred.journal import Journal
from naspred.metrics import finite_pairs, kendall, ranking_metrics, spearman
from naspred.parallel import Backend
from naspred.proxies import ProxyFailure, get_proxy, own_batch_sizes, proxy_names, register
from naspred.proxies.engine import Proxy
from naspred.reports.compare import LIVE, NEAR_COPY, NOISE, STORED  # noqa: F401 - NEAR_COPY re-exported
from naspred.reports.compare import write_compare_tables as _write  # run_compare calls _write
from naspred.spaces import get_space
from naspred.spaces.base import SearchSpace

log = logging.getLogger(__name__)


# ---- resolving the proxy ---------------------------------------------------------


def resolve_proxy(spec: str) -> str:
    """The registered name of the proxy ``spec`` names, registering it if needed.

    ``spec`` is a registered name (``"synflow"``), ``"module:function"`` (the module
    importable from ``sys.path`` or the current directory) or
    ``"path/to/file.py:function"``. Raises :class:`ProxySpecError` with the reason
    and the fix when the module, the function or the name does not exist.
    """
    if ":" not in spec:
        try:
            return get_proxy(spec).name
        except KeyError:
            raise ProxySpecError(
                f"{spec!r} is not a registered proxy (known: {', '.join(proxy_names())}); "
                "to compare your own, pass module:function or path/to/file.py:function"
            ) from None
    module_name, _, attr = spec.rpartition(":")
    if not module_name or not attr:
        raise ProxySpecError(f"{spec!r}: expected module:function, e.g. my_module:my_proxy")
    module = _import(module_name, spec)
    if not hasattr(module, attr):
        found = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise ProxySpecError(
            f"module {module_name!r} has no function {attr!r} (for proxy {spec!r}); "
            f"it defines: {', '.join(found) or 'no public callables'}"
        )
    obj = getattr(module, attr)
    if isinstance(obj, Proxy):
        return obj.name
    if not callable(obj):
        raise ProxySpecError(f"{spec!r} is a {type(obj).__name__}, not a proxy function")
    for name in proxy_names():
        if get_proxy(name).fn is obj:
            return name
    return _register_plain(obj, attr, spec)


def _import(module_name: str, spec: str) -> object:
    if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
        path = Path(module_name).expanduser().resolve()
        if not path.is_file():
            raise ProxySpecError(f"no file {path} (for proxy {spec!r})")
        # one module object per file, so a second resolve does not register twice
        key = "naspred_user_proxy_" + re.sub(r"\W", "_", str(path))
        if key in sys.modules:
            return sys.modules[key]
        loader_spec = importlib.util.spec_from_file_location(key, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ProxySpecError(f"cannot load {path} as a Python module (for proxy {spec!r})")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[key] = module
        try:
            loader_spec.loader.exec_module(module)
        except Exception:
            del sys.modules[key]
            raise
        return module
    # the console script does not put the working directory on sys.path; a user's
    # module next to them should import as it does under `python -m`
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise ProxySpecError(
            f"cannot import module {module_name!r} for proxy {spec!r} ({err}); run from the "
            "directory that holds it, add that directory to PYTHONPATH, or pass "
            "path/to/file.py:function"
        ) from err
    finally:
        if added:
            sys.path.remove(cwd)


def _register_plain(fn: Callable, attr: str, spec: str) -> str:
    params = inspect.signature(fn).parameters
    if len(params) != 1:
        raise ProxySpecError(
            f"{spec!r} takes {len(params)} arguments; a proxy is fn(ctx) -> float "
            "(ctx: naspred.proxies.ProxyContext), see docs/examples/my_proxy.py"
        )
    name = getattr(fn, "proxy_name", attr)
    needs = tuple(getattr(fn, "needs", ())) or ("data",)
    if name in proxy_names():
        known = get_proxy(name).fn
        if _same_source(known, fn):
            # the same file imported again under another module name (path vs module)
            return name
        raise ProxySpecError(
            f"{spec!r} would be registered as {name!r}, which another proxy already uses; "
            "rename the function or set its proxy_name attribute"
        )
    register(name, needs=needs, paper=getattr(fn, "__doc__", "") or "")(fn)
    return name


def _same_source(a: Callable, b: Callable) -> bool:
    code_a, code_b = getattr(a, "__code__", None), getattr(b, "__code__", None)
    return (
        code_a is not None
        and code_b is not None
        and Path(code_a.co_filename).resolve() == Path(code_b.co_filename).resolve()
        and code_a.co_firstlineno == code_b.co_firstlineno
    )


# ---- archs and data ----------------------------------------------------------------


def arch_subset(task: Task, n_archs: int | None, seed: int) -> np.ndarray:
    """Sorted rows of ``task``: ``n_archs`` drawn by ``seed`` without replacement from
    the archs that carry every stored proxy score (all of them if ``n_archs`` is None
    or larger)."""
    carry = np.ones(len(task), dtype=bool)
    for name in task.proxy_names:
        carry &= task.has_proxy(name)
    rows = np.flatnonzero(carry)
    if rows.size == 0:
        raise InvalidInputError(f"task {task.name}: no arch carries every stored proxy score")
    if n_archs is None or n_archs >= rows.size:
        return rows
    if n_archs < 3:
        raise InvalidInputError(f"--n-archs {n_archs}: correlations need at least 3 archs")
    return np.sort(seeded_subset(rows, n_archs, seed))


def task_batch(
    task: Task,
    space: SearchSpace,
    batch_size: int,
    seed: int,
    data: str | Path | None = None,
    download: bool = False,
) -> tuple[tuple[torch.Tensor, torch.Tensor], str]:
    """One seeded minibatch of ``batch_size`` for ``task`` and where it came from (see
    :func:`task_batches`)."""
    batches, source = task_batches(task, space, [batch_size], seed, data, download)
    return batches[batch_size], source


def task_batches(
    task: Task,
    space: SearchSpace,
    sizes: Sequence[int],
    seed: int,
    data: str | Path | None = None,
    download: bool = False,
) -> tuple[dict[int, tuple[torch.Tensor, torch.Tensor]], str]:
    """A seeded minibatch of each size in ``sizes`` (the run's own, and those proxies
    fix for themselves), by size, and where they came from: images of any dataset
    :data:`naspred.data.images.DATASETS` knows (CIFAR-10/100, ImageNet16-120, the
    NAS-Bench-360 svhn / scifar100 / ninapro) from ``data`` (an ``.npz`` sample or the
    dataset's published files) or from its ``naspred data fetch`` copy, else the
    documented Gaussian-noise fallback (logged), shaped for the space's network; its
    source then starts with :data:`NOISE`, and the comparison's tables say so in their
    title."""
    from naspred.data.images import DATASETS, BatchProvider, noise_batch

    dataset = task.dataset.lower()
    if dataset in {name.lower() for name in DATASETS}:
        path = None if data is None else Path(data)
        npz = path if path is not None and path.suffix == ".npz" else None
        root = path if path is not None and npz is None else None
        provider = BatchProvider.from_source(dataset, root=root, npz=npz, download=download)
        # named without directories: the tables are shared, the paths are the user's
        if provider.is_fallback:
            source = NOISE + " (no image data given)"
        elif npz is not None:
            source = f"{npz.name} ({dataset} sample)"
        elif root is not None:
            source = f"{dataset} from {root.name}/"
        else:
            source = f"{dataset} from naspred's data cache"
        return {n: provider.batch(n, seed) for n in sizes}, source
    log.warning(
        "task %s: no image loader for dataset %r; FALLING BACK to Gaussian-noise batches",
        task.name,
        task.dataset,
    )
    shape = tuple(space.input_shape(task.dataset))
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        net = space.build_network(space.sample(np.random.default_rng(seed)), task.dataset)
        classes = int(net.eval()(torch.zeros((2, *shape))).shape[1])
    source = f"{NOISE} (naspred has no image loader for {task.dataset!r})"
    return {n: noise_batch(n, classes, seed, shape=shape) for n in sizes}, source


# ---- bootstrap ---------------------------------------------------------------------


def bootstrap_indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    """``(n_boot, n)`` resampled row indices (with replacement), from ``seed``."""
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def _masked_pearson(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    k = w.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = (a * w).sum(1) / k
        mb = (b * w).sum(1) / k
        da, db = (a - ma[:, None]) * w, (b - mb[:, None]) * w
        cov = (da * db).sum(1)
        var = (da * da).sum(1) * (db * db).sum(1)
        rho = cov / np.sqrt(var)
    rho[(k < 3) | ~(var > 1e-300)] = np.nan
    return rho


def bootstrap_spearman(truth: np.ndarray, pred: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Spearman of each resample ``idx[b]`` of ``(truth, pred)``, on its finite pairs
    (ties, including repeated archs, at their mean rank -- as :func:`spearman`)."""
    t, p = np.asarray(truth, float)[idx], np.asarray(pred, float)[idx]
    ok = np.isfinite(t) & np.isfinite(p)
    # excluded pairs go to +inf: they share the top ranks and leave the others' alone
    t, p = np.where(ok, t, np.inf), np.where(ok, p, np.inf)
    return _masked_pearson(stats.rankdata(t, axis=1), stats.rankdata(p, axis=1), ok)


def bootstrap_kendall(
    truth: np.ndarray, pred: np.ndarray, idx: np.ndarray, block_elems: int = 4_000_000
) -> np.ndarray:
    """Kendall's tau-b of each resample ``idx[b]`` of ``(truth, pred)`` on its finite
    pairs: ``sum s_t s_p / sqrt(sum s_t^2 sum s_p^2)`` over pairs of archs, ``s`` the
    sign of the difference (0 for a tie, as for a repeated arch)."""
    t, p = np.asarray(truth, float)[idx], np.asarray(pred, float)[idx]
    ok = np.isfinite(t) & np.isfinite(p)
    t, p = np.where(ok, t, 0.0), np.where(ok, p, 0.0)
    n_boot, n = idx.shape
    out = np.full(n_boot, np.nan)
    step = max(1, block_elems // max(n * n, 1))
    for lo in range(0, n_boot, step):
        sl = slice(lo, lo + step)
        w = (ok[sl, :, None] & ok[sl, None, :]).astype(np.float32)
        st = np.sign(t[sl, :, None] - t[sl, None, :]).astype(np.float32) * w
        sp = np.sign(p[sl, :, None] - p[sl, None, :]).astype(np.float32)
        num = (st * sp).sum((1, 2), dtype=np.float64)
        den = (st * st).sum((1, 2), dtype=np.float64) * (sp * sp * w).sum((1, 2), dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            tau = num / np.sqrt(den)
        tau[(ok[sl].sum(1) < 3) | ~(den > 0)] = np.nan
        out[sl] = tau
    return out


def percentile_ci(samples: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The percentile bootstrap interval of the finite ``samples`` (NaN if none)."""
    s = np.asarray(samples, float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return math.nan, math.nan
    tail = 100 * (1 - level) / 2
    lo, hi = np.percentile(s, [tail, 100 - tail])
    return float(lo), float(hi)


def correlation_table(
    truth: np.ndarray,
    columns: Mapping[str, np.ndarray],
    new: str,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per column: Spearman and Kendall with ``truth``, their bootstrap CIs,
    ``p_new_better`` (fraction of resamples in which ``new``'s Spearman exceeds the
    column's, ties half; NaN for ``new`` itself), the ranking metrics of
    :func:`naspred.metrics.ranking_metrics`, ``n`` pairs used and ``n_nonfinite``
    (:func:`run_compare` then counts the failures among those apart, ``n_failed``).
    Every column is resampled with the same indices."""
    truth = np.asarray(truth, float)
    idx = bootstrap_indices(truth.size, n_boot, seed)
    boot = {name: bootstrap_spearman(truth, col, idx) for name, col in columns.items()}
    rows = []
    for name, col in columns.items():
        t, _, dropped = finite_pairs(truth, col)
        tau_boot = bootstrap_kendall(truth, col, idx)
        s_lo, s_hi = percentile_ci(boot[name], level)
        k_lo, k_hi = percentile_ci(tau_boot, level)
        if name == new:
            p_better = math.nan
        else:
            a, b = boot[new], boot[name]
            both = np.isfinite(a) & np.isfinite(b)
            p_better = float(((a > b) + 0.5 * (a == b))[both].mean()) if both.any() else math.nan
        rows.append(
            {
                "proxy": name,
                "spearman": spearman(truth, col),
                "spearman_lo": s_lo,
                "spearman_hi": s_hi,
                "kendall": kendall(truth, col),
                "kendall_lo": k_lo,
                "kendall_hi": k_hi,
                "p_new_better": p_better,
                **ranking_metrics(truth, col),
                "n": int(t.size),
                "n_nonfinite": dropped,
            }
        )
    return pd.DataFrame(rows)


# ---- the comparison -----------------------------------------------------------------


@dataclass
class CompareResult:
    """What :func:`run_compare` computed, and the files it wrote.

    Attributes:
        proxy: the new proxy's registered name.
        table: one row per (task, proxy): correlations with CIs, ``p_new_better``,
            ``rank`` within the task, ``kind`` (new / stored / live).
        ranks: mean rank per proxy over tasks (:func:`ranking`): every proxy, one
            with no finite score unranked, with its ``non_finite`` of ``archs`` count.
        similarity: tasks x (``val_accuracy`` + baselines): the new proxy's Spearman
            with each, on the compared archs.
        scores: one row per (task, arch): ``val_accuracy`` and every proxy compared.
        failures: archs on which a computed proxy failed (scored NaN).
        inputs: per task, where the proxies' minibatch came from (``gaussian noise ...``
            for the fallback).
    """

    proxy: str
    table: pd.DataFrame
    ranks: pd.DataFrame
    similarity: pd.DataFrame
    scores: pd.DataFrame
    failures: list[ProxyFailure] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def default_out_dir(proxy: str) -> Path:
    """``results/compare/<proxy>`` with the name made safe for a path (the committed
    ``tables/compare/`` is written only by asking for it)."""
    return Path("results") / "compare" / re.sub(r"[^\w.-]+", "_", proxy)


def _proxy_fingerprint(name: str) -> str:
    """A short hash of a proxy's definition (its source where Python has it), so that
    scores journaled for an earlier version of a user's proxy are never read back."""
    fn = get_proxy(name).fn
    try:
        text = inspect.getsource(fn)
    except (OSError, TypeError):
        text = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _portable_spec(spec: str) -> str:
    """``spec`` as a worker process resolves it to the same proxy: a file path made
    absolute (a worker may start elsewhere); a name registered by a user's module
    (not by naspred, whose proxies every worker has) turned into ``file.py:function``
    of the function's source; other names and ``module:function`` unchanged."""
    module_name, sep, attr = spec.rpartition(":")
    if sep:
        if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
            return f"{Path(module_name).expanduser().resolve()}:{attr}"
        return spec
    fn = get_proxy(resolve_proxy(spec)).fn
    if str(getattr(fn, "__module__", "")).split(".")[0] == "naspred":
        return spec
    try:
        source = inspect.getsourcefile(fn)
    except TypeError:  # a builtin or C function: nothing a worker could import
        source = None
    return f"{Path(source).resolve()}:{fn.__name__}" if source else spec


def _score_chunk_with(specs: tuple[str, ...], chunk: ScoreChunk) -> dict[str, Any]:
    """:func:`score_chunk` after resolving ``specs``: a worker process (local or Ray)
    starts with only the built-in proxies registered, so a user's proxy is imported
    and registered there too before its name is looked up."""
    for spec in specs:
        resolve_proxy(spec)
    return score_chunk(chunk)


def _score(
    task: Task,
    rows: np.ndarray,
    names: list[str],
    batches: Mapping[int, tuple[torch.Tensor, torch.Tensor]],
    settings: str,
    seed: int,
    device: str,
    journal: Journal,
    failures: list[ProxyFailure],
    progress: bool,
    retry_failed: bool,
    specs: tuple[str, ...],
    parallel: Mapping[str, Any],
) -> dict[str, np.ndarray]:
    """Every proxy of ``names`` on the archs at ``rows``, four archs a unit (population
    proxies such as voting score the whole set in one), each unit journaled at once;
    the units run as ``parallel`` says (``backend``, ``n_jobs``, ``address``,
    ``torch_threads`` of :func:`run_units`), each worker first resolving ``specs``."""
    keys = [task.keys[i] for i in rows]
    whole = any(get_proxy(n).population for n in names)
    step = len(keys) if whole else 4
    proxies = ",".join(f"{n}@{_proxy_fingerprint(n)}" for n in names)
    chunks = [tuple(keys[lo : lo + step]) for lo in range(0, len(keys), step)]
    # the first is the run's own batch, the others those proxies fix for themselves
    (x, y), *extra = ((bx.numpy(), by.numpy()) for bx, by in batches.values())
    own = tuple((len(bx), bx, by) for bx, by in extra)
    units = [
        Unit(
            f"compare|{task.name}|data={task.digest()}|{proxies}|{settings}|archs="
            + hashlib.sha256(",".join(chunk).encode()).hexdigest()[:16],
            _score_chunk_with,
            (
                specs,
                ScoreChunk(task.space, task.dataset, chunk, tuple(names), x, y, seed, device, own),
            ),
            {"task": task.name, "first": i * step},
        )
        for i, chunk in enumerate(chunks)
    ]
    _check_threads(journal, units, task, parallel)
    run = run_units(
        units,
        journal,
        retry_failed=retry_failed,
        progress=progress,
        desc=task.name,
        **parallel,  # type: ignore[arg-type]
    )
    if run.failed:
        raise NaspredError(
            f"compare on {task.name}: {run.failed} unit(s) failed ({run.failures[0]}); "
            "fix the cause and rerun (add --retry-failed to run them again)"
        )
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for unit in units:
        row = journal.get(unit.key)
        assert row is not None and row["status"] == "ok", unit.key
        lo = int(row["first"])
        for name in names:
            parts[name].append(np.array(row["scores"][name], dtype=float))  # null -> NaN
        failures += [
            ProxyFailure(f["proxy"], f["arch"], lo + row["keys"].index(f["arch"]), f["error"])
            for f in row["failures"]
        ]
    return {name: np.concatenate(parts[name]) for name in names}


def _check_threads(
    journal: Journal, units: Sequence[Unit], task: Task, parallel: Mapping[str, Any]
) -> None:
    """Refuse to resume from units scored with another torch thread count than this run
    would use (scores differ in the last digits with it); rows journaled before the
    count was recorded, or a run leaving the count to the workers, resume as they are."""
    now = scoring_threads(str(parallel.get("backend", "local")), parallel.get("torch_threads"))
    if now is None:
        return
    for unit in units:
        row = journal.get(unit.key)
        before = None if row is None else row.get("torch_threads")
        if before is not None and int(before) != now:
            raise NaspredError(
                f"{journal.path}: {task.name} scores were computed with {before} torch "
                f"threads, this run would use {now} (scores differ in the last digits with "
                f"the thread count); resume with --torch-threads {before} or write to "
                "another --out"
            )


def run_compare(
    proxy: str,
    tasks: Sequence[Task],
    out_dir: str | Path | None = None,
    *,
    n_archs: int | None = 100,
    batch_size: int = 32,
    seed: int = 0,
    n_boot: int = 1000,
    live_baselines: Sequence[str] = (),
    data: str | Path | None = None,
    download: bool = False,
    device: str = "cpu",
    progress: bool = True,
    store: str | Path | None = None,
    retry_failed: bool = False,
    backend: Backend = "local",
    n_jobs: int | None = None,
    address: str | None = None,
    torch_threads: int | None = 1,
) -> CompareResult:
    """Compute ``proxy`` on every task's seeded arch subset and rank it against the
    task's stored baselines (and ``live_baselines``, computed here); write the tables
    and figures to ``out_dir`` (default :func:`default_out_dir`). See the module
    docstring for the method.

    Args:
        proxy: a registered proxy name, ``module:function`` or ``file.py:function``.
        tasks: the tasks to compare on.
        out_dir: where the tables and figures go.
        n_archs: archs per task (a seeded subset of those with every stored score).
        batch_size: minibatch size of the data-dependent proxies.
        seed: arch subset, minibatch, weight initialisation and bootstrap.
        n_boot: bootstrap resamples for the confidence intervals.
        live_baselines: registered proxies to compute here beside the new one.
        data: images (``.npz`` sample or CIFAR directory); None: see :func:`task_batch`.
        download: fetch CIFAR into ``data`` if missing.
        device: ``"cpu"`` or ``"cuda"``.
        progress: show progress bars.
        store: the scores journal; a killed compare resumes from it and never scores
            a finished unit twice (default ``<out_dir>/scores.journal.jsonl``). Units are
            keyed by the task's data, the proxies' source, seed, batch and data source.
        retry_failed: run units recorded as failed again.
        backend: ``"local"`` (worker processes), ``"serial"`` or ``"ray"``
            (:func:`naspred.parallel.parallel_map`); the scores are the same on each.
            A user's proxy must be importable where the workers run (on a Ray
            cluster: by every node).
        n_jobs: workers (None: every CPU this process may use, or the cluster's).
        address: Ray cluster address (ray backend).
        torch_threads: torch threads per worker (local, ray).
    """
    if not tasks:
        raise InvalidInputError("no tasks to compare on; see `naspred tasks` for what is available")
    name = resolve_proxy(proxy)
    live = [resolve_proxy(b) for b in live_baselines]
    specs = tuple(_portable_spec(s) for s in (proxy, *live_baselines))
    parallel = {
        "backend": backend,
        "n_jobs": n_jobs,
        "address": address,
        "torch_threads": torch_threads,
    }
    out = Path(out_dir) if out_dir is not None else default_out_dir(name)
    journal = Journal(Path(store) if store is not None else out / "scores.journal.jsonl")
    tables, similarity, score_frames = [], {}, []
    failures: list[ProxyFailure] = []
    inputs: dict[str, str] = {}
    for task in tasks:
        space = get_space(task.space)
        rows = arch_subset(task, n_archs, seed)
        names = list(dict.fromkeys([name, *live]))
        sizes = [batch_size, *own_batch_sizes(names, batch_size)]
        batches, inputs[task.name] = task_batches(task, space, sizes, seed, data, download)
        source = "default" if data is None else Path(data).name
        settings = f"seed={seed}|batch={batch_size}|images={source}|device={device}"
        before = len(failures)  # this task's failures are the ones _score appends
        computed = _score(
            task,
            rows,
            names,
            batches,
            settings,
            seed,
            device,
            journal,
            failures,
            progress,
            retry_failed,
            specs,
            parallel,
        )
        columns: dict[str, np.ndarray] = {name: computed[name]}
        kinds = {name: "new"}
        for base in task.proxy_names:
            label = base + STORED if base == name else base
            columns[label] = task.proxies[base][rows]
            kinds[label] = "stored"
        for base in live:
            if base != name:
                columns[base + LIVE] = computed[base]
                kinds[base + LIVE] = "live"
        truth = task.val_accuracy[rows]
        table = correlation_table(truth, columns, name, n_boot=n_boot, seed=seed)
        table.insert(0, "task", task.name)
        table.insert(2, "kind", table["proxy"].map(kinds))
        # failures apart from stored NaN/inf: the source's recorded ones (Suite-Zero's
        # -1e8) for stored baselines, this run's for the computed proxies
        failed = {label: 0 for label in columns}
        for base in task.proxy_names:
            failed[base + STORED if base == name else base] = int(task.failed(base)[rows].sum())
        for f in failures[before:]:
            label = f.proxy if f.proxy == name else f.proxy + LIVE
            if label in failed:
                failed[label] += 1
        table["n_failed"] = table["proxy"].map(failed).astype(int)
        table["n_nonfinite"] -= table["n_failed"]
        table["rank"] = table["spearman"].rank(ascending=False, method="average")
        tables.append(table)
        similarity[task.name] = {TARGET: spearman(truth, columns[name])} | {
            label: spearman(columns[label], columns[name]) for label in columns if label != name
        }
        frame = pd.DataFrame({"task": task.name, "arch": [task.keys[i] for i in rows]})
        frame[TARGET] = truth
        for label, values in columns.items():
            frame[label] = values
        score_frames.append(frame)
    table = pd.concat(tables, ignore_index=True)
    result = CompareResult(
        proxy=name,
        table=table,
        ranks=ranking(table),
        similarity=pd.DataFrame.from_dict(similarity, orient="index"),
        scores=pd.concat(score_frames, ignore_index=True),
        failures=failures,
        inputs=inputs,
    )
    _write(result, out, n_boot=n_boot, seed=seed, batch_size=batch_size)
    _check_scored(result)
    return result


def ranking(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`mean_ranks` of the comparison, with every proxy listed: one with no
    finite score on any task (a proxy that failed on every arch) stays in, unranked
    (``mean_rank`` NaN, ``tasks`` 0), and each row says on how many of the compared
    archs the proxy had no finite score, failed or NaN/inf (``non_finite`` of ``archs``)."""
    ranks = mean_ranks(table)
    failed = table["n_failed"] if "n_failed" in table else 0
    counts = (
        table.assign(unscored=table["n_nonfinite"] + failed)
        .groupby("proxy", sort=False)
        .agg(archs=("n", "sum"), non_finite=("unscored", "sum"))
    )
    counts["archs"] += counts["non_finite"]
    missing = [p for p in counts.index if p not in set(ranks["proxy"])]
    if missing:
        unranked = pd.DataFrame({"proxy": missing, "mean_rank": math.nan, "tasks": 0})
        ranks = pd.concat([ranks, unranked], ignore_index=True)
    return ranks.join(counts, on="proxy")


def _check_scored(result: CompareResult) -> None:
    """A baseline with no finite score on any compared arch is logged as a warning (it
    is listed unranked); the new proxy failing on every arch of every task is an error,
    raised once the outputs (``failures.csv`` with its errors) are written."""
    for row in result.ranks[result.ranks["tasks"] == 0].itertuples():
        if row.proxy == result.proxy:
            first = next((f.error for f in result.failures if f.proxy == result.proxy), "")
            where = result.files[0].parent if result.files else "the output directory"
            raise NaspredError(
                f"proxy {result.proxy} has no finite score on any of the {row.archs} archs "
                f"compared (it failed on {len(result.failures)} computations"
                + (f", first: {first}" if first else "")
                + f"); nothing to rank it by -- the errors are in {where}/failures.csv"
            )
        log.warning(
            "baseline %s has no finite score on any of the %d archs compared "
            "(failed or NaN on every one); it is listed unranked",
            row.proxy,
            row.archs,
        )


__all__ = [
    "CompareResult",
    "ProxySpecError",
    "arch_subset",
    "bootstrap_indices",
    "bootstrap_kendall",
    "bootstrap_spearman",
    "correlation_table",
    "default_out_dir",
    "percentile_ci",
    "resolve_proxy",
    "run_compare",
    "task_batch",
    "task_batches",
]
