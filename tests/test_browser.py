"""Interactive diagrams in a real browser: headless Chromium draws the pages with the vendored viz.js.

Graphviz's ``dot`` is hidden from PATH on the Python side; Chromium reads the DOM after the page's script ran
(``--dump-dom``) or takes a screenshot. The oracle is the ONNX model itself: one drawn node per operator, graph
input, graph output and initializer, each with its operator's name as text.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest

from onnxalgebra import OnnxAdd, OnnxDiv, OnnxExp, OnnxMatMul, OnnxReduceSum, Var, show

BROWSER = next((found for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
                if (found := shutil.which(name))), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no chromium/chrome binary on PATH (Debian: apt-get install chromium)")

X32 = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
BETA = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1200,900", "--virtual-time-budget=15000"]


def logistic_model() -> onnx.ModelProto:
    exp = OnnxExp(OnnxMatMul("X", BETA))
    return OnnxDiv(exp, OnnxAdd(exp, np.ones((1, 3), dtype=np.float32))).to_onnx({"X": X32})


def chain_model(n: int) -> onnx.ModelProto:
    x = Var("X", np.float32, [None, 4])
    for i in range(n):
        x = x + np.full(4, i, np.float32) if i % 2 else x * np.full(4, i, np.float32)
    return x.to_onnx()


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """Graphviz's dot hidden from this process's PATH (Chromium is called by its full path)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None


def chromium(url: str, *extra: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", *extra, url],
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def dump(path: Path, hash: str = "") -> str:
    """The DOM once the page's script ran. Chromium's virtual time can run out while the WebAssembly still
    compiles on a busy machine (the page then still says data-state="loading"): such a run is repeated."""
    for _ in range(3):
        dom = chromium(path.resolve().as_uri() + hash, "--dump-dom")
        if 'data-state="loading"' not in dom:
            break
    return dom


def drawn_nodes(dom: str) -> dict[str, str]:
    """DOT id -> the texts of each drawn node (``<g id=... class="node">``) in a dumped DOM."""
    nodes = {}
    for match in re.finditer(r'<g id="([^"]+)" class="node[^"]*">(.*?)</g>', dom, re.S):
        nodes[match.group(1)] = " ".join(html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", match.group(2)))
    return nodes


def root_attributes(dom: str, element_id: str = "diagram") -> dict[str, str]:
    tag = re.search(rf'<div id="{element_id}"[^>]*>', dom).group(0)
    return dict(re.findall(r'(data-[\w-]+)="([^"]*)"', tag))


def expected_counts(model: onnx.ModelProto) -> Counter:
    g = model.graph
    inits = {t.name for t in g.initializer}
    return Counter({"n": len(g.node), "in": len([i for i in g.input if i.name not in inits]), "out": len(g.output),
                    "c": len(inits)})


def kinds(nodes: dict[str, str]) -> Counter:
    return Counter(re.match(r"[a-z]+", key).group(0) for key in nodes)


def assert_draws(model: onnx.ModelProto, nodes: dict[str, str]) -> None:
    assert kinds(nodes) == expected_counts(model)
    drawn_ops = sorted(text.split()[0] for key, text in nodes.items() if re.fullmatch(r"n\d+", key))
    assert drawn_ops == sorted(n.op_type for n in model.graph.node)
    outputs = [text for key, text in nodes.items() if key.startswith("out")]
    assert sorted(t.split()[0] for t in outputs) == sorted(o.name for o in model.graph.output)


def test_standalone_page_draws_every_node_offline(no_dot, tmp_path):
    model = logistic_model()
    path = show(model).save_html(tmp_path / "model.html")
    page = path.read_text(encoding="utf-8")
    # nothing fetched: no external script, style or link, and a policy that forbids any connection
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?//""", page, re.I)
    assert "@import" not in page and "connect-src 'none'" in page
    dom = dump(path)
    state = root_attributes(dom)
    assert state["data-state"] == "ready", state
    assert float(state["data-first-render-ms"]) > 0
    assert_draws(model, drawn_nodes(dom))
    assert len(re.findall(r'<g id="e\d+" class="edge"', dom)) == sum(len(n.input) for n in model.graph.node) + 1


def test_search_marks_matches_and_the_panel_describes_them(no_dot, tmp_path):
    x = Var("X", np.float32, [None, 4])
    model = OnnxExp(OnnxReduceSum(OnnxMatMul(x, BETA), np.array([1], dtype=np.int64), keepdims=1)).to_onnx()
    path = show(model).save_html(tmp_path / "model.html")
    dom = dump(path, "#search=reducesum")
    state = root_attributes(dom)
    # the oracle: nodes whose op type, name or tensor names contain the text, and edges carrying such a tensor
    query = "reducesum"
    hits = [n for n in model.graph.node if any(query in s.lower() for s in [n.op_type, n.name, *n.input, *n.output])]
    ends = [v.name for v in [*model.graph.input, *model.graph.output, *model.graph.initializer] if query in v.name.lower()]
    values = [v for n in model.graph.node for v in n.input if query in v.lower()] + [
        o.name for o in model.graph.output if query in o.name.lower()]
    assert len(hits) == 2 and len(values) == 1  # ReduceSum itself, the Exp it feeds; the tensor between them
    assert int(state["data-matches"]) == len(hits) + len(ends) + len(values)
    marked = re.findall(r'<g id="([^"]+)" class="(node|edge) oxa-match', dom)
    assert len(marked) == len(hits) + len(ends) + len(values)
    # the first match is centred and described: its attribute and its tensors' types and shapes
    panel = html.unescape(re.search(r'<div class="oxa-panel">(.*?)</div>', dom, re.S).group(1))
    assert "ReduceSum" in panel and "keepdims" in panel
    assert "float32, shape [?, 3]" in panel and "float32, shape [?, 1]" in panel and "int64, shape [1]" in panel
    assert state["data-selected"] in dict(marked)
    # an edge clicked: its tensor's element type and shape
    edge = re.search(r'<g id="(e\d+)" class="edge', dom).group(1)
    dom = dump(path, f"#click={edge}")
    panel = html.unescape(re.search(r'<div class="oxa-panel">(.*?)</div>', dom, re.S).group(1))
    assert "element type" in panel and "float32" in panel and "shape" in panel
    assert root_attributes(dom)["data-selected"] == edge


def test_collapsed_chain_expands_on_click(no_dot, tmp_path):
    model = chain_model(24)
    path = show(model, collapse=5).save_html(tmp_path / "chain.html")
    collapsed = drawn_nodes(dump(path))
    boxes = [key for key in collapsed if key.startswith("k")]
    assert len(boxes) == 1 and "24 nodes" in collapsed[boxes[0]]
    assert "n" not in kinds(collapsed)  # every operator inside the box
    dom = dump(path, f"#click={boxes[0]}")
    expanded = drawn_nodes(dom)
    assert root_attributes(dom)["data-renders"] == "2"
    assert_draws(model, expanded)
    assert len(expanded) - len(collapsed) == 24 + 23 - 1  # its operators and the constants only they read, not the box
    panel = html.unescape(re.search(r'<div class="oxa-panel">(.*?)</div>', dom, re.S).group(1))
    assert "Add x12, Mul x12" in panel and "24 operators and 23 constants" in panel


def test_screenshot_is_not_blank(no_dot, tmp_path):
    imread = pytest.importorskip("matplotlib.pyplot").imread
    path = show(logistic_model()).save_html(tmp_path / "model.html")
    png = tmp_path / "shot.png"
    chromium(path.resolve().as_uri(), f"--screenshot={png}")
    pixels = imread(png)
    assert pixels.shape[:2] == (900, 1200)
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50  # boxes, fills, anti-aliased text: not a blank page
    assert (pixels[..., :3].std(axis=(0, 1)) > 0.05).all()


def test_cli_writes_the_interactive_page_without_dot(tmp_path):
    model = logistic_model()
    (tmp_path / "model.onnx").write_bytes(model.SerializeToString())
    env = {**os.environ, "PATH": str(tmp_path)}  # no dot
    result = subprocess.run([sys.executable, "-m", "onnxalgebra", "show", str(tmp_path / "model.onnx"), "-o",
                             str(tmp_path / "model.html")], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert_draws(model, drawn_nodes(dump(tmp_path / "model.html")))


def test_demo_writes_html_diagrams_without_dot(no_dot, tmp_path):
    from onnxalgebra.cli._demo import _save_diagram

    model = logistic_model()
    said = []
    written = _save_diagram(model, tmp_path / "logistic", said.append)
    assert written == tmp_path / "logistic.html" and "logistic.html" in said[0]
    assert_draws(model, drawn_nodes(dump(written)))


def test_notebook_exported_html_draws_without_dot(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    cells = [
        f"import os, shutil\nos.environ['PATH'] = {str(empty)!r}\nassert shutil.which('dot') is None",
        "import numpy as np\nfrom onnxalgebra import OnnxAdd, OnnxDiv, OnnxExp, OnnxMatMul, show\n"
        f"beta = np.array({BETA.tolist()}, dtype=np.float32)\n"
        "exp = OnnxExp(OnnxMatMul('X', beta))\n"
        "expr = OnnxDiv(exp, OnnxAdd(exp, np.ones((1, 3), dtype=np.float32)))\n"
        "expr",  # an expression displays itself
        "show(expr.to_onnx({'X': np.zeros((2, 4), np.float32)}))",  # a model; viz.js is already on the page
    ]
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    cwd = Path.cwd()
    client = nbclient.NotebookClient(book, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    client.execute()
    outputs = [o for cell in book.cells for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    htmls = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(htmls) == 2
    assert all("image/svg+xml" not in o.get("data", {}) and "text/plain" in o.get("data", {}) for o in outputs[-2:])
    # the exported page: the outputs' HTML as Jupyter inserts it
    page = tmp_path / "notebook.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>\n'
                    + "\n".join(f'<div class="output_html">{h}</div>' for h in htmls) + "\n</body></html>\n", encoding="utf-8")
    dom = dump(page)
    ids = re.findall(r'<div id="(oxa-[0-9a-f]+)"', dom)
    assert len(ids) == 2
    model = logistic_model()
    for element_id in ids:
        assert root_attributes(dom, element_id)["data-state"] == "ready"
    # each container holds its own drawing: split the DOM at the second container
    first, second = dom.split(f'<div id="{ids[1]}"')
    assert_draws(model, drawn_nodes(first))
    assert_draws(model, drawn_nodes(second))


def test_large_layouts_fold_constants_and_drop_edge_labels(no_dot, tmp_path):
    from onnxalgebra.display._html import standalone_page

    model = chain_model(30)
    diagram = show(model, collapse=0)
    path = tmp_path / "large.html"
    path.write_text(standalone_page(diagram.view, collapse=0, large_nodes=20), encoding="utf-8")
    dom = dump(path)
    assert root_attributes(dom)["data-large"] == "1"
    nodes = drawn_nodes(dom)
    assert kinds(nodes) == Counter({"n": 30, "in": 1, "out": 1})  # the 30 constants folded into their operators
    edges = re.findall(r'<g id="e\d+" class="edge">(.*?)</g>', dom, re.S)
    assert len(edges) == 31 and not any("<text" in e for e in edges)  # no labels
    # the panel still names each folded constant and its type
    operator = next(key for key in nodes if key.startswith("n"))
    dom = dump(path, f"#select={operator}")
    panel = html.unescape(re.search(r'<div class="oxa-panel">(.*?)</div>', dom, re.S).group(1))
    assert re.search(r"input 1</td><td>\w+: float32, shape \[4\]", panel)
