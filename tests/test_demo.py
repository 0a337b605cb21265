"""`onnxalgebra demo` end to end, into a temporary folder."""

import re
import subprocess
import sys

import onnx
from onnxruntime import InferenceSession


def test_demo_runs_and_leaves_models_diagrams_and_a_speedup_table(tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run([sys.executable, "-m", "onnxalgebra", "demo", "--output", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    names = ["logisticregression", "randomforest", "pipeline", "logistic_function"]
    for name in names:
        model = onnx.load(str(out / f"{name}.onnx"))
        onnx.checker.check_model(model, full_check=True)
        InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        assert (out / f"{name}.svg").exists() or (out / f"{name}.html").exists()  # .html when dot is missing
    rows = re.findall(r"^\s+(\S.*?)\s+(1|1000)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x$", result.stdout, flags=re.M)
    assert len(rows) == 6, result.stdout  # 3 models x (1 row, 1,000 rows)
    for model, size, _sklearn_us, _ort_us, speedup in rows:
        assert float(speedup) > 1, f"{model} ({size} rows): onnxruntime not faster than scikit-learn"
    assert "labels identical: True" in result.stdout
