"""« Les renseignements surlignés doivent être obligatoirement remplis »."""

from __future__ import annotations

import datetime as dt

import pytest

from dacapo.rules.findings import Finding, Status
from dacapo.rules.identity import field_formats, required_fields
from dacapo.rules.snapshot import DossierSnapshot, Guardian
from tests.unit.rules.conftest import (
    FAMILY,
    MARIE,
    context,
    make_snapshot,
    unmet_messages,
    with_family,
    with_student,
)


def required(snapshot: DossierSnapshot) -> list[Finding]:
    return required_fields(context(snapshot))


def formats(snapshot: DossierSnapshot) -> list[Finding]:
    return field_formats(context(snapshot))


class TestRequiredFields:
    def test_a_complete_dossier_meets_every_required_field(self) -> None:
        findings = required(make_snapshot())
        assert findings
        assert all(f.status is Status.MET for f in findings)
        assert {f.item for f in findings} == {"fields"}

    def test_a_missing_birth_date_is_named_by_its_label(self) -> None:
        (finding,) = [
            f for f in required(with_student(make_snapshot(), birth_date=None)) if f.blocking
        ]
        assert finding.code == "fields.missing:student.birth_date"
        assert finding.message == "Champ obligatoire manquant : Date de naissance"
        assert finding.subject is None

    @pytest.mark.parametrize("blank", [None, "", "   "])
    def test_a_blank_field_counts_as_missing(self, blank: str | None) -> None:
        snapshot = with_family(make_snapshot(), city=blank)
        assert "Champ obligatoire manquant : Ville" in unmet_messages(required(snapshot))

    def test_guardian_fields_are_required_of_each_guardian_and_name_them(self) -> None:
        paul = Guardian("G-2", "Martin", "Paul", email=None)
        snapshot = with_family(make_snapshot(), guardians=(MARIE, paul))
        (finding,) = [f for f in required(snapshot) if f.blocking]
        assert finding.message == "Champ obligatoire manquant : Email du responsable (Paul Martin)"
        assert finding.subject == "Paul Martin"

    def test_the_pupil_uses_the_family_address_when_theirs_is_empty(self) -> None:
        snapshot = with_student(make_snapshot(), postcode=None, city="")
        assert unmet_messages(required(snapshot)) == []

    def test_school_fields_are_required_of_minors(self) -> None:
        snapshot = with_student(make_snapshot("dance"), school=None, school_level=None)
        assert unmet_messages(required(snapshot)) == [
            "Champ obligatoire manquant : Établissement scolaire",
            "Champ obligatoire manquant : Niveau scolaire",
        ]

    def test_school_fields_are_not_required_of_adults(self) -> None:
        findings = required(make_snapshot("adult"))
        assert unmet_messages(findings) == []
        assert not [f for f in findings if "school" in f.code]

    @pytest.mark.parametrize(
        ("born", "school_required"),
        [(dt.date(2005, 9, 1), False), (dt.date(2005, 9, 2), True)],
    )
    def test_a_pupil_is_adult_when_18_on_1_september(
        self, born: dt.date, school_required: bool
    ) -> None:
        snapshot = with_student(make_snapshot("adult"), birth_date=born)
        missing = unmet_messages(required(snapshot))
        assert ("Champ obligatoire manquant : Établissement scolaire" in missing) is school_required

    def test_an_unknown_birth_date_makes_the_school_required_too(self) -> None:
        snapshot = with_student(make_snapshot("adult"), birth_date=None)
        assert len(unmet_messages(required(snapshot))) == 3


class TestFieldFormats:
    def test_a_complete_dossier_has_every_filled_field_well_formed(self) -> None:
        findings = formats(make_snapshot("adult"))
        assert findings
        assert all(f.status is Status.MET for f in findings)
        assert "formats.valid:student.mobile" in {f.code for f in findings}

    def test_a_word_after_a_guardians_mobile_is_refused_and_names_the_guardian(self) -> None:
        marie = Guardian("G-1", "Dupont", "Marie", "marie.dupont@example.fr", "06 12 34 56 78 mère")
        snapshot = with_family(make_snapshot(), guardians=(marie, *FAMILY.guardians[1:]))
        (finding,) = [f for f in formats(snapshot) if f.blocking]
        assert finding.code == "formats.invalid:guardian.mobile"
        assert finding.subject == "Marie Dupont"
        assert finding.item == "formats"
        assert finding.message == (
            "Numéro SMS : uniquement les 10 chiffres du mobile — "
            "« 06 12 34 56 78 mère » n'est pas un numéro de mobile (Marie Dupont)"
        )

    def test_empty_values_are_left_to_required_fields(self) -> None:
        snapshot = with_student(make_snapshot("dance"), mobile=None, email="  ")
        codes = {f.code for f in formats(snapshot)}
        assert not {c for c in codes if c.endswith(("student.mobile", "student.email"))}

    def test_a_bad_family_postcode_is_refused(self) -> None:
        snapshot = with_family(make_snapshot(), postcode="2A004")
        assert unmet_messages(formats(snapshot)) == [
            "Code postal invalide : « 2A004 » (5 chiffres)"
        ]

    def test_a_bad_pupil_email_is_refused(self) -> None:
        snapshot = with_student(make_snapshot("adult"), email="camille.martin@gmail")
        assert unmet_messages(formats(snapshot)) == [
            "Adresse email invalide : « camille.martin@gmail »"
        ]

    def test_a_birth_date_in_the_future_is_refused(self) -> None:
        snapshot = with_student(make_snapshot(), birth_date=dt.date(2031, 1, 1))
        assert unmet_messages(formats(snapshot)) == ["Date de naissance dans le futur : 01/01/2031"]
