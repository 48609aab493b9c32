"""wippy-py: a Python runtime for Lua actors and durable Lua workflows (Wippy-compatible).

Layers (imports point downwards only; ``tests/test_layers.py`` enforces it)::

    L5 cli           click commands, thin
    L4 node          composition root
    L3 supervision   process.service lifecycle; backends (workflow providers)
    L2 process       scheduler, processes, channels;  workflow
    L1 registry  lua  host  journal
    L0 errors  codec  durations
"""

__version__ = "0.1.0"
