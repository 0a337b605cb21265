"""Display: expressions and models as DOT, rendered diagrams, Jupyter views and networkx graphs.

The algebra never imports this package at module level: an expression's
Jupyter repr imports it when first shown.
"""

from ._render import RENDERERS, set_renderer

__all__ = ["RENDERERS", "set_renderer"]
