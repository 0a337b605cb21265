"""Export what ``check_models.py`` runs in the oldest onnxruntime ``pyproject.toml`` allows (``make test-oldest``).

Run in the project's environment: ``python tests/oldest_runtime/export_models.py DIR``. For every converter
(``tests/fitted_estimators.py``, float32 and float64) and the demo's models, it saves the model built with
default options, the rows to predict and scikit-learn's predictions (the oracle), and in ``manifest.json``
the tolerance and the oldest onnxruntime release that loads the model by the table of
``onnxalgebra.compiler._runtimes``.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: fitted_estimators

from converter_checks import estimator_coverage, sklearn_outputs
from fitted_estimators import fitted_estimators

from onnxalgebra import to_onnx
from onnxalgebra.cli._demo import _logistic_function, demo_logistic_beta, demo_models
from onnxalgebra.compiler._runtimes import oldest_onnxruntime

TOLERANCE = {"float32": 1e-5, "float64": 1e-10}


def _expected(est, X, names):
    """scikit-learn's outputs as dense numpy arrays (the oldest environment has no scipy to unpickle sparse ones)."""
    return [np.asarray(e.toarray() if hasattr(e, "toarray") else e) for e in sklearn_outputs(est, X, names)]


def _save(folder: Path, name: str, model, X, expected, tolerance: float, manifest: dict) -> None:
    (folder / f"{name}.onnx").write_bytes(model.SerializeToString())
    np.savez(folder / f"{name}.npz", X=X, **{f"expected_{i}": e for i, e in enumerate(expected)})
    manifest[name] = {
        "tolerance": tolerance,
        "outputs": [o.name for o in model.graph.output],
        "oldest_onnxruntime": oldest_onnxruntime(model),
        "ir_version": model.ir_version,
        "opsets": {o.domain or "ai.onnx": o.version for o in model.opset_import},
    }


def main(folder: Path) -> int:
    warnings.filterwarnings("ignore")
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict] = {}
    for name, (est, X_test) in sorted(fitted_estimators().items()):
        for dtype in (np.float32, np.float64):
            X = X_test.astype(dtype)
            model = to_onnx(est, X[:1])
            names = [o.name for o in model.graph.output]
            tolerance = TOLERANCE[np.dtype(dtype).name]
            if name.endswith("isotonic") and dtype == np.float32:
                tolerance = 1e-3  # as the calibration tests: isotonic steps in float32
            if name in estimator_coverage.LOOSER and dtype == np.float32:
                tolerance = estimator_coverage.LOOSER[name][0]
            _save(folder, f"{name}-{np.dtype(dtype).name}", model, X, _expected(est, X, names), tolerance, manifest)
    models, X32 = demo_models()
    for name, est in models.items():
        model = to_onnx(est, X32)
        _save(folder, f"demo-{name.split('(')[0]}", model, X32, _expected(est, X32, ["label", "probabilities"]), 1e-4, manifest)
    beta = demo_logistic_beta()
    e = np.exp(X32.astype(np.float64) @ beta.astype(np.float64))
    model = _logistic_function(X32, beta).to_onnx({"X": X32})
    _save(folder, "demo-logistic_function", model, X32, [e / (e + 1)], 1e-5, manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    print(f"exported {len(manifest)} models to {folder}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: export_models.py DIR")
    raise SystemExit(main(Path(sys.argv[1])))
