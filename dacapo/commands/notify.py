"""``dacapo notify``: see a message as a family will receive it, without sending it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dacapo.commands.context import clock, open_app

if TYPE_CHECKING:
    from dacapo.notifications.model import GuardianInfo
    from dacapo.notifications.render import RenderedEmail, RenderedSms

app = typer.Typer(
    help="Messages to families: preview them with a dossier's data.", no_args_is_help=True
)


class PreviewChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


def templates_folder(option: Path | None, campaign_dir: str | None) -> Path | None:
    """``--templates``, else the campaign's own ``templates_dir`` (as ``campaign load``
    stored it, in full), else None (the shipped templates only). A folder that is not
    there is bad input naming it: never the shipped templates in its place."""
    from dacapo.engine.errors import BadInput
    from dacapo.notifications.render import campaign_folder

    if option is None:
        return campaign_folder(campaign_dir)  # TemplateProblem (exit 2) when not there
    if not option.is_dir():
        raise BadInput(f"--templates {option}: templates folder not found")
    return option


def check_name(name: str, folder: Path | None) -> None:
    """``BadInput`` (exit 2) naming the templates there are, when ``name`` is not one."""
    import difflib

    from dacapo.engine.errors import BadInput
    from dacapo.notifications.catalog import template_names

    names = sorted(template_names(folder))
    if name in names:
        return
    message = f"unknown template {name!r}"
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        message += f"; did you mean {close[0]!r}?"
    raise BadInput(f"{message}\ntemplates: {', '.join(names)}")


def _addressee(guardian: GuardianInfo, channel: PreviewChannel) -> str:
    address = guardian.email if channel is PreviewChannel.EMAIL else guardian.mobile
    return f"{guardian.name} <{address}>" if address else guardian.name


def print_email(rendered: RenderedEmail, *, html: bool) -> None:
    typer.echo(f"Subject: {rendered.subject}\n")
    if html and rendered.html is not None:
        typer.echo(rendered.html, nl=False)
        return
    typer.echo(rendered.text, nl=False)
    if rendered.html is None:
        typer.echo("\n(no HTML version: plain text only)")
    else:
        typer.echo(f"\n(an HTML version exists, {len(rendered.html)} characters: --html shows it)")


def sms_summary(rendered: RenderedSms) -> str:
    """« 131 characters, 1 segment(s), GSM-7 »; for UCS-2, the characters that forced it."""
    if rendered.encoding == "gsm7":
        encoding = "GSM-7"
    else:
        encoding = "UCS-2 (because of " + " ".join(rendered.non_gsm) + ")"
    return f"{len(rendered.text)} characters, {rendered.segments} segment(s), {encoding}"


@app.command()
def preview(
    template: Annotated[
        str,
        typer.Argument(help="Template name, e.g. reminder or confirmation.", show_default=False),
    ],
    *,
    ctx: typer.Context,
    dossier: Annotated[
        str,
        typer.Option(
            metavar="REF", help="The dossier whose data fills the message.", show_default=False
        ),
    ],
    channel: Annotated[PreviewChannel, typer.Option(help="email or sms.")] = PreviewChannel.EMAIL,
    to: Annotated[
        str | None,
        typer.Option(
            metavar="EMAIL_OR_MOBILE",
            help="The recipient: a guardian's (or adult pupil's) email or mobile"
            " (default: the first guardian).",
        ),
    ] = None,
    family: Annotated[
        bool,
        typer.Option("--family", help="About every open dossier of the family, as reminders are."),
    ] = False,
    reason: Annotated[
        str | None, typer.Option(metavar="TEXT", help="The rejection reason (document_rejected).")
    ] = None,
    document: Annotated[
        str | None, typer.Option(metavar="LABEL", help="The rejected document (document_rejected).")
    ] = None,
    templates: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            file_okay=False,
            help="Render with this templates folder instead of the campaign's"
            " notifications.templates_dir.",
        ),
    ] = None,
    html: Annotated[
        bool, typer.Option("--html", help="Print the HTML body instead of the text.")
    ] = False,
) -> None:
    """Render TEMPLATE with the dossier's real data, without sending anything."""
    from dacapo.notifications.render import Renderer
    from dacapo.store.message_context import dossier_message

    with open_app(ctx) as app, app.database.unit_of_work(read_only=True) as uow:
        message = dossier_message(
            uow.session,
            dossier,
            now=clock(ctx),
            recipient=to,
            siblings=family,
            reason=reason,
            document=document,
        )
    folder = templates_folder(templates, message.campaign.notifications.templates_dir)
    check_name(template, folder)
    renderer = Renderer(folder)
    who = _addressee(message.context.guardian, channel)
    about = ", ".join(message.refs)
    typer.echo(f"{template} ({channel.value}) about {about}, to {who}")
    if channel is PreviewChannel.EMAIL:
        print_email(renderer.render(template, "email", message.context), html=html)
    else:
        rendered = renderer.render(template, "sms", message.context)
        typer.echo(f"\n{rendered.text}\n\n{sms_summary(rendered)}")
