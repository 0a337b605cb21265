"""Converters of scikit-learn estimators, one module per scikit-learn module.

:func:`register` is the target of the entry point ``sklearn`` in the group
``onnxalgebra.converters``.
"""

from __future__ import annotations

import importlib
import pkgutil

from onnxalgebra import register_converter, require


def register() -> None:
    """Register every scikit-learn converter of this package (a clear error without scikit-learn).

    Each module of the package that defines ``registrations()`` (converter ->
    the classes it serves) contributes its converters: a new module only has
    to define it.
    """
    require("sklearn", "the scikit-learn converters (onnxalgebra_converters)")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        registrations = getattr(module, "registrations", None)
        if registrations is None:
            continue
        for converter, classes in registrations().items():
            for cls in classes:
                register_converter(cls, converter)
