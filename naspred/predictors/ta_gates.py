"""TA-GATES: GATES whose operation embeddings are "trained" inside the encoder.

Ning, Zhou, Zhao, Zhao, Deng, Tang, Liang, Yang & Wang, "TA-GATES: An Encoding
Scheme for Neural Network Architectures", NeurIPS 2022. The authors' code is
github.com/walkerning/aw_nas (read at commit 732a00351017: the ``nb201-fbflow``
and ``nb101-fbflow`` embedders and ``examples/research/tagates``). This module is
our own implementation on top of :mod:`naspred.predictors.gates`.

The idea. In GATES an op is a fixed gate: every ``nor_conv_3x3`` of every cell
gates alike. In a trained network the same op ends up computing different things
depending on where it sits, because training updates its parameters from the
gradients that reach it. TA-GATES encodes a cell the way the cell trains: for
``time_steps`` steps it alternates

* a **forward pass**, GATES's information flow from the input node to the
  output node, each op node gated by *its own* current embedding
  ``sigmoid(e_v W_o)``;
* a **backward pass** from the output node back to the input, along the
  reversed edges: the output node starts from an MLP of its forward
  information, the other nodes from nothing, and the same kind of gated layers
  (their own weights) carry it one hop per layer;
* an **embedding update**, ``e_v <- e_v + 0.1 * MLP([e_v, f_v, b_v])`` from each
  node's embedding, its last forward state ``f_v`` (both detached, as the
  authors do) and its last backward state ``b_v``, for the nodes whose op has
  parameters (:attr:`TAGATESPredictor.update_ops`).

Every step reuses the same forward, backward and update modules. The
architecture's encoding is the output node's state after the last forward pass,
which the GATES head (an MLP with dropout) scores; training is GATES's, the
hinge ranking loss with margin 0.1.

On naspred's labelled DAG every edge op is a node of its own (see
:mod:`naspred.predictors.gates`), so the authors' two forms (NB201's edge
embeddings, NB101's node embeddings) are one node form here: the update of an
edge op of NB201 is the update of its node.

Departures from the authors:

* Symmetry breaking. Two nodes with the same op and the same position in the
  flow get the same updates; the authors break that tie with seven zero-cost
  features per edge, read from pickles they distribute but whose computation
  their code does not include. We offer their other option instead, Gaussian
  noise on the initial embeddings (``symmetry_noise``, their ``random``), drawn
  in training only so that a query is deterministic; off by default.
* Sizes and training: GATES's CPU defaults (layers of 64, a head of 2 x 128,
  minibatches of 64, 100 epochs, cosine decay) and 2 steps rather than their 4
  (measured in :class:`TAGATESPredictor`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import nn

from naspred.errors import InvalidInputError
from naspred.predictors._dense_graphs import DenseGraphs, last_node
from naspred.predictors.gates import GatesLayer, GatesNetwork, GATESPredictor
from naspred.predictors.registry import register_predictor


def _mlp(widths: Sequence[int]) -> nn.Sequential:
    """Linear layers of ``widths``, ReLU between them."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class TAGatesNetwork(GatesNetwork):
    """The TA-GATES encoder and GATES's head (the arguments GATES has are
    :class:`~naspred.predictors.gates.GatesNetwork`'s).

    Args:
        time_steps: forward passes; a backward pass and an update follow every
            one but the last (1: GATES with per-node gates).
        update_ops: labels of the ops whose embeddings are updated.
        update_scale: the step of the embedding update.
        update_hidden: units of the update MLP's hidden layer.
        symmetry_noise: std of the Gaussian noise added to the initial
            embeddings in training (0: none).
    """

    def __init__(
        self,
        vocab: Sequence[str],
        *,
        time_steps: int,
        update_ops: Sequence[str],
        update_scale: float,
        update_hidden: int,
        symmetry_noise: float,
        **gates: Any,
    ) -> None:
        super().__init__(vocab, **gates)
        if time_steps < 1:
            raise InvalidInputError(f"time_steps must be >= 1, got {time_steps}")
        if symmetry_noise < 0:
            raise InvalidInputError(f"symmetry_noise must be >= 0, got {symmetry_noise}")
        self.time_steps = time_steps
        self.update_scale = update_scale
        self.symmetry_noise = symmetry_noise
        self.register_buffer("update_col", torch.tensor([op in update_ops for op in vocab]).float())
        width, op_dim = gates["hidden"][-1], gates["op_dim"]
        if any(w != width for w in gates["hidden"]):
            raise InvalidInputError("TA-GATES's backward pass needs layers of one width")
        self.to_backward = _mlp([width, width, width])
        self.backward_layers = nn.ModuleList(
            GatesLayer(width, width, op_dim) for _ in gates["hidden"]
        )
        self.update = _mlp([op_dim + 2 * width, update_hidden, op_dim])

    @staticmethod
    def _flow(
        layers: nn.ModuleList,
        h: torch.Tensor,
        emb: torch.Tensor,
        keep: torch.Tensor,
        open_gate: torch.Tensor,
        aggregate: Any,
    ) -> torch.Tensor:
        """``h`` through gated ``layers``, each node gated by its own embedding."""
        for i, layer in enumerate(layers):
            support = layer.transform(h)
            gate = torch.sigmoid(layer.gate(emb))
            h = (gate * aggregate(support) + keep * support) * open_gate
            if i < len(layers) - 1:
                h = torch.relu(h)
        return h

    def _steps(
        self,
        x: torch.Tensor,
        is_output: torch.Tensor,
        forward_sum: Any,
        backward_sum: Any,
        output_state: Any,
        at_output: Any,
    ) -> torch.Tensor:
        """Node states after the last forward pass. ``is_output`` marks each
        graph's output node (``(..., nodes, 1)``); ``output_state`` picks those
        nodes' rows of a node tensor, one per graph, and ``at_output`` puts one
        row per graph back on those nodes (zero elsewhere)."""
        is_input = (x @ self.input_col)[..., None]
        open_gate = 1.0 - (x @ self.zero_col)[..., None]
        updated = (x @ self.update_col)[..., None]
        keep = is_input if self.residual == "input" else torch.ones_like(is_input)
        start = self.project(is_input * self.input_emb)
        emb = x @ self.op_emb.weight
        if self.training and self.symmetry_noise > 0:
            emb = emb + self.symmetry_noise * torch.randn_like(emb)
        for _ in range(self.time_steps - 1):
            h = self._flow(self.layers, start, emb, keep, open_gate, forward_sum)
            # the backward pass starts at the output node from its forward state
            b = at_output(self.to_backward(output_state(h)))
            b = self._flow(self.backward_layers, b, emb, is_output, open_gate, backward_sum)
            delta = self.update(torch.cat([emb.detach(), h.detach(), b], dim=-1))
            emb = emb + self.update_scale * updated * delta
        return self._flow(self.layers, start, emb, keep, open_gate, forward_sum)

    def node_states(self, batch: Any) -> torch.Tensor:
        """Every node's state after the last forward pass (shapes as
        :meth:`GatesNetwork.node_states`); GATES's readouts follow in ``embed``."""
        if isinstance(batch, DenseGraphs):
            last = batch.mask.sum(1) - 1
            is_output = torch.zeros_like(batch.mask, dtype=batch.x.dtype)
            is_output[torch.arange(len(last)), last] = 1.0
            reverse = batch.adj.transpose(1, 2)
            return self._steps(
                batch.x,
                is_output[..., None],
                lambda s: batch.adj @ s,
                lambda s: reverse @ s,
                lambda s: last_node(s, batch.mask),
                lambda row: is_output[..., None] * row[:, None, :],
            )
        src, dst = batch.edge_index
        # nodes are in topological order, so each graph's last node is its output
        outputs = batch.ptr[1:] - 1
        is_output = torch.zeros(batch.x.shape[0], 1, dtype=batch.x.dtype)
        is_output[outputs] = 1.0
        return self._steps(
            batch.x,
            is_output,
            lambda s: torch.zeros_like(s).index_add_(0, dst, s[src]),
            lambda s: torch.zeros_like(s).index_add_(0, src, s[dst]),
            lambda s: s[outputs],
            lambda row: torch.zeros(len(is_output), row.shape[-1]).index_copy(0, outputs, row),
        )


@register_predictor("ta_gates")
class TAGATESPredictor(GATESPredictor):
    """TA-GATES (Ning et al., "TA-GATES: An Encoding Scheme for Neural Network
    Architectures", NeurIPS 2022): GATES whose op embeddings are updated
    ``time_steps - 1`` times inside the encoder, from a forward pass of the
    information and a backward pass from the output node, as training updates an
    op's parameters (see :mod:`naspred.predictors.ta_gates`). The rest, the head,
    the hinge ranking loss and every GATES option, is :class:`GATESPredictor`'s.

    Args:
        time_steps: forward passes (1 is GATES with per-node gates). The
            authors use 4; on NB201 cifar10 at 1,000 training archs (seed 0, 500
            held-out archs) 4 steps ranked 0.895 in 36 s of CPU, 2 steps 0.891 in
            15 s, GATES 0.889 in 6 s.
        update_ops: ops whose embeddings are updated: ``"conv"`` (every label
            containing ``conv``, the authors' NAS-Bench-201 rule: the ops with
            parameters), ``"all"`` (every node, their NAS-Bench-101 one) or a tuple
            of labels.
        update_scale: the step ``0.1`` of the update ``e <- e + 0.1 * MLP(...)``.
        update_hidden: units of the update MLP's hidden layer (theirs: 128).
        symmetry_noise: std of Gaussian noise on the initial embeddings, in
            training only (0, the default, adds none).
    """

    description: ClassVar[str] = (
        "TA-GATES: GATES with op embeddings updated by forward/backward passes"
    )
    paper: ClassVar[str] = "Ning et al., TA-GATES, NeurIPS 2022"

    time_steps: int = 2
    update_ops: str | tuple[str, ...] = "conv"
    update_scale: float = 0.1
    update_hidden: int = 128
    symmetry_noise: float = 0.0

    def _updated_ops(self) -> tuple[str, ...]:
        if self.update_ops == "conv":
            return tuple(op for op in self.vocab_ if "conv" in op)
        if self.update_ops == "all":
            return tuple(self.vocab_)
        if self.update_ops is None:
            raise InvalidInputError(
                "update_ops=None: give 'conv', 'all' or op labels (a spec's bare "
                "update_ops=none reads as None)"
            )
        ops = (self.update_ops,) if isinstance(self.update_ops, str) else tuple(self.update_ops)
        unknown = sorted(set(ops) - set(self.vocab_))
        if unknown:
            raise InvalidInputError(
                f"update_ops {unknown} are not ops of these archs; their ops: {list(self.vocab_)}"
            )
        return ops

    def _build(self, in_dim: int) -> nn.Module:
        return TAGatesNetwork(
            self.vocab_,
            time_steps=self.time_steps,
            update_ops=self._updated_ops(),
            update_scale=self.update_scale,
            update_hidden=self.update_hidden,
            symmetry_noise=self.symmetry_noise,
            **self._network_args(in_dim),
        )
