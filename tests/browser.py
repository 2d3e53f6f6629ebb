"""Opening a rendered report in headless Chromium (Debian's chromium, driven by Playwright) for tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def need(thing: str, reason: str):
    """Skip with the reason outside CI; fail in CI, where .ci/run installs what the browser tests need."""
    if _ci():
        pytest.fail(f"CI is set but {thing} is missing: {reason}")
    pytest.skip(f"{thing} is missing ({reason}); the browser test runs in CI")


def open_in_chromium(html: Path, workdir: Path) -> dict:
    """Load ``html`` from disk; return what a reader's browser saw.

    Keys: console (messages "type: text"), errors (page errors), dialogs (alert/confirm texts), requests
    (every URL requested), url, title, broken_images (images that did not decode), img_width (natural width
    of the first image, 0 if none), table_break (computed break-inside of the first table under print
    media), stddev (grey-level standard deviation of a screenshot: ~0 means blank).
    """
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if chromium is None:
        need("chromium", "apt-get install -y chromium (.ci/run does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("playwright", "pip install -e '.[test]'")
    from PIL import Image, ImageStat

    url = Path(html).as_uri()
    seen = {"console": [], "errors": [], "dialogs": [], "requests": [], "url": url}
    shot = Path(workdir) / "shot.png"
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(str(Path(workdir) / "profile"), executable_path=chromium, headless=True, args=FLAGS, viewport={"width": 1200, "height": 900})
        try:
            page = ctx.new_page()
            page.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))
            page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
            ctx.on("request", lambda r: seen["requests"].append(r.url))
            page.goto(url, wait_until="load")
            seen["title"] = page.title()
            seen["broken_images"] = page.evaluate("() => [...document.images].filter(i => !i.naturalWidth).length")
            seen["img_width"] = page.evaluate("() => document.images.length ? document.images[0].naturalWidth : 0")
            page.screenshot(path=str(shot), full_page=True)
            page.emulate_media(media="print")
            seen["table_break"] = page.evaluate("() => { const t = document.querySelector('table'); return t ? getComputedStyle(t).breakInside : null; }")
        finally:
            ctx.close()
    seen["stddev"] = ImageStat.Stat(Image.open(shot).convert("L")).stddev[0]
    return seen


def external_requests(seen: dict) -> list[str]:
    return [u for u in seen["requests"] if u != seen["url"] and not u.startswith("data:")]


def console_errors(seen: dict) -> list[str]:
    return [m for m in seen["console"] if m.startswith("error")] + seen["errors"] + seen["dialogs"]
