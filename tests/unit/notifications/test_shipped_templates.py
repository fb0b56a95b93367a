"""Every shipped template renders for a realistic Malakoff family, in French."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from ruamel.yaml import YAML

from dacapo.campaigns.schema import Campaign
from dacapo.notifications.catalog import check_templates, required_templates, template_names
from dacapo.notifications.context import PupilInput
from dacapo.notifications.render import SHIPPED, RenderedEmail, RenderedSms, Renderer
from dacapo.rules.snapshot import Family, Guardian, Student

from .conftest import CAMPAIGN_FILE, CERTIFICATE, PHOTO, PREFERENCES, malakoff_context

NAMES = sorted(template_names())
SMS_NAMES = sorted(p.name.removesuffix(".sms.j2") for p in SHIPPED.glob("[a-z]*.sms.j2"))


def email(renderer: Renderer, name: str, context: dict[str, object]) -> RenderedEmail:
    rendered = renderer.render(name, "email", context)
    assert isinstance(rendered, RenderedEmail)
    return rendered


def sms(renderer: Renderer, name: str, context: dict[str, object]) -> RenderedSms:
    rendered = renderer.render(name, "sms", context)
    assert isinstance(rendered, RenderedSms)
    return rendered


def test_the_shipped_names_cover_every_template_the_campaign_uses() -> None:
    data = YAML(typ="safe").load(CAMPAIGN_FILE.read_text("utf-8"))
    used = {r["template"] for r in data["reminders"]}
    used |= {m["template"] for m in data["notifications"]["messages"].values()}
    assert used <= template_names()
    assert {"invitation", "reminder", "reminder_last_day", "confirmation", "lapse"} <= used


def test_the_shipped_templates_pass_the_static_checks(campaign: Campaign) -> None:
    assert check_templates() == []
    assert check_templates(required_templates(campaign)) == []


def test_sms_templates_exist_for_the_messages_sent_by_sms(campaign: Campaign) -> None:
    by_sms = {name for name, channels in required_templates(campaign).items() if "sms" in channels}
    assert {"reminder", "reminder_last_day", "document_rejected"} <= by_sms <= set(SMS_NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_email_renders_with_a_subject_text_and_html(
    renderer: Renderer, context: dict[str, object], name: str
) -> None:
    rendered = email(renderer, name, context)
    assert rendered.subject
    assert "\n" not in rendered.subject
    assert rendered.text.startswith("Bonjour Claire Lefèvre-Durand,\n")
    assert "conservatoire.malakoff@valleesud.fr" in rendered.text
    assert rendered.html is not None
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in rendered.html
    assert "Bonjour Claire Lefèvre-Durand," in rendered.html


@pytest.mark.parametrize("name", NAMES)
def test_html_emails_are_self_contained_and_well_nested(
    renderer: Renderer, context: dict[str, object], name: str
) -> None:
    html = email(renderer, name, context).html or ""
    assert not re.search(r"<(script|img|link|style|iframe)\b", html)
    assert "src=" not in html
    Nesting().check(html)


@pytest.mark.parametrize("name", SMS_NAMES)
def test_every_sms_fits_one_gsm7_message(
    renderer: Renderer, context: dict[str, object], name: str
) -> None:
    rendered = sms(renderer, name, context)
    assert rendered.encoding == "gsm7", rendered.non_gsm
    assert rendered.length <= 160, rendered.text
    assert rendered.segments == 1
    assert rendered.text.startswith("Conservatoire de Malakoff : ")


@pytest.mark.parametrize("name", SMS_NAMES)
def test_every_sms_fits_one_message_for_a_family_with_long_names(
    renderer: Renderer, campaign: Campaign, name: str
) -> None:
    parent = Guardian("g-9", "de La Tour d'Auvergne-Lefèvre", "Marie-Clémentine")
    family = Family("fam-9", guardians=(parent,))
    pupils = [
        PupilInput(Student("s-8", parent.last_name, "Jean-Baptiste", discipline="danse"), [PHOTO]),
        PupilInput(Student("s-9", parent.last_name, "Anne-Éléonore", cycle="eveil"), [PREFERENCES]),
    ]
    long_document = "Formulaire de modalité de paiement complété et signé"
    context = malakoff_context(
        campaign, guardian=parent, family=family, pupils=pupils, document=long_document
    )
    rendered = sms(renderer, name, context)
    assert rendered.encoding == "gsm7", rendered.non_gsm
    assert rendered.length <= 160, rendered.text


def test_the_invitation_explains_how_to_log_in_and_what_to_do(
    renderer: Renderer, context: dict[str, object]
) -> None:
    text = email(renderer, "invitation", context).text
    for expected in (
        "https://www.imuse-valleesud.fr/extranet/",
        "« Accès usager »",
        "Site : Malakoff",
        "« MOT DE PASSE PERDU »",
        "uniquement les 10 chiffres",
        "cocher la case « Réinscription administrative »",
        "« J'accepte »",
        "avant le mercredi 24 mai 2023 à 23 h 59",
        "du 10 au 24 mai 2023",
        "01 55 48 04 19 (scolarité)",
        PREFERENCES,
    ):
        assert expected in text


def test_a_reminder_lists_what_each_pupil_still_misses(
    renderer: Renderer, context: dict[str, object]
) -> None:
    text = email(renderer, "reminder", context).text
    zoe = text.index("Pour Zoé Lefèvre-Durand (Danse, 1er cycle) :")
    leo = text.index("Pour Léo N'Diaye (Musique, Éveil) :")
    assert zoe < text.index(PHOTO, zoe) < leo < text.index(PREFERENCES, leo)
    assert "Formulaire de modalité de paiement complété et signé" in text


def test_the_confirmation_names_the_rules_version_and_what_comes_later(
    renderer: Renderer, campaign: Campaign
) -> None:
    context = malakoff_context(
        campaign, pupils=[PupilInput(Student("s-1", "Lefèvre-Durand", "Zoé"), [], [CERTIFICATE])]
    )
    rendered = email(renderer, "confirmation", context)
    assert "Votre réinscription 2023/2024 est confirmée" in rendered.subject
    assert "Votre réinscription pour l'année 2023/2024 est confirmée" in rendered.text
    assert "version 2023" in rendered.text
    assert "à remettre au premier cours en septembre" in rendered.text


def test_the_rejection_says_which_document_why_and_until_when(
    renderer: Renderer, context: dict[str, object]
) -> None:
    rendered = email(renderer, "document_rejected", context)
    assert "« Carte Quotient Familial Mairie de Malakoff »" in rendered.text
    assert "Motif : Carte Quotient Familial expirée le 31/12/2022" in rendered.text
    assert "avant le mercredi 24 mai 2023 à 23 h 59" in rendered.text


def test_the_new_pupil_message_gives_the_june_window_and_the_place(
    renderer: Renderer, context: dict[str, object]
) -> None:
    text = email(renderer, "new_pupil_window", context).text
    assert "sur place, du 5 au 30 juin 2023" in text
    assert "Lieu : Conservatoire de Malakoff" in text


def test_a_window_ending_at_midnight_reads_as_23_59_the_day_before(
    renderer: Renderer, campaign: Campaign
) -> None:
    midnight = dt.datetime(2023, 5, 24, 22, 0, tzinfo=dt.UTC)  # 25 May 00:00 in Paris
    context = malakoff_context(campaign, deadline_utc=midnight)
    assert "jusqu'au mercredi 24 mai 2023 à 23 h 59" in email(renderer, "reminder", context).text


def test_a_name_with_html_is_escaped_in_html_only(renderer: Renderer, campaign: Campaign) -> None:
    intruder = Guardian("g-x", "<script>alert(1)</script>", "Eve")
    context = malakoff_context(campaign, guardian=intruder)
    rendered = email(renderer, "reminder", context)
    assert rendered.html is not None
    assert "<script>" not in rendered.html
    assert "Eve &lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "Eve <script>alert(1)</script>" in rendered.text


def test_html_templates_use_non_breaking_spaces_before_french_punctuation() -> None:
    for path in SHIPPED.glob("*.html.j2"):
        source = re.sub(r"\{[{%#].*?[}%#]\}", "", path.read_text("utf-8"), flags=re.S)
        assert not re.search(r" [:;!?»]|« ", source), path.name


class Nesting(HTMLParser):
    """Checks that every opened element is closed in order."""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def check(self, html: str) -> None:
        self.stack: list[str] = []
        self.feed(html)
        self.close()
        assert self.stack == []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, tag
        assert self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()
