"""``onnxalgebra convert``: load a persisted estimator safely, convert it, verify it, write the ONNX file.

A ``.skops`` file is loaded by skops, which refuses the types it does not
trust unless the user names each one (``--trust TYPE``). A ``.pkl``,
``.pickle`` or ``.joblib`` file is refused unless ``--trust-pickle`` is given:
unpickling runs whatever code the file names. The written model is checked
against the loaded estimator: the same rows (random ones of the fitted number
of features, or the rows of ``--sample``) go through scikit-learn and through
onnxruntime on the written file; labels must be equal and values within
1e-5 (float32) or 1e-10 (float64) relative to each output's scale.

Exit codes: 0 written (and verified), 1 verification failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_OK",
    "EXIT_VERIFICATION_FAILED",
    "ConvertInputError",
    "OutputCheck",
    "add_arguments",
    "compare_output",
    "load_estimator",
    "read_sample",
    "run",
]

EXIT_OK = 0
EXIT_VERIFICATION_FAILED = 1
EXIT_BAD_INPUT = 2

SKOPS_SUFFIXES = (".skops",)
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
TOLERANCE = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}
RANDOM_ROWS = 100


class ConvertInputError(ValueError):
    """Bad input to ``onnxalgebra convert``: the message says what was wrong, what was expected and the fix."""


@dataclass
class OutputCheck:
    """The comparison of one model output with scikit-learn's: ``ok``, and what was measured or what differed."""

    name: str
    ok: bool
    detail: str
    difference: float | None = None  # max relative difference of a float output


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``onnxalgebra convert`` on ``parser``.

    >>> parser = argparse.ArgumentParser()
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["model.skops", "--n-features", "4", "--trust", "a.B", "--trust", "c.D"])
    >>> args.n_features, args.trust, args.dtype
    (4, ['a.B', 'c.D'], None)
    """
    parser.add_argument("model", type=Path, help="the saved estimator: .skops, or .pkl/.pickle/.joblib with --trust-pickle")
    parser.add_argument(
        "-o", "--output", type=Path, default=None, help="the ONNX file to write (default: the input's name with .onnx)"
    )
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument(
        "--n-features", type=int, default=None, help="number of columns of X (default: the estimator's n_features_in_)"
    )
    shape.add_argument(
        "--sample",
        type=Path,
        default=None,
        help="rows of input data, .npy or .csv (a .csv with a header row gives named columns, for models fitted on DataFrames)",
    )
    parser.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default=None,
        help="computation dtype (default: float32, or a float .npy sample's own)",
    )
    parser.add_argument(
        "--target-opset",
        default=None,
        help="the newest opset to use: N, 'latest', or DOMAIN=N pairs separated by commas (ai.onnx=15,ai.onnx.ml=3)",
    )
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="TYPE",
        help="a type skops does not trust by default that this file may contain (repeat for each)",
    )
    parser.add_argument(
        "--trust-pickle",
        action="store_true",
        help="load a .pkl/.pickle/.joblib file, which runs any code it names: only for files you made or trust",
    )
    parser.add_argument("--no-verify", action="store_true", help="do not compare the written model with the estimator")


# --- loading ---


def load_estimator(path: Path, trust: Sequence[str] = (), trust_pickle: bool = False) -> tuple[Any, str]:
    """Load a persisted estimator without running code from the file unless asked; return it and how it was loaded.

    A ``.skops`` file loads when every type skops does not trust by default
    is named in ``trust``; a pickle or joblib file only with ``trust_pickle``.
    Anything else raises :class:`ConvertInputError` saying why and what to do.

    >>> import tempfile, skops.io
    >>> from sklearn.preprocessing import StandardScaler
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     skops.io.dump(StandardScaler().fit([[0.0], [2.0]]), Path(folder) / "scaler.skops")
    ...     est, how = load_estimator(Path(folder) / "scaler.skops")
    >>> type(est).__name__, how
    ('StandardScaler', 'skops')
    >>> try:
    ...     load_estimator(Path("model.onnx"))
    ... except ConvertInputError as exc:
    ...     print(exc)
    model.onnx: already ONNX; use `onnxalgebra show model.onnx` to draw it or `--info` to describe it.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        raise ConvertInputError(f"{path}: already ONNX; use `onnxalgebra show {path}` to draw it or `--info` to describe it.")
    known = ", ".join((*SKOPS_SUFFIXES, *PICKLE_SUFFIXES))
    if suffix not in SKOPS_SUFFIXES + PICKLE_SUFFIXES:
        raise ConvertInputError(
            f"{path}: unknown kind of file {suffix or '(no extension)'!r}; expected one of {known} "
            "(save the estimator with skops.io.dump(est, 'model.skops'))."
        )
    if not path.is_file():
        raise ConvertInputError(f"{path}: no such file.")
    if suffix in PICKLE_SUFFIXES:
        return _load_pickle(path, trust_pickle)
    return _load_skops(path, trust)


def _load_skops(path: Path, trust: Sequence[str]) -> tuple[Any, str]:
    from .._optional import require

    sio = require("skops.io", "loading a .skops file")
    try:
        untrusted = list(sio.get_untrusted_types(file=path))
    except Exception as exc:  # a zip that is not skops's, a truncated file...
        raise ConvertInputError(f"{path}: not a readable skops file ({type(exc).__name__}: {exc}).") from None
    named = set(trust)
    refused = [t for t in untrusted if t not in named]
    if refused:
        flags = " ".join(f"--trust {t}" for t in refused)
        raise ConvertInputError(
            f"{path}: skops does not trust the type(s) {refused} in this file; loading them may run their code. "
            f"If you trust them, name each one: {flags}"
        )
    unused = sorted(named - set(untrusted))
    if unused:
        print(f"note: --trust {', '.join(unused)}: not among the file's untrusted types (nothing to allow)", file=sys.stderr)
    try:
        return sio.load(path, trusted=untrusted), "skops"  # exactly the types the user named, never trusted=True
    except Exception as exc:
        raise ConvertInputError(f"{path}: skops could not load it ({type(exc).__name__}: {exc}).") from None


def _load_pickle(path: Path, trust_pickle: bool) -> tuple[Any, str]:
    if not trust_pickle:
        raise ConvertInputError(
            f"{path}: refused: loading a pickle (or joblib) file runs any code the file names, so a file from someone "
            "else can take over this machine. Pass --trust-pickle if you made this file or trust its author, or save "
            "the estimator with skops.io.dump(est, 'model.skops'), which loads without running code."
        )
    try:
        import joblib
    except ImportError:
        joblib = None
    try:
        if joblib is not None:
            return joblib.load(path), "joblib"
        import pickle

        with path.open("rb") as f:
            return pickle.load(f), "pickle"
    except Exception as exc:  # a class whose module is not installed, a truncated file...
        raise ConvertInputError(f"{path}: could not unpickle it ({type(exc).__name__}: {exc}).") from None


# --- input rows ---


def _fitted_columns(estimator: Any) -> list[str] | None:
    names = getattr(estimator, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _csv_has_header(path: Path) -> bool:
    with path.open(newline="") as f:
        first = next(csv.reader(f), None)
    if not first:
        raise ConvertInputError(f"--sample {path}: the file is empty; expected rows of comma-separated values.")
    for field in first:
        try:
            float(field)
        except ValueError:
            return True
    return False


def read_sample(path: Path, estimator: Any, dtype: str | None) -> tuple[Any, np.dtype]:
    """The rows of a ``--sample`` file and the computation dtype: a numpy array, or a DataFrame for a CSV with a header.

    A float ``.npy`` keeps its dtype unless ``dtype`` is given; a CSV's float
    columns take ``dtype`` (float32 by default). A CSV with a header row gives a
    DataFrame when the estimator was fitted on named columns (or has text
    columns), else its numbers.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     np.save(Path(folder) / "rows.npy", np.zeros((3, 2)))
    ...     X, dt = read_sample(Path(folder) / "rows.npy", None, None)
    >>> X.shape, dt
    ((3, 2), dtype('float64'))
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".csv"):
        raise ConvertInputError(f"--sample {path}: expected a .npy or .csv file, got {suffix or 'no extension'!r}.")
    if not path.is_file():
        raise ConvertInputError(f"--sample {path}: no such file.")
    if suffix == ".npy":
        return _read_npy(path, dtype)
    return _read_csv(path, estimator, dtype)


def _read_npy(path: Path, dtype: str | None) -> tuple[np.ndarray, np.dtype]:
    try:
        X = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise ConvertInputError(
            f"--sample {path}: not loadable without pickle ({exc}); save a numeric or string array (np.save of a "
            "float array), not an object array."
        ) from None
    except OSError as exc:
        raise ConvertInputError(f"--sample {path}: not a .npy file ({exc}).") from None
    if not isinstance(X, np.ndarray):
        raise ConvertInputError(f"--sample {path}: expected one array saved with np.save, got {type(X).__name__}.")
    if X.ndim == 1 and X.dtype.kind in "fiub":
        raise ConvertInputError(
            f"--sample {path}: expected a 2-D array (rows, features), got shape {X.shape}; save X.reshape(-1, 1)."
        )
    if X.ndim not in (1, 2) or len(X) == 0:
        raise ConvertInputError(f"--sample {path}: expected a 2-D array with at least one row, got shape {X.shape}.")
    if dtype is not None:
        computation = np.dtype(dtype)
    elif X.dtype in (np.float32, np.float64):
        computation = X.dtype
    else:
        computation = np.dtype(np.float32)
    if X.dtype.kind == "f":
        X = X.astype(computation)
    return X, computation


def _read_csv(path: Path, estimator: Any, dtype: str | None) -> tuple[Any, np.dtype]:
    computation = np.dtype(dtype or np.float32)
    if not _csv_has_header(path):
        try:
            X = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
        except ValueError as exc:
            raise ConvertInputError(
                f"--sample {path}: not rows of numbers ({exc}); give a header row for named or text columns."
            ) from None
        return X.astype(computation), computation
    from .._optional import require

    pd = require("pandas", "a --sample CSV with a header")
    try:
        df = pd.read_csv(path)
    except Exception as exc:
        raise ConvertInputError(f"--sample {path}: pandas could not read it ({type(exc).__name__}: {exc}).") from None
    if len(df) == 0:
        raise ConvertInputError(f"--sample {path}: a header but no rows; give at least one row of data.")
    df = df.astype({c: computation for c in df.columns if df[c].dtype.kind == "f"})
    numeric = all(df[c].dtype.kind in "fiub" for c in df.columns)
    if _fitted_columns(estimator) is None and numeric:  # fitted on an array: the header only names the columns
        return df.to_numpy(dtype=computation), computation
    return df, computation


def _random_rows(n_features: int, dtype: np.dtype) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((RANDOM_ROWS, n_features)).astype(dtype)


def _parse_target_opset(text: str | None) -> Any:
    if text is None or text == "latest":
        return text
    try:
        if "=" not in text:
            return int(text)
        pairs = {}
        for part in text.split(","):
            domain, version = part.split("=")
            domain = domain.strip()
            pairs["" if domain in ("", "ai.onnx") else domain] = int(version)
        return pairs
    except ValueError:
        raise ConvertInputError(
            f"--target-opset {text!r}: expected a number (15), 'latest', or DOMAIN=N pairs separated by commas "
            "(ai.onnx=15,ai.onnx.ml=3)."
        ) from None


# --- verification ---


def _expected(estimator: Any, X: Any, name: str, names: Sequence[str]) -> np.ndarray | None:
    """scikit-learn's values of the model output ``name``, None when no method of the estimator gives them."""
    if name == "label":
        return estimator.predict(X)
    if name == "probabilities":
        values = estimator.predict_proba(X)
        return np.hstack(values) if isinstance(values, list) else values  # one array per output (multi-output)
    if name == "scores":
        if list(names) == ["scores"]:
            return estimator.score_samples(X)
        for method in ("decision_function", "transform"):
            if hasattr(estimator, method):
                return getattr(estimator, method)(X)
        return None
    if name == "variable":
        if hasattr(estimator, "predict"):
            return estimator.predict(X)
        if hasattr(estimator, "transform"):
            return estimator.transform(X)
        if hasattr(estimator, "mahalanobis"):
            return estimator.mahalanobis(X)
    return None


def compare_output(name: str, got: Any, expected: Any, dtype: Any) -> OutputCheck:
    """Compare onnxruntime's values of one output with scikit-learn's: labels, integers, booleans and strings
    equal; floats within the tolerance of ``dtype`` relative to the largest expected value.

    >>> compare_output("probabilities", np.array([[0.5, 0.5]], np.float32), np.array([[0.5, 0.5]]), np.float32).ok
    True
    >>> compare_output("label", np.array([1, 2]), np.array([1, 1]), np.float32).detail
    '1 of 2 values differ (first at index 1: scikit-learn 1, ONNX 2)'
    """
    expected = expected.toarray() if hasattr(expected, "toarray") else np.asarray(expected)
    got = np.asarray(got)
    if got.shape != expected.shape:
        if got.size != expected.size:
            return OutputCheck(name, False, f"shape {got.shape}, scikit-learn's is {expected.shape}")
        got = got.reshape(expected.shape)  # a regressor's [N, 1] against scikit-learn's (N,)
    exact = name == "label" or expected.dtype.kind not in "fc" or got.dtype.kind not in "fc"
    if exact:
        same = got == expected
        if expected.dtype.kind == "f" and got.dtype.kind == "f":
            same |= np.isnan(got) & np.isnan(expected)
        same = np.asarray(same, dtype=bool).reshape(expected.shape)
        if same.all():
            return OutputCheck(name, True, "equal")
        first = np.argwhere(~same)[0]
        where = tuple(int(i) for i in first)
        index = where[0] if len(where) == 1 else where
        return OutputCheck(
            name,
            False,
            f"{int((~same).sum())} of {same.size} values differ (first at index {index}: scikit-learn "
            f"{_plain(expected[where])}, ONNX {_plain(got[where])})",
        )
    tolerance = TOLERANCE[np.dtype(dtype)]
    e = expected.astype(np.float64)
    g = got.astype(np.float64)
    nan_e, nan_g = np.isnan(e), np.isnan(g)
    if (nan_e != nan_g).any():
        return OutputCheck(name, False, f"NaN in {int((nan_e != nan_g).sum())} value(s) where the other has a number")
    finite = ~nan_e
    if not finite.any():
        return OutputCheck(name, True, "all NaN in both", 0.0)
    scale = max(float(np.abs(e[finite]).max()), float(np.finfo(np.dtype(dtype)).tiny))
    diff = float(np.abs(g[finite] - e[finite]).max()) / scale
    detail = f"max relative difference {diff:.2g} (tolerance {tolerance:g})"
    return OutputCheck(name, diff <= tolerance, detail, diff)


def _plain(value: Any) -> str:
    return repr(value.item() if hasattr(value, "item") else value)


def _sklearn_values(estimator: Any, X: Any, names: Sequence[str]) -> list[np.ndarray | None]:
    try:
        return [_expected(estimator, X, n, names) for n in names]
    except (ValueError, TypeError):
        if not isinstance(X, np.ndarray) or X.dtype != np.float32:
            raise
        # some estimators fitted on float64 refuse float32 rows (KMeans): the same rows in float64
        return [_expected(estimator, X.astype(np.float64), n, names) for n in names]


def _verify(estimator: Any, path: Path, X: Any, dtype: np.dtype) -> list[OutputCheck]:
    import onnxruntime

    from ..registry._dataframe import dataframe_feeds, is_dataframe

    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        if is_dataframe(X):
            feeds = dataframe_feeds(session, X)
        else:
            feeds = {session.get_inputs()[0].name: X}
        got = session.run(None, feeds)
    except Exception as exc:
        return [OutputCheck("(model)", False, f"onnxruntime could not run the written model: {type(exc).__name__}: {exc}")]
    names = [o.name for o in session.get_outputs()]
    try:
        expected = _sklearn_values(estimator, X, names)
    except Exception as exc:
        raise ConvertInputError(
            f"verification could not run: scikit-learn's {type(estimator).__name__} refused the rows "
            f"({type(exc).__name__}: {exc}); pass --sample with rows it accepts, or --no-verify."
        ) from None
    checks = []
    for name, g, e in zip(names, got, expected):
        if e is None:
            checks.append(OutputCheck(name, True, "not checked (no scikit-learn method gives it)"))
        else:
            checks.append(compare_output(name, g, e, dtype))
    return checks


# --- describing ---


def _type_text(value_info: Any) -> str:
    import onnx

    t = value_info.type
    if not t.HasField("tensor_type"):
        return t.WhichOneof("value")
    elem = t.tensor_type.elem_type
    kind = "string" if elem == onnx.TensorProto.STRING else np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem)).name
    if not t.tensor_type.HasField("shape"):
        return kind
    dims = [d.dim_param or (str(d.dim_value) if d.HasField("dim_value") else "?") for d in t.tensor_type.shape.dim]
    return f"{kind} [{', '.join(dims)}]"


def _size_text(written: list[Path]) -> str:
    """``1,234 bytes``, or with external data ``2,181,234 bytes: m.onnx 1,234 + m.onnx.data 2,180,000``."""
    sizes = [p.stat().st_size for p in written]
    if len(written) == 1:
        return f"{sizes[0]:,} bytes"
    parts = " + ".join(f"{p.name} {size:,}" for p, size in zip(written, sizes))
    return f"{sum(sizes):,} bytes: {parts}, the model over protobuf's 2 GB limit keeps its large tensors in {written[-1].name}"


def _describe(model: Any, written: list[Path], estimator: Any, how: str, source: Path) -> list[str]:
    from ..compiler._runtimes import describe_versions

    path = written[0]
    initializers = {i.name for i in model.graph.initializer}
    inputs = [f"{i.name}: {_type_text(i)}" for i in model.graph.input if i.name not in initializers]
    outputs = [f"{o.name}: {_type_text(o)}" for o in model.graph.output]
    lines = [
        f"wrote {path} ({_size_text(written)}): {type(estimator).__name__} loaded from {source} ({how})",
        *(f"  {line}" for line in describe_versions(model).splitlines()),
        f"  inputs: {'; '.join(inputs)}",
        f"  outputs: {'; '.join(outputs)}",
    ]
    return lines


# --- the command ---


def _rows_and_dtype(args: argparse.Namespace, estimator: Any) -> tuple[Any, np.dtype, str]:
    columns = _fitted_columns(estimator)
    fitted = getattr(estimator, "n_features_in_", None)
    if args.sample is not None:
        X, dtype = read_sample(args.sample, estimator, args.dtype)
        origin = f"the {len(X)} row(s) of {args.sample}"
    else:
        if columns is not None:
            raise ConvertInputError(
                f"{type(estimator).__name__} was fitted on a DataFrame with the columns {columns}: pass --sample "
                "a .csv file whose header row names them (a few rows of the training data) to get one input per column."
            )
        n = args.n_features
        if n is None:
            if not isinstance(fitted, (int, np.integer)):
                raise ConvertInputError(
                    f"{type(estimator).__name__} does not record its number of features: pass --n-features N "
                    "(the number of columns of X) or --sample FILE."
                )
            n = int(fitted)
        if n < 1:
            raise ConvertInputError(f"--n-features {n}: expected a positive number of columns.")
        dtype = np.dtype(args.dtype or np.float32)
        X = _random_rows(n, dtype)
        origin = f"{RANDOM_ROWS} random rows"
    width = len(X.columns) if hasattr(X, "columns") else (X.shape[1] if X.ndim == 2 else None)
    if columns is None and isinstance(fitted, (int, np.integer)) and width is not None and width != fitted:
        what = f"--n-features {width}" if args.sample is None else f"--sample {args.sample} has {width} columns"
        raise ConvertInputError(
            f"{what}, but {type(estimator).__name__} was fitted on {int(fitted)} features: "
            f"pass --n-features {int(fitted)} (or leave it out) or a sample of {int(fitted)} columns."
        )
    return X, dtype, origin


def run(args: argparse.Namespace, say: Callable[[str], None] = print) -> int:
    """Carry out ``onnxalgebra convert`` with parsed ``args``; print what was written; return the exit code.

    Bad input prints one message on stderr and returns 2; a model that does
    not agree with the estimator returns 1 after saying which output differed.

    >>> parser = argparse.ArgumentParser()
    >>> add_arguments(parser)
    >>> run(parser.parse_args(["missing.skops"]))
    2
    """
    try:
        return _run(args, say)
    except ConvertInputError as exc:
        print(f"onnxalgebra convert: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _run(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    from .. import to_onnx
    from .._errors import EstimatorNotFittedError, OnnxAlgebraError
    from ..compiler._large import save_model

    target_opset = _parse_target_opset(args.target_opset)
    output = args.output if args.output is not None else Path(args.model).with_suffix(".onnx")
    if output.suffix.lower() != ".onnx":
        raise ConvertInputError(f"-o {output}: expected a file name ending in .onnx.")
    if not output.parent.is_dir():
        raise ConvertInputError(f"-o {output}: the folder {output.parent} does not exist; create it first.")
    estimator, how = load_estimator(args.model, args.trust, args.trust_pickle)
    try:
        X, dtype, origin = _rows_and_dtype(args, estimator)
        sample = X.iloc[:5] if hasattr(X, "iloc") else X[:5]
        model = to_onnx(estimator, sample, target_opset=target_opset, dtype=dtype)
    except EstimatorNotFittedError as exc:
        raise ConvertInputError(f"{args.model}: the estimator is not fitted ({exc}); fit it before saving.") from None
    except OnnxAlgebraError as exc:  # UnsupportedEstimatorError, wrong columns, an opset too old...
        raise ConvertInputError(str(exc)) from None
    except (ValueError, AttributeError) as exc:
        if type(exc).__name__ != "NotFittedError":
            raise
        raise ConvertInputError(f"{args.model}: the estimator is not fitted ({exc}); fit it before saving.") from None
    written = save_model(model, output)  # with external data beside it when over protobuf's 2 GB
    for line in _describe(model, written, estimator, how, args.model):
        say(line)
    if args.no_verify:
        say("  verification: skipped (--no-verify)")
        return EXIT_OK
    checks = _verify(estimator, output, X, dtype)
    results = "; ".join(f"{c.name} {c.detail}" for c in checks)
    failed = [c for c in checks if not c.ok]
    if failed:
        say(f"  verification on {origin} ({dtype.name}): FAILED: {results}")
        differ = "; ".join(f"{c.name}: {c.detail}" for c in failed)
        print(
            f"onnxalgebra convert: verification failed: the written model differs from {type(estimator).__name__} "
            f"({differ}); {output} is kept for inspection.",
            file=sys.stderr,
        )
        return EXIT_VERIFICATION_FAILED
    say(f"  verification on {origin} ({dtype.name}): agrees with scikit-learn: {results}")
    return EXIT_OK
