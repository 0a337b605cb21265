"""numpy's products and norms on expressions (onnxalgebra/_numpy/linalg.py), property-tested against numpy.

dot, vdot, inner, outer, tensordot, einsum, trace, linalg.norm (vector and
matrix ords), vector_norm, matrix_norm, det, vecdot, matmul: numpy's dtype
(promotion across operands), shape and values, from onnxruntime and
``onnx.reference``; the norms that need singular values say so.
"""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy_checks import (
    ALL,
    NUMBERS,
    SETTINGS,
    draw_array,
    draw_shape,
)
from numpy_checks import check as shared_check

from onnxalgebra import Var
from onnxalgebra._errors import OnnxNumpyError


def check(fn, *arrays, batch=False, **kwargs):
    """:func:`numpy_checks.check`, without a run-time batch when an operand is empty (onnxruntime's Einsum
    stops the process, SIGFPE, on some empty operands known only at run time)."""
    batch = batch and all(a.shape[:1] != (0,) for a in arrays)
    shared_check(fn, *arrays, batch=batch, **kwargs)


def _dims(data, n, low=0):
    return tuple(data.draw(st.integers(low, 3)) for _ in range(n))


def _pair_dtypes(data):
    return data.draw(st.sampled_from(ALL)), data.draw(st.sampled_from(ALL))


# -- products ---------------------------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_dot_like_numpy(data):
    n, k, m, b = _dims(data, 4)
    shapes = data.draw(
        st.sampled_from(
            [
                ((), ()),
                ((), (k,)),
                ((n, k), ()),
                ((k,), (k,)),
                ((n, k), (k,)),
                ((k,), (k, m)),
                ((n, k), (k, m)),
                ((b, n, k), (k,)),
                ((b, n, k), (k, m)),
                ((n, k), (b, k, m)),
                ((b, n, k), (2, k, m)),
            ]
        )
    )
    ta, tb = _pair_dtypes(data)
    a, c = draw_array(data, ta, shapes[0]), draw_array(data, tb, shapes[1])
    batch = _batch(data)
    check(lambda x, y: np.dot(x, y), a, c, batch=batch, atol=1e-5)
    check(lambda x: np.dot(x, c), a, batch=batch, atol=1e-5)
    if a.ndim:
        check(lambda x, y: x.dot(y), a, c, atol=1e-5)
    check(lambda x, y: np.vdot(x, y), a.reshape(-1), c.reshape(-1)[: a.size] if c.size >= a.size else c.reshape(-1), atol=1e-5)


def _batch(data):
    return data.draw(st.booleans())


@SETTINGS
@given(data=st.data())
def test_vdot_inner_outer_like_numpy(data):
    ta, tb = _pair_dtypes(data)
    shape = draw_shape(data)
    a = draw_array(data, ta, shape)
    c = draw_array(data, tb, shape)
    batch = _batch(data)
    check(lambda x, y: np.vdot(x, y), a, c, batch=batch, atol=1e-5)
    other = draw_shape(data, max_dims=2)
    last = shape[-1:] if shape else ()
    d = draw_array(data, tb, other + last if shape else other)
    check(lambda x, y: np.inner(x, y), a, d, batch=batch, atol=1e-5)
    check(lambda x, y: np.outer(x, y), a, d, batch=batch, atol=1e-5)
    check(lambda x, y: np.linalg.outer(x.reshape(-1), y.reshape(-1)), a, d, atol=1e-5)


@SETTINGS
@given(data=st.data())
def test_tensordot_like_numpy(data):
    ta, tb = _pair_dtypes(data)
    a_shape = draw_shape(data, max_dims=3)
    count = data.draw(st.integers(0, len(a_shape)))
    summed = data.draw(st.permutations(range(len(a_shape))))[:count]
    b_rest = draw_shape(data, min_dims=0, max_dims=2)
    # b: the summed axes of a (in an order of their own) among b's other axes
    b_axes = data.draw(st.permutations(range(count + len(b_rest))))[:count]
    b_shape = list(b_rest)
    for position, axis in sorted(zip(b_axes, summed)):
        b_shape.insert(position, a_shape[axis])
    a = draw_array(data, ta, a_shape)
    b = draw_array(data, tb, tuple(b_shape))
    axes = (list(summed), list(b_axes))
    if data.draw(st.booleans()):
        axes = ([s - len(a_shape) for s in summed], list(b_axes))
    check(lambda x, y: np.tensordot(x, y, axes=axes), a, b, batch=_batch(data), atol=1e-5)
    # the int form: the last n axes of a with the first n of b
    n = data.draw(st.integers(0, min(2, len(a_shape))))
    b2 = draw_array(data, tb, tuple(a_shape[len(a_shape) - n :]) + tuple(b_rest))
    check(lambda x, y: np.tensordot(x, y, axes=n), a, b2, atol=1e-5)
    check(lambda x, y: np.linalg.tensordot(x, y, axes=n), a, b2, atol=1e-5)


EINSUMS = [
    ("ij,jk->ik", [("i", "j"), ("j", "k")]),
    ("ij,jk", [("i", "j"), ("j", "k")]),
    ("ij->ji", [("i", "j")]),
    ("ii->i", [("i", "i")]),
    ("ii", [("i", "i")]),
    ("ij->", [("i", "j")]),
    ("i,i->", [("i",), ("i",)]),
    ("i,j->ij", [("i",), ("j",)]),
    ("bij,bjk->bik", [("b", "i", "j"), ("b", "j", "k")]),
    ("...ij,...jk->...ik", [("b", "i", "j"), ("b", "j", "k")]),
    ("ij, ij -> i", [("i", "j"), ("i", "j")]),
    ("ijk->kji", [("i", "j", "k")]),
]


@pytest.mark.parametrize("equation, letters", EINSUMS, ids=[e for e, _ in EINSUMS])
@settings(SETTINGS, max_examples=max(SETTINGS.max_examples // 2, 1))
@given(data=st.data())
def test_einsum_like_numpy(equation, letters, data):
    sizes = {c: data.draw(st.integers(0, 3)) for c in "bijk"}
    dtype = data.draw(st.sampled_from(ALL))
    arrays = [
        draw_array(data, dtype if data.draw(st.booleans()) else data.draw(st.sampled_from(ALL)), tuple(sizes[c] for c in names))
        for names in letters
    ]
    check(lambda *x: np.einsum(equation, *x), *arrays, batch=_batch(data), atol=1e-5)
    if len(arrays) > 1:  # numpy ignores dtype= when one operand is only viewed ('ij->ji', 'ii->i')
        out_dtype = data.draw(st.sampled_from([np.float64, np.float32]))
        check(lambda *x: np.einsum(equation, *x, dtype=out_dtype, casting="unsafe"), *arrays, atol=1e-5)


@SETTINGS
@given(data=st.data())
def test_trace_like_numpy(data):
    dtype = data.draw(st.sampled_from(ALL))
    shape = draw_shape(data, min_dims=2, max_dims=3)
    array = draw_array(data, dtype, shape)
    offset = data.draw(st.integers(-3, 3))
    ndim = array.ndim
    axis1 = data.draw(st.integers(-ndim, ndim - 1))
    axis2 = data.draw(st.integers(-ndim, ndim - 1).filter(lambda v: v % ndim != axis1 % ndim))
    out_dtype = data.draw(st.sampled_from([None, np.float64, np.int64]))
    batch = _batch(data)
    check(lambda a: np.trace(a, offset=offset, axis1=axis1, axis2=axis2, dtype=out_dtype), array, batch=batch)
    check(lambda a: a.trace(offset), array, batch=batch)
    if ndim >= 2:
        check(lambda a: np.linalg.trace(a, offset=offset), array, batch=batch)


@SETTINGS
@given(data=st.data())
def test_vecdot_and_linalg_matmul_like_numpy(data):
    ta, tb = _pair_dtypes(data)
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, min_side=1, max_side=3))
    a = draw_array(data, ta, shapes.input_shapes[0])
    b_shape = list(shapes.input_shapes[1])
    b_shape[-1] = a.shape[-1]
    b = draw_array(data, tb, tuple(b_shape))
    axis = -1
    check(lambda x, y: np.linalg.vecdot(x, y, axis=axis), a, b, batch=_batch(data), atol=1e-5)
    check(lambda x, y: np.vecdot(x, y), a, b, atol=1e-5)
    m = draw_array(data, tb, (a.shape[-1], data.draw(st.integers(1, 3))))
    check(lambda x, y: np.linalg.matmul(x, y), a, m, atol=1e-5)


# -- norms, det -----------------------------------------------------------------------------------------------

VECTOR_ORDS = [None, 1, 2, 3, 0.5, 0, -1, -2, np.inf, -np.inf]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


@SETTINGS
@given(data=st.data())
def test_norm_of_vectors_like_numpy(data):
    dtype = data.draw(st.sampled_from(ALL))
    array = draw_array(data, dtype, draw_shape(data, min_dims=1, min_side=1))
    ord = data.draw(st.sampled_from(VECTOR_ORDS))
    ndim = array.ndim
    keepdims = data.draw(st.booleans())
    axis = data.draw(st.integers(-ndim, ndim - 1))
    batch = _batch(data)
    check(lambda a: np.linalg.norm(a, ord=ord, axis=axis, keepdims=keepdims), array, batch=batch, rtol=1e-5, atol=1e-6)
    if ndim == 1:
        check(lambda a: np.linalg.norm(a, ord=ord, keepdims=keepdims), array, batch=batch, rtol=1e-5, atol=1e-6)
    check(lambda a: np.linalg.norm(a, keepdims=keepdims), array, batch=batch, rtol=1e-5, atol=1e-6)
    vector_axis = data.draw(
        st.one_of(st.none(), st.integers(-ndim, ndim - 1), st.lists(st.integers(0, ndim - 1), min_size=1, unique=True).map(tuple))
    )
    vector_ord = data.draw(st.sampled_from([o for o in VECTOR_ORDS if o is not None]))
    check(
        lambda a: np.linalg.vector_norm(a, ord=vector_ord, axis=vector_axis, keepdims=keepdims),
        array,
        batch=batch,
        rtol=1e-5,
        atol=1e-6,
    )


@SETTINGS
@given(data=st.data())
def test_norm_of_matrices_like_numpy(data):
    dtype = data.draw(st.sampled_from(ALL))
    array = draw_array(data, dtype, draw_shape(data, min_dims=2, min_side=1))
    ord = data.draw(st.sampled_from(MATRIX_ORDS))
    ndim = array.ndim
    keepdims = data.draw(st.booleans())
    axes = tuple(data.draw(st.permutations(range(ndim)))[:2])
    axes = tuple(a - ndim if data.draw(st.booleans()) else a for a in axes)
    batch = _batch(data)
    check(lambda a: np.linalg.norm(a, ord=ord, axis=axes, keepdims=keepdims), array, batch=batch, rtol=1e-5, atol=1e-6)
    if ndim == 2:
        check(lambda a: np.linalg.norm(a, ord=ord, keepdims=keepdims), array, batch=batch, rtol=1e-5, atol=1e-6)
    matrix_ord = data.draw(st.sampled_from(["fro", 1, -1, np.inf, -np.inf]))
    check(lambda a: np.linalg.matrix_norm(a, ord=matrix_ord, keepdims=keepdims), array, batch=batch, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_matrix_norms_needing_singular_values_raise(ord):
    x = Var("X", np.float32, [3, 3])
    with pytest.raises(OnnxNumpyError, match=r"numpy\.linalg\.norm:\ ord="):
        np.linalg.norm(x, ord=ord)
    with pytest.raises(OnnxNumpyError, match=r"numpy\.linalg\.matrix_norm:\ ord="):
        np.linalg.matrix_norm(x, ord=ord)


def test_norm_errors_like_numpy():
    x = Var("X", np.float32, [2, 3, 4])
    with pytest.raises(ValueError, match=r"numpy\.linalg\.norm"):
        np.linalg.norm(x, ord=1)
    with pytest.raises(ValueError, match=r"numpy\.linalg\.norm"):
        np.linalg.norm(x, axis=(0, 0))
    with pytest.raises(ValueError, match=r"numpy\.linalg\.norm"):
        np.linalg.norm(x, axis=(0, 1, 2))
    with pytest.raises(ValueError, match=r"numpy\.linalg\.norm"):
        np.linalg.norm(Var("V", np.float32, [3]), ord="fro", axis=0)


@SETTINGS
@given(data=st.data())
def test_det_like_numpy(data):
    dtype = data.draw(st.sampled_from(NUMBERS))
    n = data.draw(st.integers(1, 4))
    batch_shape = draw_shape(data, max_dims=2)
    array = draw_array(data, dtype, (*batch_shape, n, n))
    check(lambda a: np.linalg.det(a), array, batch=_batch(data), rtol=1e-4, atol=1e-4)


def test_det_errors_like_numpy():
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.det(Var("X", np.float32, [2, 3]))
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.det(Var("X", np.float32, [3]))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda x: np.linalg.svd(x), "numpy.linalg.svd"),
        (lambda x: np.linalg.inv(x), "numpy.linalg.inv"),
        (lambda x: np.linalg.eig(x), "numpy.linalg.eig"),
        (lambda x: np.linalg.solve(x, x), "numpy.linalg.solve"),
        (lambda x: np.linalg.qr(x), "numpy.linalg.qr"),
        (lambda x: np.cross(x, x), "numpy.cross"),
    ],
)
def test_linalg_functions_without_translation_raise_naming_them(call, name):
    with pytest.raises(OnnxNumpyError, match=name.replace(".", r"\.")):
        call(Var("X", np.float32, [3, 3]))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda x: np.dot(x, x, out=np.zeros((3, 3), np.float32)), "numpy.dot: out="),
        (lambda x: np.einsum("ij,jk", x, x, out=np.zeros((3, 3), np.float32)), "numpy.einsum: out="),
        (lambda x: np.einsum(x, [0, 1], x, [1, 2]), "numpy.einsum"),
        (lambda x: np.trace(x, out=np.zeros((), np.float32)), "numpy.trace: out="),
        (lambda x: np.outer(x, x, out=np.zeros((9, 9), np.float32)), "numpy.outer: out="),
    ],
)
def test_unsupported_arguments_raise_naming_the_function(call, match):
    with pytest.raises(OnnxNumpyError, match=match):
        call(Var("X", np.float32, [3, 3]))
