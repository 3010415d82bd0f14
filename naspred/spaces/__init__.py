"""Search spaces: arch value types, sampling, mutation, canonical keys, DAG views,
and PyTorch network builders. ``get_space(name)`` returns one by its benchmark name;
``parse_arch(x, space)`` turns any form of an arch a user holds into an ``Arch``."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import import_module
from typing import Any

from naspred.errors import ArchKeyError, UnknownNameError
from naspred.spaces.base import Arch, LabelledDAG, SearchSpace

# name (as in the Suite-Zero files) -> "module:class"; imported on first use so
# that loading a benchmark does not pull in every network definition.
_SPACES: dict[str, str] = {
    "nasbench201": "naspred.spaces.nasbench201:NasBench201Space",
    "nasbench101": "naspred.spaces.nasbench101:NasBench101Space",
    "nasbench301": "naspred.spaces.darts:DartsSpace",
    "transbench101_micro": "naspred.spaces.transnas:TransNasMicroSpace",
    "transbench101_macro": "naspred.spaces.transnas:TransNasMacroSpace",
    "nasbench_graph": "naspred.spaces.nasbench_graph:NasBenchGraphSpace",
}


#: the spaces whose record files key some archs otherwise than naspred (their class
#: overrides :meth:`SearchSpace.record_key`); the others keep their keys without their
#: module (and torch) being imported, so that reading records stays light
_RECORD_KEYS_DIFFER = frozenset({"transbench101_micro"})


def space_names() -> list[str]:
    """The benchmark names :func:`get_space` accepts, sorted."""
    return sorted(_SPACES)


def get_space(name: str) -> SearchSpace:
    """The search space called ``name`` (e.g. ``"nasbench201"``)."""
    return _space_class(name)()


def arch_type(space: str) -> type[Arch]:
    """The arch class of a space, without building the space.

    Args:
        space: the search space's name (``"nasbench201"``).
    """
    return _space_class(space).arch_type


def record_key(space: str, dataset: str, key: str, *, to_file: bool = False) -> str:
    """A record file's key as naspred's (or, ``to_file``, back): see
    :meth:`SearchSpace.record_key`. A space naspred does not know keeps its keys.

    Args:
        space: the record's space in the file.
        dataset: the record's dataset in the file.
        key: the key, in the file's convention (naspred's with ``to_file``).
        to_file: translate naspred's key into the file's.
    """
    if space not in _RECORD_KEYS_DIFFER:
        return key
    return _space_class(space).record_key(key, dataset, to_file=to_file)


@cache
def _space_class(name: str) -> type[SearchSpace]:
    if name not in _SPACES:
        raise UnknownNameError(f"unknown search space {name!r}; known: {', '.join(space_names())}")
    module, cls = _SPACES[name].split(":")
    return getattr(import_module(module), cls)


def parse_arch(value: Any, space: str | None = None) -> Arch:
    """The :class:`Arch` that ``value`` describes, in any form a user may hold.

    With ``space``, ``value`` may be an arch of that space, its Suite-Zero key or a
    native form of the space (see :meth:`Arch.from_key`). Without it, the form must
    tell the space: an :class:`Arch`, an NB201/NATS arch string (it starts with
    ``|``), a DARTS ``Genotype`` (NAS-Bench-301), an NB101 ``(matrix, ops)`` spec, a
    TransNAS-Bench-101 string. Suite-Zero keys need their space (NB201 and
    TransNAS-Bench-101 keys share the tuple layout).

    Args:
        value: the arch, in one of the forms above.
        space: the search space's name (``"nasbench201"``), or None to tell it
            from the form.

    Raises:
        ArchKeyError: ``value`` is no arch of ``space``; or, without ``space``, its
            form does not tell the space (the message asks for it and names the
            spaces that read it).
        WrongTypeError: ``value`` is an arch of another space than ``space``.
    """
    if space is not None:
        return arch_type(space).from_key(value)
    if isinstance(value, Arch):
        return value
    return _resolve_space_less(value)


def parse_archs(values: Iterable[Any], space: str | None = None) -> list[Arch]:
    """:func:`parse_arch` of each of ``values``, the space looked up once.

    Args:
        values: archs in any of the forms :func:`parse_arch` reads.
        space: the search space's name, or None to tell it from each form.
    """
    if space is None:
        return [parse_arch(v) for v in values]
    cls = arch_type(space)
    return [cls.from_key(v) for v in values]


def _resolve_space_less(value: Any) -> Arch:
    found: dict[str, Arch] = {}
    refused: dict[str, ArchKeyError] = {}
    for name in space_names():
        try:
            arch = arch_type(name)._from_native(value)
        except ArchKeyError as err:  # the shape of this space's form, but no arch of it
            refused[name] = err
            continue
        if arch is not None:
            found[name] = arch
    if len(found) == 1:
        return next(iter(found.values()))
    if not found and len(refused) == 1:
        raise next(iter(refused.values()))
    shown = repr(value) if len(repr(value)) <= 120 else repr(value)[:117] + "..."
    if found or refused:
        raise ArchKeyError(
            f"{shown} reads as an arch of several spaces ({', '.join(sorted(found or refused))}); "
            "pass space= to say which"
        )
    readers = [n for n in space_names() if isinstance(value, str) and _reads_key(n, value)]
    which = (
        f"Suite-Zero keys do not name their space (this is a key of {', '.join(readers)})"
        if readers
        else "no space reads it as a key or native form"
    )
    raise ArchKeyError(
        f"cannot tell the search space of {shown}: {which}; name the space (space=, or "
        f"get_space(name).from_key(key); spaces: {', '.join(space_names())}) or give a "
        "form that names it (an Arch, an NB201 arch string '|op~0|+...', a DARTS "
        "Genotype, an NB101 (matrix, ops) spec)"
    )


def _reads_key(space: str, key: str) -> bool:
    try:
        arch_type(space)._parse_key(key)
    except ArchKeyError:
        return False
    return True


__all__ = [
    "Arch",
    "ArchKeyError",
    "LabelledDAG",
    "SearchSpace",
    "arch_type",
    "get_space",
    "parse_arch",
    "record_key",
    "parse_archs",
    "space_names",
]
