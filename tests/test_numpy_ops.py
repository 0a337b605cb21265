"""numpy's operators on expressions, property-tested against numpy with both runtimes.

Each property builds an expression from typed ``Var`` inputs, checks the
statically inferred dtype and shape against numpy's result, then evaluates it
with onnxruntime and with ``onnx.reference`` and compares the values.
"""

import operator
import os

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import onnxalgebra
from onnxalgebra import Output, Var

RUNTIMES = ["onnxruntime", "reference"]
SETTINGS = settings(max_examples=int(os.environ.get("ONNXALGEBRA_EXAMPLES", "20")), deadline=None)

FLOATS = [np.float32, np.float64]
INTS = [np.int32, np.int64]


def _elements(dtype, low=-50, high=50, nonzero=False, min_magnitude=0.0):
    dtype = np.dtype(dtype)
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
    """Static dtype and shape, then the values computed by ``runtime``, against numpy's ``expected``."""
    expected = np.asarray(expected)
    assert expr.dtype == expected.dtype, (expr.dtype, expected.dtype)
    if static_shape:
        assert expr.shape == expected.shape, (expr.shape, expected.shape)
    got = expr.eval(feeds, runtime=runtime)
    assert got.dtype == expected.dtype and got.shape == expected.shape, (got.dtype, got.shape, expected.dtype, expected.shape)
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(got, expected)


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
    a = _array(data, dtype, shape, low=0.5 if symbol == "**" else -20, high=4 if symbol == "**" else 20,
               nonzero=symbol in "/%" and scalar_on_left, min_magnitude=0.5 if symbol in "/%" and scalar_on_left else 0.0)
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


# -- indexing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_basic_indexing_like_numpy(runtime, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    x = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    index = data.draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    (vx,), feeds = _vars(x)
    _check(vx.at[index], feeds, x[index], runtime)
    _check(vx.getitem(index), feeds, x[index], runtime)


@pytest.mark.parametrize("runtime", RUNTIMES)
@SETTINGS
@given(data=st.data())
def test_integer_array_indexing_like_numpy(runtime, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    index_shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
    index = data.draw(hnp.arrays(np.int64, index_shape, elements=st.integers(-shape[0], shape[0] - 1)))
    (vx,), feeds = _vars(x)
    _check(vx.at[index], feeds, x[index], runtime)
    _check(vx.at[index.tolist()], feeds, x[index.tolist()], runtime)


def test_indexing_with_an_expression():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    i = np.array([3, 0, 3], dtype=np.int64)
    expr = Var("X", np.float32, [None, 3]).at[Var("I", np.int64, [None])]
    for runtime in RUNTIMES:
        np.testing.assert_array_equal(expr.eval({"X": x, "I": i}, runtime=runtime), x[i])


def test_brackets_select_an_output_only_on_nodes_with_several_outputs():
    x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    expr = Var("X", np.float32, [None, 2]) + 1.0
    np.testing.assert_array_equal(expr[0].eval({"X": x}), (x + 1)[0])  # one output: numpy indexing
    np.testing.assert_array_equal(expr.at[0].eval({"X": x}), (x + 1)[0])
    top = onnxalgebra.OnnxTopK(Var("X", np.float32, [None, 2]), np.array([1], np.int64))
    assert isinstance(top[1], Output) and top[1].dtype == np.int64  # several outputs: node[i] is output i
    with pytest.raises(IndexError, match="2 output"):
        top[2]
    with pytest.raises(TypeError, match=r"node\[i\] selects output i"):
        top[:, 0]
    np.testing.assert_array_equal(top[0][:, 0].eval({"X": x}), x.max(axis=1))


def test_more_than_one_ellipsis_is_an_index_error():
    with pytest.raises(IndexError):
        np.zeros((2, 2))[..., ...]
    with pytest.raises(IndexError):
        Var("X", np.float32, [2, 2]).at[..., ...]


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
