"""Every numpy ufunc of ``UFUNCS`` on expressions, property-tested against numpy in both runtimes.

numpy is the oracle: for random inputs (broadcast shapes, 0- and 1-sized
dimensions, float32/float64/int64/bool) the expression must have numpy's
static dtype and shape, and evaluate to numpy's values with onnxruntime and
with ``onnx.reference``. Where numpy has no loop for a dtype, building the
expression must raise too. Special float values (NaN, infinities, signed
zeros, huge and tiny numbers) are checked on every pair of them.
"""

import operator
import os
import warnings
from typing import NamedTuple

import hypothesis.extra.numpy as hnp
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx.reference import ReferenceEvaluator

import onnxalgebra
from onnxalgebra import OnnxNumpyError, Var
from onnxalgebra._numpy.ufuncs import UFUNCS

RUNTIMES = ["onnxruntime", "reference"]
SETTINGS = settings(max_examples=int(os.environ.get("ONNXALGEBRA_EXAMPLES", "20")), deadline=None)
DTYPES = [np.float32, np.float64, np.int64, np.bool_]
REFUSED = (OnnxNumpyError, TypeError)


class Spec(NamedTuple):
    """How to test one ufunc: input domains and the tolerance of its ONNX formula.

    ``floats``/``ints`` hold a (low, high) domain per input; ``rtol``/``atol``
    are for float32 and float64 results (float16 results get 1e-3). With
    ``scaled``, the error is measured against max(|inputs|, |result|), not
    |result|: for results that cancel (sin near a multiple of pi, logaddexp
    near 0), whose error is some ulp of the inputs in numpy as in ONNX.
    ``nonzero`` lists the integer inputs that must not be 0 (numpy's result is
    undefined there); ``second_dtypes`` other dtypes for the second input.
    """

    floats: tuple[tuple[float, float], ...]
    ints: tuple[tuple[int, int], ...]
    rtol: tuple[float, float] = (1e-6, 1e-12)
    atol: tuple[float, float] = (0.0, 0.0)
    scaled: bool = False
    nonzero: tuple[int, ...] = ()
    second_dtypes: tuple[type, ...] = ()


def unary(low=-100.0, high=100.0, ilow=-100, ihigh=100, **kwargs):
    """A :class:`Spec` for a one-input ufunc."""
    return Spec(((low, high),), ((ilow, ihigh),), **kwargs)


def binary(a=(-100.0, 100.0), b=(-100.0, 100.0), ia=(-100, 100), ib=(-100, 100), **kwargs):
    """A :class:`Spec` for a two-input ufunc."""
    return Spec((a, b), (ia, ib), **kwargs)


# Measured on 4000 random inputs per case, the results of these formulas and kernels are within
# 3 ulp of numpy's (float32: 1.2e-7, float64: 2.2e-16), tan in float64 (sin / cos) within 6:
# expm1 (Kahan: (u - 1) * (x / log u)), log1p (Goldberg), the float64 atan (a float32 atan and
# one Newton step) and what is built on it, sinh/cosh from exp(|x| / 2), cbrt (|x| ** (1/3) and
# a Newton step), hypot (max * sqrt(1 + r*r)), onnxruntime's float32 Exp/Log/Tanh kernels.
FEW_ULP = (6e-7, 2e-15)
TRIG = (6e-7, 3e-15)
SPECS: dict[str, Spec] = {
    "add": binary(ia=(-(10**9), 10**9), ib=(-(10**9), 10**9)),
    "subtract": binary(ia=(-(10**9), 10**9), ib=(-(10**9), 10**9)),
    "multiply": binary(ia=(-(10**4), 10**4), ib=(-(10**4), 10**4)),
    "divide": binary(),
    "floor_divide": binary(),
    "remainder": binary(),
    "fmod": binary(),
    "divmod": binary(),
    "power": binary(a=(0.01, 10.0), b=(-4.0, 4.0), ia=(-6, 6), ib=(0, 6), rtol=FEW_ULP),
    "float_power": binary(a=(0.01, 10.0), b=(-4.0, 4.0), ia=(-6, 6), ib=(-3, 6), rtol=FEW_ULP),
    "maximum": binary(),
    "minimum": binary(),
    "fmax": binary(),
    "fmin": binary(),
    "arctan2": binary(rtol=TRIG),
    "hypot": binary(a=(-1e3, 1e3), b=(-1e3, 1e3), rtol=FEW_ULP),
    # max(a, b) + log1p(exp(-|a - b|)) cancels near 0: within 2 ulp of max(|a|, |b|), in numpy as here
    "logaddexp": binary(a=(-50.0, 50.0), b=(-50.0, 50.0), ia=(-50, 50), ib=(-50, 50), rtol=FEW_ULP, scaled=True),
    "logaddexp2": binary(a=(-50.0, 50.0), b=(-50.0, 50.0), ia=(-50, 50), ib=(-50, 50), rtol=FEW_ULP, scaled=True),
    "copysign": binary(),
    "heaviside": binary(),
    "ldexp": binary(ib=(-20, 20), second_dtypes=(np.int32, np.int64)),
    "less": binary(a=(-2.0, 2.0), b=(-2.0, 2.0), ia=(-2, 2), ib=(-2, 2)),
    "less_equal": binary(a=(-2.0, 2.0), b=(-2.0, 2.0), ia=(-2, 2), ib=(-2, 2)),
    "greater": binary(a=(-2.0, 2.0), b=(-2.0, 2.0), ia=(-2, 2), ib=(-2, 2)),
    "greater_equal": binary(a=(-2.0, 2.0), b=(-2.0, 2.0), ia=(-2, 2), ib=(-2, 2)),
    "equal": binary(a=(-2.0, 2.0), b=(-2.0, 2.0), ia=(-2, 2), ib=(-2, 2)),
    "not_equal": binary(a=(-2.0, 2.0), b=(-2.0, 2.0), ia=(-2, 2), ib=(-2, 2)),
    "logical_and": binary(a=(-2.0, 2.0), b=(-2.0, 2.0), ia=(-2, 2), ib=(-2, 2)),
    "logical_or": binary(a=(-2.0, 2.0), b=(-2.0, 2.0), ia=(-2, 2), ib=(-2, 2)),
    "logical_xor": binary(a=(-2.0, 2.0), b=(-2.0, 2.0), ia=(-2, 2), ib=(-2, 2)),
    "bitwise_and": binary(ia=(-(2**62), 2**62), ib=(-(2**62), 2**62)),
    "bitwise_or": binary(ia=(-(2**62), 2**62), ib=(-(2**62), 2**62)),
    "bitwise_xor": binary(ia=(-(2**62), 2**62), ib=(-(2**62), 2**62)),
    # shift counts beyond the width and negative ones: numpy defines them (0, or -1 for a negative a >> n)
    "left_shift": binary(ia=(-(10**6), 10**6), ib=(-3, 70)),
    "right_shift": binary(ia=(-(10**6), 10**6), ib=(-3, 70)),
    "negative": unary(),
    "positive": unary(),
    "absolute": unary(),
    "fabs": unary(),
    "sign": unary(),
    "conjugate": unary(),
    "reciprocal": unary(nonzero=(0,)),
    "square": unary(ilow=-(10**4), ihigh=10**4),
    "sqrt": unary(0.0, 1e4, 0, 10**4),
    "cbrt": unary(-1e4, 1e4, -(10**4), 10**4, rtol=FEW_ULP),
    "exp": unary(-30.0, 30.0, -30, 30),
    "exp2": unary(-30.0, 30.0, -30, 30, rtol=FEW_ULP),
    "expm1": unary(-30.0, 30.0, -30, 30, rtol=FEW_ULP),
    "log": unary(1e-3, 1e4, 1, 10**4),
    "log2": unary(1e-3, 1e4, 1, 10**4, rtol=FEW_ULP),
    "log10": unary(1e-3, 1e4, 1, 10**4, rtol=FEW_ULP),
    "log1p": unary(-0.999, 1e4, 0, 10**4, rtol=FEW_ULP),
    # sin, cos, tan are 0 at non-representable points: there the error is some ulp of |x|
    "sin": unary(-10.0, 10.0, -10, 10, rtol=TRIG, scaled=True),
    "cos": unary(-10.0, 10.0, -10, 10, rtol=TRIG, scaled=True),
    "tan": unary(-1.5, 1.5, -1, 1, rtol=TRIG, scaled=True),
    "arcsin": unary(-1.0, 1.0, -1, 1, rtol=TRIG),
    "arccos": unary(-1.0, 1.0, -1, 1, rtol=TRIG),
    "arctan": unary(-1e3, 1e3, -(10**3), 10**3, rtol=TRIG),
    "sinh": unary(-30.0, 30.0, -30, 30, rtol=FEW_ULP),
    "cosh": unary(-30.0, 30.0, -30, 30, rtol=FEW_ULP),
    "tanh": unary(-30.0, 30.0, -30, 30, rtol=FEW_ULP, atol=(1e-41, 0.0)),  # onnxruntime: 1e-5 relative below 3e-37
    "arcsinh": unary(-1e3, 1e3, -(10**3), 10**3, rtol=FEW_ULP),
    "arccosh": unary(1.0, 1e3, 1, 10**3, rtol=FEW_ULP),
    "arctanh": unary(-1.0, 1.0, -1, 1, rtol=FEW_ULP),
    "deg2rad": unary(rtol=(1e-6, 1e-15)),
    "rad2deg": unary(rtol=(1e-6, 1e-15)),
    "floor": unary(),
    "ceil": unary(),
    "rint": unary(),
    "trunc": unary(),
    "isnan": unary(),
    "isinf": unary(),
    "isfinite": unary(),
    "signbit": unary(),
    "modf": unary(),
    "logical_not": unary(-2.0, 2.0, -2, 2),
    "invert": unary(ilow=-(2**62), ihigh=2**62),
}
# vecdot, matvec, vecmat (numpy >= 2.0/2.2) and matmul have core dimensions: see test_matmul_family_like_numpy
CORE_DIMENSIONS = {"matmul", "vecdot", "matvec", "vecmat"}


def test_every_ufunc_of_the_table_is_tested():
    assert {u.__name__ for u in UFUNCS} == set(SPECS) | (CORE_DIMENSIONS & {u.__name__ for u in UFUNCS})


def _elements(dtype, domain, nonzero=False):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        strategy = st.booleans()
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        strategy = st.integers(max(int(domain[0]), int(info.min)), min(int(domain[1]), int(info.max)))
    else:
        low, high = (float(np.asarray(v, dtype)) for v in domain)  # bounds representable in the dtype
        strategy = st.floats(low, high, width=dtype.itemsize * 8, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return strategy.filter(bool) if nonzero else strategy


def _tolerance(spec, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        return 1e-3, 1e-3
    index = 0 if dtype == np.float32 else 1
    return spec.rtol[index], spec.atol[index]


def _numpy(fn, *args):
    """numpy's result (a tuple for several outputs), or the TypeError numpy raises."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = fn(*args)
        except TypeError as exc:
            return exc
    return tuple(np.asarray(r) for r in result) if isinstance(result, tuple) else np.asarray(result)


def _run(exprs, feeds, runtime):
    """The values of ``exprs`` for ``feeds``, the graph inputs declared with the exact shapes of the feeds.

    (``expr.eval`` gives every input the same symbolic first dimension, which
    broadcasting inputs do not have.)
    """
    inputs = [(name, array.dtype, array.shape) for name, array in feeds.items()]
    model = onnxalgebra.to_onnx(list(exprs), inputs)
    if runtime == "onnxruntime":
        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    else:
        session = ReferenceEvaluator(model)
    with np.errstate(all="ignore"):  # the reference runtime computes both branches of a Where
        return session.run(None, feeds)


def _assert_close(got, want, rtol, atol, scale=None):
    """``got`` within ``atol + rtol * max(scale, |want|)`` of ``want``; NaN where it is NaN, infinities equal."""
    if scale is None:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        return
    g, w = got.astype(np.float64), want.astype(np.float64)
    same = (g == w) | (np.isnan(g) & np.isnan(w))
    with np.errstate(invalid="ignore"):  # inf - inf
        bad = ~same & ~(np.abs(g - w) <= atol + rtol * np.maximum(scale, np.abs(w)))
    assert not bad.any(), (
        f"{np.count_nonzero(bad)} values beyond {rtol} x max(|inputs|, |expected|): "
        f"got {g[bad][:5]}, expected {w[bad][:5]}, inputs up to {np.broadcast_to(scale, w.shape)[bad][:5]}"
    )


def _scale(*inputs):
    """max(|inputs|) per element of their broadcast: what the error of a cancelling result is relative to."""
    return np.maximum.reduce([np.abs(np.asarray(v, dtype=np.float64)) for v in np.broadcast_arrays(*inputs)])


def _compare(expr, feeds, expected, runtime, spec, static_shape=True, signed_zeros=False, inputs=None):
    """Static dtype and shape, then the values ``runtime`` computes, against numpy's ``expected``.

    ``inputs`` (the operands, for a ``scaled`` spec) default to the feeds.
    """
    exprs = expr if isinstance(expr, tuple) else (expr,)
    expecteds = expected if isinstance(expected, tuple) else (expected,)
    assert len(exprs) == len(expecteds)
    for e in exprs:
        assert e.dtype is not None
    values = _run(exprs, feeds, runtime)
    for e, got, want in zip(exprs, values, expecteds):
        assert e.dtype == want.dtype, (e.dtype, want.dtype)
        assert e.shape is not None and len(e.shape) == want.ndim, (e.shape, want.shape)
        for static, real in zip(e.shape, want.shape):
            assert static == real or (static is None and not static_shape), (e.shape, want.shape)
        assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape, want.dtype, want.shape)
        if want.dtype.kind == "f":
            rtol, atol = _tolerance(spec, want.dtype)
            scale = _scale(*(feeds.values() if inputs is None else inputs)) if spec.scaled else None
            _assert_close(got, want, rtol, atol, scale)
            if signed_zeros:
                zero = want == 0
                np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]), err_msg="sign of zero")
        else:
            np.testing.assert_array_equal(got, want)


def _declared(shape, batch_none):
    """A Var shape: the real one, or with an unknown first dimension."""
    return [None if batch_none and i == 0 else d for i, d in enumerate(shape)]


# -- every ufunc, called as np.<name>(...) -----------------------------------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("dtype", DTYPES, ids=[np.dtype(d).name for d in DTYPES])
@pytest.mark.parametrize("name", sorted(SPECS))
@settings(SETTINGS, max_examples=max(SETTINGS.max_examples // 4, 1))
@given(data=st.data())
def test_ufunc_like_numpy(runtime, dtype, name, data):
    ufunc = getattr(np, name)
    spec = SPECS[name]
    dtypes = [dtype] * ufunc.nin
    if spec.second_dtypes:
        dtypes[1] = data.draw(st.sampled_from([dtype, *spec.second_dtypes]), label="second dtype")
    shapes = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=ufunc.nin, min_dims=0, max_dims=3, min_side=0, max_side=4), label="shapes"
    )
    arrays = []
    for i, (d, shape) in enumerate(zip(dtypes, shapes.input_shapes)):
        domain = (spec.floats if np.dtype(d).kind == "f" else spec.ints)[i]
        arrays.append(data.draw(hnp.arrays(d, shape, elements=_elements(d, domain, i in spec.nonzero)), label=f"input {i}"))
    batch_none = data.draw(st.booleans(), label="unknown first dimension")
    names = "AB"
    variables = [Var(names[i], a.dtype, _declared(a.shape, batch_none)) for i, a in enumerate(arrays)]
    feeds = {names[i]: a for i, a in enumerate(arrays)}
    expected = _numpy(ufunc, *arrays)
    if isinstance(expected, TypeError):
        with pytest.raises(REFUSED, match=f"numpy.{name}"):
            ufunc(*variables)
        return
    _compare(ufunc(*variables), feeds, expected, runtime, spec, static_shape=not batch_none)


# -- Python operators, also reflected (numpy array or Python scalar on the left) -----------------------


class Operator(NamedTuple):
    """A Python operator and the ufunc numpy maps it to."""

    fn: object
    ufunc: str


BINARY_OPERATORS = {
    "+": Operator(operator.add, "add"),
    "-": Operator(operator.sub, "subtract"),
    "*": Operator(operator.mul, "multiply"),
    "/": Operator(operator.truediv, "divide"),
    "//": Operator(operator.floordiv, "floor_divide"),
    "%": Operator(operator.mod, "remainder"),
    "divmod": Operator(divmod, "divmod"),
    "**": Operator(operator.pow, "power"),
    "&": Operator(operator.and_, "bitwise_and"),
    "|": Operator(operator.or_, "bitwise_or"),
    "^": Operator(operator.xor, "bitwise_xor"),
    "<<": Operator(operator.lshift, "left_shift"),
    ">>": Operator(operator.rshift, "right_shift"),
    "<": Operator(operator.lt, "less"),
    "<=": Operator(operator.le, "less_equal"),
    ">": Operator(operator.gt, "greater"),
    ">=": Operator(operator.ge, "greater_equal"),
    "==": Operator(operator.eq, "equal"),
    "!=": Operator(operator.ne, "not_equal"),
}
UNARY_OPERATORS = {
    "-x": Operator(operator.neg, "negative"),
    "+x": Operator(operator.pos, "positive"),
    "abs": Operator(abs, "absolute"),
    "~x": Operator(operator.invert, "invert"),
}
FORMS = ["expr op expr", "expr op array", "array op expr", "expr op scalar", "scalar op expr"]


def _scalar_for(dtype, domain, data):
    """A Python scalar of the dtype's kind (a Python bool for bool, numpy's strong one)."""
    kind = np.dtype(dtype).kind
    if kind == "b":
        return data.draw(st.booleans(), label="scalar")
    if kind == "f":
        return data.draw(st.floats(domain[0], domain[1], allow_nan=False, allow_subnormal=False).map(float), label="scalar")
    return data.draw(st.integers(int(domain[0]), int(domain[1])), label="scalar")


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("dtype", DTYPES, ids=[np.dtype(d).name for d in DTYPES])
@pytest.mark.parametrize("symbol", sorted(BINARY_OPERATORS))
@settings(SETTINGS, max_examples=max(SETTINGS.max_examples // 2, 1))
@given(data=st.data())
def test_binary_operator_like_numpy(runtime, dtype, symbol, data):
    fn, name = BINARY_OPERATORS[symbol]
    spec = SPECS[name]
    form = data.draw(st.sampled_from(FORMS), label="form")
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=4))
    domains = spec.floats if np.dtype(dtype).kind == "f" else spec.ints
    a = data.draw(hnp.arrays(dtype, shapes.input_shapes[0], elements=_elements(dtype, domains[0])), label="a")
    b = data.draw(hnp.arrays(dtype, shapes.input_shapes[1], elements=_elements(dtype, domains[1])), label="b")
    batch_none = data.draw(st.booleans(), label="unknown first dimension")
    va, vb = Var("A", a.dtype, _declared(a.shape, batch_none)), Var("B", b.dtype, _declared(b.shape, batch_none))
    if form == "expr op expr":
        expr, inputs, feeds = (lambda: fn(va, vb)), (a, b), {"A": a, "B": b}
    elif form == "expr op array":
        expr, inputs, feeds = (lambda: fn(va, b)), (a, b), {"A": a}
    elif form == "array op expr":
        expr, inputs, feeds = (lambda: fn(a, vb)), (a, b), {"B": b}
    elif form == "expr op scalar":
        scalar = _scalar_for(dtype, domains[1], data)
        expr, inputs, feeds = (lambda: fn(va, scalar)), (a, scalar), {"A": a}
    else:
        scalar = _scalar_for(dtype, domains[0], data)
        expr, inputs, feeds = (lambda: fn(scalar, vb)), (scalar, b), {"B": b}
    expected = _numpy(fn, *inputs)
    if isinstance(expected, TypeError):
        with pytest.raises(REFUSED):
            expr()
        return
    _compare(expr(), feeds, expected, runtime, spec, static_shape=not batch_none, inputs=inputs)


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("dtype", DTYPES, ids=[np.dtype(d).name for d in DTYPES])
@pytest.mark.parametrize("symbol", sorted(UNARY_OPERATORS))
@settings(SETTINGS, max_examples=max(SETTINGS.max_examples // 2, 1))
@given(data=st.data())
def test_unary_operator_like_numpy(runtime, dtype, symbol, data):
    fn, name = UNARY_OPERATORS[symbol]
    spec = SPECS[name]
    domain = (spec.floats if np.dtype(dtype).kind == "f" else spec.ints)[0]
    x = data.draw(
        hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), elements=_elements(dtype, domain))
    )
    batch_none = data.draw(st.booleans(), label="unknown first dimension")
    vx = Var("X", x.dtype, _declared(x.shape, batch_none))
    expected = _numpy(fn, x)
    if isinstance(expected, TypeError):
        with pytest.raises(REFUSED):
            fn(vx)
        return
    _compare(fn(vx), {"X": x}, expected, runtime, spec, static_shape=not batch_none)


# -- special float values: NaN, infinities, signed zeros, huge and tiny numbers --------------------------


def _specials(dtype):
    info = np.finfo(dtype)
    values = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 3.0, -7.0, 1e-20, -1e-20]
    return np.array([*values, info.max / 4, -info.max / 4], dtype=dtype)


# Where the sign of a zero is the point (copysign, arctan2, heaviside) or comes free with the ONNX operator,
# it must be numpy's. Elsewhere (%, //, trunc, modf, cbrt, expm1, log1p, the float64 hyperbolic formulas)
# a zero may come out +0.0 where numpy gives -0.0: the library's documented choice, not checked here.
# Not maximum/minimum either, whose choice between 0.0 and -0.0 depends on numpy's SIMD path.
SIGNED_ZEROS = {
    "negative", "absolute", "fabs", "copysign", "arctan2", "fmod",
    "floor", "ceil", "rint", "multiply", "divide", "heaviside",
    "sqrt", "sin", "tan", "arcsin", "arctan",
    "add", "subtract", "ldexp", "deg2rad", "rad2deg", "positive", "conjugate", "power", "float_power",
}  # fmt: skip


def _has_float32_loop(name):
    ufunc = getattr(np, name)
    try:
        dtypes = ufunc.resolve_dtypes((np.dtype(np.float32),) * ufunc.nin + (None,) * ufunc.nout)
    except TypeError:
        return name == "ldexp"  # (float, int) loops only
    return dtypes[0].kind == "f"


FLOAT_UFUNCS = sorted(name for name in SPECS if _has_float32_loop(name))


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FLOAT_UFUNCS)
def test_special_float_values_like_numpy(runtime, dtype, name):
    ufunc = getattr(np, name)
    spec = SPECS[name]
    values = _specials(dtype)
    if ufunc.nin == 1:
        arrays = [values]
    elif name == "ldexp":
        arrays = [values[:, None], np.array([-3, 0, 2, 200, -200], np.int64)[None, :]]
    else:
        arrays = [values[:, None], values[None, :]]
    names = "AB"
    variables = [Var(names[i], a.dtype, a.shape) for i, a in enumerate(arrays)]
    feeds = {names[i]: a for i, a in enumerate(arrays)}
    expected = _numpy(ufunc, *arrays)
    _compare(ufunc(*variables), feeds, expected, runtime, spec, signed_zeros=name in SIGNED_ZEROS)


# -- matmul, vecdot, matvec, vecmat: core dimensions ------------------------------------------------------

MATMUL_SHAPES = {
    "matmul": [
        lambda n, k, m, b: ((n, k), (k, m)),
        lambda n, k, m, b: ((k,), (k, m)),
        lambda n, k, m, b: ((n, k), (k,)),
        lambda n, k, m, b: ((k,), (k,)),
        lambda n, k, m, b: ((b, n, k), (k, m)),
        lambda n, k, m, b: ((b, n, k), (1, k, m)),
        lambda n, k, m, b: ((1, n, k), (b, k, m)),
    ],
    "vecdot": [
        lambda n, k, m, b: ((k,), (k,)),
        lambda n, k, m, b: ((n, k), (k,)),
        lambda n, k, m, b: ((b, 1, k), (n, k)),
    ],
    "matvec": [
        lambda n, k, m, b: ((n, k), (k,)),
        lambda n, k, m, b: ((b, n, k), (b, k)),
        lambda n, k, m, b: ((n, k), (b, k)),
    ],
    "vecmat": [
        lambda n, k, m, b: ((k,), (k, m)),
        lambda n, k, m, b: ((b, k), (b, k, m)),
        lambda n, k, m, b: ((b, k), (k, m)),
    ],
}


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("name", sorted(n for n in MATMUL_SHAPES if isinstance(getattr(np, n, None), np.ufunc)))
@SETTINGS
@given(data=st.data())
def test_matmul_family_like_numpy(runtime, name, data):
    ufunc = getattr(np, name)
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    n, k, m, b = (data.draw(st.integers(0 if i == 1 else 1, 4)) for i in range(4))
    shape_a, shape_b = data.draw(st.sampled_from(MATMUL_SHAPES[name]))(n, k, m, b)
    a = data.draw(hnp.arrays(dtype, shape_a, elements=_elements(dtype, (-5, 5))), label="a")
    c = data.draw(hnp.arrays(dtype, shape_b, elements=_elements(dtype, (-5, 5))), label="b")
    va, vc = Var("A", a.dtype, a.shape), Var("C", c.dtype, c.shape)
    spec = Spec(((-5, 5),) * 2, ((-5, 5),) * 2, rtol=(1e-5, 1e-12), atol=(1e-5, 1e-12))
    expected = _numpy(ufunc, a, c)
    _compare(ufunc(va, vc), {"A": a, "C": c}, expected, runtime, spec)
    if name == "matmul":
        _compare(va @ vc, {"A": a, "C": c}, expected, runtime, spec)
        _compare(a @ vc, {"C": c}, expected, runtime, spec)  # reflected: the array on the left
        _compare(va @ c, {"A": a}, expected, runtime, spec)


# -- integer division by zero, and the most negative integer divided by -1 ---------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32])
@pytest.mark.parametrize("name", ["floor_divide", "remainder", "fmod", "divmod"])
def test_integer_division_edges_like_numpy(runtime, dtype, name):
    info = np.iinfo(dtype)
    candidates = {int(info.min), int(info.min) + 1, -7, -1, 0, 1, 7, int(info.max)}
    values = np.array(sorted(v for v in candidates if info.min <= v <= info.max), dtype)
    a, b = values[:, None], values[None, :]
    ufunc = getattr(np, name)
    expected = _numpy(ufunc, a, b)
    _compare(ufunc(Var("A", dtype, a.shape), Var("B", dtype, b.shape)), {"A": a, "B": b}, expected, runtime, SPECS[name])


# -- comparisons of integers with Python integers outside their range (numpy 2 compares the values) --------


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int32, np.int64, np.uint32])
@pytest.mark.parametrize("symbol", ["<", "<=", ">", ">=", "==", "!="])
def test_comparison_with_out_of_range_python_int(runtime, dtype, symbol):
    fn = BINARY_OPERATORS[symbol].fn
    info = np.iinfo(dtype)
    x = np.array([info.min, 0, info.max], dtype)
    vx = Var("X", dtype, [None])
    for scalar in (info.max + 1, info.min - 1, 2**70, -(2**70)):
        for expr, expected in ((fn(vx, scalar), fn(x, scalar)), (fn(scalar, vx), fn(scalar, x))):
            assert expr.dtype == np.bool_
            np.testing.assert_array_equal(_run([expr], {"X": x}, runtime)[0], expected)


# -- formulas that must be accurate where a naive one cancels or overflows -----------------------------------


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "name",
    ["expm1", "log1p", "sinh", "arcsinh", "arctanh", "tanh", "arcsin", "arctan", "tan", "cbrt", "hypot", "logaddexp"],
)
def test_accurate_near_zero_and_far_away(runtime, dtype, name):
    ufunc = getattr(np, name)
    eps, tiny = float(np.finfo(dtype).eps), float(np.finfo(dtype).tiny)  # tiny: the smallest normal number
    values = np.array([tiny, -3 * tiny, 1e-30, -1e-30, eps, -eps / 3, 1e-5, -1e-5, 1e-3, 0.3, -0.7, 0.999], dtype)
    if name == "tanh" and dtype == np.float32 and runtime == "onnxruntime":
        # onnxruntime's float32 Tanh is off by up to 1e-5 relative below |x| = 3e-37 (absolute error < 1e-41);
        # the library uses the kernel as it is rather than add nodes to every tanh: checked absolutely there.
        near_zero = np.abs(values) < 3e-37
        got = _run([np.tanh(Var("V", dtype, values.shape))], {"V": values}, runtime)[0]
        np.testing.assert_allclose(got[near_zero], np.tanh(values[near_zero]), rtol=0, atol=1e-41)
        values = values[~near_zero]
    if name in ("hypot", "logaddexp"):
        big = np.array([np.finfo(dtype).max / 2, 1e30, -1e25], dtype)
        arrays = [np.concatenate([values, big])[:, None], np.concatenate([values, big])[None, :]]
    else:
        arrays = [values]
    variables = [Var(f"V{i}", a.dtype, a.shape) for i, a in enumerate(arrays)]
    feeds = {f"V{i}": a for i, a in enumerate(arrays)}
    _compare(ufunc(*variables), feeds, _numpy(ufunc, *arrays), runtime, SPECS[name])


def test_integer_power_with_a_negative_constant_exponent_is_refused_like_numpy():
    x = Var("X", np.int64, [None])
    with pytest.raises(ValueError):
        np.power(np.array([2]), -1)
    with pytest.raises(OnnxNumpyError, match=r"numpy\.power"):
        x**-1


def test_formula_constants_are_in_the_computation_dtype():
    # pi, log(2), 1/3... are float32 constants in a float32 graph: no float64 initializer, no float64 result
    x = Var("X", np.float32, [None])
    for name in FLOAT_UFUNCS:
        if name == "float_power":  # numpy computes it in float64
            continue
        ufunc = getattr(np, name)
        args = [x] * ufunc.nin if name != "ldexp" else [x, Var("E", np.int32, [None])]
        result = ufunc(*args)
        for r in result if isinstance(result, tuple) else (result,):
            model = r.to_onnx()
            dtypes = {init.data_type for init in model.graph.initializer}
            assert onnx.TensorProto.DOUBLE not in dtypes, (name, dtypes)
