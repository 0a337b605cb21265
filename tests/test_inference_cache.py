"""The inference cache is bounded: least recently used results go first, and big nodes' attributes are not kept.

The oracle for the types is numpy (the models' outputs evaluated by onnxruntime); the cache's behaviour is seen
through the number of times ONNX's inference runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from onnxalgebra import OnnxLabelEncoder, OnnxLeakyRelu, Var, _inference

X = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)


@pytest.fixture
def runs(monkeypatch):
    """Count the runs of ONNX's inference; start from an empty cache, and leave one behind."""
    counted = []
    infer = _inference._infer_node

    def counting(*args, **kwargs):
        counted.append(args[0].name)
        return infer(*args, **kwargs)

    monkeypatch.setattr(_inference, "_infer_node", counting)
    _inference.clear_cache()
    yield counted
    _inference.clear_cache()


def _leaky(alpha: float):
    return OnnxLeakyRelu(Var("X", np.float32, [None, 4]), alpha=alpha)


def test_entries_are_bounded_least_recently_used_first(monkeypatch, runs):
    monkeypatch.setattr(_inference, "CACHE_ENTRIES", 3)
    for alpha in (0.1, 0.2, 0.3):
        _leaky(alpha)
    assert len(runs) == 3 and len(_inference._CACHE) == 3
    _leaky(0.1)  # a hit: 0.1 becomes the most recently used
    assert len(runs) == 3
    _leaky(0.4)  # evicts 0.2, the least recently used
    assert len(runs) == 4 and len(_inference._CACHE) == 3
    _leaky(0.1)
    _leaky(0.3)
    assert len(runs) == 4
    node = _leaky(0.2)  # evicted: inferred again, with the same result
    assert len(runs) == 5 and len(_inference._CACHE) == 3
    np.testing.assert_allclose(node.eval({"X": X}), np.where(X > 0, X, np.float32(0.2) * X), rtol=1e-6)


def test_nodes_with_large_attributes_are_not_kept(monkeypatch, runs):
    monkeypatch.setattr(_inference, "CACHE_KEY_BYTES", 1000)
    keys = np.arange(300, dtype=np.float32)  # 1,200 bytes of floats: over the lowered limit

    def encoder(keys):
        codes = np.arange(len(keys))
        return OnnxLabelEncoder(Var("X", np.float32, [None]), keys_floats=keys, values_int64s=codes, default_int64=-1)

    big = encoder(keys)
    assert len(_inference._CACHE) == 0 and runs == ["LabelEncoder"]
    small = encoder(keys[:10])  # 40 bytes: kept
    assert len(_inference._CACHE) == 1
    x = np.array([3.0, 299.0, 0.5, 9.0], np.float32)
    np.testing.assert_array_equal(big.eval({"X": x}), [3, 299, -1, 9])
    np.testing.assert_array_equal(small.eval({"X": x}), [3, -1, -1, 9])
