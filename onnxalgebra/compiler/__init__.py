"""The compiler: expressions to a ModelProto (naming, opsets, inputs, models over 2 GB) and evaluation."""
