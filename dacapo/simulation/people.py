"""Made-up Malakoff families: French names with accents and hyphens, siblings,
éveil and dance pupils, adult pupils, guardians with and without a mobile.

``households(count, seed=...)`` draws them (the same seed, the same families);
``family_csv(households)`` writes them in the import format, one row per pupil,
as Excel saves it (semicolons, BOM), ready for ``dacapo family import``.
The name lists are shared with the benchmarks' generator (``bench/generate.py``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import unicodedata
from dataclasses import dataclass, replace

from dacapo.engine.imports import COLUMNS

LAST_NAMES = [
    "Dupont", "N'Diaye", "Lefèvre-Durand", "D’Almeida", "Martin", "Lecœur", "Nguyen",
    "Bernard", "Moreau", "Benali", "Da Silva", "Rousseau", "Chevalier", "Mercier", "Haddad",
    "François", "Gauthier-Lemaître", "Lê", "Traoré", "Hébert", "Lévêque", "Saint-Just",
    "Camara", "Ferreira", "Kowalski", "Ould-Ahmed", "Bréant", "Pérez", "Øberg", "Marchand",
]  # fmt: skip
FIRST_NAMES = [
    "Zoé", "Léo", "Inès", "Awa", "Théo", "Chloé", "Raphaël", "Maël", "João", "Anaïs",
    "Noé", "Léa", "Adèle", "Éloïse", "Gabriel", "Jules", "Aïcha", "Timothée", "Maëlys",
    "Lou-Anne", "Jean-Baptiste", "Célestine", "Yanis", "Clémence", "Bérénice", "Ilyès",
]  # fmt: skip
GUARDIAN_FIRST_NAMES = [
    "Marie", "Claire", "Amélie", "Sébastien", "François", "Aminata", "Moussa", "Hélène",
    "Anne-Sophie", "Stéphane", "Nadia", "Karim", "Thi Mai", "Agnès", "Jérôme", "Frédérique",
    "Pierre-Yves", "Laëtitia", "Céline", "Grégoire", "Fatoumata", "Joël", "Solène", "Rémi",
]  # fmt: skip
STREETS = [
    "rue Pierre Larousse", "avenue Pierre Brossolette", "rue Paul Vaillant-Couturier",
    "boulevard Gabriel Péri", "rue Étienne Dolet", "allée Jean Jaurès", "rue Béranger",
    "place du 11 Novembre 1918", "rue Hoche", "villa Cour-Creuse",
]  # fmt: skip
INSTRUMENTS = [
    "Violon", "Violoncelle", "Piano", "Guitare", "Flûte traversière", "Clarinette",
    "Trompette", "Percussions", "Chant",
]  # fmt: skip
MATERNELLE = "École maternelle Jean Jaurès"
SCHOOLS = {
    "élémentaire": ["École élémentaire Paul Bert", "École élémentaire Henri Barbusse"],
    "collège": ["Collège Henri Wallon", "Collège Paul Bert"],
    "lycée": ["Lycée Louis-Girard", "Lycée Michelet"],
}
# School level at the start of the school year, by age on 1 September.
LEVELS = {
    5: "GS", 6: "CP", 7: "CE1", 8: "CE2", 9: "CM1", 10: "CM2", 11: "6e", 12: "5e", 13: "4e",
    14: "3e", 15: "2nde", 16: "1re", 17: "Tle",
}  # fmt: skip
SITE = "malakoff"
POSTCODE, CITY = "92240", "Malakoff"
SCHOOL_YEAR_STARTS = dt.date(2023, 9, 1)


@dataclass(frozen=True)
class Person:
    last_name: str
    first_name: str
    email: str
    mobile: str | None  # as typed in the spreadsheet, e.g. "06 12 34 56 78"

    @property
    def guardian_option(self) -> str:
        """``dacapo wish add --guardian`` text: ``Last;First;email;mobile``."""
        return ";".join([self.last_name, self.first_name, self.email, self.mobile or ""])


@dataclass(frozen=True)
class Pupil:
    ref: str
    last_name: str
    first_name: str
    birth_date: dt.date
    discipline: str
    cycle: str
    instrument: str
    school: str
    school_level: str

    @property
    def adult(self) -> bool:
        return self.cycle == "adulte"

    @property
    def eveil(self) -> bool:
        return self.cycle == "eveil"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Household:
    ref: str
    guardians: tuple[Person, ...]
    address: str
    pupils: tuple[Pupil, ...]

    @property
    def name(self) -> str:
        return self.guardians[0].last_name


def ascii_slug(text: str) -> str:
    """``Lefèvre-Durand`` → ``lefevre-durand``, for made-up email addresses."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("ø", "o").replace("Ø", "O")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    kept = "".join(c if c.isalnum() or c == "-" else "-" for c in plain.lower())
    return "-".join(part for part in kept.split("-") if part)


def mobile(rng: random.Random) -> str:
    """A French mobile as families type it: spaces, dots or nothing."""
    digits = rng.choice(["06", "07"]) + str(rng.randint(50, 89)) + f"{rng.randint(0, 999999):06d}"
    pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
    return rng.choice([" ", ".", ""]).join(pairs)


def _person(rng: random.Random, last: str, first: str, index: int, with_mobile: float) -> Person:
    domain = rng.choice(["example.fr", "example.org", "example.com"])
    email = f"{ascii_slug(first)}.{ascii_slug(last)}.{index}@{domain}"
    return Person(last, first, email, mobile(rng) if rng.random() < with_mobile else None)


def _birth(rng: random.Random, year: int) -> dt.date:
    return dt.date(year, rng.randint(1, 12), rng.randint(1, 28))


def child(rng: random.Random, ref: str, last: str, *, eveil: bool = False) -> Pupil:
    """A pupil from 5 to 17 on 1 September; the cycle and school follow the age."""
    year = rng.choice([2017, 2018]) if eveil else rng.randint(2006, 2016)
    birth = _birth(rng, year)
    age = SCHOOL_YEAR_STARTS.year - year - ((birth.month, birth.day) > (9, 1))
    age = max(5, min(17, age))
    if eveil:
        discipline = rng.choice(["musique", "musique", "danse"])
        instrument = "Éveil danse" if discipline == "danse" else "Éveil musical"
        cycle = "eveil"
    else:
        discipline = rng.choice(["musique"] * 6 + ["danse"] * 3 + ["theatre"])
        instrument = rng.choice(INSTRUMENTS) if discipline == "musique" else ""
        cycle = (
            "initiation" if age < 8 else "cycle_1" if age < 12 else "cycle_2" if age < 15
            else "cycle_3"
        )  # fmt: skip
    level = LEVELS[age]
    if age < 6:
        school = MATERNELLE
    else:
        school = rng.choice(
            SCHOOLS["élémentaire" if age < 11 else "collège" if age < 15 else "lycée"]
        )
    first = rng.choice(FIRST_NAMES)
    return Pupil(ref, last, first, birth, discipline, cycle, instrument, school, level)


def _adult(rng: random.Random, index: int) -> Household:
    last, first = rng.choice(LAST_NAMES), rng.choice(GUARDIAN_FIRST_NAMES)
    me = _person(rng, last, first, index, with_mobile=0.9)
    discipline = rng.choice(["musique", "danse"])
    instrument = rng.choice(["Chant", "Piano", "Guitare"]) if discipline == "musique" else ""
    pupil = Pupil(
        f"S{index:04d}01", last, first, _birth(rng, rng.randint(1962, 2003)),
        discipline, "adulte", instrument, "", "",
    )  # fmt: skip
    return Household(f"F{index:04d}", (me,), _address(rng), (pupil,))


def _address(rng: random.Random) -> str:
    return f"{rng.randint(1, 180)} {rng.choice(STREETS)}"


def _family(rng: random.Random, index: int) -> Household:
    last = rng.choice(LAST_NAMES)
    guardians = [_person(rng, last, rng.choice(GUARDIAN_FIRST_NAMES), index, with_mobile=0.75)]
    if rng.random() < 0.7:
        other = last if rng.random() < 0.75 else rng.choice(LAST_NAMES)
        first = rng.choice([n for n in GUARDIAN_FIRST_NAMES if n != guardians[0].first_name])
        guardians.append(_person(rng, other, first, index, 0.6))
    pupils = []
    for number in range(1, rng.choices([1, 2, 3], weights=[5, 4, 2])[0] + 1):
        ref = f"S{index:04d}{number:02d}"
        pupils.append(child(rng, ref, last, eveil=rng.random() < 0.2))
    return Household(f"F{index:04d}", tuple(guardians), _address(rng), tuple(pupils))


def households(count: int, *, seed: int) -> list[Household]:
    """``count`` families; about one in thirty is an adult pupil on their own (at least one)."""
    rng = random.Random(f"households:{seed}")
    adults = set(rng.sample(range(1, count + 1), k=min(count, max(1, count // 30))))
    return [
        _adult(random.Random(f"{seed}:F{i}"), i) if i in adults
        else _family(random.Random(f"{seed}:F{i}"), i)
        for i in range(1, count + 1)
    ]  # fmt: skip


def family_csv(families: list[Household]) -> bytes:
    """The families in the import format: one row per pupil, semicolons, a BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for family in families:
        cells = {"family_ref": family.ref, "address": family.address}
        cells.update(postcode=POSTCODE, city=CITY)
        for position in (1, 2):
            person = family.guardians[position - 1] if position <= len(family.guardians) else None
            for field in ("last_name", "first_name", "email", "mobile"):
                value = getattr(person, field) if person is not None else None
                cells[f"guardian{position}_{field}"] = value or ""
        for pupil in family.pupils:
            row = {
                **cells,
                "student_ref": pupil.ref,
                "student_last_name": pupil.last_name,
                "student_first_name": pupil.first_name,
                "birth_date": pupil.birth_date.strftime("%d/%m/%Y"),
                "discipline": pupil.discipline,
                "cycle": pupil.cycle,
                "instrument": pupil.instrument,
                "school": pupil.school,
                "school_level": pupil.school_level,
            }
            writer.writerow([row[column] for column in COLUMNS])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Newcomer:
    """A new pupil whose wishes are registered at the desk in June."""

    family: Household  # a known family (a younger sibling) or a new one
    known_family: bool
    pupil: Pupil
    preferences: tuple[str, ...]


def _newcomer(rng: random.Random, ref: str, last: str, family: Household, known: bool) -> Newcomer:
    """A music or éveil beginner (the wishes the campaign offers), with two ranked wishes."""
    pupil = child(rng, ref, last, eveil=rng.random() < 0.45)
    if pupil.eveil:
        other = "Éveil danse" if pupil.instrument == "Éveil musical" else "Éveil musical"
        return Newcomer(family, known, pupil, (pupil.instrument, other))
    first, second = rng.sample(INSTRUMENTS, k=2)
    pupil = replace(pupil, discipline="musique", instrument=first)
    return Newcomer(family, known, pupil, (first, second))


def newcomers(families: list[Household], count: int, *, seed: int) -> list[Newcomer]:
    """``count`` new pupils: about half are younger siblings of known families."""
    rng = random.Random(f"newcomers:{seed}")
    known = [f for f in families if not f.pupils[0].adult]
    found: list[Newcomer] = []
    for number in range(1, count + 1):
        if known and rng.random() < 0.5:
            family = rng.choice(known)
            ref = f"S{int(family.ref[1:]):04d}{len(family.pupils) + 1 + number:02d}"
            found.append(_newcomer(rng, ref, family.name, family, True))
            continue
        index = len(families) + number
        fresh = _family(random.Random(f"{seed}:N{index}"), index)
        found.append(_newcomer(rng, f"S{index:04d}01", fresh.name, fresh, False))
    return found
