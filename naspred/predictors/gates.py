"""GATES: operations as gates on the information flowing through the cell.

Ning, Zheng, Zhao, Wang & Yang, "A Generic Graph-based Neural Architecture
Encoding Scheme for Predictor-based NAS", ECCV 2020. The authors' code is
github.com/walkerning/aw_nas (read at commit 732a00351017: ``DenseGraphFlow``
and ``DenseGraphSimpleOpEdgeFlow`` in ``aw_nas/utils/torch_utils.py``, the
``nb101-flow`` and ``nb201-flow`` embedders, ``PointwiseComparator`` in
``aw_nas/evaluator/arch_network.py``). This module is our own implementation.

The model, as the paper defines it:

* **Information.** Only the input node starts with information: a learned input
  embedding; every other node starts from nothing (zero). Both go through one
  linear map to the width of the first layer.
* **Operations as gates.** An operation does not *label* a node, it *transforms*
  the information that reaches it. With ``E(o)`` a learned embedding of the
  node's operation, a layer computes for each node
  ``h_v <- sigmoid(E(o_v) W_o) * sum_{u -> v} h_u W_x`` (a learned gate per
  feature, times a linear transform of the summed inputs). Ops that compute
  nothing (``zero_ops``, NB201's ``none``) close their gate entirely, as the
  authors' code drops their edges. The input node has no inputs, so it keeps its
  own transformed information (``residual="input"``, the authors' NB201
  setting; ``"all"`` adds every node's own ``h_v W_x``, their NB101 one).
  Stacked layers (ReLU between them) carry the information one hop further
  each.
* **Readout.** The output node's information is the architecture's embedding
  (``readout="output"``), which an MLP with dropout maps to a score.
* **Training.** The hinge ranking loss ``max(0, m - (s_i - s_j))`` over pairs
  with ``y_i > y_j``, margin ``m = 0.1`` (:mod:`naspred.predictors._losses`,
  ``loss="hinge"``), Adam at learning rate 1e-3.

Operations on nodes or on edges. The paper writes GATES twice, for spaces with
the ops on the nodes (NAS-Bench-101) and on the edges (NAS-Bench-201, DARTS).
Here every space is read through its labelled DAG
(:meth:`naspred.spaces.base.Arch.to_dag`), in which an edge op is a node of its
own; the node form on that graph computes what the edge form computes on the
cell, since a gated edge ``i -> j`` becomes the node between ``i`` and ``j``
and the sum at the cell's node ``j`` is the sum over those op nodes: for one
layer exactly, for stacked layers up to where the ReLU sits (on each op's output
rather than on their sum) and with the output node's own gate added.

Departures from the authors' training, for CPU budgets and naspred's trainer:
pairs are all the ordered pairs of each minibatch of archs (the authors sample
pairs from the training set), and the learning rate decays to 0 by a cosine
(theirs is constant).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import nn

from naspred.errors import InvalidInputError
from naspred.predictors._dense_graphs import DenseGraphs, last_node, masked_mean
from naspred.predictors._graph import GraphPredictor
from naspred.predictors._losses import Loss, get_loss
from naspred.predictors.registry import register_predictor

RESIDUALS = ("input", "all")
READOUTS = ("output", "mean")


class GatesLayer(nn.Module):
    """One GATES layer: each node's summed incoming information, linearly
    transformed, times the sigmoid gate of its own op's embedding."""

    def __init__(self, in_dim: int, out_dim: int, op_dim: int) -> None:
        super().__init__()
        self.transform = nn.Linear(in_dim, out_dim, bias=False)
        self.gate = nn.Linear(op_dim, out_dim)

    def forward(
        self,
        h: torch.Tensor,
        x: torch.Tensor,
        op_emb: torch.Tensor,
        keep: torch.Tensor,
        aggregate: Any,
    ) -> torch.Tensor:
        """New node states from states ``h`` and one-hot ops ``x`` (node rows last
        but one), the op embedding table ``op_emb`` ``(ops, op_dim)``; ``keep`` is
        the residual's per-node weight (1: add the node's own transformed state, 0:
        not) and ``aggregate`` sums each node's incoming rows of a tensor like
        ``h``."""
        support = self.transform(h)
        # a gate depends on the op alone: computed once per op, then looked up
        gates = x @ torch.sigmoid(self.gate(op_emb))
        return gates * aggregate(support) + keep * support


class GatesNetwork(nn.Module):
    """The GATES encoder and its MLP head; takes a torch-geometric ``Batch`` or
    :class:`~naspred.predictors._dense_graphs.DenseGraphs` whose node features are
    one-hot ops over a vocabulary.

    Args:
        vocab: the op vocabulary, in the order of the one-hot columns.
        op_dim: width of the op embeddings.
        node_dim: width of the input node's embedding.
        proj_dim: width of the linear map applied to the initial information.
        hidden: widths of the GATES layers.
        mlp: widths of the head's hidden layers.
        dropout: dropout after each hidden layer of the head.
        residual: ``"input"`` or ``"all"`` (see the module docstring).
        readout: ``"output"`` (the last node) or ``"mean"`` (of every node but
            the input).
        zero_ops: labels whose gate is closed.
    """

    def __init__(
        self,
        vocab: Sequence[str],
        *,
        op_dim: int,
        node_dim: int,
        proj_dim: int,
        hidden: Sequence[int],
        mlp: Sequence[int],
        dropout: float,
        residual: str,
        readout: str,
        zero_ops: Sequence[str],
    ) -> None:
        super().__init__()
        if residual not in RESIDUALS:
            raise InvalidInputError(f"residual must be one of {RESIDUALS}, got {residual!r}")
        if readout not in READOUTS:
            raise InvalidInputError(f"readout must be one of {READOUTS}, got {readout!r}")
        if "input" not in vocab:
            raise InvalidInputError(
                "GATES needs the labelled DAG's 'input' node, which starts the information "
                f"flow; the op vocabulary {tuple(vocab)} has none"
            )
        self.residual, self.readout = residual, readout
        # one-hot columns -> (is input, is a zero op), read off the node features
        self.register_buffer("input_col", torch.tensor([op == "input" for op in vocab]).float())
        self.register_buffer("zero_col", torch.tensor([op in zero_ops for op in vocab]).float())
        self.op_emb = nn.Embedding(len(vocab), op_dim)
        self.input_emb = nn.Parameter(torch.randn(node_dim))
        self.project = nn.Linear(node_dim, proj_dim)
        widths = [proj_dim, *hidden]
        self.layers = nn.ModuleList(
            GatesLayer(a, b, op_dim) for a, b in zip(widths[:-1], widths[1:], strict=True)
        )
        head: list[nn.Module] = []
        width = widths[-1]
        for w in mlp:
            head += [nn.Linear(width, w), nn.ReLU(), nn.Dropout(dropout)]
            width = w
        self.head = nn.Sequential(*head, nn.Linear(width, 1))

    def _encode(self, x: torch.Tensor, aggregate: Any) -> torch.Tensor:
        """Node states after the last layer, from one-hot ops ``x`` (nodes in the
        last but one axis)."""
        is_input = (x @ self.input_col)[..., None]
        # a closed gate: the op's output is zero whatever reaches it
        open_gate = 1.0 - (x @ self.zero_col)[..., None]
        h = self.project(is_input * self.input_emb)
        keep = is_input if self.residual == "input" else torch.ones_like(is_input)
        for i, layer in enumerate(self.layers):
            h = layer(h, x, self.op_emb.weight, keep, aggregate) * open_gate
            if i < len(self.layers) - 1:
                h = torch.relu(h)
        return h

    def node_states(self, batch: Any) -> torch.Tensor:
        """Every node's state after the last layer: ``(graphs, nodes, width)`` for
        :class:`DenseGraphs`, ``(nodes, width)`` for a torch-geometric ``Batch``."""
        if isinstance(batch, DenseGraphs):
            return self._encode(batch.x, lambda s: batch.adj @ s)
        src, dst = batch.edge_index
        return self._encode(batch.x, lambda s: torch.zeros_like(s).index_add_(0, dst, s[src]))

    def embed(self, batch: Any) -> torch.Tensor:
        """One embedding per graph of the batch, ``(graphs, width)``."""
        h = self.node_states(batch)
        if isinstance(batch, DenseGraphs):
            if self.readout == "output":
                return last_node(h, batch.mask)
            is_input = (batch.x @ self.input_col).bool()
            return masked_mean(h, batch.mask & ~is_input)
        if self.readout == "output":
            # nodes are in topological order, so each graph's last node is its output
            return h[batch.ptr[1:] - 1]
        from torch_geometric.nn import global_mean_pool

        rest = (batch.x @ self.input_col) == 0
        return global_mean_pool(h[rest], batch.batch[rest], size=batch.num_graphs)

    def forward(self, batch: Any) -> torch.Tensor:
        """One score per graph of the batch, ``(graphs,)``."""
        return self.head(self.embed(batch)).squeeze(-1)


@register_predictor("gates")
class GATESPredictor(GraphPredictor):
    """GATES (Ning et al., "A Generic Graph-based Neural Architecture Encoding
    Scheme for Predictor-based NAS", ECCV 2020): the input node's learned
    embedding flows through ``num_layers`` GATES layers of ``hidden`` units, in
    which each op gates (sigmoid of its embedding times a linear map) the linearly
    transformed sum of its inputs; the output node's information goes through an
    MLP of ``mlp_layers`` x ``mlp_width`` units with dropout, trained by the hinge
    ranking loss (margin 0.1), Adam with cosine decay. Op and node embeddings of
    48 units, the projection to 96, 5 GATES layers and dropout 0.1 are the
    authors' NAS-Bench-201 network.

    Their layers of 128 units and MLP of 5 x 300, trained 200 epochs, cost 4x the
    CPU time of these defaults (5 x 64, an MLP of 2 x 128, 100 epochs), for a
    Kendall tau of 0.782 against 0.758 on NB201 cifar10 with 100 training archs
    (seed 0, 1,000 test archs); the defaults reach 0.876 with 1,000 training
    archs, in 12 s of one CPU thread. Every node adding its own information
    (``residual="all"``) ranked 0.742, a regression loss (``loss="mse"``) 0.709
    (both at the authors' widths and 200 epochs).

    ``query`` returns scores whose order is the prediction (with the ranking loss
    their units are not the targets'; ``loss="mse"`` regresses instead).

    Args:
        num_layers: GATES layers (information travels one hop per layer).
        hidden: units of each GATES layer.
        loss: ``"hinge"`` (the paper's margin ranking loss over the minibatch's
            pairs), or ``"mse"``, ``"l1"``, ``"pairwise"`` as the other graph
            predictors (:mod:`naspred.predictors._losses`).
        margin: the hinge loss's margin on the scores (``loss="hinge"`` only).
        op_embedding_dim: width of the learned op embeddings.
        node_embedding_dim: width of the learned input-node embedding.
        projection_dim: width of the linear map applied to the initial node
            information before the first layer.
        mlp_layers: hidden layers of the MLP head.
        mlp_width: units of each hidden layer of the head.
        dropout: dropout after each hidden layer of the head.
        residual: ``"input"`` (only the input node adds its own transformed
            information, the authors' NAS-Bench-201 setting) or ``"all"`` (every
            node does, their NAS-Bench-101 one).
        readout: the embedding, ``"output"`` (the output node's information, the
            paper's) or ``"mean"`` (the mean over all nodes but the input).
        zero_ops: op labels that output nothing: their gate is closed (a string:
            one op).
    """

    description: ClassVar[str] = "GATES: ops gate the information flow; hinge ranking loss"
    paper: ClassVar[str] = "Ning et al., GATES, ECCV 2020"

    num_layers: int = 5
    hidden: int = 64
    epochs: int = 100
    batch_size: int = 64
    loss: str = "hinge"
    margin: float = 0.1
    op_embedding_dim: int = 48
    node_embedding_dim: int = 48
    projection_dim: int = 96
    mlp_layers: int = 2
    mlp_width: int = 128
    dropout: float = 0.1
    residual: str = "input"
    readout: str = "output"
    zero_ops: tuple[str, ...] = ("none",)

    def _build(self, in_dim: int) -> nn.Module:
        return GatesNetwork(self.vocab_, **self._network_args(in_dim))

    def _network_args(self, in_dim: int) -> dict[str, Any]:
        """:class:`GatesNetwork`'s keyword arguments from the options, checked."""
        self._check_fitted("vocab_")
        if len(self.vocab_) != in_dim:
            raise InvalidInputError(f"{in_dim} node features but {len(self.vocab_)} ops")
        if self.zero_ops is None:
            # a spec's bare ``zero_ops=none`` reads as None, not as the op 'none'
            raise InvalidInputError(
                "zero_ops=None: give op labels (zero_ops=('none',) in Python, which is the "
                "default, or one label in a spec, zero_ops=zero); () closes no gate"
            )
        zero = (self.zero_ops,) if isinstance(self.zero_ops, str) else tuple(self.zero_ops)
        return {
            "op_dim": self.op_embedding_dim,
            "node_dim": self.node_embedding_dim,
            "proj_dim": self.projection_dim,
            "hidden": [self.hidden] * self.num_layers,
            "mlp": [self.mlp_width] * self.mlp_layers,
            "dropout": self.dropout,
            "residual": self.residual,
            "readout": self.readout,
            "zero_ops": zero,
        }

    def _loss(self) -> Loss:
        return get_loss(self.loss, margin=self.margin if self.loss == "hinge" else None)
