"""Safe metrics -> report sections (pure: dicts in, `model` objects out, no IO).

Input is the output of `disclosure.apply_safe` (counts may be "<k" or None, estimates null when
suppressed), plus two small safe tables built in `build` (gender, data quality). Nothing here
looks at an unsuppressed figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dwt.reports import text as t
from dwt.reports.model import Figure, Paragraph, Point, Section, Series, Table, Values
from dwt.schema import load_instrument, load_study, measure_columns

AT_RISK_MONTHS = (0, 12, 24, 36)


# ---------------------------------------------------------------- curves


def series(label: str, points: Sequence[Mapping[str, Any]]) -> Series:
    """One curve with its band as the metrics give it (`ci_low`, `ci_high` per point: lifelines'
    exponential Greenwood interval); a point without an interval gets no band there."""
    month = load_study().month_days
    return Series(
        label=label,
        months=tuple(float(p["days"]) / month for p in points),
        survival=tuple(float(p["survival"]) for p in points),
        low=tuple(_bound(p, "ci_low") for p in points),
        high=tuple(_bound(p, "ci_high") for p in points),
    )


def _bound(point: Mapping[str, Any], key: str) -> float:
    value = point.get(key)
    return float(point["survival"] if value is None else value)


def km_figure(group: Mapping[str, Any], k: int) -> Figure:
    """R(t) and E(t) of one group; not drawn when the group holds fewer than k placements."""
    drawn: list[Series] = []
    missing: list[str] = []
    for key, label in (("curve", t.R_LABEL), ("sustained_curve", t.E_LABEL)):
        points = group.get(key) or []
        if group.get("curves_suppressed") or len(points) < 2:
            missing.append(label)
        else:
            drawn.append(series(label, points))
    return Figure(
        title="Kaplan–Meiercurven",
        series=tuple(drawn),
        caption=(
            "Gekleurde banden: 95%-betrouwbaarheidsinterval. Een curve stopt waar minder dan "
            f"{k} plaatsingen nog gevolgd worden."
        ),
        not_drawn=tuple(missing),
        omitted=_not_drawn(missing, f"minder dan {k} plaatsingen"),
        alt=_alt(
            "Lijngrafiek van het deel van de plaatsingen dat na t maanden nog loopt",
            [s.label for s in drawn],
        ),
    )


def regions_figure(metrics: Mapping[str, Any], k: int) -> Figure:
    """R(t) per region side by side; a region with fewer than k placements is not drawn."""
    drawn: list[Series] = []
    missing: list[str] = []
    for code, group in sorted(metrics["regions"].items()):
        points = group.get("curve") or []
        if group.get("curves_suppressed") or len(points) < 2:
            missing.append(t.region_name(code))
        else:
            drawn.append(series(t.region_name(code), points))
    return Figure(
        title=f"{t.R_LABEL} per regio",
        series=tuple(drawn),
        caption=f"Een regio met minder dan {k} plaatsingen krijgt geen curve.",
        not_drawn=tuple(missing),
        omitted=_not_drawn(missing, f"minder dan {k} plaatsingen"),
        alt=_alt(f"Lijngrafiek van {t.R_LABEL} per regio", [s.label for s in drawn]),
    )


# ---------------------------------------------------------------- charts (from the safe tree)


def _not_drawn(labels: Sequence[str], reason: str) -> str:
    """The caption's sentence naming what a chart leaves out, and why."""
    return f"Niet getekend ({reason}): {', '.join(labels)}." if labels else ""


def _alt(what: str, drawn: Sequence[str]) -> str:
    """Alt text: what the chart shows, what is drawn, and where its numbers are."""
    shown = f" Getekend: {', '.join(drawn)}." if drawn else " Er is niets getekend."
    return f"{what}.{shown} De getallen staan in de tabel bij deze grafiek."


def _estimate(category: str, block: Mapping[str, Any] | None, key: str = "estimate") -> Point:
    """A safe estimate as a point; None (suppressed, hidden, beyond follow-up) is not drawn."""
    block = block or {}
    value = block.get(key)
    if value is None:
        return Point(category, None)
    return Point(category, float(value), _float(block.get("ci_low")), _float(block.get("ci_high")))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def retention_dots(
    title: str, rows: Sequence[tuple[str, Mapping[str, Any]]], k: int, unit: str, per: str
) -> Figure:
    """R(12) and R(24) with their intervals per row (a factor level, a region).

    `rows`: (label, the row's `retention` block). A row with neither estimate shown is left
    out of the chart (the caption names it); an estimate not shown gets no marker.
    """
    kept: list[tuple[Point, Point]] = []
    missing: list[str] = []
    for label, retention in rows:
        r12, r24 = (_estimate(label, (retention or {}).get(h)) for h in ("12", "24"))
        if r12.value is None and r24.value is None:
            missing.append(label)
        else:
            kept.append((r12, r24))
    values = tuple(
        Values(f"R({h})", tuple(pair[i] for pair in kept)) for i, h in enumerate((12, 24))
    )
    return Figure(
        title=title,
        chart="dots",
        values=values,
        axis="Deel van de plaatsingen nog bij dezelfde werkgever",
        caption=(
            "Stip: R(12), ruit: R(24); lijn: 95%-betrouwbaarheidsinterval. Een stip ontbreekt "
            "waar de schatting niet getoond wordt."
        ),
        not_drawn=tuple(missing),
        omitted=(
            f"Niet getekend: {len(missing)} {unit} zonder getoonde schatting (minder dan {k} "
            "plaatsingen, of nog niemand zo lang gevolgd); de tabel noemt ze."
            if missing
            else ""
        ),
        alt=_alt(
            f"Stippengrafiek van R(12) en R(24) met 95%-interval per {per}",
            [a.category for a, _ in kept],
        ),
    )


def factors_figure(factors: Mapping[str, Any], k: int) -> Figure:
    """R(12) and R(24) per factor level (levels without placements are not rows at all)."""
    rows = [
        (
            f"{t.column_label('placements', column)}: {t.code_label('placements', column, lv)}",
            level.get("retention") or {},
        )
        for column, factor in factors.items()
        for lv, level in factor["levels"].items()
        if level.get("n") != 0
    ]
    return retention_dots("Behoud na 12 en 24 maanden per kenmerk", rows, k, "niveaus", "niveau")


def cox_figure(cox: Mapping[str, Any], k: int) -> Figure:
    """Forest plot of the shown hazard ratios; the terms the release withheld are counted."""
    points = []
    for term, hr in sorted((cox.get("hazard_ratios") or {}).items()):
        column, _, level = term.partition("=")
        ref = (cox.get("reference") or {}).get(column, "")
        label = (
            f"{t.column_label('placements', column)}: "
            f"{t.code_label('placements', column, level)} t.o.v. "
            f"{t.code_label('placements', column, ref)}"
        )
        points.append(_estimate(label, {**hr, "estimate": hr.get("hr")}))
    hidden = int(cox.get("suppressed_terms") or 0)
    return Figure(
        title="Hazard ratio's van het Cox-model",
        chart="forest",
        values=(Values("Hazard ratio", tuple(points)),),
        axis="Hazard ratio met 95%-interval (logaritmische schaal)",
        caption=(
            "Rechts van de stippellijn (1): plaatsingen met dat kenmerk eindigen sneller dan in "
            "de referentiegroep; links: ze duren langer."
        ),
        omitted=(
            f"Niet getekend: {hidden} vergelijking{'en' if hidden != 1 else ''} waarin een "
            f"niveau of de referentiegroep minder dan {k} plaatsingen of uitvallers heeft."
            if hidden
            else ""
        ),
        alt=_alt(
            "Forest plot van de hazard ratio's met 95%-interval",
            [p.category for p in points if p.value is not None],
        ),
    )


def trajectories_figure(traj: Mapping[str, Any], waves: Sequence[str], k: int) -> Figure:
    """Mean per wave with its 95% band, one panel per item on the item's own scale."""
    inst = load_instrument("employee_survey")
    panels = []
    missing: list[str] = []
    for item in load_study().trajectory_items:
        label = t.column_label("employee_survey", item)
        points = tuple(_estimate(w, traj.get(item, {}).get(w), key="mean") for w in waves)
        missing += [f"{label} {p.category}" for p in points if p.value is None]
        scale = inst.column(item).range
        panels.append(
            Values(
                label,
                points,
                panel=label,
                scale=(float(scale["min"]), float(scale["max"])) if scale else None,
            )
        )
    return Figure(
        title="Gemiddelde per meting",
        chart="lines",
        values=tuple(panels),
        caption="Lijn: gemiddelde; band: 95%-betrouwbaarheidsinterval. Elk onderwerp op zijn "
        "eigen schaal.",
        not_drawn=tuple(missing),
        omitted=_not_drawn(missing, f"minder dan {k} respondenten"),
        alt=_alt(
            "Lijngrafieken van het gemiddelde per meting",
            [v.label for v in panels if any(p.value is not None for p in v.points)],
        ),
    )


def response_figure(detail: Mapping[str, Any], waves: Sequence[str], k: int) -> Figure:
    """Response rate per wave of the employee and employer surveys (no bar when not shown)."""
    series = []
    missing: list[str] = []
    for inst, label in (("employee_survey", "Werknemers"), ("employer_survey", "Werkgevers")):
        rows = detail.get(inst, {})
        points = []
        for w in waves:
            row = rows.get(w) or {}
            rate = row.get("rate") if row.get("delivered") else None
            points.append(Point(w, _float(rate)))
            if rate is None:
                why = (
                    "niet geleverd" if not row.get("delivered") else "te weinig voor een percentage"
                )
                missing.append(f"{label.lower()} {w} ({why})")
        series.append(Values(label, tuple(points)))
    return Figure(
        title="Respons per meting",
        chart="bars",
        values=tuple(series),
        axis="Respons",
        caption=f"Een respons wordt getoond bij minstens {k} werknemers of werkgevers in "
        "aanmerking.",
        not_drawn=tuple(missing),
        omitted=f"Niet getekend: {', '.join(missing)}." if missing else "",
        alt=_alt(
            "Staafdiagram van de respons per meting",
            [
                f"{v.label.lower()} {p.category}"
                for v in series
                for p in v.points
                if p.value is not None
            ],
        ),
    )


def risk_figure(risk: Mapping[str, Any], waves: Sequence[str], k: int) -> Figure:
    """Share of contacts with risk oranje or rood per wave (no bar when not shown)."""
    points = tuple(Point(w, _float((risk.get(w) or {}).get("share"))) for w in waves)
    missing = [p.category for p in points if p.value is None]
    return Figure(
        title="Aandeel contacten met risico oranje of rood",
        chart="bars",
        values=(Values("Oranje of rood", points),),
        axis="Deel van de contacten",
        caption="Risico-inschatting van de arbeidsdeskundige per contact.",
        not_drawn=tuple(missing),
        omitted=_not_drawn(missing, f"minder dan {k} contacten"),
        alt=_alt(
            "Staafdiagram van het aandeel contacten met risico oranje of rood per meting",
            [p.category for p in points if p.value is not None],
        ),
    )


def regions_retention_figure(metrics: Mapping[str, Any], k: int) -> Figure:
    """R(12) and R(24) with intervals of every region and of all regions, side by side."""
    rows = [
        (t.region_name(code), g.get("retention") or {})
        for code, g in sorted(metrics["regions"].items())
    ]
    rows.append(("Alle regio's", metrics["all"].get("retention") or {}))
    return retention_dots("Behoud na 12 en 24 maanden per regio", rows, k, "regio's", "regio")


def at_risk_table(group: Mapping[str, Any]) -> Table:
    """Numbers still followed at 0, 12, 24 and 36 months (small numbers shown as "<k")."""
    cells = [t.count(group.get("placements"))]
    for h in AT_RISK_MONTHS[1:]:
        cells.append(t.count((group.get("retention") or {}).get(str(h), {}).get("at_risk")))
    return Table(
        columns=("Maanden", *(str(m) for m in AT_RISK_MONTHS)),
        rows=(("Aantal plaatsingen nog gevolgd", *cells),),
        caption="Aantal plaatsingen onder observatie",
        numeric=tuple(range(1, len(AT_RISK_MONTHS) + 1)),
    )


# ---------------------------------------------------------------- sections of a region


def recruitment_section(group: Mapping[str, Any]) -> Section:
    rec = group.get("recruitment") or {}
    emp_t, part_t = rec.get("employers_target", {}), rec.get("participants_target", {})
    emp_status = {"below": "onder het doel", "above": "boven het doel", "within": "binnen het doel"}
    rows = (
        (
            "Werkgevers",
            t.count(group.get("employers")),
            f"{emp_t.get('min')}–{emp_t.get('max')}",
            emp_status.get(str(rec.get("employers_status")), t.NOT_SHOWN),
        ),
        (
            "Werknemers (met een arbeidshandicap)",
            t.count(group.get("participants")),
            f"minimaal {part_t.get('min')}",
            "doel gehaald" if rec.get("participants_met") else "nog niet gehaald",
        ),
        ("Plaatsingen", t.count(group.get("placements")), "", ""),
    )
    return Section(
        "Werving",
        (
            Paragraph(t.recruitment_aim()),
            Table(("", "Aantal", "Doel", "Stand"), rows, numeric=(1,)),
        ),
        "werving",
    )


def recruitment_overview_section(metrics: Mapping[str, Any]) -> Section:
    """Recruitment of every region against the targets."""
    rows = []
    for code, group in sorted(metrics["regions"].items()):
        rec = group.get("recruitment") or {}
        rows.append(
            (
                t.region_name(code),
                t.count(group.get("employers")),
                "ja" if rec.get("employers_met") else "nee",
                t.count(group.get("participants")),
                "ja" if rec.get("participants_met") else "nee",
            )
        )
    return Section(
        "Werving",
        (
            Paragraph(t.recruitment_aim()),
            Table(
                (
                    "Regio",
                    "Werkgevers",
                    t.employers_goal_met(),
                    "Werknemers",
                    t.participants_goal_met(),
                ),
                tuple(rows),
                numeric=(1, 3),
            ),
        ),
        "werving",
    )


def _response_cells(row: Mapping[str, Any] | None) -> tuple[str, str, str]:
    if not row or not row.get("delivered"):
        return (t.NOT_DELIVERED, "", "")
    return (t.count(row.get("respondents")), t.count(row.get("eligible")), t.percent(row["rate"]))


def response_section(group: Mapping[str, Any], k: int) -> Section:
    detail = (group.get("response") or {}).get("detail", {})
    employee, employer = detail.get("employee_survey", {}), detail.get("employer_survey", {})
    rows = tuple(
        (w, *_response_cells(employee.get(w)), *_response_cells(employer.get(w)))
        for w in sorted(set(employee) | set(employer))
    )
    columns = (
        "Meting",
        "Werknemers: respondenten",
        "in aanmerking",
        "respons",
        "Werkgevers: respondenten",
        "in aanmerking",
        "respons",
    )
    return Section(
        "Respons per meting",
        (
            Paragraph(
                "Respons: het aantal ingevulde vragenlijsten gedeeld door het aantal werknemers "
                "(of werkgevers) met een plaatsing die in dat jaar liep. Een vragenlijst die niet "
                "is aangeleverd heeft geen responspercentage."
            ),
            response_figure(detail, sorted(set(employee) | set(employer)), k),
            Table(columns, rows, numeric=(1, 2, 3, 4, 5, 6)),
        ),
        "respons",
    )


def characteristics_section(
    group: Mapping[str, Any], gender: Sequence[tuple[str, Any]] | None, k: int
) -> Section:
    """Counts per level of the placement characteristics, small counts as "<k"."""
    factors = group.get("factors") or {}
    rows: list[tuple[str, str, str]] = []
    for column in t.CHARACTERISTICS:
        label = t.column_label("placements", column)
        if column == "gender":
            levels = [(c, n) for c, n in gender or []]
            missing = None
        elif column in factors:
            levels = [(lv, level.get("n")) for lv, level in factors[column]["levels"].items()]
            missing = factors[column].get("n_missing")
        else:
            continue
        for i, (code, n) in enumerate(levels):
            rows.append((label if i == 0 else "", t.code_label("placements", column, code),
                         t.count(n)))  # fmt: skip
        if missing not in (0, None):
            rows.append(("", "Niet ingevuld", t.count(missing)))
    return Section(
        "Kenmerken van plaatsingen en werknemers",
        (
            Paragraph(
                f"Aantallen plaatsingen per kenmerk. Kleine aantallen staan er als “<{k}”; een “×” "
                "is afgeschermd zodat zo'n klein aantal niet uit de totalen terug te rekenen is."
            ),
            Table(("Kenmerk", "Niveau", "Aantal"), tuple(rows), numeric=(2,)),
            Paragraph(f"Totaal aantal plaatsingen: {t.count(group.get('placements'))}."),
        ),
        "kenmerken",
    )


def survival_section(group: Mapping[str, Any], k: int) -> Section:
    rows = []
    for key, label in t.SURVIVAL_KEYS.items():
        block = group.get(key) or {}
        median = group.get("median_days" if key == "retention" else "sustained_median_days")
        cells = [t.estimate_with_ci(block.get(str(h))) for h in AT_RISK_MONTHS[1:]]
        shown = not group.get("curves_suppressed")
        rows.append((label, *cells, t.months(median) if shown else t.NOT_SHOWN))
    table = Table(
        ("", "12 maanden", "24 maanden", "36 maanden", "Mediane duur"),
        tuple(rows),
        caption="Geschat percentage (95%-betrouwbaarheidsinterval)",
        note="– : geen schatting (te weinig plaatsingen, of nog niemand zo lang gevolgd).",
        numeric=(1, 2, 3, 4),
    )
    return Section(
        "Duurzaamheid van plaatsingen",
        (
            Paragraph(t.KM_EXPLAINED),
            Paragraph(t.R_EXPLAINED),
            Paragraph(t.E_EXPLAINED),
            km_figure(group, k),
            at_risk_table(group),
            table,
        ),
        "duurzaamheid",
    )


def _factor_rows(factors: Mapping[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for column, factor in factors.items():
        label = t.column_label("placements", column)
        p = t.p_value((factor.get("logrank") or {}).get("p"))
        for i, (lv, level) in enumerate(factor["levels"].items()):
            retention = level.get("retention") or {}
            rows.append(
                (
                    label if i == 0 else "",
                    t.code_label("placements", column, lv),
                    t.count(level.get("n")),
                    t.estimate_with_ci(retention.get("12")),
                    t.estimate_with_ci(retention.get("24")),
                    p if i == 0 else "",
                )
            )
    return rows


def _cox_blocks(cox: Mapping[str, Any], k: int) -> list[Paragraph | Table | Figure]:
    if not cox.get("fitted"):
        return [Paragraph(t.COX_REASON)]
    rows = []
    for term, hr in sorted(cox.get("hazard_ratios", {}).items()):
        column, _, level = term.partition("=")
        ref = (cox.get("reference") or {}).get(column, "")
        rows.append(
            (
                t.column_label("placements", column),
                f"{t.code_label('placements', column, level)} t.o.v. "
                f"{t.code_label('placements', column, ref)}",
                t.number(hr.get("hr"), 2),
                t.interval(hr.get("ci_low"), hr.get("ci_high"), scale=1, digits=2),
                t.p_value(hr.get("p")),
            )
        )
    return [
        Paragraph(
            "Cox-model: een hazard ratio boven 1 betekent dat plaatsingen met dat kenmerk sneller "
            "eindigen dan die in de referentiegroep, onder 1 dat ze langer duren."
        ),
        cox_figure(cox, k),
        Table(
            ("Kenmerk", "Vergelijking", "Hazard ratio", "95%-interval", "p"),
            tuple(rows),
            numeric=(2, 3, 4),
        ),
    ]


def factors_section(group: Mapping[str, Any], k: int) -> Section:
    table = Table(
        ("Kenmerk", "Niveau", "Aantal", "R(12)", "R(24)", "Log-rank p"),
        tuple(_factor_rows(group.get("factors") or {})),
        caption="Behoud bij dezelfde werkgever na 12 en 24 maanden per kenmerk",
        note="Log-rank p: toets of de curven van de niveaus van een kenmerk verschillen.",
        numeric=(2, 3, 4, 5),
    )
    return Section(
        "Factoren die samenhangen met duurzaamheid",
        (
            factors_figure(group.get("factors") or {}, k),
            table,
            *_cox_blocks(group.get("cox") or {}, k),
        ),
        "factoren",
    )


def trajectories_section(group: Mapping[str, Any], k: int) -> Section:
    traj = group.get("trajectories") or {}
    waves = sorted({w for item in traj.values() for w in item})
    rows = []
    for w in waves:
        cells = []
        for item in load_study().trajectory_items:
            block = traj.get(item, {}).get(w) or {}
            too_few = block.get("suppressed") and block.get("n") not in (0, None)
            cells.append(t.TOO_FEW if too_few else t.mean_with_ci(block))
        n = traj.get(load_study().trajectory_items[0], {}).get(w, {}).get("n")
        rows.append((w, t.count(n), *cells))
    labels = tuple(
        t.column_label("employee_survey", item) for item in load_study().trajectory_items
    )
    return Section(
        "Werkvermogen, tevredenheid en gezondheid",
        (
            Paragraph(
                "Gemiddelde per meting met 95%-betrouwbaarheidsinterval. Werkvermogen op een "
                "schaal van 0 tot 10, tevredenheid en gezondheid van 1 tot 5. Bij minder dan "
                f"{k} respondenten wordt geen gemiddelde getoond."
            ),
            trajectories_figure(traj, waves, k),
            Table(("Meting", "Respondenten", *labels), tuple(rows), numeric=(1, 2, 3, 4)),
        ),
        "trajecten",
    )


def measures_section(group: Mapping[str, Any]) -> Section:
    measures = group.get("measures") or {}
    waves = sorted(measures)
    shown = {m for row in measures.values() for m in row}
    names = [m for m in measure_columns() if m in shown]
    rows = [("Respondenten", *(t.count(measures[w].get("respondents")) for w in waves))]
    for m in names:
        rows.append((t.measure_label(m), *(t.percent(measures[w][m].get("share")) for w in waves)))
    return Section(
        "Maatregelen van werkgevers",
        (
            Paragraph(
                "Aandeel van de werkgevers die de vragenlijst invulden dat de maatregel nam."
            ),
            Table(("Maatregel", *waves), tuple(rows), numeric=tuple(range(1, len(waves) + 1))),
        ),
        "maatregelen",
    )


def monitoring_section(group: Mapping[str, Any], k: int) -> Section:
    mon = group.get("monitoring") or {}
    contacts = mon.get("contacts", {})
    waves = sorted(contacts)
    inst = load_instrument("contacts")
    types = list(inst.column("contact_type").codes)
    numeric = tuple(range(1, len(waves) + 1))
    rows = [
        (
            t.code_label("contacts", "contact_type", ct),
            *(t.count(contacts[w].get(ct)) for w in waves),
        )
        for ct in types
    ]
    rows.append(("Totaal", *(t.count(contacts[w].get("total")) for w in waves)))
    risk = mon.get("risk_oranje_rood", {})
    rows.append(
        ("Aandeel oranje of rood", *(t.percent((risk.get(w) or {}).get("share")) for w in waves))
    )
    signals = mon.get("signals", {})
    by_wave, total = signals.get("by_wave", {}), signals.get("total", {})
    sig_rows = [
        (
            t.code_label("contacts", "signals", s),
            *(t.count(by_wave.get(w, {}).get(s)) for w in waves),
            t.count(total.get(s)),
        )
        for s in inst.column("signals").codes
    ]
    return Section(
        "Monitoring door de arbeidsdeskundige",
        (
            Paragraph(
                "Geregistreerde contacten van de arbeidsdeskundige met werkgevers en werknemers, "
                "het aandeel contacten met risico-inschatting oranje of rood, en hoe vaak elk "
                "signaal werd genoemd."
            ),
            risk_figure(risk, waves, k),
            Table(
                ("Contactvorm", *waves),
                tuple(rows),
                caption="Contacten per meting",
                numeric=numeric,
            ),
            Table(
                ("Signaal", *waves, "Totaal"),
                tuple(sig_rows),
                caption="Signalen",
                numeric=(*numeric, len(waves) + 1),
            ),
        ),
        "monitoring",
    )


# ---------------------------------------------------------------- comparison and quality


COMPARISON_COLUMNS = (
    "Regio",
    "Plaatsingen",
    "Werkgevers",
    "Werknemers",
    "R(12)",
    "R(24)",
    "E(12)",
    "E(24)",
)


def comparison_table(metrics: Mapping[str, Any], highlight: str | None = None) -> Table:
    """Key figures of every region and of all regions together."""
    rows = []
    groups = [(code, t.region_name(code), g) for code, g in sorted(metrics["regions"].items())]
    groups.append(("all", "Alle regio's", metrics["all"]))
    for code, name, g in groups:
        mark = " (deze regio)" if code == highlight else ""
        rows.append(
            (
                name + mark,
                t.count(g.get("placements")),
                t.count(g.get("employers")),
                t.count(g.get("participants")),
                *(
                    t.estimate_with_ci((g.get(key) or {}).get(h))
                    for key in ("retention", "sustained")
                    for h in ("12", "24")
                ),
            )
        )
    return Table(COMPARISON_COLUMNS, tuple(rows), numeric=(1, 2, 3, 4, 5, 6, 7))


def comparison_section(metrics: Mapping[str, Any], region: str | None) -> Section:
    return Section(
        "De regio naast alle regio's",
        (
            Paragraph("Kerncijfers per regio; percentages met 95%-betrouwbaarheidsinterval."),
            comparison_table(metrics, region),
            regions_retention_figure(metrics, int(metrics["disclosure"]["threshold"])),
        ),
        "vergelijking",
    )


def quality_section(quality: Mapping[str, Any]) -> Section:
    """Appendix: files accepted, rejected and missing; rows quarantined per reason."""
    return Section(
        "Bijlage: datakwaliteit",
        (
            Paragraph(
                "Per meting en vragenlijst: of het bestand is geleverd, hoeveel rijen het had, "
                "hoeveel zijn opgenomen en hoeveel in quarantaine zijn gezet omdat ze niet aan de "
                "regels voldeden. Daaronder de redenen (een rij kan meer redenen hebben)."
            ),
            Table(
                ("Meting", "Vragenlijst", "Levering", "Rijen geleverd", "In quarantaine"),
                tuple(tuple(r) for r in quality["files"]),
                caption="Leveringen",
                numeric=(3, 4),
            ),
            Table(
                ("Vragenlijst", "Reden", "Rijen"),
                tuple(tuple(r) for r in quality["reasons"]) or (("–", "geen", "0"),),
                caption="Rijen in quarantaine of gemarkeerd, per reden",
                numeric=(2,),
            ),
        ),
        "datakwaliteit",
    )


def legend(disclosure: Mapping[str, Any]) -> Paragraph:
    t_ = int(disclosure["threshold"])
    return Paragraph(
        f"Tekens: “<{t_}” een aantal van 1 tot en met {t_ - 1}; “×” afgeschermd aantal (anders "
        f"is een klein aantal terug te rekenen); “–” geen schatting. Percentages over minder dan "
        f"{t_} plaatsingen of respondenten worden niet getoond."
    )


def about_section(disclosure: Mapping[str, Any]) -> Section:
    """What the report is, how its figures are protected (once, in Dutch), and the legend."""
    return Section(
        "Over dit rapport",
        (
            Paragraph(_about(int(disclosure["threshold"]))),
            Paragraph(t.rounding_explained(disclosure)),
            legend(disclosure),
        ),
        "over",
    )


INTERVIEW_TYPES = (("interview", "Interviews"), ("focusgroep", "Focusgroepen"),
                   ("werkplekobservatie", "Werkplekobservaties"))  # fmt: skip


def _factor_labels() -> dict[str, str]:
    from dwt.schema import load_code_system

    system = load_code_system("code_system")
    return {f: system.node(f).label.get("nl", f) for f in system.factors}


def interview_factors_figure(block: Mapping[str, Any], k: int) -> Figure:
    """Diverging bars: per factor the share of the coded employers naming it bevorderend (to
    the right) and belemmerend (to the left); a share the release does not show is not drawn."""
    labels = _factor_labels()
    by_factor = (block.get("factors") or {}).get("by_factor") or {}
    rows = [(labels.get(f, f), row) for f, row in by_factor.items()]
    right = tuple(Point(name, _float(row.get("share_bevorderend"))) for name, row in rows)
    left = tuple(Point(name, _float(row.get("share_belemmerend"))) for name, row in rows)
    missing = [p.category for p, q in zip(right, left, strict=True) if p.value is None
               and q.value is None]  # fmt: skip
    return Figure(
        title="Factoren die werkgevers noemen",
        chart="diverging",
        values=(Values("bevorderend", right), Values("belemmerend", left)),
        axis="Deel van de werkgevers met gecodeerde gesprekken",
        caption=(
            "Rechts het deel van de werkgevers dat de factor als bevorderend noemt, links als "
            "belemmerend; een werkgever kan beide noemen."
        ),
        not_drawn=tuple(missing),
        omitted=(
            f"Niet getekend: {', '.join(missing)} (minder dan {k} werkgevers met gecodeerde "
            "gesprekken, of een aantal dat verborgen blijft)."
            if missing
            else ""
        ),
        alt=_alt(
            "Gespiegelde staafgrafiek: per factor het deel van de werkgevers dat hem "
            "bevorderend en belemmerend noemt",
            [p.category for p in right if p.value is not None],
        ),
    )


def interviews_section(block: Mapping[str, Any] | None, k: int) -> Section:
    """Chapter "Wat werkgevers en werknemers noemen": interviews, focus groups and observations
    held, the factors coded in them, and their link with durability (release figures only)."""
    title, anchor = "Wat werkgevers en werknemers noemen", "interviews"
    if not block:
        return Section(title, (Paragraph("Er zijn (nog) geen interviews of focusgroepen "
                                         "geleverd."),), anchor)  # fmt: skip
    docs = block.get("documents") or {}
    held = Table(
        ("Meting", *(label for _, label in INTERVIEW_TYPES), "Totaal"),
        tuple(
            (w, *(t.count(row.get(code)) for code, _ in INTERVIEW_TYPES), t.count(row.get("total")))
            if row.get("delivered", True)
            else (w, *([t.NOT_DELIVERED] * (len(INTERVIEW_TYPES) + 1)))
            for w, row in sorted((docs.get("by_wave") or {}).items())
        ),
        caption="Gehouden gesprekken per meting (een focusgroep telt als één gesprek)",
        numeric=tuple(range(1, len(INTERVIEW_TYPES) + 2)),
    )
    labels = _factor_labels()
    factors = block.get("factors") or {}
    named = Table(
        ("Factor", "Bevorderend", "%", "Belemmerend", "%"),
        tuple(
            (
                labels.get(f, f),
                t.count(row.get("bevorderend")),
                t.percent(row.get("share_bevorderend")),
                t.count(row.get("belemmerend")),
                t.percent(row.get("share_belemmerend")),
            )
            for f, row in (factors.get("by_factor") or {}).items()
        ),
        caption=(
            f"Werkgevers die een factor noemen, van de {t.count(factors.get('employers'))} "
            "werkgevers met gecodeerde gesprekken"
        ),
        numeric=(1, 2, 3, 4),
    )
    link = Table(
        (
            "Factor",
            "R(24) noemt bevorderend",
            "Aantal",
            "R(24) overige werkgevers",
            "Aantal",
            "Log-rank p",
        ),
        tuple(
            (
                labels.get(f, f),
                t.estimate_with_ci((row["named"].get("retention") or {}).get("24")),
                t.count(row["named"].get("placements")),
                t.estimate_with_ci((row["not_named"].get("retention") or {}).get("24")),
                t.count(row["not_named"].get("placements")),
                t.p_value((row.get("logrank") or {}).get("p")),
            )
            for f, row in (block.get("durability") or {}).items()
        ),
        caption=(
            "Behoud na 24 maanden van plaatsingen bij werkgevers die een factor als bevorderend "
            "noemen, tegenover de andere werkgevers met gecodeerde gesprekken"
        ),
        note=(
            f"Een toets wordt alleen getoond als beide groepen minstens {k} plaatsingen en "
            f"{k} uitvallers hebben."
        ),
        numeric=(1, 2, 3, 4, 5),
    )
    intro = Paragraph(
        "Onderzoekers coderen de interviews, focusgroepen en werkplekobservaties met een vaste "
        "codeboom van factoren (bevorderend, belemmerend of neutraal). Per werkgever tellen "
        "alleen gesprekken met die ene werkgever; een focusgroep met meerdere werkgevers telt "
        "als gesprek, maar niet per werkgever. Er staat geen tekst uit de gesprekken in dit "
        "rapport, alleen de codes."
    )
    return Section(title, (intro, held, interview_factors_figure(block, k), named, link), anchor)


def region_sections(
    metrics: Mapping[str, Any],
    region: str,
    k: int,
    gender: Sequence[tuple[str, Any]] | None,
    quality: Mapping[str, Any],
) -> tuple[Section, ...]:
    group = metrics["regions"][region]
    k = int(metrics["disclosure"]["threshold"])  # the wording speaks of the shown threshold
    return (
        about_section(metrics["disclosure"]),
        recruitment_section(group),
        response_section(group, k),
        characteristics_section(group, gender, k),
        survival_section(group, k),
        factors_section(group, k),
        trajectories_section(group, k),
        measures_section(group),
        monitoring_section(group, k),
        interviews_section(((metrics.get("interviews") or {}).get("regions") or {}).get(region), k),
        comparison_section(metrics, region),
        quality_section(quality),
    )


def overview_sections(
    metrics: Mapping[str, Any],
    k: int,
    gender: Sequence[tuple[str, Any]] | None,
    quality: Mapping[str, Any],
) -> tuple[Section, ...]:
    pooled = metrics["all"]
    k = int(metrics["disclosure"]["threshold"])  # the wording speaks of the shown threshold
    per_region = Section(
        "Regio's naast elkaar",
        (
            Paragraph("Kerncijfers per regio; percentages met 95%-betrouwbaarheidsinterval."),
            comparison_table(metrics),
            regions_retention_figure(metrics, k),
            regions_figure(metrics, k),
        ),
        "vergelijking",
    )
    return (
        about_section(metrics["disclosure"]),
        per_region,
        recruitment_overview_section(metrics),
        response_section(pooled, k),
        characteristics_section(pooled, gender, k),
        survival_section(pooled, k),
        factors_section(pooled, k),
        trajectories_section(pooled, k),
        measures_section(pooled),
        monitoring_section(pooled, k),
        interviews_section((metrics.get("interviews") or {}).get("all"), k),
        quality_section(quality),
    )


def _about(k: int) -> str:
    return (
        "Dit rapport beschrijft hoe duurzaam de plaatsingen van werknemers met een "
        "arbeidshandicap bij reguliere werkgevers zijn in het onderzoek Duurzaam Werk(t) van de "
        "NVvA en het Arbeidsdeskundig Kennis Centrum. Alle cijfers zijn berekend op "
        "gepseudonimiseerde gegevens en afgeschermd volgens de afspraken van het onderzoek: "
        f"aantallen onder {k} en gemiddelden of percentages over minder dan {k} eenheden worden "
        "niet getoond."
    )
