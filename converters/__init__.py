"""Converters of scikit-learn estimators, written with onnxalgebra's public API.

:func:`register` is the target of the entry point ``sklearn`` in the group
``onnxalgebra.converters``: the algebra calls it the first time it meets an
estimator it has no converter for. The algebra itself never imports this package.
"""

from __future__ import annotations

from onnxalgebra import register_converter


def register() -> None:
    """Register every scikit-learn converter of this package."""
    from sklearn import linear_model, svm

    from . import linear

    for cls in (linear_model.LinearRegression, linear_model.Ridge, linear_model.Lasso, linear_model.LassoLars):
        register_converter(cls, linear.convert_linear_regressor)
    register_converter(linear_model.LogisticRegression, linear.convert_logistic_regression)
    register_converter(linear_model.SGDClassifier, linear.convert_sgd_classifier)
    register_converter(svm.LinearSVC, linear.convert_linear_classifier)

    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer
    from sklearn.naive_bayes import BernoulliNB
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import Binarizer, LabelEncoder, RobustScaler, StandardScaler

    from . import calibration, composition, naive_bayes, preprocessing

    register_converter(Binarizer, preprocessing.convert_binarizer)
    register_converter(StandardScaler, preprocessing.convert_standard_scaler)
    register_converter(RobustScaler, preprocessing.convert_robust_scaler)
    register_converter(LabelEncoder, preprocessing.convert_label_encoder)
    register_converter(BernoulliNB, naive_bayes.convert_bernoulli_nb)
    register_converter(CalibratedClassifierCV, calibration.convert_calibrated_classifier)
    register_converter(Pipeline, composition.convert_pipeline)
    register_converter(FeatureUnion, composition.convert_feature_union)
    register_converter(ColumnTransformer, composition.convert_column_transformer)

    from sklearn import ensemble, tree

    from . import ensemble as ensemble_converters
    from . import trees

    for cls in (tree.DecisionTreeClassifier, ensemble.RandomForestClassifier, ensemble.ExtraTreesClassifier):
        register_converter(cls, trees.convert_tree_classifier)
    for cls in (tree.DecisionTreeRegressor, ensemble.RandomForestRegressor, ensemble.ExtraTreesRegressor):
        register_converter(cls, trees.convert_tree_regressor)
    register_converter(ensemble.AdaBoostClassifier, ensemble_converters.convert_adaboost_classifier)
    register_converter(ensemble.AdaBoostRegressor, ensemble_converters.convert_adaboost_regressor)
