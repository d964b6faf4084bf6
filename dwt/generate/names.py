"""Dutch-looking names for people, employers and notes (pure).

Every name is encodable in Windows-1252, because one region delivers cp1252 csv files:
no Turkish dotless i or s-cedilla, but ü, ë, ï, é, ç and Ç are fine ("Müller", "Çelik").
"""

from __future__ import annotations

import numpy as np

FIRST_NAMES = (
    "Daan", "Sem", "Lucas", "Milan", "Levi", "Bram", "Thijs", "Jesse", "Ruben", "Niels",
    "Kevin", "Mohamed", "Youssef", "Emre", "Mehmet", "Jan", "Kees", "Pieter", "Henk", "Sven",
    "Anna", "Emma", "Julia", "Sophie", "Lotte", "Fleur", "Sanne", "Daniëlle", "Chloë", "Zoë",
    "Noël", "Anaïs", "Inès", "Fatima", "Aylin", "Esra", "Nadia", "Priya", "Marieke", "Ingrid",
    "José", "René", "Gerrit", "Wim", "Tessa", "Iris", "Mila", "Noor", "Femke", "Loïs",
)  # fmt: skip
SURNAMES = (
    "de Vries", "Jansen", "de Jong", "van den Berg", "Bakker", "Visser", "Smit", "Meijer",
    "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen",
    "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Kok",
    "Jacobs", "de Haan", "Vermeulen", "van Dijk", "Schouten", "Willems", "Hoekstra", "Koster",
    "Müller", "Çelik", "Öztürk", "Yildiz", "Aydin", "El Amrani", "Bouzid", "Nguyen",
    "Brüggemann", "Hoëvenaars", "Verbeeck", "Lefèvre", "Janssens", "Kramer", "Prins", "Post",
    "van Beek", "Kuipers",
)  # fmt: skip
NON_ASCII_SURNAMES = ("Müller", "Çelik", "Öztürk", "Brüggemann", "Hoëvenaars", "Lefèvre")
EMPLOYER_KINDS = (
    "Bakkerij", "Hoveniersbedrijf", "Schoonmaakbedrijf", "Installatiebedrijf", "Zorggroep",
    "Garage", "Drukkerij", "Transportbedrijf", "Supermarkt", "Hotel", "Restaurant",
    "Kinderopvang", "Timmerfabriek", "Groothandel", "Administratiekantoor", "Wasserij",
    "Fietsenmaker", "Kwekerij", "Metaalbewerking", "Catering", "Café", "Bouwbedrijf",
    "Woningcorporatie", "Distributiecentrum", "Verpleeghuis", "Tuincentrum", "Slagerij",
    "Koeriersdienst", "Recyclingbedrijf", "Autoschadeherstel",
)  # fmt: skip
LEGAL_FORMS = ("B.V.", "V.O.F.", "& Zn.", "")


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """`n` full names; the first two are non-ASCII so every region's files carry some."""
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(SURNAMES), n)
    names = [f"{FIRST_NAMES[f]} {SURNAMES[s]}" for f, s in zip(first, last, strict=True)]
    for i, surname in enumerate(NON_ASCII_SURNAMES[:2][: min(2, n)]):
        names[i] = f"{FIRST_NAMES[first[i]]} {surname}"
    return names


def employer_names(rng: np.random.Generator, n: int) -> list[str]:
    """`n` distinct trade names like "Bakkerij De Vries B.V." (distinct within one call)."""
    combos = len(EMPLOYER_KINDS) * len(SURNAMES) * len(LEGAL_FORMS)
    picks = rng.choice(combos, size=n, replace=n > combos)
    out: list[str] = []
    for p in picks.tolist():
        kind, rest = divmod(p, len(SURNAMES) * len(LEGAL_FORMS))
        surname, form = divmod(rest, len(LEGAL_FORMS))
        owner = SURNAMES[surname]
        owner = owner[0].upper() + owner[1:]  # "de Vries" -> "De Vries" in a trade name
        out.append(" ".join(x for x in (EMPLOYER_KINDS[kind], owner, LEGAL_FORMS[form]) if x))
    return out
