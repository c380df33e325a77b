"""`measures`: the command line of department staff, managers and operators.

Each group of commands lives in its own module and is registered here.
"""

import click

from .context import CliContext


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--lang", type=click.Choice(["de", "en"]), default=None,
              help="Language of the output (default: LANGUAGE setting, German).")
@click.pass_context
def main(ctx, as_json, lang):
    """Maßnahmen des Landkreises verfolgen / track the county's measures."""
    ctx.obj = CliContext(as_json, lang)


def _register():
    from . import admin, deadline_commands, measures_commands, notify_commands, report_commands

    for module in (measures_commands, deadline_commands, notify_commands, report_commands, admin):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
