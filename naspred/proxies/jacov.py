"""``jacov``: Jacobian covariance at initialisation.

Mellor et al., "Neural Architecture Search without Training", arXiv:2006.04647
v1 (2020), the score of its first version, in the sign of Abdelfattah et al.
(ICLR 2021) and NAS-Bench-Suite-Zero (``jacov``, higher = better): with ``J``
the gradients of the summed logits with respect to each input image, ``v`` the
eigenvalues of the correlation matrix of the rows of ``J`` and ``k = 1e-5``,
``score = -sum(log(v + k) + 1 / (v + k))``. It is largest (``-B`` for a batch
of ``B``) when the images' Jacobians are uncorrelated.
"""

from __future__ import annotations

import numpy as np

from naspred.errors import InvalidInputError
from naspred.proxies.engine import ProxyContext, register

_K = 1e-5


@register("jacov", needs=("input_grad",), paper="Mellor et al., arXiv:2006.04647v1, 2020")
def jacov(ctx: ProxyContext) -> float:
    """``-sum(log(v + k) + 1/(v + k))`` over eigenvalues of corrcoef(J)."""
    jac = ctx.input_grad.flatten(1).double().cpu().numpy()
    if not np.all(np.ptp(jac, axis=1) > 0):
        # e.g. a cell whose output does not depend on its input; Suite-Zero stores
        # -1e8 there, we keep it undefined (NaN, recorded as a failure)
        raise InvalidInputError("an input Jacobian is constant: the correlation is undefined")
    corr = np.corrcoef(jac)
    # the correlation matrix is symmetric: eigvalsh gives real eigenvalues
    v = np.linalg.eigvalsh(corr)
    return float(-np.sum(np.log(v + _K) + 1.0 / (v + _K)))
