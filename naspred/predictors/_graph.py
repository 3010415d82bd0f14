"""Graph-neural-network predictors on the cell DAG.

The module structure is the following:

* :func:`train_graph_network` (seeded Adam training of a network on
  torch-geometric graphs, with optional cosine learning-rate decay; torch's
  global random state and thread count are left as found) and
  :func:`predict_graphs` (eval-mode outputs or embeddings, batched without
  touching any global random state).
* :class:`GraphPredictor`, a :class:`~naspred.predictors.base.Predictor`,
  implements ``fit`` and ``query`` for every graph predictor: each arch's labelled
  DAG becomes a torch-geometric ``Data`` (one-hot ops over the vocabulary seen in
  ``fit``, the DAG's edges; :func:`naspred.encodings.to_pyg`), which
  :meth:`~GraphPredictor._transform_graph` may extend (:func:`add_reverse_edges`,
  BONAS's global node); targets are standardised and predictions returned in
  the original units. It declares the training hyper-parameters (``seed``,
  ``num_layers``, ``hidden``, ``epochs``, ``lr``, ``batch_size``,
  ``weight_decay``); a subclass builds its network in
  :meth:`~GraphPredictor._build`.
* Derived, each in its own module: ``gcn`` (Wen et al.'s neural predictor;
  ``seminas`` self-trains it), ``gin`` and ``bonas`` (a GCN embedding with the
  Bayesian linear regression head of :mod:`naspred.predictors._blr`).

Graphs are batched with torch-geometric's ``DataLoader`` (training) and
``Batch`` (prediction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from naspred.errors import InvalidInputError
from naspred.predictors._losses import get_loss
from naspred.predictors._nn import torch_threads
from naspred.predictors.base import ArchLike, DataNeeds, Info, Predictor, check_targets

#: loss of a network on a batch whose targets are ``batch.y``
LossFn = Callable[[nn.Module, Any], torch.Tensor]


def mse_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    """Mean squared error of ``model(batch)`` against ``batch.y``."""
    return nn.functional.mse_loss(model(batch), batch.y)


def train_graph_network(
    build: Callable[[], nn.Module],
    graphs: Sequence[Any],
    z: np.ndarray,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    weight_decay: float = 0.0,
    cosine: bool = True,
    loss_fn: LossFn = mse_loss,
    seed: int = 0,
    threads: int | None = 1,
) -> nn.Module:
    """Build a network with ``build()`` and train it on torch-geometric graphs;
    fully determined by ``seed``.

    Torch's global random state is forked and restored, as in
    :func:`naspred.predictors._nn.train_network`. The graphs are not modified.

    Args:
        build: makes the network (called once, with torch seeded by ``seed``).
        graphs: torch-geometric ``Data`` objects.
        z: one target per graph.
        epochs: passes over the graphs.
        lr: Adam's learning rate.
        batch_size: graphs per minibatch.
        weight_decay: Adam's L2 penalty.
        cosine: decay the learning rate to 0 over ``epochs`` by a cosine.
        loss_fn: the loss of the network on a batch whose targets are ``batch.y``.
        seed: seeds the initialisation and the minibatch order.
        threads: torch threads while training (None: leave torch's setting).

    Returns:
        The trained network, in eval mode.

    Raises:
        InvalidInputError: ``graphs`` and ``z`` differ in length.
    """
    from torch_geometric.loader import DataLoader

    if len(graphs) != len(z):
        raise InvalidInputError(f"{len(graphs)} graphs but {len(z)} targets")
    data = []
    for g, target in zip(graphs, z, strict=True):
        g = g.clone()
        g.y = torch.tensor([float(target)], dtype=torch.float32)
        data.append(g)
    with torch.random.fork_rng(devices=[]), torch_threads(threads):
        torch.manual_seed(seed)
        model = build()
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        sched = (
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(int(epochs), 1)) if cosine else None
        )
        order = torch.Generator().manual_seed(seed)
        loader = DataLoader(data, batch_size=int(batch_size), shuffle=True, generator=order)
        model.train()
        for _ in range(int(epochs)):
            for batch in loader:
                opt.zero_grad()
                loss_fn(model, batch).backward()
                opt.step()
            if sched is not None:
                sched.step()
    model.eval()
    return model


@torch.no_grad()
def predict_graphs(
    model: nn.Module,
    graphs: Sequence[Any],
    *,
    batch_size: int = 1024,
    threads: int | None = 1,
    method: str = "forward",
) -> np.ndarray:
    """``model``'s outputs for ``graphs``, in eval mode.

    Args:
        model: a trained graph network.
        graphs: torch-geometric ``Data`` objects.
        batch_size: graphs per forward pass (no effect on the values).
        threads: torch's intra-op threads for the duration; None: as they are.
        method: the network's method to call, ``"forward"`` (predictions) or
            ``"embed"`` (graph embeddings).

    Returns:
        Float64 rows (or values) in the graphs' order.
    """
    from torch_geometric.data import Batch

    model.eval()
    fn = getattr(model, method)
    graphs = list(graphs)
    # collated directly: a DataLoader would draw a seed from torch's global RNG
    chunks = [graphs[i : i + batch_size] for i in range(0, len(graphs), batch_size)]
    with torch_threads(threads):
        outs = [fn(Batch.from_data_list(chunk)).double() for chunk in chunks]
    return torch.cat(outs).numpy()


class GraphPredictor(Predictor):
    """Base class of the graph-neural-network predictors (see the module docstring).

    Args:
        seed: seed of the network's initialisation and of the minibatch order.
        num_layers: graph layers.
        hidden: units (node-state width) of each graph layer.
        epochs: training epochs.
        lr: Adam's initial learning rate (cosine-decayed to 0 over ``epochs``).
        batch_size: graphs per minibatch.
        weight_decay: Adam's L2 weight decay.
        loss: ``"mse"`` on the standardised targets, ``"l1"``, or ``"pairwise"`` (a
            logistic ranking loss over the minibatch's pairs, as BRP-NAS trains on
            pairwise relations; :mod:`naspred.predictors._losses`).
    """

    seed: int = 0
    num_layers: int = 3
    hidden: int = 64
    epochs: int = 300
    lr: float = 1e-3
    batch_size: int = 32
    weight_decay: float = 0.0
    loss: str = "mse"

    @property
    def needs(self) -> DataNeeds:
        return DataNeeds(encoding="graph")

    # ---- to implement ------------------------------------------------------------

    def _build(self, in_dim: int) -> nn.Module:
        """A fresh network taking graphs with ``in_dim`` node features."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _build()")

    def _transform_graph(self, data: Any) -> Any:
        """Hook: change one graph before batching (default: unchanged)."""
        return data

    # ---- shared ------------------------------------------------------------------

    def _graphs(
        self, archs: Sequence[ArchLike], fit: bool, vocab_archs: Sequence[ArchLike] = ()
    ) -> list[Any]:
        """The graphs of ``archs``; with ``fit``, first learn the op vocabulary from
        ``archs`` and ``vocab_archs``."""
        from naspred.encodings import as_dags, to_pyg, vocabulary

        dags = as_dags(archs)
        if fit:
            self.vocab_ = vocabulary(dags + as_dags(vocab_archs))
        else:
            self._check_fitted("vocab_")
        return [self._transform_graph(to_pyg(d, self.vocab_)) for d in dags]

    def _standardise(self, y: np.ndarray) -> np.ndarray:
        self.y_mean_ = float(y.mean())
        std = float(y.std())
        self.y_scale_ = std if std > 0 else 1.0
        return (y - self.y_mean_) / self.y_scale_

    def _train(
        self,
        graphs: list[Any],
        z: np.ndarray,
        seed: int,
        epochs: int | None = None,
        start: nn.Module | None = None,
    ) -> nn.Module:
        """A network trained on ``graphs`` and standardised targets ``z``: a fresh
        one, or ``start`` trained further (``epochs``: override the ``epochs``
        hyper-parameter)."""
        in_dim = int(graphs[0].x.shape[1])
        loss = get_loss(self.loss)
        return train_graph_network(
            (lambda: start) if start is not None else (lambda: self._build(in_dim)),
            graphs,
            z,
            epochs=self.epochs if epochs is None else epochs,
            lr=self.lr,
            batch_size=self.batch_size,
            weight_decay=self.weight_decay,
            loss_fn=lambda model, batch: loss(model(batch), batch.y),
            seed=seed,
        )

    def _fit_head(self, graphs: list[Any], z: np.ndarray) -> None:
        """Hook: learn more from the trained network (``self.model_``) and the
        training graphs, e.g. a Bayesian head on its embeddings (default: nothing)."""

    def fit(
        self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None = None
    ) -> GraphPredictor:
        y = check_targets(y, len(archs))
        graphs = self._graphs(archs, fit=True)
        z = self._standardise(y)
        self.model_ = self._train(graphs, z, self.seed)
        self._fit_head(graphs, z)
        return self

    def query(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        self._check_fitted("model_")
        if not len(archs):
            return np.zeros(0)
        graphs = self._graphs(archs, fit=False)
        return predict_graphs(self.model_, graphs) * self.y_scale_ + self.y_mean_


def add_reverse_edges(data: Any) -> Any:
    """``data`` with each edge also added reversed, so that messages flow both ways
    through the DAG (changed in place and returned)."""
    data.edge_index = torch.cat([data.edge_index, data.edge_index.flip(0)], dim=1)
    return data
