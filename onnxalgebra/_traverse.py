"""Iterative depth-first traversal: deep expressions never reach Python's recursion limit."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

__all__ = ["postorder"]


def postorder(
    roots: Iterable[T],
    children: Callable[[T], Iterable[T]],
    key: Callable[[T], Hashable] = id,
    seen: set[Hashable] | None = None,
) -> Iterator[T]:
    """Yield every node reachable from ``roots``, each once, children before parents.

    Children are visited in the order ``children`` gives them, so the order is
    deterministic. It is the iterative form of::

        def visit(node):
            if key(node) in seen:
                return
            seen.add(key(node))
            for child in children(node):
                visit(child)
            yield node

        for root in roots:
            yield from visit(root)

    ``seen`` holds the keys of nodes visited so far; pass the set of an
    earlier traversal to skip what it visited (it is updated in place).
    """
    if seen is None:
        seen = set()
    for root in roots:
        if key(root) in seen:
            continue
        seen.add(key(root))
        stack: list[tuple[T, Iterator[T]]] = [(root, iter(children(root)))]
        while stack:
            node, pending = stack[-1]
            for child in pending:
                k = key(child)
                if k not in seen:
                    seen.add(k)
                    stack.append((child, iter(children(child))))
                    break
            else:
                stack.pop()
                yield node
