"""Attribute lists: the wire encoding numpy computes parses, with protobuf, to the values given."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import onnx
import onnx.reference
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import AttributeProto

import onnxalgebra
from onnxalgebra._attributes import AttributeList, attribute_proto
from onnxalgebra._wire import length_delimited, packed_strings, varints

_INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(_INT64, max_size=50))
def test_varints_parse_back_with_protobuf(values):
    proto = AttributeProto.FromString(length_delimited(8, varints(np.array(values, dtype=np.int64))))
    assert list(proto.ints) == values


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.int64, st.integers(0, 300), elements=st.integers(0, 2**20)))
def test_varints_of_small_non_negative_arrays(array):
    proto = AttributeProto.FromString(length_delimited(8, varints(array)))
    assert list(proto.ints) == array.tolist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=20), max_size=30))
def test_strings_parse_back_with_protobuf(values):
    expected = [v.encode("utf-8") for v in values]
    as_objects = AttributeProto.FromString(packed_strings(9, np.array(values, dtype=object)))
    assert list(as_objects.strings) == expected
    if all("\x00" not in v for v in values):  # numpy's fixed-width str cannot hold NUL
        as_text = AttributeProto.FromString(packed_strings(9, np.array(values, dtype=str)))
        assert list(as_text.strings) == expected


@pytest.mark.parametrize(
    "values",
    [["LEAF", "BRANCH_LEQ"] * 100, [b"a", b"", b"xyz"], ["caf\u00e9", "LEAF"], ["a" * 200, "b"], ["a\x00b", "c"], [""]],
)
def test_string_arrays_of_every_kind(values):
    array = np.array(values)
    expected = [v if isinstance(v, bytes) else v.encode("utf-8") for v in array.tolist()]
    assert list(AttributeProto.FromString(packed_strings(9, array)).strings) == expected


@pytest.mark.parametrize(
    ("values", "kind", "field"),
    [
        (np.arange(-3, 50_000), "ints", "ints"),
        ([1, 2, 3], "ints", "ints"),
        (np.linspace(-1, 1, 1_000), "floats", "floats"),
        ([0.1, 2], "floats", "floats"),
        (np.where(np.arange(1_000) % 3 == 0, "LEAF", "BRANCH_LEQ"), "strings", "strings"),
        ([], "ints", "ints"),
    ],
)
def test_attribute_proto_holds_the_values(values, kind, field):
    value = AttributeList(values, kind)
    proto = attribute_proto("name", value, None)
    attr_type = getattr(AttributeProto, kind.upper())
    reference = onnx.helper.make_attribute("name", list(np.asarray(values).tolist()), attr_type=attr_type)
    assert proto.name == "name" and proto.type == reference.type
    assert list(getattr(proto, field)) == list(getattr(reference, field))  # floats: both rounded to float32


def test_attribute_list_reads_like_a_tuple_and_is_frozen():
    source = np.array([3, 1, 2])
    value = AttributeList(source, "ints")
    source[0] = 99  # the caller's array is copied
    assert value == (3, 1, 2) and value == [3, 1, 2] and value != (3, 1)
    assert value[1] == 1 and value[1:] == (1, 2) and list(value) == [3, 1, 2] and len(value) == 3
    assert value == AttributeList([3, 1, 2], "ints") and hash(value) == hash(AttributeList((3, 1, 2), "ints"))
    assert repr(value) == "(3, 1, 2)" and repr(AttributeList(range(20), "ints")).endswith("... 20 values)")
    with pytest.raises(ValueError):
        value.array[0] = 0


def test_equal_lists_given_as_arrays_or_lists_make_one_node():
    x = onnxalgebra.Var("X", np.float32, (None, 3))
    a = onnxalgebra.OnnxTranspose(x, perm=np.array([1, 0]))
    b = onnxalgebra.OnnxTranspose(x, perm=[1, 0])
    model = onnxalgebra.to_onnx([a, b])
    assert [n.op_type for n in model.graph.node].count("Transpose") == 1


def test_long_lists_in_a_model_match_numpy():
    x = onnxalgebra.Var("X", np.float32, (None, 2))
    n = 30_000
    ids = np.arange(n) // 3
    node = onnxalgebra.OnnxTreeEnsembleRegressor_3(
        x,
        n_targets=1,
        nodes_treeids=np.arange(n),
        nodes_nodeids=np.zeros(n, dtype=np.int64),
        nodes_featureids=np.zeros(n, dtype=np.int64),
        nodes_modes=np.full(n, "LEAF"),
        nodes_values=np.zeros(n, dtype=np.float32),
        nodes_truenodeids=np.zeros(n, dtype=np.int64),
        nodes_falsenodeids=np.zeros(n, dtype=np.int64),
        target_treeids=np.arange(n),
        target_nodeids=np.zeros(n, dtype=np.int64),
        target_ids=np.zeros(n, dtype=np.int64),
        target_weights=(ids % 7).astype(np.float32),
    )
    model = onnxalgebra.to_onnx(node)
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in model.graph.node[0].attribute}
    assert attrs["nodes_treeids"] == list(range(n)) and attrs["nodes_modes"] == [b"LEAF"] * n
    np.testing.assert_array_equal(attrs["target_weights"], ids % 7)
    onnx.checker.check_model(model, full_check=True)
    got = onnxalgebra.to_onnx(node).SerializeToString()
    assert got == model.SerializeToString()  # compiling twice: the same bytes
    X = np.ones((2, 2), dtype=np.float32)
    expected = onnx.reference.ReferenceEvaluator(model).run(None, {"X": X})[0]
    assert float(expected[0, 0]) == pytest.approx(float((ids % 7).sum()))


def test_tree_ensemble_lists_of_different_lengths_are_refused_when_built():
    x = onnxalgebra.Var("X", np.float32, (None, 2))
    lengths = r"nodes_\* attributes .* nodes_modes: 1, nodes_nodeids: 1, nodes_treeids: 2"
    with pytest.raises(onnxalgebra.OnnxTypeError, match=lengths):
        onnxalgebra.OnnxTreeEnsembleRegressor_3(
            x, n_targets=1, nodes_treeids=[0, 0], nodes_nodeids=[0], nodes_modes=["LEAF"],
            target_treeids=[0], target_nodeids=[0], target_ids=[0], target_weights=[1.0],
        )
    with pytest.raises(onnxalgebra.OnnxTypeError, match=r"class_\* attributes .* class_ids: 2, class_nodeids: 1"):
        onnxalgebra.OnnxTreeEnsembleClassifier_3(
            x, classlabels_int64s=[0, 1], nodes_treeids=[0], nodes_nodeids=[0], nodes_modes=["LEAF"],
            class_treeids=[0], class_nodeids=[0], class_ids=[0, 1], class_weights=[1.0],
        )


def test_an_int_beyond_int64_is_refused_with_the_operator_named():
    with pytest.raises(onnxalgebra.OperatorError, match=r"OnnxTranspose: attribute 'perm' .* does not fit INTS"):
        onnxalgebra.OnnxTranspose("X", perm=[0, 2**70])


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.tuples(st.just("FLOAT"), st.floats(width=32) | st.floats(allow_nan=True)),
        st.tuples(st.just("INT"), _INT64),
        st.tuples(st.just("STRING"), st.text(max_size=200) | st.binary(max_size=200)),
    ),
    st.text(min_size=1, max_size=10),
)
def test_scalar_attributes_encode_as_protobuf_does(kind_value, name):
    """FLOAT, INT and STRING attributes are encoded without protobuf: byte for byte what make_attribute serialises
    (floats beyond float32 included, which protobuf stores as inf)."""
    from onnxalgebra._attributes import attribute_bytes

    kind, value = kind_value
    attr_type = AttributeProto.AttributeType.Value(kind)
    expected = onnx.helper.make_attribute(name, value, attr_type=attr_type).SerializeToString()
    assert attribute_bytes(name, value, onnx.defs.OpSchema.AttrType.__members__[kind]) == expected
