"""Page furniture added to a rendered report's HTML: the table of contents at the top.

:func:`add_contents` lists every section heading (``<h2>`` — a notebook's ``## Section`` Markdown) as a
link to its anchor in the same file (``href="#…"``; nbconvert gives each heading an ``id``), in a ``<nav>``
placed first in ``<main>``. Generic: it works for any report notebook, with no per-report list to keep.
"""

from __future__ import annotations

import html as _html
import re

_H2 = re.compile(r'<h2\b[^>]*\bid="(?P<id>[^"]+)"[^>]*>(?P<body>.*?)</h2>', re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def sections(page: str) -> list[tuple[str, str]]:
    """(anchor id, heading text) of every ``<h2>`` with an id, in order."""
    out = []
    for m in _H2.finditer(page):
        text = _html.unescape(_TAG.sub("", m.group("body"))).strip()
        if text:
            out.append((_html.unescape(m.group("id")), text))
    return out


def add_contents(page: str, *, min_sections: int = 3) -> str:
    """``page`` with a table of contents linking each section, first in ``<main>`` (unchanged when it has
    fewer than ``min_sections`` sections or no ``<main>``)."""
    found = sections(page)
    if len(found) < min_sections or "<main>" not in page:
        return page
    items = "".join(f'<li><a href="#{_html.escape(i)}">{_html.escape(t)}</a></li>' for i, t in found)
    numbered = any(re.match(r"^\d+[.)]\s", t) for _, t in found)  # "1. The policy": no second number
    lst = f'<ul class="arkit-plain">{items}</ul>' if numbered else f"<ol>{items}</ol>"
    nav = f'<nav class="arkit-toc" aria-label="Contents"><strong>Contents</strong>{lst}</nav>'
    return page.replace("<main>", "<main>\n" + nav, 1)
