"""The catalogue of host modules: their Lua glue and whether workflows may use them.

Wippy classes modules; a workflow entry may only list modules of class ``workflow``
or ``deterministic`` (reference §3.2). Modules that reach the outside world (``io``,
``logger``, ``http``, ...) are refused in workflows at load time.
"""

from __future__ import annotations

import functools
from importlib import resources

WORKFLOW = "workflow"
DETERMINISTIC = "deterministic"
NONDETERMINISTIC = "nondeterministic"

MODULE_CLASSES: dict[str, str] = {
    "funcs": WORKFLOW,
    "time": WORKFLOW,
    "uuid": WORKFLOW,
    "ctx": WORKFLOW,
    "workflow": WORKFLOW,
    "json": DETERMINISTIC,
    "io": NONDETERMINISTIC,
    "logger": NONDETERMINISTIC,
}


@functools.cache
def glue(name: str) -> str:
    """Returns the Lua glue source of host module ``name`` (read once: every Lua
    runtime builds its modules from it, one per Temporal workflow run)."""
    return resources.files(__package__).joinpath("glue", f"{name}.lua").read_text()


def workflow_allowed(name: str) -> bool:
    """True when a workflow entry may list module ``name``."""
    return MODULE_CLASSES.get(name) in (WORKFLOW, DETERMINISTIC)
