"""Converters of scikit-learn estimators, written with onnxalgebra's public API.

:func:`register` is the target of the entry point ``sklearn`` in the group
``onnxalgebra.converters``: the algebra calls it the first time it meets an
estimator it has no converter for. The algebra itself never imports this package,
which installs as ``onnxalgebra_converters`` (the repository keeps it in ``converters/``).
"""

from __future__ import annotations

from onnxalgebra import register_converter, require


def register() -> None:
    """Register every scikit-learn converter of this package (a clear error without scikit-learn)."""
    require("sklearn", "the scikit-learn converters (onnxalgebra_converters)")
    from sklearn import calibration, compose, ensemble, linear_model, naive_bayes, pipeline, preprocessing, svm, tree

    from . import calibration as calibration_
    from . import composition, linear, trees
    from . import ensemble as ensemble_
    from . import naive_bayes as naive_bayes_
    from . import preprocessing as preprocessing_

    table = {
        linear.convert_linear_regressor: [
            linear_model.LinearRegression, linear_model.Ridge, linear_model.Lasso, linear_model.LassoLars,
        ],
        linear.convert_logistic_regression: [linear_model.LogisticRegression],
        linear.convert_sgd_classifier: [linear_model.SGDClassifier],
        linear.convert_linear_classifier: [svm.LinearSVC],
        preprocessing_.convert_binarizer: [preprocessing.Binarizer],
        preprocessing_.convert_standard_scaler: [preprocessing.StandardScaler],
        preprocessing_.convert_robust_scaler: [preprocessing.RobustScaler],
        preprocessing_.convert_label_encoder: [preprocessing.LabelEncoder],
        naive_bayes_.convert_bernoulli_nb: [naive_bayes.BernoulliNB],
        calibration_.convert_calibrated_classifier: [calibration.CalibratedClassifierCV],
        composition.convert_pipeline: [pipeline.Pipeline],
        composition.convert_feature_union: [pipeline.FeatureUnion],
        composition.convert_column_transformer: [compose.ColumnTransformer],
        trees.convert_tree_classifier: [
            tree.DecisionTreeClassifier, ensemble.RandomForestClassifier, ensemble.ExtraTreesClassifier,
        ],
        trees.convert_tree_regressor: [
            tree.DecisionTreeRegressor, ensemble.RandomForestRegressor, ensemble.ExtraTreesRegressor,
        ],
        ensemble_.convert_adaboost_classifier: [ensemble.AdaBoostClassifier],
        ensemble_.convert_adaboost_regressor: [ensemble.AdaBoostRegressor],
    }
    for converter, classes in table.items():
        for cls in classes:
            register_converter(cls, converter)
