"""Training losses of the neural predictors, by name.

* ``"l1"``, ``"mse"``: regression on the standardised targets;
* ``"pairwise"``: a ranking loss. For every pair ``(i, j)`` of a minibatch whose
  targets order ``y_i > y_j``, the logistic loss ``log(1 + exp(-(f_i - f_j)))`` of
  the predicted difference (Burges et al., "Learning to rank using gradient
  descent", ICML 2005), averaged over the ordered pairs. Dudziak et al., "BRP-NAS:
  Prediction-based NAS using GCNs", NeurIPS 2020, train their predictor on such
  pairwise relations because NAS needs the order of archs, not their accuracy.
  The outputs are then scores whose order is meaningful and whose units are not
  (a predictor returns them in the targets' units only up to a monotone map).
* ``"hinge"``: the margin ranking loss ``max(0, m - (f_i - f_j))`` over the same
  pairs, with margin ``m`` = :data:`HINGE_MARGIN` (0.1), averaged over the ordered
  pairs. Ning, Zheng, Zhao, Wang & Yang, "A Generic Graph-based Neural
  Architecture Encoding Scheme for Predictor-based NAS" (GATES), ECCV 2020,
  train on it (their ``margin_linear`` comparison loss, margin 0.1): a pair
  ordered by more than the margin costs nothing, so the network spends its
  capacity on the pairs it gets wrong or nearly wrong. Scores, as ``"pairwise"``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from torch import nn

from naspred.errors import InvalidInputError

#: ``loss(prediction, target) -> scalar`` on one minibatch
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

#: the margin of ``loss="hinge"`` (GATES' default, on unnormalised scores)
HINGE_MARGIN = 0.1


def pairwise_logistic_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of ``softplus(-(pred_i - pred_j))`` over the pairs with ``target_i > target_j``
    (0, with the graph kept, for a minibatch without such a pair)."""
    pred, target = pred.reshape(-1), target.reshape(-1)
    better = target[:, None] > target[None, :]
    if not bool(better.any()):
        return pred.sum() * 0.0
    return nn.functional.softplus(-(pred[:, None] - pred[None, :])[better]).mean()


def pairwise_hinge_loss(
    pred: torch.Tensor, target: torch.Tensor, margin: float = HINGE_MARGIN
) -> torch.Tensor:
    """Mean of ``max(0, margin - (pred_i - pred_j))`` over the pairs with ``target_i >
    target_j`` (0, with the graph kept, for a minibatch without such a pair)."""
    pred, target = pred.reshape(-1), target.reshape(-1)
    better = target[:, None] > target[None, :]
    if not bool(better.any()):
        return pred.sum() * 0.0
    return torch.relu(margin - (pred[:, None] - pred[None, :])[better]).mean()


LOSSES: dict[str, Loss] = {
    "l1": nn.functional.l1_loss,
    "mse": nn.functional.mse_loss,
    "pairwise": pairwise_logistic_loss,
    "hinge": pairwise_hinge_loss,
}


def get_loss(name: str, margin: float | None = None) -> Loss:
    """The loss called ``name`` (:data:`LOSSES`); ``margin`` sets the hinge loss's
    margin (None: :data:`HINGE_MARGIN`).

    Raises:
        InvalidInputError: an unknown ``name``, or a ``margin`` for another loss.
    """
    if name not in LOSSES:
        raise InvalidInputError(f"loss must be one of {sorted(LOSSES)}, got {name!r}")
    if margin is None:
        return LOSSES[name]
    if name != "hinge":
        raise InvalidInputError(f"a margin applies to loss='hinge' only, not loss={name!r}")
    if not margin >= 0:
        raise InvalidInputError(f"the hinge loss's margin must be >= 0, got {margin!r}")
    return partial(pairwise_hinge_loss, margin=float(margin))
