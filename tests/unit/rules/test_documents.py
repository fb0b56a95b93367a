"""« Fournir les documents demandés » : evidence, alternatives, validity, deferral."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from dacapo.rules.documents import documents_present
from dacapo.rules.findings import Finding, Status
from dacapo.rules.snapshot import Document, DocumentStatus
from tests.unit.rules.conftest import (
    NOW,
    PARIS,
    PAYMENT_FORM,
    QUOTIENT_CARD,
    TAX_NOTICE,
    context,
    make_snapshot,
    photo,
)

OLD_CARD = Document(
    "D-QF-2022", "quotient_card", valid_from=dt.date(2022, 1, 1), valid_until=dt.date(2022, 12, 31)
)
TAX_NOTICE_ALTERNATIVE = "l'avis d'imposition 2022 sur les revenus 2021"
CARD_ALTERNATIVE = (
    "la carte Quotient Familial Mairie de Malakoff valable du 01/01/2023 au 31/12/2023"
)


def findings(
    *documents: Document, pupil: str = "dance", now: dt.datetime = NOW
) -> dict[str, Finding]:
    snapshot = make_snapshot(pupil, documents=documents)
    return {f.item: f for f in documents_present(context(snapshot, now=now))}


def income(*documents: Document) -> Finding:
    return findings(PAYMENT_FORM, *documents)["income_evidence"]


class TestIncomeEvidence:
    def test_the_quotient_card_of_the_year_meets_the_requirement(self) -> None:
        finding = income(QUOTIENT_CARD)
        assert finding.status is Status.MET
        assert finding.code == "documents.present:income_evidence"
        assert finding.message == (
            "Justificatif de quotient familial : Carte Quotient Familial Mairie de Malakoff "
            "fournie, en attente de vérification"
        )

    def test_the_tax_notice_is_an_alternative_to_the_quotient_card(self) -> None:
        finding = income(TAX_NOTICE)
        assert finding.status is Status.MET
        assert "Avis d'imposition fourni" in finding.message

    def test_last_years_card_is_expired_and_the_tax_notice_is_offered_instead(self) -> None:
        finding = income(OLD_CARD)
        assert finding.status is Status.UNMET
        assert finding.code == "documents.invalid:income_evidence"
        assert finding.message == (
            "Carte Quotient Familial Mairie de Malakoff expirée le 31/12/2022 — ou joindre "
            + TAX_NOTICE_ALTERNATIVE
        )

    def test_an_expired_card_and_a_valid_tax_notice_meet_the_requirement(self) -> None:
        assert income(OLD_CARD, TAX_NOTICE).status is Status.MET

    def test_nothing_supplied_lists_both_alternatives(self) -> None:
        finding = income()
        assert finding.code == "documents.missing:income_evidence"
        assert finding.message == (
            "Justificatif de quotient familial manquant : Carte Quotient Familial Mairie de "
            "Malakoff valable du 01/01/2023 au 31/12/2023, ou Avis d'imposition 2022 sur les "
            "revenus 2021"
        )
        assert finding.subject is None

    def test_a_tax_notice_of_the_wrong_year_says_which_years_are_wanted(self) -> None:
        old = Document("D-TAX-21", "tax_notice", tax_year=2021, income_year=2020)
        assert income(old).message == (
            "Avis d'imposition 2021 au lieu de 2022, sur les revenus 2020 au lieu de 2021"
            " — ou joindre " + CARD_ALTERNATIVE
        )

    def test_a_card_starting_after_1_january_does_not_cover_the_year(self) -> None:
        late = dataclasses.replace(QUOTIENT_CARD, valid_from=dt.date(2023, 3, 1))
        assert income(late).message.startswith(
            "Carte Quotient Familial Mairie de Malakoff valable seulement à partir du 01/03/2023"
            " (il faut le 01/01/2023)"
        )

    def test_a_card_ending_before_31_december_does_not_cover_the_year(self) -> None:
        short = dataclasses.replace(QUOTIENT_CARD, valid_until=dt.date(2023, 6, 30))
        assert "valable seulement jusqu'au 30/06/2023 (il faut jusqu'au 31/12/2023)" in (
            income(short).message
        )

    def test_a_card_without_validity_dates_does_not_count(self) -> None:
        undated = Document("D-QF-X", "quotient_card")
        assert income(undated).message.startswith(
            "Carte Quotient Familial Mairie de Malakoff sans date de début de validité, "
            "sans date de fin de validité"
        )

    def test_a_rejected_card_says_why_and_offers_the_alternative(self) -> None:
        rejected = dataclasses.replace(
            QUOTIENT_CARD, status=DocumentStatus.REJECTED, rejection_reason="illisible"
        )
        finding = income(rejected)
        assert finding.code == "documents.rejected:income_evidence"
        assert finding.message == (
            "Carte Quotient Familial Mairie de Malakoff refusée : illisible — ou joindre "
            + TAX_NOTICE_ALTERNATIVE
        )

    def test_a_valid_pending_card_counts_even_after_a_rejected_one(self) -> None:
        rejected = dataclasses.replace(QUOTIENT_CARD, id="D-0", status=DocumentStatus.REJECTED)
        assert income(rejected, QUOTIENT_CARD).status is Status.MET

    def test_the_problem_reported_is_that_of_the_closest_candidate(self) -> None:
        rejected = dataclasses.replace(QUOTIENT_CARD, id="D-0", status=DocumentStatus.REJECTED)
        assert income(rejected, OLD_CARD).code == "documents.invalid:income_evidence"

    def test_an_accepted_document_is_reported_as_validated(self) -> None:
        accepted = dataclasses.replace(TAX_NOTICE, status=DocumentStatus.ACCEPTED)
        assert income(QUOTIENT_CARD, accepted).message.endswith(
            "Avis d'imposition fourni et validé"
        )


class TestPaymentForm:
    def test_a_signed_form_meets_the_requirement(self) -> None:
        assert findings(PAYMENT_FORM)["payment_form"].status is Status.MET

    def test_an_unsigned_form_is_refused(self) -> None:
        unsigned = dataclasses.replace(PAYMENT_FORM, signed=False)
        finding = findings(unsigned)["payment_form"]
        assert finding.status is Status.UNMET
        assert finding.message == "Formulaire de modalité de paiement non signé"

    def test_a_missing_form_says_it_must_be_signed(self) -> None:
        assert findings()["payment_form"].message == (
            "Formulaire de modalité de paiement complété et signé manquant : "
            "Formulaire de modalité de paiement signé"
        )


class TestIdPhoto:
    def test_a_photo_of_less_than_a_year_meets_the_requirement(self) -> None:
        finding = findings(photo("S-ZOE"))["id_photo"]
        assert finding.status is Status.MET
        assert finding.subject == "Zoé Martin"

    def test_an_old_photo_is_too_old_and_names_the_pupil(self) -> None:
        finding = findings(photo("S-ZOE", dt.date(2021, 1, 15)))["id_photo"]
        assert finding.status is Status.UNMET
        assert finding.message == "Photo d'identité de Zoé Martin trop ancienne (15/01/2021)"

    @pytest.mark.parametrize(
        ("issued", "met"), [(dt.date(2022, 5, 15), True), (dt.date(2022, 5, 14), False)]
    )
    def test_a_photo_may_be_365_days_old(self, issued: dt.date, met: bool) -> None:
        assert (findings(photo("S-ZOE", issued))["id_photo"].status is Status.MET) is met

    def test_the_age_of_a_photo_is_counted_in_local_days(self) -> None:
        # 23:30 UTC on 14 May is already 15 May in Malakoff: the photo is 366 days old.
        late = dt.datetime(2023, 5, 14, 23, 30, tzinfo=dt.UTC)
        assert findings(photo("S-ZOE", dt.date(2022, 5, 14)), now=late)["id_photo"].blocking

    def test_a_photo_without_a_date_does_not_count(self) -> None:
        finding = findings(photo("S-ZOE", issued=None))["id_photo"]
        assert finding.message == "Photo d'identité de Zoé Martin sans date"

    def test_a_photo_dated_in_the_future_does_not_count(self) -> None:
        finding = findings(photo("S-ZOE", dt.date(2023, 6, 1)))["id_photo"]
        assert (
            finding.message == "Photo d'identité de Zoé Martin datée du 01/06/2023, dans le futur"
        )

    def test_a_siblings_photo_does_not_count(self) -> None:
        finding = findings(photo("S-LEO"))["id_photo"]
        assert finding.code == "documents.missing:id_photo"
        assert finding.message == (
            "Photo d'identité récente de l'élève manquante (Zoé Martin) : "
            "Photo d'identité de moins d'un an"
        )

    def test_a_photo_filed_at_family_level_does_not_count_for_a_pupil(self) -> None:
        family_photo = Document("D-P", "id_photo", issued=dt.date(2023, 3, 1))
        assert findings(family_photo)["id_photo"].blocking


class TestMedicalCertificate:
    def test_only_dance_pupils_need_the_certificate(self) -> None:
        assert "medical_certificate" in findings(pupil="dance")
        assert "medical_certificate" not in findings(pupil="eveil")
        assert "medical_certificate" not in findings(pupil="adult")

    def test_the_certificate_is_deferred_to_the_first_class_and_never_blocks(self) -> None:
        finding = findings(pupil="dance")["medical_certificate"]
        assert finding.status is Status.DEFERRED
        assert not finding.blocking
        assert finding.code == "documents.deferred:medical_certificate"
        assert finding.subject == "Zoé Martin"
        assert finding.message == (
            "Certificat médical de non-contre-indication à la pratique de la danse (Zoé Martin) :"
            " à remettre au premier cours en septembre (daté à partir du 01/07/2023)"
        )

    def test_a_certificate_dated_before_1_july_stays_deferred_and_says_why(self) -> None:
        early = Document(
            "D-MED", "medical_certificate", student_ref="S-ZOE", issued=dt.date(2023, 5, 2)
        )
        finding = findings(early)["medical_certificate"]
        assert finding.status is Status.DEFERRED
        assert finding.message.endswith(
            " ; Certificat médical de Zoé Martin daté du 02/05/2023, avant le 01/07/2023"
        )

    def test_a_valid_certificate_meets_the_requirement(self) -> None:
        good = Document(
            "D-MED", "medical_certificate", student_ref="S-ZOE", issued=dt.date(2023, 9, 4)
        )
        later = dt.datetime(2023, 9, 10, 18, tzinfo=PARIS)
        assert findings(good, now=later)["medical_certificate"].status is Status.MET


class TestFamilyDocumentsSharedBySiblings:
    # What the family's account holds: its own documents and each pupil's photo.
    ACCOUNT = (PAYMENT_FORM, TAX_NOTICE, photo("S-ZOE"), photo("S-LEO"), photo("S-CAM"))

    @pytest.mark.parametrize("pupil", ["dance", "eveil", "adult"])
    def test_one_family_document_meets_every_pupils_requirement(self, pupil: str) -> None:
        snapshot = make_snapshot(pupil, documents=self.ACCOUNT)
        found = documents_present(context(snapshot))
        assert [f.status for f in found if f.item != "medical_certificate"] == [Status.MET] * 3

    def test_a_document_filed_for_one_pupil_is_not_a_family_document(self) -> None:
        misfiled = dataclasses.replace(TAX_NOTICE, student_ref="S-ZOE")
        assert income(misfiled).code == "documents.missing:income_evidence"


def test_findings_follow_the_campaign_order_one_per_requirement() -> None:
    found = documents_present(context(make_snapshot("dance")))
    assert [f.item for f in found] == [
        "payment_form",
        "income_evidence",
        "id_photo",
        "medical_certificate",
    ]
