"""A SemiNAS-style semi-supervised predictor: self-training on unlabelled archs.

Luo, Tan, Wang, Qin, Chen & Liu, "Semi-Supervised Neural Architecture Search",
NeurIPS 2020. SemiNAS trains an accuracy predictor on the ``N`` labelled
architectures, uses it to predict the accuracy of ``M`` unlabelled ones (cheap:
only sampled, never trained), and trains the predictor again on labelled plus
pseudo-labelled archs.

What we keep and what we change: the self-training scheme (train, pseudo-label
a pool of unlabelled archs, retrain on the union) is SemiNAS's. Its predictor
is NAO's LSTM encoder with a sequence decoder, whose reconstruction loss also
regularises the encoder and serves arch generation; here the predictor is the
bidirectional GCN of :mod:`naspred.predictors.gcn` (Wen et al., ECCV 2020) and
there is no decoder, so the only use of the unlabelled archs is their pseudo
labels. The pool is sampled uniformly from the labelled archs' search space
(or passed as ``unlabelled``); pool archs identical to a labelled one are
dropped so a pseudo label never contradicts a true one.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from naspred.errors import InvalidInputError
from naspred.predictors._params import LogIntRange, hyper_param
from naspred.predictors.base import ArchLike, Info, check_targets, read_archs
from naspred.predictors.gcn import GCNPredictor
from naspred.predictors.registry import register_predictor
from naspred.spaces.base import Arch, LabelledDAG


def _signature(dag: LabelledDAG) -> tuple[tuple[str, ...], bytes]:
    """Exact identity of a labelled DAG (ops and adjacency), for de-duplication."""
    return dag.ops, np.asarray(dag.adjacency, dtype=np.int8).tobytes()


@register_predictor("seminas")
class SemiNASPredictor(GCNPredictor):
    """SemiNAS-style self-training (Luo et al., "Semi-Supervised Neural Architecture
    Search", NeurIPS 2020) around the GCN neural predictor, whose hyper-parameters
    it shares.

    ``fit`` trains the GCN on the labelled archs, pseudo-labels the unlabelled
    archs, and retrains a fresh (or, with ``warm_start``, the same) GCN on both.

    Tuning draws ``hidden`` from 16 to 128 and ``batch_size`` from 32 to 256
    (log-uniform), NASLib's ranges for SemiNAS (``naslib/predictors/seminas.py``,
    ``set_random_hyperparams``, commit 0b51bc18), and the rates as the GCN does.

    Args:
        n_unlabelled: archs sampled (with ``seed``) from the labelled archs' search
            space as the unlabelled pool, when ``unlabelled`` is None.
        unlabelled: the unlabelled archs to use instead of sampling.
        rounds: pseudo-labelling rounds, each with the latest network (0: none).
        retrain_epochs: epochs of each retraining; None scales ``epochs`` by
            ``N / (repeat * N + M)`` so that it takes about as many optimiser steps
            (and as much time) as the first training.
        labelled_repeat: times each labelled arch appears in a retraining set (so
            that true labels are not drowned by pseudo labels); None: ``M / N``
            rounded, at least 1.
        warm_start: retrain the latest network instead of a fresh one.
    """

    description: ClassVar[str] = (
        "SemiNAS-style self-training: GCN pseudo-labels sampled archs, then retrains"
    )
    paper: ClassVar[str] = "Luo et al., Semi-Supervised NAS, NeurIPS 2020"

    hidden: int = hyper_param(144, search=LogIntRange(16, 129))
    batch_size: int = hyper_param(32, search=LogIntRange(32, 257))
    n_unlabelled: int = 1000
    unlabelled: Sequence[ArchLike] | None = None
    rounds: int = 1
    retrain_epochs: int | None = None
    labelled_repeat: int | None = None
    warm_start: bool = True

    def _pool(self, archs: Sequence[ArchLike]) -> list[ArchLike]:
        """The unlabelled archs, without any identical to a labelled one."""
        from naspred.encodings import as_dag

        spaces = {a.space for a in archs if isinstance(a, Arch)}
        if self.unlabelled is not None:
            # given as a hyper-parameter, so not read at the fit boundary: read here
            one = next(iter(spaces)) if len(spaces) == 1 else None
            pool = list(read_archs(self.unlabelled, one))
        else:
            if len(spaces) != 1 or not all(isinstance(a, Arch) for a in archs):
                raise InvalidInputError(
                    "seminas samples its unlabelled archs from the labelled archs' search "
                    "space, so it needs Arch objects of one space (got "
                    f"{sorted(spaces) or 'LabelledDAGs'}); pass unlabelled=[...] instead"
                )
            from naspred.spaces import get_space

            space = get_space(spaces.pop())
            rng = np.random.default_rng(self.seed)
            pool = [space.sample(rng) for _ in range(int(self.n_unlabelled))]
        seen = {_signature(as_dag(a)) for a in archs}
        kept = []
        for a in pool:
            sig = _signature(as_dag(a))
            if sig not in seen:
                seen.add(sig)
                kept.append(a)
        return kept

    def fit(
        self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None = None
    ) -> SemiNASPredictor:
        """Train the encoder-predictor on ``archs``, then on pseudo-labelled random archs."""
        y = check_targets(y, len(archs))
        if int(self.rounds) < 0:
            raise InvalidInputError(f"rounds must be >= 0, got {self.rounds}")
        pool = self._pool(archs)
        graphs = self._graphs(archs, fit=True, vocab_archs=pool)
        pool_graphs = self._graphs(pool, fit=False)
        z = self._standardise(y)
        model = self._train(graphs, z, self.seed)
        n, m = len(graphs), len(pool_graphs)
        repeat = self.labelled_repeat
        if repeat is None:
            repeat = max(1, round(m / n))
        repeat = int(repeat)
        epochs = self.retrain_epochs
        if epochs is None:
            epochs = max(1, math.ceil(int(self.epochs) * n / (repeat * n + m)))
        pseudo: Any = None
        if m:
            for r in range(int(self.rounds)):
                pseudo = self._predict(model, pool_graphs)
                start = copy.deepcopy(model) if self.warm_start else None
                model = self._train(
                    graphs * repeat + pool_graphs,
                    np.concatenate([np.tile(z, repeat), pseudo]),
                    self.seed + 1 + r,
                    epochs,
                    start=start,
                )
        self.model_ = model
        self.n_unlabelled_ = m
        # the pseudo labels the final network was trained on, in target units
        self.pseudo_labels_ = (
            None if pseudo is None else np.asarray(pseudo) * self.y_scale_ + self.y_mean_
        )
        return self
