"""The row rules a schema implies, as plain data with value-free reasons (pure).

`prepare` and `suites` both read this module, so the names of derived columns and the
wording of reasons exist once. A rule never carries a data value: only column names, codes
and bounds from the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from dwt.schema import Column, Instrument

RuleKind = Literal["not_null", "null", "in_set", "between", "regex", "a_ge_b"]
WhenOp = Literal["present", "absent", "in", "not_in", "equals"]

COLUMN_REF = "column:"

# Symbolic date windows whose two ends share one reason: a date is simply "outside" them.
_WINDOWS = {
    ("fieldwork_start", "fieldwork_end"): "outside fieldwork window",
    ("wave_start", "wave_end"): "outside wave year",
}
# Symbolic single bounds with a wording of their own: (below it, above it).
_BOUND_WORDS = {"reference_date": ("before reference date", "after reference date")}


def present_column(name: str) -> str:
    """Derived flag that replaces an identifier: True where a value was delivered."""
    return f"{name}__present"


def elfproef_column(name: str) -> str:
    """Derived flag for a BSN: True/False where present, <NA> where empty."""
    return f"{name}__elfproef"


def pattern_column(name: str) -> str:
    """Derived flag for an identifier with a pattern: True/False where present, <NA> where empty."""
    return f"{name}__pattern"


def known_codes_column(name: str) -> str:
    """Derived flag for a code list: True when every code in the list is known."""
    return f"{name}__known"


def bound_column(name: str, side: str) -> str:
    """Per-row date bound (it depends on the row's wave)."""
    return f"{name}__{side}"


def column_ref(bound: Any) -> str | None:
    """`column:<name>` bounds name another column of the same row."""
    if isinstance(bound, str) and bound.startswith(COLUMN_REF):
        return bound[len(COLUMN_REF) :]
    return None


@dataclass(frozen=True)
class When:
    """A row condition on one column, in the schema's terms."""

    column: str
    op: WhenOp
    values: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One expectation: `kind` on the GX-frame column `target`, failing rows get `reason`."""

    kind: RuleKind
    column: str
    target: str
    reason: str
    params: dict[str, Any] = field(default_factory=dict)
    when: When | None = None


def row_rules(instrument: Instrument) -> list[Rule]:
    """Every row rule of an instrument, in schema order."""
    rules: list[Rule] = []
    for col in instrument.columns:
        if col.is_identifier:
            rules += _identifier_rules(col)
        elif col.in_research_zone:
            rules += _research_rules(col)
        # restricted columns (free text, employer name) are never validated nor shown to GX
    return rules


def date_bound_tokens(col: Column) -> dict[str, str]:
    """Symbolic (non-column) date bounds of a date column: side -> token."""
    if col.type != "date":
        return {}
    return {
        side: str(col.range[side])
        for side in ("min", "max")
        if side in col.range and column_ref(col.range[side]) is None
    }


def _identifier_rules(col: Column) -> list[Rule]:
    rules: list[Rule] = []
    if col.required:
        rules.append(
            Rule("in_set", col.name, present_column(col.name), f"{col.name}: required",
                 {"value_set": [True]})
        )  # fmt: skip
    if col.type == "bsn":
        rules.append(
            Rule("in_set", col.name, elfproef_column(col.name), f"{col.name}: fails 11-proef",
                 {"value_set": [True]})
        )  # fmt: skip
    if col.pattern:
        # GX sees whether the identifier matches, never the identifier itself
        rules.append(
            Rule("in_set", col.name, pattern_column(col.name),
                 f"{col.name}: does not match pattern", {"value_set": [True]})
        )  # fmt: skip
    return rules


def _research_rules(col: Column) -> list[Rule]:
    return [
        *_presence_rules(col),
        *_code_rules(col),
        *_range_rules(col),
        *_pattern_rules(col),
    ]


def _presence_rules(col: Column) -> list[Rule]:
    name = col.name
    rules: list[Rule] = []
    if col.required:
        rules.append(Rule("not_null", name, name, f"{name}: required"))
    if col.required_iff:
        cond = _when(col.required_iff)
        rules.append(Rule("not_null", name, name, _required_reason(name, cond), when=cond))
        rules.append(
            Rule("null", name, name, f"{name}: must be empty when {_describe(_negate(cond))}",
                 when=_negate(cond))
        )  # fmt: skip
    if col.absent_if:
        cond = _when(col.absent_if)
        rules.append(
            Rule("null", name, name, f"{name}: must be empty when {_describe(cond)}", when=cond)
        )
    return rules


def _code_rules(col: Column) -> list[Rule]:
    if not col.codes:
        return []
    reason = f"{col.name}: unknown code"
    if col.type == "code_list":
        # GX cannot test list cells; prepare() reduces each list to one known/unknown flag.
        return [
            Rule("in_set", col.name, known_codes_column(col.name), reason, {"value_set": [True]})
        ]
    return [Rule("in_set", col.name, col.name, reason, {"value_set": list(col.codes)})]


def _range_rules(col: Column) -> list[Rule]:
    if col.type == "date":
        return _date_range_rules(col)
    rules: list[Rule] = []
    for side in ("min", "max"):
        if side not in col.range:
            continue
        bound = col.range[side]
        other = column_ref(bound)
        word = "below" if side == "min" else "above"
        if other is not None:
            rules.append(_pair_rule(col.name, other, side, f"{col.name}: {word} {other}"))
        else:
            key = "min_value" if side == "min" else "max_value"
            reason = f"{col.name}: {word} {'minimum' if side == 'min' else 'maximum'}"
            rules.append(Rule("between", col.name, col.name, reason, {key: bound}))
    return rules


def _date_range_rules(col: Column) -> list[Rule]:
    tokens = date_bound_tokens(col)
    window = _WINDOWS.get((tokens.get("min", ""), tokens.get("max", "")))
    rules: list[Rule] = []
    for side in ("min", "max"):
        if side not in col.range:
            continue
        other = column_ref(col.range[side])
        if other is not None:
            word = "before" if side == "min" else "after"
            rules.append(_pair_rule(col.name, other, side, f"{col.name}: {word} {other}"))
            continue
        token = tokens[side]
        if window is not None:
            phrase = window
        elif token in _BOUND_WORDS:
            phrase = _BOUND_WORDS[token][0 if side == "min" else 1]
        else:
            phrase = "below minimum" if side == "min" else "above maximum"
        rules.append(
            _pair_rule(col.name, bound_column(col.name, side), side, f"{col.name}: {phrase}")
        )
    return rules


def _pair_rule(name: str, bound: str, side: str, reason: str) -> Rule:
    # Column A must be >= column B; rows where either is empty are not this rule's business.
    a, b = (name, bound) if side == "min" else (bound, name)
    return Rule("a_ge_b", name, name, reason, {"column_A": a, "column_B": b})


def _pattern_rules(col: Column) -> list[Rule]:
    if not col.pattern:
        return []
    reason = f"{col.name}: does not match pattern"
    return [Rule("regex", col.name, col.name, reason, {"regex": col.pattern})]


def _when(spec: dict[str, Any]) -> When:
    column = spec["column"]
    if spec.get("present") is True:
        return When(column, "present")
    if spec.get("present") is False:
        return When(column, "absent")
    if "not_in" in spec:
        return When(column, "not_in", tuple(spec["not_in"]))
    if "in" in spec:
        return When(column, "in", tuple(spec["in"]))
    if "equals" in spec:
        return When(column, "equals", (spec["equals"],))
    raise ValueError(f"unsupported row condition in schema: {spec!r}")


def _negate(cond: When) -> When:
    opposite: dict[str, WhenOp] = {
        "present": "absent", "absent": "present", "in": "not_in", "not_in": "in",
    }  # fmt: skip
    if cond.op not in opposite:
        raise ValueError(f"cannot negate row condition {cond!r}")
    return When(cond.column, opposite[cond.op], cond.values)


def _required_reason(name: str, cond: When) -> str:
    # "required iff <other> is filled in" reads as plainly required in the vocabulary.
    if cond.op == "present":
        return f"{name}: required"
    return f"{name}: required when {_describe(cond)}"


def _describe(cond: When) -> str:
    values = "/".join(_word(v) for v in cond.values)
    return {
        "present": f"{cond.column} is given",
        "absent": f"{cond.column} is empty",
        "in": f"{cond.column} is {values}",
        "not_in": f"{cond.column} is not {values}",
        "equals": f"{cond.column} is {values}",
    }[cond.op]


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
