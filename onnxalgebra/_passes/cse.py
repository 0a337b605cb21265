"""Common-subexpression elimination: structurally equal nodes are computed once.

Two nodes are equal when they have the same domain, operator, version,
attributes, input values and requested outputs. A table is chained to the one
of the enclosing graph, so a subgraph reuses what its outer graph computed.
"""

from __future__ import annotations

from collections.abc import Hashable

__all__ = ["NodeTable"]


class NodeTable:
    """Maps a node's key (its structure, or its identity) to the names of its outputs.

    >>> outer = NodeTable()
    >>> outer.add(("Add", "X", "c"), ("Add_0",))
    >>> NodeTable(outer).find(("Add", "X", "c"))
    ('Add_0',)
    """

    def __init__(self, parent: NodeTable | None = None) -> None:
        self._parent = parent
        self._table: dict[Hashable, tuple[str, ...]] = {}

    def find(self, key: Hashable) -> tuple[str, ...] | None:
        """Output names of an equal node computed here or in an enclosing graph."""
        table: NodeTable | None = self
        while table is not None:
            found = table._table.get(key)
            if found is not None:
                return found
            table = table._parent
        return None

    def add(self, key: Hashable, names: tuple[str, ...]) -> None:
        """Remember that the node ``key`` computes ``names``."""
        self._table[key] = names
