"""Colour contrast (WCAG 2.2) of the kiosk's style sheet (assets/style.qss, with ui/theme.py's
colours) and HQ's CSS (hq/templates/css/): every colour pair is read from the sheets themselves.

- Text (1.4.3): a rule's ``color`` against its own background, or, when it sets none, against
  each background its text may sit on (the page, the cards, the panels that hold text): >= 4.5:1.
  Disabled controls are exempt (WCAG's "inactive user interface component").
- State (1.4.11): what shows focus or a checked/pressed state -- the border of a ``:focus`` rule,
  the fill of a ``:checked`` rule, a checkbox's border -- against what is around it: >= 3:1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXT, STATE = 4.5, 3.0


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_the_ratio_is_wcags() -> None:
    assert ratio("#000", "#fff") == pytest.approx(21)
    assert ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


Rule = tuple[str, dict[str, str]]


def rules(css: str) -> list[Rule]:
    """(selector, declarations) of a sheet; @media blocks are read like the rest."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@media[^{]*\{", "", css)
    out = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        decls = {}
        for decl in body.split(";"):
            key, _, value = decl.partition(":")
            if value.strip():
                decls[key.strip().lower()] = value.strip()
        out.append((" ".join(selector.split()), decls))
    return out


NAMED = {"white": "#ffffff", "black": "#000000"}


def colour(value: str | None, variables: dict[str, str]) -> str | None:
    """The solid colour in a declaration (``background: var(--x)``, ``#fff``, ``white``,
    ``2px solid $line``); None for none/transparent/rgba."""
    if not value:
        return None
    value = re.sub(r"var\((--[\w-]+)\)", lambda m: variables.get(m.group(1), m.group(0)), value)
    found = re.search(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|\b(white|black)\b", value)
    if not found:
        return None
    return NAMED.get(found.group(0), found.group(0))


def background(decls: dict[str, str], variables: dict[str, str]) -> str | None:
    return colour(decls.get("background-color") or decls.get("background"), variables)


def border(decls: dict[str, str], variables: dict[str, str]) -> str | None:
    for key in ("border-color", "border", "outline", "border-bottom"):
        if found := colour(decls.get(key), variables):
            return found
    return None


def check(
    sheet: list[Rule], variables: dict[str, str], surfaces: dict[str, str]
) -> list[tuple[str, str, str, float, float]]:
    """Every pair below its threshold: (selector, foreground, background, ratio, needed)."""
    low = []
    for selector, decls in sheet:
        if ":disabled" in selector:
            continue
        own_bg = background(decls, variables)
        under = {own_bg} if own_bg else set(surfaces.values())
        text = colour(decls.get("color"), variables)
        if text:
            low += [(selector, text, bg, ratio(text, bg), TEXT) for bg in under]
        stateful = re.search(r":(focus|checked|pressed|focus-visible)|::indicator", selector)
        edge = border(decls, variables)
        if stateful and edge and edge != own_bg:
            low += [(selector, edge, bg, ratio(edge, bg), STATE) for bg in surfaces.values()]
        if stateful and own_bg and ":checked" in selector and not edge:
            low += [(selector, own_bg, bg, ratio(own_bg, bg), STATE) for bg in surfaces.values()]
    return [pair for pair in low if pair[3] < pair[4]]


# ---- the kiosk ---------------------------------------------------------------------------


def kiosk_sheet() -> tuple[list[Rule], dict[str, str]]:
    from ui.theme import COLOURS

    text = (ROOT / "assets" / "style.qss").read_text(encoding="utf-8")
    # $tokens: the colours by name (sizes are left as they are; they hold no colour).
    text = re.sub(r"\$(\w+)", lambda m: COLOURS.get(m.group(1), m.group(0)), text)
    return rules(text), {}


def test_the_kiosk_style_sheet_has_the_contrast_wcag_asks() -> None:
    from ui.theme import COLOURS

    sheet, variables = kiosk_sheet()
    # Where kiosk text sits: the window, the cards and the contact box, the notice banner.
    surfaces = {
        "bg": COLOURS["bg"],
        "card": COLOURS["card"],
        "card_soft": COLOURS["card_soft"],
    }
    banner = [r for r in sheet if r[0].startswith("#notice")]
    rest = [r for r in sheet if not r[0].startswith("#notice")]
    low = check(rest, variables, surfaces) + check(
        banner, variables, {"notice": COLOURS["notice_bg"]}
    )
    assert low == []
    assert len([r for r in sheet if "color" in r[1]]) > 15  # the sheet was read


def test_the_kiosk_score_buttons_stay_one_neutral_colour() -> None:
    sheet, _ = kiosk_sheet()
    fills = {
        d.get("background")
        for s, d in sheet
        if 'kind="score"]' in s and ":" not in s.split("]")[-1] and "background" in d
    }
    assert len(fills) == 1


# ---- HQ ----------------------------------------------------------------------------------


def hq_sheets() -> tuple[list[Rule], dict[str, str]]:
    sheet: list[Rule] = []
    for path in sorted((ROOT / "hq" / "templates" / "css").glob("*.css")):
        sheet += rules(path.read_text(encoding="utf-8"))
    root = next(d for s, d in sheet if s == ":root")
    variables = {k: v for k, v in root.items() if k.startswith("--")}
    return [r for r in sheet if r[0] != ":root"], variables


def test_hq_style_sheets_have_the_contrast_wcag_asks() -> None:
    sheet, variables = hq_sheets()
    # Where HQ's text sits: the page, the cards, the open details, the notices and alerts.
    surfaces = {
        "bg": variables["--bg"],
        "card": variables["--card"],
        "secret": variables["--accent-soft"],
        "alert": variables["--warn-soft"],
    }
    low = check(sheet, variables, surfaces)
    assert low == []
    assert len([r for r in sheet if "color" in r[1]]) > 30  # the sheets were read
