"""An example zero-cost proxy of your own, for ``naspred compare``.

``last_layer_grad_norm`` is the ``grad_norm`` proxy (Abdelfattah et al., ICLR
2021) restricted to the classifier: the L2 norm of the cross-entropy gradient of
the last conv/linear layer's weights, at initialisation, on one minibatch.

Compare it with every baseline stored for NAS-Bench-201 on CIFAR-10 (60 archs,
a batch of 32 real CIFAR-10 images, 1,000 bootstrap resamples), from the
repository root::

    naspred compare docs/examples/my_proxy.py:last_layer_grad_norm \\
        --task nasbench201/cifar10 --suite-zero-dir ../shared/data/suite_zero \\
        --npz ../shared/data/cifar10_sample.npz --n-archs 60

or, from inside ``docs/examples``, ``naspred compare my_proxy:last_layer_grad_norm ...``.
Tables and figures go to ``results/compare/last_layer_grad_norm/`` (the committed
copy in ``tables/compare/`` was made with ``--out tables/compare/last_layer_grad_norm``). (Measured
there: Spearman -0.50 [-0.73, -0.22] with accuracy on those 60 archs -- the
classifier's gradient is *smaller* in better networks, so as written this proxy
ranks them backwards; the comparison says so at once.)

Writing a proxy. A proxy is a function ``fn(ctx) -> float`` of one
:class:`naspred.proxies.ProxyContext`; higher must mean "predicted better"
(negate a score that works the other way). ``ctx`` holds

* ``ctx.net`` -- the network, freshly initialised from the run's seed, train mode;
  ``ctx.fresh_copy()`` -- a copy with the initial weights, to modify freely;
* ``ctx.space``, ``ctx.arch``, ``ctx.dataset``, ``ctx.seed`` -- what it was built from;
* ``ctx.x``, ``ctx.y`` -- the minibatch (normalised images, integer labels);
* the *shared quantities*, computed once per arch for every proxy that asks, by
  listing them in the function's ``needs`` attribute (or ``ctx.require(...)``):
  ``"weight_grad"`` -> ``ctx.weights`` / ``ctx.weight_grads`` (every conv/linear
  weight and its cross-entropy gradient, module order), ``"input_grad"`` ->
  ``ctx.input_grad``, ``"act_grad"`` -> ``ctx.acts`` / ``ctx.act_grads``,
  ``"relu_codes"`` -> ``ctx.relu_kernel``, ``"hessian_grad"`` -> ``ctx.hessian_grads``.

The function is registered under its own name (or its ``proxy_name`` attribute)
when ``naspred compare`` imports it. Decorating it with
``@naspred.proxies.register(name, needs=...)`` works too and makes it a
registered proxy for every naspred command run after the import.
"""

from __future__ import annotations

import torch

from naspred.proxies import ProxyContext


def last_layer_grad_norm(ctx: ProxyContext) -> float:
    """L2 norm of d(cross-entropy)/d(classifier weights) at initialisation."""
    # weights are in module order: the classifier is the last conv/linear layer
    grad = ctx.weight_grads[-1]
    return float(torch.linalg.vector_norm(grad))


#: the shared quantities the proxy reads (see the module docstring)
last_layer_grad_norm.needs = ("weight_grad",)
