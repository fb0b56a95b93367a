"""Small helpers for French sentences: quotes, dates, gender agreement, articles.

Campaign labels carry no grammatical gender, so agreement is guessed from the
label's first word: a short list of feminine nouns that name documents, every
other label being masculine (« Avis d'imposition », « Certificat médical »).
"""

from __future__ import annotations

import datetime as dt

FEMININE_NOUNS = frozenset(
    {
        "attestation",
        "autorisation",
        "carte",
        "charte",
        "convention",
        "copie",
        "déclaration",
        "facture",
        "feuille",
        "fiche",
        "licence",
        "lettre",
        "notification",
        "ordonnance",
        "photo",
        "photographie",
        "pièce",
        "preuve",
        "quittance",
    }
)

_VOWELS = frozenset("aàâeéèêëiîïoôuùûüyh")


def quoted(text: str) -> str:
    """« text », with plain spaces inside the guillemets (as in the campaign file)."""
    return f"« {text} »"


def day(value: dt.date) -> str:
    """``31/12/2023``."""
    return value.strftime("%d/%m/%Y")


def day_and_time(instant: dt.datetime) -> str:
    """``25/05/2023 à 00:00`` (the instant must already be local)."""
    return instant.strftime("%d/%m/%Y à %H:%M")


def first_word(label: str) -> str:
    """The first word, without an elided article: « L'attestation » → ``attestation``."""
    if not label.strip():
        return ""
    return label.split(maxsplit=1)[0].replace("’", "'").split("'")[-1].casefold()


def is_feminine(label: str) -> bool:
    return first_word(label) in FEMININE_NOUNS


def agree(label: str, masculine: str) -> str:
    """``masculine`` made to agree with ``label`` (``expiré`` → ``expirée``)."""
    if not is_feminine(label):
        return masculine
    if masculine.endswith("eux"):
        return masculine[:-1] + "se"
    if masculine.endswith("ien"):
        return masculine + "ne"
    return masculine + "e"


def lower_first(label: str) -> str:
    """``Carte Quotient…`` → ``carte Quotient…``; acronyms (``RIB``) are kept."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def with_article(label: str) -> str:
    """The definite article and the label: « l'avis… », « la carte… », « le formulaire… »."""
    text = lower_first(label)
    if text[:1].casefold() in _VOWELS:
        return f"l'{text}"
    return f"{'la' if is_feminine(label) else 'le'} {text}"


def of(name: str) -> str:
    """« de Zoé Martin », « d'Anne Martin »."""
    return f"d'{name}" if name[:1].casefold() in _VOWELS else f"de {name}"
