"""The ``arkit`` command line.

Exit codes: 0 success (validate: every row accepted); 1 validate: some rows quarantined; 2 unusable input
or a wrong argument — one line on stderr, no traceback.
"""

from __future__ import annotations

import argparse
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


def last_month_end(today: pd.Timestamp | None = None) -> pd.Timestamp:
    today = (today or pd.Timestamp.today()).normalize()
    return (today - pd.offsets.MonthEnd(1)) if not today.is_month_end else today - pd.offsets.MonthEnd(1)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="arkit", description="Receivables operations: load, validate, age and measure AR ledgers.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    v = sub.add_parser("validate", help="load a ledger and report what was accepted and quarantined")
    v.add_argument("ledger", type=Path)
    v.add_argument("--source", default="generic", help="mapping preset name or YAML path (default: generic)")
    v.add_argument("--quarantine", type=Path, help="write the quarantined problems to this CSV/XLSX")

    a = sub.add_parser("aging", help="aging at a date, per customer or per open item")
    a.add_argument("ledger", type=Path)
    a.add_argument("--as-of", type=_date, required=True)
    a.add_argument("--source", default="generic")
    a.add_argument("--by", choices=["customer", "invoice"], default="customer")
    a.add_argument("--buckets", type=_buckets, default=(30, 60, 90), help="day edges, e.g. 30,60,90")
    a.add_argument("--basis", choices=["due", "invoice"], default="due")
    a.add_argument("--out", type=Path, help=".csv, .xlsx or .parquet (default: print)")

    k = sub.add_parser("kpis", help="monthly DSO, countback DSO, BPDSO, ADD, CEI")
    k.add_argument("ledger", type=Path)
    k.add_argument("--start", type=_month, required=True)
    k.add_argument("--end", type=_month, required=True)
    k.add_argument("--source", default="generic")
    k.add_argument("--dso-window", type=int, default=3)
    k.add_argument("--out", type=Path)

    s = sub.add_parser("sample", help="write a realistic sample ledger workbook")
    s.add_argument("out", type=Path)
    s.add_argument("--invoices", type=int, default=20000)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--as-of", type=_date, default=None)

    r = sub.add_parser("run", help="execute a report notebook and write its HTML report, workbook and audit notebook")
    r.add_argument("report", help="monthly-review, incentives, policy-review (or a path to an .ipynb)")
    r.add_argument("--ledger", type=Path, required=True, help="the ledger export (file or folder)")
    r.add_argument("--source", default="generic", help="mapping preset name or YAML path (default: generic)")
    when = r.add_mutually_exclusive_group()
    when.add_argument("--as-of", type=_date, help="monthly reports: the as-of date, e.g. 2026-06-30")
    when.add_argument("--quarter", type=_quarter, help="quarterly reports: the quarter, e.g. 2026Q3")
    r.add_argument("--out", type=Path, default=Path("reports"), help="reports folder (default: reports)")
    r.add_argument("--policy", type=Path, help="policy YAML (default: the notebook's own)")
    r.add_argument("--programs", type=Path, help="incentives: programs YAML (default: config/programs.yaml)")
    r.add_argument("--timeout", type=float, default=900, help="seconds allowed per notebook cell (default: 900)")

    d = sub.add_parser("demo", help="sample ledger → validation, aging and KPI tables under reports/demo")
    d.add_argument("--out", type=Path, default=Path("reports/demo"))
    d.add_argument("--invoices", type=int, default=20000)
    d.add_argument("--as-of", type=_date, default=None)
    return p


def _load(args):
    from .load import load_ledger

    return load_ledger(args.ledger, source=args.source)


def _emit(df: pd.DataFrame, out: Path | None, *, title: str) -> None:
    from .excel import write_table

    if out is None:
        with pd.option_context("display.max_rows", 200, "display.width", 160, "display.max_columns", 30):
            print(df.to_string())
        return
    write_table(out, df)
    print(f"{title}: {len(df):,} rows written to {out}")


def cmd_validate(args) -> int:
    led = _load(args)
    rep = led.load_report
    cols = ["rows_read", "rows_accepted", "rows_quarantined", "duplicates_dropped", "rows_skipped", "amount_accepted", "amount_quarantined"]
    print(rep.summary[cols].to_string())
    if len(rep.quarantine):
        print(f"\n{len(rep.quarantine):,} problem(s); first ones:")
        print(rep.quarantine.head(10)[["table", "row", "column", "problem"]].to_string(index=False))
    if args.quarantine:
        from .excel import write_table

        write_table(args.quarantine, rep.quarantine)
        print(f"quarantine written to {args.quarantine}")
    return 0 if rep.ok else 1


def cmd_aging(args) -> int:
    from .aging import aging, aging_summary

    led = _load(args)
    if args.by == "customer":
        df = aging_summary(led, args.as_of, buckets=args.buckets, basis=args.basis)
    else:
        df = aging(led, args.as_of, buckets=args.buckets, basis=args.basis)
    _emit(df, args.out, title=f"aging at {args.as_of.date()}")
    return 0


def cmd_kpis(args) -> int:
    from .kpis import kpis

    led = _load(args)
    df = kpis(led, args.start, args.end, dso_window=args.dso_window).round(2).reset_index()
    _emit(df, args.out, title="kpis")
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
    if args.report == "monthly-review" and as_of is not None and args.ledger.expanduser().exists():
        # refuse a month the ledger cannot support before any notebook runs (one line, exit 2)
        from .load import load_ledger
        from .review.monthly import check_as_of

        check_as_of(load_ledger(args.ledger.expanduser(), source=args.source), as_of)
    result = render_report(
        args.report, ledger=args.ledger, as_of=as_of, quarter=args.quarter, out_dir=args.out,
        source=args.source, policy=args.policy, params=params, timeout=args.timeout,
    )
    print(f"{result['report']} {result['period']} rendered in {result['seconds']:.1f} s:")
    for path in [*result["files"], result["index"]]:
        print(f"  {_shown(path)}{'/' if path.is_dir() else ''}")
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo

    run_demo(args.out, n_invoices=args.invoices, as_of=args.as_of)
    return 0


COMMANDS = {"validate": cmd_validate, "aging": cmd_aging, "kpis": cmd_kpis, "sample": cmd_sample, "run": cmd_run, "demo": cmd_demo}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (LedgerError, ValueError, OSError) as exc:
        msg = str(exc).replace("\n", " ").strip() or type(exc).__name__
        print(f"arkit: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("arkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
