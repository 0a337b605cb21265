"""The compiler's steps, one idea per module: naming, constant deduplication,
common-subexpression elimination. :mod:`onnxalgebra.compiler._compile` runs them in one
sweep over the nodes in topological order."""
