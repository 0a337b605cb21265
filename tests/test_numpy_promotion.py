"""numpy 2's dtype rules on expressions, with numpy as the oracle.

Every operand kind (Python scalar, numpy scalar, numpy array, expression) is
paired with expressions of every dtype: the result has numpy's dtype (NEP 50:
weak Python scalars) and numpy's values. Also: Python ints out of a dtype's
range, the ``dtype=`` keyword, the keywords and ufunc methods that are refused,
untyped expressions, string tensors, and the wrap-around of integers narrower
than 32 bits and of float16, which the graphs compute in wider types.
"""

import operator
import os
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import onnxruntime as ort
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx.reference import ReferenceEvaluator

import onnxalgebra
from onnxalgebra import OnnxNumpyError, Var

RUNTIMES = ["onnxruntime", "reference"]
SETTINGS = settings(max_examples=int(os.environ.get("ONNXALGEBRA_EXAMPLES", "20")), deadline=None)
DTYPES = [np.bool_, np.int8, np.int32, np.int64, np.uint8, np.float16, np.float32, np.float64]
REFUSED = (OnnxNumpyError, TypeError)


def _run(expr, feeds, runtime):
    """The values of ``expr``, its inputs declared with the exact shapes of the feeds."""
    model = onnxalgebra.to_onnx([expr], [(name, a.dtype, a.shape) for name, a in feeds.items()])
    if runtime == "onnxruntime":
        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    else:
        session = ReferenceEvaluator(model)
    with np.errstate(all="ignore"):
        return session.run(None, feeds)[0]


def _numpy(fn, *args):
    """numpy's result, or the exception numpy raises."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.asarray(fn(*args))
        except (TypeError, OverflowError) as exc:
            return exc


def _check(expr, feeds, expected, runtimes=RUNTIMES):
    """numpy's dtype and shape statically, then numpy's values (float16 to its rounding)."""
    assert expr.dtype == expected.dtype, (expr.dtype, expected.dtype)
    assert expr.shape == expected.shape, (expr.shape, expected.shape)
    for runtime in runtimes:
        got = _run(expr, feeds, runtime)
        assert got.dtype == expected.dtype and got.shape == expected.shape, (runtime, got.dtype, got.shape)
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(got, expected, rtol=1e-3 if expected.dtype == np.float16 else 1e-6, err_msg=runtime)
        else:
            np.testing.assert_array_equal(got, expected, err_msg=runtime)


# -- every pair: dtype of the expression x operand kind ------------------------------------------------


def _values(dtype):
    return np.array([0, 1, 2], dtype=dtype) if np.dtype(dtype) != np.bool_ else np.array([False, True, True])


OTHERS = (
    [("python", v) for v in (True, 3, 2.5)]
    + [("numpy scalar", np.dtype(d).type(1)) for d in DTYPES]
    + [("numpy array", _values(d)[::-1].copy()) for d in DTYPES]
    + [("expression", np.dtype(d)) for d in DTYPES]
)


def _other_id(item):
    kind, value = item
    described = type(value).__name__ if kind == "python" else str(np.asarray(value).dtype if kind != "expression" else value)
    return f"{kind}-{described}"


@pytest.mark.parametrize("other", OTHERS, ids=[_other_id(o) for o in OTHERS])
@pytest.mark.parametrize("dtype", DTYPES, ids=[np.dtype(d).name for d in DTYPES])
def test_add_promotes_every_pair_like_numpy(dtype, other):
    kind, value = other
    x = _values(dtype)
    vx = Var("X", x.dtype, x.shape)
    feeds = {"X": x}
    if kind == "expression":
        y = _values(value)[::-1].copy()
        operand, stand_in = Var("Y", y.dtype, y.shape), y
        feeds["Y"] = y
    else:
        operand, stand_in = value, value
    forms = {
        "x + other": (lambda: vx + operand, lambda: x + stand_in),
        "other + x": (lambda: operand + vx, lambda: stand_in + x),
        "np.add(x, other)": (lambda: np.add(vx, operand), lambda: np.add(x, stand_in)),
        "np.add(other, x)": (lambda: np.add(operand, vx), lambda: np.add(stand_in, x)),
    }
    for name, (ours, theirs) in forms.items():
        expected = _numpy(theirs)
        assert not isinstance(expected, Exception), (name, expected)
        result = ours()
        assert result.dtype == expected.dtype, (name, result.dtype, expected.dtype)
        _check(result, feeds, expected)


OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
    "&": operator.and_,
    "maximum": np.maximum,
    "arctan2": np.arctan2,
}


@pytest.mark.parametrize("symbol", sorted(OPERATORS))
@SETTINGS
@given(data=st.data())
def test_operator_promotes_like_numpy(symbol, data):
    fn = OPERATORS[symbol]
    dtype = np.dtype(data.draw(st.sampled_from(DTYPES), label="dtype"))
    kind, value = data.draw(st.sampled_from(OTHERS), label="other")
    left = data.draw(st.booleans(), label="other on the left")
    x = _values(dtype)
    vx = Var("X", dtype, x.shape)
    feeds = {"X": x}
    if kind == "expression":
        y = _values(value)[::-1].copy()
        operand, stand_in = Var("Y", y.dtype, y.shape), y
        feeds["Y"] = y
    else:
        operand, stand_in = value, value
    if symbol in ("**", "//", "%"):  # positive values: no 0 ** -1, no division by zero, same in every dtype
        x = x + np.ones((), dtype)
        feeds["X"] = x
    args, stand_ins = ((operand, vx), (stand_in, x)) if left else ((vx, operand), (x, stand_in))
    expected = _numpy(fn, *stand_ins)
    if isinstance(expected, Exception):
        with pytest.raises((type(expected), *REFUSED)):
            fn(*args)
        return
    _check(fn(*args), feeds, expected)


def test_nep50_examples():
    x32 = Var("X", np.float32, [None, 3])
    assert (x32 * 2.0).dtype == np.float32
    assert (2.0 * x32).dtype == np.float32
    assert (x32 * np.float64(2)).dtype == np.float64
    assert (x32 + np.ones(3)).dtype == np.float64
    assert (x32 > 0.5).dtype == np.bool_
    i64 = Var("I", np.int64, [None])
    assert (i64 / i64).dtype == np.float64
    assert (i64 / 2).dtype == np.float64
    assert (Var("I8", np.int8, [None]) + 1).dtype == np.int8
    assert (Var("I8", np.int8, [None]) + 1.5).dtype == np.float64  # a Python float with integers: float64, as numpy
    assert (Var("U", np.uint8, [None]) + np.int8(1)).dtype == np.int16
    assert (Var("B", np.bool_, [None]) + 1).dtype == np.int64
    assert (Var("H", np.float16, [None]) + 1.0).dtype == np.float16


# -- Python integers outside the range of the dtype ------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "value"),
    [(np.uint8, 300), (np.uint8, -1), (np.int8, 128), (np.int8, -129), (np.int32, 2**31), (np.int64, 2**63), (np.uint32, -1)],
)
@pytest.mark.parametrize("symbol", ["+", "-", "*", "//", "%"])
def test_python_int_out_of_range_raises_overflow_error_like_numpy(dtype, value, symbol):
    fn = OPERATORS[symbol]
    with pytest.raises(OverflowError):
        fn(np.zeros(2, dtype), value)
    x = Var("X", dtype, [None])
    with pytest.raises(OverflowError, match=str(value)):
        fn(x, value)
    with pytest.raises(OverflowError, match=str(value)):
        fn(value, x)
    with pytest.raises(OverflowError):
        np.add(x, value)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # numpy warns as it rounds 70000 to inf
def test_python_numbers_round_to_the_dtype_as_numpy():
    h = Var("H", np.float16, [None])
    x = np.array([0.0, 1.0, np.inf, 60000], np.float16)
    for expr, expected in ((h + 0.1, x + 0.1), (h == 70000, x == 70000), (h < 65519.0, x < 65519.0), (h * 3.3, x * 3.3)):
        assert expr.dtype == expected.dtype
        for runtime in RUNTIMES:
            np.testing.assert_array_equal(_run(expr, {"H": x}, runtime), expected)
    f = Var("F", np.float32, [None])
    y = np.array([1.0, -2.0], np.float32)
    for expr, expected in ((f + 2**100, y + 2**100), (f * 0.1, y * 0.1), (f == 0.1, y == 0.1)):
        assert expr.dtype == expected.dtype
        for runtime in RUNTIMES:
            np.testing.assert_array_equal(_run(expr, {"F": y}, runtime), expected)


# -- the dtype= keyword of ufunc calls ---------------------------------------------------------------------

DTYPE_CALLS = [
    (np.add, np.float32, 1, np.float64),
    (np.add, np.int64, 1, np.float32),
    (np.add, np.float64, 1.5, np.float32),
    (np.add, np.float32, 1, np.float16),
    (np.add, np.int8, 1, np.int8),
    (np.add, np.int8, 100, np.int64),
    (np.multiply, np.int32, 3, np.float64),
    (np.true_divide, np.int64, 2, np.float32),
    (np.floor_divide, np.int32, 3, np.float64),
    (np.subtract, np.uint8, 3, np.int16),
    (np.exp, np.int64, None, np.float32),
    (np.sqrt, np.float64, None, np.float32),
    (np.negative, np.int8, None, np.int64),
    (np.equal, np.float32, 1, np.bool_),
    (np.add, np.float32, 1, np.int32),  # numpy: cannot cast float32 to int32 with casting='same_kind'
    (np.less, np.float32, 1, np.float64),  # numpy: no such loop
    (np.add, np.float64, 1, np.int64),
    (np.floor_divide, np.int32, 7, np.int8),  # numpy casts 300 to int8 (44) first: 44 // 7
    (np.multiply, np.float64, 3.3, np.float16),  # numpy rounds x to float16 first
    (np.remainder, np.int64, 7, np.uint8),
]


@pytest.mark.parametrize(("ufunc", "dtype", "other", "target"), DTYPE_CALLS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_dtype_keyword_like_numpy(ufunc, dtype, other, target):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = np.array([0, 1, 2, 5, 300, 1.0003, -3.3, 7.77]).astype(dtype)  # wrapped into integer dtypes
    vx = Var("X", dtype, [None])
    args, stand_ins = ((vx,), (x,)) if other is None else ((vx, other), (x, other))
    expected = _numpy(lambda *a: ufunc(*a, dtype=target), *stand_ins)
    if isinstance(expected, Exception):
        with pytest.raises(OnnxNumpyError, match=f"numpy.{ufunc.__name__}"):
            ufunc(*args, dtype=target)
        return
    result = ufunc(*args, dtype=target)
    assert result.dtype == expected.dtype
    for runtime in RUNTIMES:
        got = _run(result, {"X": x}, runtime)
        assert got.dtype == expected.dtype
        np.testing.assert_allclose(
            got.astype(np.float64), expected.astype(np.float64), rtol=1e-3 if target == np.float16 else 1e-6
        )


# -- keywords and ufunc methods that are refused, naming the ufunc ----------------------------------------


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda x: np.add(x, 1, out=np.empty(3, np.float32)), ["numpy.add", "out="]),
        (lambda x: np.multiply(x, 2, out=(np.empty(3, np.float32),)), ["numpy.multiply", "out="]),
        (lambda x: np.add(x, 1, where=np.array([True, False, True])), ["numpy.add", "where="]),
        (lambda x: np.exp(x, where=np.array([True, False, True])), ["numpy.exp", "where="]),
        (lambda x: np.add(x, 1, casting="unsafe"), ["numpy.add", "casting"]),
        (lambda x: np.subtract(x, 1, casting="no"), ["numpy.subtract", "casting"]),
        (lambda x: np.add(x, 1, signature=(None, None, np.float64)), ["numpy.add", "signature="]),
        (lambda x: np.sqrt(x, signature="d->d"), ["numpy.sqrt", "signature="]),
        (lambda x: np.add.at(x, [0], 1), ["numpy.add.at"]),
        (lambda x: np.add.reduceat(x, [0, 2]), ["numpy.add.reduceat"]),
        (lambda x: np.subtract.reduce(x), ["numpy.subtract.reduce"]),
        (lambda x: np.multiply.accumulate(x), ["numpy.multiply.accumulate"]),
        (lambda x: np.gcd(x.astype(np.int64), 2), ["numpy.gcd"]),
        (lambda x: np.lcm(2, x.astype(np.int64)), ["numpy.lcm"]),
        (lambda x: np.frexp(x), ["numpy.frexp"]),
        (lambda x: np.nextafter(x, 1), ["numpy.nextafter"]),
        (lambda x: np.bitwise_and(x, 1), ["numpy.bitwise_and"]),  # numpy has no float loop
        (lambda x: np.exp(x, order="F"), ["numpy.exp", "order"]),
    ],
)
def test_refused_keywords_and_methods_name_the_ufunc(call, names):
    x = Var("X", np.float32, [3])
    with pytest.raises(OnnxNumpyError) as info:
        call(x)
    for name in names:
        assert name in str(info.value), (name, str(info.value))


def test_default_keywords_are_accepted():
    x = Var("X", np.float32, [3])
    values = np.array([1.0, 2.0, 3.0], np.float32)
    expr = np.add(x, 1, casting="same_kind", order="K", subok=True, where=True, out=None)
    np.testing.assert_array_equal(_run(expr, {"X": values}, "onnxruntime"), values + 1)


# -- ufunc methods --------------------------------------------------------------------------------------------

METHODS = {
    "add.reduce": lambda x, y: np.add.reduce(x),
    "add.reduce axis=1": lambda x, y: np.add.reduce(x, axis=1),
    "add.reduce axis=None": lambda x, y: np.add.reduce(x, axis=None),
    "add.reduce keepdims": lambda x, y: np.add.reduce(x, axis=1, keepdims=True),
    "add.reduce dtype": lambda x, y: np.add.reduce(x, axis=0, dtype=np.float64),
    "multiply.reduce": lambda x, y: np.multiply.reduce(x, axis=1),
    "maximum.reduce": lambda x, y: np.maximum.reduce(x),
    "minimum.reduce": lambda x, y: np.minimum.reduce(x, axis=-1),
    "fmax.reduce": lambda x, y: np.fmax.reduce(x, axis=1),
    "fmin.reduce": lambda x, y: np.fmin.reduce(x),
    "logical_and.reduce": lambda x, y: np.logical_and.reduce(x, axis=1),
    "logical_or.reduce": lambda x, y: np.logical_or.reduce(x),
    "add.accumulate": lambda x, y: np.add.accumulate(x),
    "add.accumulate axis=1": lambda x, y: np.add.accumulate(x, axis=1),
    "multiply.outer": lambda x, y: np.multiply.outer(x, y),
    "add.outer": lambda x, y: np.add.outer(y, x),
    "subtract.outer": lambda x, y: np.subtract.outer(x[0], y),
    "less.outer": lambda x, y: np.less.outer(x, y),
    "arctan2.outer": lambda x, y: np.arctan2.outer(y, x[:, 0]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.bool_])
@pytest.mark.parametrize("method", sorted(METHODS))
def test_ufunc_methods_like_numpy(method, dtype):
    fn = METHODS[method]
    x = np.array([[1, 0, 3], [-2, 5, 1]]).astype(dtype)
    y = np.array([2, 0, -1, 1]).astype(dtype)
    expected = _numpy(fn, x, y)
    vx, vy = Var("X", x.dtype, x.shape), Var("Y", y.dtype, y.shape)
    if isinstance(expected, Exception):
        with pytest.raises(REFUSED):
            fn(vx, vy)
        return
    _check(fn(vx, vy), {"X": x, "Y": y}, expected)  # an unused input stays a graph input: feeding it is harmless


# -- untyped expressions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x + 1,
        lambda x: 2 - x,
        lambda x: x * 3,
        lambda x: x / 4,
        lambda x: -x,
        lambda x: abs(x),
        lambda x: x**2,
        lambda x: np.exp(x),
        lambda x: np.sqrt(x),
        lambda x: np.maximum(x, 1.5),
        lambda x: x < 2,
        lambda x: x == 1,
        lambda x: np.floor(x),
    ],
)
def test_untyped_expressions_use_the_plain_onnx_operator(fn):
    x = Var("X")
    expr = fn(x)
    assert expr.dtype is None
    values = np.array([0.5, 1.0, 2.25], np.float32)
    expected = np.asarray(fn(values))
    for runtime in RUNTIMES:
        got = expr.eval({"X": values}, runtime=runtime)
        assert got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("fn", "name"),
    [
        (lambda x: x // 2, "floor_divide"),
        (lambda x: x % 2, "remainder"),
        (lambda x: divmod(x, 2), "divmod"),
        (lambda x: np.arctan2(x, 1.0), "arctan2"),
        (lambda x: np.logaddexp(x, x), "logaddexp"),
        (lambda x: np.isfinite(x), "isfinite"),
        (lambda x: x & 1, "bitwise_and"),
        (lambda x: np.expm1(x), "expm1"),
        (lambda x: x != 1, "not_equal"),
    ],
)
def test_untyped_expressions_refuse_ufuncs_needing_a_dtype(fn, name):
    with pytest.raises(OnnxNumpyError, match=f"numpy.{name}: the dtype of Var\\('X'\\) is unknown"):
        fn(Var("X"))


# -- string tensors ----------------------------------------------------------------------------------------------


def test_strings_compare_with_equal_and_not_equal():
    s = Var("S", np.str_, [None])
    values = np.array(["a", "b", "", "a"])
    other = np.array(["a", "c", "", "b"])
    cases = [
        (s == "a", values == "a"),
        (s != "a", values != "a"),
        ("a" == s, "a" == values),
        ("b" != s, "b" != values),
        (np.equal(s, "b"), np.equal(values, "b")),
        (np.not_equal("b", s), np.not_equal("b", values)),
        (s == other, values == other),
        (other != s, other != values),
    ]
    for expr, expected in cases:
        assert expr.dtype == np.bool_
        for runtime in RUNTIMES:
            np.testing.assert_array_equal(expr.eval({"S": values.astype(object)}, runtime=runtime), expected)
    t = Var("T", np.str_, [None])
    both = s == t
    for runtime in RUNTIMES:
        got = both.eval({"S": values.astype(object), "T": other.astype(object)}, runtime=runtime)
        np.testing.assert_array_equal(got, values == other)


@pytest.mark.parametrize(
    "fn",
    [
        lambda s: s + "x",
        lambda s: "x" + s,
        lambda s: s < "a",
        lambda s: np.maximum(s, "a"),
        lambda s: s * 2,
        lambda s: np.exp(s),
        lambda s: s == 1,
    ],
)
def test_strings_refuse_other_ufuncs(fn):
    with pytest.raises(OnnxNumpyError, match="string"):
        fn(Var("S", np.str_, [None]))


# -- integers narrower than 32 bits, uint32 and float16: computed wider, cast back ---------------------------

NARROW = [np.int8, np.int16, np.uint8, np.uint16, np.uint32, np.float16]
NARROW_OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "//": operator.floordiv,
    "%": operator.mod,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def _narrow_elements(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":  # whole and half numbers: equalities happen, products stay finite
        return st.integers(-200, 200).map(lambda v: v / 2)
    info = np.iinfo(dtype)
    return st.integers(int(info.min), int(info.max)) | st.sampled_from([0, 1, int(info.max), int(info.min)])


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("symbol", sorted(NARROW_OPERATORS))
@SETTINGS
@given(data=st.data())
def test_narrow_dtypes_wrap_around_like_numpy(runtime, symbol, data):
    fn = NARROW_OPERATORS[symbol]
    dtype = np.dtype(data.draw(st.sampled_from(NARROW), label="dtype"))
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, min_side=0, max_side=4))
    a = data.draw(hnp.arrays(dtype, shapes.input_shapes[0], elements=_narrow_elements(dtype)), label="a")
    b = data.draw(hnp.arrays(dtype, shapes.input_shapes[1], elements=_narrow_elements(dtype)), label="b")
    form = data.draw(st.sampled_from(["expr op expr", "expr op array", "expr op scalar", "scalar op expr"]), label="form")
    va = Var("A", dtype, [None if i == 0 else d for i, d in enumerate(a.shape)])
    vb = Var("B", dtype, b.shape)
    if form == "expr op expr":
        expr, expected, feeds = fn(va, vb), _numpy(fn, a, b), {"A": a, "B": b}
    elif form == "expr op array":
        expr, expected, feeds = fn(va, b), _numpy(fn, a, b), {"A": a}
    else:
        scalar = data.draw(_narrow_elements(dtype), label="scalar")
        scalar = float(scalar) if dtype.kind == "f" else int(scalar)
        if form == "expr op scalar":
            expr, expected, feeds = fn(va, scalar), _numpy(fn, a, scalar), {"A": a}
        else:
            expr, expected, feeds = fn(scalar, vb), _numpy(fn, scalar, b), {"B": b}
    assert expr.dtype == expected.dtype, (expr.dtype, expected.dtype)
    got = _run(expr, feeds, runtime)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)  # exact: float16 results are float32 ones rounded, as numpy's


def test_a_list_holding_expressions_is_stacked_like_numpy_arrays():
    x, y = Var("X", np.float32, [3]), Var("Y", np.float32, [])
    feeds = {"X": np.array([1, 2, 3], np.float32), "Y": np.float32(5)}
    expected = feeds["X"] + np.array([feeds["Y"], 1.0, 2.0])  # np.array of the list: float64
    expr = x + [y, 1.0, 2.0]  # noqa: RUF005 (numpy addition, not list concatenation)
    assert expr.dtype == expected.dtype and expr.shape == expected.shape
    for runtime in ("onnxruntime", "reference"):
        np.testing.assert_array_equal(expr.eval(feeds, runtime=runtime), expected)
