"""What a cross-correlation heatmap shows, before it is drawn: the order of its
rows and columns, the triangle it keeps and the count behind each cell.

A correlation matrix is symmetric with ones on the diagonal, so only the part
below the diagonal is shown: the rows are the names after the first, the
columns the names before the last, and a cell is kept where its column comes
before its row. Targets (ground truths: ``val_accuracy`` and any other target of
the task) come first in the order given, so they form the first columns, apart
from the proxies; the proxies follow in the order of a hierarchical clustering,
which puts proxies that rank archs alike next to each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from naspred.errors import InvalidInputError


def cluster_order(rho: pd.DataFrame) -> list[str]:
    """The names of a square correlation matrix in hierarchical-clustering order.

    Average linkage on the distance ``1 - rho`` (not ``1 - |rho|``: proxies all
    read "higher = better", so two that rank archs in opposite orders disagree and
    are not grouped), leaves in SciPy's optimal order. A pair with no correlation
    (no common archs, or a constant score) counts as uncorrelated (distance 1).
    The names are sorted first, so the order depends on the values alone, not on
    the order the matrix came in.

    Args:
        rho: a square correlation matrix, rows and columns labelled alike.

    Returns:
        The names, clustered.
    """
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    names = sorted(rho.index)
    if len(names) < 3:
        return names
    dist = 1.0 - rho.reindex(index=names, columns=names).to_numpy(dtype=float)
    dist = np.nan_to_num(dist, nan=1.0)
    dist = np.clip((dist + dist.T) / 2.0, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), method="average", optimal_ordering=True)
    return [names[i] for i in leaves_list(tree)]


@dataclass(frozen=True)
class TriangleLayout:
    """The lower triangle of a correlation matrix, ready to draw.

    Attributes:
        values: correlations; rows are ``order[1:]``, columns ``order[:-1]``.
        counts: what each correlation rests on (archs, or tasks), shaped alike.
        mask: True where a cell is hidden (on or above the diagonal).
        n_targets: how many leading names of the order are targets.
    """

    values: pd.DataFrame
    counts: pd.DataFrame
    mask: np.ndarray
    n_targets: int

    @property
    def order(self) -> list[str]:
        """Every name, in the order shown."""
        return [str(self.values.columns[0]), *map(str, self.values.index)]


def lower_triangle(
    rho: pd.DataFrame, counts: pd.DataFrame, targets: Sequence[str] = ()
) -> TriangleLayout:
    """Order a square correlation matrix (targets first, proxies clustered) and keep
    its lower triangle.

    Args:
        rho: the square correlation matrix.
        counts: what each correlation rests on, labelled like ``rho``.
        targets: names kept first, in this order (those absent from ``rho`` are
            skipped); the other names are clustered (:func:`cluster_order`).

    Returns:
        The layout.

    Raises:
        InvalidInputError: fewer than two names, or ``counts`` lacks one of them.
    """
    names = list(rho.index)
    if len(names) < 2:
        raise InvalidInputError(
            f"a correlation heatmap needs two or more columns; got {names}: "
            "add a proxy or a target to the task"
        )
    missing = sorted(set(names) - set(counts.index) | set(names) - set(counts.columns))
    if missing:
        raise InvalidInputError(f"the counts lack {missing}; pass counts labelled like rho")
    first = [t for t in targets if t in names]
    rest = [n for n in names if n not in first]
    order = first + cluster_order(rho.loc[rest, rest])
    rows, cols = order[1:], order[:-1]
    # row k of the triangle is name k + 1: its cells end just before the diagonal
    mask = np.arange(len(cols))[None, :] > np.arange(len(rows))[:, None]
    return TriangleLayout(
        values=rho.loc[rows, cols],
        counts=counts.loc[rows, cols],
        mask=mask,
        n_targets=len(first),
    )
