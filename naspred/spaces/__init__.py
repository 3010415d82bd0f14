"""Search spaces: arch value types, sampling, mutation, canonical keys, DAG views,
and PyTorch network builders. ``get_space(name)`` returns one by its benchmark name."""

from __future__ import annotations

from importlib import import_module

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


def space_names() -> list[str]:
    """The benchmark names :func:`get_space` accepts, sorted."""
    return sorted(_SPACES)


def get_space(name: str) -> SearchSpace:
    """The search space called ``name`` (e.g. ``"nasbench201"``)."""
    if name not in _SPACES:
        raise UnknownNameError(f"unknown search space {name!r}; known: {', '.join(space_names())}")
    module, cls = _SPACES[name].split(":")
    return getattr(import_module(module), cls)()


__all__ = ["Arch", "ArchKeyError", "LabelledDAG", "SearchSpace", "get_space", "space_names"]
