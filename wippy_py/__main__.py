"""``python -m wippy_py``: the same as the ``wippy-py`` command."""

from .cli import main

main()
