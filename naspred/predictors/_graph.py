"""Graph-neural-network predictors on the cell DAG.

The module structure is the following:

* :func:`train_graph_network` (seeded Adam training of a network on
  torch-geometric graphs, with optional cosine learning-rate decay; torch's
  global random state and thread count are left as found) and
  :func:`predict_graphs` (eval-mode outputs or embeddings, batched without
  touching any global random state).
* :class:`GraphPredictor`, a :class:`~naspred.predictors._tuning.TunablePredictor`,
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
  ``seminas`` self-trains it), ``gin``, ``bonas`` (a GCN embedding with the
  Bayesian linear regression head of :mod:`naspred.predictors._blr`) and
  ``gates`` (ops gating the information flow, trained on a ranking loss, which
  it chooses through the :meth:`~GraphPredictor._loss` hook; ``ta_gates``
  extends it with op embeddings updated by forward/backward passes).

Batching. ``batching="pyg"`` collates torch-geometric ``Data`` per minibatch
(``DataLoader`` in training, ``Batch`` in prediction) and passes messages by
scatter over edge lists; ``batching="dense"`` pads all graphs once per fit into
:class:`~naspred.predictors._dense_graphs.DenseGraphs` and slices minibatches
out of them, one batched matrix product per message-passing step. Both feed the
same networks (same parameters, same ``state_dict``), compute the same function
(to float rounding) and, for a seed, draw the same initialisation and minibatch
order; the dense path also fuses Adam into one kernel (the same update to
rounding). ``batching="auto"`` (the default) is dense when no training graph has
more than :data:`~naspred.predictors._dense_graphs.DENSE_MAX_NODES` (64) nodes
and real nodes fill at least
:data:`~naspred.predictors._dense_graphs.DENSE_MIN_FILL` (half) of the padded
node slots, else pyg. That covers every cell space naspred has (NB201: 8 nodes,
NB101: 2 to 7, NAS-Bench-Graph: 6, DARTS: 32): on graphs this small the fixed
costs of collation and scatter dominate a step, while the dense products cost
``N_max^2`` per graph and the node-wise layers run over padded slots too, so
large or very uneven graphs keep the edge lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from naspred.errors import InvalidInputError
from naspred.parallel import network_compute
from naspred.predictors._dense_graphs import (
    DENSE_MAX_NODES,
    DENSE_MIN_FILL,
    DenseGraphs,
    dense_graphs,
)
from naspred.predictors._losses import get_loss
from naspred.predictors._nn import check_early_stopping, validation_size
from naspred.predictors._params import LogIntRange, LogUniform, hyper_param
from naspred.predictors._tuning import TunablePredictor
from naspred.predictors.base import ArchLike, DataNeeds, Info, check_targets

#: loss of a network on a batch whose targets are ``batch.y``
LossFn = Callable[[nn.Module, Any], torch.Tensor]


def mse_loss(model: nn.Module, batch: Any) -> torch.Tensor:
    """Mean squared error of ``model(batch)`` against ``batch.y``."""
    return nn.functional.mse_loss(model(batch), batch.y)


def train_graph_network(
    build: Callable[[], nn.Module],
    graphs: Sequence[Any] | DenseGraphs,
    z: np.ndarray,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    weight_decay: float = 0.0,
    cosine: bool = True,
    loss_fn: LossFn = mse_loss,
    val_fraction: float = 0.0,
    patience: int = 20,
    seed: int = 0,
    threads: int | None = 1,
) -> nn.Module:
    """Build a network with ``build()`` and train it on torch-geometric graphs;
    fully determined by ``seed``.

    Torch's global random state is forked and restored, as in
    :func:`naspred.predictors._nn.train_network`. The graphs are not modified.

    Early stopping (``val_fraction > 0``), as :func:`naspred.predictors._nn.train_networks`:
    a seeded ``val_fraction`` of the graphs (:func:`~naspred.predictors._nn.validation_size`)
    is held out, the network's eval-mode loss on them measured after every epoch,
    and training stops once ``patience`` epochs bring no lower one; the network
    ends with the weights (and batch-norm statistics) of its lowest. The cosine
    schedule still spans ``epochs``.

    Args:
        build: makes the network (called once, with torch seeded by ``seed``).
        graphs: torch-geometric ``Data`` objects, or the same graphs as
            :class:`~naspred.predictors._dense_graphs.DenseGraphs` (the same
            initialisation, held-out graphs and minibatch order for a seed; no
            collation).
        z: one target per graph.
        epochs: passes over the graphs (with early stopping: at most).
        lr: Adam's learning rate.
        batch_size: graphs per minibatch.
        weight_decay: Adam's L2 penalty.
        cosine: decay the learning rate to 0 over ``epochs`` by a cosine.
        loss_fn: the loss of the network on a batch whose targets are ``batch.y``.
        val_fraction: share of the graphs held out for early stopping, in
            ``[0, 0.5]``; 0: none, all ``epochs`` on every graph.
        patience: epochs without a lower validation loss before training stops.
        seed: seeds the initialisation, the held-out graphs and the minibatch order.
        threads: torch threads while training (None: leave torch's setting).

    Returns:
        The trained network, in eval mode; its ``best_epoch`` is the (0-based)
        epoch whose weights it ends with, None without early stopping.

    Raises:
        InvalidInputError: ``graphs`` and ``z`` differ in length, or a bad
            early-stopping setting.
    """
    if len(graphs) != len(z):
        raise InvalidInputError(f"{len(graphs)} graphs but {len(z)} targets")
    check_early_stopping(val_fraction, patience)
    n = len(graphs)
    n_val = validation_size(n, val_fraction)
    # the held-out graphs: the first draw of the minibatch-order generator
    order = torch.Generator().manual_seed(seed)
    split = torch.randperm(n, generator=order) if n_val else torch.arange(n)
    rows, val_rows = split[n_val:], split[:n_val]
    stopper = _Stopper(patience) if n_val else None
    if isinstance(graphs, DenseGraphs):
        dense = graphs.with_targets(torch.as_tensor(np.asarray(z, dtype=np.float32)))
        return _train_dense(
            build,
            dense.take(rows) if n_val else dense,
            dense.take(val_rows) if n_val else None,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            weight_decay=weight_decay,
            cosine=cosine,
            loss_fn=loss_fn,
            seed=seed,
            order=order,
            stopper=stopper,
            threads=threads,
        )
    from torch_geometric.data import Batch
    from torch_geometric.loader import DataLoader

    data = []
    for g, target in zip(graphs, z, strict=True):
        g = g.clone()
        g.y = torch.tensor([float(target)], dtype=torch.float32)
        data.append(g)
    train = [data[i] for i in rows.tolist()]
    val = Batch.from_data_list([data[i] for i in val_rows.tolist()]) if n_val else None
    with torch.random.fork_rng(devices=[]), network_compute(threads):
        torch.manual_seed(seed)
        model = build()
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        sched = (
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(int(epochs), 1)) if cosine else None
        )
        loader = DataLoader(train, batch_size=int(batch_size), shuffle=True, generator=order)
        return _epochs(model, opt, sched, loss_fn, int(epochs), lambda: loader, stopper, val)


def _epochs(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    sched: Any,
    loss_fn: LossFn,
    epochs: int,
    minibatches: Callable[[], Iterable[Any]],
    stopper: _Stopper | None,
    val: Any,
) -> nn.Module:
    """The training epochs both batchings share: ``minibatches()`` gives an epoch's
    batches (called at the epoch's start, where a shuffling loader draws its order),
    then the schedule, early stopping and the best epoch's weights restored."""
    model.train()
    for epoch in range(epochs):
        for batch in minibatches():
            opt.zero_grad()
            loss_fn(model, batch).backward()
            opt.step()
        if sched is not None:
            sched.step()
        if stopper is not None and not stopper.update(epoch, model, loss_fn, val):
            break
    if stopper is not None:
        stopper.restore(model)
    model.best_epoch = None if stopper is None else stopper.epoch
    model.eval()
    return model


class _Stopper:
    """Early stopping of one graph network: the lowest eval-mode validation loss so
    far and the ``state_dict`` (batch-norm statistics included) at it."""

    def __init__(self, patience: int) -> None:
        self.patience = int(patience)
        self.loss = float("inf")
        self.epoch = -1
        self.waited = 0
        self.state: dict[str, torch.Tensor] | None = None

    def update(self, epoch: int, model: nn.Module, loss_fn: LossFn, val: Any) -> bool:
        """Measure ``model`` on ``val`` after epoch ``epoch``; False once patience ran out."""
        model.eval()
        with torch.no_grad():
            loss = float(loss_fn(model, val))
        model.train()
        if loss < self.loss:
            self.loss, self.epoch, self.waited = loss, epoch, 0
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.waited += 1
        return self.waited < self.patience

    def restore(self, model: nn.Module) -> None:
        """Load the best epoch's weights into ``model``."""
        if self.state is not None:
            model.load_state_dict(self.state)


def _fused_adam(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.Adam:
    """Adam over ``model``'s parameters in one fused kernel where torch has it for
    the CPU (torch >= 2.4): the same update as the per-tensor loop to float
    rounding, at a quarter of its cost, which on these small networks is a third
    of a step (GIN: 31 parameter tensors)."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
    except RuntimeError:
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)


def _train_dense(
    build: Callable[[], nn.Module],
    graphs: DenseGraphs,
    val: DenseGraphs | None,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    weight_decay: float,
    cosine: bool,
    loss_fn: LossFn,
    seed: int,
    order: torch.Generator,
    stopper: _Stopper | None,
    threads: int | None,
) -> nn.Module:
    """:func:`train_graph_network` on dense graphs carrying their targets (Adam
    fused into one kernel: :func:`_fused_adam`), ``val`` the held-out ones."""
    n, size = len(graphs), int(batch_size)
    with torch.random.fork_rng(devices=[]), network_compute(threads):
        torch.manual_seed(seed)
        model = build()
        opt = _fused_adam(model, lr=lr, weight_decay=weight_decay)
        sched = (
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(int(epochs), 1)) if cosine else None
        )

        def minibatches() -> Iterator[DenseGraphs]:
            # the draws of a shuffling DataLoader on this generator, so that a seed
            # gives the pyg path's minibatches: the iterator's base seed, the
            # epoch's permutation, and the sampler's (empty) remainder permutation
            torch.empty((), dtype=torch.int64).random_(generator=order)
            perm = torch.randperm(n, generator=order)
            torch.randperm(n, generator=order)
            for start in range(0, n, size):
                yield graphs.take(perm[start : start + size])

        return _epochs(model, opt, sched, loss_fn, int(epochs), minibatches, stopper, val)


@torch.no_grad()
def predict_graphs(
    model: nn.Module,
    graphs: Sequence[Any] | DenseGraphs,
    *,
    batch_size: int = 1024,
    threads: int | None = 1,
    method: str = "forward",
) -> np.ndarray:
    """``model``'s outputs for ``graphs``, in eval mode.

    Args:
        model: a trained graph network.
        graphs: torch-geometric ``Data`` objects or
            :class:`~naspred.predictors._dense_graphs.DenseGraphs`.
        batch_size: graphs per forward pass (no effect on the values).
        threads: torch's intra-op threads for the duration; None: as they are.
        method: the network's method to call, ``"forward"`` (predictions) or
            ``"embed"`` (graph embeddings).

    Returns:
        Float64 rows (or values) in the graphs' order.
    """
    model.eval()
    fn = getattr(model, method)
    if isinstance(graphs, DenseGraphs):
        with network_compute(threads):
            outs = [
                fn(graphs.take(slice(i, i + batch_size))).double()
                for i in range(0, len(graphs), batch_size)
            ]
        return torch.cat(outs).numpy()
    from torch_geometric.data import Batch

    graphs = list(graphs)
    # collated directly: a DataLoader would draw a seed from torch's global RNG
    chunks = [graphs[i : i + batch_size] for i in range(0, len(graphs), batch_size)]
    with network_compute(threads):
        outs = [fn(Batch.from_data_list(chunk)).double() for chunk in chunks]
    return torch.cat(outs).numpy()


class GraphPredictor(TunablePredictor):
    """Base class of the graph-neural-network predictors (see the module docstring).

    Tuning draws ``hidden``, ``batch_size``, ``lr`` and ``weight_decay``
    log-uniformly. Widths and batch sizes are NASLib's ranges for its GCN predictor
    (``naslib/predictors/gcn.py``, ``set_random_hyperparams``, commit 0b51bc18: 64 to
    200 units, 5 to 32 graphs); NASLib draws both rates from 1e-5 to 0.1, which here
    is narrowed to 1e-4..1e-2 (learning rate) and 1e-5..1e-2 (weight decay): with
    Adam for 300 epochs, rates beyond those diverge or do not move. Subclasses
    narrow or replace these.

    Args:
        seed: seed of the network's initialisation and of the minibatch order.
        num_layers: graph layers.
        hidden: units (node-state width) of each graph layer.
        epochs: training epochs. Kept at 300: these networks are compute-bound on
            a CPU (a step costs in proportion to its graphs, so larger minibatches
            save little), and shorter training ranked worse on NB201 CIFAR-10 at
            1,000 archs (seed 0, 1,000 held-out archs; 300 epochs: gcn 0.722, gin
            0.836, bonas 0.739): 100 epochs 0.702 / 0.774 / 0.699, 150 epochs at
            minibatches of 64 and lr 2e-3 0.706 / 0.821 / 0.729.
        lr: Adam's initial learning rate (cosine-decayed to 0 over ``epochs``).
        batch_size: graphs per minibatch.
        weight_decay: Adam's L2 weight decay.
        loss: ``"mse"`` on the standardised targets, ``"l1"``, ``"pairwise"`` (a
            logistic ranking loss over the minibatch's pairs, as BRP-NAS trains on
            pairwise relations) or ``"hinge"`` (a margin ranking loss over them, as
            GATES; :mod:`naspred.predictors._losses`).
        batching: ``"auto"`` (dense when no training graph has more than 64 nodes
            and real nodes fill at least half the padded slots, else
            torch-geometric's), ``"dense"`` (padded tensors) or ``"pyg"``
            (torch-geometric's DataLoader and scatter); see the module docstring.
            Dense and pyg give the same predictions to float rounding.
        val_fraction: share of the training archs held out for early stopping
            (:func:`train_graph_network`; 0: none, all ``epochs`` on every arch).
            Off by default: 10% held out with patience 20 trained 3-5x faster at
            1,000 archs but ranked far worse (seed 0 as under ``epochs``: gcn
            0.681, gin 0.717, bonas 0.686).
        patience: epochs without a lower validation loss before training stops.
    """

    seed: int = 0
    num_layers: int = 3
    hidden: int = hyper_param(64, search=LogIntRange(64, 201))
    epochs: int = 300
    lr: float = hyper_param(1e-3, search=LogUniform(1e-4, 1e-2))
    batch_size: int = hyper_param(32, search=LogIntRange(5, 33))
    weight_decay: float = hyper_param(0.0, search=LogUniform(1e-5, 1e-2))
    loss: str = "mse"
    batching: str = "auto"
    val_fraction: float = 0.0
    patience: int = 20

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
        graphs = [self._transform_graph(to_pyg(d, self.vocab_)) for d in dags]
        if fit:
            self.batching_ = self._resolve_batching(graphs)
        return graphs

    def _resolve_batching(self, graphs: Sequence[Any]) -> str:
        """``"dense"`` or ``"pyg"`` for training graphs ``graphs``."""
        if self.batching not in ("auto", "dense", "pyg"):
            raise InvalidInputError(
                f"batching must be 'auto', 'dense' or 'pyg', got {self.batching!r}"
            )
        if self.batching != "auto":
            return self.batching
        sizes = [int(g.num_nodes) for g in graphs]
        largest = max(sizes, default=0)
        fill = sum(sizes) / (len(sizes) * largest) if largest else 1.0
        return "dense" if largest <= DENSE_MAX_NODES and fill >= DENSE_MIN_FILL else "pyg"

    def _batched(self, graphs: list[Any]) -> list[Any] | DenseGraphs:
        """``graphs`` as the fitted batching takes them."""
        self._check_fitted("vocab_")
        # a predictor fitted before dense batching existed has no batching_
        return dense_graphs(graphs) if getattr(self, "batching_", "pyg") == "dense" else graphs

    def _predict(self, model: nn.Module, graphs: list[Any], method: str = "forward") -> np.ndarray:
        """:func:`predict_graphs` of ``model`` on ``graphs`` through the fitted batching."""
        return predict_graphs(model, self._batched(graphs), method=method)

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
        loss = self._loss()
        return train_graph_network(
            (lambda: start) if start is not None else (lambda: self._build(in_dim)),
            self._batched(graphs),
            z,
            epochs=self.epochs if epochs is None else epochs,
            lr=self.lr,
            batch_size=self.batch_size,
            weight_decay=self.weight_decay,
            loss_fn=lambda model, batch: loss(model(batch), batch.y),
            val_fraction=self.val_fraction,
            patience=self.patience,
            seed=seed,
        )

    def _loss(self) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        """Hook: the training loss on a minibatch's predictions and targets
        (default: :func:`~naspred.predictors._losses.get_loss` of ``loss``)."""
        return get_loss(self.loss)

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
        return self._predict(self.model_, graphs) * self.y_scale_ + self.y_mean_


def add_reverse_edges(data: Any) -> Any:
    """``data`` with each edge also added reversed, so that messages flow both ways
    through the DAG (changed in place and returned)."""
    data.edge_index = torch.cat([data.edge_index, data.edge_index.flip(0)], dim=1)
    return data
