"""Models over protobuf's 2 GB limit: compiled, checked, saved with external data, run by onnxruntime from their path.

The oracle is numpy's result of the same computation; the models run in
onnxruntime loaded from the files written. The test over 2 GB is marked
``slow`` (``make test-slow``); the others exercise the same external-data
path on small models, with the limit lowered.
"""

from __future__ import annotations

import gc
import os
import shutil

import numpy as np
import onnx
import pytest
from google.protobuf.message import EncodeError
from onnx import TensorProto, helper, numpy_helper
from onnxruntime import InferenceSession

from onnxalgebra import Var, save_model, to_onnx
from onnxalgebra._passes import dedup_constants
from onnxalgebra.compiler import _large

X = (np.arange(32, dtype=np.float32).reshape(2, 16) % 5) - 2  # small integers: float32 sums are exact


def _run(path: os.PathLike, feeds: dict) -> list[np.ndarray]:
    return InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)


def _weight(rows: int, cols: int) -> np.ndarray:
    """Small integers in a pattern that differs along both axes, built without a float64 temporary."""
    w = np.empty((rows, cols), np.float32)
    pattern = (np.arange(min(cols, 4099), dtype=np.float32) % 7) - 3
    for r in range(rows):  # row r: the pattern shifted by r
        row = w[r]
        for start in range(0, cols, len(pattern)):
            chunk = row[start : start + len(pattern)]
            chunk[...] = pattern[: len(chunk)] + r
    return w


def _external_entries(tensor: TensorProto) -> dict[str, str]:
    return {e.key: e.value for e in tensor.external_data}


def test_small_model_writes_one_file(tmp_path):
    w, b = _weight(16, 8), np.arange(8, dtype=np.float32)
    model = to_onnx(Var("X", np.float32, [None, 16]) @ w + b, {"X": X})
    written = save_model(model, tmp_path / "small.onnx")
    assert written == [tmp_path / "small.onnx"]
    assert sorted(os.listdir(tmp_path)) == ["small.onnx"]
    assert (tmp_path / "small.onnx").read_bytes() == model.SerializeToString()
    (got,) = _run(tmp_path / "small.onnx", {"X": X})
    np.testing.assert_array_equal(got, X @ w + b)


def test_external_data_round_trip_leaves_the_model_unchanged(tmp_path):
    w, b = _weight(16, 300), np.arange(300, dtype=np.float32)  # 19,200 and 1,200 bytes: both external
    small = np.array([0.5, 1.5], np.float32)  # 8 bytes: stays in the model
    model = to_onnx((Var("X", np.float32, [None, 16]) @ w + b)[:, :2] * small, {"X": X})
    before = model.SerializeToString()
    written = save_model(model, tmp_path / "m.onnx", size_limit=0)
    assert written == [tmp_path / "m.onnx", tmp_path / "m.onnx.data"]
    assert model.SerializeToString() == before  # nothing moved out of the caller's model
    header = onnx.load(str(tmp_path / "m.onnx"), load_external_data=False)
    external = {t.name: _external_entries(t) for t in header.graph.initializer if t.data_location == TensorProto.EXTERNAL}
    inline = [t for t in header.graph.initializer if t.name not in external]
    assert len(external) == 2 and inline  # w and b; small ones (the slice's bounds, `small`) stay in the model
    assert all(numpy_helper.to_array(t).nbytes < 1024 for t in inline)
    for entries in external.values():
        assert entries["location"] == "m.onnx.data"  # relative: the two files move together
        assert int(entries["offset"]) % 4096 == 0
    loaded = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(tmp_path / "m.onnx")).graph.initializer}
    assert any(np.array_equal(a, w) for a in loaded.values()) and any(np.array_equal(a, b) for a in loaded.values())
    (got,) = _run(tmp_path / "m.onnx", {"X": X})
    np.testing.assert_array_equal(got, (X @ w + b)[:, :2] * small)


def test_external_data_is_deterministic(tmp_path):
    w = _weight(16, 100)

    def build() -> onnx.ModelProto:
        return to_onnx(Var("X", np.float32, [None, 16]) @ w, {"X": X})

    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        save_model(build(), tmp_path / folder / "m.onnx", size_limit=0)
    for name in ("m.onnx", "m.onnx.data"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_tensors_in_nodes_and_functions_go_external(tmp_path):
    c = np.arange(600, dtype=np.float32).reshape(2, 300)
    nodes = [
        helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(c, "c")),
        helper.make_node("Add", ["X", "c"], ["Y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 300])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 300])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    before = model.SerializeToString()
    save_model(model, tmp_path / "n.onnx", size_limit=0)
    assert model.SerializeToString() == before
    header = onnx.load(str(tmp_path / "n.onnx"), load_external_data=False)
    assert header.graph.node[0].attribute[0].t.data_location == TensorProto.EXTERNAL
    x = np.ones((2, 300), np.float32)
    (got,) = _run(tmp_path / "n.onnx", {"X": x})
    np.testing.assert_array_equal(got, x + c)


def test_bad_input_gets_a_clear_error(tmp_path):
    model = to_onnx(Var("X", np.float32, [None, 16]) @ _weight(16, 300), {"X": X})
    with pytest.raises(TypeError, match=r"expected an onnx\.ModelProto.*got bytes"):
        save_model(model.SerializeToString(), tmp_path / "m.onnx")
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        save_model(model, tmp_path / "missing" / "m.onnx")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        save_model(model, tmp_path)
    save_model(model, tmp_path / "m.onnx", size_limit=0)
    header = onnx.load(str(tmp_path / "m.onnx"), load_external_data=False)
    (tmp_path / "out").mkdir()
    with pytest.raises(ValueError, match=r"refers to external data 'm.onnx.data' that is not loaded.*onnx.load\(path\)"):
        save_model(header, tmp_path / "out" / "copy.onnx")
    assert os.listdir(tmp_path / "out") == []


def test_attributes_over_the_limit_cannot_go_external(tmp_path, monkeypatch):
    node = helper.make_node("Identity", ["X"], ["Y"], name="long_attributes", note=list(range(5000)))
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(graph)
    monkeypatch.setattr(_large, "PROTOBUF_LIMIT", 1000)  # the node's 5000 ints take more than this
    with pytest.raises(ValueError, match=r"even with its tensors as external data.*long_attributes"):
        save_model(model, tmp_path / "m.onnx", size_limit=1000)
    assert os.listdir(tmp_path) == []  # no data file left behind


def test_check_model_through_external_data(monkeypatch):
    model = to_onnx(Var("X", np.float32, [None, 16]) @ _weight(16, 300), {"X": X})
    monkeypatch.setattr(_large, "exceeds_limit", lambda m: True)  # the path a model over 2 GB takes
    _large.check_model(model, full_check=True)
    model.graph.node[0].op_type = "NoSuchOperator"
    with pytest.raises(onnx.checker.ValidationError, match="NoSuchOperator"):
        _large.check_model(model)


def test_large_constants_dedup_by_digest_and_content(monkeypatch):
    size = dedup_constants.DIGEST_ABOVE // 4 + 1  # float32 elements: just over the digest threshold
    a = np.arange(size, dtype=np.float32)
    x = Var("X", np.float32, [None, size])
    model = to_onnx([x + a, x * a.copy()], {"X": np.zeros((1, size), np.float32)})
    assert len(model.graph.initializer) == 1  # equal contents, two arrays: one initializer
    b = a.copy()
    b[-1] += 1
    monkeypatch.setattr(dedup_constants, "_digest", lambda array: b"same")  # a collision: content decides
    model = to_onnx([x + a, x * b], {"X": np.zeros((1, size), np.float32)})
    arrays = sorted((numpy_helper.to_array(t) for t in model.graph.initializer), key=lambda v: float(v[-1]))
    assert len(arrays) == 2
    np.testing.assert_array_equal(arrays[0], a)
    np.testing.assert_array_equal(arrays[1], b)


@pytest.mark.slow
def test_model_over_2gb(tmp_path):
    """X @ W with W a 2.18 GB float32 weight: compiled, checked, saved both ways, run from its path."""
    cols = 34_000_000  # 16 x 34M float32: 2,176,000,000 bytes, over 2**31 - 1
    w = _weight(16, cols)
    model = to_onnx(Var("X", np.float32, [None, 16]) @ w, {"X": X})
    try:
        assert _large.exceeds_limit(model)
        with pytest.raises(EncodeError):
            model.SerializeToString()  # the reason for all this: protobuf cannot write it whole
        _large.check_model(model)
        (output,) = _large.infer_shapes(model).graph.output
        assert [d.dim_value for d in output.type.tensor_type.shape.dim][1:] == [cols]
        expected = X @ w

        written = save_model(model, tmp_path / "big.onnx")
        assert written == [tmp_path / "big.onnx", tmp_path / "big.onnx.data"]
        assert os.path.getsize(written[0]) < 10_000 and os.path.getsize(written[1]) >= w.nbytes
        (got,) = _run(written[0], {"X": X})
        np.testing.assert_array_equal(got, expected)

        (tmp_path / "onnx_save").mkdir()
        path = tmp_path / "onnx_save" / "big.onnx"
        onnx.save(model, str(path), save_as_external_data=True)  # onnx's own writer works on what to_onnx returns
        del model
        (got,) = _run(path, {"X": X})
        np.testing.assert_array_equal(got, expected)
        shutil.rmtree(tmp_path / "onnx_save")

        import tempfile

        before = set(os.listdir(tempfile.gettempdir()))
        for runtime in ("onnxruntime", "reference"):  # expr.eval compiles the model and runs it: never serialised whole
            expr = Var("X", np.float32, [None, 16]) @ w  # a new expression each: its model and session go with it
            np.testing.assert_array_equal(expr.eval({"X": X}, runtime=runtime), expected)
            del expr
        assert {n for n in set(os.listdir(tempfile.gettempdir())) - before if n.startswith("onnxalgebra-")} == set()
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)  # gigabytes: not kept for pytest's last runs
        gc.collect()  # onnx's ReferenceEvaluator (and pytest.raises' traceback) hold the model in reference cycles


def _pretend_limit(monkeypatch, limit: int = 10_000) -> None:
    """Make ``limit`` bytes protobuf's limit: in our module, and for ONNX's inference and onnxruntime given bytes.

    ONNX's ``infer_shapes`` and ``InferenceSession(bytes)`` serialise the model whole, which over 2 GB raises
    protobuf's EncodeError: the wrappers raise it for a model (or bytes) over ``limit``, as protobuf would.
    """
    import onnxruntime

    monkeypatch.setattr(_large, "PROTOBUF_LIMIT", limit)
    infer, session = onnx.shape_inference.infer_shapes, onnxruntime.InferenceSession

    def infer_shapes(model, *args, **kwargs):
        if isinstance(model, onnx.ModelProto) and model.ByteSize() > limit:
            raise EncodeError("Failed to serialize proto")
        return infer(model, *args, **kwargs)

    def inference_session(model, *args, **kwargs):
        if isinstance(model, bytes) and len(model) > limit:
            raise AssertionError("onnxruntime was given a model over the limit as bytes")
        return session(model, *args, **kwargs)

    monkeypatch.setattr(onnx.shape_inference, "infer_shapes", infer_shapes)
    monkeypatch.setattr(onnxruntime, "InferenceSession", inference_session)


@pytest.mark.parametrize("runtime", ["onnxruntime", "reference"])
def test_eval_of_a_model_over_the_limit(monkeypatch, runtime):
    import tempfile

    w = _weight(16, 300)  # 19,200 bytes: over the pretended 10,000
    _pretend_limit(monkeypatch)
    before = set(os.listdir(tempfile.gettempdir()))
    expr = Var("X", np.float32, [None, 16]) @ w + 1.0
    np.testing.assert_array_equal(expr.eval({"X": X}, runtime=runtime), X @ w + 1.0)
    np.testing.assert_array_equal(expr.eval({"X": X[:1]}, runtime=runtime), X[:1] @ w + 1.0)  # the cached session
    left = {name for name in set(os.listdir(tempfile.gettempdir())) - before if name.startswith("onnxalgebra-")}
    assert left == set()  # the temporary model and its data file are removed


def test_shape_inference_of_a_model_over_the_limit(monkeypatch):
    from onnxalgebra.compiler._runtimes import oldest_onnxruntime
    from onnxalgebra.display._view import _intermediate_types

    w = _weight(16, 300).astype(np.float64)  # 38,400 bytes
    x = Var("X", np.float64, [None, 16])
    model = to_onnx(np.cos(x @ w) * 2.0, {"X": X.astype(np.float64)})
    expected_types = _intermediate_types(model)
    assert expected_types and oldest_onnxruntime(model) == "1.29"  # Cos of doubles: a late kernel, found by inference
    _pretend_limit(monkeypatch)
    with pytest.raises(EncodeError):
        onnx.shape_inference.infer_shapes(model)  # what the code used to call
    before = model.SerializeToString()
    assert _intermediate_types(model) == expected_types
    assert oldest_onnxruntime(model) == "1.29"
    inferred = _large.infer_shapes(model)
    assert {v.name for v in inferred.graph.value_info} >= set(expected_types)
    stripped = [t for t in inferred.graph.initializer if t.data_location == TensorProto.EXTERNAL]
    assert [tuple(t.dims) for t in stripped] == [(16, 300)] and not stripped[0].HasField("raw_data")
    assert model.SerializeToString() == before  # the caller's model keeps its data


def _wide_forest(n_samples: int, n_targets: int, n_trees: int = 10):
    """A fully grown ExtraTreesRegressor of ``n_targets`` targets: its leaves' values (leaves x targets) dominate."""
    from sklearn.ensemble import ExtraTreesRegressor

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (n_samples, 4))
    y = rng.standard_normal((n_samples, n_targets))
    est = ExtraTreesRegressor(n_estimators=n_trees, max_features=1, bootstrap=False, n_jobs=2, random_state=0)
    return est.fit(X, y), X[:7] + 1e-3


def _forest_over_the_limit(est, rows, folder) -> tuple[list, np.ndarray]:
    """Convert, save and run ``est`` from its files; returns the files written and onnxruntime's output.

    float64: one ``TreeEnsemble`` (its tensor attributes go to external data) and the table of the leaves' values;
    float32: one ``TreeEnsembleRegressor`` (attribute lists, in the model) and the table.
    """
    from onnxalgebra.compiler._runtimes import oldest_onnxruntime

    model = to_onnx(est, rows)
    ops = [n.op_type for n in model.graph.node]
    assert "Gather" in ops and ("TreeEnsemble" in ops) == (rows.dtype == np.float64)
    if rows.dtype == np.float64:
        assert oldest_onnxruntime(model) == "1.21"  # TreeEnsemble's kernel; ONNX's shape inference ran on the model
    assert _large.exceeds_limit(model)
    written = save_model(model, folder / "forest.onnx")
    header = onnx.load(str(written[0]), load_external_data=False)
    external = {
        a.name: a.t.data_location == TensorProto.EXTERNAL
        for n in header.graph.node
        if n.op_type == "TreeEnsemble"
        for a in n.attribute
        if a.type == onnx.AttributeProto.TENSOR
    }
    if rows.dtype == np.float64:
        assert external["nodes_splits"] and external["leaf_weights"]  # the node's tensor attributes, read by onnxruntime
    del model
    (got,) = _run(written[0], {"X": rows})
    return written, got


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forest_over_the_limit_with_tensor_attributes_in_external_data(tmp_path, monkeypatch, dtype):
    from onnxalgebra_converters.scikit_learn import trees

    est, rows = _wide_forest(300, 50)  # ~3,000 leaves x 50 targets: a table of 1.2 MB (float64), 0.6 MB (float32)
    monkeypatch.setattr(_large, "PROTOBUF_LIMIT", 400_000)
    monkeypatch.setattr(trees, "LEAF_TABLE_FLOAT32_FROM_VALUES", 100_000)  # the float32 switch, lowered alike
    written, got = _forest_over_the_limit(est, rows.astype(dtype), tmp_path)
    assert written[1].stat().st_size > 500_000 and written[0].stat().st_size < 400_000
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, est.predict(rows.astype(dtype)), rtol=tolerance, atol=tolerance)


@pytest.mark.slow
def test_forest_over_2gb(tmp_path):
    """A 27,000-target ExtraTreesRegressor of 10 trees of 1,000 leaves: a 2.16 GB table of leaf values (float64).

    In float32 the same forest's TreeEnsembleRegressor lists would take ~2.4 GB (over the limit, and lists cannot
    be external data): it becomes the leaf table too, 1.08 GB, in one file.
    """
    est, rows = _wide_forest(1_000, 27_000)
    expected = est.predict(rows)
    try:
        written, got = _forest_over_the_limit(est, rows, tmp_path)
        assert written[1].stat().st_size > 2**31
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
        for path in written:
            path.unlink()
        rows32 = rows.astype(np.float32)
        model = to_onnx(est, rows32)
        assert "Gather" in [n.op_type for n in model.graph.node]
        expected32 = est.predict(rows32)
        del est
        (written32,) = save_model(model, tmp_path / "forest32.onnx")
        del model
        (got,) = _run(written32, {"X": rows32})
        np.testing.assert_allclose(got, expected32, rtol=1e-5, atol=1e-5)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)
        gc.collect()
