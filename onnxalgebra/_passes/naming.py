"""Readable, unique names: ``MatMul_0``, ``MatMul_1``; user names are honoured."""

from __future__ import annotations

from .._errors import CompileError

__all__ = ["NameAllocator"]


class NameAllocator:
    """Hands out names unique across a whole model, subgraphs included.

    >>> names = NameAllocator()
    >>> names.reserve("Add_0", "user output")
    >>> names.fresh("Add"), names.fresh("Add")
    ('Add_1', 'Add_2')
    """

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}  # reserved name -> who asked for it
        self._taken: set[str] = set()
        self._counters: dict[str, int] = {}

    def reserve(self, name: str, owner: str) -> None:
        """Keep ``name`` for ``owner``; two different owners of one name are an error."""
        previous = self._owners.get(name)
        if previous is not None and previous != owner:
            raise CompileError(f"name {name!r} is asked for twice: by {previous} and by {owner}.")
        self._owners[name] = owner

    def is_reserved(self, name: str) -> bool:
        """True when ``name`` was reserved by a user."""
        return name in self._owners

    def take(self, name: str) -> str:
        """Use a reserved (or a new) name as it is."""
        self._taken.add(name)
        return name

    def fresh(self, prefix: str) -> str:
        """A new name ``<prefix>_<k>`` that clashes with nothing reserved or taken."""
        k = self._counters.get(prefix, 0)
        while True:
            name = f"{prefix}_{k}"
            k += 1
            if name not in self._taken and name not in self._owners:
                break
        self._counters[prefix] = k
        self._taken.add(name)
        return name
