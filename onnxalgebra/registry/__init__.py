"""The converter registry: estimators to expressions, and DataFrame inputs."""
