"""Options shared by the commands that act on one dossier (``Annotated`` aliases).

Typer reads these aliases like options written in place; keeping them here
gives every command the same names, metavars and help.
"""

from __future__ import annotations

from typing import Annotated

import typer

RefArg = Annotated[
    str,
    typer.Argument(help="Dossier ref, e.g. malakoff-2023-2024-S0042.", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
ActorOpt = Annotated[
    str | None,
    typer.Option(
        metavar="WHO",
        help="guardian:EMAIL or student:REF when acting for a family (default: you, as staff).",
    ),
]
ReasonOpt = Annotated[
    str | None,
    typer.Option(metavar="TEXT", help="Why (required for staff outside the window)."),
]
ExpectOpt = Annotated[
    int | None,
    typer.Option(
        "--expect-version", metavar="N", help="Refuse if the dossier is no longer at version N."
    ),
]
