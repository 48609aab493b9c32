"""The command line (layer L5): the only package that imports click.

Commands are thin: they load a registry, build a :class:`~wippy_py.node.Node` and call
its API.
"""

from ._main import main as main

__all__ = ["main"]
