"""Random programs for tests/test_properties.py: each step applies one operation to expressions and to numpy arrays.

A :class:`Program` draws (with hypothesis' ``data.draw``) a few typed ``Var`` inputs with random shapes (0- and
1-sized dimensions included), dtypes and values, then random steps. Every step applies the same function to the
numpy twins of its operands (the oracle) and to their expressions; a value is a :class:`Node` holding both, plus a
bound on how far numpy's float value may be from the exact one (``err``: 0 for exact operations, integers and
booleans), so that a float result is compared with a tolerance that follows its magnitude and history, and a
comparison or a float-to-integer cast is only drawn when both sides of the decision are far enough from the
boundary for every runtime to take the same side.

When numpy raises on a step whose shapes are all known at build time, building the expression must raise too.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import event, note
from hypothesis import strategies as st

from onnxalgebra import OnnxGemm, Var
from onnxalgebra._errors import OnnxNumpyError

DTYPES = (np.float32, np.float64, np.int64, np.bool_)
ERRORS = (ValueError, TypeError, IndexError, ZeroDivisionError, OnnxNumpyError)
LIMIT = 1e6  # larger values are not kept: integer products stay exact, int64 -> float32 casts too (< 2**24)
FEW = (-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 4.0)  # ties and exact sums


def elements(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind == "i":
        return st.integers(-6, 6)
    return st.one_of(st.sampled_from(FEW), st.floats(-8, 8, width=32, allow_subnormal=False))


def eps(dtype):
    dtype = np.dtype(dtype)
    return float(np.finfo(dtype).eps) if dtype.kind == "f" else 0.0


def amax(value):
    value = np.asarray(value)
    return float(np.abs(value.astype(np.float64)).max()) if value.size else 0.0


@dataclass
class Node:
    name: str
    expr: Any
    value: np.ndarray
    err: float = 0.0  # bound on |numpy's value - the exact value| (floats); 0: exact
    known: bool = True  # every dimension known when the expression is built

    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype


class Skip(Exception):
    """The step drawn does not apply (no operand fits, a value too large or too close to a boundary)."""


def _text(x):
    if isinstance(x, Node):
        return x.name
    if isinstance(x, np.ndarray):
        return f"np.array({x.tolist()!r}, dtype=np.{x.dtype.name})"
    return repr(x)


def broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


class Program:
    """A random program: its inputs' feeds, its nodes (expression + numpy value) and its listing."""

    def __init__(self, data, dynamic=False, max_steps=8):
        self.data = data
        self.dynamic = dynamic  # declare some input dimensions None
        self.nodes: list[Node] = []
        self.feeds: dict[str, np.ndarray] = {}
        self.max_steps = max_steps
        self.ops = []

    def draw(self, strategy):
        return self.data.draw(strategy)

    # -- leaves --------------------------------------------------------------------------------------------------

    def array(self, dtype, shape):
        return self.draw(hnp.arrays(dtype, shape, elements=elements(dtype)))

    def var(self, dtype, shape):
        value = self.array(dtype, shape)
        name = f"X{len(self.feeds)}"
        declared = list(shape)
        if self.dynamic:
            declared = [None if self.draw(st.booleans()) else d for d in declared]
        self.feeds[name] = value
        node = Node(name, Var(name, np.dtype(dtype), declared), value, known=None not in declared)
        note(f"{name} = Var({name!r}, np.{np.dtype(dtype).name}, {declared}) = {_text(value)}")
        self.nodes.append(node)
        return node

    def shape_like(self, shape):
        """A shape broadcasting with ``shape``: leading dimensions dropped or added, some dimensions 1 (or 0 against 1)."""
        keep = self.draw(st.integers(0, len(shape)))
        out = []
        for d in shape[len(shape) - keep :]:
            options = [d, 1] + ([0, 2, 3] if d == 1 else [])
            out.append(self.draw(st.sampled_from(options)))
        if len(out) == len(shape) and len(out) < 4 and self.draw(st.integers(0, 3)) == 0:
            out.insert(0, self.draw(st.sampled_from([1, 2, 0])))
        return tuple(out)

    def operand(self, node, allow_scalar=True):
        """A second operand for ``node``: a node of the program, a new input, a constant array or a Python number."""
        kinds = ["node", "var", "constant"] + (["scalar"] if allow_scalar else [])
        kind = self.draw(st.sampled_from(kinds))
        if kind == "node":
            fits = [n for n in self.nodes if broadcasts(n.shape, node.shape)]
            return self.draw(st.sampled_from(fits))  # node itself always fits
        if kind == "scalar":
            return self.draw(st.one_of(st.integers(-3, 3), st.sampled_from([0.5, -1.5, 2.0, 0.0]), st.booleans()))
        dtype = self.draw(st.sampled_from(DTYPES))
        shape = self.shape_like(node.shape)
        if kind == "var" and len(self.feeds) < 4:
            return self.var(dtype, shape)
        return self.array(dtype, shape)

    # -- steps ---------------------------------------------------------------------------------------------------

    def pick(self, predicate=lambda n: True):
        fits = [n for n in self.nodes if predicate(n)]
        if not fits:
            raise Skip
        return self.draw(st.sampled_from(fits))

    def apply(self, label, fn, operands, err_fn, check_error=True, known_shape=True):
        """``fn`` on the numpy twins and on the expressions; a new node whose error bound is ``err_fn(value)``."""
        values = [o.value if isinstance(o, Node) else o for o in operands]
        exprs = [o.expr if isinstance(o, Node) else o for o in operands]
        line = f"{label}({', '.join(_text(o) for o in operands)})"
        known = all(o.known for o in operands if isinstance(o, Node))
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                value = fn(*values)
            except Exception as exc:  # numpy refusing is an outcome to compare with
                error = exc
            else:
                error = None
        if error is not None:
            if known and check_error:
                event(f"numpy raises {type(error).__name__}: so must the expression")
                note(f"numpy raises on {line}: {error!r}; so must the expression")
                try:
                    fn(*exprs)
                except ERRORS:
                    pass
                else:
                    raise AssertionError(f"numpy raises {error!r} on {line}, the expression builds")
            raise Skip
        value = np.asarray(value)
        if value.dtype.type not in DTYPES or not np.all(np.isfinite(value)) or amax(value) > LIMIT:
            raise Skip
        err = float(err_fn(value))
        if not np.isfinite(err) or (value.dtype.kind != "f" and err):
            raise Skip
        name = f"v{len(self.nodes)}"
        note(f"{name} = {line}  # {value.dtype.name}{list(value.shape)}, error bound {err:.3g}")
        expr = fn(*exprs)
        assert expr.dtype == value.dtype, (name, expr.dtype, value.dtype)
        shape = expr.shape
        assert shape is not None and len(shape) == value.ndim, (name, shape, value.shape)
        known = known and known_shape
        if known:
            assert tuple(shape) == value.shape, (name, shape, value.shape)
        else:
            assert all(s is None or s == v for s, v in zip(shape, value.shape)), (name, shape, value.shape)
        node = Node(name, expr, value, err, known)
        self.nodes.append(node)
        self.ops.append(label)
        if value.size == 0:
            event("an empty value")
        return node

    def step(self):
        op = self.draw(st.sampled_from(STEPS))
        try:
            op(self)
        except Skip:
            event(f"skipped {op.__name__}")
        else:
            event(f"op {op.__name__}")

    def run_steps(self):
        n = self.draw(st.integers(2, self.max_steps))
        for _ in range(n):
            self.step()


# -- the steps: each draws its operands, then Program.apply -----------------------------------------------------------


def _err(o):
    return o.err if isinstance(o, Node) else 0.0


def _val(o):
    return o.value if isinstance(o, Node) else np.asarray(o)


def unary(p):
    name = p.draw(st.sampled_from(["exp", "tanh", "abs", "negative"]))
    a = p.pick()
    fn = getattr(np, name)
    if name in ("exp", "tanh"):
        if a.dtype == np.bool_:
            raise Skip  # numpy gives float16
        if name == "exp" and a.value.size and a.value.max() > 10:
            raise Skip
        top = float(np.exp(min(float(a.value.max()), 10.0))) if a.value.size else 0.0
        growth = top * 1.01 if name == "exp" else 1.0
        return p.apply(f"np.{name}", fn, [a], lambda v: growth * a.err + 8 * eps(v.dtype) * max(amax(v), 1e-300))
    return p.apply(f"np.{name}", fn, [a], lambda v: a.err)


def binary(p):
    name = p.draw(st.sampled_from(["add", "subtract", "multiply", "maximum", "minimum"]))
    a = p.pick()
    b = p.operand(a)
    ops = [a, b] if p.draw(st.booleans()) else [b, a]
    fn = getattr(np, name)
    ea, eb, ma, mb = _err(a), _err(b), amax(_val(a)), amax(_val(b))
    if name in ("add", "subtract"):
        err_fn = lambda v: ea + eb + eps(v.dtype) * amax(v)  # noqa: E731
    elif name == "multiply":
        err_fn = lambda v: ma * eb + mb * ea + ea * eb + eps(v.dtype) * amax(v)  # noqa: E731
    else:
        err_fn = lambda v: max(ea, eb)  # noqa: E731
    spell = p.draw(st.sampled_from(["ufunc", "operator"])) if name != "maximum" and name != "minimum" else "ufunc"
    if spell == "operator":
        symbol = {"add": "+", "subtract": "-", "multiply": "*"}[name]
        fn = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}[symbol]
        return p.apply(f"(lambda x, y: x {symbol} y)", fn, ops, err_fn)
    return p.apply(f"np.{name}", fn, ops, err_fn)


def _margin_ok(a, b):
    """Both runtimes take the same side of every a-vs-b decision: the values are apart by more than the errors."""
    error = _err(a) + _err(b)
    if error == 0:
        return True
    diff = np.abs(_val(a).astype(np.float64) - _val(b).astype(np.float64))
    return bool(np.all(diff > 4 * error))


def compare(p):
    name = p.draw(st.sampled_from(["greater", "less", "greater_equal", "less_equal", "equal", "not_equal"]))
    a = p.pick()
    b = p.operand(a)
    ops = [a, b] if p.draw(st.booleans()) else [b, a]
    if broadcasts(_val(a).shape, _val(b).shape) and not _margin_ok(a, b):
        raise Skip
    return p.apply(f"np.{name}", getattr(np, name), ops, lambda v: 0.0)


def where(p):
    if not any(n.dtype == np.bool_ for n in p.nodes):
        compare(p)
    cond = p.pick(lambda n: n.dtype == np.bool_)
    x = p.operand(cond)
    y = p.operand(cond)
    return p.apply("np.where", np.where, [cond, x, y], lambda v: max(_err(x), _err(y)))


def astype(p):
    a = p.pick()
    dtype = p.draw(st.sampled_from(DTYPES))
    value = a.value
    if a.dtype.kind == "f" and np.dtype(dtype).kind in "ib" and a.err:
        distance = np.abs(value - np.round(value)) if np.dtype(dtype).kind == "i" else np.abs(value)
        if not np.all(distance > 4 * a.err):
            raise Skip  # the runtimes' values may truncate (or test non-zero) on either side
    name = np.dtype(dtype).name
    if np.dtype(dtype).kind == "f":
        # integers (< 2**24) and booleans are exact in float32; float64 -> float32 rounds
        err_fn = lambda v: a.err + (eps(v.dtype) * amax(v) if a.dtype.kind == "f" and eps(v.dtype) > eps(a.dtype) else 0)  # noqa: E731
    else:
        err_fn = lambda v: 0.0  # noqa: E731
    return p.apply(f"(lambda x: x.astype(np.{name}))", lambda x: x.astype(dtype), [a], err_fn)


def _matmul_err(a, b, v):
    va, vb = np.abs(_val(a).astype(np.float64)), np.abs(_val(b).astype(np.float64))
    k = va.shape[-1] if va.ndim else 1
    bound = np.matmul(va, vb)
    top = float(bound.max()) if bound.size else 0.0
    return k * (amax(va) * _err(b) + amax(vb) * _err(a) + _err(a) * _err(b)) + (k + 1) * eps(v.dtype) * top


def matmul(p):
    a = p.pick(lambda n: n.value.ndim >= 1)
    side = p.draw(st.sampled_from(["right", "left"]))  # a @ b or b @ a
    k = a.shape[-1] if side == "right" or a.value.ndim == 1 else a.shape[-2]
    kind = p.draw(st.sampled_from(["vector", "matrix", "batched"]))
    m = p.draw(st.integers(0, 3))
    inner = (k, m) if side == "right" else (m, k)
    shape = {"vector": (k,), "matrix": inner, "batched": (*p.shape_like(a.shape[:-2]), *inner)}[kind]
    candidates = [n for n in p.nodes if n.shape == shape]
    if candidates and p.draw(st.booleans()):
        b = p.draw(st.sampled_from(candidates))
    else:
        b = p.array(p.draw(st.sampled_from(DTYPES)), shape)
    ops = [a, b] if side == "right" else [b, a]
    spell = p.draw(st.sampled_from(["@", "np.matmul"]))
    fn = (lambda x, y: x @ y) if spell == "@" else np.matmul
    return p.apply("(lambda x, y: x @ y)" if spell == "@" else "np.matmul", fn, ops, lambda v: _matmul_err(ops[0], ops[1], v))


def gemm(p):
    if not any(n.value.ndim == 2 and n.dtype.kind == "f" for n in p.nodes):
        p.var(p.draw(st.sampled_from([np.float32, np.float64])), p.draw(hnp.array_shapes(min_dims=2, max_dims=2, max_side=4)))
    a = p.pick(lambda n: n.value.ndim == 2 and n.dtype.kind == "f")
    trans_a, trans_b = p.draw(st.booleans()), p.draw(st.booleans())
    k = a.shape[0] if trans_a else a.shape[1]
    rows = a.shape[1] if trans_a else a.shape[0]
    m = p.draw(st.integers(0, 3))
    b = p.array(a.dtype, (m, k) if trans_b else (k, m))
    alpha, beta = p.draw(st.sampled_from([1.0, 0.5, -2.0])), p.draw(st.sampled_from([1.0, 0.25, -1.0]))
    with_c = p.draw(st.booleans())
    ops = [a, b]
    if with_c:
        ops.append(p.array(a.dtype, p.draw(st.sampled_from([(rows, m), (m,), (1, m), (rows, 1), ()]))))

    def numpy_or_onnx(x, y, c=None):
        if isinstance(x, np.ndarray):
            out = (alpha * ((x.T if trans_a else x) @ (y.T if trans_b else y))).astype(x.dtype)
            return out if c is None else (out + (beta * c).astype(x.dtype)).astype(x.dtype)
        args = (x, y) if c is None else (x, y, c)
        return OnnxGemm(*args, alpha=alpha, beta=beta, transA=int(trans_a), transB=int(trans_b))

    def err_fn(v):
        aa = a.value.T if trans_a else a.value
        bb = b.T if trans_b else b
        e = abs(alpha) * (_matmul_err(Node("", None, aa, a.err), bb, v) + eps(v.dtype) * amax(np.abs(aa) @ np.abs(bb)))
        return e + 4 * eps(v.dtype) * (amax(v) + abs(beta) * (amax(ops[2]) if with_c else 0))

    label = f"(gemm alpha={alpha} beta={beta} transA={int(trans_a)} transB={int(trans_b)})"
    return p.apply(label, numpy_or_onnx, ops, err_fn, check_error=False)


def _axis(p, ndim):
    choice = p.draw(st.sampled_from(["none", "int", "tuple"]))
    if choice == "none" or ndim == 0:
        return None
    if choice == "int":
        return p.draw(st.integers(-ndim, ndim - 1))
    axes = p.draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
    return tuple(a - ndim if p.draw(st.booleans()) else a for a in axes)


def reduce(p):
    a = p.pick()
    method = p.draw(st.sampled_from(["sum", "mean", "max", "min"]))
    axis = _axis(p, a.value.ndim)
    keepdims = p.draw(st.booleans())
    axes = range(a.value.ndim) if axis is None else ([axis] if isinstance(axis, int) else axis)
    n = int(np.prod([a.shape[x] for x in axes])) if a.value.ndim else 1

    def err_fn(v):
        if method in ("max", "min"):
            return a.err
        total = np.abs(a.value.astype(np.float64)).sum(axis=axis) if a.value.ndim else np.abs(a.value)
        err = n * a.err + (n + 1) * eps(v.dtype) * amax(total)
        return err / max(n, 1) + 2 * eps(v.dtype) * amax(v) if method == "mean" else err

    return p.apply(
        f"(lambda x: x.{method}(axis={axis!r}, keepdims={keepdims}))",
        lambda x: getattr(x, method)(axis=axis, keepdims=keepdims),
        [a],
        err_fn,
    )


def reshape(p):
    a = p.pick()
    size = a.value.size
    ndim = p.draw(st.integers(0 if size == 1 else 1, 4))
    if size == 0:
        shape = [p.draw(st.integers(0, 3)) for _ in range(ndim)]
        if 0 not in shape:
            shape[p.draw(st.integers(0, ndim - 1))] = 0
    else:
        shape, left = [], size
        for _ in range(ndim - 1):
            divisors = [d for d in range(1, left + 1) if left % d == 0]
            d = p.draw(st.sampled_from(divisors))
            shape.append(d)
            left //= d
        if ndim:
            shape.append(left)
        if ndim and p.draw(st.booleans()):
            shape[p.draw(st.integers(0, ndim - 1))] = -1
    shape = tuple(shape)
    spell = p.draw(st.sampled_from(["method", "np.reshape"]))
    if spell == "method":
        return p.apply(f"(lambda x: x.reshape({shape}))", lambda x: x.reshape(shape), [a], lambda v: a.err)
    return p.apply(f"(lambda x: np.reshape(x, {shape}))", lambda x: np.reshape(x, shape), [a], lambda v: a.err)


def transpose(p):
    a = p.pick()
    if p.draw(st.booleans()):
        return p.apply("(lambda x: x.T)", lambda x: x.T, [a], lambda v: a.err)
    perm = tuple(p.draw(st.permutations(range(a.value.ndim))))
    return p.apply(f"(lambda x: np.transpose(x, {perm}))", lambda x: np.transpose(x, perm), [a], lambda v: a.err)


def _index_item(p, size):
    kind = p.draw(st.sampled_from(["slice", "int", "full"]))
    if kind == "int" and size:
        return p.draw(st.integers(-size, size - 1))
    if kind == "slice":
        bound = st.one_of(st.none(), st.integers(-size - 2, size + 2))
        step = p.draw(st.sampled_from([None, 1, 2, -1, -2, 3]))
        return slice(p.draw(bound), p.draw(bound), step)
    return slice(None)


def basic_index(p):
    a = p.pick()
    items = [_index_item(p, d) for d in a.shape[: p.draw(st.integers(0, a.value.ndim))]]
    if p.draw(st.booleans()):
        items.insert(p.draw(st.integers(0, len(items))), None)
    if p.draw(st.booleans()):
        items.insert(p.draw(st.integers(0, len(items))), Ellipsis)
    key = tuple(items)
    for item, size in zip([i for i in items if i is not None and i is not Ellipsis], a.shape):
        if isinstance(item, slice) and (item.step or 1) < 0 and item.start is not None and item.start < -size:
            # a known bug (xfail test_negative_step_slice_starting_before_the_first_element in test_properties.py):
            # numpy's x[-5::-1] on 3 elements is empty, onnxalgebra's Slice gives x[0]; kept out so the other
            # slices stay tested
            raise Skip
    return p.apply(f"(lambda x: x[{key!r}])", lambda x: x[key], [a], lambda v: a.err)


def array_index(p):
    a = p.pick(lambda n: n.value.ndim >= 1)
    axis = p.draw(st.integers(0, min(a.value.ndim - 1, 1)))
    size = a.shape[axis]
    shape = p.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0 if size == 0 else 1, max_side=3))
    if size == 0:
        shape = (0,)
    index = p.draw(hnp.arrays(np.int64, shape, elements=st.integers(-size, max(size - 1, 0))))
    key = (slice(None),) * axis + (index,)
    return p.apply(f"(lambda x: x[{(slice(None),) * axis!r} + ({_text(index)},)])", lambda x: x[key], [a], lambda v: a.err)


def expression_index(p):
    """``x[i]`` along the first axis, ``i`` an int64 node of the program whose values are in range."""
    a = p.pick(lambda n: n.value.ndim >= 1)
    size = a.shape[0]
    index = p.pick(lambda n: n.dtype == np.int64 and n.value.ndim <= 2 and (n.value.size == 0 or size > 0))
    if index.value.size and not (-size <= index.value.min() and index.value.max() < size):
        raise Skip
    return p.apply("(lambda x, i: x[i])", lambda x, i: x[i], [a, index], lambda v: a.err)


def mask_index(p):
    """``x[mask]``, ``mask`` a boolean node of x's shape (or of its leading dimensions): sizes known at run time."""
    a = p.pick(lambda n: n.value.ndim >= 1)

    def fits(n):
        return n.dtype == np.bool_ and 1 <= n.value.ndim <= a.value.ndim and n.shape == a.shape[: n.value.ndim]

    if not any(fits(n) for n in p.nodes):
        if not _margin_ok(a, 0):
            raise Skip
        p.apply("np.greater", np.greater, [a, 0], lambda v: 0.0)
    mask = p.pick(fits)
    return p.apply("(lambda x, m: x[m])", lambda x, m: x[m], [a, mask], lambda v: a.err, known_shape=False)


STEPS = [
    unary,
    binary,
    binary,
    compare,
    where,
    astype,
    matmul,
    gemm,
    reduce,
    reshape,
    transpose,
    basic_index,
    array_index,
    expression_index,
    mask_index,
]


def build(data, dynamic=False, max_steps=8):
    """A random program: its inputs (1 to 3, more may come as operands), then 1 to ``max_steps`` steps."""
    p = Program(data, dynamic=dynamic, max_steps=max_steps)
    first = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    p.var(data.draw(st.sampled_from(DTYPES)), first)
    for _ in range(data.draw(st.integers(0, 2))):
        shape = (
            p.shape_like(first) if data.draw(st.booleans()) else data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
        )
        p.var(data.draw(st.sampled_from(DTYPES)), shape)
    p.run_steps()
    return p
