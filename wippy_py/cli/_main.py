"""The ``wippy-py`` command group."""

from __future__ import annotations

import click

from .. import __version__
from ._registry_cmd import registry
from ._run import run
from ._workflow_cmd import workflow


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wippy-py")
def cli() -> None:
    """wippy-py: Lua actors and durable Lua workflows, Wippy-compatible.

    Start with `wippy-py run registry` (the default app) or
    `wippy-py run DIR -x ns:entry` to run one process.
    """


cli.add_command(run)
cli.add_command(registry)
cli.add_command(workflow)


def main() -> None:
    """Entry point of the console script and of ``python -m wippy_py``."""
    cli()
