"""``onnxalgebra demo``: the talk, end to end, in under a minute.

Fits a logistic regression, a random forest and a pipeline on iris, converts
them, checks them against scikit-learn, builds the talk's logistic function
with the algebra, saves every model and its diagram, and prints the talk's
benchmark: one-off and batch latency in scikit-learn against onnxruntime.
"""

from __future__ import annotations

import shutil
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["run_demo", "Row", "demo_models", "demo_logistic_beta"]


@dataclass
class Row:
    """One line of the benchmark table."""

    model: str
    rows: int
    sklearn_us: float
    onnxruntime_us: float

    @property
    def speedup(self) -> float:
        """scikit-learn's time divided by onnxruntime's."""
        return self.sklearn_us / self.onnxruntime_us


def _latency_us(fn: Callable[[], Any], budget: float = 0.4) -> float:
    """Best time of one call in microseconds, within about ``budget`` seconds."""
    fn()
    once = max(timeit.timeit(fn, number=1), 1e-7)
    number = max(1, int(budget / 5 / once))
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def _save_diagram(model: Any, path: Path, say: Callable[[str], None]) -> Path:
    from ..display._render import RenderError, show

    diagram = show(model)
    if shutil.which("dot") is None:  # the browser draws it: an interactive page, Graphviz in WebAssembly
        page = diagram.save_html(path.with_suffix(".html"))
        say(f"      Graphviz's dot is missing: wrote {page.name}, open it in a browser (install graphviz for SVG)")
        return page
    try:
        return diagram.render(path.with_suffix(".svg"))
    except RenderError as exc:  # pragma: no cover - dot present but failing
        say(f"      could not render the diagram: {exc}")
        return diagram.save_html(path.with_suffix(".html"))


def _logistic_function(X32: np.ndarray, beta32: np.ndarray) -> Any:
    """The talk's cell, as written."""
    from .. import OnnxAdd, OnnxDiv, OnnxExp, OnnxMatMul

    onnxExpM = OnnxExp(OnnxMatMul("X", beta32))
    cst = np.ones((1, 3), dtype=np.float32)
    onnxExpM1 = OnnxAdd(onnxExpM, cst)  # use of broadcasting
    onnxPred = OnnxDiv(onnxExpM, onnxExpM1)
    return onnxPred


def demo_models() -> tuple[dict[str, Any], np.ndarray]:
    """The demo's fitted models (on iris, deterministic) and its float32 test rows."""
    from .._optional import MissingDependencyError, require

    try:
        require("sklearn", "the demo")
    except MissingDependencyError as exc:
        raise SystemExit(str(exc)) from None
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    models = {
        "LogisticRegression": LogisticRegression(max_iter=1000).fit(X_train, y_train),
        "RandomForest": RandomForestClassifier(n_estimators=10, random_state=0).fit(X_train, y_train),
        "Pipeline(StandardScaler, LogisticRegression)": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=1000)
        ).fit(X_train, y_train),
    }
    return models, X_test.astype(np.float32)


def demo_logistic_beta() -> np.ndarray:
    """The demo's beta for the talk's logistic function."""
    return np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)


def run_demo(output: Path, say: Callable[[str], None] = print) -> list[Row]:
    """Run the demo into ``output``; returns the benchmark table."""
    from .. import to_onnx
    from ..compiler._large import inference_session, save_model

    output.mkdir(parents=True, exist_ok=True)
    say(f"[1/5] fitting on iris; models and diagrams go to {output.resolve()}")
    models, X32 = demo_models()
    sessions = {}
    say("[2/5] converting to ONNX and checking against scikit-learn")
    for name, est in models.items():
        start = time.perf_counter()
        model = to_onnx(est, X32)
        took = (time.perf_counter() - start) * 1e3
        stem = name.split("(")[0].lower()
        save_model(model, output / f"{stem}.onnx")  # external data beside it when over 2 GB
        diagram = _save_diagram(model, output / stem, say)
        sess = inference_session(model)
        label, proba = sess.run(None, {"X": X32})
        same = bool(np.array_equal(label, est.predict(X32)))
        error = float(np.abs(proba - est.predict_proba(X32)).max())
        say(f"      {name}: converted in {took:.1f} ms, labels identical: {same}, "
            f"max |proba diff| {error:.1e}, {stem}.onnx + {diagram.name}")
        if not same or error > 1e-4:
            raise SystemExit(f"{name}: the ONNX model disagrees with scikit-learn")
        sessions[name] = (est, sess)
    say("[3/5] the talk's function f(X) = exp(X beta) / (exp(X beta) + 1), written with the algebra")
    beta32 = demo_logistic_beta()
    expr = _logistic_function(X32, beta32)
    model = expr.to_onnx({"X": X32})
    save_model(model, output / "logistic_function.onnx")
    diagram = _save_diagram(model, output / "logistic_function", say)
    e = np.exp(X32 @ beta32)
    error = float(np.abs(expr.eval({"X": X32}) - e / (e + 1)).max())
    say(f"      {len(model.graph.node)} nodes, max |diff| vs numpy {error:.1e}, logistic_function.onnx + {diagram.name}")
    say("[4/5] timing one-off (1 row) and batch (1,000 rows) predictions")
    batch = np.tile(X32, (1000 // len(X32) + 1, 1))[:1000]
    table = []
    for name, (est, sess) in sessions.items():
        for rows in (1, 1000):
            data = batch[:rows]
            table.append(Row(name, rows, _latency_us(lambda d=data, e=est: e.predict_proba(d)),
                             _latency_us(lambda d=data, s=sess: s.run(None, {"X": d}))))
            say(f"      {name}, {rows} row(s): done")
    say("[5/5] scikit-learn against onnxruntime (the talk: LR 59.7 us vs 17.5 us, RF 770 us vs 18.4 us)")
    width = max(len(r.model) for r in table)
    say(f"      {'model':<{width}} {'rows':>5} {'scikit-learn us':>16} {'onnxruntime us':>15} {'speed-up':>9}")
    for r in table:
        say(f"      {r.model:<{width}} {r.rows:>5} {r.sklearn_us:>16.1f} {r.onnxruntime_us:>15.1f} {r.speedup:>8.1f}x")
    return table
