"""The ``arkit`` command line.

Exit codes: 0 success (validate: every row accepted); 1 validate: some rows quarantined; 2 unusable input
or a wrong argument — one line on stderr, no traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import pandas as pd

from .errors import LedgerError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other user mistake
        self.exit(2, f"arkit: {message} (see 'arkit {self.prog.split()[-1]} --help')\n")


def _date(text: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"'{text}' is not a date such as 2026-06-30") from None
    if pd.isna(ts):
        raise argparse.ArgumentTypeError(f"'{text}' is not a date such as 2026-06-30")
    return ts.normalize()


def _month(text: str) -> str:
    try:
        pd.Period(text, "M")
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"'{text}' is not a month such as 2026-06") from None
    return text


def _quarter(text: str) -> str:
    from .render import _parse_quarter

    try:
        return _parse_quarter(text)
    except LedgerError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a quarter such as 2026Q3") from None


def _buckets(text: str) -> tuple[int, ...]:
    try:
        edges = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of day edges such as 30,60,90") from None
    if not edges or edges[0] < 1 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise argparse.ArgumentTypeError(f"'{text}' must be increasing whole days such as 30,60,90")
    return edges


def _months_window(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of months") from None
    if not 1 <= n <= MAX_DSO_WINDOW:
        raise argparse.ArgumentTypeError(f"{n} is out of range: give 1 to {MAX_DSO_WINDOW} months")
    return n


#: The longest DSO window the command line accepts, in months (ten years).
MAX_DSO_WINDOW = 120

#: Control characters (C0, DEL, C1) and the bidirectional overrides that can reorder what a terminal shows.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text) -> str:
    """Untrusted text for a terminal: control characters shown as escapes (``\\x1b``, ``\\n``, ``\\u202e``), so
    a cell or header cannot set the title, clear the screen or break a line of the printed table."""
    def one(m):
        ch = m.group(0)
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")

    return _CONTROL.sub(one, str(text))


def _terminal_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell, column name and index label passed through :func:`terminal_text`."""
    out = df.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            out.isetitem(i, col.map(lambda v: terminal_text(v) if isinstance(v, str) else v))
    out.columns = [terminal_text(c) if isinstance(c, str) else c for c in out.columns]
    if out.index.dtype == object:
        out.index = [terminal_text(v) if isinstance(v, str) else v for v in out.index]
    return out


def _inputs(args) -> list[Path]:
    """The files a command reads: the ledger (a file, or the table files of a folder) and a mapping YAML."""
    from .load import TABLE_SUFFIXES

    found = []
    ledger = getattr(args, "ledger", None)
    if ledger is not None:
        ledger = Path(ledger).expanduser()
        if ledger.is_dir():
            found += [p for p in ledger.iterdir() if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES]
        elif ledger.exists():
            found.append(ledger)
    src = getattr(args, "source", None)
    if isinstance(src, str) and src.endswith((".yaml", ".yml")) and Path(src).expanduser().is_file():
        found.append(Path(src).expanduser())
    for name in ("policy", "programs"):
        p = getattr(args, name, None)
        if p is not None and Path(p).expanduser().is_file():
            found.append(Path(p).expanduser())
    return found


def refuse_overwrite(out: Path | None, inputs: list[Path], *, option: str) -> None:
    """Raise :class:`LedgerError` when the output path ``out`` is (resolves to, or is a hard link of) one of
    the ``inputs``: an output never replaces what was read."""
    if out is None:
        return
    out = Path(out).expanduser()
    target = out.resolve()
    for inp in inputs:
        same = inp.resolve() == target
        if not same and out.exists():
            try:
                same = os.path.samefile(out, inp)
            except OSError:
                same = False
        if same:
            raise LedgerError(f"{option} {out} is the input file {inp}; write the output to another file")


def last_month_end(today: pd.Timestamp | None = None) -> pd.Timestamp:
    today = (today or pd.Timestamp.today()).normalize()
    return (today - pd.offsets.MonthEnd(1)) if not today.is_month_end else today - pd.offsets.MonthEnd(1)


SOURCE_HELP = (
    "import preset name (see 'arkit sources') or path to a mapping YAML; default: auto, the preset that "
    "fits the file best (it is named in the output)"
)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="arkit", description="Receivables operations: load, validate, age and measure AR ledgers.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    v = sub.add_parser("validate", help="load a ledger (or an aging summary) and report what was accepted and quarantined")
    v.add_argument("ledger", type=Path, help="the export: a CSV/TSV/TXT, XLSX or Parquet file, or a folder of them")
    v.add_argument("--source", default="auto", help=SOURCE_HELP)
    v.add_argument("--quarantine", type=Path, help="write the quarantined problems to this file (.csv or .xlsx; default: not written)")

    a = sub.add_parser("aging", help="aging at a date, per customer or per open item")
    a.add_argument("ledger", type=Path, help="the export: a CSV/TSV/TXT, XLSX or Parquet file, or a folder of them")
    a.add_argument("--as-of", type=_date, required=True, help="the date to age at, YYYY-MM-DD (required)")
    a.add_argument("--source", default="auto", help=SOURCE_HELP)
    a.add_argument("--by", choices=["customer", "invoice"], default="customer", help="one row per customer or per open item (default: customer)")
    a.add_argument("--buckets", type=_buckets, default=(30, 60, 90), help="bucket edges in days past due, comma-separated increasing whole days (default: 30,60,90)")
    a.add_argument("--basis", choices=["due", "invoice"], default="due", help="age from the due date or the invoice date (default: due)")
    a.add_argument("--out", type=Path, help="write the table to a .csv, .xlsx or .parquet file (default: print it)")

    k = sub.add_parser("kpis", help="monthly DSO, countback DSO, BPDSO, ADD, CEI")
    k.add_argument("ledger", type=Path, help="the export: a CSV/TSV/TXT, XLSX or Parquet file, or a folder of them")
    k.add_argument("--start", type=_month, required=True, help="first month, YYYY-MM (required)")
    k.add_argument("--end", type=_month, required=True, help="last month, YYYY-MM (required)")
    k.add_argument("--source", default="auto", help=SOURCE_HELP)
    k.add_argument("--dso-window", type=_months_window, default=3, help=f"months of sales in the DSO denominator, a whole number from 1 to {MAX_DSO_WINDOW} (default: 3)")
    k.add_argument("--out", type=Path, help="write the table to a .csv, .xlsx or .parquet file (default: print it)")

    src = sub.add_parser("sources", help="list the import presets (systems and reports arkit recognises)")
    src.add_argument("file", nargs="?", type=Path, help="an export to score against every preset (optional; default: list only)")

    s = sub.add_parser("sample", help="write a realistic sample ledger workbook")
    s.add_argument("out", type=Path, help="the workbook to write (.xlsx)")
    s.add_argument("--invoices", type=int, default=20000, help="number of invoices, a whole number >= 1 (default: 20000)")
    s.add_argument("--seed", type=int, default=0, help="random seed, a whole number (default: 0)")
    s.add_argument("--as-of", type=_date, default=None, help="the sample's last day, YYYY-MM-DD (default: last month end)")

    r = sub.add_parser("run", help="execute a report notebook and write its HTML report, workbook and audit notebook")
    r.add_argument("report", help="monthly-review, incentives, policy-review (or a path to an .ipynb)")
    r.add_argument("--ledger", type=Path, required=True, help="the ledger export, a file or folder (required)")
    r.add_argument("--source", default="auto", help=SOURCE_HELP)
    when = r.add_mutually_exclusive_group()
    when.add_argument("--as-of", type=_date, help="monthly reports: the as-of date, YYYY-MM-DD, e.g. 2026-06-30 (default: last month end)")
    when.add_argument("--quarter", type=_quarter, help="quarterly reports: the quarter, YYYYQn, e.g. 2026Q3 (default: last full quarter)")
    r.add_argument("--out", type=Path, default=Path("reports"), help="reports folder (default: reports)")
    r.add_argument("--policy", type=Path, help="policy YAML (default: the notebook's own)")
    r.add_argument("--programs", type=Path, help="incentives: programs YAML (default: config/programs.yaml)")
    r.add_argument("--timeout", type=float, default=900, help="seconds allowed per notebook cell (default: 900)")
    r.add_argument("--pdf", action="store_true", help="also print the report to PDF beside the HTML with headless Chromium (default: off, HTML only)")

    d = sub.add_parser("demo", help="sample ledger → validation, aging and KPI tables under reports/demo")
    d.add_argument("--out", type=Path, default=Path("reports/demo"), help="output folder (default: reports/demo)")
    d.add_argument("--invoices", type=int, default=20000, help="number of sample invoices, a whole number >= 1 (default: 20000)")
    d.add_argument("--as-of", type=_date, default=None, help="the sample's last day, YYYY-MM-DD (default: last month end)")
    return p


def _load(args):
    from .load import load_ledger

    return load_ledger(args.ledger, source=args.source)


def _emit(df: pd.DataFrame, out: Path | None, *, title: str) -> None:
    from .excel import write_table

    if out is None:
        with pd.option_context("display.max_rows", 200, "display.width", 160, "display.max_columns", 30):
            print(_terminal_frame(df).to_string())
        return
    write_table(out, df)
    print(f"{title}: {len(df):,} rows written to {out}")


def money(x) -> str:
    """A figure as money for the terminal: 310,041,859.34 (never 3.100419e+08); '-' for none."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "-"
    if x != x:
        return "-"
    return f"{x:,.2f}"


def _summary_text(summary: pd.DataFrame) -> str:
    cols = ["rows_read", "rows_accepted", "rows_quarantined", "duplicates_dropped", "rows_skipped", "amount_accepted", "amount_quarantined"]
    df = summary[cols].copy()
    for c in cols:
        df[c] = df[c].map(money) if c.startswith("amount") else df[c].map(lambda v: f"{int(v):,}")
    df.columns = ["rows read", "accepted", "quarantined", "duplicates", "skipped (layout)", "amount accepted", "amount quarantined"]
    return _terminal_frame(df).to_string()


def _validate_snapshot(args, name: str, reason: str) -> int:
    from .snapshot import load_snapshot

    snap = load_snapshot(args.ledger, source=name)
    print(terminal_text(f"{args.ledger}: {reason}"))
    a = snap.attrs
    as_of = snap["as_of"].iloc[0].date() if len(snap) else None
    print(f"aging summary (no invoices): {snap['customer'].nunique():,} customers, as of {as_of}" + (f", {a['company']}" if a.get("company") else ""))
    if a.get("totals_by_as_of"):
        for d, t in a["totals_by_as_of"].items():
            print(f"  {pd.Timestamp(d).date()}: {money(t)}")
        return 0
    print("every row total, subtotal and the grand total reconcile to the cent:")
    for b, v in a["bucket_totals"].items():
        print(f"  {b:>8}: {money(v)}")
    print(f"  {'total':>8}: {money(a['report_total'])} (the report's own total row)")
    return 0


def cmd_validate(args) -> int:
    from .load import load_ledger, resolve_source

    refuse_overwrite(args.quarantine, _inputs(args), option="--quarantine")
    if args.source == "auto":
        from .detect import detect_source

        det = detect_source(args.ledger)
        if det.kind == "snapshot":
            return _validate_snapshot(args, det.name, det.reason)
        mapping = det.mapping
    else:
        mapping = resolve_source(args.ledger, args.source)
    led = load_ledger(args.ledger, source=mapping)
    rep = led.load_report
    src = rep.sources
    if "detection" in src:
        print(terminal_text(f"{args.ledger}: {src['detection']['reason']}"))
    else:
        print(f"{args.ledger}: read with {src.get('source') or args.source}")
    inv = src.get("invoices", {})
    how = [f"{k} {inv[k]}" for k in ("encoding", "delimiter") if inv.get(k)]
    if inv.get("header_row"):
        how.append(f"header row {inv['header_row']}")
    if inv.get("sheet"):
        how.append(f"sheet '{terminal_text(inv['sheet'])}'")
    if how:
        print("read as " + ", ".join(how))
    if inv.get("hidden_sheet"):
        print(f"note: sheet '{terminal_text(inv['hidden_sheet'])}' is hidden in the workbook; it was read because it is the table's sheet")
    kind = "open-item export (balance per open invoice, no payment history)" if src.get("kind") == "open_items" else "ledger with history"
    as_of = f", as of {pd.Timestamp(src['as_of']).date()}" + (f" ('{terminal_text(src['as_of_text'])}')" if src.get("as_of_text") else "") if src.get("as_of") is not None else ""
    print(f"kind: {kind}{as_of}")
    print(_summary_text(rep.summary))
    checked = inv.get("totals", [])
    grand = {}
    for t in checked:
        if t["kind"] == "total":
            grand.setdefault((t["row"], terminal_text(t["label"])), []).append(f"{money(t['printed'])} ({t['column']})")
    for (row, label), figs in grand.items():
        print(f"the export's own total row {row} ({label!r}): {', '.join(figs)}; the rows it totals sum to the same, to the cent")
    subs = {t["row"] for t in checked if t["kind"] == "subtotal"}
    if subs:
        print(f"{len(subs):,} subtotal row(s) of the export checked to the cent")
    if len(rep.quarantine):
        print(f"\n{len(rep.quarantine):,} problem(s); first ones:")
        print(_terminal_frame(rep.quarantine.head(10)[["table", "row", "column", "problem"]]).to_string(index=False))
    if args.quarantine:
        from .excel import write_table

        write_table(args.quarantine, rep.quarantine)
        print(f"quarantine written to {args.quarantine}")
    return 0 if rep.ok else 1


def cmd_aging(args) -> int:
    from .aging import aging, aging_summary

    refuse_overwrite(args.out, _inputs(args), option="--out")
    led = _load(args)
    if args.by == "customer":
        df = aging_summary(led, args.as_of, buckets=args.buckets, basis=args.basis)
    else:
        df = aging(led, args.as_of, buckets=args.buckets, basis=args.basis)
    if args.out is None and "detection" in led.load_report.sources:
        print(terminal_text(f"{args.ledger}: {led.load_report.sources['detection']['reason']}"))
    _emit(df, args.out, title=f"aging at {args.as_of.date()}")
    items = df if args.by == "invoice" else None
    total = float(df["total"].sum()) if args.by == "customer" else float(df["open_amount"].sum())
    n_items = len(items) if items is not None else len(aging(led, args.as_of, buckets=args.buckets, basis=args.basis))
    print(f"{n_items:,} open items, {len(df) if args.by == 'customer' else df['customer_id'].nunique():,} customers, total open {money(total)} at {args.as_of.date()}")
    return 0


def cmd_kpis(args) -> int:
    from .kpis import kpis

    refuse_overwrite(args.out, _inputs(args), option="--out")
    led = _load(args)
    res = kpis(led, args.start, args.end, dso_window=args.dso_window)
    df = res.round(2).reset_index()
    _emit(df, args.out, title="kpis")
    for col, why in res.attrs.get("not_computable", {}).items():
        if col in res.columns:
            print(terminal_text(f"{col}: {why}"))
    return 0


def cmd_sources(args) -> int:
    from .detect import detect_source, preset_kinds
    from .mapping import SOURCES_DIR, read_yaml_mapping

    kinds = preset_kinds()
    if args.file is not None:
        det = detect_source(args.file)
        print(terminal_text(f"{args.file}: {det.reason}"))
        rows = sorted(det.scores.values(), key=lambda r: -r["score"])
        for r in rows[:8]:
            state = "fits" if r["candidate"] else "missing " + ", ".join(r["missing"])
            print(f"  {r['name']:<44} score {r['score']:>6.2f}  {state}")
        return 0
    for name, kind in kinds.items():
        desc = read_yaml_mapping(SOURCES_DIR / f"{name}.yaml", "Mapping file").get("description") or ""
        print(f"{name:<44} {'aging summary' if kind == 'snapshot' else 'ledger':<14} {desc}")
    print(f"{len(kinds)} presets in {SOURCES_DIR}; --source auto (the default) picks the one that fits a file best.")
    return 0


def cmd_sample(args) -> int:
    from .sample import write_sample

    if args.invoices < 1:
        raise LedgerError("--invoices must be at least 1")
    t = time.perf_counter()
    path = write_sample(args.out, n_invoices=args.invoices, seed=args.seed, as_of=args.as_of)
    print(f"sample ledger written to {path} ({time.perf_counter() - t:.1f} s)")
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def cmd_run(args) -> int:
    from .render import render_report

    as_of = args.as_of.date().isoformat() if args.as_of is not None else None
    params = None
    if args.programs is not None:
        if not args.programs.expanduser().is_file():
            raise LedgerError(f"programs file {args.programs} not found")
        params = {"programs_path": str(args.programs.expanduser().resolve())}
    result = render_report(
        args.report, ledger=args.ledger, as_of=as_of, quarter=args.quarter, out_dir=args.out,
        source=args.source, policy=args.policy, params=params, timeout=args.timeout, pdf=args.pdf,
    )
    print(f"{result['report']} {result['period']} rendered in {result['seconds']:.1f} s:")
    for path in [*result["files"], result["index"]]:
        print(f"  {_shown(path)}{'/' if path.is_dir() else ''}")
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo

    run_demo(args.out, n_invoices=args.invoices, as_of=args.as_of)
    return 0


COMMANDS = {"validate": cmd_validate, "aging": cmd_aging, "kpis": cmd_kpis, "sources": cmd_sources, "sample": cmd_sample, "run": cmd_run, "demo": cmd_demo}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (LedgerError, ValueError, OSError, ArithmeticError, NotImplementedError, MemoryError) as exc:
        print(f"arkit: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("arkit: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 — still one line, but named as what it is: a bug to report
        print(f"arkit: unexpected error in '{args.command}' ({type(exc).__name__}: {_one_line(exc)}); this is a bug, please report it", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    """An error as one line for the terminal: the first line of its message (an OSError with its file
    name), control characters escaped."""
    if isinstance(exc, OSError) and exc.strerror:
        msg = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    else:
        msg = str(exc).strip()
    msg = " ".join(msg.splitlines()[:1]).strip() if not isinstance(exc, LedgerError) else " ".join(msg.split("\n"))
    return terminal_text(msg) or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
