"""The neural predictor: a graph convolutional network on the cell DAG.

Wen, Liu, Chen, Li, Bender & Kindermans, "Neural Predictor for Neural
Architecture Search", ECCV 2020. Node features are the one-hot ops of the
labelled-DAG view; each layer is the average of two graph convolutions (Kipf &
Welling, ICLR 2017), one propagating along the edges (``A``) and one against
them (``A^T``), so information flows both ways through the DAG; node
embeddings are averaged into one graph embedding and a small fully connected
head regresses the accuracy. The paper uses three layers of 144 units, Adam at
learning rate 1e-4 for 300 epochs with weight decay; to fit a CPU budget we use
batches of 32 at learning rate 1e-3 with cosine decay (on NB201 cifar10 with 100
training archs this ranked better than 1e-4 with batches of 10 in the same 300
epochs: Kendall tau 0.62 vs 0.53 on 1,000 test archs, and trains 3x faster).

This module also holds what every graph predictor shares
(:class:`GraphPredictor`, :func:`train_graph_network`, :func:`predict_graphs`):
``bonas``, ``gin`` and ``seminas`` build on it. Graphs are batched with
torch-geometric's ``DataLoader`` (training) and ``Batch`` (prediction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from naspred.errors import InvalidInputError
from naspred.predictors.base import ArchLike, DataNeeds, Info, Predictor, check_targets
from naspred.predictors.mlp import torch_threads
from naspred.predictors.registry import register_predictor

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
    """Build a network with ``build()`` and train it on torch-geometric graphs with
    targets ``z`` (Adam, optional cosine learning-rate decay); fully determined by
    ``seed``.

    Torch's global random state is forked and restored, and ``threads`` sets
    torch's intra-op threads for the duration (restored after), as in
    :func:`naspred.predictors.mlp.train_network`. The graphs are not modified.
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
    """``model``'s outputs (``method="embed"``: its graph embeddings) for
    ``graphs``, in eval mode, as float64 rows in the graphs' order."""
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
    """Base class of the graph-neural-network predictors.

    Each arch's labelled DAG becomes a torch-geometric ``Data`` (one-hot ops over
    the vocabulary seen in :meth:`fit`, edges of the DAG; see
    :func:`naspred.encodings.to_pyg`), which :meth:`_transform_graph` may extend
    (BONAS adds a global node, GIN may add reverse edges). Targets are
    standardised in :meth:`fit` and predictions returned in the original units.

    Subclasses store their hyper-parameters (including ``seed``, ``epochs``,
    ``lr``, ``batch_size``, ``weight_decay``) and implement :meth:`_build` (the
    network for a given node-feature width); they may override :meth:`_train`.
    """

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
        return train_graph_network(
            (lambda: start) if start is not None else (lambda: self._build(in_dim)),
            graphs,
            z,
            epochs=self.epochs if epochs is None else epochs,
            lr=self.lr,
            batch_size=self.batch_size,
            weight_decay=self.weight_decay,
            seed=seed,
        )

    def fit(
        self, archs: Sequence[ArchLike], y: np.ndarray, info: Info | None = None
    ) -> GraphPredictor:
        y = check_targets(y, len(archs))
        graphs = self._graphs(archs, fit=True)
        z = self._standardise(y)
        self.model_ = self._train(graphs, z, self.seed)
        return self

    def query(self, archs: Sequence[ArchLike], info: Info | None = None) -> np.ndarray:
        self._check_fitted("model_")
        if not len(archs):
            return np.zeros(0)
        graphs = self._graphs(archs, fit=False)
        return predict_graphs(self.model_, graphs) * self.y_scale_ + self.y_mean_


class BiGCNLayer(nn.Module):
    """Wen et al.'s layer: the mean of a graph convolution along the edges and one
    against them, each followed by ReLU (self-loops and symmetric degree
    normalisation as in Kipf & Welling)."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        from torch_geometric.nn import GCNConv

        super().__init__()
        self.forward_conv = GCNConv(in_dim, out_dim)
        self.backward_conv = GCNConv(in_dim, out_dim)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        fwd = torch.relu(self.forward_conv(x, edge_index))
        bwd = torch.relu(self.backward_conv(x, edge_index.flip(0)))
        return 0.5 * (fwd + bwd)


class NeuralPredictorGCN(nn.Module):
    """Bidirectional GCN layers, mean pooling over nodes, a two-layer head."""

    def __init__(self, in_dim: int, hidden: Sequence[int], head_width: int) -> None:
        super().__init__()
        widths = [in_dim, *hidden]
        self.layers = nn.ModuleList(
            BiGCNLayer(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)
        )
        self.head = nn.Sequential(
            nn.Linear(widths[-1], head_width), nn.ReLU(), nn.Linear(head_width, 1)
        )

    def embed(self, batch: Any) -> torch.Tensor:
        from torch_geometric.nn import global_mean_pool

        x = batch.x
        for layer in self.layers:
            x = layer(x, batch.edge_index)
        return global_mean_pool(x, batch.batch, size=batch.num_graphs)

    def forward(self, batch: Any) -> torch.Tensor:
        return self.head(self.embed(batch)).squeeze(-1)


@register_predictor("gcn")
class GCNPredictor(GraphPredictor):
    """The neural predictor of Wen et al. (ECCV 2020): ``num_layers`` bidirectional
    GCN layers of ``hidden`` units (paper: 3 x 144), mean-pooled, a fully
    connected head of ``head_width`` units, mean squared error on standardised
    targets, Adam with weight decay and cosine learning-rate decay.

    The paper trains 300 epochs at learning rate 1e-4; for CPU budgets the
    defaults keep 300 epochs but at 1e-3 with batch size 32.
    """

    description: ClassVar[str] = "GCN neural predictor on the cell DAG (bidirectional, mean-pooled)"
    paper: ClassVar[str] = "Wen et al., Neural Predictor for NAS, ECCV 2020"

    def __init__(
        self,
        seed: int = 0,
        num_layers: int = 3,
        hidden: int = 144,
        head_width: int = 128,
        epochs: int = 300,
        lr: float = 1e-3,
        batch_size: int = 32,
        weight_decay: float = 1e-3,
    ) -> None:
        self.seed = seed
        self.num_layers = num_layers
        self.hidden = hidden
        self.head_width = head_width
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay

    def _build(self, in_dim: int) -> nn.Module:
        return NeuralPredictorGCN(in_dim, [self.hidden] * self.num_layers, self.head_width)
