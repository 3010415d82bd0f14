"""Cell graphs batched as dense padded tensors, and the graph layers on them.

A search space's cells are small (NAS-Bench-201: 8 nodes, NAS-Bench-101: at most
7, DARTS: 32), so a minibatch of them fits in a few ``(graphs, nodes, nodes)``
tensors. Message passing is then one batched matrix product per layer, instead
of torch-geometric's per-minibatch collation and scatter over an edge list,
whose fixed costs dominate on graphs this small.

:class:`DenseGraphs` holds node features ``x`` ``(B, N, F)`` (padded with zero
rows to the largest graph's ``N``), the adjacency ``adj`` ``(B, N, N)`` with
``adj[b, i, j]`` the number of edges ``j -> i`` (so ``adj @ x`` sums each node's
incoming messages), a node ``mask`` ``(B, N)``, and the two graph-convolution
operators of Kipf & Welling (ICLR 2017) as torch-geometric's ``GCNConv``
normalises them (``gcn_norm``): ``D^-1/2 (A + I) D^-1/2`` with a self loop added
to each real node that has none and ``D`` the in-degrees including it, along the
edges (``gcn``) and against them (``gcn_reverse``). They are built once per fit
(:func:`dense_graphs`) and sliced per minibatch (:meth:`DenseGraphs.take`).

The layer functions compute what the torch-geometric layers compute, reading the
parameters of those same layer objects (:func:`gcn_conv`: ``GCNConv``;
:func:`gin_conv`: ``GINConv``), so one network and one ``state_dict`` serve both
batchings; padded nodes never send messages and are left out of pooling and of
batch normalisation, whose statistics are those of the real nodes only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from naspred.errors import InvalidInputError

#: graphs of at most this many nodes are batched densely by ``batching="auto"``
DENSE_MAX_NODES = 64
#: ... and whose real nodes fill at least this share of the padded node slots
DENSE_MIN_FILL = 0.5


@dataclasses.dataclass
class DenseGraphs:
    """A batch of graphs as padded tensors (see the module docstring).

    Args:
        x: node features, ``(B, N, F)``, zero on padded nodes.
        adj: ``adj[b, i, j]`` = edges ``j -> i`` of graph ``b``, ``(B, N, N)``.
        mask: real (True) and padded nodes, ``(B, N)``.
        gcn: the normalised graph convolution along the edges, ``(B, N, N)``.
        gcn_reverse: the same against the edges, ``(B, N, N)``.
        y: one target per graph, ``(B,)``, or None.
    """

    x: torch.Tensor
    adj: torch.Tensor
    mask: torch.Tensor
    gcn: torch.Tensor
    gcn_reverse: torch.Tensor
    y: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def num_graphs(self) -> int:
        """Graphs in the batch (torch-geometric's ``Batch`` name for it)."""
        return len(self)

    @property
    def counts(self) -> torch.Tensor:
        """Real nodes of each graph, ``(B,)`` int64."""
        return self.mask.sum(1)

    def take(self, rows: torch.Tensor | slice) -> DenseGraphs:
        """The graphs at ``rows``, in that order."""
        parts = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return DenseGraphs(**{k: None if v is None else v[rows] for k, v in parts.items()})

    def with_x(self, x: torch.Tensor) -> DenseGraphs:
        """A copy whose node features are ``x``."""
        return dataclasses.replace(self, x=x)

    def with_targets(self, y: torch.Tensor) -> DenseGraphs:
        """A copy carrying targets ``y``, one per graph."""
        if y.shape != (len(self),):
            raise InvalidInputError(f"{len(self)} graphs but targets of shape {tuple(y.shape)}")
        return dataclasses.replace(self, y=y)


def gcn_normalise(adj: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``D^-1/2 (A + I) D^-1/2`` of dense in-adjacencies ``adj`` ``(B, N, N)``, as
    torch-geometric's ``gcn_norm`` (``add_remaining_self_loops``: a real node
    with a self loop keeps its weight; ``D`` sums each row, a node's in-degree)."""
    diag = adj.diagonal(dim1=-2, dim2=-1)
    a = adj + torch.diag_embed((mask & (diag == 0)).to(adj.dtype))
    inv = a.sum(-1).pow(-0.5)
    inv = inv.masked_fill(torch.isinf(inv), 0.0)
    return inv[:, :, None] * a * inv[:, None, :]


def dense_graphs(graphs: Sequence[Any]) -> DenseGraphs:
    """Pad torch-geometric ``Data`` objects (``x``, ``edge_index``, source row
    first) into one :class:`DenseGraphs` over the largest graph's node count.

    Raises:
        InvalidInputError: no graphs, or graphs with different feature widths.
    """
    if not len(graphs):
        raise InvalidInputError("no graphs to batch; pass at least one")
    widths = {int(g.x.shape[1]) for g in graphs}
    if len(widths) != 1:
        raise InvalidInputError(
            f"graphs have node features of widths {sorted(widths)}; build them over one "
            "op vocabulary"
        )
    sizes = torch.tensor([int(g.num_nodes) for g in graphs])
    b, n = len(graphs), int(sizes.max())
    x = torch.zeros(b, n, widths.pop(), dtype=graphs[0].x.dtype)
    mask = torch.arange(n)[None, :] < sizes[:, None]
    x[mask] = torch.cat([g.x for g in graphs])
    # one scatter over every graph's edges: (graph, target, source) += 1
    which = torch.cat(
        [torch.full((g.edge_index.shape[1],), k, dtype=torch.long) for k, g in enumerate(graphs)]
    )
    edges = torch.cat([g.edge_index for g in graphs], dim=1)
    adj = torch.zeros(b, n, n, dtype=x.dtype)
    adj.index_put_((which, edges[1], edges[0]), torch.ones(len(which), dtype=x.dtype), True)
    return DenseGraphs(
        x=x,
        adj=adj,
        mask=mask,
        gcn=gcn_normalise(adj, mask),
        gcn_reverse=gcn_normalise(adj.transpose(1, 2), mask),
    )


def gcn_conv(conv: nn.Module, x: torch.Tensor, op: torch.Tensor) -> torch.Tensor:
    """torch-geometric ``GCNConv`` ``conv`` (its ``lin`` and ``bias``) on dense node
    states ``x`` ``(B, N, F)`` with the normalised operator ``op`` ``(B, N, N)``:
    transform, then aggregate, then add the bias, in ``GCNConv``'s order."""
    h = conv.lin(x)
    # one fused call instead of a product and an add: the step is overhead-bound
    return op @ h if conv.bias is None else torch.baddbmm(conv.bias, op, h)


def gin_aggregate(conv: nn.Module, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
    """What torch-geometric's ``GINConv`` ``conv`` hands its MLP: ``(1 + eps) h_v +
    sum of the incoming h_u``, on dense node states."""
    return adj @ x + (1 + conv.eps) * x


def on_nodes(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """``fn`` applied to the real nodes' states only, as one ``(nodes, F)`` matrix
    in graph-major order (the order of a torch-geometric ``Batch``), so that
    batch normalisation inside ``fn`` sees exactly the real nodes; padded nodes
    come back zero."""
    if bool(mask.all()):
        b, n = mask.shape
        out = fn(x.reshape(b * n, -1))
        return out.reshape(b, n, -1)
    packed = fn(x[mask])
    out = packed.new_zeros(*mask.shape, packed.shape[-1])
    out[mask] = packed
    return out


def masked_sum(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sum of each graph's real node states, ``(B, F)``."""
    return (x * mask[..., None].to(x.dtype)).sum(1)


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of each graph's real node states, ``(B, F)``."""
    return masked_sum(x, mask) / mask.sum(1, keepdim=True).clamp(min=1).to(x.dtype)


def last_node(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Each graph's last real node's state, ``(B, F)``."""
    return x[torch.arange(x.shape[0]), mask.sum(1) - 1]
