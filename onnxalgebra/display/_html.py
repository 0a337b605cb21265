"""Interactive diagrams drawn by the browser: a standalone HTML page and the HTML Jupyter shows.

Both inline the vendored viz.js (Graphviz compiled to WebAssembly, ``static/viz-global.js``, licences in
``static/THIRD_PARTY.txt``) and our own ``static/diagram.js``: the browser lays out the DOT itself, so no
Graphviz installation is needed and nothing is fetched from the network. The page holds the DOT of every
node and edge with ids (:func:`onnxalgebra.display._dot.dot_parts`) and what each id stands for, so that
collapsed chains expand on click, search finds nodes and tensors, and the side panel describes them.
"""

from __future__ import annotations

import html
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from ._dot import dot_parts
from ._view import GraphView

__all__ = ["page_data", "standalone_page", "notebook_html", "LARGE_GRAPH_NODES", "LARGE_GRAPH_ATTRIBUTES"]

STATIC = Path(__file__).parent / "static"
# Above this many drawn nodes, edges lose their labels and constants fold into the nodes reading them (the side
# panel still gives both), and Graphviz gets LARGE_GRAPH_ATTRIBUTES: measured in benchmarks/bench_render.py.
LARGE_GRAPH_NODES = 1500
LARGE_GRAPH_ATTRIBUTES = "splines=false"
# No network at all: scripts and styles only inline, WebAssembly compiled from the inlined bytes.
_POLICY = ("default-src 'none'; script-src 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'unsafe-inline'; "
           "img-src data:; connect-src 'none'")


@cache
def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    return json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")


def page_data(view: GraphView, *, collapse: int | None = None, title: str | None = None,
              use_hash: bool = False, large_nodes: int = LARGE_GRAPH_NODES,
              large_attributes: str = LARGE_GRAPH_ATTRIBUTES, large_fold: bool = True) -> dict[str, Any]:
    """What the page's script draws: the DOT parts with ids, what each id stands for, and options.

    Layouts of more than ``large_nodes`` nodes (default :data:`LARGE_GRAPH_NODES`; 0: never) use
    ``large_attributes``, no edge labels and, with ``large_fold``, no constant nodes.

    >>> from onnxalgebra import OnnxAbs
    >>> from onnxalgebra.display._view import view_of
    >>> sorted(page_data(view_of(OnnxAbs("X")))["parts"])
    ['chains', 'edges', 'header', 'index', 'lines', 'values']
    """
    parts = dot_parts(view, collapse=collapse)
    options = {"useHash": use_hash, "largeNodes": large_nodes,
               "largeAttributes": large_attributes, "largeFold": large_fold}
    return {"title": title or view.name, "parts": parts, "options": options}


def _scripts(data: dict[str, Any], element_id: str) -> str:
    return (
        f'<script type="application/json" id="{element_id}-data">{_json(data)}</script>\n'
        # viz.js defines window.Viz; in a notebook, only the first diagram of the page runs it
        f"<script>if (!(window.Viz && window.Viz.instance)) {{\n{_static('viz-global.js')}\n}}</script>\n"
        f"<script>\n{_static('diagram.js')}\n"
        f'window.onnxalgebraDiagram(document.getElementById("{element_id}"), '
        f'JSON.parse(document.getElementById("{element_id}-data").textContent));\n</script>\n'
    )


def standalone_page(view: GraphView, *, collapse: int | None = None, title: str | None = None, **options: Any) -> str:
    """A complete HTML page that draws ``view`` offline, from the file system, with no Python.

    >>> from onnxalgebra import OnnxAbs
    >>> from onnxalgebra.display._view import view_of
    >>> standalone_page(view_of(OnnxAbs("X"))).startswith("<!DOCTYPE html>")
    True
    """
    data = page_data(view, collapse=collapse, title=title, use_hash=True, **options)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">\n'
        f"<title>{html.escape(data['title'])}</title>\n"
        f"<style>\nhtml, body {{ margin: 0; height: 100%; }}\n#diagram {{ height: 100vh; }}\n{_static('diagram.css')}</style>\n"
        "</head>\n<body>\n"
        '<div id="diagram" class="oxa-diagram" data-state="loading">Drawing the diagram (this page needs JavaScript)...</div>\n'
        f"{_scripts(data, 'diagram')}</body>\n</html>\n"
    )


def notebook_html(view: GraphView, *, collapse: int | None = None, height: int = 520) -> str:
    """The HTML a notebook shows: the same interactive diagram in a box ``height`` pixels high.

    >>> from onnxalgebra import OnnxAbs
    >>> from onnxalgebra.display._view import view_of
    >>> 'class="oxa-diagram"' in notebook_html(view_of(OnnxAbs("X")))
    True
    """
    element_id = f"oxa-{uuid.uuid4().hex[:12]}"
    data = page_data(view, collapse=collapse)
    return (
        f"<style>{_static('diagram.css')}</style>\n"
        f'<div id="{element_id}" class="oxa-diagram" data-state="loading" style="height: {int(height)}px">'
        "Drawing the diagram with Graphviz in the browser...</div>\n"
        f"{_scripts(data, element_id)}"
    )
