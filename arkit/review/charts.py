"""Figures for the reports: each function returns one matplotlib Figure with a title, axis labels and units."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)
# Chart text comes from data (names, currencies, segment labels): never typeset it. With mathtext off a
# customer "$\\undefinedmacro$" is drawn as those characters instead of failing the figure; no TeX either.
matplotlib.rcParams["text.parse_math"] = False
matplotlib.rcParams["text.usetex"] = False
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

PALETTE = ["#2e7d32", "#9ccc65", "#fbc02d", "#fb8c00", "#c62828", "#6a1b9a", "#37474f"]
CREDIT_COLOR = "#90a4ae"  # credits and unapplied cash: their own series, below zero
_money = FuncFormatter(lambda v, _: f"{v:,.0f}")


def _style(ax, title: str, ylabel: str, xlabel: str = "") -> None:
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)


def _month_ticks(ax, index) -> None:
    """One tick per month end, labelled with its month ("Oct 26")."""
    ax.set_xticks(np.arange(len(index)), [pd.Timestamp(d).strftime("%b %y") for d in index], fontsize=8)


def aging_bars(totals: pd.Series, *, as_of, currency: str = "") -> plt.Figure:
    """Open AR by aging bucket (bars), as of a date. ``totals``: bucket label → amount."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    colors = [CREDIT_COLOR if str(k) == "credits" else c for k, c in zip(totals.index, PALETTE)]
    bars = ax.bar(totals.index.astype(str), totals.to_numpy(), color=colors)
    for b, v in zip(bars, totals.to_numpy()):
        ax.annotate(f"{v:,.0f}", (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom" if v >= 0 else "top", fontsize=8)
    ax.yaxis.set_major_formatter(_money)
    _style(ax, f"Open AR by days past due, {pd.Timestamp(as_of):%d %b %Y}", f"Open amount{f' ({currency})' if currency else ''}", "Days past due")
    fig.tight_layout()
    return fig


def aging_trend_chart(trend: pd.DataFrame, *, currency: str = "") -> plt.Figure:
    """Stacked open invoices by bucket at each month end, credits and unapplied cash as their own series
    below zero (``trend`` from :func:`arkit.review.headline.aging_trend`)."""
    labels = [c for c in trend.columns if c != "total"]
    fig, ax = plt.subplots(figsize=(9, 3.8))
    x = np.arange(len(trend))
    pos_bottom = np.zeros(len(trend))
    neg_bottom = np.zeros(len(trend))
    colors = [CREDIT_COLOR if lab == "credits" else c for lab, c in zip(labels, PALETTE)]
    for lab, col in zip(labels, colors):
        v = trend[lab].to_numpy()
        bottom = np.where(v >= 0, pos_bottom, neg_bottom)
        ax.bar(x, v, bottom=bottom, color=col, label=lab, width=0.75)
        pos_bottom += np.where(v >= 0, v, 0)
        neg_bottom += np.where(v < 0, v, 0)
    _month_ticks(ax, trend.index)
    ax.yaxis.set_major_formatter(_money)
    ax.legend(title="Days past due", ncols=len(labels), fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.12))
    _style(ax, "Aging trend: open AR by bucket at each month end", f"Open amount{f' ({currency})' if currency else ''}")
    fig.tight_layout()
    return fig


def dso_trend_chart(
    figures: pd.DataFrame,
    *,
    target: float | None = None,
    dso_label: str = "DSO (3-month period)",
    title: str = "Days sales outstanding by month end",
    tick_labels: list[str] | None = None,
) -> plt.Figure:
    """DSO (period and countback), best possible DSO and average days delinquent at each period end, with
    the DSO target. Ticks are the months of ``figures.index`` unless ``tick_labels`` are given (quarters)."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = np.arange(len(figures))
    ax.plot(x, figures["dso"], marker="o", label=dso_label, color="#1565c0")
    ax.plot(x, figures["dso_countback"], marker="s", label="DSO (countback)", color="#6a1b9a")
    ax.plot(x, figures["bpdso"], marker="^", label="Best possible DSO", color="#2e7d32")
    ax.bar(x, figures["add"], width=0.5, alpha=0.25, color="#c62828", label="Average days delinquent")
    if target is not None:
        ax.axhline(target, ls="--", color="#555", lw=1, label=f"DSO target ({target:g} days)")
    ax.legend(fontsize=8, ncols=3, loc="upper left", bbox_to_anchor=(0, -0.12))
    if tick_labels is None:
        _month_ticks(ax, figures.index)
    else:
        ax.set_xticks(x, tick_labels, fontsize=8)
    _style(ax, title, "Days")
    fig.tight_layout()
    return fig


def cei_trend_chart(figures: pd.DataFrame, *, target: float | None = None) -> plt.Figure:
    """Collection effectiveness index (percent) by month end."""
    fig, ax = plt.subplots(figsize=(9, 3.2))
    ax.plot(np.arange(len(figures)), figures["cei"], marker="o", color="#00838f", label="CEI")
    if target is not None:
        ax.axhline(target, ls="--", color="#555", lw=1, label=f"Target ({target:g} %)")
    ax.set_ylim(0, max(105, float(np.nanmax(figures["cei"].to_numpy())) + 5) if figures["cei"].notna().any() else 105)
    ax.legend(fontsize=8, loc="lower left")
    _month_ticks(ax, figures.index)
    _style(ax, "Collection effectiveness index by month", "CEI (%)")
    fig.tight_layout()
    return fig


def roll_rate_heatmap(pct: pd.DataFrame) -> plt.Figure:
    """Month-over-month flow between buckets, in percent of each starting bucket."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    vals = pct.to_numpy(dtype="float64")
    im = ax.imshow(vals, cmap="Reds", vmin=0, vmax=100, aspect="auto")
    from ..columns import label

    # bucket labels as they are ("1-30"); state codes (written_off, collected) as the dictionary names them
    names = [label(c) if "_" in str(c) or str(c).isalpha() else str(c) for c in pct.columns]
    ax.set_xticks(range(vals.shape[1]), names, fontsize=8)
    ax.set_yticks(range(vals.shape[0]), pct.index.astype(str), fontsize=8)
    for i in range(vals.shape[0]):
        for j in range(vals.shape[1]):
            if not np.isnan(vals[i, j]):
                ax.text(j, i, f"{vals[i, j]:.0f}", ha="center", va="center", fontsize=8, color="white" if vals[i, j] > 60 else "black")
    fig.colorbar(im, ax=ax, label="% of starting amount")
    ax.set_xlabel("Where it is at month end")
    ax.set_ylabel("Bucket a month earlier")
    ax.set_title("Roll rates: where last month's AR went (%)", loc="left", fontsize=12, fontweight="bold")
    fig.tight_layout()
    return fig
