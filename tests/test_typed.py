"""Typed signatures of the operator classes (issue 15, part 4), against onnx's schemas, and the stubs with mypy."""

from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import defs, helper

import onnxalgebra
from onnxalgebra import OnnxAlgebraError, OnnxGemm, Var
from onnxalgebra._operators import operator_class, operator_class_names
from onnxalgebra._typed import render_stub

ROOT = Path(__file__).resolve().parents[1]
STUB = ROOT / "onnxalgebra" / "__init__.pyi"
P = inspect.Parameter


def test_gemm_signature():
    sig = inspect.signature(OnnxGemm)
    params = list(sig.parameters.values())
    assert [p.name for p in params[:3]] == ["A", "B", "C"]
    assert all(p.kind is P.POSITIONAL_ONLY for p in params[:3])
    assert params[0].default is P.empty and params[2].default is None  # C is optional
    keywords = {p.name: p for p in params[3:]}
    assert all(p.kind is P.KEYWORD_ONLY for p in keywords.values())
    assert keywords["alpha"].default == 1.0 and keywords["transB"].default == 0
    assert keywords["alpha"].annotation == "float" and keywords["transA"].annotation == "int"
    assert set(keywords) == {"alpha", "beta", "transA", "transB", "op_version", "output_names", "n_outputs"}
    assert "ONNX operator Gemm" in OnnxGemm.__doc__


def test_variadic_and_required_attribute():
    sig = inspect.signature(onnxalgebra.OnnxConcat)
    first, axis = list(sig.parameters.values())[:2]
    assert first.kind is P.VAR_POSITIONAL and first.name == "inputs"
    assert axis.name == "axis" and axis.kind is P.KEYWORD_ONLY and axis.default is P.empty  # required


@pytest.mark.parametrize("name", operator_class_names())
def test_every_signature_follows_its_schema(name):
    cls = operator_class(name)
    schema = defs.get_schema(cls.op_type, cls.pinned_version or defs.C.schema_version_map()[cls.domain][1], cls.domain)
    params = list(inspect.signature(cls).parameters.values())
    inputs = [p for p in params if p.kind in (P.POSITIONAL_ONLY, P.VAR_POSITIONAL)]
    formal = list(schema.inputs)
    variadic = bool(formal) and formal[-1].option == defs.OpSchema.FormalParameterOption.Variadic
    assert len(inputs) == len(formal)
    assert (inputs[-1].kind is P.VAR_POSITIONAL) == variadic if inputs else not variadic
    attributes = {p.name: p for p in params if p.kind is P.KEYWORD_ONLY}
    assert set(attributes) - {"op_version", "output_names", "n_outputs"} == set(schema.attributes)
    for aname, attr in schema.attributes.items():
        default = attributes[aname].default
        if attr.required:
            assert default is P.empty, aname
        elif attr.default_value.name and attr.default_value.type in (1, 2, 3):  # FLOAT, INT, STRING defaults
            expected = helper.get_attribute_value(attr.default_value)
            expected = expected.decode() if isinstance(expected, bytes) else expected
            assert default == pytest.approx(expected) if isinstance(expected, float) else default == expected, aname
    required = {n: None for n, a in schema.attributes.items() if a.required}
    inspect.signature(cls).bind(*[Var("X", np.float32, [2])] * len([p for p in inputs if p.default is P.empty]), **required)


def test_signature_agrees_with_the_constructor():
    # what the signature allows builds; a misspelled attribute is refused at run time too
    X = Var("X", np.float32, [None, 4])
    W = np.ones((4, 2), np.float32)
    assert OnnxGemm(X, W, transB=0).dtype == np.float32
    with pytest.raises(OnnxAlgebraError, match="Did you mean 'transB'"):
        OnnxGemm(X, W, transb=1)


def test_stub_is_up_to_date():
    text = STUB.read_text(encoding="utf-8")
    made_for = text.split("for onnx ", 1)[1].split(":", 1)[0]
    if made_for != onnx.__version__:
        pytest.skip(f"the stubs are for onnx {made_for}, this is onnx {onnx.__version__} (make stubs regenerates them)")
    assert text == render_stub(), "onnxalgebra/__init__.pyi is stale: run make stubs"


def test_stub_reexports_the_public_api():
    text = STUB.read_text(encoding="utf-8")
    for name in onnxalgebra.__all__:
        assert f"import {name} as {name}" in text or f"def {name}(" in text, name


@pytest.mark.skipif(shutil.which("mypy") is None and subprocess.run([sys.executable, "-m", "mypy", "--version"],
                    capture_output=True).returncode != 0, reason="mypy is not installed (the test extra has it)")  # fmt: skip
def test_mypy_flags_a_misspelled_attribute(tmp_path):
    snippet = ROOT / f"_typed_snippet_{tmp_path.name}.py"  # beside the package, so that mypy finds it from the source
    snippet.write_text(textwrap.dedent("""
        import numpy as np

        from onnxalgebra import OnnxGemm, Var

        X = Var("X", np.float32, [None, 4])
        W = np.ones((4, 2), np.float32)
        good = OnnxGemm(X, W, transB=0, alpha=2.0)
        bad = OnnxGemm(X, W, transb=1)
    """))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--follow-imports=silent", "--no-error-summary", "--cache-dir",
             str(tmp_path / "cache"), snippet.name],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        snippet.unlink()
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, result.stdout + result.stderr
    assert ":9: error: Unexpected keyword argument \"transb\"" in errors[0], errors
