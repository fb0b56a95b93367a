"""Agreement and articles in generated French sentences."""

from __future__ import annotations

import datetime as dt

import pytest

from dacapo.rules.french import agree, day, of, quoted, with_article


@pytest.mark.parametrize(
    ("label", "word", "expected"),
    [
        ("Carte Quotient Familial", "expiré", "expirée"),
        ("Photo d'identité", "ancien", "ancienne"),
        ("L’attestation d'assurance", "fourni", "fournie"),
        ("Avis d'imposition", "fourni", "fourni"),
        ("Certificat médical", "daté", "daté"),
        ("RIB", "signé", "signé"),
    ],
)
def test_participles_agree_with_the_documents_first_noun(
    label: str, word: str, expected: str
) -> None:
    assert agree(label, word) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Avis d'imposition 2022", "l'avis d'imposition 2022"),
        ("Carte Quotient Familial", "la carte Quotient Familial"),
        ("Formulaire de paiement", "le formulaire de paiement"),
        ("RIB", "le RIB"),
    ],
)
def test_the_definite_article_is_elided_before_a_vowel(label: str, expected: str) -> None:
    assert with_article(label) == expected


def test_de_is_elided_before_a_name_starting_with_a_vowel() -> None:
    assert (of("Zoé Martin"), of("Anne Martin")) == ("de Zoé Martin", "d'Anne Martin")


def test_dates_read_day_first_and_quotes_are_french() -> None:
    assert day(dt.date(2023, 5, 4)) == "04/05/2023"
    assert quoted("J'accepte") == "« J'accepte »"
