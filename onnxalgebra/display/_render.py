"""Rendering DOT with Graphviz, and the object Jupyter displays inline."""

from __future__ import annotations

import shutil
from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import Any

from .._errors import OnnxAlgebraError
from ._dot import to_dot, type_label
from ._view import GraphView, view_of

__all__ = ["Diagram", "RenderError", "show", "set_renderer", "RENDERERS"]

INSTALL_HINT = (
    "Graphviz's 'dot' program was not found on PATH. Install Graphviz: "
    "Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
    "conda: conda install -c conda-forge graphviz. DOT source is still available with to_dot()."
)
FORMATS = ("svg", "png", "pdf")
# How Jupyter shows a diagram: "auto" (Graphviz's SVG when `dot` is on PATH, else drawn in the browser),
# "svg" (Graphviz only; a text summary without it) or "browser" (the interactive view, laid out by viz.js).
RENDERERS = ("auto", "svg", "browser")
_renderer = "auto"


def _check_renderer(renderer: str, where: str) -> str:
    if renderer not in RENDERERS:
        raise RenderError(f"{where}: renderer must be one of {RENDERERS}, got {renderer!r}. "
                          "Use 'browser' for the interactive view drawn without Graphviz.")
    return renderer


def set_renderer(renderer: str) -> str:
    """Choose how Jupyter displays diagrams from now on; returns the previous choice.

    ``"auto"`` (the default): Graphviz's SVG when ``dot`` is on PATH, else the interactive view that the
    browser lays out with the bundled viz.js; ``"svg"``: Graphviz only; ``"browser"``: always interactive.

    >>> from onnxalgebra.display import set_renderer
    >>> previous = set_renderer("browser")
    >>> set_renderer(previous)
    'browser'
    """
    global _renderer
    previous, _renderer = _renderer, _check_renderer(renderer, "set_renderer")
    return previous


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

    In Jupyter it displays as Graphviz's SVG; without Graphviz (or with ``renderer="browser"``) as an
    interactive view laid out in the browser. ``.save_html(path)`` writes that view as a standalone page.

    >>> from onnxalgebra import OnnxAbs
    >>> print(Diagram(OnnxAbs("X")))
    graph 'expression': 1 node(s) [Abs], 0 initializer(s)
      inputs:  X: ?
      outputs: Abs_0: ?
    """

    def __init__(self, obj: Any, collapse: int | None = None, renderer: str | None = None):
        self.view = obj if isinstance(obj, GraphView) else view_of(obj)
        self.collapse = collapse
        self.renderer = None if renderer is None else _check_renderer(renderer, "Diagram")

    @cached_property
    def source(self) -> str:
        """The DOT text Graphviz renders (made when first read: the browser view builds its own from the view)."""
        return to_dot(self.view, collapse=self.collapse)

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
        """Write the diagram to ``path``; the extension chooses the format (.svg, .png, .pdf, .dot, or .html:
        the interactive page of :meth:`save_html`, which needs no Graphviz)."""
        path = Path(path)
        ext = path.suffix.lstrip(".").lower()
        if ext in ("dot", "gv"):
            path.write_text(self.source)
            return path
        if ext in ("html", "htm"):
            return self.save_html(path)
        if ext not in FORMATS:
            raise RenderError(f"Diagram.render: unknown extension {path.suffix!r}; use .svg, .png, .pdf, .html or .dot.")
        path.write_bytes(self.pipe(ext))
        return path

    def to_html(self, title: str | None = None) -> str:
        """The standalone interactive page (see :meth:`save_html`) as a string.

        >>> from onnxalgebra import OnnxAbs
        >>> "<title>absolute</title>" in show(OnnxAbs("X")).to_html(title="absolute")
        True
        """
        from ._html import standalone_page

        return standalone_page(self.view, collapse=self.collapse, title=title)

    def save_html(self, path: str | Path, title: str | None = None) -> Path:
        """Write one self-contained HTML page that draws the graph in any browser, offline, without
        Graphviz: pan (drag), zoom (wheel), search by node or tensor name, details of each node and edge
        on click, long chains collapsed into boxes that expand on click. ``title``: the page's title (default:
        the graph's name).

        >>> import tempfile, pathlib
        >>> from onnxalgebra import OnnxAbs
        >>> path = show(OnnxAbs("X")).save_html(pathlib.Path(tempfile.mkdtemp()) / "abs.html")
        >>> path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        True
        """
        path = Path(path)
        path.write_text(self.to_html(title), encoding="utf-8")
        return path

    def notebook_html(self) -> str:
        """The interactive view as a notebook shows it (viz.js lays the graph out in the browser; not named
        ``_repr_html_``, which IPython would add beside the SVG and frontends would prefer).

        >>> from onnxalgebra import OnnxAbs
        >>> 'class="oxa-diagram"' in show(OnnxAbs("X")).notebook_html()
        True
        """
        from ._html import notebook_html

        return notebook_html(self.view, collapse=self.collapse)

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
        renderer = self.renderer or _renderer
        if renderer != "browser":
            svg = self._repr_svg_()
            if svg is not None:
                bundle["image/svg+xml"] = svg
                return bundle
        if renderer != "svg":
            bundle["text/html"] = self.notebook_html()
        return bundle


def show(obj: Any, *, collapse: int | None = None, expand_functions: bool = False, renderer: str | None = None) -> Diagram:
    """A :class:`Diagram` of an expression, a ``ModelProto`` (ours or anyone's) or a ``GraphProto``.

    ``collapse``: linear chains of at least this many nodes are drawn as one
    box (default: chains of 8 in graphs of more than 300 operators; 0 never).
    A call of a local function is one box; ``expand_functions=True`` draws
    the bodies in place. ``renderer``: how Jupyter shows it (``"auto"``, ``"svg"`` or ``"browser"``;
    default: :func:`set_renderer`'s choice).

    >>> from onnxalgebra import OnnxAbs
    >>> show(OnnxAbs("X")).source.startswith("digraph")
    True
    """
    if expand_functions:
        from ._dot import expanded

        obj = expanded(obj)
    return Diagram(obj, collapse=collapse, renderer=renderer)
