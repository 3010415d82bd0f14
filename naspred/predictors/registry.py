"""Predictors by name: registration, construction and the one-line-each listing."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pandas as pd

from naspred.errors import InvalidInputError, UnknownNameError, WrongTypeError
from naspred.predictors.base import Predictor, ZeroCostPredictor

_PREDICTORS: dict[str, type[Predictor]] = {}


def register_predictor(name: str) -> Callable[[type[Predictor]], type[Predictor]]:
    """Class decorator: make a :class:`Predictor` available as ``make_predictor(name)``.

    Args:
        name: the registry name (sets the class's ``name``).

    Returns:
        The decorator, which returns the class unchanged otherwise.

    Raises:
        InvalidInputError: the name is taken by another class, or the class has no
            ``description`` or ``paper``.
    """

    def decorate(cls: type[Predictor]) -> type[Predictor]:
        if name in _PREDICTORS and _PREDICTORS[name] is not cls:
            raise InvalidInputError(
                f"predictor {name!r} is already registered by {_PREDICTORS[name]}"
            )
        if not cls.description or not cls.paper:
            raise InvalidInputError(f"predictor {name!r} needs a one-line description and a paper")
        cls.name = name
        _PREDICTORS[name] = cls
        return cls

    return decorate


register_predictor("zc")(ZeroCostPredictor)


def predictor_names() -> list[str]:
    """Registered predictor names, sorted."""
    return sorted(_PREDICTORS)


def model_based_predictors() -> list[str]:
    """Registered predictors that learn from (arch, accuracy) pairs alone: no stored
    proxy scores, learning curves or networks needed — the predictor study's default."""
    out = []
    for name in predictor_names():
        needs = make_predictor(name).needs
        if not (needs.proxies or needs.curve_epochs or needs.network):
            out.append(name)
    return out


def predictor_class(name: str) -> type[Predictor]:
    """The class registered as ``name``.

    Raises:
        UnknownNameError: no predictor is registered under ``name``.
    """
    if name not in _PREDICTORS:
        raise UnknownNameError(f"unknown predictor {name!r}; known: {', '.join(predictor_names())}")
    return _PREDICTORS[name]


def make_predictor(
    name: str, encoding: str | None = None, seed: int = 0, **hyper: Any
) -> Predictor:
    """A fresh predictor by spec, e.g. ``make_predictor("xgb", encoding="adjacency", seed=0)``.

    Args:
        name: a predictor spec in the grammar of :mod:`naspred.predictors.spec`:
            ``"xgb"``, ``"xgb:encoding=graph_features"``, ``"zc:synflow"`` (short for
            ``make_predictor("zc", proxy="synflow")``).
        encoding: the encoding of an encoded predictor; None keeps its default.
        seed: the predictor's seed (ignored by predictors that have none).
        **hyper: the predictor's hyper-parameters (see its class docstring).

    Raises:
        UnknownNameError: no predictor is registered under the name.
        WrongTypeError: a hyper-parameter the predictor does not have.
    """
    from naspred.predictors.spec import parse_spec

    if encoding is not None:
        hyper["encoding"] = encoding
    base, params = parse_spec(name, hyper).constructor_args()
    cls = predictor_class(base)
    accepted = inspect.signature(cls.__init__).parameters
    if "encoding" in params and "encoding" not in accepted:
        raise WrongTypeError(f"predictor {base!r} takes no encoding (it reads {cls().needs})")
    if "seed" in accepted and "seed" not in params:
        params["seed"] = seed
    unknown = sorted(set(params) - set(accepted))
    tuning = sorted(u for u in unknown if u.startswith("tune"))
    if tuning:
        raise WrongTypeError(
            f"predictor {base!r} learns nothing from training archs, so it has nothing to "
            f"tune; drop {tuning}"
        )
    if unknown:
        known = [p for p in accepted if p != "self"]
        raise WrongTypeError(
            f"predictor {base!r} has no hyper-parameter(s) {unknown}; it has {known}"
        )
    return cls(**params)


def list_predictors() -> pd.DataFrame:
    """One row per registered predictor: name, description, probabilistic, needs
    (with default hyper-parameters), paper."""
    rows = []
    for name in predictor_names():
        cls = _PREDICTORS[name]
        rows.append(
            {
                "name": name,
                "description": cls.description,
                "probabilistic": bool(cls.probabilistic),
                "needs": str(cls().needs),
                "paper": cls.paper,
            }
        )
    return pd.DataFrame(rows, columns=["name", "description", "probabilistic", "needs", "paper"])
