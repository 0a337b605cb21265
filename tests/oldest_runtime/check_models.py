"""Run the exported models in this environment's onnxruntime (the oldest ``pyproject.toml`` allows).

``python check_models.py DIR`` (``make test-oldest``), with only numpy and onnxruntime installed. Each model
the table of onnxalgebra.compiler._runtimes says this release loads must load and predict what scikit-learn
predicted (labels equal, values within the tolerance relative to their scale); each model it says needs a
newer release must fail to load here (the table must not be too pessimistic either). Exits 1 on any
disagreement, printing one line per model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime


def _release(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _agrees(got: list[np.ndarray], expected: list[np.ndarray], names: list[str], tolerance: float) -> str | None:
    for name, g, e in zip(names, got, expected):
        if name == "variable" and e.ndim == 1 and g.ndim == 2:
            g = g.ravel()
        if g.shape != e.shape:
            return f"{name}: shape {g.shape}, expected {e.shape}"
        if e.dtype.kind in "iuUSOb" or name == "label":
            if not np.array_equal(g.astype(e.dtype) if e.dtype.kind != "O" else g, e):
                return f"{name}: {int((g != e).sum())} labels differ"
            continue
        scale = max(float(np.abs(e).max()), np.finfo(np.float32).tiny)
        error = float(np.abs(g.astype(np.float64) - e).max()) / scale
        if error > tolerance:
            return f"{name}: relative difference {error:.2e} > {tolerance:.0e}"
    return None


def main(folder: Path) -> int:
    here = _release(onnxruntime.__version__)
    manifest = json.loads((folder / "manifest.json").read_text())
    failures = 0
    for name, case in sorted(manifest.items()):
        oldest = case["oldest_onnxruntime"]
        should_load = oldest is not None and _release(oldest) <= here
        data = np.load(folder / f"{name}.npz", allow_pickle=True)
        expected = [data[f"expected_{i}"] for i in range(len(case["outputs"]))]
        try:
            session = onnxruntime.InferenceSession(str(folder / f"{name}.onnx"), providers=["CPUExecutionProvider"])
        except Exception as exc:  # an onnxruntime error: this release does not load the model
            if should_load:
                failures += 1
                print(f"FAIL {name}: does not load ({' '.join(str(exc).split())[:160]})")
            else:
                print(
                    f"ok   {name}: needs onnxruntime {oldest} (IR {case['ir_version']}, {case['opsets']}): refused, as expected"
                )
            continue
        if not should_load:
            failures += 1
            print(f"FAIL {name}: loads although the table says it needs onnxruntime {oldest}")
            continue
        problem = _agrees(session.run(None, {"X": data["X"]}), expected, case["outputs"], case["tolerance"])
        if problem:
            failures += 1
            print(f"FAIL {name}: {problem}")
        else:
            print(f"ok   {name}: loads and agrees with scikit-learn (IR {case['ir_version']}, {case['opsets']})")
    print(f"onnxruntime {onnxruntime.__version__}: {len(manifest) - failures} of {len(manifest)} as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: check_models.py DIR")
    raise SystemExit(main(Path(sys.argv[1])))
