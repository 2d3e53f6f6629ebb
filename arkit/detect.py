"""Recognising an export on sight: which preset in ``config/sources`` fits a file best, and why.

:func:`detect_source` reads only the first 60 rows of the file (the first visible sheet of a workbook; the
invoices file of a folder) and scores every preset:

- **columns**: the header row is found the way the preset would find it; each header cell the preset's own
  ``columns`` map names (by a name of the system's, not arkit's) scores 1, each that carries arkit's own
  name of a column scores 0.5 for the generic mapping and 0.25 for any other preset; each column a preset
  names that the file lacks costs 0.25;
- **required columns**: a ledger preset is a candidate only when customer, invoice number, invoice and due
  date and an amount all resolve (from a column, a constant, a group header or debit/credit columns);
- **title**: the preset's ``detect.title`` regex found in the lines above the header scores 3;
- **distinctive headers**: each of the preset's ``detect.headers`` present (and not one of arkit's own
  column names) scores 1; a matching
  ``detect.extension`` scores 0.5.

Aging-summary presets (the ones :func:`arkit.load_snapshot` reads) are candidates when a header row starts
with their ``customer_label`` and at least two of its cells are their bucket labels; they score like the
above (each bucket label 1). The highest score wins; ties go to the preset with more columns named by it.
When no preset is a candidate, one sentence names the closest presets and the columns that did not map.

Detection costs a few milliseconds per preset on the head of the file: a plain UTF-8 text file is decoded
only for its first 256 KB; any other text file is decoded once and the text kept for the read that follows.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import ConfigError, LedgerError
from .mapping import SOURCES_DIR, available_sources, load_mapping

REQUIRED = ("customer_id", "invoice_id", "invoice_date", "due_date", "amount")


@dataclass
class Detection:
    """The preset chosen for a file: ``name``, ``kind`` ("ledger" or "snapshot"), the validated
    ``mapping`` (ledger presets; it carries ``_detection``), the one-line ``reason``, and every preset's
    ``scores``."""

    name: str
    kind: str
    reason: str
    mapping: dict | None = None
    scores: dict = field(default_factory=dict)


def _is_snapshot(path: Path) -> bool:
    return _preset_cached("kind", path, lambda: bool(re.search(r"(?m)^(customer_label|buckets|layout_kind)\s*:", path.read_text(encoding="utf-8"))))


_PRESETS: dict = {}


def _preset_cached(what: str, path: Path, build):
    """``build()`` for a preset file, once per file version (size and modification time): detection scores
    every preset on every load, and validating a mapping costs more than scoring it. For reading only."""
    st = path.stat()
    key = (what, str(path), st.st_size, st.st_mtime_ns)
    if key not in _PRESETS:
        _PRESETS[key] = build()
    return _PRESETS[key]


def _scoring_mapping(name: str) -> dict:
    return _preset_cached("mapping", SOURCES_DIR / f"{name}.yaml", lambda: load_mapping(name))


def _scoring_snapshot_config(name: str) -> dict:
    from .snapshot import load_source_config

    return _preset_cached("snapshot", SOURCES_DIR / f"{name}.yaml", lambda: load_source_config(name))


def preset_kinds() -> dict[str, str]:
    """Every preset name -> "ledger" or "snapshot"."""
    return {n: ("snapshot" if _is_snapshot(SOURCES_DIR / f"{n}.yaml") else "ledger") for n in available_sources()}


def _invoice_sheets() -> list[str]:
    """The invoices sheet (or file stem) the presets name, lower case: a folder or workbook of a preset that
    reads its ledger from more than one file (QuickBooks' Invoice List + Received Payments) is recognised by
    its invoices file."""
    out = []
    for name, kind in preset_kinds().items():
        if kind == "ledger":
            sheet = _scoring_mapping(name)["tables"].get("invoices", {}).get("sheet")
            if sheet and str(sheet).lower() not in out:
                out.append(str(sheet).lower())
    return out


def _head(path: Path) -> tuple[list[list], str]:
    """First rows of the file as a grid (None for empty cells) and the file it came from."""
    from . import load

    path = Path(path)
    if not path.exists():
        raise LedgerError(f"{path} does not exist.")
    if path.is_dir():
        files = {p.stem.lower(): p for p in sorted(path.iterdir()) if p.is_file() and p.suffix.lower() in load.TABLE_SUFFIXES}
        stem = next((n for n in ("invoices", *_invoice_sheets()) if n in files), None)
        if stem is None:
            return None, str(path)
        path = files[stem]
    suf = path.suffix.lower()
    if suf not in load.TABLE_SUFFIXES or path.stat().st_size == 0:
        return None, str(path)  # the reader says what is wrong
    if suf in load.EXCEL_SUFFIXES:
        names = load._sheet_names(path)
        hidden = load._hidden_sheets(path)
        lower = {n.strip().lower(): n for n in names}
        sheet = next((lower[n] for n in ("invoices", *_invoice_sheets()) if n in lower), None) or ([n for n in names if n not in hidden] or names)[0]
        grid = load._excel_head(path, sheet, 60)
        return [[None if c == "" else c for c in row] for row in grid], str(path)
    if suf in {".parquet", ".pq"}:
        import pyarrow.parquet as pq

        try:
            return [list(pq.read_schema(path).names)], str(path)
        except Exception:  # noqa: BLE001 - not a readable Parquet file: the reader says so in one sentence
            return None, str(path)
    from . import _textread

    with open(path, "rb") as fh:  # the head only: a plain UTF-8 file is never decoded whole for detection
        text = _textread.head_text(fh.read(_textread.HEAD_BYTES + 4))
    if text is not None:
        sep = _textread.sniff_delimiter(_textread._head_lines(text, 80), suffix=suf)
    else:  # another encoding or line ends: the whole file decoded once, kept for the read that follows
        text, _enc, sep = load._prepared_text(path, None, None)
    return _textread.head_grid(text, sep, 60), str(path)


def _title_text(grid, h) -> str:
    return "\n".join(" ".join(str(c) for c in row if c is not None and str(c).strip()) for row in grid[:h])


def _score_ledger(name: str, m: dict, grid: list[list], suffix: str) -> dict:
    from .load import _find_header, norm_name
    from .model import columns

    res = {"name": name, "kind": "ledger", "score": 0.0, "own": 0, "missing": list(REQUIRED), "candidate": False}
    try:
        h = _find_header(grid, m, name)
    except LedgerError:
        return res
    header = [c for c in grid[h] if c is not None and str(c).strip()]
    spec = m["tables"].get("invoices", {})
    own = {norm_name(k): v for k, v in spec.get("columns", {}).items()}
    canon = {norm_name(c): c for c in columns("invoices")}
    targets, own_hits, canon_hits = set(), 0, 0
    for c in header:
        k = norm_name(c)
        if k in own:
            targets.add(own[k])
            if k in canon and canon[k] != own[k]:
                pass  # the header is arkit's name of another column: no evidence for this preset
            elif norm_name(own[k]) != k:  # a name of the system's own, not arkit's
                own_hits += 1
            else:
                canon_hits += 1
        elif k in canon:
            targets.add(canon[k])
            canon_hits += 1
    targets |= set(spec.get("constants", {}))
    lay = m["layout"]
    if lay.get("group_header"):
        gc = lay["group_header"]["column"]
        targets |= set(gc if isinstance(gc, list) else [gc])
    if lay.get("debit_credit"):
        dc = lay["debit_credit"]
        if any(norm_name(c) == norm_name(dc["debit"]) for c in header):
            targets.add(dc["into"])
    if "open_amount" in targets:
        targets.add("amount")
    missing = [c for c in REQUIRED if c not in targets]
    title = _title_text(grid, h)
    det = m["detect"]
    t_hit = bool(det["title"] and re.search(det["title"], title))
    hkeys = {norm_name(c) for c in header}
    # a header carrying arkit's own name of a column is evidence for the generic mapping, little for a system
    d_hits = sum(1 for x in det["headers"] if norm_name(x) in hkeys and norm_name(x) not in canon)
    e_hit = suffix in det["extension"]
    score = own_hits + (0.5 if name == "generic" else 0.25) * canon_hits + 3 * t_hit + d_hits + 0.5 * e_hit
    # a preset that names columns the file does not have fits less well
    absent = [k for k in own if k not in hkeys]
    score -= 0.25 * len(absent)
    res.update(score=score, own=own_hits, missing=missing, candidate=not missing, title=t_hit, header_row=h + 1, matched=sorted(targets & set(REQUIRED)), header=[str(c) for c in header])
    return res


def _score_snapshot(name: str, grid: list[list], suffix: str) -> dict:
    from .snapshot import _norm_label

    res = {"name": name, "kind": "snapshot", "score": 0.0, "own": 0, "missing": ["customer/bucket header"], "candidate": False}
    try:
        cfg = _scoring_snapshot_config(name)
    except ConfigError:
        return res
    if cfg.get("layout_kind") == "rows":
        want = {_norm_label(c) for c in cfg["id_columns"]}
        for i, row in enumerate(grid[:20]):
            cells = {_norm_label(c) for c in row if c is not None and str(c).strip()}
            hits = len(want & cells)
            if hits == len(want):
                res.update(score=2.0 * hits, own=hits, missing=[], candidate=True, header_row=i + 1)
                break
        return res
    label = _norm_label(cfg["customer_label"])
    for i, row in enumerate(grid):
        cells = [c for c in row if c is not None and str(c).strip()]
        if not cells:
            continue
        if not label:  # the name column has no header label (Odoo): a blank first cell, then the labels
            if row and row[0] is not None and str(row[0]).strip():
                continue
            cells = ["", *cells]
        elif _norm_label(cells[0]) != label:
            continue
        hits = sum(1 for c in cells[1:] if _norm_label(c) in cfg["bucket_labels"])
        if hits < 1:
            continue
        title = _title_text(grid, i)
        t_hit = bool(cfg.get("detect_title") and re.search(cfg["detect_title"], title))
        tot = cfg["total_column"] is not None and any(_norm_label(c) == _norm_label(cfg["total_column"]) for c in cells)
        score = hits + 1 + tot + 3 * t_hit
        unknown = [c for c in cells[1:] if _norm_label(c) not in cfg["bucket_labels"] and _norm_label(c) not in cfg["other_labels"] and not (cfg["total_column"] and _norm_label(c) == _norm_label(cfg["total_column"]))]
        score -= 2 * len(unknown)
        res.update(score=score, own=hits, missing=[f"unknown column {u!r}" for u in unknown], candidate=not unknown, title=t_hit, header_row=i + 1)
        break
    return res


def detect_source(path) -> Detection:
    """The best-matching preset for the file at ``path`` (module docstring), or :class:`LedgerError` with the
    closest presets and what did not map."""
    from .load import norm_name

    path = Path(path)
    grid, where = _head(path)
    if grid is None:
        m = load_mapping("generic")
        return Detection("generic", "unknown", "nothing to recognise (read with the generic mapping)", m, {})
    suffix = Path(where).suffix.lower()
    kinds = preset_kinds()
    scores = {}
    for name, kind in kinds.items():
        if kind == "snapshot":
            scores[name] = _score_snapshot(name, grid, suffix)
        else:
            scores[name] = _score_ledger(name, _scoring_mapping(name), grid, suffix)
    cands = [r for r in scores.values() if r["candidate"]]
    if not cands:
        ledgers = [r for r in scores.values() if r["kind"] == "ledger"]
        near = sorted(ledgers, key=lambda r: (-len(set(REQUIRED) - set(r["missing"])), -r["score"]))[:3]
        parts = [f"{r['name']} (not mapped: {', '.join(r['missing'])})" for r in near]
        header = next((r.get("header") for r in near if r.get("header")), [])
        hints = []
        for col in near[0]["missing"] if near else []:
            close = difflib.get_close_matches(col, [norm_name(h) for h in header], n=1, cutoff=0.6)
            if close:
                orig = next(h for h in header if norm_name(h) == close[0])
                hints.append(f"is {orig!r} the {col}?")
        if header:
            parts[-1] += f"; the header holds {', '.join(repr(h) for h in header[:12])}" + (" " + " ".join(hints) if hints else "")
        raise LedgerError(
            f"{where}: no preset fits this export; the closest are {'; '.join(parts)}. "
            "Pass --source <preset> or write a mapping for the missing columns (docs/mappings.md)."
        )
    best = max(cands, key=lambda r: (r["score"], r["own"], r["name"] == "generic"))
    why = [f"header row {best.get('header_row')}"]
    if best.get("title"):
        why.append("its title matches")
    why.append(f"{best['own']} column(s) named by the preset" if best["name"] != "generic" else "columns carry arkit's names")
    runner = sorted((r for r in cands if r is not best), key=lambda r: -r["score"])
    if runner:
        why.append(f"next best {runner[0]['name']} scored {runner[0]['score']:g}")
    reason = f"recognised as {best['name']} (score {best['score']:g}: {', '.join(why)})"
    mapping = None
    if best["kind"] == "ledger":
        mapping = load_mapping(best["name"])
        mapping["_detection"] = {"preset": best["name"], "reason": reason, "score": best["score"]}
    return Detection(best["name"], best["kind"], reason, mapping, scores)
