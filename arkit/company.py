"""The company details letters are signed with (``company:`` in ``config/policy.yaml``), and whether they
are still the examples arkit ships with.

A letter with the shipped example name, address, bank account or routing number must never go out as if
it were real: :func:`placeholder_fields` names the fields still holding an example, the monthly review warns
at the top while any does, and every letter carries a visible DRAFT mark until none does.
"""

from __future__ import annotations

import re

#: The shipped examples, field by field (a field matches when it contains one of its patterns).
SHIPPED_EXAMPLES = {
    "name": (r"\bExample Supplies\b",),
    "address": (r"\b1 Commerce Way\b",),
    "email": (r"@example\.(com|org|net)\b",),
    "phone": (r"\+1 555 0100\b",),
    "payment_instructions": (r"\b12345678\b", r"\b021000021\b"),
}
LABELS = {"name": "name", "address": "address", "email": "email", "phone": "phone", "payment_instructions": "bank details"}


def placeholder_fields(company: dict | None) -> list[str]:
    """The fields of ``company`` that still hold the shipped examples (or are missing), as words:
    e.g. ``["name", "bank details"]``. Empty when every field is the company's own."""
    co = company or {}
    out = []
    for key, patterns in SHIPPED_EXAMPLES.items():
        value = str(co.get(key) or "")
        if not value.strip() and key in ("name", "payment_instructions"):
            out.append(LABELS[key])
        elif any(re.search(p, value, re.I) for p in patterns):
            out.append(LABELS[key])
    return out


def placeholder_warning(company: dict | None, *, policy_file: str = "config/policy.yaml") -> str | None:
    """One sentence for the top of a report when letters would carry example company details, else None."""
    fields = placeholder_fields(company)
    if not fields:
        return None
    return (
        f"The company details for letters are still the shipped examples ({', '.join(fields)}): set the "
        f"company section of {policy_file} before any letter is sent. Until then every letter is marked DRAFT."
    )
