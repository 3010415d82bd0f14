r"""Encodings: architecture -> features, read from the labelled-DAG view only.

``encode(archs, "path", max_paths=30)`` returns one fixed-width matrix for a list
of archs (or :class:`~naspred.spaces.base.LabelledDAG`\ s); keep an encoder
(``make_encoder(name).fit(train)``) to encode later archs the same way.
``to_pyg(arch)`` builds a torch-geometric graph for GNN predictors.

Encodings: ``adjacency`` (one-hot adjacency + ops; Ying et al., ICML 2019),
``categorical`` (op indices + adjacency; White et al., NeurIPS 2020), ``path``
(path and truncated path encoding; White et al., BANANAS, AAAI 2021) and
``graph_features`` (GRAF; Kadlecová et al., ICML 2024) and ``arch2vec`` (Yan et
al., NeurIPS 2020: the published embeddings of GRAF's valid NB201 cells, or
naspred's own autoencoder trained on the cells of any space and cached).
"""

from naspred.encodings import (  # noqa: F401  (registration)
    adjacency,
    arch2vec,
    graph_features,
    path,
)
from naspred.encodings.base import (
    Encoder,
    as_dag,
    as_dags,
    encode,
    encoding_names,
    make_encoder,
    register_encoding,
    vocabulary,
)
from naspred.encodings.graph import to_pyg
from naspred.encodings.path import path_labels

__all__ = [
    "Encoder",
    "as_dag",
    "as_dags",
    "encode",
    "encoding_names",
    "make_encoder",
    "path_labels",
    "register_encoding",
    "to_pyg",
    "vocabulary",
]
