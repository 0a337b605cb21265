"""``onnxalgebra convert``: saved estimators to checked ONNX files, from a shell and in-process.

The oracle of every written file is scikit-learn's prediction of the estimator
on held-out rows the command never saw, against onnxruntime's outputs of the
file; bad input must exit 2 with one message line and no traceback.
"""

import importlib
import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import onnx
import pandas as pd
import pytest
import skops.io as sio
from onnxruntime import InferenceSession
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from onnxalgebra import UnsupportedEstimatorError, dataframe_feeds
from onnxalgebra.__main__ import main
from onnxalgebra.registry._convert import find_converter

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}
TREE = "sklearn.tree._tree.Tree"

# A module of estimators that scikit-learn does not know, written into a folder on the path: skops and pickle
# find the classes by module name; importing it registers their converters (one right, one deliberately wrong).
CUSTOM_MODULE = "cli_convert_custom"
CUSTOM_SOURCE = """
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from onnxalgebra import register_converter


class HalfScaler(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        self.half_ = 0.5
        return self

    def transform(self, X):
        return np.asarray(X) * self.half_


class WrongDoubler(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        self.factor_ = 2.0
        return self

    def transform(self, X):
        return np.asarray(X) * self.factor_


class NoConverter(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        return np.asarray(X)


@register_converter(HalfScaler)
def convert_half_scaler(est, X):
    return X * est.half_


@register_converter(WrongDoubler)
def convert_wrong_doubler(est, X):
    return X * (est.factor_ + 1.0)  # deliberately wrong: the verification must catch it
"""


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    rng = np.random.default_rng(1)
    order = rng.permutation(len(X))
    return X[order[:100]], y[order[:100]], X[order[100:]]  # the held-out rows: the oracle's, never the command's


@pytest.fixture(scope="module")
def custom(tmp_path_factory):
    folder = tmp_path_factory.mktemp("custom_module")
    (folder / f"{CUSTOM_MODULE}.py").write_text(textwrap.dedent(CUSTOM_SOURCE))
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module(CUSTOM_MODULE)
        module.folder = folder
        yield module
    finally:
        sys.path.remove(str(folder))


def cli(*args, pythonpath=None):
    """``python -m onnxalgebra convert ARGS`` in a subprocess: (exit code, stdout, stderr)."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run(
        [sys.executable, "-m", "onnxalgebra", "convert", *map(str, args)], capture_output=True, text=True, timeout=300, env=env
    )
    return done.returncode, done.stdout, done.stderr


def inproc(capsys, *args):
    """``onnxalgebra.__main__.main(['convert', ...])`` in this process: (exit code, stdout, stderr)."""
    code = main(["convert", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def run_file(path, feeds):
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    sess = InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return model, sess, sess.run(None, feeds)


def assert_classifier_file(path, est, X, dtype):
    """The written file against scikit-learn on held-out rows: labels equal, probabilities within the tolerance."""
    X = X.astype(dtype)
    model, _, (label, proba) = run_file(path, {"X": X})
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    np.testing.assert_array_equal(label, est.predict(X))
    expected = est.predict_proba(X)
    assert proba.dtype == dtype
    assert np.abs(proba - expected).max() <= TOLERANCE[dtype] * np.abs(expected).max()


def assert_user_error(code, err, *needles):
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("onnxalgebra convert: "), err
    for needle in needles:
        assert needle in lines[0], (needle, err)


@pytest.fixture(scope="module")
def pipe(iris):
    X, y, _ = iris
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)


@pytest.fixture(scope="module")
def forest(iris):
    X, y, _ = iris
    return RandomForestClassifier(n_estimators=8, max_depth=5, random_state=0).fit(X, y)


# --- skops files ---


def test_pipeline_skops_from_a_shell(tmp_path, iris, pipe):
    sio.dump(pipe, tmp_path / "pipe.skops")
    out_path = tmp_path / "out" / "model.onnx"
    out_path.parent.mkdir()
    code, out, err = cli(tmp_path / "pipe.skops", "-o", out_path, "--n-features", 4)
    assert code == 0, err
    assert "Traceback" not in err
    assert f"wrote {out_path} ({out_path.stat().st_size:,} bytes): Pipeline loaded from" in out
    assert "inputs: X: float32 [N, 4]" in out
    assert "outputs: label: int64 [N]; probabilities: float32 [N, 3]" in out
    assert "opsets: " in out and "IR version: " in out
    assert "verification on 100 random rows (float32): agrees with scikit-learn: label equal; probabilities max relative" in out
    assert_classifier_file(out_path, pipe, iris[2], np.float32)


def test_default_output_and_features_from_the_estimator(tmp_path, capsys, iris, pipe):
    sio.dump(pipe, tmp_path / "pipe.skops")
    code, out, err = inproc(capsys, tmp_path / "pipe.skops")  # no -o, no --n-features: pipe.onnx, n_features_in_
    assert code == 0, err
    assert (tmp_path / "pipe.onnx").is_file()
    assert "X: float32 [N, 4]" in out
    assert_classifier_file(tmp_path / "pipe.onnx", pipe, iris[2], np.float32)


def test_forest_with_its_tree_type_trusted(tmp_path, capsys, iris, forest):
    path = tmp_path / "forest.skops"
    sio.dump(forest, path)
    assert sio.get_untrusted_types(file=path) == [TREE]
    code, out, err = inproc(capsys, path, "--n-features", 4)
    assert_user_error(code, err, f"['{TREE}']", f"--trust {TREE}")
    assert not (tmp_path / "forest.onnx").exists()
    code, out, err = inproc(capsys, path, "--trust", TREE)
    assert code == 0, err
    assert "RandomForestClassifier loaded from" in out and "(skops)" in out
    assert_classifier_file(tmp_path / "forest.onnx", forest, iris[2], np.float32)


def test_untrusted_type_refused_then_accepted(tmp_path, capsys, iris, custom):
    est = custom.HalfScaler().fit(iris[0])
    path = tmp_path / "half.skops"
    sio.dump(est, path)
    name = f"{CUSTOM_MODULE}.HalfScaler"
    assert name in sio.get_untrusted_types(file=path)
    code, _, err = cli(path, pythonpath=custom.folder)
    assert_user_error(code, err, name, f"--trust {name}")
    code, _, err = inproc(capsys, path, "--trust", TREE)  # another type named: still refused
    assert_user_error(code, err, name)
    assert not (tmp_path / "half.onnx").exists()
    code, out, err = cli(path, "--trust", name, pythonpath=custom.folder)
    assert code == 0, err
    assert "verification on 100 random rows (float32): agrees with scikit-learn: variable max relative difference" in out
    X = iris[2].astype(np.float32)
    _, _, (got,) = run_file(tmp_path / "half.onnx", {"X": X})
    np.testing.assert_allclose(got, est.transform(X), rtol=1e-6)


def test_float64(tmp_path, capsys, iris, forest):
    sio.dump(forest, tmp_path / "forest.skops")
    code, out, err = inproc(capsys, tmp_path / "forest.skops", "--trust", TREE, "--dtype", "float64", "-o", tmp_path / "f64.onnx")
    assert code == 0, err
    assert "X: float64 [N, 4]" in out and "probabilities: float64 [N, 3]" in out
    assert "(float64): agrees" in out and "tolerance 1e-10" in out
    assert_classifier_file(tmp_path / "f64.onnx", forest, iris[2], np.float64)


def test_float64_npy_sample_keeps_its_dtype(tmp_path, capsys, iris, pipe):
    sio.dump(pipe, tmp_path / "pipe.skops")
    np.save(tmp_path / "rows.npy", iris[0][:7])  # float64 rows
    code, out, err = inproc(capsys, tmp_path / "pipe.skops", "--sample", tmp_path / "rows.npy")
    assert code == 0, err
    assert "verification on the 7 row(s) of" in out and "(float64): agrees" in out
    assert_classifier_file(tmp_path / "pipe.onnx", pipe, iris[2], np.float64)


def test_target_opset(tmp_path, capsys, iris, forest):
    sio.dump(forest, tmp_path / "forest.skops")
    code, _out, err = inproc(capsys, tmp_path / "forest.skops", "--trust", TREE, "--target-opset", "ai.onnx=15,ai.onnx.ml=3")
    assert code == 0, err
    model = onnx.load(str(tmp_path / "forest.onnx"))
    versions = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    assert versions.get("ai.onnx", 0) <= 15 and versions["ai.onnx.ml"] <= 3
    assert_classifier_file(tmp_path / "forest.onnx", forest, iris[2], np.float32)
    # a float64 forest needs ai.onnx.ml 5: the converter's explanation, exit 2
    code, _, err = inproc(
        capsys, tmp_path / "forest.skops", "--trust", TREE, "--dtype", "float64", "--target-opset", "ai.onnx.ml=3"
    )
    assert_user_error(code, err, "ai.onnx.ml opset 5")


# --- pickle and joblib ---


def test_pickle_refused_then_accepted(tmp_path, capsys, iris, pipe):
    path = tmp_path / "pipe.pkl"
    path.write_bytes(pickle.dumps(pipe))
    code, _, err = cli(path)
    assert_user_error(code, err, "refused", "runs any code", "--trust-pickle", "skops")
    assert not (tmp_path / "pipe.onnx").exists()
    code, out, err = cli(path, "--trust-pickle")
    assert code == 0, err
    assert "Pipeline loaded from" in out and "(joblib)" in out
    assert_classifier_file(tmp_path / "pipe.onnx", pipe, iris[2], np.float32)


def test_joblib_file(tmp_path, capsys, iris, forest):
    joblib.dump(forest, tmp_path / "forest.joblib")
    code, _, err = inproc(capsys, tmp_path / "forest.joblib")
    assert_user_error(code, err, "--trust-pickle")
    code, _out, err = inproc(capsys, tmp_path / "forest.joblib", "--trust-pickle")
    assert code == 0, err
    assert_classifier_file(tmp_path / "forest.onnx", forest, iris[2], np.float32)


# --- DataFrames ---


def _frame(n, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(np.float64),
            "income": rng.normal(3000, 800, n),
            "city": rng.choice(["Paris", "Lyon", "Nantes"], n),
        }
    )


@pytest.fixture(scope="module")
def frame_pipe():
    df = _frame(200, 0)
    y = (df["income"] / 1000 + (df["city"] == "Lyon") * 1.5 + df["age"] / 40 > 5).astype(int)
    pipe = make_pipeline(
        ColumnTransformer([("num", StandardScaler(), ["age", "income"]), ("city", OneHotEncoder(), ["city"])]),
        LogisticRegression(),
    )
    return pipe.fit(df, y)


def test_dataframe_pipeline_through_a_csv_sample(tmp_path, frame_pipe):
    sio.dump(frame_pipe, tmp_path / "frame.skops")
    untrusted = sio.get_untrusted_types(file=tmp_path / "frame.skops")
    _frame(12, 5).to_csv(tmp_path / "rows.csv", index=False)
    trust = [arg for t in untrusted for arg in ("--trust", t)]
    code, out, err = cli(tmp_path / "frame.skops", "--sample", tmp_path / "rows.csv", *trust)
    assert code == 0, err
    assert "inputs: age: float32 [N, 1]; income: float32 [N, 1]; city: string [N, 1]" in out
    assert "verification on the 12 row(s) of" in out and "agrees with scikit-learn" in out
    held_out = _frame(300, 9).astype({"age": np.float32, "income": np.float32})
    onnx.checker.check_model(onnx.load(str(tmp_path / "frame.onnx")), full_check=True)
    sess = InferenceSession(str(tmp_path / "frame.onnx"), providers=["CPUExecutionProvider"])
    label, proba = sess.run(None, dataframe_feeds(sess, held_out))
    np.testing.assert_array_equal(label, frame_pipe.predict(held_out))
    expected = frame_pipe.predict_proba(held_out)
    assert np.abs(proba - expected).max() <= 1e-5


def test_dataframe_pipeline_needs_a_csv_with_its_columns(tmp_path, capsys, frame_pipe):
    path = tmp_path / "frame.pkl"
    path.write_bytes(pickle.dumps(frame_pipe))
    code, _, err = inproc(capsys, path, "--trust-pickle", "--n-features", 3)
    assert_user_error(code, err, "fitted on a DataFrame", "['age', 'income', 'city']", "--sample")
    _frame(5, 1).drop(columns=["city"]).to_csv(tmp_path / "two.csv", index=False)
    code, _, err = inproc(capsys, path, "--trust-pickle", "--sample", tmp_path / "two.csv")
    assert_user_error(code, err, "lacks ['city']")


def test_headerless_csv_sample(tmp_path, capsys, iris, pipe):
    sio.dump(pipe, tmp_path / "pipe.skops")
    np.savetxt(tmp_path / "rows.csv", iris[0][:9], delimiter=",")
    code, out, err = inproc(capsys, tmp_path / "pipe.skops", "--sample", tmp_path / "rows.csv", "--dtype", "float64")
    assert code == 0, err
    assert "the 9 row(s) of" in out and "X: float64 [N, 4]" in out
    assert_classifier_file(tmp_path / "pipe.onnx", pipe, iris[2], np.float64)


# --- verification ---


def test_verification_failure_exits_1(tmp_path, capsys, iris, custom):
    est = custom.WrongDoubler().fit(iris[0])
    path = tmp_path / "wrong.skops"
    sio.dump(est, path)
    name = f"{CUSTOM_MODULE}.WrongDoubler"
    code, out, err = cli(path, "--trust", name, pythonpath=custom.folder)
    assert code == 1, (out, err)
    assert "Traceback" not in err
    assert "FAILED: variable max relative difference" in out
    assert "verification failed" in err and "WrongDoubler" in err and "variable: max relative difference 0.5" in err
    # the file is kept, and it is indeed wrong (1.5x scikit-learn's transform): the check above is not vacuous
    X = iris[2].astype(np.float32)
    _, _, (got,) = run_file(tmp_path / "wrong.onnx", {"X": X})
    np.testing.assert_allclose(got, est.transform(X) * 1.5, rtol=1e-6)
    code, out, err = inproc(capsys, path, "--trust", name)
    assert code == 1 and "verification failed" in err
    code, out, err = inproc(capsys, path, "--trust", name, "--no-verify")
    assert code == 0, err
    assert "verification: skipped (--no-verify)" in out


def test_regressor_output_shape_is_compared_as_scikit_learn_gives_it(tmp_path, capsys, iris):
    reg = LinearRegression().fit(iris[0], iris[0][:, 0] * 2 - iris[0][:, 1])
    sio.dump(reg, tmp_path / "reg.skops")
    code, out, err = inproc(capsys, tmp_path / "reg.skops", "--dtype", "float64")
    assert code == 0, err
    assert "variable: float64 [N, 1]" in out and "agrees with scikit-learn: variable max relative difference" in out
    X = iris[2]
    _, _, (got,) = run_file(tmp_path / "reg.onnx", {"X": X})
    np.testing.assert_allclose(got.ravel(), reg.predict(X), rtol=1e-10)


# --- bad input: exit 2, one line, no traceback ---


def test_bad_inputs(tmp_path, capsys, iris, pipe, custom):
    sio.dump(pipe, tmp_path / "pipe.skops")
    good = tmp_path / "pipe.skops"
    (tmp_path / "model.onnx").write_bytes(b"\x08\x07")
    (tmp_path / "model.txt").write_text("hello")
    (tmp_path / "garbage.skops").write_bytes(b"not a zip file at all")
    (tmp_path / "garbage.pkl").write_bytes(b"\x80\x04garbage")
    (tmp_path / "noconv.pkl").write_bytes(pickle.dumps(custom.NoConverter().fit(iris[0])))
    (tmp_path / "unfitted.pkl").write_bytes(pickle.dumps(LogisticRegression()))
    np.save(tmp_path / "flat.npy", np.zeros(4))
    np.save(tmp_path / "three.npy", np.zeros((5, 3)))
    np.save(tmp_path / "objects.npy", np.array([[None, 1]], dtype=object), allow_pickle=True)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "rows.txt").write_text("1,2,3,4\n")
    cases = [
        ([tmp_path / "model.onnx"], ["already ONNX", "onnxalgebra show"]),
        ([tmp_path / "model.txt"], ["unknown kind of file '.txt'", ".skops", "skops.io.dump"]),
        ([tmp_path / "missing.skops"], ["missing.skops: no such file"]),
        ([tmp_path / "garbage.skops"], ["not a readable skops file"]),
        ([tmp_path / "garbage.pkl", "--trust-pickle"], ["could not unpickle"]),
        ([tmp_path / "unfitted.pkl", "--trust-pickle", "--n-features", 4], ["not fitted", "fit it before saving"]),
        ([good, "--n-features", 5], ["--n-features 5", "fitted on 4 features", "--n-features 4"]),
        ([good, "--n-features", 0], ["--n-features 0", "expected a positive number"]),
        ([good, "--sample", tmp_path / "three.npy"], ["has 3 columns", "fitted on 4 features"]),
        ([good, "--sample", tmp_path / "flat.npy"], ["2-D array", "reshape(-1, 1)"]),
        ([good, "--sample", tmp_path / "objects.npy"], ["not loadable without pickle"]),
        ([good, "--sample", tmp_path / "nothing.npy"], ["nothing.npy: no such file"]),
        ([good, "--sample", tmp_path / "empty.csv"], ["the file is empty"]),
        ([good, "--sample", tmp_path / "rows.txt"], ["expected a .npy or .csv file"]),
        ([good, "--target-opset", "new"], ["--target-opset 'new'", "'latest'"]),
        ([good, "-o", tmp_path / "nowhere" / "m.onnx"], ["does not exist", "create it first"]),
        ([good, "-o", tmp_path / "m.txt"], ["ending in .onnx"]),
    ]
    for args, needles in cases:
        code, out, err = inproc(capsys, *args)
        assert_user_error(code, err, *needles)
        assert "wrote" not in out, args
    assert not (tmp_path / "pipe.onnx").exists()
    # no converter: UnsupportedEstimatorError's message, whole (its lines after the first show how to register one)
    code, out, err = inproc(capsys, tmp_path / "noconv.pkl", "--trust-pickle")
    with pytest.raises(UnsupportedEstimatorError) as expected:
        find_converter(custom.NoConverter())
    assert code == 2 and "wrote" not in out and "Traceback" not in err
    assert err == f"onnxalgebra convert: {expected.value}\n"
    assert err.startswith("onnxalgebra convert: no converter for cli_convert_custom.NoConverter. Register one")
    assert "@register_converter(NoConverter)" in err


def test_bad_input_from_a_shell_has_no_traceback(tmp_path):
    for args, needle in [
        ([tmp_path / "missing.skops"], "no such file"),
        ([tmp_path / "missing.joblib", "--trust-pickle"], "no such file"),
        ([tmp_path / "x.onnx"], "already ONNX"),
    ]:
        code, _out, err = cli(*args)
        assert_user_error(code, err, needle)


def test_argument_errors_are_argparse_s(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["convert", "m.skops", "--n-features", "4", "--sample", "x.npy"])
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["convert", "m.skops", "--dtype", "float16"])
    assert exc.value.code == 2
    assert "invalid choice: 'float16'" in capsys.readouterr().err


def test_model_over_the_limit_written_with_external_data(tmp_path, capsys, monkeypatch):
    """With protobuf's limit lowered to 20,000 bytes, a regression of 3,000 features (24,000 bytes of float64
    weights) is written as .onnx + .data, what is printed counts both files, and the verification passes."""
    from onnxalgebra.compiler import _large

    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3000))
    est = LinearRegression().fit(X, X @ rng.standard_normal(3000))
    sio.dump(est, tmp_path / "wide.skops")
    monkeypatch.setattr(_large, "PROTOBUF_LIMIT", 20_000)
    code, out, err = inproc(capsys, tmp_path / "wide.skops", "--dtype", "float64")
    assert code == 0, err
    model, data = tmp_path / "wide.onnx", tmp_path / "wide.onnx.data"
    assert data.stat().st_size >= 3000 * 8 and model.stat().st_size < 20_000
    total = model.stat().st_size + data.stat().st_size
    assert f"wrote {model} ({total:,} bytes: wide.onnx {model.stat().st_size:,} + wide.onnx.data {data.stat().st_size:,}" in out
    assert "agrees with scikit-learn" in out
    _, _, (got,) = run_file(model, {"X": X})
    np.testing.assert_allclose(got.ravel(), est.predict(X), rtol=1e-9, atol=1e-9)
