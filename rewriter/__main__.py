"""``python -m rewriter`` runs the ``dockerfix`` command."""

from .cli import main

main(prog_name="dockerfix")
