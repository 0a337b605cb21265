"""The table of onnxruntime releases (onnxalgebra/compiler/_runtimes.py) and ``onnxalgebra show --info``.

The table's rows must be ONNX releases' own (IR version, opset, ML opset)
triples (onnx.helper.VERSION_TABLE, the independent record); the installed
onnxruntime must implement at least the newest row; the oldest release a
model needs follows from its IR version and opsets.
"""

import itertools
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import helper

from onnxalgebra import Var, operator_class, to_onnx
from onnxalgebra.compiler._opset import onnxruntime_kernels
from onnxalgebra.compiler._runtimes import LATE_KERNELS, RELEASES, describe_versions, oldest_onnxruntime


def test_every_row_is_an_onnx_release():
    releases = {(ir, opset, ml) for _, ir, opset, ml, *_ in helper.VERSION_TABLE}
    for row in RELEASES:
        assert (row.ir_version, row.opset, row.ml_opset) in releases, row


def test_rows_grow_and_the_installed_onnxruntime_is_newer():
    for older, newer in itertools.pairwise(RELEASES):
        assert (older.ir_version, older.opset, older.ml_opset) <= (newer.ir_version, newer.opset, newer.ml_opset)
    newest = max(lo for (domain, _), ranges in onnxruntime_kernels().items() if domain == "" for lo, _ in ranges)
    assert newest >= RELEASES[-1].opset


def test_late_kernels_and_the_double_gemm_fusion_raise_the_oldest_release():
    """Probed: double Cos from 1.29, TreeEnsemble (ai.onnx.ml 5) from 1.21, double Gemm + activation from 1.18."""
    from sklearn.tree import DecisionTreeRegressor

    for dtype, expected in ((np.float32, "1.10"), (np.float64, "1.29")):
        assert oldest_onnxruntime(np.cos(Var("X", dtype, [None, 3])).to_onnx()) == expected
    x64 = Var("X", np.float64, [None, 3])
    hidden = x64 @ np.ones((3, 2)) + np.ones(2)  # one Gemm
    assert oldest_onnxruntime(to_onnx(np.maximum(hidden, 0.0) * 2, {"X": np.zeros((1, 3))})) in ("1.10", "1.12")
    relu = to_onnx(operator_class("Relu")(operator_class("Gemm")(x64, np.ones((3, 2)), np.ones(2))), {"X": np.zeros((1, 3))})
    assert oldest_onnxruntime(relu) == "1.18"
    X = np.arange(12.0).reshape(4, 3)
    tree = DecisionTreeRegressor().fit(X, X[:, 0])
    assert oldest_onnxruntime(to_onnx(tree, X[:1])) == "1.21"
    assert oldest_onnxruntime(to_onnx(tree, X[:1].astype(np.float32))) == "1.12"  # TreeEnsembleRegressor, ai.onnx.ml 3
    installed = tuple(int(p) for p in onnxruntime.__version__.split(".")[:2])
    assert all(installed >= tuple(int(p) for p in k.release.split(".")) for k in LATE_KERNELS)


def test_oldest_release_of_models():
    x = Var("X", np.float32, [None, 3])
    assert oldest_onnxruntime((x + 1).to_onnx()) == "1.10"  # opset 13, IR 7
    assert oldest_onnxruntime(x.max(axis=1).to_onnx()) == "1.14"  # ReduceMax with axes as an input: opset 18
    model = to_onnx(x + 1, target_opset="latest")
    model.ir_version = 99
    assert oldest_onnxruntime(model) is None
    assert "newer than onnxruntime" in describe_versions(model)


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(Var("X", np.float32, [None, 3]).max(axis=1).to_onnx(), path)
    return path


def test_cli_show_info(saved):
    result = subprocess.run([sys.executable, "-m", "onnxalgebra", "show", str(saved), "--info"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("producer: onnxalgebra ")
    assert lines[1:] == ["IR version: 8", "opsets: ai.onnx 18", "loads in: onnxruntime 1.14 or newer"]
