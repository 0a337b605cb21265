"""Diagrams: DOT, SVG rendering (parsed as XML), Jupyter display, networkx export, the CLI."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import networkx as nx
import numpy as np
import onnx
import pytest

from onnxalgebra import (
    OnnxAdd,
    OnnxDiv,
    OnnxExp,
    OnnxGreater,
    OnnxIf,
    OnnxMatMul,
    OnnxMul,
    OnnxReduceSum,
    RenderError,
    Var,
    show,
    to_dot,
    to_networkx,
)

X32 = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
BETA = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
needs_dot = pytest.mark.skipif(not any(
    os.access(os.path.join(p, "dot"), os.X_OK) for p in os.environ.get("PATH", "").split(os.pathsep)
), reason="Graphviz's dot is not installed")


def logistic():
    exp = OnnxExp(OnnxMatMul("X", BETA))
    return OnnxDiv(exp, OnnxAdd(exp, np.ones((1, 3), dtype=np.float32)))


def with_branches():
    x = Var("X", np.float32, [None, 4])
    shared = OnnxMul(x, 3.0)
    cond = OnnxGreater(OnnxReduceSum(x, keepdims=0), np.float32(0))
    return OnnxIf(cond, then_branch=OnnxAdd(shared, 1.0), else_branch=shared)


def svg_texts(svg: bytes) -> str:
    root = ET.fromstring(svg)
    return "\n".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))


def names_of(model: onnx.ModelProto) -> list[str]:
    g = model.graph
    return ([n.op_type for n in g.node] + [i.name for i in g.input] + [o.name for o in g.output]
            + [t.name for t in g.initializer])


@needs_dot
@pytest.mark.parametrize("build", [logistic, with_branches])
def test_svg_shows_every_operator_input_output_and_initializer(build):
    model = build().to_onnx({"X": X32})
    texts = svg_texts(show(model).pipe("svg"))
    for name in names_of(model):
        assert name in texts
    assert "float32[N,3]" in texts or "float32[N,4]" in texts  # edges carry types


@needs_dot
def test_render_writes_svg_png_pdf(tmp_path):
    diagram = show(logistic().to_onnx({"X": X32}))
    assert ET.parse(diagram.render(tmp_path / "m.svg")).getroot().tag.endswith("svg")
    assert diagram.render(tmp_path / "m.png").read_bytes().startswith(b"\x89PNG")
    assert diagram.render(tmp_path / "m.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(RenderError, match="unknown extension"):
        diagram.render(tmp_path / "m.bmp")


@needs_dot
def test_jupyter_displays_expressions_and_models_as_svg():
    for obj in (logistic(), show(logistic().to_onnx({"X": X32}))):
        bundle = obj._repr_mimebundle_()
        assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
        assert "MatMul" in bundle["text/plain"]


def test_dot_is_deterministic_and_distinguishes_kinds():
    model = logistic().to_onnx({"X": X32})
    first = to_dot(model)
    assert first == to_dot(logistic().to_onnx({"X": X32}))
    assert to_dot(logistic()) == to_dot(logistic())
    assert "invhouse" in first and "shape=house" in first and "shape=note" in first and "shape=box" in first
    assert '"init_1\\nfloat32[1,3]\\n[1,1,1]"' in first  # tiny initializer values shown
    for line in first.splitlines():
        if "->" in line:
            assert 'label=""' not in line  # every edge of a typed model carries its type


def test_typed_expression_is_drawn_with_types_before_compiling():
    x = Var("X", np.float32, [None, 4])
    dot = to_dot(OnnxExp(OnnxMatMul(x, BETA)))
    assert "float32[?,3]" in dot


def test_subgraphs_are_clusters_with_outer_references():
    dot = to_dot(with_branches().to_onnx())
    assert dot.count("subgraph cluster_") == 2
    assert "style=dashed" in dot  # the outer Mul used inside a branch
    expr_dot = to_dot(with_branches())
    assert expr_dot.count("subgraph cluster_") == 2


def test_long_attribute_is_shortened():
    dot = to_dot(OnnxReduceSum("X", np.arange(40, dtype=np.int64), keepdims=0))
    assert "keepdims=0" in dot
    assert max(len(line) for line in dot.splitlines()) < 400


def chain_model(n):
    x = Var("X", np.float32, [None, 4])
    for i in range(n):
        x = x + np.full(4, i, np.float32) if i % 2 else x * np.full(4, i, np.float32)
    return x.to_onnx()


@needs_dot
def test_large_model_collapses_chains_and_renders():
    model = chain_model(5000)
    diagram = show(model)
    assert diagram.source.count("shape=box") < 20
    assert "5000 nodes" in diagram.source
    texts = svg_texts(diagram.pipe("svg"))
    assert "Add x2500, Mul x2500" in texts.replace("ops=", "")
    full = show(chain_model(50), collapse=0).source
    assert full.count("shape=box") == 50


def _structure(model: onnx.ModelProto) -> nx.DiGraph:
    """The ONNX graph's structure, built straight from the proto (the oracle)."""
    g = nx.DiGraph()
    for i, node in enumerate(model.graph.node):
        g.add_node(("op", i))
        for name in node.input:
            g.add_edge(("v", name), ("op", i))
        for name in node.output:
            g.add_edge(("op", i), ("v", name))
    for info in model.graph.input:
        g.add_node(("v", info.name))
    return g


def test_networkx_is_isomorphic_to_the_onnx_graph():
    model = logistic().to_onnx({"X": X32})
    ours = to_networkx(model)
    assert nx.is_isomorphic(ours, _structure(model))
    kinds = nx.get_node_attributes(ours, "kind")
    assert kinds["value:X"] == "input" and kinds["value:Div_0"] == "output"
    assert ours.nodes["value:Div_0"]["dtype"] == "float32"
    assert ours.nodes["value:Div_0"]["shape"] == ("N", 3)
    assert "value:X" in nx.ancestors(ours, "value:Div_0")
    assert nx.dag_longest_path_length(ours) == 8  # X -> MatMul -> Exp -> Add -> Div -> output, values between


def test_networkx_from_expression():
    g = to_networkx(logistic())
    ops = sorted(d["op_type"] for _, d in g.nodes(data=True) if d["kind"] == "operator")
    assert ops == ["Add", "Div", "Exp", "MatMul"]


def test_without_dot_display_falls_back_and_render_explains(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    diagram = show(logistic())
    bundle = diagram._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}  # drawn by the browser (tests/test_browser.py runs it)
    assert "4 node(s)" in bundle["text/plain"]
    assert "window.onnxalgebraDiagram(" in bundle["text/html"] and "Viz.js 3.31.0" in bundle["text/html"]
    assert set(logistic()._repr_mimebundle_()) == {"text/plain", "text/html"}  # an expression too
    assert set(show(logistic(), renderer="svg")._repr_mimebundle_()) == {"text/plain"}  # Graphviz only: the summary
    assert to_dot(logistic()).startswith("digraph")
    with pytest.raises(RenderError, match="apt-get install graphviz"):
        diagram.render(tmp_path / "x.svg")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "onnxalgebra", *args], capture_output=True, text=True, timeout=120)


@needs_dot
def test_cli_show_good_file(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(logistic().to_onnx({"X": X32}).SerializeToString())
    result = _cli("show", str(path), "-o", str(tmp_path / "model.svg"))
    assert result.returncode == 0, result.stderr
    assert "MatMul" in svg_texts((tmp_path / "model.svg").read_bytes())
    dot = _cli("show", str(path), "--dot")
    assert dot.returncode == 0 and dot.stdout.startswith("digraph")


def test_cli_show_corrupted_truncated_and_missing_files(tmp_path):
    data = logistic().to_onnx({"X": X32}).SerializeToString()
    (tmp_path / "truncated.onnx").write_bytes(data[: len(data) // 3])
    (tmp_path / "garbage.onnx").write_bytes(b"this is not protobuf \xff\xfe")
    for name, message in [("truncated.onnx", "not a valid ONNX model"), ("garbage.onnx", "not a valid ONNX model"),
                          ("missing.onnx", "no such file")]:
        result = _cli("show", str(tmp_path / name))
        assert result.returncode == 2
        assert message in result.stderr
        assert "Traceback" not in result.stderr


def test_renderer_choice_and_bad_renderer(monkeypatch):
    from onnxalgebra.display import _render

    monkeypatch.setattr(_render, "_renderer", "auto")
    assert set(show(logistic(), renderer="browser")._repr_mimebundle_()) == {"text/plain", "text/html"}
    from onnxalgebra.display import set_renderer

    assert set_renderer("browser") == "auto"  # the public name
    assert "text/html" in show(logistic())._repr_mimebundle_()
    assert "text/html" in logistic()._repr_mimebundle_()
    with pytest.raises(RenderError, match=r"renderer must be one of \('auto', 'svg', 'browser'\), got 'png'"):
        show(logistic(), renderer="png")
    with pytest.raises(RenderError, match="set_renderer: renderer must be one of"):
        _render.set_renderer("html")


@needs_dot
def test_with_dot_svg_stays_the_default(monkeypatch):
    from onnxalgebra.display import _render

    monkeypatch.setattr(_render, "_renderer", "auto")
    assert set(show(logistic())._repr_mimebundle_()) == {"text/plain", "image/svg+xml"}


def _strip_ids(dot):
    return re.sub(r"id=\w+, ", "", dot)


@pytest.mark.parametrize("build", [lambda: logistic().to_onnx({"X": X32}), lambda: with_branches().to_onnx(),
                                   lambda: chain_model(40)])
def test_assembled_dot_matches_to_dot(build):
    """The interactive view's DOT (every chain collapsed, or every one expanded) is to_dot's, with ids."""
    from onnxalgebra.display._dot import assemble_dot, dot_parts
    from onnxalgebra.display._view import view_of

    view = view_of(build())
    parts = dot_parts(view, collapse=5)
    every = {c["box"] for c in parts["chains"]}
    assert _strip_ids(assemble_dot(parts, every)) == to_dot(view, collapse=0)
    collapsed, reference = assemble_dot(parts), to_dot(view, collapse=5)
    for dot in (collapsed, reference):
        assert dot.count("shape=box") == reference.count("shape=box")
    assert sorted(re.findall(r"label=\"[^\"]*\"", _strip_ids(collapsed))) == sorted(re.findall(r"label=\"[^\"]*\"", reference))
    # every drawn id is described: operators with their tensors, edges with their tensor's type
    ids = set(re.findall(r"\bid=(\w+)", collapsed))
    assert ids <= set(parts["index"])
    for key in ids:
        entry = parts["index"][key]
        for name in [entry.get("name")] if entry["kind"] == "edge" else entry.get("inputs", []) + entry.get("outputs", []):
            assert name in parts["values"]


def test_html_page_is_self_contained_and_escapes_names(tmp_path):
    x = Var("</script><b>X", np.float32, [None, 4])
    page = show(OnnxExp(x)).save_html(tmp_path / "page.html").read_text(encoding="utf-8")
    assert page.count("</script>") == page.count("<script")  # the name cannot close a script element
    assert "<b>X" not in page
    assert not re.search(r"(src|href)=[\"']?https?:", page)
    from onnxalgebra.display._html import STATIC

    assert (STATIC / "viz-global.js").read_text(encoding="utf-8") in page  # the vendored file, unmodified
    assert "Michael Daines" in (STATIC / "THIRD_PARTY.txt").read_text() and "EPL-1.0" in (STATIC / "THIRD_PARTY.txt").read_text()


def test_html_page_title_given_or_the_graph_name(tmp_path):
    default = show(OnnxExp(Var("X", np.float32, [None, 4]))).to_html()
    assert "<title>expression</title>" in default  # an expression's graph name
    page = show(OnnxExp(Var("X", np.float32, [None, 4]))).save_html(tmp_path / "t.html", title="a <b> & c")
    assert "<title>a &lt;b&gt; &amp; c</title>" in page.read_text(encoding="utf-8")  # escaped
