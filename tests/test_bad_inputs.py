"""Issue 14: a catalogue of bad inputs, tried as a new user would.

Each case is ``(id, what the user tries, expected exception type(s), regex on the message)``. Every case must
raise an exception of onnxalgebra (a subclass of :class:`OnnxAlgebraError`) that is also the natural built-in
(``TypeError``, ``ValueError``, ``KeyError``, ``IndexError``...), whose message matches the regex: it names the
thing that was wrong and what was expected. None may build a model, crash or hang. The command line cases
run ``onnxalgebra.__main__.main`` (or ``python -m onnxalgebra``): exit status 2, a one-line message, no traceback.

A case that still went wrong would be ``xfail(strict=True)`` with the fix in the reason; none does.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from onnxalgebra import (
    CompileError,
    Constant,
    OnnxAlgebraError,
    OnnxNumpyError,
    OnnxTypeError,
    OperatorError,
    UnsupportedEstimatorError,
    Var,
    dataframe_feeds,
    to_onnx,
)
from onnxalgebra._errors import OnnxIndexError, OnnxShapeError

F32 = np.float32
BUILTINS = (TypeError, ValueError, KeyError, IndexError, LookupError, AttributeError, RuntimeError, OSError)


def _x(shape: list[Any] | None = None) -> Var:
    return Var("X", F32, [2, 3] if shape is None else shape)


def _op(name: str) -> Any:
    import onnxalgebra

    return getattr(onnxalgebra, name)


# -- scikit-learn fixtures, built on first use ---------------------------------------------------------


@functools.cache
def _iris() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    return X.astype(F32), y


@functools.cache
def _logreg() -> Any:
    from sklearn.linear_model import LogisticRegression

    X, y = _iris()
    return LogisticRegression(max_iter=500).fit(X, y)


@functools.cache
def _tree() -> Any:
    from sklearn.tree import DecisionTreeClassifier

    X, y = _iris()
    return DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)


def _frame() -> Any:
    pd = pytest.importorskip("pandas")
    X, _ = _iris()
    return pd.DataFrame(X.astype(np.float64), columns=["a", "b", "c", "d"])


@functools.cache
def _frame_model() -> Any:
    from sklearn.linear_model import LinearRegression

    df = _frame()
    return LinearRegression().fit(df, _iris()[1])


class _NoConverter:
    """An estimator no converter knows."""

    def fit(self, X: Any, y: Any = None) -> _NoConverter:
        self.n_features_in_ = X.shape[1]
        return self


def _pipeline(fit_first: bool) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler()
    if fit_first:
        scaler.fit(_iris()[0])
    return Pipeline([("scale", scaler), ("model", LogisticRegression())])


# -- the command line ----------------------------------------------------------------------------------


class CliFailure(Exception):
    """What the command line did: ``exit <status>: <stderr>``."""


def _cli(tmp: Path, *argv: str) -> None:
    """Run ``onnxalgebra <argv>`` in-process; raise CliFailure(exit status, stderr) unless it exits 0."""
    from onnxalgebra.__main__ import main

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            status = main([a.replace("{tmp}", str(tmp)) for a in argv])
        except SystemExit as exc:  # argparse
            status = exc.code
    if status != 0:
        raise CliFailure(f"exit {status}: {err.getvalue().strip()}")


def _cli_subprocess(tmp: Path, *argv: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "onnxalgebra", *(a.replace("{tmp}", str(tmp)) for a in argv)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise CliFailure(f"exit {proc.returncode}: {proc.stderr.strip()}")


def _files(tmp: Path) -> Path:
    (tmp / "garbage.onnx").write_bytes(b"\x00\xffnot a model at all" * 10)
    (tmp / "notes.txt").write_text("hello")
    return tmp


# -- the catalogue -------------------------------------------------------------------------------------


def case(id: str, build: Callable[..., Any], expected: Any, pattern: str, xfail: str | None = None, tmp: bool = False) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(build, expected if isinstance(expected, tuple) else (expected,), pattern, tmp, id=id, marks=marks)


BASE = "raises the bare OnnxAlgebraError, which subclasses no built-in"

CASES = [
    # Var: names, shapes, dtypes
    case("var-name-int", lambda: Var(3), (OperatorError, ValueError), r"Var: a name must be a non-empty str, got 3"),
    case("var-name-empty", lambda: Var(""), (OperatorError, ValueError), r"Var: a name must be a non-empty str, got ''"),
    case("var-shape-int", lambda: Var("X", F32, 3), OnnxTypeError, r"Var\('X'\): shape 3 is an int, not a sequence.*\[3\]"),
    case("var-shape-str", lambda: Var("X", F32, "N"), OnnxTypeError, r"Var\('X'\): shape 'N' is a str.*\['N'\]"),
    case("var-shape-dict", lambda: Var("X", F32, {"a": 1}), OnnxTypeError, r"Var\('X'\): shape .*dict.*not a sequence"),
    case("var-shape-no-dtype", lambda: Var("X", None, [None, 4]), OnnxTypeError, r"Var\('X'\): a shape .* without a dtype"),
    case("var-dim-negative", lambda: Var("X", F32, [-1, 3]), (OnnxShapeError, ValueError), r"dimension 0 is -1.*>= 0.*None"),
    case("var-dim-float", lambda: Var("X", F32, [2.0, 3]), OnnxTypeError, r"Var\('X'\): dimension 0 is the float 2.0.*write 2"),
    case("var-dim-fraction", lambda: Var("X", F32, [3, 2.5]), OnnxTypeError, r"dimension 1 is float 2.5.*int >= 0"),
    case("var-dim-bool", lambda: Var("X", F32, [True, 3]), OnnxTypeError, r"dimension 0 is bool True"),
    case("var-dim-nested", lambda: Var("X", F32, [[2], 3]), OnnxTypeError, r"dimension 0 is list \[2\]"),
    case(
        "var-dim-sentence", lambda: Var("X", F32, ["2 rows", 3]), (OnnxShapeError, ValueError), r"'2 rows', not a symbolic name"
    ),
    case("var-dim-empty-name", lambda: Var("X", F32, ["", 3]), (OnnxShapeError, ValueError), r"str '', not a symbolic name"),
    case("var-dim-digits", lambda: Var("X", F32, ["3"]), (OnnxShapeError, ValueError), r"str '3'; write the int 3"),
    case("var-dtype-typo", lambda: Var("X", "floatt", [2]), OnnxTypeError, r"Var\('X'\): dtype 'floatt' .*not a numpy dtype"),
    case("var-dtype-datetime", lambda: Var("X", "datetime64[s]", [2]), OnnxTypeError, r"dtype datetime64\[s\] has no ONNX"),
    case("var-dtype-list", lambda: Var("X", [F32], [2]), OnnxTypeError, r"Var\('X'\): dtype \[.*\] is not a dtype"),
    # Constant
    case(
        "constant-object-mixed",
        lambda: Constant(np.array([1, "a", None], dtype=object)),
        (OperatorError, ValueError),
        r"Constant: an object array .* str \(or bytes\); this one holds NoneType, int",
    ),
    case("constant-object-ints", lambda: Constant(np.array([1, 2], dtype=object)), OperatorError, r"holds int\. Convert"),
    case("constant-object-dicts", lambda: Constant(np.array([{}, []], dtype=object)), OperatorError, r"holds dict, list"),
    case(
        "operator-object-array",
        lambda: _op("OnnxAdd")("X", np.array([1, 2], dtype=object)),
        OperatorError,
        r"OnnxAdd: input 1: Constant: an object array .* holds int",
    ),
    case("constant-ragged", lambda: Constant([[1, 2], [3]]), (OperatorError, ValueError), r"Constant: the list .* is ragged"),
    case(
        "constant-complex-scalar",
        lambda: Constant(1j),
        OperatorError,
        r"Constant: cannot make a tensor of complex 1j.*np\.complex64",
    ),
    case("constant-none", lambda: Constant(None), OperatorError, r"Constant: cannot make a tensor of NoneType"),
    case("constant-dict", lambda: Constant({"a": 1}), OperatorError, r"Constant: cannot make a tensor of dict"),
    case(
        "constant-datetime",
        lambda: Constant(np.array(["2020-01-01"], dtype="datetime64[D]")),
        OnnxTypeError,
        r"Constant: dtype datetime64\[D\] has no ONNX tensor type.*int64",
    ),
    case("constant-bad-dtype", lambda: Constant([1, 2], dtype="floatt"), OnnxTypeError, r"Constant: dtype 'floatt'"),
    # operators
    case("add-one-input", lambda: _op("OnnxAdd")(_x()), OperatorError, r"OnnxAdd: Add .* takes 2 inputs \(A, B\), 1 given"),
    case("add-three-inputs", lambda: _op("OnnxAdd")(_x(), _x(), _x()), OperatorError, r"OnnxAdd: .*takes 2 inputs.*3 given"),
    case("relu-unknown-attribute", lambda: _op("OnnxRelu")(_x(), alpha=0.1), OperatorError, r"OnnxRelu: .*no attribute 'alpha'"),
    case(
        "transpose-misspelled-attribute", lambda: _op("OnnxTranspose")(_x(), perms=[1, 0]), OperatorError, r"Did you mean 'perm'"
    ),
    case(
        "transpose-attribute-type",
        lambda: _op("OnnxTranspose")(_x(), perm="ab"),
        OperatorError,
        r"OnnxTranspose: attribute 'perm' .* expects a list of ints .* got str 'ab'",
    ),
    case(
        "concat-axis-str", lambda: _op("OnnxConcat")(_x(), _x(), axis="1"), OperatorError, r"'axis' .* expects an int .*got str"
    ),
    case(
        "add-float-int",
        lambda: _op("OnnxAdd")(_x(), Var("Y", np.int64, [2, 3])),
        OnnxTypeError,
        r"Add .*X: tensor\(float\)\[2, 3\], Y: tensor\(int64\)\[2, 3\].*inconsistent type",
    ),
    case(
        "relu-strings", lambda: _op("OnnxRelu")(Var("S", np.str_, [2])), OnnxTypeError, r"Relu .*S: tensor\(string\).*unsupported"
    ),
    case("add-shapes", lambda: _op("OnnxAdd")(_x(), Var("Y", F32, [4])), OnnxTypeError, r"Add .*\[2, 3\].*\[4\].*Incompatible"),
    case(
        "matmul-shapes",
        lambda: _op("OnnxMatMul")(_x(), Var("Y", F32, [4, 5])),
        OnnxTypeError,
        r"MatMul .*\[2, 3\].*\[4, 5\].*Incompatible dimensions",
    ),
    case(
        "reshape-element-count",
        lambda: _op("OnnxReshape")(Var("Z", F32, [2, 4]), np.array([3, 3])),
        (OnnxShapeError, ValueError),
        r"Reshape .*cannot reshape a tensor of shape \[2, 4\] \(8 elements\) into shape \[3, 3\] \(9 elements\)",
    ),
    case(
        "reshape-partly-known",
        lambda: _op("OnnxReshape")(Var("Z", F32, [None, 4]), np.array([3, 3])),
        OnnxShapeError,
        r"shape \[\?, 4\] \(a multiple of 4 elements\) into shape \[3, 3\] \(9 elements\)",
    ),
    case(
        "reshape-two-minus-one",
        lambda: _op("OnnxReshape")(Var("Z", F32, [2, 4]), np.array([-1, -1])),
        OnnxTypeError,
        r"Reshape .*multiple -1",
    ),
    case("concat-axis-range", lambda: _op("OnnxConcat")(_x(), _x(), axis=5), OnnxTypeError, r"Concat .*axis must be in \[-rank"),
    case(
        "gather-constant-out-of-range",
        lambda: _op("OnnxGather")(_x(), np.array([7]), axis=1),
        (OnnxIndexError, IndexError),
        r"Gather .*index 7 is out of range for axis 1 of length 3.*\[-3, 2\]",
    ),
    case(
        "gather-negative-out-of-range",
        lambda: _op("OnnxGather")(_x(), np.array([0, -3])),
        OnnxIndexError,
        r"index -3 is out of range for axis 0 of length 2",
    ),
    case(
        "transpose-perm-length",
        lambda: _op("OnnxTranspose")(_x(), perm=[1, 0, 2]),
        OnnxTypeError,
        r"Transpose .*perm \{1, 0, 2\}, input shape = \{2, 3\}",
    ),
    case(
        "slice-missing-axis",
        lambda: _op("OnnxSlice")(_x(), np.array([0]), np.array([1]), np.array([4])),
        OnnxTypeError,
        r"Slice .*axis value: 4\. Expected range \[-2, 2\)",
    ),
    case(
        "output-names-twice",
        lambda: _op("OnnxTopK")(_x(), np.array([2]), output_names=["a", "a"]),
        OperatorError,
        r"OnnxTopK: output_names \['a', 'a'\] has duplicates",
    ),
    case(
        "op-version-missing",
        lambda: _op("OnnxGelu")(_x(), op_version=13),
        OperatorError,
        r"OnnxGelu: Gelu does not exist at opset 13",
    ),
    # numpy-style misuse
    case("np-fft", lambda: np.fft.fft(_x()), OnnxNumpyError, r"numpy\.fft\.fft: no ONNX translation"),
    case("np-svd", lambda: np.linalg.svd(_x()), OnnxNumpyError, r"numpy\.linalg\.svd: no ONNX translation"),
    case("np-gcd", lambda: np.gcd(Var("I", np.int64, [2]), 4), OnnxNumpyError, r"numpy\.gcd: no ONNX translation"),
    case("bool-of-expression", lambda: bool(_x() > 0), OnnxNumpyError, r"no truth value until the model runs; use np\.where"),
    case("if-expression", lambda: 1 if _x() else 0, OnnxNumpyError, r"no truth value"),
    case("float-of-expression", lambda: float(_x()), OnnxNumpyError, r"float\(expr\) needs expr\.eval"),
    case(
        "len-unknown", lambda: len(_x([None, 3])), OnnxNumpyError, r"len\(\) .*first dimension is known only when the model runs"
    ),
    case("len-untyped", lambda: len(Var("X")), OnnxNumpyError, r"len\(\) of an expression of unknown rank: give its Var a dtype"),
    case("iterate-unknown", lambda: list(_x([None, 3])), OnnxNumpyError, r"len\(\) .*\(None, 3\)"),
    case("value-in-expression", lambda: 1 in _x(), OnnxNumpyError, r"`value in expr` .* np\.any\(expr == value\)"),
    case("index-float", lambda: _x()[1.5], (OnnxIndexError, IndexError), r"expr\[1\.5\]: only integers.*got float 1\.5"),
    case("index-str", lambda: _x()[:, "a"], OnnxIndexError, r"expr\[:, 'a'\]: .*got str 'a'"),
    case("setitem", lambda: _x().__setitem__(0, 1.0), OnnxNumpyError, r"expressions are immutable.*np\.where"),
    case(
        "string-less-than-number", lambda: Var("S", np.str_, [2]) < 3, OnnxNumpyError, r"numpy\.less: string tensors support =="
    ),
    case(
        "string-equals-number",
        lambda: Var("S", np.str_, [2]) == 3,
        OnnxNumpyError,
        r"numpy\.equal: compares strings with non-strings",
    ),
    case(
        "np-reshape-element-count",
        lambda: np.reshape(Var("Z", F32, [2, 4]), (3, 3)),
        (OnnxShapeError, ValueError),
        r"numpy\.reshape: cannot reshape an expression of shape \(2, 4\) into shape \(3, 3\)",
    ),
    case(
        "reshape-two-unknown", lambda: _x().reshape(-1, -1), (OnnxShapeError, ValueError), r"only specify one unknown dimension"
    ),
    case(
        "reshape-float-dims", lambda: _x().reshape(3.0, 2), OnnxNumpyError, r"numpy\.reshape: dimensions must be ints, got float"
    ),
    case("matrix-transpose-1d", lambda: _x([3]).mT, (OnnxShapeError, ValueError), r"x\.mT: .*ndim < 2.*\(3,\)"),
    case("complex-operand", lambda: _x() + 1j, OnnxNumpyError, r"numpy\.add: numpy computes it in complex64"),
    case(
        "np-concatenate-axis",
        lambda: np.concatenate([_x(), _x()], axis=3),
        (OnnxAlgebraError, ValueError, IndexError),
        r"numpy\.concatenate: axis 3 is out of bounds .*dimension 2",
    ),
    # the compiler
    case(
        "compile-no-sample", lambda: to_onnx(_op("OnnxRelu")("X")), CompileError, r"type of graph input\(s\) \['X'\] is unknown"
    ),
    case(
        "compile-sample-dtype",
        lambda: to_onnx(_x() + 1, {"X": np.zeros((2, 3), np.int64)}),
        CompileError,
        r"input 'X': Var declares tensor\(float\)\[2, 3\] but inputs give tensor\(int64\)",
    ),
    case(
        "compile-output-name-twice",
        lambda: to_onnx([_x() + 1, _x() * 2], {"X": np.zeros((2, 3), F32)}, outputs=["Y", "Y"]),
        CompileError,
        r"outputs= names \['Y', 'Y'\] have duplicates",
    ),
    case(
        "compile-opset-too-low",
        lambda: to_onnx(_x().sum(axis=1), target_opset=7),
        CompileError,
        r"fits target opset 7: OnnxReduceSum is ReduceSum version 13.*op_version=7",
    ),
    case(
        "compile-sample-shape",
        lambda: to_onnx(_x() + 1, {"X": np.zeros((5, 7), F32)}),
        CompileError,
        r"input 'X'.*\[2, 3\].*7",
    ),
    case(
        "compile-sample-rank",
        lambda: to_onnx(_x() + 1, {"X": np.zeros((2, 3, 4), F32)}),
        CompileError,
        r"input 'X'.*\[2, 3\]",
    ),
    case(
        "compile-unknown-domain",
        lambda: to_onnx(_x() + 1, target_opset={"": 15, "com.foo": 1}),
        CompileError,
        r"com\.foo",
    ),
    case(
        "compile-domain-typo",
        lambda: to_onnx(_x() + 1, target_opset={"ai.onnx.mll": 3}),
        CompileError,
        r"ai\.onnx\.mll.*ai\.onnx\.ml",
    ),
    case(
        "compile-opset-word",
        lambda: to_onnx(_x() + 1, target_opset="newest"),
        CompileError,
        r"target_opset.*'newest'.*'latest'",
    ),
    case(
        "compile-output-not-expression",
        lambda: to_onnx([_x() + 1, 3]),
        (OnnxAlgebraError, TypeError),
        r"output 1.*int",
    ),
    case(
        "compile-none",
        lambda: to_onnx(None),
        (OnnxAlgebraError, TypeError),
        r"to_onnx.*None.*expression or a fitted estimator",
    ),
    case(
        "compile-sample-not-array",
        lambda: to_onnx(_op("OnnxRelu")("X"), {"X": "float"}),
        CompileError,
        r"input 'X'.*str",
    ),
    # converters
    case(
        "convert-unfitted",
        lambda: to_onnx(_pipeline(False).steps[1][1], _iris()[0]),
        (OnnxAlgebraError, ValueError),
        r"LogisticRegression.*not fitted",
    ),
    case(
        "convert-no-converter",
        lambda: to_onnx(_NoConverter().fit(_iris()[0]), _iris()[0]),
        (UnsupportedEstimatorError, TypeError),
        r"no converter for .*_NoConverter.*register_converter",
    ),
    case(
        "convert-wrong-feature-count",
        lambda: to_onnx(_logreg(), _iris()[0][:, :3]),
        (OnnxAlgebraError, ValueError),
        r"LogisticRegression was fitted on 4 features but X has 3.*\(n, 4\)",
    ),
    case(
        "convert-string-column",
        lambda: to_onnx(_frame_model(), _frame().assign(a=lambda d: d.a.astype(str))),
        (OnnxAlgebraError, TypeError),
        r"LinearRegression computes on numbers but gets the string column\(s\) \['a'\]",
    ),
    case(
        "convert-missing-column",
        lambda: to_onnx(_frame_model(), _frame().drop(columns="b")),
        (OnnxAlgebraError, KeyError),
        r"fitted on the columns \['a', 'b', 'c', 'd'\]; the DataFrame lacks \['b'\]",
    ),
    case(
        "convert-option-misspelled",
        lambda: to_onnx(_logreg(), _iris()[0], options={"zipmapp": True}),
        (OnnxAlgebraError, ValueError),
        r"LogisticRegression: unknown option\(s\) \['zipmapp'\]",
    ),
    case(
        "convert-option-type",
        lambda: to_onnx(_logreg(), _iris()[0], options={"zipmap": "yes"}),
        (OnnxAlgebraError, TypeError),
        r"zipmap.*bool.*'yes'",
    ),
    case(
        "convert-options-not-dict",
        lambda: to_onnx(_logreg(), _iris()[0], options=["zipmap"]),
        (OnnxAlgebraError, TypeError),
        r"options.*dict.*list",
    ),
    case(
        "convert-tree-option-type",
        lambda: to_onnx(_tree(), _iris()[0], options={"missing_values": "no"}),
        (OnnxAlgebraError, TypeError),
        r"missing_values.*bool.*'no'",
    ),
    case(
        "convert-pipeline-unfitted-step",
        lambda: to_onnx(_pipeline(True), _iris()[0]),
        (OnnxAlgebraError, ValueError),
        r"Pipeline.*step 'model'.*LogisticRegression.*not fitted",
    ),
    case(
        "convert-dtype-int32",
        lambda: to_onnx(_logreg(), _iris()[0], dtype=np.int32),
        (OnnxAlgebraError, ValueError),
        r"dtype must be np\.float32 or np\.float64 .*got int32",
    ),
    case(
        "convert-sample-1d",
        lambda: to_onnx(_logreg(), _iris()[0][0]),
        (OnnxAlgebraError, ValueError),
        r"LogisticRegression.*2-D.*\(4,\)",
    ),
    case(
        "convert-sample-int",
        lambda: to_onnx(_logreg(), _iris()[0].astype(np.int64)),
        (OnnxAlgebraError, TypeError),
        r"LogisticRegression.*int64",
    ),
    case(
        "dataframe-feeds-missing-column",
        lambda: dataframe_feeds(to_onnx(_frame_model(), _frame()), _frame().drop(columns="c")),
        (OnnxAlgebraError, KeyError),
        r"dataframe_feeds: the model's inputs are \['a', 'b', 'c', 'd'\]; the DataFrame lacks \['c'\]",
    ),
    case(
        "dataframe-feeds-array",
        lambda: dataframe_feeds(to_onnx(_frame_model(), _frame()), _iris()[0]),
        (OnnxAlgebraError, TypeError),
        r"dataframe_feeds: expected a pandas DataFrame, got ndarray",
    ),
    # the command line: exit 2, one line, no traceback
    case(
        "cli-show-missing",
        lambda t: _cli(t, "show", "{tmp}/nope.onnx"),
        CliFailure,
        r"^exit 2: onnxalgebra show: .*nope\.onnx: no such file$",
        tmp=True,
    ),
    case(
        "cli-show-garbage",
        lambda t: _cli(t, "show", "{tmp}/garbage.onnx"),
        CliFailure,
        r"^exit 2: onnxalgebra show: .*garbage\.onnx: not a valid ONNX model",
        tmp=True,
    ),
    case(
        "cli-convert-extension",
        lambda t: _cli(t, "convert", "{tmp}/notes.txt", "-o", "{tmp}/out.onnx"),
        CliFailure,
        r"^exit 2: onnxalgebra convert: .*notes\.txt: unknown kind of file '\.txt'; expected one of \.skops",
        tmp=True,
    ),
    case(
        "cli-convert-missing",
        lambda t: _cli(t, "convert", "{tmp}/nope.skops", "-o", "{tmp}/out.onnx"),
        CliFailure,
        r"^exit 2: onnxalgebra convert: .*nope\.skops: no such file",
        tmp=True,
    ),
    case(
        "cli-unknown-flag",
        lambda t: _cli(t, "show", "--bogus", "{tmp}/garbage.onnx"),
        CliFailure,
        r"^exit 2: usage: onnxalgebra .*\nonnxalgebra: error: unrecognized arguments: --bogus$",
        tmp=True,
    ),
    case(
        "cli-unknown-subcommand",
        lambda t: _cli(t, "draw", "{tmp}/garbage.onnx"),
        CliFailure,
        r"^exit 2: usage: onnxalgebra .*\nonnxalgebra: error: argument command: invalid choice: 'draw'",
        tmp=True,
    ),
    case(
        "cli-subprocess-unknown-flag",
        lambda t: _cli_subprocess(t, "convert", "{tmp}/notes.txt", "--bogus"),
        CliFailure,
        r"^exit 2: usage: onnxalgebra .*\nonnxalgebra: error: unrecognized arguments: --bogus$",
        tmp=True,
    ),
]


def test_catalogue_size() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(("build", "expected", "pattern", "needs_tmp"), CASES)
def test_bad_input(build: Callable[..., Any], expected: tuple[type, ...], pattern: str, needs_tmp: bool, tmp_path: Path) -> None:
    args = (_files(tmp_path),) if needs_tmp else ()
    with pytest.raises(Exception) as info:  # the types are checked below
        result = build(*args)
        pytest.fail(f"no error; returned {type(result).__name__}")  # pragma: no cover
    exc = info.value
    message = str(exc)
    for kind in expected:
        assert isinstance(exc, kind), f"{type(exc).__name__} is not a {kind.__name__}: {message}"
    if isinstance(exc, CliFailure):
        assert "Traceback" not in message, message
        lines = [line for line in message.splitlines() if not line.startswith(("exit 2: usage:", "usage:", " "))]
        assert len(lines) == 1, f"expected a one-line message: {message!r}"
    else:
        assert isinstance(exc, OnnxAlgebraError), f"{type(exc).__name__} is not one of ours: {message}"
        assert isinstance(exc, BUILTINS), f"{type(exc).__name__} subclasses no natural built-in: {message}"
    assert re.search(pattern, message, flags=re.S), f"{message!r} does not match {pattern!r}"
