"""The registry (layer L1): YAML loading, entry kinds, validation, ID resolution and
dependency extraction, following Wippy's loader.

Imports only ``wippy_py.errors``, ``wippy_py.durations``, the standard library and
``yaml`` (in ``_loader`` alone).

Typical use::

    registry = load_registry("registry")          # raises RegistryLoadError on problems
    entry = registry.require("app:worker", "process.lua")
    entry.get("source"), entry.lifecycle.auto_start, entry.dependencies
"""

from ._entry import Entry as Entry
from ._ids import EntryId as EntryId
from ._kinds import HOST_KINDS as HOST_KINDS
from ._kinds import LUA_KINDS as LUA_KINDS
from ._kinds import SUPPORTED_KINDS as SUPPORTED_KINDS
from ._lifecycle import Lifecycle as Lifecycle
from ._lifecycle import RestartPolicy as RestartPolicy
from ._registry import EntryNotFoundError as EntryNotFoundError
from ._registry import Registry as Registry
from ._registry import RegistryLoadError as RegistryLoadError
from ._registry import load_registry as load_registry

__all__ = [
    "HOST_KINDS",
    "LUA_KINDS",
    "SUPPORTED_KINDS",
    "Entry",
    "EntryId",
    "EntryNotFoundError",
    "Lifecycle",
    "Registry",
    "RegistryLoadError",
    "RestartPolicy",
    "load_registry",
]
