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
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from naspred.errors import InvalidInputError

#: ``loss(prediction, target) -> scalar`` on one minibatch
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def pairwise_logistic_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of ``softplus(-(pred_i - pred_j))`` over the pairs with ``target_i > target_j``
    (0, with the graph kept, for a minibatch without such a pair)."""
    pred, target = pred.reshape(-1), target.reshape(-1)
    better = target[:, None] > target[None, :]
    if not bool(better.any()):
        return pred.sum() * 0.0
    return nn.functional.softplus(-(pred[:, None] - pred[None, :])[better]).mean()


LOSSES: dict[str, Loss] = {
    "l1": nn.functional.l1_loss,
    "mse": nn.functional.mse_loss,
    "pairwise": pairwise_logistic_loss,
}


def get_loss(name: str) -> Loss:
    """The loss called ``name`` (:data:`LOSSES`)."""
    if name not in LOSSES:
        raise InvalidInputError(f"loss must be one of {sorted(LOSSES)}, got {name!r}")
    return LOSSES[name]
