"""CatBoost models through CatBoost's own ONNX export, inlined with :func:`onnxalgebra.inline`.

CatBoost writes its (symmetric) trees as one ``ai.onnx.ml`` tree-ensemble node
(``model.save_model(path, format="onnx")``) followed, for classifiers, by a
``ZipMap``: the converter exports the fitted model to a temporary file and
inlines that node on ``X`` cast to float32 (CatBoost reads features as float32,
so the graph takes CatBoost's paths exactly, NaN included: ``nan_mode`` Min
and Max are written into the nodes), taking the probability tensor before the
``ZipMap``. A ``Logloss``, ``CrossEntropy`` or ``MultiClass`` classifier with
no scale or bias and the default probability threshold keeps CatBoost's own
sigmoid or softmax (the label is the class of the largest probability: one
node and an ArgMax). Otherwise the node's ``post_transform`` is set to
``NONE`` and what CatBoost applies after the trees is done with the algebra,
in the input's float type:

- the model's scale and bias (``get_scale_and_bias``: CatBoost's export refuses
  a scale other than 1 and mis-applies a classifier's bias, which
  ``boost_from_average`` sets, in onnxruntime's binary case: the model is
  exported with scale 1 and bias 0 and both are applied here);
- classifiers: ``Logloss``/``CrossEntropy``: ``p = sigmoid(raw)``,
  probabilities ``[1 - p, p]``, label ``classes_[p > probability threshold]``;
  ``MultiClass``: softmax; ``MultiClassOneVsAll``: a sigmoid per class (the
  export writes a softmax); label of the largest;
- regressors: ``Poisson`` and ``Tweedie``: ``exp(raw)`` (``predict``'s
  ``Exponent``), the other losses ``raw``; rankers: ``raw``. [N, 1].

Labels come from ``classes_`` (int64, strings, float64 or bool, as
``predict``): CatBoost's export refuses float and bool labels, so such a model
is exported with its class indices as labels (on a copy).

Early stopping needs nothing: with ``use_best_model`` CatBoost shrinks the
model to its best iteration, and the export holds the trees ``predict`` uses.
What the export cannot write raises :class:`onnxalgebra.ConversionError`:
categorical, text and embedding features, non-symmetric trees
(``grow_policy`` Depthwise or Lossguide), several outputs (``MultiRMSE``,
``RMSEWithUncertainty``...).

A float64 graph computes the trees in float32 (as CatBoost's export writes its
leaf values) and casts their result: within 2e-6 relative of CatBoost's
``predict_proba`` (which sums float64 leaves).
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import numpy as np
import onnx

from onnxalgebra import Columns, ConversionError, Expr, OnnxExp, OnnxSoftmax, inline, takes_columns

from ..scikit_learn._common import argmax_label, binary_columns, expit, label_of

_TREES = ("TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble")
_BINARY = ("Logloss", "CrossEntropy")
_MULTICLASS = ("MultiClass", "MultiClassOneVsAll")
_EXPONENT = ("Poisson", "Tweedie")  # CatBoostRegressor.predict's default prediction type 'Exponent'
_FIX = {
    "categorical": "encode them in the pipeline before the model (OrdinalEncoder, TargetEncoder or OneHotEncoder "
    "in a ColumnTransformer) and fit CatBoost on numbers",
    "text": "vectorise them in the pipeline before the model (TfidfVectorizer...) and fit CatBoost on numbers",
    "embedding": "pass the embedding's components as numeric columns",
}


def loss_name(est: Any) -> str:
    """The loss CatBoost trained with, without its parameters: ``'Tweedie:variance_power=1.5'`` -> ``'Tweedie'``.

    >>> class Fitted:
    ...     def get_all_params(self):
    ...         return {"loss_function": "Tweedie:variance_power=1.5"}
    >>> loss_name(Fitted())
    'Tweedie'
    """
    return str(est.get_all_params().get("loss_function", "")).split(":", 1)[0]


def _check_features(est: Any) -> None:
    for kind, getter in (("categorical", "get_cat_feature_indices"), ("text", "get_text_feature_indices"),
                         ("embedding", "get_embedding_feature_indices")):  # fmt: skip
        indices = list(getattr(est, getter)()) if hasattr(est, getter) else []
        if indices:
            raise ConversionError(
                f"{type(est).__name__}: {kind} features {indices}: CatBoost's ONNX export does not support {kind} "
                f"features (it only writes numeric splits); {_FIX[kind]}."
            )


def _matrix(est: Any, X: Expr | Columns) -> Expr:
    """X as one matrix: a DataFrame's columns (the converters take them, :func:`onnxalgebra.takes_columns`, to say
    what CatBoost's export refuses before the columns' types are checked) side by side, in the order of CatBoost's
    ``feature_names_`` when the model was fitted on a DataFrame."""
    _check_features(est)
    if not isinstance(X, Columns):
        return X
    names = [str(n) for n in (getattr(est, "feature_names_", None) or [])]
    if names and set(names) <= set(X.names):  # fitted on a DataFrame: its columns by name, in the fitted order
        return X.matrix(est, names=names)
    return X.matrix(est)


def _exportable(est: Any) -> tuple[Any, float, np.ndarray]:
    """The model to export (``est`` or a copy with scale 1, bias 0 and, for float or bool labels, class indices as
    labels), the scale and the bias ([1] or [K]) to apply to the trees' sum."""
    scale, bias = est.get_scale_and_bias()
    bias = np.atleast_1d(np.asarray(bias, dtype=np.float64))
    model = est
    if scale != 1 or np.any(bias != 0):
        model = model.copy()
        model.set_scale_and_bias(1.0, 0.0 if bias.size == 1 else [0.0] * bias.size)
    metadata = model.get_metadata()
    params = json.loads(metadata["class_params"]) if "class_params" in metadata else {}
    if params.get("class_label_type") in ("Float", "Boolean"):  # labels the export refuses: class indices instead
        model = model.copy() if model is est else model
        params.update(class_names=list(range(len(params.get("class_names", [])))), class_label_type="Integer")
        model.get_metadata()["class_params"] = json.dumps(params)
    return model, float(scale), bias


def _export(est: Any, model: Any) -> onnx.ModelProto:
    with tempfile.TemporaryDirectory(prefix="onnxalgebra-catboost-") as folder:
        path = os.path.join(folder, "model.onnx")
        try:
            model.save_model(path, format="onnx")
        except Exception as exc:  # CatBoostError: what the export cannot write
            message = " ".join(str(exc).split())
            hint = ""
            if "non symmetric" in message:
                hint = "; fit with grow_policy='SymmetricTree' (the default) to convert it"
            raise ConversionError(f"{type(est).__name__}: CatBoost's ONNX export fails: {message}{hint}.") from None
        return onnx.load(path)


class _Export:
    """CatBoost's ONNX export of a model, ready to inline: its tree-ensemble node, the number of its columns (classes,
    or one target), and the scale and bias left out of it."""

    def __init__(self, est: Any):
        model, self.scale, self.bias = _exportable(est)
        self.proto = _export(est, model)
        trees = [n for n in self.proto.graph.node if n.op_type in _TREES]
        if len(trees) != 1:
            raise ConversionError(
                f"{type(est).__name__}: CatBoost's ONNX export holds {[n.op_type for n in self.proto.graph.node]}; "
                "expected one tree-ensemble node (a CatBoost version this converter does not know)."
            )
        self.node = trees[0]
        self.attributes = {a.name: a for a in self.node.attribute}
        if self.node.op_type == "TreeEnsembleClassifier":
            labels = self.attributes.get("classlabels_int64s") or self.attributes.get("classlabels_strings")
            self.n_columns = len(labels.ints or labels.strings) if labels is not None else 0
        else:
            self.n_columns = int(self.attributes["n_targets"].i) if "n_targets" in self.attributes else 1
        if self.n_columns < 1 or (self.node.op_type != "TreeEnsembleClassifier" and self.n_columns != 1):
            raise ConversionError(
                f"{type(est).__name__}(loss_function={loss_name(est)!r}): CatBoost's ONNX export writes n_targets="
                f"{self.n_columns}; the converter takes models of one output (fit one model per target)."
            )

    @property
    def identity(self) -> bool:
        """No scale or bias to apply: CatBoost's own post_transform gives what predict_proba gives."""
        return self.scale == 1 and not np.any(self.bias != 0)

    def inline(self, X: Expr, outputs: list[str], raw: bool) -> tuple[Expr, ...]:
        """The node's ``outputs`` computed from X as float32; ``raw``: with post_transform NONE."""
        if raw and "post_transform" in self.attributes:
            self.attributes["post_transform"].s = b"NONE"
        result = inline(self.proto, X if X.dtype == np.float32 else X.astype(np.float32), outputs=outputs)
        return tuple(result)


def _float_type(X: Expr) -> Any:
    return np.float64 if X.dtype == np.float64 else np.float32


def catboost_scores(est: Any, X: Expr | Columns, export: _Export | None = None) -> Expr:
    """The sum of the model's trees times its scale plus its bias (``predict(prediction_type='RawFormulaVal')``),
    [N, K], in X's float type (float32 for other types): CatBoost's own ONNX export inlined on ``X`` as float32."""
    X = _matrix(est, X)
    return _raw_scores(est, X, _Export(est) if export is None else export)


def _raw_scores(est: Any, X: Expr, export: _Export) -> Expr:
    """:func:`catboost_scores` of ``X``, already one matrix."""
    node = export.node
    output = node.output[1] if node.op_type == "TreeEnsembleClassifier" else node.output[0]  # before the ZipMap
    (raw,) = export.inline(X, [output], raw=True)
    dtype = _float_type(X)
    if dtype == np.float64:
        raw = raw.astype(np.float64)
    if export.n_columns == 2 and loss_name(est) in _BINARY:  # the export writes [-raw, raw]
        raw = raw[:, 1:2]
    if export.scale != 1:
        raw = raw * np.asarray(export.scale, dtype=dtype)
    if np.any(export.bias != 0):
        raw = raw + export.bias.astype(dtype).reshape(1, -1)
    return raw


@takes_columns
def convert_catboost_classifier(est: Any, X: Expr | Columns) -> tuple[Expr, Expr]:
    """CatBoostClassifier (Logloss, CrossEntropy, MultiClass, MultiClassOneVsAll): label and probabilities [N, K],
    as ``predict`` and ``predict_proba``."""
    loss = loss_name(est)
    if loss not in _BINARY + _MULTICLASS:
        raise ConversionError(
            f"CatBoostClassifier(loss_function={loss!r}): expected one of {', '.join(_BINARY + _MULTICLASS)} (the "
            "losses whose predict_proba the converter knows); multi-label losses give several labels per row."
        )
    X = _matrix(est, X)
    export = _Export(est)
    threshold = float(est.get_probability_threshold()) if loss in _BINARY else 0.5
    if export.identity and loss != "MultiClassOneVsAll" and threshold == 0.5:
        # CatBoost's own sigmoid or softmax (onnxruntime's label output is the class index, not the label, for two
        # classes other than 0 and 1: the label is the class of the largest probability, ties to the first)
        (proba,) = export.inline(X, [export.node.output[1]], raw=False)
        return argmax_label(est, proba), proba.astype(np.float64) if X.dtype == np.float64 else proba
    raw = _raw_scores(est, X, export)
    if loss in _BINARY:
        p = expit(raw)
        if threshold == 0.5:  # p > 0.5 exactly when the raw score is positive (no rounding of p near 0.5)
            index = (raw.reshape(-1) > 0).astype(np.int64)
        else:
            index = (p.reshape(-1) > np.asarray(threshold, dtype=p.dtype)).astype(np.int64)
        return label_of(est, index), binary_columns(p)
    proba = OnnxSoftmax(raw, axis=1) if loss == "MultiClass" else expit(raw)
    return argmax_label(est, raw), proba


@takes_columns
def convert_catboost_regressor(est: Any, X: Expr | Columns) -> Expr:
    """CatBoostRegressor and CatBoostRanker: ``predict``, [N, 1] (``exp`` of the raw score for Poisson and Tweedie)."""
    raw = catboost_scores(est, X)
    if type(est).__name__ != "CatBoostRanker" and loss_name(est) in _EXPONENT:
        return OnnxExp(raw)
    return raw


def registrations() -> dict[Any, list[str]]:
    """The converters of this module and the full names of the CatBoost classes they serve (nothing imported)."""
    return {
        convert_catboost_classifier: ["catboost.core.CatBoostClassifier"],
        convert_catboost_regressor: ["catboost.core.CatBoostRegressor", "catboost.core.CatBoostRanker"],
    }
