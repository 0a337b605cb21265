"""Optional dependencies: one way to need them, one error when they are missing.

Every path that needs a package outside the core dependencies calls
:func:`require`; when the package is missing it raises
:class:`MissingDependencyError`, which names what needs it and the extra
that installs it. The extras are :data:`EXTRAS` (pyproject.toml's
``[project.optional-dependencies]``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ._errors import OnnxAlgebraError

__all__ = ["EXTRAS", "MissingDependencyError", "require"]

# import name -> (distribution to install, extra that installs it)
EXTRAS: dict[str, tuple[str, str]] = {
    "sklearn": ("scikit-learn", "sklearn"),
}


class MissingDependencyError(OnnxAlgebraError, ImportError):
    """An optional package is missing: the message says what needs it and which extra installs it.

    >>> try:
    ...     require("sklearn_that_does_not_exist", "the example")
    ... except MissingDependencyError as exc:
    ...     print(str(exc).split(":")[0])
    the example needs sklearn_that_does_not_exist
    """


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` for ``purpose`` (what needs it), or raise :class:`MissingDependencyError`.

    >>> require("numpy", "the algebra").__name__
    'numpy'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        distribution, extra = EXTRAS.get(top, (top, None))
        how = f"pip install 'onnxalgebra[{extra}]'" if extra else f"pip install {distribution}"
        raise MissingDependencyError(f"{purpose} needs {distribution}: {how} (import {module!r} failed: {exc}).") from None
