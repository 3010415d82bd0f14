"""The encoder contract and the encoding registry.

An encoder turns the labelled-DAG view of architectures (see
:class:`naspred.spaces.base.LabelledDAG`) into a fixed-width feature matrix. It
reads nothing else, so every encoding works for every search space. Like a
scikit-learn transformer it has ``fit`` (learn the vocabulary and sizes from a
list of DAGs) and ``transform`` (encode with what was learned), so a predictor
encodes its query archs exactly as it encoded its training archs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import numpy as np

from naspred.errors import InvalidInputError, NotFittedError, UnknownNameError, WrongTypeError
from naspred.spaces.base import Arch, LabelledDAG

#: Node labels that mark the ends of every DAG; they are not "operations".
TERMINALS: tuple[str, ...] = ("input", "output")

_ENCODERS: dict[str, type[Encoder]] = {}


def as_dag(arch: Arch | LabelledDAG) -> LabelledDAG:
    """The labelled-DAG view of ``arch`` (a DAG is returned as is)."""
    if isinstance(arch, LabelledDAG):
        return arch
    if isinstance(arch, Arch):
        return arch.to_dag()
    raise WrongTypeError(
        f"expected a naspred Arch or LabelledDAG, got {type(arch).__name__}; "
        "parse benchmark keys with space.from_key(key) first"
    )


def as_dags(archs: Iterable[Arch | LabelledDAG]) -> list[LabelledDAG]:
    """The labelled-DAG views of ``archs``."""
    return [as_dag(a) for a in archs]


def vocabulary(
    dags: Sequence[LabelledDAG], op_names: Sequence[str] | None = None
) -> tuple[str, ...]:
    """The node-label vocabulary: ``op_names`` if given, else the spaces' own
    vocabularies (``dag.op_names``, in order) followed by any other label seen,
    sorted. Using the space's vocabulary keeps widths equal across samples."""
    if op_names:
        vocab = list(dict.fromkeys(op_names))
    else:
        vocab = []
        for dag in dags:
            for name in dag.op_names:
                if name not in vocab:
                    vocab.append(name)
    seen = {op for dag in dags for op in dag.ops}
    vocab.extend(sorted(seen - set(vocab)))
    return tuple(vocab)


def interior(vocab: Sequence[str]) -> tuple[str, ...]:
    """The vocabulary without the ``input``/``output`` terminals."""
    return tuple(op for op in vocab if op not in TERMINALS)


def op_index(vocab: Sequence[str]) -> Callable[[str], int]:
    """A lookup from label to position that names an unknown label in its error."""
    lookup = {op: i for i, op in enumerate(vocab)}

    def index(op: str) -> int:
        try:
            return lookup[op]
        except KeyError:
            raise InvalidInputError(
                f"node label {op!r} is not in the encoder's vocabulary {tuple(vocab)}; "
                "fit the encoder on DAGs of the same space or pass op_names="
            ) from None

    return index


class Encoder:
    """Base class: ``fit(dags)`` learns sizes, ``transform(dags)`` encodes.

    Constructor arguments are the encoding's options, stored as given; what
    ``fit`` learns ends in ``_`` (``vocab_``, ``feature_names_``...).
    """

    name: ClassVar[str] = ""

    def fit(self, archs: Iterable[Arch | LabelledDAG]) -> Encoder:
        """Learn vocabulary and sizes from ``archs``; returns ``self``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement fit()")

    def transform(self, archs: Iterable[Arch | LabelledDAG]) -> np.ndarray:
        """Encode ``archs``: an ``(n, n_features)`` float array."""
        raise NotImplementedError(f"{type(self).__name__} does not implement transform()")

    def fit_transform(self, archs: Iterable[Arch | LabelledDAG]) -> np.ndarray:
        """Fit on ``archs`` and encode them, as ``fit(archs).transform(archs)`` does; each
        arch's DAG view is built once."""
        dags = as_dags(archs)
        return self.fit(dags).transform(dags)

    @property
    def n_features(self) -> int:
        """Width of the encoding, ``len(feature_names_)``; raises NotFittedError before ``fit``."""
        return len(self._fitted("feature_names_"))

    def _fitted(self, attr: str) -> Any:
        if not hasattr(self, attr):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(dags) first")
        return getattr(self, attr)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({args})"


def register_encoding(name: str) -> Callable[[type[Encoder]], type[Encoder]]:
    """Class decorator: make an :class:`Encoder` available as ``make_encoder(name)``."""

    def decorate(cls: type[Encoder]) -> type[Encoder]:
        if name in _ENCODERS and _ENCODERS[name] is not cls:
            raise InvalidInputError(f"encoding {name!r} is already registered")
        cls.name = name
        _ENCODERS[name] = cls
        return cls

    return decorate


def encoding_names() -> list[str]:
    """Names accepted by :func:`make_encoder` and :func:`encode`."""
    return sorted(_ENCODERS)


def make_encoder(name: str, **options: Any) -> Encoder:
    """A fresh (unfitted) encoder by name, e.g. ``make_encoder("path", max_paths=30)``."""
    if name not in _ENCODERS:
        raise UnknownNameError(f"unknown encoding {name!r}; known: {', '.join(encoding_names())}")
    return _ENCODERS[name](**options)


def encode(archs: Iterable[Arch | LabelledDAG], name: str, **options: Any) -> np.ndarray:
    """Encode ``archs`` (Arch objects or LabelledDAGs) with one fixed width.

    The encoder is fitted on ``archs`` themselves; to encode new archs the same
    way later, keep the encoder: ``enc = make_encoder(name).fit(train)``.
    """
    return make_encoder(name, **options).fit_transform(archs)
