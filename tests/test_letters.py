"""Collection-letter drafts: files, sums, deadline, wording per letter, escaping, .eml structure, file names."""

from __future__ import annotations

import email
import email.policy
import html as htmllib
import re
import warnings

import pandas as pd
import pytest

import arkit
from arkit.aging import assign_buckets
from arkit.letters import draft_letters, format_money, safe_filename_part
from arkit.policy import load_policy
from tests.ledgers import ledger

AS_OF = "2026-11-24"  # deadline = as_of + worklist.deadline_days (10) = 4 December 2026
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","pay")'
TRAVERSAL = "../../etc/passwd"

ITEM_COLUMNS = ["customer_id", "customer_name", "invoice_id", "invoice_date", "due_date", "amount", "open_amount", "days_past_due"]


def _items(rows) -> pd.DataFrame:
    """Open items in the layout of arkit.aging(); days_past_due computed from due_date and AS_OF."""
    df = pd.DataFrame(rows, columns=ITEM_COLUMNS[:-1])
    df["invoice_date"] = pd.to_datetime(df["invoice_date"])
    df["due_date"] = pd.to_datetime(df["due_date"])
    df["days_past_due"] = (pd.Timestamp(AS_OF) - df["due_date"]).dt.days.astype("int64")
    df["bucket"] = assign_buckets(df["days_past_due"].to_numpy())
    return df


ITEMS = _items(
    [
        # C1 reminder: 1,200.00 + 34.56 past due = 1,234.56; INV-103 not yet due (not listed)
        ("C1", "Acme Hardware", "INV-101", "2026-10-11", "2026-11-10", 1200.00, 1200.00),
        ("C1", "Acme Hardware", "INV-102", "2026-10-21", "2026-11-20", 800.00, 34.56),
        ("C1", "Acme Hardware", "INV-103", "2026-11-10", "2026-12-10", 500.00, 500.00),
        # C2 formal letter: 5,000.00 + 2,500.50 = 7,500.50; credit note 300.00 → balance 7,200.50
        ("C2", FORMULA, "INV-201", "2026-09-20", "2026-10-20", 5000.00, 5000.00),
        ("C2", FORMULA, "INV-202", "2026-09-01", "2026-10-01", 2500.50, 2500.50),
        ("C2", FORMULA, "CN-201", "2026-10-15", "2026-10-15", -300.00, -300.00),
        # C3 demand letter: 999.99 + 10.01 = 1,010.00; unapplied cash 100.00 → balance 910.00
        ("C3", SCRIPT, "INV-301", "2026-08-02", "2026-09-01", 999.99, 999.99),
        ("C3", SCRIPT, "INV-302", "2026-08-25", "2026-09-24", 10.01, 10.01),
        ("C3", SCRIPT, None, "2026-11-04", "2026-11-04", -100.00, -100.00),
        # C4 reminder, hostile name: 75.25 past due
        ("C4", TRAVERSAL, "INV-401", "2026-10-01", "2026-10-31", 75.25, 75.25),
        # C5 (a call) and C6 (credit hold): on the worklist, but their steps send no letter
        ("C5", "Quiet Call Co", "INV-501", "2026-09-01", "2026-10-01", 900.00, 900.00),
        ("C6", "Hold Ltd", "INV-601", "2026-09-01", "2026-10-01", 400.00, 400.00),
        # C7 is not on the worklist at all
        ("C7", "Elsewhere Inc", "INV-701", "2026-09-01", "2026-10-01", 123.00, 123.00),
    ]
)

WORKLIST = pd.DataFrame(
    {
        "customer_id": ["C1", "C2", "C3", "C4", "C5", "C6"],
        "customer_name": ["Acme Hardware", FORMULA, SCRIPT, TRAVERSAL, "Quiet Call Co", "Hold Ltd"],
        "email": ["ap@acme.example", None, "evil@example.net\r\nBcc: victim@example.org", "root@example.org", "q@example.org", pd.NA],
        "step": ["reminder_overdue", "formal_letter", "demand_letter", "reminder_overdue", "call", "credit_hold"],
        "action": ["reminder", "letter", "demand_letter", "reminder", "call", "credit_hold"],
        "letter": ["reminder", "formal_letter", "demand_letter", "reminder", None, pd.NA],
        "channel": ["email", "email", "certified mail", "email", None, None],
        "past_due_amount": [1234.56, 7500.50, 1010.00, 75.25, 900.00, 400.00],
        "open_amount": [1734.56, 7200.50, 910.00, 75.25, 900.00, 400.00],
        "oldest_days_past_due": [14, 54, 84, 24, 54, 54],
    }
)

# contact and postal address: C1 a contact, no address; C3 (the demand letter, by certified mail) a
# hostile contact name and an address; C2 and C4 neither
CUSTOMERS = pd.DataFrame(
    {
        "customer_id": ["C1", "C3"],
        "contact_name": ["Ann Lee", SCRIPT],
        "address_line1": [None, "12 Mill Lane"],
        "address_line2": [None, "Suite 4"],
        "city": [None, "Salem"],
        "region": [None, "MA"],
        "postcode": [None, "01970"],
        "country": [None, "United States"],
    }
)

STEMS = {
    "C1": "reminder_overdue_C1_Acme_Hardware",
    "C2": "formal_letter_C2_HYPERLINK_http_x_pay",
    "C3": "demand_letter_C3_script_alert_1_script",
    "C4": "reminder_overdue_C4_etc_passwd",
}


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    out = tmp_path_factory.mktemp("drafts")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = draft_letters(WORKLIST, ITEMS, policy=load_policy(), as_of=AS_OF, out_dir=out, customers=CUSTOMERS)
    return out, result.set_index("customer_id"), caught


def _html(out, result, cid) -> str:
    return (out / result.loc[cid, "html_path"]).read_text(encoding="utf-8")


def _eml(out, result, cid):
    return email.message_from_bytes((out / result.loc[cid, "eml_path"]).read_bytes(), policy=email.policy.default)


def _visible(html: str) -> str:
    """The text a reader sees: tags removed, entities decoded, whitespace collapsed."""
    body = re.sub(r"(?s)<style.*?</style>", " ", html)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_files_written_where_expected_and_nowhere_else(drafted):
    out, result, _ = drafted
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    expected = sorted(f"letters/{s}.{ext}" for s in STEMS.values() for ext in ("html", "eml"))
    assert files == expected
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_dir()) == ["letters"]
    assert list(result.columns) == ["customer_name", "step", "letter", "amount_owed", "invoices", "deadline", "html_path", "eml_path"]
    assert sorted(result.index) == ["C1", "C2", "C3", "C4"]  # C5/C6: no letter on their step; C7: not on the worklist
    for cid, stem in STEMS.items():
        assert result.loc[cid, "html_path"] == f"letters/{stem}.html"
        assert result.loc[cid, "eml_path"] == f"letters/{stem}.eml"


def test_amounts_invoices_and_deadline(drafted):
    out, result, _ = drafted
    # what each letter asks for: overdue less credits on account (C2 7,500.50 − 300.00, C3 1,010.00 − 100.00)
    assert result["amount_owed"].to_dict() == {"C1": 1234.56, "C2": 7200.50, "C3": 910.00, "C4": 75.25}
    assert result["invoices"].to_dict() == {"C1": 2, "C2": 2, "C3": 2, "C4": 1}
    assert (result["deadline"] == pd.Timestamp("2026-12-04")).all()
    assert result.loc["C3", "letter"] == "demand_letter" and result.loc["C2", "step"] == "formal_letter"

    c1 = _visible(_html(out, result, "C1"))
    assert "Total overdue 1,234.56" in c1 and "INV-101" in c1 and "INV-102" in c1
    assert "INV-103" not in c1  # not yet due
    assert "Credits on your account" not in c1 and "Balance after credits" not in c1
    assert "1,200.00 1,200.00 14" in c1 and "800.00 34.56 4" in c1  # original, open, days overdue
    assert "11 October 2026 10 November 2026" in c1  # invoice date, due date
    assert "4 December 2026" in c1 and "24 November 2026" in c1  # deadline, letter date

    c2 = _visible(_html(out, result, "C2"))
    assert "Total overdue 7,500.50" in c2
    assert "CN-201 15 October 2026 300.00" in c2 and "-300.00" not in c2  # credits listed separately, as credits (no minus sign)
    assert "Less credits on account 300.00" in c2 and "Balance after credits 7,200.50" in c2  # no double negative
    assert "Please pay 7,200.50 in full by 4 December 2026" in c2
    assert c2.index("INV-202") < c2.index("INV-201")  # oldest due first

    c3 = _visible(_html(out, result, "C3"))
    assert "Total overdue 1,010.00" in c3 and "Balance after credits 910.00" in c3
    assert "Payment on account 4 November 2026 100.00" in c3
    assert "INV-301" in c3 and "INV-302" in c3 and "84" in c3

    c4 = _visible(_html(out, result, "C4"))
    assert "Total overdue 75.25" in c4 and "INV-401" in c4
    for cid in STEMS:
        assert "4 December 2026" in _visible(_html(out, result, cid))


def test_wording_per_letter_type(drafted):
    out, result, _ = drafted
    reminder = _visible(_html(out, result, "C1")).lower()
    assert "may have been overlooked" in reminder and "payment reminder" in reminder
    for threat in ("legal", "collection agency", "credit hold", "on hold", "late payment fee", "demand"):
        assert threat not in reminder

    formal = _visible(_html(out, result, "C2"))
    assert "late payment fee of 1.5% per month" in formal and "more than 10 days past due" in formal
    assert "credit hold" in formal and "7,500.50" in formal
    assert "collection agency" not in formal

    demand = _visible(_html(out, result, "C3"))
    assert "Final demand for payment" in demand and "We hereby demand payment of 910.00 in full by 4 December 2026" in demand
    assert "Sent by certified mail" in demand
    assert "placed on hold" in demand and "collection agency" in demand and "legal action" in demand
    assert "bank transfer to account 12345678" in demand  # payment options from the policy
    assert "Sent by" not in formal and "Sent by" not in reminder  # emailed letters carry no delivery line

    for cid in STEMS:
        page = _visible(_html(out, result, cid))
        assert page.rstrip().endswith("Example Supplies Ltd · 1 Commerce Way, Springfield · Tel. +1 555 0100 · ar@example.com")
        assert "Yours sincerely, Accounts Receivable Example Supplies Ltd" in page
        assert "Pay by bank transfer" in page and "+1 555 0100" in page


def test_html_escapes_hostile_text_and_is_self_contained(drafted):
    out, result, _ = drafted
    c3 = _html(out, result, "C3")
    assert "<script" not in c3.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in c3
    assert f"Dear {SCRIPT}," in _visible(c3)  # the contact name, escaped
    assert "12 Mill Lane Suite 4 Salem MA 01970 United States" in _visible(c3)  # the postal address block
    c2 = _html(out, result, "C2")
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;pay&#34;)" in c2 and "<a " not in c2
    assert "Dear Sir or Madam," in _visible(c2)  # no contact name: never "Dear <name or account>"
    assert "Dear Ann Lee," in _visible(_html(out, result, "C1"))
    for cid in STEMS:
        page = _html(out, result, cid)
        assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page and "<style>" in page
        assert not re.search(r"(?i)\b(src|href)\s*=|<link|@import|url\(|<img|<iframe|<script", page)


def test_eml_parses_with_both_parts_and_draft_header(drafted):
    out, result, _ = drafted
    for cid in STEMS:
        msg = _eml(out, result, cid)
        assert msg["X-Arkit-Draft"] == "never sent"
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
        assert msg["From"].addresses[0].addr_spec == "ar@example.com"
        assert msg["From"].addresses[0].display_name == "Example Supplies Ltd"
        html = msg.get_body(("html",)).get_content()
        assert html == _html(out, result, cid)
        text = msg.get_body(("plain",)).get_content()
        assert "4 December 2026" in text and "Example Supplies Ltd" in text

    c1 = _eml(out, result, "C1")
    assert c1["Subject"] == "Payment reminder: 2 overdue invoices (1,234.56)"
    assert c1["To"] == "ap@acme.example"
    t1 = c1.get_body(("plain",)).get_content()
    assert "may have been overlooked" in t1 and "Total overdue  1,234.56" in t1
    assert re.search(r"INV-101 +11 October 2026 +10 November 2026 +1,200.00 +1,200.00 +14", t1)

    c2 = _eml(out, result, "C2")
    assert "To" not in c2  # no email on the worklist: no To header at all
    assert c2["Subject"] == "Overdue account: 2 past-due invoices (7,500.50; 7,200.50 after credits), payment required by 4 December 2026"
    t2 = c2.get_body(("plain",)).get_content()
    assert "Dear Sir or Madam," in t2
    assert re.search(r"\nBalance after credits +7,200.50\n", t2) and "1.5% per month" in t2

    c3 = _eml(out, result, "C3")
    assert "To" not in c3 and "Bcc" not in c3  # the hostile email cell is dropped whole, not split
    assert "victim" not in (out / result.loc["C3", "eml_path"]).read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert c3["Subject"] == "Final demand for payment: 910.00 due by 4 December 2026"
    t3 = c3.get_body(("plain",)).get_content()
    assert f"Dear {SCRIPT}," in t3 and "SENT BY CERTIFIED MAIL" in t3 and "collection agency" in t3

    assert _eml(out, result, "C4")["Subject"] == "Payment reminder: 1 overdue invoice (75.25)"


def test_warns_about_an_invalid_email_only(drafted):
    _, _, caught = drafted
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "'C3'" in messages[0] and "not a valid address" in messages[0]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", "etc_passwd"),
        ("<script>alert(1)</script>", "script_alert_1_script"),
        ('=HYPERLINK("http://x","pay")', "HYPERLINK_http_x_pay"),
        ("..", "customer"),
        ("", "customer"),
        (None, "customer"),
        (float("nan"), "customer"),
        ("///", "customer"),
        (".hidden", "hidden"),
        ("-rf", "rf"),
        ("C:\\Windows\\System32", "C_Windows_System32"),
        ("a\x00b\nc\td", "a_b_c_d"),
        ("Müller & Söhne GmbH", "Muller_Sohne_GmbH"),
        ("株式会社", "customer"),
        ("Acme Ltd.", "Acme_Ltd"),
        ("x" * 100, "x" * 40),
        ("a" * 39 + "/" + "b" * 10, "a" * 39),  # cut at 40 then trimmed: no trailing "_"
    ],
)
def test_safe_filename_part(name, expected):
    got = safe_filename_part(name)
    assert got == expected
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,38}[A-Za-z0-9]|[A-Za-z0-9]", got)


def test_clashing_names_get_unique_files_and_other_customers_none(tmp_path):
    items = _items(
        [
            ("X/1", "Same Name", "A1", "2026-09-01", "2026-10-01", 100.00, 100.00),
            ("X_1", "Same Name", "B1", "2026-09-01", "2026-10-01", 200.00, 200.00),
            ("x_1", "Same Name", "C1", "2026-09-01", "2026-10-01", 300.00, 300.00),
        ]
    )
    wl = pd.DataFrame({"customer_id": ["X/1", "X_1", "x_1"], "step": ["formal_letter"] * 3, "letter": ["formal_letter"] * 3})
    r = draft_letters(wl, items, policy=load_policy(), as_of=AS_OF, out_dir=tmp_path)
    assert list(r["html_path"]) == [
        "letters/formal_letter_X_1_Same_Name.html",
        "letters/formal_letter_X_1_Same_Name_2.html",
        "letters/formal_letter_x_1_Same_Name_3.html",  # unique even on a case-insensitive disk
    ]
    assert list(r["customer_name"]) == ["Same Name"] * 3  # taken from the items when the worklist has none
    assert list(r["amount_owed"]) == [100.0, 200.0, 300.0]
    assert len(list((tmp_path / "letters").iterdir())) == 6


def test_with_aging_items_currency_and_upcoming_reminder(tmp_path):
    """Items straight from arkit.aging(), with a currency column added; a before-due reminder lists open invoices."""
    led = ledger(
        [
            ("A", "INV1", "2026-10-01", "2026-10-31", 1000.00),
            ("A", "INV2", "2026-10-05", "2026-11-04", 234.56),
            ("B", "INV3", "2026-10-28", "2026-11-27", 640.00),
        ],
        [("A", "INV1", "2026-11-10", 400.00)],
    )
    items = arkit.aging(led, AS_OF).merge(led.invoices[["customer_id", "invoice_id", "currency"]], how="left")
    wl = pd.DataFrame(
        {
            "customer_id": ["A", "B"],
            "customer_name": ["Alpha", "Beta"],
            "email": ["a@alpha.example", "b@beta.example"],
            "step": ["reminder_overdue", "reminder_before_due"],
            "letter": ["reminder", "reminder"],
            "channel": ["email", "email"],
        }
    )
    r = draft_letters(wl, items, policy=load_policy(), as_of=AS_OF, out_dir=tmp_path).set_index("customer_id")
    assert r.loc["A", "amount_owed"] == 834.56 and r.loc["A", "invoices"] == 2  # 600.00 + 234.56
    a = email.message_from_bytes((tmp_path / r.loc["A", "eml_path"]).read_bytes(), policy=email.policy.default)
    assert a["Subject"] == "Payment reminder: 2 overdue invoices (USD 834.56)"
    assert "Total overdue USD 834.56" in _visible((tmp_path / r.loc["A", "html_path"]).read_text(encoding="utf-8"))

    b = _visible((tmp_path / r.loc["B", "html_path"]).read_text(encoding="utf-8"))
    assert r.loc["B", "amount_owed"] == 640.0 and "falls due shortly" in b and "Due in (days)" in b
    assert "INV3" in b and "27 November 2026" in b and " 3 " in b  # due in 3 days
    assert "overlooked" not in b
    bm = email.message_from_bytes((tmp_path / r.loc["B", "eml_path"]).read_bytes(), policy=email.policy.default)
    assert bm["Subject"] == "Payment reminder: 1 invoice due soon (USD 640.00)"


def test_no_letter_when_credits_cover_the_debt_nothing_is_due_or_nothing_is_open(tmp_path):
    items = _items(
        [
            ("A", "Alpha", "INV1", "2026-09-01", "2026-10-01", 100.00, 100.00),
            ("A", "Alpha", "CN1", "2026-10-01", "2026-10-01", -150.00, -150.00),
            ("N", "Not Yet", "INV9", "2026-11-01", "2026-12-01", 500.00, 500.00),  # not due: no formal letter
        ]
    )
    wl = pd.DataFrame({"customer_id": ["A", "N", "Z"], "step": ["formal_letter"] * 3, "letter": ["formal_letter"] * 3})
    with pytest.warns(UserWarning) as rec:
        r = draft_letters(wl, items, policy=load_policy(), as_of=AS_OF, out_dir=tmp_path)
    assert r.empty and list(r.columns)[-2:] == ["html_path", "eml_path"]
    assert list((tmp_path / "letters").iterdir()) == []
    messages = sorted(str(w.message) for w in rec)
    assert len(messages) == 3
    assert messages[0].startswith("customer 'A': credits on account (-150.00) cover the 100.00 owed")
    assert messages[1].startswith("customer 'N': nothing past due at 2026-11-24")
    assert messages[2].startswith("customer 'Z': no open item at 2026-11-24")


def test_worklist_without_letters_writes_nothing(tmp_path):
    wl = WORKLIST.assign(letter=None)
    r = draft_letters(wl, ITEMS, policy=load_policy(), as_of=AS_OF, out_dir=tmp_path)
    assert r.empty
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_unknown_letter_template_is_a_clear_error(tmp_path):
    wl = WORKLIST.iloc[:1].assign(letter="../policy")
    with pytest.raises(ValueError, match="no template"):
        draft_letters(wl, ITEMS, policy=load_policy(), as_of=AS_OF, out_dir=tmp_path)


def test_format_money():
    assert format_money(123456) == "1,234.56"
    assert format_money(-30000) == "-300.00"
    assert format_money(5) == "0.05"
    assert format_money(-5, "EUR") == "EUR -0.05"
    assert format_money(100_000_000_00) == "100,000,000.00"


def test_policy_templates_exist():
    letters = {s["letter"] for s in load_policy()["ladder"] if s["letter"]}
    assert letters == {"reminder", "formal_letter", "demand_letter"}


def test_a_customer_on_credit_hold_is_not_told_it_will_be_placed_on_hold(tmp_path):
    wl = WORKLIST[WORKLIST["customer_id"].isin(["C2", "C3"])].assign(on_credit_hold=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # C3's hostile email and missing address are warned about elsewhere
        res = draft_letters(wl, ITEMS, policy=load_policy(), as_of=AS_OF, out_dir=tmp_path).set_index("customer_id")
    formal, demand = _visible(_html(tmp_path, res, "C2")), _visible(_html(tmp_path, res, "C3"))
    assert "may be placed on credit hold" not in formal and "Your account is on credit hold" in formal
    assert "will be placed on hold" not in demand and "stays on credit hold" in demand
    text = _eml(tmp_path, res, "C3").get_body(preferencelist=("plain",)).get_content()
    assert "will be placed on hold" not in text and "stays on credit hold" in text


def test_draft_mark_until_company_details_are_configured(drafted, tmp_path):
    out, result, _ = drafted
    for cid in STEMS:  # the shipped policy's company is arkit's example: every letter is marked DRAFT
        assert "DRAFT · not to be sent" in _visible(_html(out, result, cid))
        assert "*** DRAFT" in _eml(out, result, cid).get_body(("plain",)).get_content()
    policy = load_policy()
    policy["company"] = {"name": "Northwind Traders", "address": "4 Pier Road, Bristol", "email": "ar@northwind.test", "phone": "+44 117 496 0000", "payment_instructions": "Pay to sort code 20-00-00, account 55779911."}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = draft_letters(WORKLIST, ITEMS, policy=policy, as_of=AS_OF, out_dir=tmp_path).set_index("customer_id")
    page = (tmp_path / res.loc["C1", "html_path"]).read_text(encoding="utf-8")
    assert "DRAFT" not in _visible(page) and "Northwind Traders" in page


def test_certified_mail_only_with_a_postal_address(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = draft_letters(WORKLIST, ITEMS, policy=load_policy(), as_of=AS_OF, out_dir=tmp_path).set_index("customer_id")
    demand = _visible((tmp_path / res.loc["C3", "html_path"]).read_text(encoding="utf-8"))
    assert "Sent by" not in demand  # no address in the customers table: the letter does not claim certified mail
    assert any("no postal address" in str(w.message) and "C3" in str(w.message) for w in caught)


def test_placeholder_fields():
    from arkit.company import placeholder_fields, placeholder_warning

    shipped = load_policy()["company"]
    assert placeholder_fields(shipped) == ["name", "address", "email", "phone", "bank details"]
    assert "config/policy.yaml" in placeholder_warning(shipped)
    own = {"name": "Northwind", "address": "4 Pier Road", "email": "ar@northwind.test", "phone": "+44 1", "payment_instructions": "account 55779911"}
    assert placeholder_fields(own) == [] and placeholder_warning(own) is None
    assert placeholder_fields({**own, "payment_instructions": "routing 021000021"}) == ["bank details"]


def test_letter_names_the_disputed_invoice_left_out_and_the_subject_both_amounts(tmp_path):
    """A: 500.00 overdue (INV-A1, due 14 Nov), 120.00 credit note → pay 380.00; INV-A2 (75.25) in dispute,
    left out of the items: named as not included, in both parts."""
    items = _items(
        [
            ("A", "Alpha", "INV-A1", "2026-10-15", "2026-11-14", 500.00, 500.00),
            ("A", "Alpha", "CN-A", "2026-11-01", "2026-11-01", -120.00, -120.00),
        ]
    )
    disputed = pd.DataFrame({"customer_id": ["A"], "invoice_id": ["INV-A2"], "open_amount": [75.25]})
    wl = pd.DataFrame({"customer_id": ["A"], "customer_name": ["Alpha"], "email": ["a@alpha.example"], "step": ["reminder_overdue"], "letter": ["reminder"], "channel": ["email"]})
    r = draft_letters(wl, items, policy=load_policy(), as_of=AS_OF, out_dir=tmp_path, disputed=disputed)
    assert r.loc[0, "amount_owed"] == 380.0
    m = email.message_from_bytes((tmp_path / r.loc[0, "eml_path"]).read_bytes(), policy=email.policy.default)
    assert m["Subject"] == "Payment reminder: 1 overdue invoice (500.00; 380.00 after credits)"
    page = _visible((tmp_path / r.loc[0, "html_path"]).read_text(encoding="utf-8"))
    assert "Not included above, because you have queried it" in page and "invoice INV-A2 (75.25)" in page
    text = m.get_body(preferencelist=("plain",)).get_content()
    assert "INV-A2 (75.25)" in " ".join(text.split())
