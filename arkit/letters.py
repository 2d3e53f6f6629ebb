"""Collection-letter drafts: one HTML letter and one ``.eml`` email per worklist customer. Never sent.

:func:`draft_letters` turns a worklist (one row per customer needing action, with the ladder step and the
letter it calls for) and the open items of :func:`arkit.aging` into files under ``<out_dir>/letters/``:

- ``<step>_<customer_id>_<name>.html`` — a self-contained printable letter (embedded CSS, no links, images,
  fonts or style sheets from elsewhere);
- ``<step>_<customer_id>_<name>.eml`` — the same letter as an email draft (plain text + HTML alternative),
  From the company, To the customer's email when known, with the header ``X-Arkit-Draft: never sent``.

The wording lives in ``config/templates/``: ``<letter>.html.j2`` (HTML, autoescaped — a customer named
``<script>`` is shown as text) and ``<letter>.txt.j2`` (the plain-text part; ``base.txt.j2`` is used when a
letter has no text template of its own). Both extend a shared layout (``base.html.j2``/``base.txt.j2``).

What a letter says, from the customer's items at ``as_of``:

- the past-due invoices (days_past_due > 0 and open_amount > 0), oldest due first: invoice id, invoice
  date, due date, original amount, open amount, days overdue;
- total overdue = Σ their open amounts (summed in cents);
- credits on account (items with open_amount < 0: credit notes, overpayments, unapplied cash), listed
  separately, and balance after credits = total overdue + Σ credits;
- the amount to pay = balance after credits; the deadline = as_of + ``policy.worklist.deadline_days``;
- payment instructions, contact details, late-fee terms (``policy.late_fee``) and, for the demand letter,
  the consequences of not paying; signed with ``policy.company.name``.

A reminder for a customer with no past-due invoice (a ``reminder_before_due`` step) lists the open
invoices not yet due instead. No letter (a warning says why) for a customer with no open invoice, with
nothing past due for a formal or demand letter, or whose credits cover everything owed.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
import warnings
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as _default_policy
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from .aging import _as_of
from .mapping import CONFIG_DIR
from .model import cents

TEMPLATE_DIR = CONFIG_DIR / "templates"

#: Columns of the frame :func:`draft_letters` returns.
RESULT_COLUMNS = [
    "customer_id", "customer_name", "step", "letter", "amount_owed", "invoices", "deadline", "html_path", "eml_path",
]  # fmt: skip

_MONTHS = np.array(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
)

# Email subjects per letter; {n} invoices, {noun} "invoice"/"invoices", {amount}, {deadline}.
_SUBJECTS = {
    "reminder": "Payment reminder: {n} overdue {noun} ({amount})",
    "formal_letter": "Overdue account: {n} past-due {noun} ({amount}), payment required by {deadline}",
    "demand_letter": "Final demand for payment: {amount} due by {deadline}",
}
_SUBJECT_UPCOMING = "Payment reminder: {n} {noun} due soon ({amount})"
_SUBJECT_OTHER = "Payment request: {n} overdue {noun} ({amount}), please pay by {deadline}"

# Headers are not folded below 998 characters: the stdlib folder puts a subject holding "(…)" wholly on a
# continuation line, which reads back with a leading space.
EMAIL_POLICY = _default_policy.clone(max_line_length=998)

_KEEP_TOGETHER = re.compile(
    r"\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b"
    r"|\b[A-Z]{3} -?\d[\d,]*\.\d\d\b"
    r"|\+\d[\d ()-]*\d"
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


# --------------------------------------------------------------------------------------------- helpers


def safe_filename_part(text, max_len: int = 40, fallback: str = "customer") -> str:
    """``text`` as a harmless file-name fragment: only ``[A-Za-z0-9._-]``, at most ``max_len`` characters.

    Accents are dropped (``Müller`` → ``Muller``); every run of other characters (spaces, slashes, ``<``,
    ``:``, control characters…) becomes one ``_``; leading and trailing ``.``, ``_`` and ``-`` are removed,
    so the result never starts with a dot or a dash and is never ``.`` or ``..``; never empty (``fallback``).

    >>> safe_filename_part("../../etc/passwd")
    'etc_passwd'
    >>> safe_filename_part("<script>alert(1)</script>")
    'script_alert_1_script'
    """
    s = "" if text is None or (not isinstance(text, str) and pd.isna(text)) else str(text)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = _UNSAFE.sub("_", s).strip("._-")
    s = s[:max_len].strip("._-")
    return s or fallback


def format_money(value_cents: int, currency: str = "") -> str:
    """Cents as ``1,234.56`` (``-200.00`` for credits), prefixed by the currency when there is one."""
    v = int(value_cents)
    text = f"{'-' if v < 0 else ''}{abs(v) // 100:,}.{abs(v) % 100:02d}"
    return f"{currency} {text}" if currency else text


def format_date(d) -> str:
    """A date as ``4 December 2026`` (English month names whatever the locale)."""
    ts = pd.Timestamp(d)
    return f"{ts.day} {_MONTHS[ts.month - 1]} {ts.year}"


def _format_dates(s: pd.Series) -> pd.Series:
    """Vectorised :func:`format_date`; missing dates give ""."""
    d = pd.to_datetime(s)
    ok = d.notna().to_numpy()
    out = np.full(len(d), "", dtype=object)
    if ok.any():
        dd = d[ok]
        out[ok] = dd.dt.day.astype("str").to_numpy() + " " + _MONTHS[dd.dt.month.to_numpy() - 1] + " " + dd.dt.year.astype("str").to_numpy()
    return pd.Series(out, index=s.index, dtype=object)


def _format_money_col(c: np.ndarray) -> pd.Series:
    return pd.Series([format_money(v) for v in c.tolist()], dtype=object)


def _text(v, default: str = "") -> str:
    if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)):
        return default
    return str(v).strip()


def _paragraph(text: str, width: int = 76, indent: str = "", first: str | None = None) -> str:
    """Jinja filter for the plain-text part: joins a paragraph's lines, wraps it, ends it with a blank line."""
    words = " ".join(str(text).split())
    if not words:
        return ""
    # dates ("4 December 2026"), labelled amounts ("USD 1,234.56") and phone numbers stay on one line
    words = _KEEP_TOGETHER.sub(lambda m: m.group(0).replace(" ", "\x00"), words)
    wrapped = textwrap.fill(
        words, width=width, initial_indent=indent if first is None else first, subsequent_indent=indent,
        break_long_words=False, break_on_hyphens=False,
    )  # fmt: skip
    return wrapped.replace("\x00", " ") + "\n\n"


def _text_table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    """Fixed-width plain-text table; columns in ``right`` are right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2"),
            disabled_extensions=("txt", "txt.j2"),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["paragraph"] = _paragraph
    return env


def _recipients(raw) -> list[str]:
    """Valid addresses in an email cell ("a@x.com; b@y.com"); invalid or hostile entries are dropped.

    Only ``,`` and ``;`` separate addresses: an entry with a space or line break inside (such as
    ``"a@x.com\\r\\nBcc: b@y.com"``) is not an address and is dropped whole, never split into two.
    """
    out = []
    for part in re.split(r"[;,]", _text(raw)):
        part = part.strip()
        if part and _EMAIL.fullmatch(part):
            try:
                out.append(str(Address(addr_spec=part)))
            except (ValueError, IndexError, TypeError):
                continue
    return out


def _unique_stem(stem: str, used: set[str]) -> str:
    """``stem``, or ``stem_2``, ``stem_3``… if already used in this run (compared case-insensitively)."""
    cand, k = stem, 1
    while cand.lower() in used:
        k += 1
        cand = f"{stem}_{k}"
    used.add(cand.lower())
    return cand


# --------------------------------------------------------------------------------------------- items


def _prepare_items(items: pd.DataFrame, customers) -> tuple[dict, pd.DataFrame, dict]:
    """Classify and format the open items of ``customers`` once; group them by customer.

    Returns (groups: customer_id → {"name": the items' customer name, "due" / "upcoming": the invoices
    of that kind as dicts for the templates (invoice_id, invoice_date, due_date, amount, open_amount,
    days_past_due; formatted), "credit": the credits (reference, date, open_amount)}, totals: per customer
    cents of each kind, currency map). Kinds: ``due`` (past due, open > 0), ``upcoming`` (not yet due,
    open > 0), ``credit`` (open < 0). The lists are built in one pass over the columns, not per letter.
    """
    need = ["customer_id", "invoice_id", "invoice_date", "due_date", "amount", "open_amount", "days_past_due"]
    missing = [c for c in need if c not in items.columns]
    if missing:
        raise ValueError(f"items must be the open-items frame of arkit.aging(); missing column(s): {', '.join(missing)}")
    it = items.loc[:, [c for c in [*need, "customer_name", "currency"] if c in items.columns]].copy()
    it["customer_id"] = it["customer_id"].astype("str").str.strip()
    it = it.loc[it["customer_id"].isin(set(customers))]
    oc = cents(it["open_amount"])
    dpd = pd.to_numeric(it["days_past_due"]).to_numpy()
    kind = np.select([(dpd > 0) & (oc > 0), oc > 0, oc < 0], ["due", "upcoming", "credit"], default="")
    it["_kind"], it["_open_c"], it["_amount_c"] = kind, oc, cents(it["amount"])
    it = it.loc[kind != ""]
    it = it.assign(
        invoice_id=it["invoice_id"].astype("object").where(it["invoice_id"].notna(), "").astype("str"),
        _invoice_date=_format_dates(it["invoice_date"]).to_numpy(),
        _due_date=_format_dates(it["due_date"]).to_numpy(),
        _amount=_format_money_col(it["_amount_c"].to_numpy()).to_numpy(),
        _open=_format_money_col(it["_open_c"].to_numpy()).to_numpy(),
        # a credit is listed as the amount in the customer's favour, under "Credit" (no minus sign)
        _credit=_format_money_col(np.abs(it["_open_c"].to_numpy())).to_numpy(),
        days_past_due=dpd[kind != ""].astype("int64"),
    ).sort_values(["customer_id", "due_date", "invoice_date", "invoice_id"], kind="stable")
    totals = (
        it.groupby(["customer_id", "_kind"])["_open_c"].sum().unstack("_kind", fill_value=0)
        .reindex(columns=["due", "upcoming", "credit"], fill_value=0).astype("int64")
    )  # fmt: skip
    currency = {}
    if "currency" in it.columns:
        cur = it.dropna(subset=["currency"]).astype({"currency": "str"})
        cur = cur[cur["currency"].str.strip() != ""]
        n = cur.groupby("customer_id")["currency"].nunique()
        first = cur.groupby("customer_id")["currency"].first()
        currency = first[n == 1].str.strip().to_dict()  # mixed currencies: no label rather than a wrong one
    groups: dict = {}
    names = it["customer_name"].tolist() if "customer_name" in it else [None] * len(it)
    cols = (it[c].tolist() for c in ("customer_id", "_kind", "invoice_id", "_invoice_date", "_due_date", "_amount", "_open", "days_past_due", "_credit"))
    for cid, k, inv, idate, ddate, amt, opn, dpd_, cred, name in zip(*cols, names):
        g = groups.get(cid)
        if g is None:
            g = groups[cid] = {"name": name, "due": [], "upcoming": [], "credit": []}
        if k == "credit":
            g["credit"].append({"reference": inv or "Payment on account", "date": idate, "open_amount": cred})
        else:
            g[k].append({"invoice_id": inv, "invoice_date": idate, "due_date": ddate, "amount": amt, "open_amount": opn, "days_past_due": dpd_})
    return groups, totals, currency


# --------------------------------------------------------------------------------------------- main


def draft_letters(worklist: pd.DataFrame, items: pd.DataFrame, *, policy: dict, as_of, out_dir, customers: pd.DataFrame | None = None, disputed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Write a draft letter (``.html``) and email (``.eml``) for every worklist row that names a letter.

    ``worklist``: one row per customer, with at least customer_id, step and letter (a template name in
    ``config/templates/`` without ``.html.j2``; missing = no letter); customer_name, email, channel and
    on_credit_hold (a customer already on hold is not told it "will be placed on hold") are used when
    present. ``items``: the open items of :func:`arkit.aging` at ``as_of`` (a ``currency`` column,
    if added, labels the amounts). ``policy``: :func:`arkit.policy.load_policy`.

    Files go to ``<out_dir>/letters/`` named ``<step>_<customer_id>_<customer name>`` with every part
    reduced to ``[A-Za-z0-9._-]`` (:func:`safe_filename_part`), made unique. Returns one row per letter
    written: customer_id, customer_name, step, letter, amount_owed (what the letter asks the customer to
    pay: Σ open amounts of the invoices listed + the credits on account, the worklist's amount_to_demand),
    invoices (how many), deadline (as_of + worklist.deadline_days), html_path and eml_path (relative to
    ``out_dir``, with ``/``).

    ``customers`` (the ledger's customers table, optional): the contact name and postal address
    (``contact_name``, ``address_line1``/``2``, ``city``, ``region``, ``postcode``, ``country``) of each
    customer, used for the address block and the greeting ("Dear Ann Lee,"; "Dear Sir or Madam," without
    a contact name — never the account number). A step sent by post (a ``channel`` other than email,
    such as certified mail) says so only when the customer has a postal address; without one a warning
    says the address is missing. ``disputed`` (optional: customer_id, invoice_id, open_amount of the
    invoices in open dispute, left out of ``items``): each letter names the customer's disputed invoices
    as not included, so a reminder sent the day a dispute is opened does not read as ignoring it. The
    subject gives the amount overdue and, when credits on account reduce it, the amount to pay after
    them (the same two figures as the letter's totals). While the company details are the shipped examples
    (:func:`arkit.company.placeholder_fields`) every letter carries a visible DRAFT mark.
    """
    as_of = _as_of(as_of)
    for col in ("customer_id", "step", "letter"):
        if col not in worklist.columns:
            raise ValueError(f"worklist needs a '{col}' column (columns: {', '.join(map(str, worklist.columns))})")
    out_dir = Path(out_dir)
    letters_dir = out_dir / "letters"
    letters_dir.mkdir(parents=True, exist_ok=True)

    env = _environment()
    deadline = as_of + pd.Timedelta(days=int(policy["worklist"]["deadline_days"]))
    co = policy.get("company", {}) or {}
    company = {
        "name": _text(co.get("name")),
        "address": _text(co.get("address")),
        "email": _text(co.get("email")),
        "phone": _text(co.get("phone")),
        "payment_instructions": _text(co.get("payment_instructions"), "Please contact us to arrange payment."),
    }
    lf = policy.get("late_fee", {}) or {}
    rate = float(lf.get("rate_per_month", 0) or 0)
    late_fee = {"applies": rate > 0, "rate": f"{rate * 100:.4g}%", "grace_days": int(lf.get("grace_days", 0) or 0)}
    from_addrs = _recipients(company["email"])
    from .company import placeholder_fields

    draft_fields = placeholder_fields(co)
    contacts = _contacts(customers)

    wl = worklist.loc[worklist["letter"].map(lambda v: _text(v) != "")]
    wl_ids = [_text(v) for v in wl["customer_id"]]
    groups, totals, currencies = _prepare_items(items, wl_ids)

    disp = {}
    if disputed is not None and len(disputed):
        d = disputed[disputed["customer_id"].astype("str").isin(set(wl_ids))].sort_values(["customer_id", "invoice_id"], kind="stable")
        for c_, inv_, amt_ in zip(d["customer_id"].astype("str"), d["invoice_id"].astype("str"), _format_money_col(cents(d["open_amount"])).tolist()):
            disp.setdefault(c_, []).append({"invoice_id": inv_, "open_amount": amt_})
    rows, used = [], set()
    for cid, rec in zip(wl_ids, wl.to_dict("records")):
        letter = _text(rec["letter"])
        if letter.startswith("base"):
            raise ValueError(f"worklist letter {letter!r} (customer {cid!r}): {letter}.html.j2 is the shared layout, not a letter")
        step = _text(rec["step"]) or letter
        g = groups.get(cid)
        if g is None:
            warnings.warn(f"customer {cid!r}: no open item at {as_of.date()}, so no {letter} was drafted", stacklevel=2)
            continue
        name = _text(rec.get("customer_name")) or _text(g["name"]) or cid
        tot = totals.loc[cid]
        # nothing past due: only a reminder has wording for invoices not yet due (a before-due reminder)
        upcoming = int(tot["due"]) <= 0
        if upcoming and letter != "reminder":
            warnings.warn(f"customer {cid!r}: nothing past due at {as_of.date()}, so no {letter} was drafted", stacklevel=2)
            continue
        listed = g["upcoming" if upcoming else "due"]
        if not len(listed):
            warnings.warn(f"customer {cid!r}: no open invoice at {as_of.date()}, so no {letter} was drafted", stacklevel=2)
            continue
        owed_c = int(tot["upcoming"] if upcoming else tot["due"])
        credit_c = int(tot["credit"])
        balance_c = owed_c + credit_c
        if balance_c <= 0:
            warnings.warn(
                f"customer {cid!r}: credits on account ({credit_c / 100:,.2f}) cover the {owed_c / 100:,.2f} owed; "
                f"apply them instead — no {letter} was drafted",
                stacklevel=2,
            )
            continue
        cur = currencies.get(cid, "")
        credits = g["credit"]
        channel = _text(rec.get("channel"))
        n = len(listed)
        contact, address = contacts.get(cid, ("", []))
        contact = _text(rec.get("contact_name")) or contact
        by_post = bool(channel) and channel.lower() != "email"
        if by_post and not address:
            warnings.warn(f"customer {cid!r}: the {letter.replace('_', ' ')} should go by {channel} but the customers table has no postal address for it; add address_line1, city, postcode", stacklevel=2)
        ctx = {
            "company": company,
            "customer": {"id": cid, "name": name, "email": ", ".join(_recipients(rec.get("email"))), "contact": contact, "address": address},
            "salutation": f"Dear {contact}," if contact else "Dear Sir or Madam,",
            "draft": draft_fields,
            "step": step,
            "letter": letter,
            "channel": channel,
            "sent_by": f"Sent by {channel}" if by_post and address else "",
            "letter_date": format_date(as_of),
            "deadline": format_date(deadline),
            "upcoming": upcoming,
            "n_invoices": n,
            "oldest_days_past_due": int(max(i["days_past_due"] for i in listed)),
            "invoices": listed,
            "credits": credits,
            "currency": cur,
            "total_owed": format_money(owed_c, cur),
            "total_credits": format_money(abs(credit_c), cur),  # "Less credits on account 400.00"
            "balance_after_credits": format_money(balance_c, cur),
            "amount_to_pay": format_money(balance_c, cur),
            "late_fee": late_fee,
            "disputed": disp.get(cid, []),
            "on_hold": bool(rec.get("on_credit_hold")) if rec.get("on_credit_hold") is not None and not pd.isna(rec.get("on_credit_hold")) else False,
        }
        ctx.update(_text_tables(ctx, upcoming))
        try:
            html_t = env.get_template(f"{letter}.html.j2")
        except TemplateNotFound:
            raise ValueError(f"worklist letter {letter!r} (customer {cid!r}): no template config/templates/{letter}.html.j2") from None
        try:
            text_t = env.get_template(f"{letter}.txt.j2")
        except TemplateNotFound:
            text_t = env.get_template("base.txt.j2")
        html = html_t.render(ctx)
        text = _tidy_text(text_t.render(ctx))

        subject_fmt = _SUBJECT_UPCOMING if upcoming and letter == "reminder" else _SUBJECTS.get(letter, _SUBJECT_OTHER)
        # the amount overdue (what the invoices listed add up to) and, when credits reduce it, what to pay
        amount = format_money(owed_c if letter != "demand_letter" else balance_c, cur) if credit_c == 0 or letter == "demand_letter" else f"{format_money(owed_c, cur)}; {format_money(balance_c, cur)} after credits"
        subject = subject_fmt.format(n=n, noun="invoice" if n == 1 else "invoices", amount=amount, deadline=ctx["deadline"])
        msg = EmailMessage(policy=EMAIL_POLICY)
        msg["Subject"] = subject
        if from_addrs:
            msg["From"] = Address(display_name=company["name"], addr_spec=from_addrs[0])
        to = _recipients(rec.get("email"))
        if to:
            msg["To"] = ", ".join(to)
        elif _text(rec.get("email")):
            warnings.warn(f"customer {cid!r}: email {_text(rec.get('email'))!r} is not a valid address; the draft has no To", stacklevel=2)
        msg["X-Arkit-Draft"] = "never sent"
        msg["X-Unsent"] = "1"  # mail clients (Outlook) open the file as a draft to edit and send
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")

        stem = _unique_stem(
            f"{safe_filename_part(step, fallback='letter')}_{safe_filename_part(cid, fallback='id')}_{safe_filename_part(name)}",
            used,
        )
        html_path, eml_path = letters_dir / f"{stem}.html", letters_dir / f"{stem}.eml"
        html_path.write_text(html, encoding="utf-8")
        eml_path.write_bytes(bytes(msg))
        rows.append(
            {
                "customer_id": cid,
                "customer_name": name,
                "step": step,
                "letter": letter,
                "amount_owed": balance_c / 100.0,
                "invoices": n,
                "deadline": deadline,
                "html_path": html_path.relative_to(out_dir).as_posix(),
                "eml_path": eml_path.relative_to(out_dir).as_posix(),
            }
        )
    out = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    return out.astype(
        {"customer_id": "str", "customer_name": "str", "step": "str", "letter": "str", "amount_owed": "float64",
         "invoices": "int64", "deadline": "datetime64[ns]", "html_path": "str", "eml_path": "str"}
    )  # fmt: skip


_ADDRESS = ("address_line1", "address_line2", "city", "region", "postcode", "country")


def _contacts(customers: pd.DataFrame | None) -> dict[str, tuple[str, list[str]]]:
    """customer_id → (contact name, postal address lines) from the customers table; the address is the
    street lines, then "city region postcode", then the country; empty when there is no street or city."""
    if customers is None or customers.empty or "customer_id" not in customers.columns:
        return {}
    c = customers.drop_duplicates("customer_id").set_index(customers.drop_duplicates("customer_id")["customer_id"].astype("str").str.strip())
    col = lambda k: c[k].astype("object").where(c[k].notna(), "").astype("str").str.strip() if k in c.columns else pd.Series("", index=c.index)  # noqa: E731
    parts = {k: col(k) for k in ("contact_name", *_ADDRESS)}
    town = (parts["city"] + " " + parts["region"]).str.strip() + " " + parts["postcode"]
    out = {}
    for cid, contact, l1, l2, t, country in zip(c.index, parts["contact_name"], parts["address_line1"], parts["address_line2"], town.str.strip(), parts["country"]):
        lines = [x for x in (l1, l2, t, country) if x] if (l1 or t) else []
        out[cid] = (contact, lines)
    return out


def _text_tables(ctx: dict, upcoming: bool) -> dict:
    inv_rows = [
        [i["invoice_id"], i["invoice_date"], i["due_date"], i["amount"], i["open_amount"], str(-i["days_past_due"] if upcoming else i["days_past_due"])]
        for i in ctx["invoices"]
    ]
    inv = _text_table(
        ["Invoice", "Invoice date", "Due date", "Original amount", "Open amount", "Due in (days)" if upcoming else "Days overdue"],
        inv_rows,
        right={3, 4, 5},
    )
    cred = _text_table(["Reference", "Date", "Credit"], [[c["reference"], c["date"], c["open_amount"]] for c in ctx["credits"]], right={2})
    label = "Total of the invoices above" if upcoming else "Total overdue"
    lines = [[label, ctx["total_owed"]]]
    if ctx["credits"]:
        lines += [["Less credits on account", ctx["total_credits"]], ["Balance after credits", ctx["balance_after_credits"]]]
    w0, w1 = max(len(a) for a, _ in lines), max(len(b) for _, b in lines)
    totals = "\n".join(f"{a.ljust(w0)}  {b.rjust(w1)}" for a, b in lines)
    return {"invoice_table": inv, "credit_table": cred, "totals_table": totals}


def _tidy_text(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, one final newline."""
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
