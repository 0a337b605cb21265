"""numpy compatibility: expressions behave like numpy arrays.

``promotion`` holds numpy's dtype rules (weak Python scalars, ufunc loops),
``ufuncs`` the ufunc table (``__array_ufunc__`` and the operators), and
``functions`` the array-function table (``__array_function__``), filled by
``reductions``, ``shapes``, ``selection`` and ``linalg``; ``indexing`` is
numpy indexing of values.
"""
