"""arch2vec's variational graph autoencoder, trained by naspred on the cells of a space.

Yan, Zheng, Ao, Zeng and Zhang, "Does Unsupervised Architecture Representation
Learning Help Neural Architecture Search?", NeurIPS 2020; authors' code
github.com/MSU-MLSys-Lab/arch2vec at commit ea01b0cf (``models/model.py``,
``models/layers.py``, ``models/pretraining_nasbench201.py``), read to understand,
not copied.

The model, as in the paper (section 3):

- *Input*: a cell's one-hot node ops ``X`` (``n x |vocab|``) and its upper-triangular
  adjacency ``A``. The encoder propagates over ``A + A^T`` so that information flows
  both ways along the DAG (the authors' ``preprocessing(method=4)``).
- *Encoder*: ``L`` GIN layers (Xu et al., ICLR 2019),
  ``H <- ReLU(BN(MLP((1 + eps_l) H + (A + A^T) H)))`` with a two-layer MLP
  (Linear-BN-ReLU-Linear) and a learned ``eps_l``, then two linear heads giving each
  node's latent mean ``mu`` and log-variance.
- *Decoder*: ``Z`` (sampled by the reparameterisation trick while training, ``mu``
  afterwards) through dropout, then ``softmax(W Z)`` for the ops and
  ``sigmoid(Z Z^T)`` for the adjacency (the inner-product decoder of Kipf and
  Welling's VGAE).
- *Loss*: the ops' cross-entropy plus the binary cross-entropy of the adjacency's
  upper triangle (the reconstruction), plus ``kl_weight`` times the KL divergence
  of the per-node posteriors from ``N(0, I)``. The authors scale the KL term by
  ``1 / (cells x nodes)`` of a minibatch, which keeps it from collapsing the
  latents; ``kl_weight=None`` does the same.
- *Embedding*: the mean of ``mu`` over a cell's nodes (the authors' search code
  reads ``mu.mean(dim=1)``), ``latent_dim`` numbers per cell.

Cells of different sizes (NB101) are padded to the largest; padded nodes are
masked out of the propagation, the batch norms, the losses and the mean.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from naspred.encodings.base import op_index
from naspred.errors import InvalidInputError
from naspred.parallel import network_compute
from naspred.spaces.base import LabelledDAG

log = logging.getLogger(__name__)

#: Bumped whenever the model or its training changes, so stale caches are not read.
FORMAT = 1

#: How many models this process has trained (not loaded); tests read it.
TRAINED = 0


@dataclass(frozen=True)
class VgaeConfig:
    """Hyper-parameters of the autoencoder and its training (the cache key's half).

    Args:
        latent_dim: width of each node's latent, and of the embedding (paper: 16).
        hidden_dim: width of the GIN layers (authors: 128).
        n_layers: GIN layers (authors: 4, their ``hops=5``).
        dropout: dropout on the latents before decoding (authors: 0.3).
        epochs: passes over the training cells (authors: 10; 3 recover NB201's ops as
            well and rank as well downstream, in a third of the time).
        batch_size: cells per minibatch (authors: 32).
        lr: Adam's learning rate (authors: 1e-3).
        kl_weight: weight of the KL term; None: ``1 / (batch_size x nodes)``, as the
            authors' loss scales it.
        seed: seeds the initialisation, the minibatch order and the sampled latents.
        threads: torch's intra-op threads while training and encoding (restored
            after); None: leave torch's setting. Not part of the cache key.
    """

    latent_dim: int = 16
    hidden_dim: int = 128
    n_layers: int = 4
    dropout: float = 0.3
    epochs: int = 3
    batch_size: int = 32
    lr: float = 1e-3
    kl_weight: float | None = None
    seed: int = 0
    threads: int | None = field(default=1, compare=False)

    def key(self) -> dict[str, Any]:
        """The hyper-parameters a trained model depends on (``threads`` left out)."""
        return {k: v for k, v in asdict(self).items() if k != "threads"}

    def __post_init__(self) -> None:
        for name in ("latent_dim", "hidden_dim", "n_layers", "epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise InvalidInputError(f"arch2vec: {name} must be at least 1")
        if not 0.0 <= self.dropout < 1.0:
            raise InvalidInputError("arch2vec: dropout must be in [0, 1)")
        if self.lr <= 0 or (self.kl_weight is not None and self.kl_weight < 0):
            raise InvalidInputError("arch2vec: lr must be positive and kl_weight non-negative")


@dataclass(frozen=True)
class CellBatch:
    """Cells as padded tensors: ``ops`` one-hot ``(n, N, V)``, ``adj`` upper-triangular
    ``(n, N, N)``, ``mask`` the real nodes ``(n, N)``."""

    ops: torch.Tensor
    adj: torch.Tensor
    mask: torch.Tensor

    def __len__(self) -> int:
        return self.ops.shape[0]

    def rows(self, index: torch.Tensor | slice) -> CellBatch:
        """The cells at ``index``."""
        return CellBatch(self.ops[index], self.adj[index], self.mask[index])


def to_batch(dags: Sequence[LabelledDAG], vocab: Sequence[str], n_nodes: int) -> CellBatch:
    """Pad ``dags`` to ``n_nodes`` nodes over the op vocabulary ``vocab``.

    Args:
        dags: the cells.
        vocab: node labels, one one-hot column each.
        n_nodes: nodes of the padded cells (at least the largest cell's).

    Raises:
        InvalidInputError: a cell is larger than ``n_nodes`` or has a label not in ``vocab``.
    """
    index = op_index(vocab)
    ops = np.zeros((len(dags), n_nodes, len(vocab)), dtype=np.float32)
    adj = np.zeros((len(dags), n_nodes, n_nodes), dtype=np.float32)
    mask = np.zeros((len(dags), n_nodes), dtype=bool)
    for i, dag in enumerate(dags):
        n = dag.n_nodes
        if n > n_nodes:
            raise InvalidInputError(
                f"arch2vec: a cell has {n} nodes, more than the {n_nodes} the autoencoder "
                "was trained on; train it on cells of the same space"
            )
        ops[i, np.arange(n), [index(op) for op in dag.ops]] = 1.0
        adj[i, :n, :n] = np.asarray(dag.adjacency, dtype=np.float32)
        mask[i, :n] = True
    return CellBatch(torch.from_numpy(ops), torch.from_numpy(adj), torch.from_numpy(mask))


class _MaskedBatchNorm(nn.BatchNorm1d):
    """Batch norm over the real nodes only (padded nodes stay zero)."""

    def forward(self, h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:  # type: ignore[override]
        if mask is None:  # cells of one size: no gather and scatter
            return super().forward(h.flatten(0, 1)).view_as(h)
        out = torch.zeros_like(h)
        out[mask] = super().forward(h[mask])
        return out


class _GinLayer(nn.Module):
    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.eps = nn.Parameter(torch.zeros(()))
        self.lin1 = nn.Linear(d_in, d_out)
        self.bn1 = _MaskedBatchNorm(d_out)
        self.lin2 = nn.Linear(d_out, d_out)
        self.bn2 = _MaskedBatchNorm(d_out)

    def forward(
        self, h: torch.Tensor, sym: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        agg = (1.0 + self.eps) * h + sym @ h
        h = self.lin2(F.relu(self.bn1(self.lin1(agg), mask)))
        return F.relu(self.bn2(h, mask))


class Vgae(nn.Module):
    """The variational graph autoencoder (see the module docstring).

    Args:
        n_ops: size of the op vocabulary (the one-hot width).
        config: the hyper-parameters.
    """

    def __init__(self, n_ops: int, config: VgaeConfig) -> None:
        super().__init__()
        dims = [n_ops] + [config.hidden_dim] * config.n_layers
        pairs = zip(dims[:-1], dims[1:], strict=True)
        self.layers = nn.ModuleList(_GinLayer(a, b) for a, b in pairs)
        self.mu = nn.Linear(config.hidden_dim, config.latent_dim)
        self.logvar = nn.Linear(config.hidden_dim, config.latent_dim)
        self.ops_out = nn.Linear(config.latent_dim, n_ops)
        self.dropout = config.dropout

    def encode(self, cells: CellBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-node latent means and log-variances, ``(n, N, latent_dim)`` each."""
        sym = cells.adj + cells.adj.transpose(1, 2)
        mask = None if bool(cells.mask.all()) else cells.mask
        h = cells.ops
        for layer in self.layers:
            h = layer(h, sym, mask)
        return self.mu(h), self.logvar(h)

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Op logits ``(n, N, V)`` and adjacency logits ``(n, N, N)`` of latents ``z``."""
        z = F.dropout(z, self.dropout, self.training)
        return self.ops_out(z), z @ z.transpose(1, 2)

    def embed(self, cells: CellBatch) -> torch.Tensor:
        """The cells' embeddings: ``mu`` averaged over their real nodes, ``(n, latent_dim)``."""
        mu, _ = self.encode(cells)
        weights = cells.mask.unsqueeze(-1).to(mu.dtype)
        return (mu * weights).sum(1) / weights.sum(1)


def _upper(mask: torch.Tensor) -> torch.Tensor:
    # the node pairs the adjacency decoder is judged on: i < j, both real
    pairs = mask.unsqueeze(2) & mask.unsqueeze(1)
    return torch.triu(pairs, diagonal=1)


def _loss(model: Vgae, cells: CellBatch, kl_weight: float) -> torch.Tensor:
    mu, logvar = model.encode(cells)
    z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
    ops_logits, adj_logits = model.decode(z)
    # masks as weights, not boolean indexing: indexing's backward scatters, far slower
    real = cells.mask.to(mu.dtype)
    pairs = _upper(cells.mask).to(mu.dtype)
    target = cells.ops.argmax(-1)
    ops_loss = F.cross_entropy(ops_logits.transpose(1, 2), target, reduction="none")
    adj_loss = F.binary_cross_entropy_with_logits(adj_logits, cells.adj, reduction="none")
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1)
    n_real = real.sum()
    return (
        (ops_loss * real).sum() / n_real
        + (adj_loss * pairs).sum() / pairs.sum()
        + kl_weight * (kl * real).sum() / n_real
    )


def train(cells: CellBatch, n_ops: int, config: VgaeConfig) -> tuple[Vgae, list[float]]:
    """Train the autoencoder on ``cells``, seeded by ``config.seed``; the model (in eval
    mode) and the mean loss of each epoch. The global torch RNG is left as it was.

    Args:
        cells: the training cells.
        n_ops: the op vocabulary's size.
        config: the hyper-parameters.
    """
    global TRAINED
    if len(cells) < 2:
        raise InvalidInputError("arch2vec: the autoencoder needs at least 2 training cells")
    kl_weight = (
        config.kl_weight
        if config.kl_weight is not None
        else 1.0 / (config.batch_size * cells.ops.shape[1])
    )
    with torch.random.fork_rng(devices=[]), network_compute(config.threads):
        torch.manual_seed(config.seed)
        model = Vgae(n_ops, config)
        optimiser = torch.optim.Adam(model.parameters(), lr=config.lr, foreach=True)
        order = torch.Generator().manual_seed(config.seed)
        losses = []
        model.train()
        for _ in range(config.epochs):
            perm = torch.randperm(len(cells), generator=order)
            total = 0.0
            for start in range(0, len(cells), config.batch_size):
                rows = perm[start : start + config.batch_size]
                if len(rows) < 2:  # batch norm needs two cells
                    continue
                optimiser.zero_grad()
                loss = _loss(model, cells.rows(rows), kl_weight)
                loss.backward()
                # the authors clip at 5: the inner-product logits grow fast early on
                nn.utils.clip_grad_norm_(model.parameters(), 5.0)
                optimiser.step()
                total += loss.item() * len(rows)
            losses.append(total / len(cells))
    model.eval()
    TRAINED += 1
    return model, losses


@torch.no_grad()
def embed(model: Vgae, cells: CellBatch, threads: int | None = 1, chunk: int = 4096) -> np.ndarray:
    """The embeddings of ``cells``, ``(n, latent_dim)`` float64.

    Args:
        model: a trained autoencoder.
        cells: the cells.
        threads: torch's intra-op threads for the duration; None: leave as is.
        chunk: cells per forward pass (bounds memory).
    """
    model.eval()
    with network_compute(threads):
        parts = [model.embed(cells.rows(slice(i, i + chunk))) for i in range(0, len(cells), chunk)]
    return torch.cat(parts).double().numpy()


@torch.no_grad()
def reconstruction_accuracy(
    model: Vgae, cells: CellBatch, threads: int | None = 1
) -> dict[str, float]:
    """How well the decoder recovers ``cells`` from their latent means.

    Returns ``ops`` (the fraction of real nodes whose most likely op is the cell's),
    ``adjacency`` (the fraction of upper-triangle node pairs whose thresholded edge
    is right) and ``cells`` (the fraction of cells recovered exactly, ops and edges).

    Args:
        model: a trained autoencoder.
        cells: the cells.
        threads: torch's intra-op threads for the duration; None: leave as is.
    """
    model.eval()
    with network_compute(threads):
        mu, _ = model.encode(cells)
        ops_logits, adj_logits = model.decode(mu)
    real, pairs = cells.mask, _upper(cells.mask)
    ops_ok = (ops_logits.argmax(-1) == cells.ops.argmax(-1)) | ~real
    adj_ok = ((adj_logits > 0) == (cells.adj > 0.5)) | ~pairs
    return {
        "ops": float(ops_ok[real].float().mean()),
        "adjacency": float(adj_ok[pairs].float().mean()),
        "cells": float((ops_ok.all(-1) & adj_ok.flatten(1).all(-1)).float().mean()),
    }


# ---- the on-disk cache -----------------------------------------------------------------


def cells_digest(dags: Sequence[LabelledDAG]) -> str:
    """A digest of a set of cells (order and repeats ignored)."""
    keys = sorted({_dag_key(d) for d in dags})
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]


def _dag_key(dag: LabelledDAG) -> str:
    edges = np.argwhere(np.asarray(dag.adjacency) > 0).tolist()
    return json.dumps([list(dag.ops), edges])


def dag_keys(dags: Sequence[LabelledDAG]) -> list[str]:
    """One string per cell that is equal exactly for equal (ops, edges)."""
    return [_dag_key(d) for d in dags]


def cache_key(
    space: str, vocab: Sequence[str], n_nodes: int, cells: str, config: VgaeConfig
) -> str:
    """The cache file's stem: the space, then a digest of everything the model depends on.

    Args:
        space: the search space's name.
        vocab: the op vocabulary.
        n_nodes: the padded cell size.
        cells: :func:`cells_digest` of the training cells.
        config: the hyper-parameters (the seed included).
    """
    spec = {
        "format": FORMAT,
        "space": space,
        "vocab": list(vocab),
        "n_nodes": n_nodes,
        "cells": cells,
        "config": config.key(),
    }
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    return f"{space}-{digest}"


def save(path: Path, model: Vgae, meta: dict[str, Any]) -> None:
    """Write ``model``'s weights and ``meta`` (JSON) to ``path`` in one step (``.npz``).

    Args:
        path: the cache file.
        model: the trained autoencoder.
        meta: what it was trained on and how (read back by :func:`load`).
    """
    arrays = {f"w:{k}": v.detach().numpy() for k, v in model.state_dict().items()}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load(path: Path, n_ops: int, config: VgaeConfig) -> tuple[Vgae, dict[str, Any]]:
    """The autoencoder and metadata :func:`save` wrote to ``path`` (no pickle is read).

    Args:
        path: the cache file.
        n_ops: the op vocabulary's size.
        config: the hyper-parameters it was trained with.

    Raises:
        InvalidInputError: the file is damaged; the message says to delete it.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            state = {k[2:]: torch.from_numpy(data[k].copy()) for k in data.files if k != "meta"}
        model = Vgae(n_ops, config)
        model.load_state_dict(state)
    except (OSError, ValueError, KeyError, RuntimeError, json.JSONDecodeError) as err:
        raise InvalidInputError(
            f"arch2vec: the cached autoencoder {path} is damaged ({err}); delete it and it "
            "is trained again"
        ) from err
    model.eval()
    return model, meta


def train_cached(
    cells: Callable[[], CellBatch],
    n_ops: int,
    config: VgaeConfig,
    path: Path | None,
    meta: dict[str, Any],
) -> tuple[Vgae, dict[str, Any], bool]:
    """The autoencoder cached at ``path``, else trained on ``cells()`` (and saved there).

    Returns the model, its metadata and whether it was loaded (True) or trained.

    Args:
        cells: builds the training cells (called only when there is no cache).
        n_ops: the op vocabulary's size.
        config: the hyper-parameters.
        path: the cache file; None: train, and keep nothing.
        meta: what to record beside the weights (training time and losses are added).
    """
    if path is not None and path.is_file():
        model, meta = load(path, n_ops, config)
        log.debug("arch2vec: loaded the autoencoder from %s", path)
        return model, meta, True
    batch = cells()
    start = time.perf_counter()
    model, losses = train(batch, n_ops, config)
    seconds = time.perf_counter() - start
    meta = {**meta, "train_seconds": seconds, "losses": losses, "n_cells": len(batch)}
    if path is not None:
        save(path, model, meta)
    log.info(
        "arch2vec: trained the autoencoder on %d cells in %.1f s (final loss %.4f)%s",
        len(batch),
        seconds,
        losses[-1],
        f"; cached at {path}" if path is not None else "",
    )
    return model, meta, False
