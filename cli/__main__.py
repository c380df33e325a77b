"""`python -m cli` is the `measures` command."""

from cli.main import main

main(prog_name="measures")
