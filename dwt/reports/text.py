"""Dutch wording and number formatting shared by the HTML and PDF renderers (pure).

Labels of codes and columns come from the schemas (`label.nl`), so the report speaks the same
words as the codebook; only report-specific phrases are written here.
"""

from __future__ import annotations

import math
from typing import Any

from dwt.schema import load_instrument, load_study

NOT_SHOWN = "–"  # no estimate (too few units, beyond follow-up, or not computed)
HIDDEN = "×"  # count hidden so that a small count cannot be recomputed from totals
NOT_DELIVERED = "niet geleverd"
TOO_FEW = "te weinig respondenten"

R_LABEL = "Behoud bij dezelfde werkgever R(t)"
E_LABEL = "Duurzame arbeidsparticipatie E(t)"
KM_EXPLAINED = (
    "Een Kaplan–Meiercurve laat zien welk deel van de plaatsingen na t maanden nog loopt; "
    "plaatsingen die nog niet zijn beëindigd tellen mee zolang we ze hebben kunnen volgen."
)
R_EXPLAINED = "R(t): het deel van de plaatsingen dat na t maanden nog bij dezelfde werkgever loopt."
E_EXPLAINED = (
    "E(t): het deel dat na t maanden nog aan het werk is; wie doorstroomt naar ander werk telt "
    "niet als uitval."
)

FACTOR_LABELS = {"hours_band": "Uren per week", "wage_value_band": "Loonwaarde (%)"}
BAND_LABELS = {
    "hours_band": {"<20": "minder dan 20", "20-31": "20 tot 32", ">=32": "32 of meer"},
    "wage_value_band": {"<50": "minder dan 50", "50-79": "50 tot 80", ">=80": "80 of meer"},
}
CHARACTERISTICS = (
    "target_group", "disability_type", "contract_type", "job_coach", "buddy_training", "gender",
)  # fmt: skip
QUALITY_OUTCOMES = {
    "accepted": "geleverd",
    "rejected": "afgewezen",
    "missing": "niet geleverd",
}
COX_REASON = "Het Cox-model is niet geschat: te weinig plaatsingen of uitval per kenmerk."
SURVIVAL_KEYS = {"retention": R_LABEL, "sustained": E_LABEL}


def disclosure_cover(disclosure: Any) -> str:
    """The cover line: k and the rounding rule the figures passed."""
    from dwt.release.rounding import DUTCH

    rule = str(disclosure.get("rounding", "none"))
    return (
        f"k = {disclosure.get('k')}; aantallen {DUTCH.get(rule, rule)}, getoond vanaf "
        f"{disclosure.get('threshold')} (regel {rule})"
    )


def rounding_explained(disclosure: Any) -> str:
    """The one paragraph that explains rounding and suppression in Dutch."""
    t = disclosure.get("threshold")
    rule = str(disclosure.get("rounding", "none"))
    k = disclosure.get("k")
    if rule == "none":
        rounding = "Aantallen worden niet afgerond."
    else:
        from dwt.release.rounding import DUTCH

        rounding = (
            f"Elk aantal is {DUTCH[rule]}, elk totaal op zichzelf (dus niet opgeteld uit "
            "afgeronde cellen); percentages zijn berekend uit afgeronde aantallen. Curven en "
            "percentages behoud komen uit een afgeronde tabel van uitval en uitstroom per maand, "
            "zodat geen stap in een curve een precies aantal verraadt. Daardoor tellen cellen "
            "niet altijd precies op tot het totaal."
        )
    return (
        f"Afscherming: een aantal van 1 tot en met {t - 1} staat er als “<{t}”. {rounding} "
        f"Een schatting over minder dan {t} eenheden wordt niet getoond. De drempel k = {k} "
        "geldt voor het hele onderzoek; alle rapporten, overzichten en samenvattingen van één "
        "stand zijn samen gecontroleerd, zodat ook uit hun combinatie geen klein aantal terug "
        "te rekenen is."
    )


def region_name(code: str) -> str:
    try:
        return load_study().region_name(code)
    except KeyError:
        return code


def column_label(instrument: str, column: str) -> str:
    """The column's Dutch label from the schema (band factors have their own)."""
    if column in FACTOR_LABELS:
        return FACTOR_LABELS[column]
    label = load_instrument(instrument).column(column).label.get("nl")
    return str(label or column)


def code_label(instrument: str, column: str, code: str) -> str:
    """The code's Dutch label from the schema ("Wajong", "Interne jobcoach", ...)."""
    if column in BAND_LABELS:
        return BAND_LABELS[column].get(code, code)
    codes = load_instrument(instrument).column(column).codes
    return str(codes.get(code, {}).get("nl", code))


def measure_label(column: str) -> str:
    label = column_label("employer_survey", column)
    return label.removeprefix("Maatregel ").capitalize()


def count(value: Any) -> str:
    """A count as shown: "<5" stays, None is a hidden count, thousands with a dot."""
    if value is None:
        return HIDDEN
    if isinstance(value, str):
        return value
    return f"{int(value):,}".replace(",", ".")


def number(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return NOT_SHOWN
    return f"{value:.{digits}f}".replace(".", ",")


def percent(value: float | None, digits: int = 0) -> str:
    return NOT_SHOWN if value is None else number(100 * value, digits) + "%"


def interval(low: float | None, high: float | None, scale: float = 100, digits: int = 0) -> str:
    """ "(47–93)"; empty when the interval is not known."""
    if low is None or high is None:
        return ""
    return f"({number(scale * low, digits)}–{number(scale * high, digits)})"


def estimate_with_ci(block: dict[str, Any] | None) -> str:
    """A survival estimate in percent with its 95% interval, or "–"."""
    if not block or block.get("estimate") is None:
        return NOT_SHOWN
    ci = interval(block.get("ci_low"), block.get("ci_high"))
    return f"{percent(block['estimate'])} {ci}".strip()


def mean_with_ci(block: dict[str, Any] | None) -> str:
    if not block or block.get("mean") is None:
        return NOT_SHOWN
    ci = interval(block.get("ci_low"), block.get("ci_high"), scale=1, digits=1)
    return f"{number(block['mean'])} {ci}".strip()


def p_value(p: float | None) -> str:
    if p is None:
        return NOT_SHOWN
    return "< 0,001" if p < 0.001 else number(p, 3)


def months(days: float | None) -> str:
    if days is None:
        return "niet bereikt"
    return number(days / load_study().month_days, 1) + " maanden"


# ---------------------------------------------------------------- recruitment targets


def recruitment_aim() -> str:
    """The recruitment aim as the study states it (study.yaml `recruitment_targets`)."""
    t = load_study().targets
    return (
        f"Per regio is het streven {t['employers_min']} tot {t['employers_max']} werkgevers te "
        f"volgen met minimaal {t['participants_min']} werknemers met een arbeidshandicap."
    )


def employers_goal_met() -> str:
    t = load_study().targets
    return f"Doel {t['employers_min']}–{t['employers_max']} gehaald"


def participants_goal_met() -> str:
    return f"Doel ≥ {load_study().targets['participants_min']} gehaald"
