"""The EDRL -> MEA block contract: how a feature matrix says which columns form which block.

A :class:`BlockLayout` is an ordered list of named, consecutive column blocks, for example
``intra`` (32 columns), ``inter`` (32) and ``input`` (88). A producer (``EDRLTransformer``)
publishes its layout three ways, so that a consumer (``MEATransformer(blocks="auto")``) finds
it whatever the output container is:

* feature names ``<block>__<name>`` (``get_feature_names_out`` and pandas columns);
* a fitted ``block_sizes_`` dict on the producer;
* for plain numpy output, a :class:`LayoutArray`, an ``ndarray`` subclass that carries the
  layout, survives row indexing, pickling and ``joblib.Memory`` caching, and otherwise behaves
  as the array it is. Any numpy operation that changes the number of columns makes the carried
  layout stale; :func:`find_layout` then ignores it rather than trusting it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEPARATOR = "__"


@dataclass(frozen=True)
class BlockLayout:
    """Named consecutive column blocks.

    Parameters
    ----------
    names : tuple of str
        Block names, in column order.
    sizes : tuple of int
        Number of columns of each block.
    """

    names: tuple
    sizes: tuple

    def __post_init__(self):
        names, sizes = tuple(str(n) for n in self.names), tuple(int(s) for s in self.sizes)
        if len(names) != len(sizes):
            raise ValueError(f"{len(names)} block names but {len(sizes)} block sizes.")
        if len(set(names)) != len(names):
            raise ValueError(f"Block names must be unique, got {list(names)}.")
        if any(s < 1 for s in sizes):
            raise ValueError(f"Every block needs at least one column, got sizes {list(sizes)}.")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "sizes", sizes)

    @property
    def n_features(self) -> int:
        return int(sum(self.sizes))

    def indices(self) -> list:
        """Column indices of every block, in order."""
        stops = np.cumsum(self.sizes)
        return [np.arange(stop - size, stop) for size, stop in zip(self.sizes, stops)]

    def as_dict(self) -> dict:
        return dict(zip(self.names, self.sizes))


def layout_from_feature_names(feature_names) -> BlockLayout | None:
    """Group ``<block>__<name>`` feature names into consecutive blocks.

    Returns None when any name lacks the separator, or when a block name reappears after
    another block (the blocks would not be consecutive).

    >>> layout_from_feature_names(["intra__0", "intra__1", "input__f0"])
    BlockLayout(names=('intra', 'input'), sizes=(2, 1))
    >>> layout_from_feature_names(["x0", "x1"]) is None
    True
    """
    if feature_names is None:
        return None
    names, sizes = [], []
    for feature in feature_names:
        feature = str(feature)
        if SEPARATOR not in feature:
            return None
        block = feature.split(SEPARATOR, 1)[0]
        if names and names[-1] == block:
            sizes[-1] += 1
        elif block in names:
            return None
        else:
            names.append(block)
            sizes.append(1)
    if not names:
        return None
    return BlockLayout(tuple(names), tuple(sizes))


def prefixed_feature_names(layout: BlockLayout, block_feature_names: dict) -> np.ndarray:
    """Feature names ``<block>__<name>`` for every block of ``layout``.

    ``block_feature_names`` maps a block name to its column names; blocks it does not name are
    numbered ``<block>__0`` ... .
    """
    out = []
    for name, size in zip(layout.names, layout.sizes):
        inner = block_feature_names.get(name)
        inner = range(size) if inner is None else inner
        out.extend(f"{name}{SEPARATOR}{feature}" for feature in inner)
    return np.asarray(out, dtype=object)


class LayoutArray(np.ndarray):
    """A 2-D ``ndarray`` that carries the :class:`BlockLayout` of its columns.

    Row indexing, copies and ufuncs keep the layout; pickling keeps it too. Indexing that
    selects or reorders columns drops it (a reordering keeps the width, so the layout could not
    be told stale from it). Everything that
    accepts an ``ndarray`` accepts a ``LayoutArray``; ``np.asarray`` turns it back into a plain
    array.
    """

    def __new__(cls, data, layout: BlockLayout):
        obj = np.asarray(data).view(cls)
        obj.layout = layout
        return obj

    def __array_finalize__(self, obj):
        self.layout = getattr(obj, "layout", None)

    def __getitem__(self, key):
        out = super().__getitem__(key)
        if isinstance(out, LayoutArray) and not _selects_rows_only(key):
            out.layout = None
        return out

    def __reduce__(self):
        constructor, args, state = super().__reduce__()
        return constructor, args, (state, self.layout)

    def __setstate__(self, state):
        array_state, layout = state
        super().__setstate__(array_state)
        self.layout = layout


def _selects_rows_only(key) -> bool:
    """True for an index that keeps every column in place: ``X[rows]`` or ``X[rows, :]``."""
    if not isinstance(key, tuple):
        return key is not None and key is not Ellipsis
    if len(key) == 1:
        return _selects_rows_only(key[0])
    return (
        len(key) == 2
        and _selects_rows_only(key[0])
        and isinstance(key[1], slice)
        and key[1] == slice(None)
    )


def find_layout(X) -> BlockLayout | None:
    """The block layout that ``X`` carries, or None.

    Looks at a :class:`LayoutArray`'s layout first, then at DataFrame column names. A carried
    layout whose width differs from ``X``'s is stale (columns were selected or added after it was
    attached) and is ignored.
    """
    n_columns = X.shape[1] if getattr(X, "ndim", 0) == 2 else None
    layout = getattr(X, "layout", None)
    if isinstance(layout, BlockLayout) and layout.n_features == n_columns:
        return layout
    columns = getattr(X, "columns", None)
    if columns is not None:
        layout = layout_from_feature_names(list(columns))
        if layout is not None and layout.n_features == n_columns:
            return layout
    return None
