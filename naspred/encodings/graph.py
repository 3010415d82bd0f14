"""Graph objects for graph neural networks (torch-geometric ``Data``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from naspred.encodings.base import as_dag, op_index
from naspred.errors import InvalidInputError
from naspred.spaces.base import Arch, LabelledDAG


def to_pyg(arch: Arch | LabelledDAG, op_names: Sequence[str] | None = None):  # -> Data
    """A torch-geometric ``Data`` for ``arch``: ``x`` the one-hot node ops
    (``(n_nodes, len(op_names))`` float32, over ``op_names`` or the DAG's own
    vocabulary) and ``edge_index`` the DAG's edges (``(2, n_edges)`` int64,
    source row first), with ``num_nodes`` set."""
    from torch_geometric.data import Data

    dag = as_dag(arch)
    vocab = tuple(op_names) if op_names else dag.op_names
    if not vocab:
        raise InvalidInputError("the DAG has no op vocabulary (op_names); pass op_names=")
    index = op_index(vocab)
    x = torch.zeros(dag.n_nodes, len(vocab), dtype=torch.float32)
    for i, op in enumerate(dag.ops):
        x[i, index(op)] = 1.0
    src, dst = np.nonzero(np.asarray(dag.adjacency))
    edge_index = torch.as_tensor(np.stack([src, dst]), dtype=torch.long)
    return Data(x=x, edge_index=edge_index, num_nodes=dag.n_nodes)
