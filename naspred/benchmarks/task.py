"""The ``Task``: one (search space, dataset) pair with its ground truth."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from naspred.errors import ArchKeyError, InvalidInputError, UnknownNameError, WrongTypeError

#: Column name of the main ground truth in every table naspred writes.
TARGET = "val_accuracy"
#: Where :meth:`Task.retarget` keeps the accuracy the task had before.
BASE_TARGET = "base_val_accuracy"
#: Target names ending in one of these are costs (lower is better).
COST_SUFFIXES = ("latency", "energy", "time")

log = logging.getLogger(__name__)


def is_cost(name: str) -> bool:
    """Whether the target ``name`` is a cost, lower meaning better (latency, energy,
    time: ``edgegpu_latency``, ``fpga_energy``, ``train_time``).

    Args:
        name: a target name.
    """
    return name.endswith(COST_SUFFIXES)


@dataclass(frozen=True, eq=False)
class Task:
    """Ground truth for one search space on one dataset.

    Every array is aligned with ``keys`` (the benchmark's arch keys, as strings).

    Attributes:
        space: search-space name as in :func:`naspred.spaces.get_space` (``"nasbench201"``).
        dataset: dataset name as the source spells it (``"cifar10"``).
        keys: arch keys, unique.
        val_accuracy: final validation accuracy in percent (0-100); the main target.
        targets: other ground truths in the source (``test_accuracy``, ``analog_accuracy``...),
            measured quantities a NAS user may optimise instead of ``val_accuracy``.
        proxies: scores that predict accuracy without training (stored zero-cost proxy
            scores, ``params``, ``flops``, ``latency``), NaN where an arch lacks one.
            Higher means predicted better, except cost measures (params/flops/latency),
            which are reported raw as the benchmarks store them.
        proxy_times: seconds the source spent per arch on each proxy, NaN if unknown.
        proxy_missing: for proxies the source stores for only some archs, True where an
            arch has no score (its value in ``proxies`` is NaN). A stored NaN/inf score
            is not "missing": studies count the two apart.
        curves: per-epoch learning curves, name -> ``(n_archs, n_epochs)`` arrays, e.g.
            ``train_loss``, ``train_accuracy``, ``val_loss``, ``val_accuracy`` (percent) and
            ``epoch_time`` (seconds of training in that epoch); NaN after an arch's last
            recorded epoch.
        source: where the task came from (file path or package), for messages.
        variant: tells apart tasks of the same space and dataset from different
            sources, e.g. ``"lc"`` for a naspred learning-curve benchmark trained on a
            CIFAR-10 sample, whose accuracies are not NAS-Bench-201's; it becomes part
            of :attr:`name` (``nasbench201/cifar10-lc``). Empty for the benchmarks'
            own data.
        proxy_failed: for proxies whose source recorded failures, True where the proxy
            failed on an arch (its value in ``proxies`` is NaN): the source's own failure
            marker, such as Suite-Zero's ``-1e8``, normalised by the loader. Studies
            leave failures out and count them apart from stored NaN/inf scores, or rank
            them last (:meth:`failures_as_worst`).
        main_target: empty, or the target that ``val_accuracy`` holds instead of the
            accuracy (set by :meth:`retarget`); it becomes part of :attr:`name`
            (``nasbench201/cifar10@edgegpu_latency``).
    """

    space: str
    dataset: str
    keys: tuple[str, ...]
    val_accuracy: np.ndarray
    targets: Mapping[str, np.ndarray] = field(default_factory=dict)
    proxies: Mapping[str, np.ndarray] = field(default_factory=dict)
    proxy_times: Mapping[str, np.ndarray] = field(default_factory=dict)
    proxy_missing: Mapping[str, np.ndarray] = field(default_factory=dict)
    curves: Mapping[str, np.ndarray] = field(default_factory=dict)
    source: str = ""
    variant: str = ""
    proxy_failed: Mapping[str, np.ndarray] = field(default_factory=dict)
    main_target: str = ""

    def __post_init__(self) -> None:
        n = len(self.keys)
        if len(set(self.keys)) != n:
            raise InvalidInputError(f"task {self.name}: arch keys are not unique")
        for kind, arrays in (
            ("val_accuracy", {TARGET: self.val_accuracy}),
            ("target", self.targets),
            ("proxy", self.proxies),
            ("proxy time", self.proxy_times),
            ("missing-proxy mask", self.proxy_missing),
            ("failed-proxy mask", self.proxy_failed),
        ):
            for name, values in arrays.items():
                if np.shape(values) != (n,):
                    raise InvalidInputError(
                        f"task {self.name}: {kind} {name!r} has shape {np.shape(values)}, "
                        f"expected ({n},) to match the arch keys"
                    )

        for name, values in self.curves.items():
            if np.ndim(values) != 2 or np.shape(values)[0] != n:
                raise InvalidInputError(
                    f"task {self.name}: curve {name!r} has shape {np.shape(values)}, "
                    f"expected ({n}, n_epochs)"
                )

    @property
    def n_epochs(self) -> int:
        """Length of the stored learning curves (0 without curves)."""
        return max((np.shape(v)[1] for v in self.curves.values()), default=0)

    @property
    def name(self) -> str:
        """``space/dataset`` (``space/dataset-variant`` for a variant), the id used on
        the command line and in tables."""
        name = f"{self.space}/{self.dataset}"
        name = f"{name}-{self.variant}" if self.variant else name
        return f"{name}@{self.main_target}" if self.main_target else name

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        return (
            f"Task({self.name!r}, {len(self)} archs, proxies={sorted(self.proxies)}, "
            f"targets={sorted(self.targets)})"
        )

    def digest(self, proxies: Iterable[str] | None = None, curves: bool = True) -> str:
        """A short hash of what a study reads from this task. Results stores key their
        units by it, so a task whose data changed (a learning-curve benchmark that
        ``naspred make-benchmark`` grew) is evaluated afresh, not read back stale.

        Args:
            proxies: None: everything (name, arch keys in order, every target, proxy,
                proxy time, mask and curve). Given: only what a predictor with these
                needs reads -- name, keys, ``val_accuracy``, these proxies' scores and
                masks, and the curves if ``curves`` -- so a change to another proxy
                (a loader that learns to read a failure marker, say) leaves its units
                valid.
            curves: with ``proxies`` given, whether the learning curves are read.

        Returns:
            12 hex digits.
        """
        key = None if proxies is None else (tuple(sorted(set(proxies))), curves)
        cache = self.__dict__.setdefault("_digests", {})
        if key in cache:
            return cache[key]
        h = hashlib.sha256(self.name.encode())
        h.update("\n".join(self.keys).encode())
        if key is None:
            groups = {
                "target": {TARGET: self.val_accuracy, **self.targets},
                "proxy": self.proxies,
                "proxy_time": self.proxy_times,
                "proxy_missing": self.proxy_missing,
                "curve": self.curves,
                # empty for a source without failure markers: such tasks keep their digest
                "proxy_failed": self.proxy_failed,
            }
        else:
            names = key[0]
            unknown = [n for n in names if n not in self.proxies]
            if unknown:
                raise UnknownNameError(
                    f"task {self.name} has no proxy {unknown[0]!r}; it has {self.proxy_names}"
                )
            h.update(b"|reads|")  # never equal to a whole-task digest
            groups = {
                "target": {TARGET: self.val_accuracy},
                "proxy": {n: self.proxies[n] for n in names},
                "proxy_missing": {n: self.has_proxy(n) for n in names},
                "proxy_failed": {n: self.failed(n) for n in names},
                "curve": self.curves if curves else {},
            }
        for group, arrays in groups.items():
            for name in sorted(arrays):
                h.update(f"|{group}:{name}|".encode())
                h.update(np.ascontiguousarray(arrays[name], dtype=float).tobytes())
        cache[key] = h.hexdigest()[:12]
        return cache[key]

    @property
    def proxy_names(self) -> list[str]:
        """Names of the proxies this task has scores for, sorted."""
        return sorted(self.proxies)

    def has_proxy(self, name: str) -> np.ndarray:
        """Boolean mask of the archs for which ``name`` has a score (finite or not)."""
        if name not in self.proxies:
            raise UnknownNameError(
                f"task {self.name} has no proxy {name!r}; it has {self.proxy_names}"
            )
        missing = self.proxy_missing.get(name)
        return np.ones(len(self), dtype=bool) if missing is None else ~missing

    def index(self, archs: Iterable[Any]) -> np.ndarray:
        """Positions of ``archs`` in this task, in their order.

        Args:
            archs: the task's keys, or archs in any form the task's space reads
                (:meth:`naspred.spaces.base.Arch.from_key`: ``Arch`` objects, Suite-Zero
                keys, NB201/NATS strings, NB101 ``(matrix, ops)`` specs, DARTS
                genotypes, ...); each is turned into the benchmark key it is stored by.

        Raises:
            UnknownNameError: an arch the task holds no record of (a ``KeyError``; the
                first is named, with the reason when it is no arch of the space at all,
                e.g. an ``Arch`` of another space or a string of no accepted form).
        """
        lookup = self._positions
        rows: list[int] = []
        missing: list[tuple[Any, str]] = []
        for arch in archs:
            # the task's own keys take the fast path; anything else is read by the space
            row = lookup.get(arch) if isinstance(arch, str) else None
            if row is None:
                key, why = self._key_of(arch)
                row = lookup.get(key) if key is not None else None
                if row is None:
                    missing.append((arch, why))
                    continue
            rows.append(row)
        if missing:
            arch, why = missing[0]
            shown = repr(arch) if len(repr(arch)) <= 120 else repr(arch)[:117] + "..."
            raise UnknownNameError(
                f"{len(missing)} arch key(s) not in task {self.name}, e.g. {shown}"
                + (f" ({why})" if why else "")
                + f"; keys look like {self.keys[0]!r}"
            )
        return np.array(rows, dtype=np.int64)

    def _key_of(self, arch: Any) -> tuple[str | None, str]:
        """The benchmark key ``arch`` is stored by, or None and why it has none."""
        # imported here: the spaces pull in torch, which reading a task does not need
        from naspred.spaces import arch_type, space_names

        if self.space not in space_names():
            # a space naspred has no arch type for: keys are all it can read
            if isinstance(arch, str):
                return arch, ""
            if hasattr(arch, "to_key"):  # an arch object
                return arch.to_key(), ""
            return None, f"naspred has no arch type for space {self.space!r}; give its keys"
        try:
            return arch_type(self.space).from_key(arch).to_key(), ""
        except (ArchKeyError, WrongTypeError) as err:
            return None, str(err)

    def lookup(self, archs: Iterable[Any], target: str = TARGET) -> np.ndarray:
        """The ground truth of ``archs``, in their order: what a NAS loop's training
        oracle answers.

        Args:
            archs: archs of the task's space in any form :meth:`index` reads
                (``Arch`` objects, benchmark keys, NB201/NATS strings, ...).
            target: ``val_accuracy`` or any of :attr:`targets` (e.g. ``train_time``).

        Returns:
            One value per arch, ``(n,)``.

        Raises:
            UnknownNameError: an arch the task holds no record of (the first is named),
                or a target it does not have.
        """
        if target == TARGET:
            values = self.val_accuracy
        elif target in self.targets:
            values = self.targets[target]
        else:
            raise UnknownNameError(
                f"task {self.name} has no target {target!r}; it has {[TARGET, *self.targets]}"
            )
        return np.asarray(values, dtype=float)[self.index(archs)]

    @property
    def _positions(self) -> dict[str, int]:
        # cached on first use; the dataclass is frozen, so bypass __setattr__
        cache = self.__dict__.get("_pos_cache")
        if cache is None:
            cache = {k: i for i, k in enumerate(self.keys)}
            object.__setattr__(self, "_pos_cache", cache)
        return cache

    def subset(self, rows: Sequence[int] | np.ndarray) -> Task:
        """A task restricted to ``rows`` (positions or a boolean mask)."""
        idx = np.arange(len(self))[np.asarray(rows)]
        return replace(
            self,
            keys=tuple(self.keys[i] for i in idx),
            val_accuracy=self.val_accuracy[idx],
            targets={k: v[idx] for k, v in self.targets.items()},
            proxies={k: v[idx] for k, v in self.proxies.items()},
            proxy_times={k: v[idx] for k, v in self.proxy_times.items()},
            proxy_missing={k: v[idx] for k, v in self.proxy_missing.items()},
            curves={k: v[idx] for k, v in self.curves.items()},
            proxy_failed={k: v[idx] for k, v in self.proxy_failed.items()},
        )

    def failed(self, name: str) -> np.ndarray:
        """Boolean mask of the archs on which proxy ``name`` failed (see :attr:`proxy_failed`)."""
        self.has_proxy(name)  # an unknown proxy is an error, not "never failed"
        mask = self.proxy_failed.get(name)
        return np.zeros(len(self), dtype=bool) if mask is None else mask

    def failures_as_worst(self) -> Task:
        """A copy in which every failure scores below every finite score of its proxy.

        This is the convention of the NAS-Bench-Suite-Zero notebooks, which rank the
        runner's ``-1e8`` failure marker as a score: failures are tied last. Ranks, and
        so Spearman and Kendall, equal those of the raw marker; the failure masks are
        kept, so tables still count the failures.
        """
        proxies = dict(self.proxies)
        for name, mask in self.proxy_failed.items():
            if mask.any():
                values = proxies[name]
                finite = values[np.isfinite(values)]
                worst = (finite.min() - 1.0) if finite.size else 0.0
                proxies[name] = np.where(mask, worst, values)
        return replace(self, proxies=proxies)

    def retarget(self, name: str, *, lower_is_better: bool | None = None) -> Task:
        """The task with the target ``name`` as its main target, the one every study
        ranks against.

        ``val_accuracy`` of the result holds the target's values; the name marks the
        target (``nasbench201/cifar10@edgegpu_latency``), so results stores and tables
        never mix it with accuracy, and :meth:`digest` changes with it. Archs with no
        finite value for the target are left out, and how many is logged. The former
        accuracy stays available as the target ``base_val_accuracy``, and the target's
        raw values under their own name.

        Sign convention: the studies rank archs by "higher is better". A cost (latency,
        energy, time; see :func:`is_cost`) is therefore negated: ``val_accuracy`` holds
        ``-edgegpu_latency``. A proxy or predictor that ranks faster archs higher gets
        a *positive* correlation, as one that ranks more accurate archs higher does for
        accuracy: "predicts better" still means "correlates higher". A score that grows
        with the cost (``flops``, ``params``) comes out negative. Errors such as MAE are
        in the cost's own units.

        Args:
            name: a name in :attr:`targets` (``edgegpu_latency``, ``pgd@Linf_eps-1.0``);
                ``val_accuracy`` returns the task itself.
            lower_is_better: whether lower values of the target are better (negate
                them); None: :func:`is_cost` decides from the name.

        Returns:
            A new task.

        Raises:
            UnknownNameError: the task has no target ``name``.
            InvalidInputError: the task is already retargeted, or no arch has a value.
        """
        if name == TARGET:
            return self
        if self.main_target:
            raise InvalidInputError(
                f"task {self.name} already ranks by {self.main_target!r}; retarget the "
                "task loaded from its source instead"
            )
        if name not in self.targets:
            raise UnknownNameError(
                f"task {self.name} has no target {name!r}; it has {[TARGET, *self.targets]}"
            )
        values = np.asarray(self.targets[name], dtype=float)
        keep = np.isfinite(values)
        if not keep.any():
            raise InvalidInputError(f"task {self.name}: no arch has a value for {name!r}")
        if not keep.all():
            log.warning(
                "%s@%s: %d of %d archs have no value for %s and are left out",
                self.name,
                name,
                int((~keep).sum()),
                len(self),
                name,
            )
        negate = is_cost(name) if lower_is_better is None else lower_is_better
        task = replace(
            self,
            val_accuracy=-values if negate else values,
            targets={**self.targets, BASE_TARGET: self.val_accuracy},
            main_target=name,
        )
        return task if keep.all() else task.subset(keep)

    def with_proxies(
        self, scores: Mapping[str, np.ndarray], times: Mapping[str, np.ndarray] | None = None
    ) -> Task:
        """A copy with extra (or replaced) proxy scores aligned with ``keys``."""
        return replace(
            self,
            proxies={**self.proxies, **scores},
            proxy_times={**self.proxy_times, **(times or {})},
            proxy_missing={k: v for k, v in self.proxy_missing.items() if k not in scores},
            proxy_failed={k: v for k, v in self.proxy_failed.items() if k not in scores},
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per arch: ``val_accuracy``, the other targets, then the proxies."""
        data = {TARGET: self.val_accuracy, **self.targets, **self.proxies}
        return pd.DataFrame(data, index=pd.Index(self.keys, name="arch"))

    def summary(self) -> dict[str, object]:
        """Size and available metrics, as listed by ``naspred tasks``."""
        return summary_row(
            self.name,
            len(self),
            {name: int(self.has_proxy(name).sum()) for name in self.proxy_names},
            self.targets,
            self.curves,
            self.n_epochs,
            self.source,
        )


def summary_row(
    name: str,
    archs: int,
    proxies: Mapping[str, int],
    targets: Iterable[str],
    curves: Iterable[str] = (),
    n_epochs: int = 0,
    source: str = "",
) -> dict[str, object]:
    """One row of ``naspred tasks``: :meth:`Task.summary` of a task, or of one known
    from its source's metadata without being built.

    Args:
        name: the task's name.
        archs: how many archs it has.
        proxies: proxy name -> archs with a score (listed with the count where partial).
        targets: names of its other ground truths.
        curves: names of its learning curves.
        n_epochs: their length.
        source: where it comes from.
    """
    curve_names = sorted(curves)
    return {
        "task": name,
        "archs": archs,
        "proxies": ", ".join(f"{k} ({n})" if n < archs else k for k, n in sorted(proxies.items())),
        "targets": ", ".join(sorted(targets)),
        "curves": f"{', '.join(curve_names)} ({n_epochs} epochs)" if curve_names else "",
        "source": source,
    }
