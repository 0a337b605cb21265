"""Rendering DOT with Graphviz, and the object Jupyter displays inline."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from .._errors import OnnxAlgebraError
from ._dot import to_dot, type_label
from ._view import GraphView, view_of

__all__ = ["Diagram", "RenderError", "show"]

INSTALL_HINT = (
    "Graphviz's 'dot' program was not found on PATH. Install Graphviz: "
    "Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
    "conda: conda install -c conda-forge graphviz. DOT source is still available with to_dot()."
)
FORMATS = ("svg", "png", "pdf")


class RenderError(OnnxAlgebraError, RuntimeError):
    """A diagram could not be rendered (Graphviz missing, or it failed)."""


def _summary(view: GraphView) -> str:
    ops = Counter(n.op_type for n in view.nodes)
    inputs = ", ".join(f"{n}: {type_label(t) or '?'}" for n, t in view.inputs)
    outputs = ", ".join(f"{n}: {type_label(t) or '?'}" for n, t in view.outputs)
    kinds = ", ".join(f"{op} x{c}" if c > 1 else op for op, c in sorted(ops.items()))
    return (
        f"graph {view.name!r}: {len(view.nodes)} node(s) [{kinds}], {len(view.initializers)} initializer(s)\n"
        f"  inputs:  {inputs}\n  outputs: {outputs}"
    )


class Diagram:
    """A graph ready to render: ``.source`` is its DOT, ``.render(path)`` writes SVG/PNG/PDF.

    In Jupyter it displays as an SVG; without Graphviz, as a text summary.

    >>> from onnxalgebra import OnnxAbs
    >>> print(Diagram(OnnxAbs("X")))
    graph 'expression': 1 node(s) [Abs], 0 initializer(s)
      inputs:  X: ?
      outputs: Abs_0: ?
    """

    def __init__(self, obj: Any, collapse: int | None = None):
        self.view = obj if isinstance(obj, GraphView) else view_of(obj)
        self.source = to_dot(self.view, collapse=collapse)

    def pipe(self, format: str = "svg") -> bytes:
        """The rendered diagram as bytes (``svg``, ``png`` or ``pdf``)."""
        if format not in FORMATS:
            raise RenderError(f"Diagram: format must be one of {FORMATS}, got {format!r}.")
        if shutil.which("dot") is None:
            raise RenderError(INSTALL_HINT)
        import graphviz

        try:
            return graphviz.Source(self.source).pipe(format=format)
        except graphviz.ExecutableNotFound:
            raise RenderError(INSTALL_HINT) from None
        except graphviz.CalledProcessError as exc:
            raise RenderError(f"Graphviz failed to render the diagram: {exc}") from None

    def render(self, path: str | Path) -> Path:
        """Write the diagram to ``path``; the extension chooses the format (.svg, .png, .pdf, .dot)."""
        path = Path(path)
        ext = path.suffix.lstrip(".").lower()
        if ext in ("dot", "gv"):
            path.write_text(self.source)
            return path
        if ext not in FORMATS:
            raise RenderError(f"Diagram.render: unknown extension {path.suffix!r}; use .svg, .png, .pdf or .dot.")
        path.write_bytes(self.pipe(ext))
        return path

    def __str__(self) -> str:
        return _summary(self.view)

    def __repr__(self) -> str:
        return f"<Diagram {_summary(self.view)}>"

    def _repr_svg_(self) -> str | None:
        try:
            return self.pipe("svg").decode("utf-8")
        except RenderError:
            return None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        bundle = {"text/plain": _summary(self.view)}
        svg = self._repr_svg_()
        if svg is not None:
            bundle["image/svg+xml"] = svg
        return bundle


def show(obj: Any, *, collapse: int | None = None, expand_functions: bool = False) -> Diagram:
    """A :class:`Diagram` of an expression, a ``ModelProto`` (ours or anyone's) or a ``GraphProto``.

    ``collapse``: linear chains of at least this many nodes are drawn as one
    box (default: chains of 8 in graphs of more than 300 operators; 0 never).
    A call of a local function is one box; ``expand_functions=True`` draws
    the bodies in place.

    >>> from onnxalgebra import OnnxAbs
    >>> show(OnnxAbs("X")).source.startswith("digraph")
    True
    """
    if expand_functions:
        from ._dot import expanded

        obj = expanded(obj)
    return Diagram(obj, collapse=collapse)
