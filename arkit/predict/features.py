"""Features for payment prediction: what a credit manager would look at, as known on a cut-off date.

Everything is computed from :func:`known_at` — the ledger with only what is dated on or before the date —
so a prediction never sees the future. Training examples are *snapshots*: the invoices open (positive
balance) at each of several past cut-offs, with the features as they stood on that cut-off and the
outcome (settlement date) as known at the prediction date (or censored there).

All features are vectorised: cumulative sums and sorted look-ups keyed by (customer, day); no per-row
Python loop over the ledger.

Feature groups (columns of :func:`snapshot_features`):

- the customer's own history, from invoices settled on or before the cut-off: ``hist_n`` (invoices
  settled), ``hist_mean_late`` / ``hist_median_late`` (last 10) / ``hist_recent_late`` (last 5) /
  ``hist_ewm_late`` (weights halving every ~62 days, time constant 90 days) signed days late,
  ``hist_trend`` (last 5 − all), ``hist_std_late``, ``hist_share_late`` (share settled after due),
  ``hist_mean_dtp`` (days to pay), ``days_since_settle`` (recency), ``tenure_days`` (since first
  invoice). NaN for a customer with nothing settled yet: the model then falls back on portfolio
  behaviour (``port_*``) and the invoice's own facts;
- the invoice: ``log_amount``, ``amount_ratio`` (amount ÷ the customer's geometric-mean invoice to date),
  ``open_share`` (open ÷ amount: partly paid), ``terms_days``, ``days_to_due`` (negative = past due),
  ``age_days``, ``bill_dom`` (day of month billed), ``due_month`` (seasonality);
- the account now: ``other_past_due`` (other open items past due), ``past_due_amount``, ``oldest_dpd``,
  ``open_items``, ``utilisation`` (open AR ÷ credit limit, when the customers table has limits);
- the activity log, when present: ``dispute_open`` (on this invoice), ``cust_disputes`` (open on the
  account), ``broken_promises`` (promises whose date passed in the last 180 days with outcome broken),
  ``unanswered`` (contacts without response in 90 days), ``credit_hold`` (in force), ``plan_recent``
  (payment-plan activity in 180 days), ``contacts_inv`` (reminders, calls, letters on this invoice),
  ``stage_inv`` (furthest escalation step logged on this invoice: 1 reminder … 8 write-off);
- ``disputed``: the invoices' own Disputed flag, used only when the activity log records no dispute and
  only at the export date (see :func:`known_at`): it is undated, it states what the export knew, so at an
  earlier cut-off it would show disputes raised after that cut-off (leakage) and is left out;
- ``e_invoice``: 1 when the invoice was sent electronically, 0 on paper — from an optional invoice column
  named one of :data:`E_INVOICE_COLUMNS` (the IBM file's ``PaperlessBill``); fixed when the invoice is billed;
  ``chan_mean_late`` / ``chan_n``: the customer's mean signed days late and count over its settled invoices
  billed on the same channel as this one (a customer that moved to e-invoicing pays differently since);
- the portfolio: ``port_mean_late`` and ``port_share_late`` of invoices settled in the 90 days before the
  cut-off (the market and the season);
- ``expected_late``: the customer's habit net of channel and amount plus this invoice's channel and amount
  effect — (Σ adjusted days late + s × portfolio mean) ÷ (n + s) + β_e × e_invoice + β_a × log amount,
  adjusted = days late − β_e × e − β_a × log amount, β and s from :func:`late_effects` at the context date
  (read by the hazard model only). Meta column ``expected_sigma`` = σ × √(1 + 1 ÷ (n + s)), its spread.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .._prep import day_number, days, invoice_positions, prepared
from ..aging import open_cents_at
from ..model import Ledger
from ..settlements import settlements

#: Day numbers are shifted by this before packing (key, day) into one int64, so dates before 1970 work.
_SHIFT = 1 << 20
_BIG = 1 << 22

UNANSWERED = ("no_answer", "left_voicemail", "no_response", "unreachable", "bounced", "refused", "not_reached")
CONTACTS = ("reminder", "call", "letter", "demand_letter")
STAGES = {"reminder": 1, "call": 2, "promise_to_pay": 2, "letter": 3, "credit_hold": 4, "demand_letter": 5, "agency": 6, "legal": 7, "write_off": 8}

FEATURES = [
    "hist_n", "hist_mean_late", "hist_median_late", "hist_recent_late", "hist_ewm_late", "hist_trend",
    "hist_std_late", "hist_share_late", "hist_mean_dtp", "days_since_settle", "tenure_days",
    "log_amount", "amount_ratio", "open_share", "terms_days", "days_to_due", "age_days", "bill_dom", "due_month",
    "other_past_due", "past_due_amount", "oldest_dpd", "open_items", "utilisation",
    "dispute_open", "cust_disputes", "broken_promises", "unanswered", "credit_hold", "plan_recent",
    "contacts_inv", "stage_inv", "disputed", "e_invoice", "chan_mean_late", "chan_n", "port_mean_late", "port_share_late",
    "expected_late",
]  # fmt: skip

#: Invoice columns read as the billing channel (compared lower-case, without "_", "-" or spaces); their values
#: :data:`E_INVOICE_VALUES` (1 electronic, 0 paper; anything else unknown).
E_INVOICE_COLUMNS = ("einvoice", "paperless", "paperlessbill", "billingchannel", "deliverymethod", "invoicedelivery")
E_INVOICE_VALUES = {
    "electronic": 1.0, "paperless": 1.0, "email": 1.0, "e-mail": 1.0, "edi": 1.0, "portal": 1.0, "online": 1.0, "yes": 1.0, "y": 1.0, "true": 1.0, "1": 1.0,
    "paper": 0.0, "post": 0.0, "postal": 0.0, "mail": 0.0, "print": 0.0, "letter": 0.0, "no": 0.0, "n": 0.0, "false": 0.0, "0": 0.0,
}  # fmt: skip


# --------------------------------------------------------------------------------------------- the past


def known_at(ledger: Ledger, as_of) -> Ledger:
    """The ledger as it was known at the end of ``as_of``.

    Keeps invoices dated ≤ as_of, payments dated ≤ as_of, activities dated ≤ as_of and — when the ledger
    has an ``adjustments`` table — adjustments dated ≤ as_of. The invoice columns ``paid_date`` and
    ``open_amount`` are dropped: they state what happened after as_of. So is the undated ``disputed``
    flag when as_of is before the ledger's last dated record (:attr:`~arkit.model.Ledger.as_of_max`, the
    export's date): the flag is as of the export, and at an earlier date it would show disputes raised
    later. At the export date it is kept; :func:`snapshot_features` reads it only when the activity log
    holds no dated dispute. The customers table (limits, terms) is kept as it is.
    """
    day = pd.Timestamp(as_of).normalize()
    inv = ledger.invoices
    drop = [c for c in ("paid_date", "open_amount") if c in inv]
    if "disputed" in inv and len(inv) and day < ledger.as_of_max.normalize():
        drop.append("disputed")
    inv = inv.loc[inv["invoice_date"] <= day].drop(columns=drop)
    pay = ledger.payments.loc[ledger.payments["payment_date"] <= day]
    act = ledger.activities.loc[ledger.activities["date"] <= day] if len(ledger.activities) else ledger.activities
    changes = {"invoices": inv.reset_index(drop=True), "payments": pay.reset_index(drop=True), "activities": act.reset_index(drop=True)}
    adj = getattr(ledger, "adjustments", None)
    if isinstance(adj, pd.DataFrame) and any(f.name == "adjustments" for f in dataclasses.fields(ledger)):
        col = next((c for c in ("date", "adjustment_date") if c in adj), None)
        if col is not None:
            changes["adjustments"] = adj.loc[adj[col] <= day].reset_index(drop=True)
    return dataclasses.replace(ledger, **changes)


# --------------------------------------------------------------------------------------------- look-ups


def _pack(key, day) -> np.ndarray:
    return np.asarray(key, dtype="int64") * _BIG + (np.asarray(day, dtype="int64") + _SHIFT)


class _Events:
    """Events keyed by an integer (customer or invoice) and a day, sorted for look-ups as of a day."""

    def __init__(self, key, day, **values):
        key, day = np.asarray(key, dtype="int64"), np.asarray(day, dtype="int64")
        ok = key >= 0
        code = _pack(key[ok], day[ok])
        order = np.argsort(code, kind="stable")
        self.code, self.key = code[order], key[ok][order]
        self.values = {k: np.asarray(v)[ok][order] for k, v in values.items()}

    def count(self, qkey, lo_excl, hi_incl) -> np.ndarray:
        """Events with the query's key and lo_excl < day ≤ hi_incl."""
        if len(self.code) == 0:
            return np.zeros(len(qkey), dtype="int64")
        return np.searchsorted(self.code, _pack(qkey, hi_incl), "right") - np.searchsorted(self.code, _pack(qkey, lo_excl), "right")

    def last(self, qkey, qday) -> np.ndarray:
        """Sorted position of the last event with the query's key and day ≤ qday, −1 when none."""
        if len(self.code) == 0:
            return np.full(len(qkey), -1, dtype="int64")
        i = np.searchsorted(self.code, _pack(qkey, qday), "right") - 1
        ok = i >= 0
        ok[ok] = self.key[i[ok]] == np.asarray(qkey)[ok]
        return np.where(ok, i, -1)


def _at(values: np.ndarray, idx: np.ndarray, fill=np.nan) -> np.ndarray:
    out = np.full(len(idx), fill, dtype="float64")
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return out


# --------------------------------------------------------------------------------------------- context


@dataclasses.dataclass
class Context:
    """Arrays of a known ledger that every snapshot reads (built once per prediction date)."""

    ledger: Ledger
    as_of: int  # day number
    cust: np.ndarray  # customer code per invoice
    inv_day: np.ndarray
    due_day: np.ndarray
    amount_c: np.ndarray
    settle_day: np.ndarray  # day settled in full (≤ as_of), or a huge number when not settled
    hist: _Events  # settlements by customer, with running statistics
    port_day: np.ndarray  # settlements sorted by day (portfolio)
    port_late_cum: np.ndarray
    port_islate_cum: np.ndarray
    amt_hist: _Events  # invoices by customer with running mean log amount
    first_day: np.ndarray  # first invoice day per customer code
    limit: np.ndarray  # credit limit per customer code (NaN when none)
    act: dict  # activity look-ups
    n_cust: int
    disputed: np.ndarray | None = None  # the invoices' undated disputed flag, when used
    e_invoice: np.ndarray | None = None  # 1 electronic, 0 paper, NaN unknown (when the ledger says)
    chan_hist: _Events | None = None  # settlements by (customer, channel), running sums of days late
    port_adj_cum: np.ndarray | None = None  # running sum of the adjusted days late, by settlement day
    effects: "Effects | None" = None  # the channel's and the amount's effect on days late, the shrinkage
    e_filled: np.ndarray | None = None  # e_invoice with unknown channels at the ledger's mix (0 without a channel)


_NOT_SETTLED = np.iinfo("int64").max // 4


def context(known: Ledger, as_of) -> Context:
    """Build the look-up arrays of ``known`` (a ledger already cut at ``as_of`` by :func:`known_at`)."""
    as_day = day_number(as_of)
    inv = known.invoices
    p = prepared(known)
    codes, uniques = pd.factorize(inv["customer_id"].astype("str"))
    cust = codes.astype("int64")
    n_cust = len(uniques)
    index = pd.Index(uniques)

    # settlements: when each invoice was paid in full
    s = settlements(known)
    settle = np.full(len(inv), _NOT_SETTLED, dtype="int64")
    if len(s):
        spos = invoice_positions(inv, s)
        sday = days(s["settled_date"])
        ok = spos >= 0
        settle[spos[ok]] = sday[ok]
    # history: per customer, running statistics in order of settlement day
    sm = settle < _NOT_SETTLED
    hk, hd = cust[sm], settle[sm]
    late = (hd - p.inv_due[sm]).astype("float64")
    dtp = (hd - p.inv_date[sm]).astype("float64")
    order = np.lexsort((hd, hk))
    hk, hd, late, dtp = hk[order], hd[order], late[order], dtp[order]
    frame = pd.DataFrame({"k": hk, "late": late, "dtp": dtp, "islate": (late > 0).astype("float64"), "late2": late * late})
    w = np.exp((hd - (hd.min() if len(hd) else 0)) / 90.0)
    frame["w"], frame["wl"] = w, w * late
    # days late net of the billing channel's and the amount's effect (estimated within customers)
    e_inv = e_invoice(inv)
    e_all = _filled(e_inv) if e_inv is not None else np.zeros(len(inv))  # unknown channel: the mix
    e_s = e_all[sm][order]
    la_s = np.log(np.maximum(p.inv_cents[sm][order], 1) / 100.0)
    effects = late_effects(hk, late, e_s, la_s)
    frame["adj"] = late - effects.e * e_s - effects.amount * la_s
    g = frame.groupby("k", sort=False)
    cum = g[["late", "dtp", "islate", "late2", "w", "wl", "adj"]].cumsum()
    n = g.cumcount().to_numpy() + 1
    med10 = g["late"].rolling(10, min_periods=1).median().droplevel(0).sort_index().to_numpy() if len(frame) else np.array([])
    mean5 = g["late"].rolling(5, min_periods=1).mean().droplevel(0).sort_index().to_numpy() if len(frame) else np.array([])
    hist = _Events(
        hk, hd, n=n, sum_late=cum["late"].to_numpy(), sum_dtp=cum["dtp"].to_numpy(), sum_islate=cum["islate"].to_numpy(),
        sum_late2=cum["late2"].to_numpy(), sum_w=cum["w"].to_numpy(), sum_wl=cum["wl"].to_numpy(), sum_adj=cum["adj"].to_numpy(), med10=med10, mean5=mean5, settled_day=hd,
    )  # fmt: skip
    # portfolio, by settlement day
    po = np.argsort(hd, kind="stable")
    port_day = hd[po]
    port_late_cum = np.r_[0.0, np.cumsum(late[po])]
    port_islate_cum = np.r_[0.0, np.cumsum((late[po] > 0).astype("float64"))]
    port_adj_cum = np.r_[0.0, np.cumsum(frame["adj"].to_numpy()[po])]
    # invoice amounts per customer, running mean of log amount (positive invoices only)
    pos = p.inv_cents > 0
    la = np.log(np.where(pos, p.inv_cents, 1) / 100.0)
    ao = np.lexsort((p.inv_date[pos], cust[pos]))
    af = pd.DataFrame({"k": cust[pos][ao], "la": la[pos][ao]})
    ag = af.groupby("k", sort=False)
    amt_hist = _Events(af["k"].to_numpy(), p.inv_date[pos][ao], cum=ag["la"].cumsum().to_numpy(), n=ag.cumcount().to_numpy() + 1)
    first_day = np.full(n_cust, _NOT_SETTLED, dtype="int64")
    np.minimum.at(first_day, cust, p.inv_date)
    # the undated disputed flag: only when the activity log has no dated dispute to go by
    acts = _activities(known, index)
    flag = None
    if "disputed" in inv and inv["disputed"].notna().any() and (not acts or len(acts["disp_opened"].code) == 0):
        flag = inv["disputed"].astype("boolean").fillna(False).to_numpy(dtype="float64")
    chan_hist = None
    if e_inv is not None:
        e_s = e_inv[sm][order]
        ok = np.isfinite(e_s)
        ck = hk[ok] * 2 + e_s[ok].astype("int64")
        co = np.lexsort((hd[ok], ck))
        cf = pd.DataFrame({"k": ck[co], "late": late[ok][co]})
        cg = cf.groupby("k", sort=False)
        chan_hist = _Events(cf["k"].to_numpy(), hd[ok][co], n=cg.cumcount().to_numpy() + 1, sum_late=cg["late"].cumsum().to_numpy())
    # credit limits
    limit = np.full(n_cust, np.nan)
    c = known.customers
    if len(c) and "credit_limit" in c and c["credit_limit"].notna().any():
        lim = c.dropna(subset=["credit_limit"]).drop_duplicates("customer_id", keep="last")
        li = index.get_indexer(lim["customer_id"].astype("str"))
        ok = li >= 0
        limit[li[ok]] = lim["credit_limit"].to_numpy(dtype="float64")[ok]
        limit[limit <= 0] = np.nan
    return Context(
        ledger=known, as_of=as_day, cust=cust, inv_day=p.inv_date, due_day=p.inv_due, amount_c=p.inv_cents,
        settle_day=settle, hist=hist, port_day=port_day, port_late_cum=port_late_cum, port_islate_cum=port_islate_cum, port_adj_cum=port_adj_cum, effects=effects, e_filled=e_all,
        amt_hist=amt_hist, first_day=first_day, limit=limit, act=acts, n_cust=n_cust, disputed=flag, e_invoice=e_inv, chan_hist=chan_hist,
    )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Effects:
    """Pooled effects on signed days late, estimated within customers: ``e`` (days per electronic invoice
    against paper), ``amount`` (days per unit of log amount), and ``shrink`` (the weight, in invoices, of
    the portfolio's mean in a customer's own mean: residual variance ÷ variance between customers)."""

    e: float = 0.0
    amount: float = 0.0
    shrink: float = 1.0
    sigma: float = 10.0


def _filled(x: np.ndarray) -> np.ndarray:
    """NaN replaced by the mean of the rest (0 when all are NaN)."""
    ok = np.isfinite(x)
    return np.where(ok, x, x[ok].mean() if ok.any() else 0.0)


def late_effects(k: np.ndarray, late: np.ndarray, e: np.ndarray, log_amount: np.ndarray) -> Effects:
    """Least squares of days late on the billing channel and the log amount, both taken as deviations from
    their customer's mean (so a customer's habit is not mistaken for either): late − mean_k(late) = β_e ×
    (e − mean_k(e)) + β_a × (log amount − mean_k(log amount)). A regressor without variation within
    customers gets β = 0. ``shrink`` = σ² ÷ τ², σ² the residual variance within customers, τ² the variance
    of the customers' means less σ² ÷ (mean invoices per customer), at least 1 day²; 1.0 with fewer than 3
    customers or 30 settlements."""
    if len(k) < 30 or len(np.unique(k)) < 3:
        return Effects()
    n = np.bincount(k).astype("float64")
    cnt = n[k]

    def dev(v):
        return v - (np.bincount(k, weights=v, minlength=len(n)) / np.maximum(n, 1))[k]

    y = dev(late)
    X = np.column_stack([dev(e), dev(log_amount)])
    use = X.std(axis=0) > 1e-9
    beta = np.zeros(2)
    if use.any():
        beta[use] = np.linalg.lstsq(X[:, use], y, rcond=None)[0]
    r = y - X @ beta
    has = n > 0
    sig2 = float((r * r).sum() / max(len(r) - has.sum() - use.sum(), 1))
    adj = late - beta[0] * e - beta[1] * log_amount
    means = np.bincount(k, weights=adj, minlength=len(n))[has] / n[has]
    tau2 = max(float(means.var()) - sig2 / float(cnt.mean()), 1.0)
    return Effects(e=float(beta[0]), amount=float(beta[1]), shrink=sig2 / tau2, sigma=float(np.sqrt(sig2)))


def e_invoice(inv: pd.DataFrame) -> np.ndarray | None:
    """The billing channel per invoice from the first column named one of :data:`E_INVOICE_COLUMNS`: 1.0
    electronic, 0.0 paper (values of :data:`E_INVOICE_VALUES`, case-insensitive), NaN otherwise; None
    when there is no such column or it says nothing."""
    names = {str(c).lower().replace("_", "").replace("-", "").replace(" ", ""): c for c in inv.columns}
    col = next((names[n] for n in E_INVOICE_COLUMNS if n in names), None)
    if col is None:
        return None
    v = inv[col]
    if pd.api.types.is_bool_dtype(v) or pd.api.types.is_numeric_dtype(v):
        out = pd.to_numeric(v, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
        out = np.where(np.isin(out, (0.0, 1.0)), out, np.nan)
    else:
        out = v.astype("str").str.strip().str.lower().map(E_INVOICE_VALUES).to_numpy(dtype="float64", na_value=np.nan)
    return out if np.isfinite(out).any() else None


def _activities(known: Ledger, index: pd.Index) -> dict:
    a = known.activities
    if a is None or len(a) == 0:
        return {}
    ck = index.get_indexer(a["customer_id"].astype("str")).astype("int64")
    ik = invoice_positions(known.invoices, a) if "invoice_id" in a else np.full(len(a), -1, dtype="int64")
    day = days(a["date"])
    action = a["action"].astype("str").to_numpy()
    outcome = a["outcome"].astype("str").str.lower().to_numpy() if "outcome" in a else np.full(len(a), "")
    out = {}
    contact = np.isin(action, CONTACTS)
    silent = contact & np.isin(outcome, UNANSWERED)
    out["unanswered"] = _Events(ck[silent], day[silent])
    out["contacts_inv"] = _Events(ik[contact], day[contact])
    # a promise is known broken the day after its promised date
    if "promised_date" in a:
        pr = (action == "promise_to_pay") & (outcome == "broken") & a["promised_date"].notna().to_numpy()
        pday = days(a["promised_date"].where(a["promised_date"].notna(), a["date"])) + 1
        out["broken"] = _Events(ck[pr], np.maximum(pday[pr], day[pr]))
    disp = np.isin(action, ["dispute_opened", "dispute_resolved"])
    is_open = (action == "dispute_opened").astype("int64")
    out["dispute_inv"] = _Events(ik[disp], day[disp], opened=is_open[disp])
    out["disp_opened"] = _Events(ck[action == "dispute_opened"], day[action == "dispute_opened"])
    out["disp_resolved"] = _Events(ck[action == "dispute_resolved"], day[action == "dispute_resolved"])
    hold = np.isin(action, ["credit_hold", "credit_release"])
    out["hold"] = _Events(ck[hold], day[hold], on=(action[hold] == "credit_hold").astype("int64"))
    plan = action == "payment_plan"
    out["plan"] = _Events(ck[plan], day[plan])
    stage = pd.Series(action).map(STAGES).fillna(0).to_numpy("int64")
    st = (stage > 0) & (ik >= 0)
    ev = _Events(ik[st], day[st], stage=stage[st])
    # running maximum of the stage within each invoice, in day order
    if len(ev.key):
        ev.values["stage"] = pd.Series(ev.values["stage"]).groupby(ev.key).cummax().to_numpy()
    out["stage"] = ev
    return out


# --------------------------------------------------------------------------------------------- snapshots


def open_positions(ctx: Context, cut: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the invoices with a positive balance at day ``cut`` (and their open cents)."""
    open_c, issued = open_cents_at(ctx.ledger, pd.Timestamp(np.datetime64(int(cut), "D")))
    keep = issued & (open_c > 0) & (ctx.amount_c > 0)
    idx = np.flatnonzero(keep)
    return idx, open_c[idx]


def snapshot_features(ctx: Context, cutoffs) -> pd.DataFrame:
    """One row per (cut-off, invoice open at it) with the features of :data:`FEATURES` and the meta columns
    ``pos`` (invoice position), ``cut`` (cut-off day), ``open_c`` (open cents), ``due`` (due day),
    ``settle`` (day settled, as known by the context date; huge when not), ``base_mean_late`` and
    ``base_share_late`` (the baseline: the customer's history, else the portfolio's)."""
    parts = []
    for cut in cutoffs:  # one iteration per cut-off date, not per ledger row
        idx, oc = open_positions(ctx, int(cut))
        parts.append((idx, oc, np.full(len(idx), int(cut), dtype="int64")))
    pos = np.concatenate([p[0] for p in parts]) if parts else np.array([], "int64")
    open_c = np.concatenate([p[1] for p in parts]) if parts else np.array([], "int64")
    cut = np.concatenate([p[2] for p in parts]) if parts else np.array([], "int64")
    return _features(ctx, pos, open_c, cut)


def _features(ctx: Context, pos, open_c, cut) -> pd.DataFrame:
    k = ctx.cust[pos]
    due = ctx.due_day[pos]
    inv_day = ctx.inv_day[pos]
    amt = ctx.amount_c[pos] / 100.0
    f = {}
    # customer history at the cut-off
    h = ctx.hist
    i = h.last(k, cut)
    v = h.values
    n = _at(v["n"], i, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        has = n > 0
        nn = np.where(has, n, np.nan)
        mean = _at(v["sum_late"], i) / nn
        f["hist_n"] = n
        f["hist_mean_late"] = mean
        f["hist_median_late"] = _at(v["med10"], i)
        f["hist_recent_late"] = _at(v["mean5"], i)
        f["hist_ewm_late"] = _at(v["sum_wl"], i) / _at(v["sum_w"], i)
        f["hist_trend"] = f["hist_recent_late"] - mean
        var = _at(v["sum_late2"], i) / nn - mean * mean
        f["hist_std_late"] = np.sqrt(np.clip(var, 0, None))
        f["hist_share_late"] = _at(v["sum_islate"], i) / nn
        f["hist_mean_dtp"] = _at(v["sum_dtp"], i) / nn
        f["days_since_settle"] = cut - _at(v["settled_day"], i)
        # the customer's habit net of channel and amount, shrunk towards the portfolio's, plus this invoice's
        hi_p = np.searchsorted(ctx.port_day, cut, "right")
        port_adj = np.where(hi_p > 0, ctx.port_adj_cum[hi_p] / np.maximum(hi_p, 1), 0.0)
        fx = ctx.effects
        e_this = ctx.e_filled[pos]
        habit = (_at(v["sum_adj"], i, 0.0) + fx.shrink * port_adj) / (n + fx.shrink)
        f["expected_late"] = habit + fx.e * e_this + fx.amount * np.log(np.maximum(amt, 0.01))
        sigma = fx.sigma * np.sqrt(1 + 1 / (n + fx.shrink))  # the habit's own error widens it
    f["tenure_days"] = (cut - ctx.first_day[k]).astype("float64")
    # the invoice
    a = ctx.amt_hist
    j = a.last(k, cut)
    mean_log = _at(a.values["cum"], j) / _at(a.values["n"], j, np.nan)
    f["log_amount"] = np.log(np.maximum(amt, 0.01))
    f["amount_ratio"] = amt / np.exp(mean_log)
    f["open_share"] = open_c / 100.0 / np.maximum(amt, 0.01)
    f["terms_days"] = (due - inv_day).astype("float64")
    f["days_to_due"] = (due - cut).astype("float64")
    f["age_days"] = (cut - inv_day).astype("float64")
    d64 = inv_day.astype("datetime64[D]")
    f["bill_dom"] = ((d64 - d64.astype("datetime64[M]")).astype("int64") + 1).astype("float64")
    f["due_month"] = (due.astype("datetime64[D]").astype("datetime64[M]").astype("int64") % 12 + 1).astype("float64")
    # the account now: group the snapshot rows by (cut-off, customer)
    grp = pd.factorize(_pack(k, cut))[0]
    past = due < cut
    ng = grp.max() + 1 if len(grp) else 0
    past_n = np.bincount(grp, weights=past, minlength=ng)
    past_amt = np.bincount(grp, weights=np.where(past, open_c / 100.0, 0.0), minlength=ng)
    open_ar = np.bincount(grp, weights=open_c / 100.0, minlength=ng)
    items = np.bincount(grp, minlength=ng)
    oldest = np.full(ng, -(10**6), dtype="int64")
    np.maximum.at(oldest, grp, cut - due)
    f["other_past_due"] = past_n[grp] - past
    f["past_due_amount"] = past_amt[grp]
    f["oldest_dpd"] = oldest[grp].astype("float64")
    f["open_items"] = items[grp].astype("float64")
    f["utilisation"] = open_ar[grp] / ctx.limit[k]
    # activity log
    act = ctx.act
    zeros = np.zeros(len(pos))
    if act:
        di = act["dispute_inv"].last(pos, cut)
        f["dispute_open"] = _at(act["dispute_inv"].values["opened"], di, 0.0)
        f["cust_disputes"] = np.clip(act["disp_opened"].count(k, -_SHIFT + 1, cut) - act["disp_resolved"].count(k, -_SHIFT + 1, cut), 0, None).astype("float64")
        f["broken_promises"] = act["broken"].count(k, cut - 180, cut).astype("float64") if "broken" in act else zeros
        f["unanswered"] = act["unanswered"].count(k, cut - 90, cut).astype("float64")
        hi = act["hold"].last(k, cut)
        f["credit_hold"] = _at(act["hold"].values["on"], hi, 0.0)
        f["plan_recent"] = (act["plan"].count(k, cut - 180, cut) > 0).astype("float64")
        f["contacts_inv"] = act["contacts_inv"].count(pos, -_SHIFT + 1, cut).astype("float64")
        si = act["stage"].last(pos, cut)
        f["stage_inv"] = _at(act["stage"].values["stage"], si, 0.0)
    else:
        for c in ("dispute_open", "cust_disputes", "broken_promises", "unanswered", "credit_hold", "plan_recent", "contacts_inv", "stage_inv"):
            f[c] = np.full(len(pos), np.nan)
    f["disputed"] = ctx.disputed[pos] if ctx.disputed is not None else np.full(len(pos), np.nan)
    f["e_invoice"] = ctx.e_invoice[pos] if ctx.e_invoice is not None else np.full(len(pos), np.nan)
    f["chan_mean_late"] = f["chan_n"] = np.full(len(pos), np.nan)
    if ctx.chan_hist is not None:
        e = f["e_invoice"]
        ok = np.isfinite(e)
        ci = np.full(len(pos), -1, dtype="int64")
        ci[ok] = ctx.chan_hist.last(k[ok] * 2 + e[ok].astype("int64"), cut[ok])
        cn = _at(ctx.chan_hist.values["n"], ci, 0.0)
        f["chan_n"] = np.where(ok, cn, np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            f["chan_mean_late"] = _at(ctx.chan_hist.values["sum_late"], ci) / np.where(cn > 0, cn, np.nan)
    # portfolio over the 90 days before the cut-off, and overall to date (the baseline's fallback)
    hi_i = np.searchsorted(ctx.port_day, cut, "right")
    lo_i = np.searchsorted(ctx.port_day, cut - 90, "right")
    cnt = (hi_i - lo_i).astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        f["port_mean_late"] = np.where(cnt > 0, (ctx.port_late_cum[hi_i] - ctx.port_late_cum[lo_i]) / cnt, np.nan)
        f["port_share_late"] = np.where(cnt > 0, (ctx.port_islate_cum[hi_i] - ctx.port_islate_cum[lo_i]) / cnt, np.nan)
        all_mean = np.where(hi_i > 0, ctx.port_late_cum[hi_i] / np.maximum(hi_i, 1), 0.0)
        all_share = np.where(hi_i > 0, ctx.port_islate_cum[hi_i] / np.maximum(hi_i, 1), 0.5)
    out = pd.DataFrame({c: np.asarray(f[c], dtype="float64") for c in FEATURES})
    out["pos"] = pos
    out["cut"] = cut
    out["open_c"] = open_c
    out["due"] = due
    out["settle"] = ctx.settle_day[pos]
    out["expected_sigma"] = sigma
    out["base_mean_late"] = np.where(np.isnan(f["hist_mean_late"]), all_mean, f["hist_mean_late"])
    out["base_share_late"] = np.where(np.isnan(f["hist_share_late"]), all_share, f["hist_share_late"])
    return out
