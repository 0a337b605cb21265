"""translate(model) -> source -> exec -> model: the rebuilt model gives the original's outputs (onnx's runtimes judge)."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
from fitted_estimators import fitted_estimators
from onnx import numpy_helper

from onnxalgebra import TranslateError, translate

# Cases the algebra or the oracle cannot compare, with the reason.
NODE_SKIPS = {
    # random outputs: two runs of the same model differ
    "test_bernoulli": "random", "test_bernoulli_double": "random",
    "test_bernoulli_expanded": "random", "test_bernoulli_double_expanded": "random",
    # FlexAttention's *_mod graph attributes: the compiler stores a body's constants as the body's initializers, which
    # onnx's reference FlexAttention does not read (and onnxruntime has no FlexAttention)
    "test_flexattention_score_mod": "body initializers", "test_flexattention_soft_cap": "body initializers",
    "test_flexattention_causal_mask": "body initializers", "test_flexattention_relative_positional": "body initializers",
    "test_flexattention_prob_mod": "body initializers",
}  # fmt: skip
# onnx's reference Scan-8 fails on the rebuilt body (body outputs named by the compiler); onnxruntime runs both
ONNXRUNTIME_ORACLE = {"test_scan_sum"}


@functools.lru_cache(maxsize=1)
def _node_cases() -> dict:
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {case.name: case for case in collect_testcases(None)}


def _rebuild(model, **kwargs) -> onnx.ModelProto:
    namespace: dict = {}
    exec(translate(model, **kwargs), namespace)
    rebuilt = namespace["model"]
    assert isinstance(rebuilt, onnx.ModelProto)
    return rebuilt


def _runner(model, order=("reference", "onnxruntime")):
    """The first runtime of ``order`` that loads ``model`` (onnx's reference evaluator, onnxruntime); None if none does."""
    for runtime in order:
        try:
            if runtime == "reference":
                from onnx.reference import ReferenceEvaluator

                ReferenceEvaluator(model)
            else:
                import onnxruntime

                onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            return runtime
        except Exception:  # the next runtime, if any
            continue
    return None


def _run(runtime: str, model, feeds: dict) -> list:
    if runtime == "reference":
        from onnx.reference import ReferenceEvaluator

        return ReferenceEvaluator(model).run(None, feeds)
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # no spinning threads on a shared machine
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _as_float(a):
    a = np.asarray(a)
    if a.dtype.kind in "iub" or a.dtype == object:
        return a
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def _same(expected: list, got: list, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    assert len(expected) == len(got)
    for a, b in zip(expected, got):
        if isinstance(a, (list, dict)) or a is None:
            assert type(a) is type(b)
            if isinstance(a, list):
                _same(a, b, rtol, atol)
            elif isinstance(a, dict):
                assert a.keys() == b.keys()
                _same(list(a.values()), list(b.values()), rtol, atol)
            continue
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape
        if a.dtype.kind in "iubOUS":
            np.testing.assert_array_equal(b, a)
        else:
            np.testing.assert_allclose(_as_float(b), _as_float(a), rtol=rtol, atol=atol, equal_nan=True)


def _round_trip(model, feeds: dict, rtol: float = 1e-6, atol: float = 1e-7, runtime: str | None = None, **kwargs) -> None:
    runtime = runtime or _runner(model)
    if runtime is None:
        rebuilt = _rebuild(model, **kwargs)  # still translated and rebuilt: the same operators, the same outputs
        assert sorted(n.op_type for n in rebuilt.graph.node) == sorted(n.op_type for n in model.graph.node)
        assert [o.name for o in rebuilt.graph.output] == [o.name for o in model.graph.output]
        pytest.skip("neither onnx's reference evaluator nor onnxruntime runs the original model")
    expected = _run(runtime, model, feeds)
    rebuilt = _rebuild(model, **kwargs)
    names = {i.name for i in rebuilt.graph.input}
    assert names <= set(feeds), f"the rebuilt model asks for {sorted(names - set(feeds))}"
    assert [o.name for o in rebuilt.graph.output] == [o.name for o in model.graph.output]
    got = _run(runtime, rebuilt, {k: v for k, v in feeds.items() if k in names})
    _same(expected, got, rtol, atol)


@pytest.mark.parametrize("name", sorted(_node_cases()))
def test_node_case_round_trip(name):
    if name in NODE_SKIPS:
        pytest.skip(NODE_SKIPS[name])
    case = _node_cases()[name]
    inputs, _ = case.data_sets[0]
    feeds = {
        i.name: numpy_helper.to_array(v) if isinstance(v, onnx.TensorProto) else v for i, v in zip(case.model.graph.input, inputs)
    }
    _round_trip(case.model, feeds, runtime="onnxruntime" if name in ONNXRUNTIME_ORACLE else None)


def test_same_text_twice_and_names_kept():
    case = _node_cases()["test_lstm_with_peepholes"]
    first, second = translate(case.model), translate(case.model.SerializeToString())
    assert first == second
    rebuilt = _rebuild(case.model)
    assert [(i.name, i.type) for i in rebuilt.graph.input] == [(i.name, i.type) for i in case.model.graph.input]


def test_small_constants_are_exact_literals():
    from onnxalgebra import OnnxAdd, Var

    special = np.array([np.nan, np.inf, -np.inf, 0.1, -0.0, 1e-45, 3.4028235e38], dtype=np.float32)
    model = OnnxAdd(Var("X", np.float32, ["N", 7]), special).to_onnx(outputs=["Y"])
    text = translate(model)
    assert "np.array([float('nan'), float('inf'), -float('inf'), 0.10000000149011612" in text
    rebuilt = _rebuild(model)
    got = numpy_helper.to_array(rebuilt.graph.initializer[0])
    assert got.tobytes() == special.tobytes()


def test_bad_input_is_named():
    with pytest.raises(TranslateError, match="not a valid ONNX model"):
        translate(b"\x00\x01garbage")
    with pytest.raises(TranslateError, match="no such file"):
        translate("/nonexistent/model.onnx")
    with pytest.raises(TranslateError, match=r"expected an onnx\.ModelProto"):
        translate(3)


DATA = Path(onnx.__file__).parent / "backend" / "test" / "data"
DATA_MODELS = sorted(
    str(p.parent.relative_to(DATA)) for folder in ("pytorch-converted", "pytorch-operator", "simple", "light")
    for p in (DATA / folder).glob("*/model.onnx")
) + sorted(f"light/{p.name}" for p in (DATA / "light").glob("*.onnx"))  # fmt: skip


def _data_set(folder: Path, model: onnx.ModelProto) -> dict:
    inits = {t.name for t in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in inits]
    if folder.suffix == ".onnx":  # onnx's light models ship outputs only: random inputs of the declared shapes
        rng = np.random.default_rng(0)
        feeds = {}
        for vi in model.graph.input:
            if vi.name not in inits:
                shape = [d.dim_value or 1 for d in vi.type.tensor_type.shape.dim]
                dtype = onnx.helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)
                feeds[vi.name] = rng.standard_normal(shape).astype(dtype)
        return feeds
    files = sorted((folder / "test_data_set_0").glob("input_*.pb"), key=lambda p: int(p.stem.split("_")[1]))
    feeds = {}
    for name, path in zip(names, files):
        tensor = onnx.TensorProto.FromString(path.read_bytes())
        feeds[name] = numpy_helper.to_array(tensor)
    return feeds


@pytest.mark.parametrize("name", DATA_MODELS)
def test_onnx_data_model_round_trip(name):
    folder = DATA / name
    model = onnx.load(str(folder if folder.suffix == ".onnx" else folder / "model.onnx"))
    feeds = _data_set(folder, model)
    if not feeds:
        pytest.skip("no input in test_data_set_0")
    # onnxruntime first: the reference evaluator takes minutes on the convolutional networks
    _round_trip(model, feeds, rtol=1e-5, atol=1e-5, runtime=_runner(model, ("onnxruntime", "reference")))




def _ort(model, feeds: dict) -> list:
    return _run("onnxruntime", model, feeds)


_fitted = functools.cache(fitted_estimators)  # fits every estimator: once per session


@pytest.mark.parametrize("name", sorted(_fitted()))
def test_converter_model_round_trip(name):
    """Every converter's model (one fitted estimator per converter) rebuilt from its source gives identical outputs."""
    from onnxalgebra import to_onnx

    est, X = _fitted()[name]
    X = X.astype(np.float32) if X.dtype.kind == "f" else X
    model = to_onnx(est, X[:1])
    feeds = {model.graph.input[0].name: X}
    expected, got = _ort(model, feeds), _ort(_rebuild(model), feeds)
    _same(expected, got, rtol=0, atol=0)


def test_text_vectorizer_with_com_microsoft_tokenizer_and_zipmap_classifier():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from onnxalgebra import to_onnx

    docs = np.array(["the cat sat", "a dog ran far", "cats and dogs", "the dog sat", "far far away"], dtype=object)
    pipe = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, [0, 1, 0, 1, 1])
    model = to_onnx(pipe, docs[:1], options={"zipmap": True})  # the default tokenizer is com.microsoft.Tokenizer
    assert "com.microsoft" in {o.domain for o in model.opset_import}
    text = translate(model)
    assert "_custom('Tokenizer', 'com.microsoft'" in text and "OnnxZipMap(" in text
    expected, got = _ort(model, {"X": docs}), _ort(_rebuild(model), {"X": docs})
    _same(expected, got, rtol=0, atol=0)
    assert isinstance(got[1], list) and isinstance(got[1][0], dict)  # ZipMap's maps


def test_dataframe_pipeline_with_column_transformer():
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from onnxalgebra import dataframe_feeds, to_onnx

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.standard_normal(40), "b": rng.standard_normal(40), "c": rng.choice(["x", "y", "z"], 40)})
    y = (df["a"] + (df["c"] == "x") > 0).astype(int)
    pre = ColumnTransformer([("num", StandardScaler(), ["a", "b"]), ("cat", OneHotEncoder(), ["c"])])
    pipe = make_pipeline(pre, LogisticRegression()).fit(df, y)
    model = to_onnx(pipe, df[:1])
    feeds = dataframe_feeds(model, df)
    rebuilt = _rebuild(model)
    assert [i.name for i in rebuilt.graph.input] == ["a", "b", "c"]
    _same(_ort(model, feeds), _ort(rebuilt, feeds), rtol=0, atol=0)


def test_cli_translate(tmp_path, capsys):
    from onnxalgebra.__main__ import main

    source = DATA / "pytorch-converted" / "test_Linear" / "model.onnx"
    out = tmp_path / "linear.py"
    assert main(["translate", str(source), "-o", str(out)]) == 0
    text = out.read_text()
    assert "_load_weights(" in text and "OnnxGemm(" in text  # the 8x10 weights are read from the file
    namespace: dict = {}
    exec(compile(text, str(out), "exec"), namespace)
    model = onnx.load(str(source))
    feeds = _data_set(source.parent, model)
    _same(_run("reference", model, feeds), _run("reference", namespace["model"], feeds), rtol=1e-6, atol=1e-6)
    assert main(["translate", str(source)]) == 0
    assert capsys.readouterr().out == text  # printed: the same text
    assert main(["translate", str(tmp_path / "missing.onnx")]) == 2
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage")
    assert main(["translate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "not a valid ONNX model" in err


def test_large_weights_inline_and_from_the_file(tmp_path):
    from onnx import TensorProto, helper

    w = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)  # 30 elements: not a literal
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"], name="mm")], "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 10])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 3])], [numpy_helper.from_array(w, "W")],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "mm.onnx"
    onnx.save(model, str(path))
    x = np.random.default_rng(1).standard_normal((4, 10)).astype(np.float32)
    inline, from_file = translate(model), translate(path)
    assert '_tensor("' in inline and "weights['W']" not in inline
    assert "weights['W']" in from_file and str(path.resolve()) in from_file
    for rebuilt in (_rebuild(model), _rebuild(path), _rebuild(path, weights="inline")):
        assert rebuilt.graph.input[0].type == model.graph.input[0].type  # the symbolic 'batch' kept
        _same([x @ w], _ort(rebuilt, {"X": x}), rtol=1e-6, atol=1e-6)
    with pytest.raises(TranslateError, match="weights='path' needs the model given as a path"):
        translate(model, weights="path")


def test_untranslatable_node_is_named():
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("NoSuchOp", ["X"], ["Y"], name="mystery")], "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2])],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(TranslateError, match=r"node 'mystery' \(NoSuchOp\): operator 'NoSuchOp' does not exist"):
        translate(model)
    with pytest.raises(ValueError):  # a TranslateError is a ValueError too
        translate(model)


def test_external_data_read_per_tensor(tmp_path):
    """A model saved with its weights in a .data file translates with weights='inline': each tensor's bytes are read
    from the file (not the whole model again per tensor), and the rebuilt model computes what the original does."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((6, 6)).astype(np.float32) for _ in range(5)]
    nodes = [helper.make_node("MatMul", ["X" if i == 0 else f"h{i}", f"W{i}"], [f"h{i + 1}" if i < 4 else "Y"]) for i in range(5)]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 6])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 6])],
        [numpy_helper.from_array(w, f"W{i}") for i, w in enumerate(weights)],
    )  # fmt: skip
    path = tmp_path / "chain.onnx"
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save_model(model, str(path), save_as_external_data=True, location="chain.data", size_threshold=0)
    assert all(t.data_location == TensorProto.EXTERNAL for t in onnx.load(str(path), load_external_data=False).graph.initializer)
    x = rng.standard_normal((3, 6)).astype(np.float32)
    expected = x
    for w in weights:
        expected = expected @ w
    rebuilt = _rebuild(path, weights="inline")
    assert all(t.data_location == TensorProto.DEFAULT for t in rebuilt.graph.initializer)
    _same([expected], _ort(rebuilt, {"X": x}), rtol=1e-5, atol=1e-5)
    (tmp_path / "chain.data").unlink()
    with pytest.raises(TranslateError, match="cannot read its external data"):
        translate(path, weights="inline")
