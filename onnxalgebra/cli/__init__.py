"""The command line's jobs: the demo and ``onnxalgebra convert``."""
