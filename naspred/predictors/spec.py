"""The one grammar for naming a predictor with its hyper-parameters.

A *spec* is ``NAME`` or ``NAME:OPTIONS``, where ``OPTIONS`` is a comma list of
``key=value`` items; values are read as ``true``/``false``, integers, floats, or
else strings. A predictor that declares a ``qualifier`` (the zero-cost predictor's
``proxy``) takes one bare first item as that hyper-parameter, so ``zc:synflow``
is short for ``zc:proxy=synflow`` and is also the spec's name in tables::

    xgb
    xgb:encoding=graph_features,n_estimators=200
    zc:synflow
    zc:zen,proxy_scale=1        (qualifier, then options)
    xgb:encoding=arch2vec,encoding_kw.source=trained
    ensemble:members=[xgb:encoding=graph_features,learning_rate=0.05; rf; wl_gp]

A dotted key sets one entry of a dict-valued hyper-parameter (``encoding_kw.source=
trained`` gives ``encoding_kw={"source": "trained"}``, the encoder's options); a value
in square brackets is a list whose items are separated by ``;`` (the ensemble's member
specs, which hold commas of their own; each item is read as a value, so ``[1; 2]``
gives integers). Commas inside brackets do not split options.

:func:`parse_spec` is used by :func:`~naspred.predictors.make_predictor`, by every
CLI ``--predictor`` option and by the studies, so a string that works in one
works in all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from naspred.errors import InvalidInputError

QUALIFIED = {"zc": "proxy"}  # predictor name -> hyper-parameter a bare first option sets


@dataclass(frozen=True)
class PredictorSpec:
    """A predictor name (``"xgb"``, or ``"zc:<proxy>"``) with hyper-parameters.

    Args:
        name: a registered predictor name, or ``zc:<proxy>``.
        params: hyper-parameters handed to the predictor's constructor.
        label: the name tables use instead of :attr:`id`.
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    @property
    def id(self) -> str:
        """The label tables and result stores use: ``label``, else ``name(k=v,...)``."""
        if self.label:
            return self.label
        extra = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.name}({extra})" if extra else self.name

    @classmethod
    def parse(cls, text: str) -> PredictorSpec:
        """The spec a string names (see the module docstring)."""
        return parse_spec(text)

    def constructor_args(self) -> tuple[str, dict[str, Any]]:
        """``(registered name, hyper-parameters)``: the qualifier of a qualified name
        (``zc:synflow``) becomes its hyper-parameter (``proxy="synflow"``)."""
        base, sep, qualifier = self.name.partition(":")
        params = dict(self.params)
        if sep:
            hyper = QUALIFIED.get(base)
            if hyper is None:
                raise InvalidInputError(
                    f"predictor {base!r} takes no qualifier ({self.name!r}); "
                    "give options as key=value"
                )
            if hyper in params and params[hyper] != qualifier:
                raise InvalidInputError(
                    f"{self.name!r} and {hyper}={params[hyper]!r} disagree; give one of them"
                )
            params[hyper] = qualifier
        return base, params


def parse_spec(text: str, params: Mapping[str, Any] | None = None) -> PredictorSpec:
    """Parse ``NAME[:OPTIONS]`` into a :class:`PredictorSpec`.

    Args:
        text: the spec string.
        params: more hyper-parameters (keyword arguments); one that the string also
            sets with another value is an error.

    Raises:
        InvalidInputError: an empty name, an option that is not ``key=value`` (other
            than a qualified predictor's first), or a key given twice.
    """
    name, _, rest = str(text).strip().partition(":")
    name = name.strip()
    if not name:
        raise InvalidInputError(f"predictor spec {text!r} has no name; e.g. 'xgb' or 'zc:synflow'")
    items = [item.strip() for item in _split(rest, ",", text) if item.strip()]
    if items and "=" not in items[0] and name in QUALIFIED:
        name = f"{name}:{items.pop(0)}"
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        path = [part.strip() for part in key.split(".")]
        if not sep or not all(path):
            raise InvalidInputError(
                f"bad predictor option {item!r} in {text!r}; use NAME:key=value,key=value "
                "(or zc:<proxy>; key.entry=value for a dict, key=[a; b] for a list)"
            )
        target = out
        for depth, part in enumerate(path[:-1]):
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise InvalidInputError(
                    f"option {'.'.join(path[: depth + 1])!r} in {text!r} is both a value "
                    "and a dict; give one of them"
                )
        if path[-1] in target:
            raise InvalidInputError(f"option {'.'.join(path)!r} given twice in {text!r}")
        target[path[-1]] = _value(value.strip(), text)
    for key, value in (params or {}).items():
        if key in out and out[key] != value:
            raise InvalidInputError(f"{key}={value!r} disagrees with {text!r}; give one of them")
        out[key] = value
    return PredictorSpec(name, out)


def _split(text: str, sep: str, spec: str) -> list[str]:
    """``text`` split at each ``sep`` outside square brackets."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise InvalidInputError(f"unbalanced ']' in predictor spec {spec!r}")
        elif char == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise InvalidInputError(f"unclosed '[' in predictor spec {spec!r}")
    return [*parts, text[start:]]


def _value(value: str, spec: str) -> Any:
    """An option's value: a ``[a; b]`` list as a tuple of values, else a literal."""
    if value.startswith("[") and value.endswith("]"):
        items = [item.strip() for item in _split(value[1:-1], ";", spec)]
        return tuple(_value(item, spec) for item in items if item)
    return _literal(value)


def _literal(value: str) -> Any:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value
