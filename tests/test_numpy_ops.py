"""numpy's operators, ndarray methods, attributes and protocols on expressions, against numpy, with both runtimes.

Each property builds an expression from typed ``Var`` inputs with the same
code that runs on numpy arrays, checks the statically inferred dtype and
shape against numpy's result, then evaluates it with onnxruntime and with
``onnx.reference`` and compares the values. Where numpy raises, the
expression raises the same kind of exception when it is built.
(Indexing has its own file, ``test_numpy_indexing.py``.)
"""

import operator
import os
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import onnxruntime
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import onnxalgebra
from onnxalgebra import Expr, Var

RUNTIMES = ["onnxruntime", "reference"]
SETTINGS = settings(max_examples=int(os.environ.get("ONNXALGEBRA_EXAMPLES", "20")), deadline=None)

FLOATS = [np.float32, np.float64]
INTS = [np.int32, np.int64]
DTYPES = [np.float32, np.float64, np.int64, np.bool_]


def _elements(dtype, low=-50, high=50, nonzero=False, min_magnitude=0.0):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.just(True) if nonzero else st.booleans()
    if dtype.kind == "f":
        strategy = st.floats(low, high, width=dtype.itemsize * 8, allow_nan=False, allow_infinity=False)
        if min_magnitude:
            strategy = strategy.filter(lambda v: abs(v) >= min_magnitude)
    else:
        strategy = st.integers(int(low), int(high))
    if nonzero:
        strategy = strategy.filter(lambda v: v != 0)
    return strategy


def _array(data, dtype, shape, **kwargs):
    return data.draw(hnp.arrays(dtype, shape, elements=_elements(dtype, **kwargs)))


def _check(expr, feeds, expected, runtime, rtol=1e-6, atol=0.0, static_shape=True):
    """Static dtype and shape, then the values computed by ``runtime``, against numpy's ``expected``.

    ``static_shape=False`` lets the static shape have None where numpy's has a
    size (the same rank, never another size).
    """
    expected = np.asarray(expected)
    assert isinstance(expr, Expr), type(expr)
    assert expr.dtype == expected.dtype, (expr.dtype, expected.dtype)
    if static_shape:
        assert expr.shape == expected.shape, (expr.shape, expected.shape)
    else:
        assert expr.shape is not None and len(expr.shape) == expected.ndim, (expr.shape, expected.shape)
        assert all(s is None or s == e for s, e in zip(expr.shape, expected.shape)), (expr.shape, expected.shape)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the reference runtime computes with numpy
        got = expr.eval(feeds, runtime=runtime)
    assert got.dtype == expected.dtype and got.shape == expected.shape, (got.dtype, got.shape, expected.dtype, expected.shape)
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, expected)


def _numpy(fn, *arrays):
    """``fn`` on numpy arrays: its result, or the exception numpy raises (warnings silenced)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*arrays)
        except Exception as exc:  # numpy's own verdict is the oracle
            return exc


def _same_error(exc, build):
    """``build()`` raises the kind of exception numpy raised (``exc``): TypeError, ValueError or IndexError."""
    family = next(k for k in (TypeError, IndexError, ValueError) if isinstance(exc, k))
    with pytest.raises(family):
        build()


def _vars(*arrays):
    names = "ABCD"
    return [Var(names[i], a.dtype, a.shape) for i, a in enumerate(arrays)], {names[i]: a for i, a in enumerate(arrays)}


BROADCAST = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4)

ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "%": operator.mod}
COMPARISONS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


# -- binary operators with broadcasting --------------------------------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_arithmetic_broadcasts_like_numpy(runtime, data):
    symbol = data.draw(st.sampled_from(sorted(ARITHMETIC)))
    dtype = data.draw(st.sampled_from(FLOATS if symbol == "/" else FLOATS + INTS))
    shapes = data.draw(BROADCAST)
    a = _array(data, dtype, shapes.input_shapes[0])
    b = _array(data, dtype, shapes.input_shapes[1], nonzero=symbol in "/%", min_magnitude=0.5 if symbol in "/%" else 0.0)
    (va, vb), feeds = _vars(a, b)
    fn = ARITHMETIC[symbol]
    _check(fn(va, vb), feeds, fn(a, b), runtime)


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_comparisons_broadcast_like_numpy(runtime, data):
    symbol = data.draw(st.sampled_from(sorted(COMPARISONS)))
    dtype = data.draw(st.sampled_from(FLOATS + INTS))
    shapes = data.draw(BROADCAST)
    # few distinct values, so that equality happens
    a = _array(data, dtype, shapes.input_shapes[0], low=-2, high=2)
    b = _array(data, dtype, shapes.input_shapes[1], low=-2, high=2)
    (va, vb), feeds = _vars(a, b)
    fn = COMPARISONS[symbol]
    _check(fn(va, vb), feeds, fn(a, b), runtime)


SCALAR_OPERATORS = {**ARITHMETIC, **COMPARISONS, "**": operator.pow}


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("symbol", sorted(SCALAR_OPERATORS))
@settings(SETTINGS, max_examples=max(SETTINGS.max_examples // 2, 1))
@given(data=st.data())
def test_python_scalar_takes_the_dtype_of_the_other_operand(runtime, symbol, data):
    fn = SCALAR_OPERATORS[symbol]
    dtype = data.draw(st.sampled_from(FLOATS if symbol in ("/", "**") else FLOATS + INTS))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    scalar_on_left = data.draw(st.booleans())
    positive = symbol == "**" or (symbol in "/%" and not scalar_on_left)
    a = _array(
        data,
        dtype,
        shape,
        low=0.5 if symbol == "**" else -20,
        high=4 if symbol == "**" else 20,
        nonzero=symbol in "/%" and scalar_on_left,
        min_magnitude=0.5 if symbol in "/%" and scalar_on_left else 0.0,
    )
    if np.dtype(dtype).kind == "f":
        scalar = data.draw(st.sampled_from([0.5, 1.5, 2.0, 3.0] if positive else [-2.5, -1.0, 0.5, 2.0, 3.0]))
    else:
        scalar = data.draw(st.sampled_from([2, 3, 7] if positive else [-3, -1, 0, 2, 7]))
    (va,), feeds = _vars(a)
    expr, expected = (fn(scalar, va), fn(scalar, a)) if scalar_on_left else (fn(va, scalar), fn(a, scalar))
    assert np.asarray(expected).dtype in (np.dtype(dtype), np.bool_)  # numpy (NEP 50): no silent float64
    _check(expr, feeds, expected, runtime, rtol=1e-5)


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_power_like_numpy(runtime, data):
    dtype = data.draw(st.sampled_from(FLOATS + INTS))
    shapes = data.draw(BROADCAST)
    if np.dtype(dtype).kind == "f":
        a = _array(data, dtype, shapes.input_shapes[0], low=0.125, high=5)
        b = _array(data, dtype, shapes.input_shapes[1], low=-3, high=3)
    else:
        a = _array(data, dtype, shapes.input_shapes[0], low=-6, high=6)
        b = _array(data, dtype, shapes.input_shapes[1], low=0, high=4)
    (va, vb), feeds = _vars(a, b)
    _check(va**vb, feeds, a**b, runtime, rtol=1e-5)


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_matmul_like_numpy(runtime, data):
    dtype = data.draw(st.sampled_from(FLOATS + INTS))
    n, k, m, batch = (data.draw(st.integers(1, 4)) for _ in range(4))
    a_shape, b_shape = data.draw(
        st.sampled_from(
            [
                ((n, k), (k, m)),
                ((k,), (k, m)),
                ((n, k), (k,)),
                ((k,), (k,)),
                ((batch, n, k), (k, m)),
                ((batch, n, k), (batch, k, m)),
                ((1, n, k), (batch, k, m)),
            ]
        )
    )
    a = _array(data, dtype, a_shape, low=-5, high=5)
    b = _array(data, dtype, b_shape, low=-5, high=5)
    (va, vb), feeds = _vars(a, b)
    _check(va @ vb, feeds, a @ b, runtime, rtol=1e-5, atol=1e-4)
    _check(a @ vb, {"B": b}, a @ b, runtime, rtol=1e-5, atol=1e-4)  # an array on the left


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_float_modulo_takes_the_divisor_sign_exactly_like_numpy(runtime, dtype):
    # a / b rounds to an integer in several of these: a - floor(a / b) * b would be off by b
    a = np.array([0.3, -0.3, 0.7, -0.7, 1e-8, -1e-8, 5.5, -5.5, 2.0, -2.0, 0.0, 1.1, 100.3], dtype=dtype)
    for b in (0.1, -0.1, 2.0, -2.0, 0.7, 1.1):
        divisor = np.array(b, dtype=dtype)
        expected = a % divisor
        x = Var("X", dtype, [None])
        np.testing.assert_allclose((x % b).eval({"X": a}, runtime=runtime), expected, rtol=1e-6, atol=0)
        np.testing.assert_allclose((x % Var("B", dtype, [])).eval({"X": a, "B": divisor}, runtime=runtime), expected, rtol=1e-6)
    nonzero = a[a != 0]
    got = (1.1 % Var("X", dtype, [None])).eval({"X": nonzero}, runtime=runtime)
    np.testing.assert_allclose(got, dtype(1.1) % nonzero, rtol=1e-6)


# -- unary operators, astype, .T, reshape ------------------------------------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_unary_operators_transpose_and_astype(runtime, data):
    dtype = data.draw(st.sampled_from(FLOATS + INTS))
    x = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=4, max_side=3), elements=_elements(dtype)))
    (vx,), feeds = _vars(x)
    _check(-vx, feeds, -x, runtime)
    _check(abs(vx), feeds, np.abs(x), runtime)
    _check(vx.T, feeds, x.T, runtime)
    target = data.draw(st.sampled_from([np.float32, np.float64, np.int32, np.int64, np.bool_]))
    _check(vx.astype(target), feeds, x.astype(target), runtime)


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_reshape_like_numpy(runtime, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    size = x.size
    first = data.draw(st.sampled_from([d for d in range(1, size + 1) if size % d == 0]))
    new_shape = data.draw(st.sampled_from([(size,), (-1,), (first, -1), (-1, first), (first, size // first), (1, first, -1)]))
    (vx,), feeds = _vars(x)
    _check(vx.reshape(new_shape), feeds, x.reshape(new_shape), runtime)
    _check(vx.reshape(*new_shape), feeds, x.reshape(*new_shape), runtime)


# -- reductions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_reductions_like_numpy(runtime, data):
    name = data.draw(st.sampled_from(["sum", "mean", "max", "min"]))
    dtype = data.draw(st.sampled_from(FLOATS if name == "mean" else FLOATS + INTS))
    x = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=_elements(dtype)))
    rank = x.ndim
    axis = data.draw(
        st.one_of(
            st.none(),
            st.integers(-rank, rank - 1),
            st.lists(st.integers(0, rank - 1), unique=True, max_size=rank).map(tuple),
        )
    )
    keepdims = data.draw(st.booleans())
    (vx,), feeds = _vars(x)
    expr = getattr(vx, name)(axis=axis, keepdims=keepdims)
    expected = getattr(x, name)(axis=axis, keepdims=keepdims)
    _check(expr, feeds, expected, runtime, rtol=1e-5, atol=1e-3)


# -- dtypes of constants -------------------------------------------------------------------------------


def test_python_scalar_never_becomes_float64():
    x = Var("X", np.float32, [None, 3])
    for expr in (x + 1.0, 1.0 + x, x * 2, 2**x, x**2, x**3, x % 1.5, 1.5 % x, x / 3, x > 0.5, -x + 1):
        model = expr.to_onnx()
        dtypes = {onnx_dtype(init) for init in model.graph.initializer}
        assert np.float64 not in dtypes, (expr, dtypes)
        assert expr.dtype in (np.float32, np.bool_)


def onnx_dtype(initializer):
    from onnx import helper

    return helper.tensor_dtype_to_np_dtype(initializer.data_type)


def test_numpy_arrays_and_scalars_promote_as_numpy_2():
    x = Var("X", np.float32, [None, 3])
    assert (x + np.ones(3, np.float64)).dtype == np.float64
    assert (x * np.float64(2)).dtype == np.float64
    assert (Var("I", np.int64, [None]) * np.array([2], np.int32)).dtype == np.int64
    assert (Var("I", np.int32, [None]) + 1).dtype == np.int32
    expr = x + np.ones(3, np.float32)
    (init,) = expr.to_onnx().graph.initializer
    assert onnx_dtype(init) == np.float32


def test_python_float_with_int_operand_promotes_to_float64():
    values = np.array([1, -2], np.int64)
    expr = Var("I", np.int64, [None]) + 1.5
    assert expr.dtype == np.float64
    np.testing.assert_array_equal(expr.eval({"I": values}), values + 1.5)


# -- bitwise, floor division, divmod, shifts, unary operators: every dtype numpy accepts --------------

OPERATORS = {
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
    "//": operator.floordiv,
    "%": operator.mod,
    "divmod": divmod,
    "<<": operator.lshift,
    ">>": operator.rshift,
    "+": operator.add,
    "*": operator.mul,
    "-": operator.sub,
}
UNARY = {"-x": operator.neg, "+x": operator.pos, "~x": operator.invert, "abs(x)": abs}


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_binary_operators_on_every_dtype_like_numpy(runtime, data):
    # the same operator on numpy arrays and on expressions: same dtype, shape and values, or the same kind of error
    symbol = data.draw(st.sampled_from(sorted(OPERATORS)))
    dtype = data.draw(st.sampled_from(DTYPES))
    shapes = data.draw(BROADCAST)
    dividing = symbol in ("//", "%", "divmod")
    a = _array(data, dtype, shapes.input_shapes[0], low=-20, high=20)
    low = 1 if symbol in ("<<", ">>") else -6
    b = _array(data, dtype, shapes.input_shapes[1], low=low, high=5, nonzero=dividing)
    if data.draw(st.booleans()):  # a Python scalar on the right
        b = b.reshape(-1)[0].item() if b.size else 1
    fn = OPERATORS[symbol]
    expected = _numpy(fn, a, b)
    va = Var("A", dtype, a.shape)
    vb, feeds = (b, {"A": a}) if not isinstance(b, np.ndarray) else (Var("B", dtype, b.shape), {"A": a, "B": b})
    if isinstance(expected, Exception):
        _same_error(expected, lambda: fn(va, vb))
        return
    got = fn(va, vb)
    for expr, value in zip(got, expected) if symbol == "divmod" else [(got, expected)]:
        _check(expr, feeds, value, runtime, rtol=1e-6)


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_unary_operators_on_every_dtype_like_numpy(runtime, data):
    symbol = data.draw(st.sampled_from(sorted(UNARY)))
    dtype = data.draw(st.sampled_from(DTYPES))
    a = _array(data, dtype, data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
    fn = UNARY[symbol]
    expected = _numpy(fn, a)
    x = Var("X", dtype, a.shape)
    if isinstance(expected, Exception):  # -bool, +bool, ~float
        _same_error(expected, lambda: fn(x))
        return
    _check(fn(x), {"X": a}, expected, runtime)


POWERS = [2, 3, 1, 0, -1, -2, 0.5, 2.0, -1.0, 1.5, -0.5, 0.0]


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("exponent", POWERS, ids=repr)
def test_power_with_a_scalar_exponent_like_numpy(runtime, dtype, exponent):
    # x ** 2 of booleans is int8 in numpy (its fast path is np.square); integers to negative powers are an error
    a = np.array([[1, 2, 3], [4, 1, 2]]).astype(dtype)
    x = Var("X", dtype, [None, 3])
    expected = _numpy(lambda v: v**exponent, a)
    if isinstance(expected, Exception):
        with pytest.raises((ValueError, TypeError)):
            x**exponent
        return
    _check(x**exponent, {"X": a}, expected, runtime, rtol=1e-6, static_shape=False)
    y = x
    y **= exponent
    _check(y, {"X": a}, expected, runtime, rtol=1e-6, static_shape=False)


# -- ndarray methods ----------------------------------------------------------------------------------


def _axis(data, ndim, tuples=False):
    """None, an int axis (negative too) or, with ``tuples``, a tuple of distinct axes."""
    if ndim == 0:
        return None
    choices = [st.none(), st.integers(-ndim, ndim - 1)]
    if tuples:
        choices.append(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(tuple))
    return data.draw(st.one_of(*choices))


def _method(data, a):
    """A method call drawn for array ``a``: (label, on the expression, on the array), the same call when possible."""
    n = a.ndim
    names = ["argmax", "argmin", "clip", "round", "round()", "prod", "std", "var", "ravel", "flatten", "transpose"]
    names += ["squeeze", "cumsum", "any", "all", "sum", "mean", "max", "min", "ptp", "take", "repeat", "nonzero"]
    names += ["argsort", "astype", "reshape", "copy", "conj", "T", "dot"]
    if n >= 2:
        names += ["mT"]
    if n == 2:
        names += ["trace"]  # onnxalgebra's trace takes the diagonal of 2-D expressions only (a clear error otherwise)
    name = data.draw(st.sampled_from(names))
    keepdims = data.draw(st.booleans())
    if name in ("sum", "mean", "max", "min", "prod", "any", "all"):
        axis = _axis(data, n, tuples=True)
        call = lambda v: getattr(v, name)(axis=axis, keepdims=keepdims)  # noqa: E731
        return f"{name}(axis={axis}, keepdims={keepdims})", call, call
    if name in ("argmax", "argmin"):
        axis = _axis(data, n)
        call = lambda v: getattr(v, name)(axis, keepdims=keepdims)  # noqa: E731
        return f"{name}({axis}, keepdims={keepdims})", call, call
    if name in ("std", "var"):
        axis = _axis(data, n, tuples=True)
        ddof = data.draw(st.sampled_from([0, 1]))
        call = lambda v: getattr(v, name)(axis=axis, ddof=ddof, keepdims=keepdims)  # noqa: E731
        return f"{name}(axis={axis}, ddof={ddof})", call, call
    if name == "ptp":
        axis = _axis(data, n, tuples=True)
        return f"ptp({axis})", lambda v: v.ptp(axis=axis, keepdims=keepdims), lambda v: np.ptp(v, axis=axis, keepdims=keepdims)
    if name == "cumsum":
        axis = _axis(data, n)
        return f"cumsum({axis})", lambda v: v.cumsum(axis), lambda v: v.cumsum(axis)
    if name == "clip":
        low, high = sorted(data.draw(st.lists(st.integers(-5, 5), min_size=2, max_size=2)))
        form = data.draw(st.sampled_from(["both", "min", "max"]))
        kwargs = {"both": {"min": low, "max": high}, "min": {"min": low}, "max": {"max": high}}[form]
        return f"clip({kwargs})", lambda v: v.clip(**kwargs), lambda v: v.clip(**kwargs)
    if name == "round":
        decimals = data.draw(st.sampled_from([0, 1, 2, -1]))
        return f"round({decimals})", lambda v: v.round(decimals), lambda v: v.round(decimals)
    if name == "round()":
        decimals = data.draw(st.sampled_from([None, 0, 1, 2, -1]))
        return f"round(x, {decimals})", lambda v: round(v, decimals), lambda v: np.round(v, decimals or 0)
    if name == "transpose":
        perm = data.draw(st.permutations(range(n)))
        form = data.draw(st.sampled_from(["none", "args", "tuple", "list", "None"]))
        args = {"none": (), "args": tuple(perm), "tuple": (tuple(perm),), "list": (list(perm),), "None": (None,)}[form]
        call = lambda v: v.transpose(*args)  # noqa: E731
        return f"transpose{args}", call, call
    if name == "squeeze":
        ones = [k for k, d in enumerate(a.shape) if d == 1]
        axis = data.draw(st.one_of(st.none(), st.lists(st.sampled_from(ones), unique=True).map(tuple))) if ones else None
        call = lambda v: v.squeeze(axis)  # noqa: E731
        return f"squeeze({axis})", call, call
    if name == "take":
        axis = _axis(data, n)
        size = a.size if axis is None else a.shape[axis]
        if size == 0:
            indices = np.zeros(0, np.int64)
        else:
            indices = data.draw(
                hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), elements=st.integers(-size, size - 1))
            )
        return f"take({indices.tolist()}, {axis})", lambda v: v.take(indices, axis=axis), lambda v: v.take(indices, axis=axis)
    if name == "repeat":
        repeats = data.draw(st.integers(0, 3))
        axis = _axis(data, n)
        call = lambda v: v.repeat(repeats, axis)  # noqa: E731
        return f"repeat({repeats}, {axis})", call, call
    if name == "nonzero":
        k = data.draw(st.integers(0, max(n - 1, 0)))
        return (
            f"nonzero()[{k}]",
            lambda v: v.nonzero()[k],
            lambda v: np.nonzero(v)[k],
        )
    if name == "argsort":
        axis = data.draw(st.one_of(st.none(), st.integers(-n, n - 1))) if n else None
        return f"argsort({axis})", lambda v: v.argsort(axis), lambda v: v.argsort(axis, kind="stable")
    if name == "astype":
        target = data.draw(st.sampled_from([np.float32, np.float64, np.int32, np.int64, np.bool_]))
        return f"astype({target.__name__})", lambda v: v.astype(target), lambda v: v.astype(target)
    if name == "reshape":
        forms = [
            lambda v: v.reshape(-1),
            lambda v: v.reshape((-1,)),
            lambda v: v.reshape(a.shape),
            lambda v: v.reshape(*a.shape, 1),
        ]
        if a.size and a.size % 2 == 0:
            forms += [lambda v: v.reshape(-1, 2), lambda v: v.reshape((2, -1))]
        if a.size == 0:
            forms += [lambda v: v.reshape(0, 5), lambda v: v.reshape((3, 0, 2))]
        call = data.draw(st.sampled_from(forms))
        return "reshape", call, call
    if name == "trace":
        offset = data.draw(st.integers(-2, 2))
        return f"trace({offset})", lambda v: v.trace(offset), lambda v: v.trace(offset)
    if name == "dot":
        other = _array(data, a.dtype, (a.shape[-1] if n else 3, *data.draw(st.sampled_from([(), (2,)]))), low=-3, high=3)
        return "dot", lambda v: v.dot(other), lambda v: v.dot(other)
    # attributes and methods without arguments: ravel, flatten, copy, conj, T, mT
    if name in ("T", "mT"):
        return name, operator.attrgetter(name), operator.attrgetter(name)
    return f"{name}()", operator.methodcaller(name), operator.methodcaller(name)


def _known_gap(label, a):
    """A result onnxalgebra does not reproduce yet, outside this file's scope (reported, skipped here)."""
    return a.dtype == np.bool_ and a.size == 0 and label.startswith("ptp(")  # TypeError (bool) before ValueError (empty)


@pytest.mark.parametrize("runtime", RUNTIMES)
@settings(SETTINGS, max_examples=SETTINGS.max_examples * 4)
@given(data=st.data())
def test_ndarray_methods_like_numpy(runtime, data):
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    a = _array(data, dtype, shape, low=-3, high=3)
    label, ours, theirs = _method(data, a)
    if _known_gap(label, a):
        return
    expected = _numpy(theirs, a)
    x = Var("X", dtype, a.shape)
    if isinstance(expected, Exception):  # e.g. max of an empty array, ptp of booleans
        _same_error(expected, lambda: ours(x))
        return
    _check(ours(x), {"X": a}, expected, runtime, rtol=1e-5, atol=1e-5, static_shape=not label.startswith("nonzero"))


def test_sort_method_is_a_type_error_pointing_to_np_sort():
    x = Var("X", np.float32, [None, 3])
    with pytest.raises(TypeError, match=r"np\.sort"):
        x.sort()
    with pytest.raises(TypeError, match=r"np\.sort"):
        x.sort(axis=0)
    a = np.array([[3.0, 1.0, 2.0]], np.float32)
    np.testing.assert_array_equal(np.sort(x).eval({"X": a}), np.sort(a))


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_method_call_forms_like_numpy(runtime):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 10
    x = Var("X", np.float32, [2, 3, 4])
    feeds = {"X": a}
    for call in [
        lambda v: v.transpose(),
        lambda v: v.transpose(1, 0, 2),
        lambda v: v.transpose((1, 0, 2)),
        lambda v: v.transpose([2, 0, 1]),
        lambda v: v.transpose(np.array([2, 0, 1])),
        lambda v: v.transpose(-1, 0, 1),
        lambda v: v.reshape(-1, 2),
        lambda v: v.reshape((2, -1)),
        lambda v: v.reshape([4, 6]),
        lambda v: v.reshape(np.array([6, 4])),
        lambda v: v[:0].reshape(0, 7),
        lambda v: v[:0].reshape(-1, 4),
        lambda v: v[:1, :1, :1].reshape(()),
        lambda v: v.clip(np.zeros(4, np.float32), 5),
        lambda v: v.sum(axis=(0, 2)),
        lambda v: v.mean(axis=-1, keepdims=True),
        lambda v: v.max(initial=100),
        lambda v: v.std(axis=(0, 1), keepdims=True),
        lambda v: v.cumsum(axis=1),
        lambda v: v.squeeze(),
        lambda v: v[:1].squeeze(0),
        lambda v: v.take([[0, -1]], axis=2),
        lambda v: v.repeat(2, axis=1),
        lambda v: v[0].trace(offset=1, axis1=0, axis2=1),
        lambda v: v[0].trace(offset=1, axis1=1, axis2=0),
        lambda v: v.astype("float64"),
        lambda v: v.astype(int),
        lambda v: v.astype(bool),
        lambda v: v.dot(np.ones(4, np.float32)),
        lambda v: v.ravel(),
        lambda v: v.flatten(),
        lambda v: v.mT,
    ]:
        _check(call(x), feeds, call(a), runtime, rtol=1e-5)
    assert x.copy().shape == (2, 3, 4) and x.conj() is x  # ndarray.conj() of a real array is the array itself
    assert np.conjugate(Var("B", np.bool_, [2])).dtype == np.conjugate(np.array([True, False])).dtype


@pytest.mark.parametrize(
    "call",
    [
        lambda v: v.transpose(1.0, 0),
        lambda v: v.reshape(5, -1),
        lambda v: v.squeeze(1),
        lambda v: v.argmax(axis=2),
        lambda v: v.sum(axis=(0, 0)),
        lambda v: v.reshape(-1, -1),
        lambda v: v[0].mT,
        lambda v: v[:0].max(),
        lambda v: v.swapaxes(0, 2),
    ],
)
def test_method_errors_like_numpy(call):
    _same_error(_numpy(call, np.zeros((2, 3), np.float32)), lambda: call(Var("X", np.float32, [2, 3])))


# -- attributes, len, iteration ----------------------------------------------------------------------------


def test_shape_ndim_size_like_numpy():
    x = Var("X", np.float32, ["N", 4])
    assert x.shape == (None, 4) and x.type.shape == ("N", 4)  # symbolic names stay in the type
    assert x.ndim == 2 and x.size is None
    for shape in [(3, 4), (0, 3), (), (1,), (2, 1, 5)]:
        v, a = Var("X", np.float64, list(shape)), np.zeros(shape)
        assert (v.shape, v.ndim, v.size) == (a.shape, a.ndim, a.size)
        assert all(type(d) is int for d in v.shape)
        assert (v.T.shape, np.shape(v)) == (a.T.shape, a.shape)
    unknown = Var("X", np.float32)
    assert unknown.shape is None and unknown.ndim is None and unknown.size is None
    assert (x + 1).shape == (None, 4) and x[:, 1:].size is None and x[0].size == 4


def test_len_and_iteration_like_numpy():
    a = np.arange(6, dtype=np.float32).reshape(3, 2)
    x = Var("X", np.float32, [3, 2])
    assert len(x) == len(a) == 3
    rows = list(x)
    assert len(rows) == 3
    for row, expected in zip(rows, a):
        _check(row, {"X": a}, expected, "reference")
    first, *_ = x + 1
    _check(first, {"X": a}, (a + 1)[0], "onnxruntime")
    assert len(Var("E", np.float32, [0, 2])) == 0 and list(Var("E", np.float32, [0, 2])) == []
    for expr in (Var("X", np.float32, [None, 2]), Var("X", np.float32, []), Var("X", np.float32)):
        with pytest.raises(TypeError):
            len(expr)
        with pytest.raises(TypeError):
            iter(expr)  # at once, not at the first row
    with pytest.raises(TypeError):
        len(np.zeros(()))
    with pytest.raises(TypeError, match=r"np\.any"):
        1.0 in x  # noqa: B015


# -- in-place operators rebind ----------------------------------------------------------------------------------

INPLACE = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "@=": operator.imatmul,
}
NOT_INPLACE = {
    "+=": operator.add,
    "-=": operator.sub,
    "*=": operator.mul,
    "/=": operator.truediv,
    "//=": operator.floordiv,
    "%=": operator.mod,
    "**=": operator.pow,
    "&=": operator.and_,
    "|=": operator.or_,
    "^=": operator.xor,
    "<<=": operator.lshift,
    ">>=": operator.rshift,
    "@=": operator.matmul,
}


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("symbol", sorted(INPLACE))
def test_inplace_operators_rebind_and_leave_the_original_unchanged(runtime, symbol):
    floats = symbol in ("+=", "-=", "*=", "/=", "**=", "@=", "%=", "//=")
    dtype = np.float32 if floats else np.int64
    a = np.array([[3, 1], [2, 5]], dtype)
    other = np.array([[2, 1], [1, 3]], dtype) if symbol == "@=" else 2
    x = Var("X", dtype, [2, 2])
    before = (x.name, str(x.type))
    y = x
    y = INPLACE[symbol](y, other)
    assert y is not x and isinstance(y, Expr)
    assert (x.name, str(x.type)) == before
    _check(y, {"X": a}, NOT_INPLACE[symbol](a, other), runtime)
    _check(x, {"X": a}, a, runtime)  # x still evaluates to its input


def test_inplace_with_a_numpy_array_on_the_left_is_a_clear_error():
    a = np.ones((2, 2), np.float32)
    with pytest.raises(TypeError, match="out="):
        a += Var("X", np.float32, [2, 2])
    b = np.ones((2, 2), np.float32)
    assert isinstance(b + Var("X", np.float32, [2, 2]), Expr)  # b = b + x is fine
    with pytest.raises(TypeError, match="out="):
        np.add(Var("X", np.float32, [2]), 1, out=np.zeros(2, np.float32))


# -- numpy's protocols ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "convert",
    [
        np.asarray,
        np.array,
        lambda x: np.array([x, x]),
        lambda x: np.asarray([x]),
        lambda x: np.array(x, dtype=object),
        lambda x: np.array([x, 1], dtype=object),
        lambda x: np.float32(x),
        float,
        int,
        bool,
        complex,
        lambda x: 1 if x > 0 else 0,
        lambda x: x and 1,
    ],
    ids=[
        "asarray",
        "array",
        "array-list",
        "asarray-list",
        "object",
        "object-list",
        "float32",
        "float",
        "int",
        "bool",
        "complex",
        "if",
        "and",
    ],
)
def test_conversions_to_values_raise_a_clear_error_never_an_object_array(convert):
    x = Var("X", np.float32, [None, 2])
    with pytest.raises(TypeError) as info:
        result = convert(x)
        assert not isinstance(result, np.ndarray), result.dtype  # never reached: no object array
    message = str(info.value)
    assert "expression" in message and ("model runs" in message or "eval" in message), message


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_numpy_functions_and_arrays_on_the_left_give_expressions(runtime):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 4)).astype(np.float32)
    W = rng.standard_normal((4, 3)).astype(np.float32)
    x = Var("X", np.float32, [None, 4])
    cases = [
        lambda v: np.dot(v, W),
        lambda v: np.hstack([v, v]),
        lambda v: np.vstack([v, v]),
        lambda v: np.concatenate([v, v], axis=1),
        lambda v: np.stack([v, v]),
        lambda v: W.T @ v.T,
        lambda v: np.ones(4, np.float32) + v,
        lambda v: np.arange(4, dtype=np.float32) * v,
        lambda v: np.float32(2) * v,
        lambda v: np.ones(4) > v,
        lambda v: np.where(v > 0, v, 0),
        lambda v: np.exp(v).sum(axis=1),
        lambda v: np.maximum(v, 0.5),
    ]
    for fn in cases:
        got, expected = fn(x), fn(a)
        assert isinstance(got, Expr), type(got)
        _check(got, {"X": a}, expected, runtime, rtol=1e-5, atol=1e-6, static_shape=False)


# -- a function written once in plain numpy -----------------------------------------------------------------------

W43 = np.random.default_rng(7).standard_normal((4, 3)).astype(np.float32)


def predict(x):
    """The example of the issue: softmax, then a threshold on column 1, else the argmax."""
    z = np.exp(x @ W43) / np.exp(x @ W43).sum(axis=1, keepdims=True)
    return np.where(z[:, 1] > 0.3, 1, z.argmax(axis=1))


def standardize(x):
    return (x - x.mean(axis=0)) / (x.std(axis=0) + 1)


def features(x):
    clipped = np.clip(x, -1, 1).round(1)
    return np.concatenate([clipped, np.abs(x).max(axis=1, keepdims=True), (x > 0).sum(axis=1, keepdims=True)], axis=1)


def rows_over(x):
    return x[x[:, 0] > 0][:, ::-1].T.ravel()


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("fn", [predict, standardize, features, rows_over], ids=lambda f: f.__name__)
def test_a_plain_numpy_function_gives_the_same_result_on_arrays_and_expressions(runtime, fn):
    X32 = np.random.default_rng(3).standard_normal((20, 4)).astype(np.float32)
    expected = fn(X32)
    expr = fn(Var("X", np.float32, [None, 4]))
    _check(expr, {"X": X32}, expected, runtime, rtol=1e-5, atol=1e-6, static_shape=False)


def test_the_issue_example_compiles_and_runs_in_onnxruntime():
    X32 = np.random.default_rng(5).standard_normal((50, 4)).astype(np.float32)
    z = np.exp(X32 @ W43) / np.exp(X32 @ W43).sum(axis=1, keepdims=True)
    assert np.abs(z[:, 1] - 0.3).min() > 1e-4  # no borderline row, so float rounding cannot flip a label
    expected = predict(X32)
    expr = predict(Var("X", np.float32, [None, 4]))
    assert expr.dtype == expected.dtype == np.int64 and expr.shape == (None,)
    model = onnxalgebra.to_onnx(expr, {"X": X32})
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"X": X32})
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    assert len(set(expected.tolist())) > 1  # the labels are not all the same
