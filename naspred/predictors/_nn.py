"""Feed-forward networks on an encoding, in PyTorch.

The module structure is the following:

* :class:`FeedForward` (the network), :func:`train_network` (its seeded Adam
  training loop, which leaves torch's global random state and thread count as it
  found them; it trains under :func:`naspred.parallel.network_compute`, one torch
  thread and denormals flushed, as the graph networks of
  :mod:`naspred.predictors._graph` do) and :func:`predict_network`.
* :class:`FeedForwardPredictor`, an
  :class:`~naspred.predictors._encoded.EncodedPredictor` on standardised features,
  declares the network's hyper-parameters (``num_layers`` hidden layers of
  ``layer_width`` units, ``epochs``, ``lr``, ``batch_size``) and turns them into
  :func:`train_network`'s arguments.
* Derived, each in its own module: ``mlp`` (one network), ``bananas`` (an
  ensemble, for an uncertainty) and ``dngo`` (a Bayesian linear regression on the
  last hidden layer, :mod:`naspred.predictors._blr`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from naspred.errors import InvalidInputError
from naspred.parallel import network_compute
from naspred.predictors._encoded import EncodedPredictor
from naspred.predictors._losses import get_loss
from naspred.predictors._params import Choice, IntRange, hyper_param, model_param

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class FeedForward(nn.Module):
    """Fully connected layers with an activation after each hidden layer; the last
    hidden representation is :meth:`features` (the basis DNGO regresses on)."""

    def __init__(self, in_dim: int, hidden: Sequence[int], activation: str = "relu") -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise InvalidInputError(
                f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
            )
        layers: list[nn.Module] = []
        width = in_dim
        for h in hidden:
            layers += [nn.Linear(width, h), _ACTIVATIONS[activation]()]
            width = h
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations, ``(n, width)``."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One prediction per row of ``x``, ``(n,)``."""
        return self.head(self.body(x)).squeeze(-1)


#: fewest held-out archs early stopping measures on; fewer: the full epochs, on all archs
MIN_VAL_ARCHS = 10


#: training sets of at least this many archs get :func:`auto_batch_size`'s large minibatches
LARGE_TRAIN = 500


def auto_batch_size(n: int) -> int:
    """The minibatch size ``batch_size=None`` trains ``n`` archs with: 32 (BANANAS')
    below :data:`LARGE_TRAIN` archs, else ``n // 4``, four minibatches an epoch.

    A step of these small networks costs about the same for 32 rows or 250, so
    at 1,000 archs an epoch takes 4 steps instead of 32 (6-7x faster at the same
    Kendall, :class:`FeedForwardPredictor`); on small sets so few steps rank worse
    (200 archs, one split: 0.01-0.03 lower Kendall for mlp, bananas, dngo at 4
    steps an epoch, 0.14 for dngo at 1), so they keep 32.
    """
    return 32 if n < LARGE_TRAIN else n // 4


def check_early_stopping(val_fraction: float, patience: int) -> None:
    """Raise a clear error for an early-stopping setting no trainer can use.

    Raises:
        InvalidInputError: ``val_fraction`` outside ``[0, 0.5]`` or ``patience`` < 1.
    """
    if not 0.0 <= float(val_fraction) <= 0.5:
        raise InvalidInputError(
            f"val_fraction must be in [0, 0.5] (0: no early stopping), got {val_fraction!r}"
        )
    if int(patience) < 1:
        raise InvalidInputError(f"patience must be >= 1 epoch, got {patience!r}")


def validation_size(n: int, val_fraction: float) -> int:
    """Archs held out for early stopping out of ``n``: ``round(val_fraction * n)``,
    or 0 (train the full epochs on all ``n``) when that is under
    :data:`MIN_VAL_ARCHS`, too few for a validation loss worth stopping on."""
    size = int(round(float(val_fraction) * n))
    return size if size >= MIN_VAL_ARCHS and size < n else 0


class BestEpoch:
    """Early stopping of stacked members: each member's lowest validation loss so
    far, its weights at that epoch, and whether its patience has run out.

    A member whose patience ran out is frozen here (later epochs can no longer
    become its best), so the weights it ends with are those it would end with if
    trained alone and stopped then; training goes on while any member is active.

    Args:
        params: the stacked parameters, each ``(members, ...)``.
        patience: epochs without a lower validation loss before a member stops.
    """

    def __init__(self, params: dict[str, torch.Tensor], patience: int) -> None:
        members = len(next(iter(params.values())))
        self.patience = int(patience)
        self.loss = torch.full((members,), float("inf"))
        self.epoch = torch.full((members,), -1, dtype=torch.long)
        self.waited = torch.zeros(members, dtype=torch.long)
        self.active = torch.ones(members, dtype=torch.bool)
        self.params = {k: v.detach().clone() for k, v in params.items()}

    def update(self, epoch: int, loss: torch.Tensor, params: dict[str, torch.Tensor]) -> bool:
        """Record epoch ``epoch``'s validation losses ``(members,)``; True while a
        member is still active."""
        better = self.active & (loss < self.loss)
        if bool(better.any()):
            for k, v in params.items():
                self.params[k][better] = v.detach()[better]
            self.loss = torch.where(better, loss, self.loss)
            self.epoch = torch.where(better, epoch, self.epoch)
        self.waited = torch.where(better, 0, self.waited + self.active.long())
        self.active &= self.waited < self.patience
        return bool(self.active.any())


def train_network(
    X: np.ndarray,
    z: np.ndarray,
    hidden: Sequence[int],
    *,
    activation: str = "relu",
    epochs: int = 200,
    lr: float = 0.01,
    batch_size: int | None = 32,
    weight_decay: float = 0.0,
    loss: str = "l1",
    val_fraction: float = 0.0,
    patience: int = 20,
    seed: int = 0,
    threads: int | None = 1,
) -> FeedForward:
    """Train a :class:`FeedForward` regressor with Adam; fully determined by ``seed``.

    Torch's global random state is forked and restored, so training leaves no
    trace in other code's random streams. One member of :func:`train_networks`.

    Args:
        X: features, ``(n, d)``.
        z: targets, ``(n,)``.
        hidden: widths of the hidden layers.
        activation: ``"relu"`` or ``"tanh"``.
        epochs: passes over the data (with early stopping: at most).
        lr: Adam's learning rate.
        batch_size: minibatch size (minibatches in a seeded random order); None:
            :func:`auto_batch_size` of the archs trained on.
        weight_decay: Adam's L2 weight decay.
        loss: ``"l1"``, ``"mse"``, ``"pairwise"`` or ``"hinge"`` (ranking losses
            over the minibatch's pairs; :mod:`naspred.predictors._losses`).
        val_fraction: share of the archs held out for early stopping, in
            ``[0, 0.5]``; 0: none, train all ``epochs`` on every arch.
        patience: epochs without a lower validation loss before training stops.
        seed: seed of the initialisation, the minibatch order and the held-out archs.
        threads: torch's intra-op threads for the duration (restored after); None:
            as they are.

    Returns:
        The trained network, in eval mode.

    Raises:
        InvalidInputError: an unknown ``loss`` or ``activation``, or a bad
            early-stopping setting.
    """
    (model,) = train_networks(
        X,
        z,
        hidden,
        seeds=[seed],
        activation=activation,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        weight_decay=weight_decay,
        loss=loss,
        val_fraction=val_fraction,
        patience=patience,
        threads=threads,
    )
    return model


def train_networks(
    X: np.ndarray,
    z: np.ndarray,
    hidden: Sequence[int],
    *,
    seeds: Sequence[int],
    activation: str = "relu",
    epochs: int = 200,
    lr: float = 0.01,
    batch_size: int | None = 32,
    weight_decay: float = 0.0,
    loss: str = "l1",
    val_fraction: float = 0.0,
    patience: int = 20,
    threads: int | None = 1,
) -> list[FeedForward]:
    """One :class:`FeedForward` per seed, all trained at once as one stacked model.

    Member ``i`` is initialised from ``seeds[i]`` and sees the minibatches in the
    order ``seeds[i]`` draws, exactly as if trained alone; the members' weights are
    stacked along a leading axis and run with ``torch.func.vmap``, so one forward
    and backward per step serves the whole ensemble (Adam, elementwise, then
    updates each member as its own optimiser would). The same predictions as
    training them one by one, to float rounding, in a fraction of the time.

    Early stopping (``val_fraction > 0``): each member holds out its own seeded
    ``val_fraction`` of the archs (:func:`validation_size`), trains on the rest,
    measures its loss on them after every epoch and ends with the weights of its
    lowest one, stopping once ``patience`` epochs bring no lower one
    (:class:`BestEpoch`); ``epochs`` is then the most it trains.

    Args:
        X: features, ``(n, d)``.
        z: targets, ``(n,)``.
        hidden: widths of the hidden layers.
        seeds: one seed per member (initialisation, minibatch order, held-out archs).
        activation: ``"relu"`` or ``"tanh"``.
        epochs: passes over the data (with early stopping: at most).
        lr: Adam's learning rate.
        batch_size: minibatch size (minibatches in a seeded random order); None:
            :func:`auto_batch_size` of the archs trained on.
        weight_decay: Adam's L2 weight decay.
        loss: ``"l1"``, ``"mse"``, ``"pairwise"`` or ``"hinge"``
            (:mod:`naspred.predictors._losses`).
        val_fraction: share of the archs held out for early stopping, in
            ``[0, 0.5]``; 0: none, train all ``epochs`` on every arch.
        patience: epochs without a lower validation loss before a member stops.
        threads: torch's intra-op threads for the duration (restored after); None:
            as they are.

    Returns:
        The trained networks, in ``seeds`` order, in eval mode; each one's
        ``best_epoch`` is the (0-based) epoch whose weights it ends with, None
        without early stopping.

    Raises:
        InvalidInputError: an unknown ``loss`` or ``activation``, no seeds, a
            ``batch_size`` below 1, or a bad early-stopping setting
            (:func:`check_early_stopping`).
    """
    from torch.func import functional_call, stack_module_state, vmap

    if not len(seeds):
        raise InvalidInputError("train_networks needs at least one seed")
    check_early_stopping(val_fraction, patience)
    if batch_size is not None and int(batch_size) < 1:
        raise InvalidInputError(
            f"batch_size must be >= 1 (or None: by the training-set size), got {batch_size!r}"
        )
    loss_fn = get_loss(loss)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    zt = torch.as_tensor(z, dtype=torch.float32)
    n, k = len(Xt), len(seeds)
    n_val = validation_size(n, val_fraction)
    with torch.random.fork_rng(devices=[]), network_compute(threads):
        members = []
        for seed in seeds:
            torch.manual_seed(seed)
            members.append(FeedForward(Xt.shape[1], hidden, activation))
        params, _ = stack_module_state(members)
        skeleton = members[0]

        def one(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
            return functional_call(skeleton, p, (x,))

        def forward(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
            if k == 1:  # vmap's overhead doubles a lone network's time
                return one({name: v[0] for name, v in p.items()}, x[0])[None]
            return vmap(one)(p, x)

        opt = torch.optim.Adam(list(params.values()), lr=lr, weight_decay=weight_decay)
        orders = [torch.Generator().manual_seed(seed) for seed in seeds]
        if n_val:
            # each member's held-out archs: its generator's first draw
            split = torch.stack([torch.randperm(n, generator=g) for g in orders])
            rows, val_rows = split[:, n_val:], split[:, :n_val]
            best = BestEpoch(params, patience)
        else:
            rows = torch.arange(n).expand(k, n)
        n_train = rows.shape[1]
        batch_size = auto_batch_size(n_train) if batch_size is None else int(batch_size)
        for epoch in range(int(epochs)):
            perms = torch.stack([torch.randperm(n_train, generator=g) for g in orders])
            perms = rows.gather(1, perms)
            for start in range(0, n_train, batch_size):
                idx = perms[:, start : start + batch_size]
                opt.zero_grad()
                pred = forward(params, Xt[idx])
                target = zt[idx]
                # each member's own loss; their sum gives each member its own gradient
                sum(loss_fn(pred[m], target[m]) for m in range(k)).backward()
                opt.step()
            if n_val:
                with torch.no_grad():
                    pred, target = forward(params, Xt[val_rows]), zt[val_rows]
                    val = torch.stack([loss_fn(pred[m], target[m]) for m in range(k)])
                if not best.update(epoch, val, params):
                    break
        final = best.params if n_val else params
        for m, member in enumerate(members):
            member.load_state_dict({name: v[m].detach().clone() for name, v in final.items()})
            # the epoch whose weights it ends with (None: no early stopping, the last)
            member.best_epoch = int(best.epoch[m]) if n_val else None
            member.eval()
    return members


@torch.no_grad()
def predict_network(model: FeedForward, X: np.ndarray) -> np.ndarray:
    """The network's outputs for ``X`` as a float64 vector."""
    return model(torch.as_tensor(X, dtype=torch.float32)).double().numpy()


class FeedForwardPredictor(EncodedPredictor):
    """A predictor whose model is one or more :class:`FeedForward` networks on the
    standardised encoding (the defaults are the BANANAS network's, White et al.,
    AAAI 2021, but for the minibatch size).

    Tuning draws ``num_layers`` and ``layer_width`` from 5..24 and ``lr`` from
    {0.1, 0.01, 0.005, 0.001, 0.0001}, the ranges of NASLib's ``MLPPredictor``
    (``naslib/predictors/mlp.py``, ``set_random_hyperparams``, commit 0b51bc18),
    which BANANAS's ensemble members are there too.

    Args:
        num_layers: hidden layers.
        layer_width: units of each hidden layer.
        epochs: training epochs (passes over the training archs).
        lr: Adam's learning rate.
        batch_size: minibatch size; None (the default): BANANAS' 32 below 500
            training archs, four minibatches an epoch from there
            (:func:`auto_batch_size`). On NB201 CIFAR-10 at 1,000 training archs
            (1,000 held-out archs, 200 epochs) minibatches of 256 ranked as well
            as 32: mlp Kendall 0.769 vs 0.770 (mean of 3 splits, 6.7x faster),
            dngo 0.733 vs 0.639; ``perf/predictors.py --speed`` measures it.
        val_fraction: share of the training archs held out for early stopping
            (:func:`train_networks`; 0: none, all ``epochs`` on every arch). Off by
            default: on the split above, 10% held out with patience 20 (or 50)
            cost mlp 0.024 (0.013) Kendall at 1,000 archs, more than it saved.
        patience: epochs without a lower validation loss before training stops.
    """

    scale_features: ClassVar[bool] = True

    num_layers: int = hyper_param(10, search=IntRange(5, 25))
    layer_width: int = hyper_param(20, search=IntRange(5, 25))
    epochs: int = model_param(200)
    lr: float = model_param(0.01, search=Choice((0.1, 0.01, 0.005, 0.001, 0.0001)))
    batch_size: int | None = model_param(None)
    val_fraction: float = model_param(0.0)
    patience: int = model_param(20)

    def _default_params(self) -> dict[str, Any]:
        return {"hidden": [self.layer_width] * self.num_layers, **super()._default_params()}
