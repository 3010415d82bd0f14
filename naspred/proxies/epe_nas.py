"""``epe_nas``: per-class Jacobian correlation.

Lopes, Alirezazadeh & Alexandre, "EPE-NAS: Efficient Performance Estimation
Without Training for Neural Architecture Search", ICANN 2021, as
NAS-Bench-Suite-Zero computes it: the input Jacobians ``J`` of the summed logits
(as for ``jacov``) are grouped by label; for each class ``c`` with at least two
images, ``s_c = sum log(|corrcoef(J_c)| + k)`` with ``k = 1e-5`` (divided by the
matrix size when there are more than 100 classes); the score is
``sum_c |s_c|`` for up to 100 classes, else ``sum_{c,c'} |s_c - s_c'|`` over the
number of classes seen. Classes with a single image have no correlation and are
skipped.
"""

from __future__ import annotations

import numpy as np

from naspred.errors import InvalidInputError
from naspred.proxies.engine import ProxyContext, register

_K = 1e-5


@register("epe_nas", needs=("input_grad",), paper="Lopes et al., ICANN 2021")
def epe_nas(ctx: ProxyContext) -> float:
    """Sum over classes of ``|sum log(|corr(J_c)| + k)|`` (see the module docstring)."""
    jac = ctx.input_grad.flatten(1).double().cpu().numpy()
    labels = ctx.y.cpu().numpy()
    n_classes = int(ctx.space.num_classes(ctx.dataset)) if hasattr(ctx.space, "num_classes") else 0
    if not np.all(np.ptp(jac, axis=1) > 0):
        raise InvalidInputError("an input Jacobian is constant: the correlation is undefined")
    per_class = []
    for c in np.unique(labels):
        rows = jac[labels == c]
        if len(rows) < 2:
            continue
        s = float(np.sum(np.log(np.abs(np.corrcoef(rows)) + _K)))
        if n_classes > 100:
            s /= len(rows)
        per_class.append(s)
    if not per_class:
        return float("nan")
    s = np.asarray(per_class)
    if n_classes <= 100:
        return float(np.abs(s).sum())
    return float(np.abs(s[:, None] - s[None, :]).sum() / len(s))
