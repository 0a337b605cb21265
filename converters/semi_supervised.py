"""sklearn.semi_supervised: SelfTrainingClassifier predicts with the estimator it fitted last.

``estimator_``'s converter gives its outputs (label, probabilities; its
decision function when it has no ``predict_proba``), with the options given
(it checks them). A DataFrame's columns go to it as they are
(``takes_columns``). LabelPropagation and LabelSpreading are not converted here.
"""

from __future__ import annotations

from typing import Any

from onnxalgebra import Columns, Expr, convert_estimator, takes_columns


@takes_columns
def convert_self_training(est: Any, X: Expr | Columns, options: dict | None = None) -> tuple[Expr, ...]:
    """SelfTrainingClassifier: the outputs of ``estimator_``, the classifier fitted on the self-labelled data.

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.semi_supervised import SelfTrainingClassifier
    >>> from onnxalgebra import to_onnx
    >>> X = np.random.RandomState(0).rand(40, 3)
    >>> y = np.where(np.arange(40) % 4 == 0, -1, (X[:, 0] > 0.5).astype(int))
    >>> clf = SelfTrainingClassifier(LogisticRegression()).fit(X, y)
    >>> [o.name for o in to_onnx(clf, X[:1]).graph.output]
    ['label', 'probabilities']
    """
    return convert_estimator(est.estimator_, X, options)


def registrations() -> dict:
    """The converters of this module and the scikit-learn classes they serve."""
    from sklearn import semi_supervised

    return {convert_self_training: [semi_supervised.SelfTrainingClassifier]}
