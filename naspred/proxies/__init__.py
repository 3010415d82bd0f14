"""Zero-cost proxies and the batched scoring engine.

``score_archs(space, archs, proxies, dataset, batch, seed, device)`` scores many
architectures with many proxies (see :mod:`naspred.proxies.engine`);
:mod:`naspred.data.images` provides the minibatches. Every proxy is one module
here, registered by name; ``proxy_names()`` lists them.
"""

from __future__ import annotations

from naspred.proxies.engine import (
    Proxy,
    ProxyContext,
    ProxyFailure,
    get_proxy,
    own_batch_sizes,
    proxy_names,
    register,
    score_archs,
)

# importing a proxy module registers it
from naspred.proxies import (  # noqa: E402, F401  isort: skip
    az_nas,
    epe_nas,
    fisher,
    flops,
    grad_norm,
    gradsign,
    grasp,
    jacov,
    l2_norm,
    meco,
    nwot,
    params,
    plain,
    snip,
    swap,
    synflow,
    te_nas,
    voting,
    vkdnw,
    zen,
    zico,
)

__all__ = [
    "Proxy",
    "ProxyContext",
    "ProxyFailure",
    "get_proxy",
    "own_batch_sizes",
    "proxy_names",
    "register",
    "score_archs",
]
