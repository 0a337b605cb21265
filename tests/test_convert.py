"""The conversion framework: ``to_onnx`` dispatch, the converter registry and its entry points,
errors, the output contract and ``OnnxSubEstimator``, checked against scikit-learn and numpy."""

import subprocess
import sys
import textwrap

import numpy as np
import onnx
import pytest
from onnx import TensorProto
from onnxruntime import InferenceSession
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from onnxalgebra import (
    ConversionError,
    OnnxAbs,
    OnnxAlgebraError,
    OnnxArgMin,
    OnnxNeg,
    OnnxSubEstimator,
    TensorType,
    UnsupportedEstimatorError,
    Var,
    register_converter,
    to_onnx,
)
from onnxalgebra.registry import _convert

# --- helpers ---------------------------------------------------------------------------


def run(model, feeds):
    onnx.checker.check_model(model, full_check=True)
    sess = InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def output_names(model):
    return [o.name for o in model.graph.output]


def elem_type(value_info):
    return value_info.type.tensor_type.elem_type


def float_types(model):
    """Float element types the graph mentions: inputs, outputs, initializers, Cast targets."""
    types = {elem_type(v) for v in (*model.graph.input, *model.graph.output) if v.type.HasField("tensor_type")}
    types.update(t.data_type for t in model.graph.initializer)
    types.update(a.i for n in model.graph.node if n.op_type == "Cast" for a in n.attribute if a.name == "to")
    return types & {TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.FLOAT, TensorProto.DOUBLE}


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


@pytest.fixture(scope="module")
def clr(iris):
    X, y = iris
    return LogisticRegression(max_iter=2000).fit(X, y)


@pytest.fixture(scope="module")
def reg():
    X, y = make_regression(100, 4, noise=0.5, random_state=0)
    return LinearRegression().fit(X, y), X


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry (entry points loaded first), restored after the test."""
    _convert._load_entry_points()
    monkeypatch.setattr(_convert, "_REGISTRY", dict(_convert._REGISTRY))
    monkeypatch.setattr(_convert, "_ENTRY_POINTS_LOADED", True)
    return _convert._REGISTRY


# --- a user-defined estimator ----------------------------------------------------------


class MyScaler(BaseEstimator, TransformerMixin):
    """(X - mean) / scale, computed by hand: not a scikit-learn class, so it has no converter."""

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0) + 0.5
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        return (np.asarray(X) - self.mean_) / self.scale_


class MyClassifier(ClassifierMixin, BaseEstimator):
    """A nearest-centroid classifier with probabilities, for contract errors (mixin first, as scikit-learn asks)."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.centroids_ = np.array([X[y == c].mean(axis=0) for c in self.classes_])
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X):
        d = -(((X[:, None, :] - self.centroids_[None]) ** 2).sum(axis=2))
        e = np.exp(d - d.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def convert_my_scaler(est, X):
    return (X - est.mean_) / est.scale_


# --- 1. to_onnx dispatch ---------------------------------------------------------------


def test_expressions_compile_as_before():
    X = np.array([[1.0, -2.0], [-3.0, 4.0]], dtype=np.float32)
    (got,) = run(to_onnx(OnnxAbs("X"), {"X": X}), {"X": X})
    np.testing.assert_array_equal(got, np.abs(X))
    for container in (list, tuple):
        model = to_onnx(container([OnnxAbs("X"), OnnxNeg("X")]), {"X": X})
        assert len(model.graph.output) == 2
        got_abs, got_neg = run(model, {"X": X})
        np.testing.assert_array_equal(got_abs, np.abs(X))
        np.testing.assert_array_equal(got_neg, -X)
    model = to_onnx(OnnxAbs("X"), {"X": X}, outputs=["Y"])
    assert output_names(model) == ["Y"]


def test_options_are_for_estimators_and_outputs_for_expressions(clr, iris):
    X = iris[0].astype(np.float32)
    with pytest.raises(TypeError, match="options"):
        to_onnx(OnnxAbs("X"), {"X": X}, options={"zipmap": True})
    with pytest.raises(TypeError, match="outputs"):
        to_onnx(clr, X[:1], outputs=["a", "b"])


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(lambda X: X[:1].astype(np.float32), id="sample"),
        pytest.param(lambda X: X.astype(np.float32), id="whole-sample"),
        pytest.param(lambda X: (np.float32, [None, X.shape[1]]), id="dtype-shape"),
        pytest.param(lambda X: TensorType(TensorProto.FLOAT, (None, X.shape[1])), id="TensorType"),
    ],
)
def test_estimator_goes_to_its_converter_with_x_as_sample_or_type(clr, iris, spec):
    X = iris[0]
    model = to_onnx(clr, spec(X), name="features")
    assert [i.name for i in model.graph.input] == ["features"]
    inp = model.graph.input[0].type.tensor_type
    assert inp.elem_type == TensorProto.FLOAT
    assert inp.shape.dim[1].dim_value == X.shape[1] and not inp.shape.dim[0].HasField("dim_value")
    label, proba = run(model, {"features": X.astype(np.float32)})
    np.testing.assert_array_equal(label, clr.predict(X.astype(np.float32)))
    np.testing.assert_allclose(proba, clr.predict_proba(X.astype(np.float32)), atol=1e-5)


def test_estimator_without_x_asks_for_a_sample(clr):
    with pytest.raises(OnnxAlgebraError, match=r"LogisticRegression.*give X"):
        to_onnx(clr)
    with pytest.raises(OnnxAlgebraError, match="numpy sample or"):
        to_onnx(clr, "not a type")


# --- 2. the registry -------------------------------------------------------------------


def test_register_converter_as_call_and_as_decorator(registry):
    class A:
        pass

    class B:
        pass

    def convert_a(est, X):
        return X

    assert register_converter(A, convert_a) is convert_a
    assert _convert.find_converter(A()) is convert_a

    @register_converter(B)
    def convert_b(est, X):
        return X

    assert callable(convert_b) and convert_b.__name__ == "convert_b"  # the decorator gives the function back
    assert _convert.find_converter(B()) is convert_b
    with pytest.raises(TypeError, match="class"):
        register_converter(A(), convert_a)
    with pytest.raises(TypeError, match="callable"):
        register_converter(A, "not a function")


def test_lookup_by_class_then_bases(registry, iris):
    X, y = iris

    class MyLogisticRegression(LogisticRegression):
        pass

    class Base:
        pass

    class Child(Base):
        pass

    class GrandChild(Child):
        pass

    def convert_base(est, X):
        return X

    def convert_child(est, X):
        return X

    register_converter(Base, convert_base)
    assert _convert.find_converter(GrandChild()) is convert_base
    register_converter(Child, convert_child)
    assert _convert.find_converter(GrandChild()) is convert_child  # the nearest registered base wins
    assert _convert.find_converter(Base()) is convert_base

    # a subclass of a scikit-learn class converts with its parent's converter
    sub = MyLogisticRegression(max_iter=2000).fit(X, y)
    assert _convert.find_converter(sub) is _convert.find_converter(LogisticRegression())
    X32 = X.astype(np.float32)
    label, proba = run(to_onnx(sub, X32[:1]), {"X": X32})
    np.testing.assert_array_equal(label, sub.predict(X32))
    np.testing.assert_allclose(proba, sub.predict_proba(X32), atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_user_estimator_registered_with_the_decorator(registry, iris, dtype):
    X, _ = iris
    register_converter(MyScaler)(convert_my_scaler)
    scaler = MyScaler().fit(X)
    Xd = X.astype(dtype)
    model = to_onnx(scaler, Xd[:1])
    assert output_names(model) == ["variable"]
    assert float_types(model) == {onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))}  # no cast
    (got,) = run(model, {"X": Xd})
    assert got.dtype == dtype
    if dtype == np.float32:
        np.testing.assert_allclose(got, scaler.transform(Xd), rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(got, scaler.transform(Xd), rtol=1e-12)


def test_user_estimator_inside_a_pipeline(registry, iris):
    X, y = iris
    register_converter(MyScaler, convert_my_scaler)
    pipe = Pipeline([("mine", MyScaler()), ("lr", LogisticRegression(max_iter=2000))]).fit(X, y)
    for dtype, tol in ((np.float32, 1e-5), (np.float64, 1e-10)):
        Xd = X.astype(dtype)
        label, proba = run(to_onnx(pipe, Xd[:1]), {"X": Xd})
        np.testing.assert_array_equal(label, pipe.predict(Xd))
        np.testing.assert_allclose(proba, pipe.predict_proba(Xd), atol=tol)
        # the pipeline's steps by hand, through the user's own transform
        np.testing.assert_allclose(proba, pipe[-1].predict_proba(pipe[0].transform(Xd)), atol=tol)


ENTRY_POINT_PACKAGE = '''
"""A third-party package exposing converters through the entry-point group onnxalgebra.converters."""
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class Tripler(BaseEstimator, TransformerMixin):
    def fit(self, X, y=None):
        self.offset_ = np.asarray(X, dtype=np.float64).mean(axis=0)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        return 3 * np.asarray(X) + self.offset_


def convert_tripler(est, X):
    return 3 * X + est.offset_


def register():
    from onnxalgebra import register_converter

    register_converter(Tripler, convert_tripler)
'''

ENTRY_POINT_MODULE = '''
"""An entry point naming a module: importing it registers its converter."""
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from onnxalgebra import register_converter


class Negator(BaseEstimator, TransformerMixin):
    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        return -np.asarray(X)


@register_converter(Negator)
def convert_negator(est, X):
    return -X
'''


@pytest.fixture
def plugin_modules():
    """Forget the test plugin's modules afterwards (its folder leaves sys.path with the test)."""
    package = "onnxalgebra_test_plugin"
    yield package
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


def test_converter_found_through_a_real_entry_point(tmp_path, monkeypatch, iris, plugin_modules):
    package = plugin_modules
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text(ENTRY_POINT_PACKAGE)
    (tmp_path / package / "negator.py").write_text(ENTRY_POINT_MODULE)
    dist = tmp_path / "onnxalgebra_test_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: onnxalgebra-test-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[{_convert.ENTRY_POINT_GROUP}]\ntripler = {package}:register\nnegator = {package}.negator\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    from importlib.metadata import entry_points

    assert {e.name for e in entry_points(group=_convert.ENTRY_POINT_GROUP)} >= {"tripler", "negator"}

    # a registry that has loaded nothing yet; both are restored after the test
    monkeypatch.setattr(_convert, "_REGISTRY", {})
    monkeypatch.setattr(_convert, "_ENTRY_POINTS_LOADED", False)

    import importlib

    plugin = importlib.import_module(package)
    X = iris[0]
    tripler = plugin.Tripler().fit(X)
    assert plugin.Tripler not in _convert._REGISTRY
    X32 = X.astype(np.float32)
    (got,) = run(to_onnx(tripler, X32[:1]), {"X": X32})
    np.testing.assert_allclose(got, tripler.transform(X32), rtol=1e-6)
    assert _convert._ENTRY_POINTS_LOADED
    assert _convert._REGISTRY[plugin.Tripler] is plugin.convert_tripler

    negator = importlib.import_module(f"{package}.negator").Negator().fit(X)
    (got,) = run(to_onnx(negator, X32[:1]), {"X": X32})
    np.testing.assert_array_equal(got, negator.transform(X32))
    # the project's own entry point was loaded in the same pass
    assert LogisticRegression in _convert._REGISTRY


def _python(code):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_algebra_never_imports_the_converters():
    out = _python(
        """
        import sys
        import numpy as np
        import onnxalgebra
        from onnxalgebra import OnnxAdd, OnnxSubEstimator, register_converter, to_onnx
        model = to_onnx(OnnxAdd("X", np.float32(1)), {"X": np.zeros((1, 2), np.float32)})
        assert len(model.graph.node) == 1
        print(sorted(m for m in sys.modules if m.startswith("onnxalgebra_converters")))
        """
    )
    assert out == "[]"


def test_the_converters_are_imported_when_an_estimator_needs_them():
    out = _python(
        """
        import sys
        import numpy as np
        from sklearn.linear_model import LinearRegression
        from onnxalgebra import to_onnx
        X = np.arange(8.0).reshape(4, 2)
        est = LinearRegression().fit(X, X[:, 0])
        before = "onnxalgebra_converters" in sys.modules
        to_onnx(est, X[:1])
        print(before, "onnxalgebra_converters" in sys.modules)
        """
    )
    assert out == "False True"


# --- 3. errors -------------------------------------------------------------------------


def test_unsupported_estimator_names_it_and_shows_how_to_register(registry, iris):
    X, y = iris
    est = MyClassifier().fit(X, y)
    with pytest.raises(UnsupportedEstimatorError) as info:
        to_onnx(est, X[:1].astype(np.float32))
    message = str(info.value)
    assert "MyClassifier" in message
    assert "register_converter" in message and "@register_converter(MyClassifier)" in message
    assert _convert.ENTRY_POINT_GROUP in message
    assert isinstance(info.value, TypeError) and isinstance(info.value, OnnxAlgebraError)
    with pytest.raises(UnsupportedEstimatorError, match="MyClassifier"):
        OnnxSubEstimator(est, "X")


@pytest.mark.parametrize(
    "make", [LogisticRegression, LinearRegression, MyScaler, lambda: Pipeline([("lr", LogisticRegression())])]
)
def test_unfitted_estimator_raises_not_fitted(registry, make):
    register_converter(MyScaler, convert_my_scaler)
    X = np.zeros((1, 4), np.float32)
    with pytest.raises(NotFittedError):
        to_onnx(make(), X)
    with pytest.raises(NotFittedError):
        OnnxSubEstimator(make(), "X")


def test_wrong_number_of_features_names_the_estimator_and_both_counts(clr):
    with pytest.raises(OnnxAlgebraError, match=r"LogisticRegression was fitted on 4 features but X has 3") as info:
        to_onnx(clr, np.zeros((1, 3), np.float32))
    assert "(n, 4)" in str(info.value)
    with pytest.raises(OnnxAlgebraError, match=r"LogisticRegression was fitted on 4 features but X has 6"):
        to_onnx(clr, (np.float32, [None, 6]))
    with pytest.raises(OnnxAlgebraError, match=r"fitted on 4 features but X has 2"):
        OnnxSubEstimator(clr, Var("X", np.float32, [None, 2]))


def test_converter_returning_the_wrong_number_of_outputs(registry, iris):
    X, y = iris
    est = MyClassifier().fit(X, y)

    @register_converter(MyClassifier)
    def convert_only_proba(est, X):
        return OnnxAbs(X)

    with pytest.raises(OnnxAlgebraError) as info:
        to_onnx(est, X[:1].astype(np.float32))
    message = str(info.value)
    assert "convert_only_proba" in message and "MyClassifier" in message
    assert "returned 1 value" in message and "expects 2" in message and "label, probabilities" in message

    @register_converter(MyClassifier)
    def convert_not_expressions(est, X):
        return est.classes_, est.centroids_

    with pytest.raises(OnnxAlgebraError, match=r"convert_not_expressions.*ndarray.*label, probabilities"):
        to_onnx(est, X[:1].astype(np.float32))


# --- 5. the output contract ------------------------------------------------------------


def _classification(labels):
    X, y = make_classification(300, 5, n_informative=4, n_redundant=0, n_classes=3, random_state=0)
    return X.astype(np.float32), np.asarray(labels)[y]


@pytest.mark.parametrize(
    ("labels", "elem", "kind"),
    [
        (np.array([0, 1, 2]), TensorProto.INT64, "i"),
        (np.array([-7, 3, 40]), TensorProto.INT64, "i"),
        (np.array(["cat", "dog", "eel"]), TensorProto.STRING, "O"),
    ],
)
def test_classifier_contract_names_order_and_label_type(labels, elem, kind):
    X, y = _classification(labels)
    est = LogisticRegression(max_iter=2000).fit(X, y)
    model = to_onnx(est, X[:1])
    assert output_names(model) == ["label", "probabilities"]
    assert elem_type(model.graph.output[0]) == elem
    assert elem_type(model.graph.output[1]) == TensorProto.FLOAT
    label, proba = run(model, {"X": X})
    assert label.dtype.kind == kind and label.shape == (len(X),)
    if kind == "i":
        assert label.dtype == np.int64
    np.testing.assert_array_equal(label, est.predict(X))
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba, est.predict_proba(X), atol=1e-5)


def test_classifier_without_predict_proba_gives_scores():
    X, y = _classification(np.array([0, 1, 2]))
    est = LinearSVC().fit(X, y)
    model = to_onnx(est, X[:1])
    assert output_names(model) == ["label", "scores"]
    label, scores = run(model, {"X": X})
    np.testing.assert_array_equal(label, est.predict(X))
    np.testing.assert_allclose(scores, est.decision_function(X), rtol=1e-4, atol=1e-5)


def test_regressor_and_transformer_contract(reg, registry, iris):
    est, X = reg
    model = to_onnx(est, X[:1].astype(np.float32))
    assert output_names(model) == ["variable"]
    (got,) = run(model, {"X": X.astype(np.float32)})
    np.testing.assert_allclose(got.reshape(-1), est.predict(X.astype(np.float32)), rtol=1e-4, atol=1e-3)
    register_converter(MyScaler, convert_my_scaler)
    assert output_names(to_onnx(MyScaler().fit(iris[0]), iris[0][:1])) == ["variable"]


@pytest.mark.parametrize("labels", [np.array([0, 1, 2]), np.array([5, 10, 20]), np.array(["cat", "dog", "eel"])])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zipmap_gives_one_dict_per_row(labels, dtype):
    X, y = _classification(labels)
    X = X.astype(dtype)
    est = LogisticRegression(max_iter=2000).fit(X, y)
    model = to_onnx(est, X[:1], options={"zipmap": True})
    assert output_names(model) == ["label", "probabilities"]
    casts = [n for n in model.graph.node if n.op_type == "Cast"]
    assert len(casts) == (0 if dtype == np.float32 else 1)  # ZipMap takes float: a cast for float64 only
    label, maps = run(model, {"X": X})
    np.testing.assert_array_equal(label, est.predict(X))
    expected = est.predict_proba(X)
    assert isinstance(maps, list) and len(maps) == len(X)
    for row, exp in zip(maps, expected):
        assert isinstance(row, dict)
        assert list(row) == list(est.classes_)  # keys: the classes, in order
        np.testing.assert_allclose([row[c] for c in est.classes_], exp, atol=1e-6)


def test_zipmap_on_a_regressor_or_a_classifier_without_probabilities_is_refused(reg):
    est, X = reg
    with pytest.raises(OnnxAlgebraError, match=r"LinearRegression.*zipmap.*classifiers with predict_proba"):
        to_onnx(est, X[:1].astype(np.float32), options={"zipmap": True})
    Xc, y = _classification(np.array([0, 1, 2]))
    with pytest.raises(OnnxAlgebraError, match=r"LinearSVC.*zipmap"):
        to_onnx(LinearSVC().fit(Xc, y), Xc[:1], options={"zipmap": True})


@pytest.mark.parametrize("meta", ["MultiOutputClassifier", "ClassifierChain"])
def test_zipmap_on_a_classifier_of_several_outputs_is_refused(meta):
    from sklearn import multioutput

    X = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0]).astype(np.int64)
    est = getattr(multioutput, meta)(LogisticRegression()).fit(X, Y)
    with pytest.raises(ConversionError, match=rf"to_onnx\({meta}\).*zipmap.*several outputs.*leave zipmap out"):
        to_onnx(est, X[:1], options={"zipmap": True})
    labels = InferenceSession(to_onnx(est, X[:1]).SerializeToString()).run(None, {"X": X})[0]
    np.testing.assert_array_equal(labels, est.predict(X))  # without the option it converts


# --- OnnxSubEstimator in custom expressions --------------------------------------------


COST = np.array([[0.0, 1.0, 4.0], [2.0, 0.0, 1.0], [8.0, 3.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sub_estimator_in_a_calibrated_decision(clr, iris, dtype):
    X = iris[0].astype(dtype)
    proba = OnnxSubEstimator(clr, "X", dtype=dtype)[1]
    assert proba.dtype == dtype
    cost = COST.astype(dtype)  # outside a converter, constants keep their dtype
    decision = OnnxArgMin(proba @ cost, axis=1, keepdims=0)  # the class of least expected cost
    model = to_onnx(decision, {"X": X[:1]})
    assert float_types(model) == {onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))}
    (got,) = run(model, {"X": X})
    expected_cost = clr.predict_proba(X) @ COST
    np.testing.assert_array_equal(got, np.argmin(expected_cost, axis=1))
    assert len(np.unique(got)) > 1  # the costs change some decisions: a meaningful check
    assert (got != clr.predict(X)).any()

    # the costs themselves, next to the label, in one graph
    sub = OnnxSubEstimator(clr, Var("X", dtype, [None, 4]))
    label, got_cost = run(to_onnx([sub[0], sub[1] @ cost]), {"X": X})
    np.testing.assert_array_equal(label, clr.predict(X))
    np.testing.assert_allclose(got_cost, expected_cost, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sub_estimator_as_an_operand(reg, dtype):
    est, X = reg
    X = X.astype(dtype)
    expr = OnnxSubEstimator(est, Var("X", dtype, [None, 4])) * 2 + 1
    model = to_onnx(expr)
    assert float_types(model) == {onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))}
    (got,) = run(model, {"X": X})
    assert got.dtype == dtype
    expected = est.predict(X) * 2 + 1
    if dtype == np.float64:
        np.testing.assert_allclose(got.reshape(-1), expected, rtol=1e-12)
    else:
        np.testing.assert_allclose(got.reshape(-1), expected, rtol=1e-5, atol=1e-3)


def test_sub_estimator_outputs_and_repr(clr):
    sub = OnnxSubEstimator(clr, "X")
    assert len(sub) == 2 and [o.dtype for o in sub] == [np.dtype(np.int64), np.dtype(np.float32)]
    assert sub[1].shape == (None, 3)
    assert "LogisticRegression" in repr(sub)


def test_float64_stays_float64_end_to_end(clr, iris):
    X = iris[0]
    model = to_onnx(clr, X[:1])  # a float64 sample: float64 computation
    assert float_types(model) == {TensorProto.DOUBLE}
    assert not [n for n in model.graph.node if n.op_type == "Cast"]
    label, proba = run(model, {"X": X})
    assert proba.dtype == np.float64
    np.testing.assert_array_equal(label, clr.predict(X))
    np.testing.assert_allclose(proba, clr.predict_proba(X), rtol=1e-10, atol=1e-12)
    # the same estimator from a float32 sample computes in float32
    assert float_types(to_onnx(clr, X[:1].astype(np.float32))) == {TensorProto.FLOAT}


def test_to_onnx_accepts_a_sub_estimator(clr, iris):
    X = iris[0].astype(np.float32)
    model = to_onnx(OnnxSubEstimator(clr, "X"))
    label, proba = run(model, {"X": X})
    np.testing.assert_array_equal(label, clr.predict(X))
    np.testing.assert_allclose(proba, clr.predict_proba(X), atol=1e-5)


# --- long attribute lists (tree ensembles, linear models) keep their meaning ------------


def test_attribute_lists_from_arrays_and_from_lists_are_the_same_node():
    from onnxalgebra import OnnxLinearRegressor

    coef = np.linspace(-1.0, 1.0, 6)
    X = np.arange(12, dtype=np.float32).reshape(2, 6)
    from_array = OnnxLinearRegressor("X", coefficients=coef, intercepts=np.array([0.5]))
    from_list = OnnxLinearRegressor("X", coefficients=coef.tolist(), intercepts=[0.5])
    other = OnnxLinearRegressor("X", coefficients=coef[::-1].copy(), intercepts=[0.5])
    model = to_onnx([from_array, from_list, other], {"X": X})
    # equal attributes: one node, whatever their Python form (the second output is an Identity of it)
    assert [n.op_type for n in model.graph.node].count("LinearRegressor") == 2
    a, b, c = run(model, {"X": X})
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a.ravel(), X @ coef.astype(np.float32) + 0.5, rtol=1e-6)
    np.testing.assert_allclose(c.ravel(), X @ coef[::-1].astype(np.float32) + 0.5, rtol=1e-6)


def test_long_int_and_string_attributes_round_trip():
    from onnxalgebra import OnnxLabelEncoder

    keys = np.arange(5000, dtype=np.int64)
    values = [f"v{i % 7}" for i in range(5000)]
    expr = OnnxLabelEncoder("X", keys_int64s=keys, values_strings=values, default_string="none")
    model = to_onnx(expr, {"X": np.zeros(3, np.int64)})
    attributes = {a.name: a for a in model.graph.node[0].attribute}
    assert list(attributes["keys_int64s"].ints) == keys.tolist()
    assert [s.decode() for s in attributes["values_strings"].strings] == values
    (got,) = run(model, {"X": np.array([0, 8, 9999], np.int64)})
    assert got.tolist() == ["v0", "v1", "none"]


def test_without_scikit_learn_the_error_names_the_extra_and_user_converters_still_work():
    out = _python(
        """
        import sys
        sys.modules["sklearn"] = None  # scikit-learn missing: importing it raises ImportError
        import warnings
        import numpy as np
        from onnxalgebra import MissingDependencyError, UnsupportedEstimatorError, register_converter, require, to_onnx

        class Mine:
            n_features_in_ = 2

        class Other:
            pass

        register_converter(Mine, lambda est, X: X * 2)
        X = np.ones((1, 2), np.float32)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(2):
                try:
                    to_onnx(Other(), X)
                except UnsupportedEstimatorError as exc:
                    print("extra named:", "pip install 'onnxalgebra[sklearn]'" in str(exc))
            model = to_onnx(Mine(), X)
        print("warnings:", len(caught), "onnxalgebra_converters" in str(caught[0].message))
        print("user converter:", [n.op_type for n in model.graph.node])
        try:
            require("sklearn", "this feature")
        except MissingDependencyError as exc:
            print(isinstance(exc, ImportError), str(exc).split(" (import")[0])
        """
    )
    assert out.splitlines() == [
        "extra named: True",
        "extra named: True",
        "warnings: 1 True",
        "user converter: ['Mul']",
        "True this feature needs scikit-learn: pip install 'onnxalgebra[sklearn]'",
    ]


def test_options_given_to_a_converter_without_options_are_an_error():
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(np.arange(6.0).reshape(3, 2))
    with pytest.raises(OnnxAlgebraError, match=r"StandardScaler: its converter .* takes no options, got options=\{'foo': 1\}"):
        to_onnx(scaler, np.zeros((1, 2), np.float32), options={"foo": 1})
