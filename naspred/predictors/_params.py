"""How a predictor declares its hyper-parameters, and how its docstring lists them.

A :class:`~naspred.predictors.base.Predictor` subclass declares each
hyper-parameter once, as an annotated class attribute with its default::

    class XGBoostPredictor(TreeEnsemblePredictor):
        n_estimators: int = model_param(500, search=IntRange(50, 500))
        learning_rate: float = model_param(0.3, search=LogUniform(0.01, 0.5))

and ``Predictor.__init_subclass__`` hands every subclass to
:func:`declare_hyperparameters`, which makes it a keyword-only dataclass (no
``__eq__``, no ``__repr__``: scikit-learn's are kept). So:

* the generated ``__init__`` takes one explicit keyword argument per
  hyper-parameter and stores it unchanged under its own name: what
  ``inspect.signature``, scikit-learn's ``get_params``/``set_params``/``clone``
  and :func:`~naspred.predictors.make_predictor` read;
* a hyper-parameter a family shares (``encoding``, ``seed``, ``tune``, a network's
  ``epochs``...) is declared once, in the family's base class; a subclass declares
  it again only to change its default, which keeps its place in the signature;
* :func:`model_param` marks the hyper-parameters handed to the underlying model
  (under the model's own argument name if it differs) with their tuning
  distribution, and :func:`hyper_param` one that tuning draws but that is not
  handed to the model as such (a network's width); so :func:`model_params` and
  :func:`sample_params` derive a predictor's model configuration and its
  random-search draws (keyed by hyper-parameter name, what ``set_params`` takes)
  instead of each predictor spelling them out. Draws follow the declaration
  order; the search itself is :mod:`naspred.predictors._tuning`'s;
* a subclass that declares such a hyper-parameter again with a bare default
  (``hidden: int = 144``) keeps the base class's declaration, model name and
  tuning distribution included, with the new default.

A subclass that writes its own ``__init__`` keeps it (dataclasses leave a
class's own ``__init__`` alone), so scikit-learn-style constructors still work.

Docstrings. A class's ``Args:`` section lists, as ``name: meaning``, the
hyper-parameters it declares or whose meaning it narrows. The class's
``__doc__`` is then rewritten to list every hyper-parameter of its signature,
in signature order, as ``name (type, default=value): meaning``: the type and
default from the declaration (so they cannot drift from the code), the meaning
from the class itself or else from the nearest base class that documents it.
A hyper-parameter no class documents is left out, which the contract tests
(``tests/test_contracts.py``) report.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any

import numpy as np

from naspred.errors import InvalidInputError

#: metadata key of :func:`model_param`: the model's name for the hyper-parameter
_MODEL = "naspred.model"
#: metadata key of :func:`model_param`: its tuning distribution
_SEARCH = "naspred.search"
#: class attribute holding the ``name -> meaning`` entries a class's docstring resolves
_DOCS = "_hyperparameter_docs"

_ENTRY = re.compile(r"^(\w+)(?: \([^)]*\))?:(?: (.*))?$")


class Distribution:
    """A tuning distribution; subclasses say how to draw."""

    def sample(self, rng: np.random.Generator) -> Any:
        """One draw from ``rng``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement sample()")


@dataclasses.dataclass(frozen=True)
class Range(Distribution):
    """A distribution over ``[low, high)``; subclasses say how to draw."""

    low: float
    high: float


class IntRange(Range):
    """Integers drawn uniformly from ``[low, high)`` (numpy's ``integers``)."""

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high))


class Uniform(Range):
    """Floats drawn uniformly from ``[low, high)``."""

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))


class LogUniform(Range):
    """Floats whose logarithm is uniform on ``[log(low), log(high))``."""

    def sample(self, rng: np.random.Generator) -> float:
        return float(np.exp(rng.uniform(np.log(self.low), np.log(self.high))))


class LogIntRange(Range):
    """Integers whose logarithm is uniform on ``[log(low), log(high))``, rounded down
    (NASLib's ``int(loguniform(low, high))`` for widths and batch sizes)."""

    def sample(self, rng: np.random.Generator) -> int:
        value = np.exp(rng.uniform(np.log(self.low), np.log(self.high)))
        return int(min(max(int(value), self.low), self.high - 1))


@dataclasses.dataclass(frozen=True)
class Choice(Distribution):
    """One of ``options``, drawn uniformly (numpy's ``integers`` over their indices)."""

    options: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not self.options:
            raise InvalidInputError("Choice needs at least one option")

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]


def model_param(
    default: Any, *, name: str | None = None, search: Distribution | None = None
) -> Any:
    """Declare a hyper-parameter that is handed to the predictor's model.

    Args:
        default: its default value (immutable: it is shared by every instance).
        name: the model's argument name, where it differs from the hyper-parameter's
            (LightGBM's ``colsample_bytree`` for ``feature_fraction``).
        search: the distribution tuning draws it from; None: tuning keeps the value.

    Returns:
        The dataclass field to assign in the class body.
    """
    return dataclasses.field(default=default, metadata={_MODEL: name, _SEARCH: search})


def hyper_param(default: Any, *, search: Distribution) -> Any:
    """Declare a hyper-parameter that tuning draws from ``search`` but that is not
    handed to the model as such (a network's width, a graph network's epochs).

    Args:
        default: its default value (immutable: it is shared by every instance).
        search: the distribution tuning draws it from.

    Returns:
        The dataclass field to assign in the class body.
    """
    return dataclasses.field(default=default, metadata={_SEARCH: search})


def model_params(predictor: Any) -> dict[str, Any]:
    """The values of ``predictor``'s :func:`model_param` hyper-parameters, keyed by the
    model's argument names, in declaration order."""
    return {
        f.metadata[_MODEL] or f.name: getattr(predictor, f.name)
        for f in dataclasses.fields(predictor)
        if _MODEL in f.metadata
    }


def search_space(predictor: Any) -> dict[str, Distribution]:
    """The tuning distribution of each hyper-parameter declared with one
    (:func:`model_param` or :func:`hyper_param`), keyed by the hyper-parameter's
    name, in declaration order."""
    return {
        f.name: f.metadata[_SEARCH]
        for f in dataclasses.fields(predictor)
        if f.metadata.get(_SEARCH) is not None
    }


def sample_params(predictor: Any, rng: np.random.Generator) -> dict[str, Any]:
    """One random configuration of ``predictor``: a draw from ``rng`` for each entry of
    :func:`search_space`, in its order, keyed by hyper-parameter name (what
    ``set_params`` takes)."""
    return {name: dist.sample(rng) for name, dist in search_space(predictor).items()}


def declare_hyperparameters(cls: type) -> type:
    """Make ``cls`` a keyword-only dataclass of its hyper-parameters and list them in
    its docstring (see the module docstring); returns ``cls``, changed in place."""
    own_doc = cls.__dict__.get("__doc__")
    _inherit_declarations(cls)
    dataclasses.dataclass(kw_only=True, eq=False, repr=False)(cls)
    docs: dict[str, list[str]] = {}
    for base in reversed(cls.__mro__[1:]):
        docs.update(base.__dict__.get(_DOCS, {}))
    if own_doc:
        before, entries, after = split_args_section(own_doc)
        docs.update(entries)
        cls.__doc__ = _render(before, _args_lines(cls, docs, entries), after)
    setattr(cls, _DOCS, docs)
    return cls


def _inherit_declarations(cls: type) -> None:
    """Give each hyper-parameter ``cls`` declares again with a bare default the base
    class's declaration (its model name and tuning distribution) with the new default,
    so that changing a default keeps the hyper-parameter handed to the model and tuned."""
    inherited: dict[str, dataclasses.Field] = {}
    for base in reversed(cls.__mro__[1:]):
        inherited.update(getattr(base, "__dataclass_fields__", {}))
    for name in cls.__dict__.get("__annotations__", {}):
        base_field = inherited.get(name)
        value = cls.__dict__.get(name, dataclasses.MISSING)
        if base_field is None or not base_field.metadata or isinstance(value, dataclasses.Field):
            continue
        if value is not dataclasses.MISSING:
            setattr(cls, name, dataclasses.field(default=value, metadata=base_field.metadata))


def split_args_section(doc: str) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """A Google-style docstring cut at its ``Args:`` section: the lines before it,
    its entries (``name -> [first line, continuation lines...]``, without the
    ``(type)`` part) and the lines after it. Without a section, every line is
    "before" and there are no entries."""
    lines = inspect.cleandoc(doc).splitlines()
    if "Args:" not in lines:
        return lines, {}, []
    start = lines.index("Args:")
    entries: dict[str, list[str]] = {}
    current: list[str] | None = None
    end = len(lines)
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if not line.strip():
            nxt = next((x for x in lines[i + 1 :] if x.strip()), "")
            if not nxt.startswith("    "):
                end = i
                break
            continue
        if not line.startswith("    "):
            end = i
            break
        match = _ENTRY.match(line[4:]) if not line.startswith("     ") else None
        if match:
            current = entries.setdefault(match.group(1), [])
            current.append(match.group(2) or "")
        elif current is not None:
            current.append(line.strip())
    return lines[:start], entries, lines[end:]


def _args_lines(cls: type, docs: dict[str, list[str]], own: dict[str, list[str]]) -> list[str]:
    fields = dataclasses.fields(cls)
    out = []
    for f in fields:
        if f.name in docs:
            kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
            out += _entry(f"{f.name} ({kind}, default={f.default!r})", docs[f.name])
    # an entry for something that is not a hyper-parameter stays, for the checks to see
    names = {f.name for f in fields}
    for name, text in own.items():
        if name not in names:
            out += _entry(name, text)
    return out


def _entry(head: str, text: list[str]) -> list[str]:
    first, *rest = text
    return [f"    {head}: {first}".rstrip()] + [f"        {line}" for line in rest]


def _render(before: list[str], args: list[str], after: list[str]) -> str:
    while before and not before[-1].strip():
        before = before[:-1]
    parts = ["\n".join(before)]
    if args:
        parts.append("\n".join(["Args:", *args]))
    if after and any(line.strip() for line in after):
        parts.append("\n".join(after).strip("\n"))
    return "\n\n".join(parts) + "\n"
