"""Server-rendered HTML: the phone survey, the analyst login and the dashboard.

Every value from a customer or the database goes through :func:`esc`: a comment is text, never
markup. The pages work without JavaScript; the dashboard's table sorting is a small extra.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from urllib.parse import quote, urlencode

from core.nps import NpsResult, signed
from core.survey_texts import (
    DEFAULT_FOLLOW_UP,
    DEFAULT_LABEL_HIGH,
    DEFAULT_LABEL_LOW,
    DEFAULT_QUESTION,
    DEFAULT_REASONS,
)
from hq.alerts import DEFAULT_PARAMS, RULE_KINDS, AlertLine, AlertRule
from hq.analytics import Dashboard, StoreLine
from hq.delivery import DeliveryLine
from hq.groups import StoreGroup
from hq.service import Store
from hq.webhooks import Webhook


def esc(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


FONT_FACES = """
@font-face{font-family:"Noto Sans";src:url(/static/fonts/NotoSans-Regular.ttf);font-weight:400}
@font-face{font-family:"Noto Sans";src:url(/static/fonts/NotoSans-Bold.ttf);font-weight:700}
@font-face{font-family:"Noto Sans Devanagari";
  src:url(/static/fonts/NotoSansDevanagari-Regular.ttf);font-weight:400}
@font-face{font-family:"Noto Sans Devanagari";
  src:url(/static/fonts/NotoSansDevanagari-Bold.ttf);font-weight:700}
"""

BASE_CSS = (
    FONT_FACES
    + """
:root{--ink:#1c2433;--muted:#5f6b7a;--line:#e3e7ee;--bg:#f4f6f9;--card:#fff;
  --accent:#0f6e6e;--accent-soft:#e3f1f0;--det:#c2410c;--det-soft:#fdebe2;--pas:#a16207;
  --pas-soft:#fbf1d9;--pro:#15803d;--pro-soft:#e2f4e7;--warn:#9a3412;--warn-soft:#fff4ec}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);
  font:16px/1.5 "Noto Sans","Noto Sans Devanagari",system-ui,sans-serif}
a{color:var(--accent)}
h1,h2,h3{line-height:1.25;margin:0}
.muted{color:var(--muted)}
.badge{display:inline-block;font-size:12px;font-weight:700;padding:2px 8px;border-radius:99px;
  background:var(--line);color:var(--muted);white-space:nowrap}
.badge.low{background:var(--pas-soft);color:var(--pas)}
.badge.ok{background:var(--pro-soft);color:var(--pro)}
.badge.bad{background:var(--det-soft);color:var(--det)}
button,.button{font:inherit;font-weight:700;border:0;border-radius:10px;padding:12px 20px;
  background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
"""
)

PHONE_CSS = (
    BASE_CSS
    + """
.wrap{max-width:560px;margin:0 auto;padding:20px 18px 40px}
header.top{display:flex;justify-content:space-between;align-items:center;margin-bottom:18px}
.brand{font-weight:700;color:var(--accent);font-size:15px;letter-spacing:.02em}
.langs a{margin-left:10px;font-size:15px;text-decoration:none;padding:4px 10px;
  border-radius:99px;color:var(--muted)}
.langs a.on{background:var(--accent-soft);color:var(--accent);font-weight:700}
.card{background:var(--card);border-radius:18px;padding:22px 18px;
  box-shadow:0 1px 2px rgba(16,24,40,.06),0 4px 16px rgba(16,24,40,.05)}
h1.q{font-size:21px;margin-bottom:18px}
.scale{display:grid;grid-template-columns:repeat(6,1fr);gap:8px}
.scale input{position:absolute;opacity:0;pointer-events:none}
.scale label{display:flex;align-items:center;justify-content:center;height:52px;
  border-radius:12px;border:1.5px solid var(--line);font-size:20px;font-weight:700;
  cursor:pointer;background:#fff;user-select:none}
.scale label{color:var(--ink)}
/* One neutral colour for every score: a red-to-green scale nudges the answer (DESIGN.md). */
.scale input:checked+label{color:#fff;border-color:transparent;background:var(--accent)}
.scale input:focus-visible+label{outline:3px solid var(--accent);outline-offset:2px}
.ends{display:flex;justify-content:space-between;font-size:13px;color:var(--muted);
  margin:8px 2px 0}
.follow{margin-top:24px;border-top:1px solid var(--line);padding-top:18px}
.follow h2{font-size:17px;margin-bottom:12px}
.follow h2 span{display:none}
.follow h2 span.any{display:inline}
form:has(.scale input:checked) .follow h2 span.any{display:none}
form:has(input[data-c=detractor]:checked) .follow h2 span.detractor{display:inline}
form:has(input[data-c=passive]:checked) .follow h2 span.passive{display:inline}
form:has(input[data-c=promoter]:checked) .follow h2 span.promoter{display:inline}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:14px}
.chips input{position:absolute;opacity:0;pointer-events:none}
.chips label{border:1.5px solid var(--line);border-radius:99px;padding:7px 14px;font-size:15px;
  cursor:pointer;background:#fff}
.chips input:checked+label{background:var(--accent-soft);border-color:var(--accent);
  color:var(--accent);font-weight:700}
textarea{width:100%;min-height:96px;font:inherit;border:1.5px solid var(--line);
  border-radius:12px;padding:10px 12px;resize:vertical}
.actions{margin-top:18px}
.actions button{width:100%;font-size:17px;padding:14px}
.notice{text-align:center;padding:36px 18px}
.notice .icon{font-size:44px;line-height:1;margin-bottom:12px}
.notice h1{font-size:22px;margin-bottom:8px}
.error{background:var(--det-soft);color:var(--det);border-radius:10px;padding:10px 12px;
  margin-bottom:14px;font-weight:700}
footer{text-align:center;font-size:12px;color:var(--muted);margin-top:18px}
"""
)

TEXT = {
    "en": {
        "submit": "Send",
        "tell": "Tell us more (optional)",
        "comment": "Anything else?",
        "thanks": "Thank you!",
        "thanks_sub": "Your answer has been received.",
        "already": "Already answered",
        "expired": "This link has expired",
        "invalid": "This link cannot be used",
        "limited": "Thank you!",
        "choose": "Please choose a score from 0 to 10.",
        "brand": "Your feedback",
        "privacy": "Anonymous unless you write your contact details in the comment.",
    },
    "hi": {
        "submit": "भेजें",
        "tell": "हमें और बताएँ (वैकल्पिक)",
        "comment": "कुछ और?",
        "thanks": "धन्यवाद!",
        "thanks_sub": "आपका उत्तर मिल गया है।",
        "already": "पहले ही उत्तर दिया जा चुका है",
        "expired": "यह लिंक समाप्त हो गया है",
        "invalid": "यह लिंक उपयोग नहीं किया जा सकता",
        "limited": "धन्यवाद!",
        "choose": "कृपया 0 से 10 तक कोई अंक चुनें।",
        "brand": "आपकी राय",
        "privacy": "गुमनाम, जब तक आप टिप्पणी में अपना संपर्क न लिखें।",
    },
}


def _page(title: str, body: str, *, css: str, lang: str = "en") -> str:
    return (
        f'<!doctype html><html lang="{esc(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{css}</style></head><body>{body}</body></html>"
    )


def _phone_header(*, store_id: str, token: str, lang: str) -> str:
    links = []
    for code, name in (("en", "English"), ("hi", "हिन्दी")):
        href = f"/m/{quote(store_id)}?{urlencode({'t': token, 'lang': code})}"
        cls = ' class="on"' if code == lang else ""
        links.append(f'<a href="{esc(href)}"{cls} lang="{code}">{esc(name)}</a>')
    return (
        f'<header class="top"><span class="brand">{esc(TEXT[lang]["brand"])}</span>'
        f'<nav class="langs">{"".join(links)}</nav></header>'
    )


def phone_form(*, store_id: str, token: str, lang: str, error: str | None = None) -> str:
    t = TEXT[lang]
    tiles = []
    for score in range(11):
        cat = "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
        cls = {"detractor": "d", "passive": "p", "promoter": "g"}[cat]
        tiles.append(
            f'<input type="radio" name="score" id="s{score}" value="{score}" '
            f'data-c="{cat}" required><label for="s{score}" class="{cls}">{score}</label>'
        )
    spans = [f'<span class="any">{esc(t["tell"])}</span>'] + [
        f'<span class="{cat}">{esc(q.get(lang) or q["en"])}</span>'
        for cat, q in DEFAULT_FOLLOW_UP.items()
    ]
    chips = "".join(
        f'<input type="checkbox" name="reasons" value="{esc(r["key"])}" id="r-{esc(r["key"])}">'
        f'<label for="r-{esc(r["key"])}">{esc(r.get(lang) or r["en"])}</label>'
        for r in DEFAULT_REASONS["detractor"]
    )
    err = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    body = (
        f'<div class="wrap">{_phone_header(store_id=store_id, token=token, lang=lang)}'
        f'<form class="card" method="post" action="/m/{esc(quote(store_id))}">{err}'
        f'<input type="hidden" name="t" value="{esc(token)}">'
        f'<input type="hidden" name="lang" value="{esc(lang)}">'
        f'<h1 class="q">{esc(DEFAULT_QUESTION[lang])}</h1>'
        f'<div class="scale" role="radiogroup">{"".join(tiles)}</div>'
        f'<div class="ends"><span>0 · {esc(DEFAULT_LABEL_LOW[lang])}</span>'
        f"<span>{esc(DEFAULT_LABEL_HIGH[lang])} · 10</span></div>"
        f'<div class="follow"><h2>{"".join(spans)}</h2><div class="chips">{chips}</div>'
        f'<textarea name="comment" maxlength="1000" placeholder="{esc(t["comment"])}"></textarea>'
        f'</div><div class="actions"><button type="submit">{esc(t["submit"])}</button></div>'
        f"</form><footer>{esc(t['privacy'])}</footer></div>"
    )
    return _page(DEFAULT_QUESTION[lang], body, css=PHONE_CSS, lang=lang)


def phone_notice(*, kind: str, message: str, lang: str) -> str:
    t = TEXT.get(lang, TEXT["en"])
    icon = {"thanks": "✓", "already": "✓", "limited": "✓"}.get(kind, "!")
    title = t["thanks"] if kind == "thanks" else t.get(kind, t["invalid"])
    sub = t["thanks_sub"] if kind == "thanks" else message
    body = (
        f'<div class="wrap"><div class="card notice" data-kind="{esc(kind)}">'
        f'<div class="icon" aria-hidden="true">{icon}</div><h1>{esc(title)}</h1>'
        f'<p class="muted">{esc(sub)}</p></div></div>'
    )
    return _page(title, body, css=PHONE_CSS, lang=lang)


# Analyst pages ----------------------------------------------------------------------------

DASH_CSS = (
    BASE_CSS
    + """
.bar{background:#fff;border-bottom:1px solid var(--line)}
.bar .in{max-width:1200px;margin:0 auto;padding:14px 28px;display:flex;align-items:center;
  justify-content:space-between}
.bar .brand{font-weight:700;font-size:17px}
.bar .brand span{color:var(--accent)}
.bar form{margin:0}
.bar button{background:none;color:var(--muted);padding:6px 10px;font-weight:400}
.nav{display:flex;gap:4px;margin-right:auto;margin-left:28px}
.nav a{text-decoration:none;color:var(--muted);padding:6px 12px;border-radius:99px;font-size:15px}
.nav a.on{background:var(--accent-soft);color:var(--accent);font-weight:700}
.filter{display:flex;align-items:center;gap:10px;margin-bottom:16px;font-size:15px}
.filter label{color:var(--muted)}
select,input[type=text],input[type=number],input[type=email]{font:inherit;padding:8px 10px;
  border:1.5px solid var(--line);border-radius:10px;background:#fff}
main{max-width:1200px;margin:0 auto;padding:24px 28px 48px}
.alerts{margin-bottom:20px}
.alert{background:var(--warn-soft);color:var(--warn);border:1px solid #f6d5bf;border-radius:10px;
  padding:10px 14px;margin-bottom:8px;font-weight:700;font-size:15px}
.kpis{display:grid;grid-template-columns:1.3fr 1fr 1fr;gap:16px;margin-bottom:24px}
.card{background:var(--card);border-radius:14px;padding:18px 20px;
  box-shadow:0 1px 2px rgba(16,24,40,.06),0 4px 16px rgba(16,24,40,.04)}
.kpi .label{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);
  font-weight:700}
.kpi .value{font-size:44px;font-weight:700;line-height:1.1;margin:6px 0 4px}
.kpi .sub{font-size:14px;color:var(--muted)}
.split{display:flex;height:8px;border-radius:99px;overflow:hidden;margin-top:10px;
  background:var(--line)}
.split i{display:block}
section{margin-bottom:24px}
section h2{font-size:18px;margin-bottom:12px}
table{width:100%;border-collapse:collapse;font-size:15px}
th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.06em;
  color:var(--muted);padding:8px 10px;border-bottom:1px solid var(--line);white-space:nowrap}
th[data-sort]{cursor:pointer}
th[data-sort]::after{content:" ↕";opacity:.4}
td{padding:10px;border-bottom:1px solid var(--line);vertical-align:middle}
tr:last-child td{border-bottom:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.nps{font-weight:700;font-size:17px}
.pos{color:var(--pro)} .neg{color:var(--det)}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.comments{list-style:none;margin:0;padding:0}
.comments li{padding:10px 0;border-bottom:1px solid var(--line)}
.comments li:last-child{border-bottom:0}
.comments .meta{font-size:13px;color:var(--muted);margin-bottom:2px}
.comments .text{white-space:pre-wrap;overflow-wrap:anywhere}
.score{display:inline-block;min-width:24px;text-align:center;border-radius:6px;
  background:var(--det-soft);color:var(--det);font-weight:700;margin-right:6px}
.trends{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:16px}
.trend h3{font-size:15px;margin-bottom:2px}
.trend .sub{font-size:13px;color:var(--muted);margin-bottom:6px}
svg text{font:11px "Noto Sans",system-ui,sans-serif;fill:var(--muted)}
.empty{color:var(--muted);padding:8px 0}
.login{max-width:380px;margin:10vh auto;padding:28px}
.login h1{font-size:22px;margin-bottom:16px}
.login label{display:block;font-size:14px;color:var(--muted);margin:12px 0 4px}
.login input{width:100%;font:inherit;padding:10px 12px;border:1.5px solid var(--line);
  border-radius:10px}
.login button{width:100%;margin-top:18px}
.login .error{background:var(--det-soft);color:var(--det);border-radius:10px;padding:8px 12px}
"""
)

SORT_JS = """
document.querySelectorAll('table.sortable th[data-sort]').forEach((th, i) => {
  th.addEventListener('click', () => {
    const body = th.closest('table').tBodies[0];
    const asc = th.dataset.dir !== 'asc'; th.dataset.dir = asc ? 'asc' : 'desc';
    const idx = [...th.parentNode.children].indexOf(th);
    const key = r => { const v = r.children[idx].dataset.v ?? r.children[idx].textContent;
      const n = parseFloat(v); return isNaN(n) ? v.toLowerCase() : n; };
    [...body.rows].sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0)
      * (asc ? 1 : -1)).forEach(r => body.appendChild(r));
  });
});
"""


def login_page(*, error: str | None = None) -> str:
    err = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    body = (
        '<form class="card login" method="post" action="/login">'
        '<h1>NPS <span style="color:var(--accent)">HQ</span></h1>'
        f'{err}<label for="u">User name</label>'
        '<input id="u" name="username" autocomplete="username" required autofocus>'
        '<label for="p">Password</label>'
        '<input id="p" name="password" type="password" autocomplete="current-password" '
        'required><button type="submit">Sign in</button></form>'
    )
    return _page("Sign in · NPS HQ", body, css=DASH_CSS)


def _nps_text(r: NpsResult) -> str:
    return "—" if r.nps is None else signed(r.nps)


def _interval(r: NpsResult) -> str:
    if r.nps is None:
        return "—"
    return f"{signed(r.ci_low)} to {signed(r.ci_high)}"


def _cls(r: NpsResult) -> str:
    if r.nps is None:
        return ""
    return "pos" if r.nps > 0 else "neg" if r.nps < 0 else ""


def _when(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "never"
    secs = (now - at).total_seconds()
    if secs < 90:
        return "just now"
    if secs < 5400:
        return f"{int(secs // 60)} min ago"
    if secs < 2 * 86400:
        return f"{int(secs // 3600)} h ago"
    return f"{int(secs // 86400)} days ago"


def trend_svg(line: StoreLine, *, width: int = 340, height: int = 120) -> str:
    """Weekly NPS as a line on a -100..100 scale; weeks without answers leave a gap."""
    pad_l, pad_r, pad_t, pad_b = 30, 8, 8, 18
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(line.trend)

    def x(i: int) -> float:
        return pad_l + (w * i / max(1, n - 1))

    def y(v: int) -> float:
        return pad_t + h * (100 - v) / 200

    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="Weekly NPS of {esc(line.store_id)}">'
    ]
    dash = ' stroke-dasharray="3,3"'
    for v in (100, 0, -100):
        parts.append(
            f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#e3e7ee" stroke-width="1"{"" if v else dash}/>'
            f'<text x="{pad_l - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{signed(v)}'
            "</text>"
        )
    for i in (0, n - 1):
        label = line.trend[i][0][5:]
        anchor = "start" if i == 0 else "end"
        parts.append(f'<text x="{x(i):.1f}" y="{height - 3}" text-anchor="{anchor}">{label}</text>')
    segment: list[str] = []
    paths = []
    for i, (_wk, value, _n) in enumerate(line.trend):
        if value is None:
            if segment:
                paths.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(value):.1f}")
    if segment:
        paths.append(segment)
    for seg in paths:
        parts.append(
            f'<polyline points="{" ".join(seg)}" fill="none" stroke="#0f6e6e" '
            'stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round"/>'
        )
        for pt in seg:
            cx, cy = pt.split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.6" fill="#0f6e6e"/>')
    parts.append("</svg>")
    return "".join(parts)


def dashboard_page(d: Dashboard, *, user: str, now: datetime, csrf: str = "") -> str:
    c = d.chain
    alerts = "".join(
        f'<div class="alert" role="status">{esc(x.stale_note)}</div>'
        for x in d.devices
        if x.stale_note
    )
    split = ""
    if c.n:
        split = (
            '<div class="split" aria-hidden="true">'
            f'<i style="width:{100 * c.detractors / c.n:.1f}%;background:var(--det)"></i>'
            f'<i style="width:{100 * c.passives / c.n:.1f}%;background:#e0b341"></i>'
            f'<i style="width:{100 * c.promoters / c.n:.1f}%;background:var(--pro)"></i>'
            "</div>"
        )
    low = ' <span class="badge low">low sample</span>' if c.low_sample and c.n else ""
    attention = sum(1 for x in d.devices if x.stale_note)
    active = sum(1 for x in d.devices if x.enrolled and not x.revoked)
    kpis = (
        '<div class="kpis">'
        f'<div class="card kpi"><div class="label">Chain NPS · last 90 days</div>'
        f'<div class="value {_cls(c)}" id="chain-nps">{_nps_text(c)}</div>'
        f'<div class="sub">95% interval {_interval(c)} · {c.n} responses{low}</div>{split}</div>'
        f'<div class="card kpi"><div class="label">Responses stored</div>'
        f'<div class="value">{d.total_responses:,}</div>'
        f'<div class="sub">{len(d.stores)} stores · all time, every channel</div></div>'
        f'<div class="card kpi"><div class="label">Devices</div>'
        f'<div class="value">{active}</div>'
        f'<div class="sub">{attention} need attention</div></div></div>'
    )
    rows = []
    for s in d.stores:
        r = s.result
        badge = ' <span class="badge low">low sample</span>' if r.low_sample and r.n else ""
        rows.append(
            f'<tr><td data-v="{esc(s.store_id)}"><strong>{esc(s.name)}</strong>'
            f'<div class="muted" style="font-size:13px">{esc(s.store_id)}</div></td>'
            f'<td class="num" data-v="{r.n}">{r.n}</td>'
            f'<td class="num nps {_cls(r)}" data-v="{-999 if r.nps is None else r.nps}">'
            f'{_nps_text(r)}</td><td class="num">{_interval(r)}</td>'
            f"<td>{badge}</td></tr>"
        )
    stores = (
        '<section class="card"><h2>Stores</h2>'
        '<table class="sortable" id="stores"><thead><tr><th data-sort>Store</th>'
        '<th data-sort class="num">n</th><th data-sort class="num">NPS</th>'
        '<th class="num">95% interval</th><th></th></tr></thead><tbody>'
        + (
            "".join(rows)
            or '<tr><td colspan="5" class="empty">No stores yet: nps-hq add-store STORE</td></tr>'
        )
        + "</tbody></table></section>"
    )
    trends = "".join(
        f'<div class="card trend"><h3>{esc(s.name)}</h3><div class="sub">weekly NPS · '
        f"{sum(n for _w, _v, n in s.trend)} responses in 12 weeks</div>{trend_svg(s)}</div>"
        for s in d.stores
    )
    trend_section = (
        (f'<section><h2>Trend by store</h2><div class="trends">{trends}</div></section>')
        if d.stores
        else ""
    )
    comments = "".join(
        f'<li><div class="meta"><span class="score">{x.score}</span>{esc(x.store_id)} · '
        f"{esc(x.channel)} · {x.device_time:%d %b %Y %H:%M} UTC</div>"
        f'<div class="text">{esc(x.comment)}</div></li>'
        for x in d.comments
    )
    comments_section = (
        '<section class="card"><h2>Latest detractor comments</h2>'
        f'<ul class="comments" id="comments">{comments}</ul>'
        + ("" if d.comments else '<p class="empty">None yet.</p>')
        + "</section>"
    )
    dev_rows = []
    for x in d.devices:
        if x.revoked:
            status = '<span class="badge">revoked</span>'
        elif not x.enrolled:
            status = '<span class="badge low">code not used</span>'
        elif x.stale_note:
            status = '<span class="badge bad">not syncing</span>'
        else:
            status = '<span class="badge ok">ok</span>'
        dev_rows.append(
            f'<tr><td>{esc(x.device_id)}<div class="muted" style="font-size:13px">'
            f"{esc(x.store_id)}</div></td><td>{_when(x.last_sync_at, now)}</td>"
            f'<td class="num">{"—" if x.backlog is None else x.backlog}</td><td>{status}</td></tr>'
        )
    devices = (
        '<section class="card"><h2>Devices</h2><table id="devices"><thead><tr>'
        '<th>Device</th><th>Last sync</th><th class="num">Backlog</th><th>Status</th>'
        "</tr></thead><tbody>"
        + (
            "".join(dev_rows)
            or '<tr><td colspan="4" class="empty">No devices yet: '
            "nps-hq enroll-device --store STORE</td></tr>"
        )
        + "</tbody></table></section>"
    )
    body = (
        top_bar(user=user, here="/", csrf=csrf)
        + f"<main>{f'<div class=alerts>{alerts}</div>' if alerts else ''}"
        f"{group_filter(d)}{kpis}{group_section(d)}{stores}"
        f'{trend_section}<div class="grid2">{comments_section}{devices}</div></main>'
        f"<script>{SORT_JS}</script>"
    )
    return _page("NPS HQ", body, css=DASH_CSS)


NAV = (("/", "Dashboard"), ("/alerts", "Alert rules"), ("/deliveries", "Delivery log"))


def csrf_field(token: str) -> str:
    """The hidden form field HQ checks on every POST made with a session (hq/csrf.py)."""
    return f'<input type="hidden" name="csrf_token" value="{esc(token)}">' if token else ""


def top_bar(*, user: str, here: str, csrf: str = "") -> str:
    """The analyst pages' bar: brand, the three pages, the user and sign-out."""
    on = ' class="on" aria-current="page"'
    links = "".join(
        f'<a href="{href}"{on if href == here else ""}>{esc(label)}</a>' for href, label in NAV
    )
    return (
        '<div class="bar"><div class="in"><div class="brand">NPS <span>HQ</span></div>'
        f'<nav class="nav">{links}</nav>'
        f'<form method="post" action="/logout">{csrf_field(csrf)}'
        f'<span class="muted">{esc(user)}</span>'
        '<button type="submit">Sign out</button></form></div></div>'
    )


def group_filter(d: Dashboard) -> str:
    if not d.groups and not d.group_id:
        return ""
    options = ['<option value="">Whole chain</option>'] + [
        f'<option value="{esc(g.key)}"{" selected" if g.key == d.group_id else ""}>'
        f"{esc(g.key)}</option>"
        for g in d.groups
    ]
    return (
        '<form class="filter" method="get" action="/"><label for="group">Stores</label>'
        f'<select id="group" name="group" onchange="this.form.submit()">{"".join(options)}'
        '</select><noscript><button type="submit">Show</button></noscript></form>'
    )


def group_section(d: Dashboard) -> str:
    if not d.groups:
        return ""
    rows = "".join(
        f'<tr><td><a href="/?group={esc(quote(g.key))}">{esc(g.key)}</a></td>'
        f'<td class="num">{g.result.n}</td>'
        f'<td class="num nps {_cls(g.result)}">{_nps_text(g.result)}</td>'
        f'<td class="num">{_interval(g.result)}</td><td>'
        + (' <span class="badge low">low sample</span>' if g.result.low_sample else "")
        + "</td></tr>"
        for g in d.groups
    )
    return (
        '<section class="card"><h2>Store groups · last 90 days</h2><table id="groups">'
        '<thead><tr><th>Group</th><th class="num">n</th><th class="num">NPS</th>'
        f'<th class="num">95% interval</th><th></th></tr></thead><tbody>{rows}</tbody></table>'
        "</section>"
    )


# Alert rules and the delivery log ---------------------------------------------------------

ALERT_CSS = """
.form{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px 16px;
  align-items:end}
.form label{display:block;font-size:13px;color:var(--muted);margin-bottom:4px;font-weight:700}
.form select,.form input,.form textarea{width:100%}
.form textarea{min-height:64px;font:inherit;font-size:14px;border:1.5px solid var(--line);
  border-radius:10px;padding:8px 10px}
.form .wide{grid-column:1/-1}
.hint{font-size:13px;color:var(--muted);margin-top:4px}
.error{background:var(--det-soft);color:var(--det);border-radius:10px;padding:10px 12px;
  margin-bottom:16px;font-weight:700}
.secret{background:var(--accent-soft);border-radius:10px;padding:12px 14px;margin-bottom:16px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;
  overflow-wrap:anywhere}
td .who{display:block;font-size:13px}
button.link{background:none;color:var(--det);padding:0;font-weight:700;font-size:14px}
tr.off td{color:var(--muted)}
.tries{list-style:none;margin:0;padding:0;font-size:13px}
.tries li{white-space:nowrap}
#deliveries td{vertical-align:top}
#deliveries td.what{width:38%}
#deliveries td.to .mono{overflow-wrap:normal;word-break:normal;white-space:nowrap}
.tries .ok{color:var(--pro)} .tries .no{color:var(--det)}
.status-sent{background:var(--pro-soft);color:var(--pro)}
.status-pending{background:var(--pas-soft);color:var(--pas)}
.status-held{background:var(--accent-soft);color:var(--accent)}
.status-failed{background:var(--det-soft);color:var(--det)}
"""


def alert_rules_page(
    *,
    rules: list[AlertRule],
    hooks: list[Webhook],
    groups: list[StoreGroup],
    stores: list[Store],
    recent: list[AlertLine],
    user: str,
    error: str | None = None,
    new_secret: str | None = None,
    csrf: str = "",
) -> str:
    """The rules kept at HQ, a form to add one, the webhook receivers, the latest alerts."""
    rows = []
    for r in rules:
        who = "".join(
            f'<span class="who mono">{esc(x.channel)}:{esc(x.target)}'
            + (' <span class="badge">sees contact</span>' if x.contact else "")
            + "</span>"
            for x in r.recipients
        )
        action = (
            '<span class="badge">off</span>'
            if r.disabled
            else f'<form method="post" action="/alerts/rules/{r.id}/disable">{csrf_field(csrf)}'
            '<button class="link" type="submit">Turn off</button></form>'
        )
        rows.append(
            f"<tr{' class=off' if r.disabled else ''}><td><strong>{esc(r.name)}</strong>"
            f'<div class="muted" style="font-size:13px">{esc(RULE_KINDS[r.kind])}</div></td>'
            f"<td>{esc(r.scope)}</td><td>{esc(r.describe())}</td><td>{who}</td>"
            f'<td><span class="badge {"ok" if r.mode == "now" else ""}">'
            f"{'at once' if r.mode == 'now' else 'daily digest'}</span></td><td>{action}</td></tr>"
        )
    table = (
        '<section class="card"><h2>Alert rules</h2><table id="rules"><thead><tr>'
        "<th>Rule</th><th>Watches</th><th>When</th><th>Recipients</th><th>Sent</th><th></th>"
        "</tr></thead><tbody>"
        + (
            "".join(rows)
            or '<tr><td colspan="6" class="empty">No rules yet: add one below or with '
            "nps-hq alerts add.</td></tr>"
        )
        + "</tbody></table></section>"
    )
    kinds = "".join(f'<option value="{k}">{esc(v)}</option>' for k, v in RULE_KINDS.items())
    scopes = (
        ['<option value="">Every store</option>']
        + [f'<option value="group:{esc(g.group_id)}">Group {esc(g.name)}</option>' for g in groups]
        + [f'<option value="store:{esc(s.store_id)}">Store {esc(s.name)}</option>' for s in stores]
    )
    settings = "".join(
        f'<div><label for="p_{key}">{esc(key.replace("_", " "))} '
        f'<span class="muted">({esc(kind)})</span></label><input type="number" step="any" '
        f'min="0" id="p_{key}" name="p_{key}" placeholder="{value:g}"></div>'
        for kind, params in DEFAULT_PARAMS.items()
        for key, value in params.items()
    )
    form = (
        '<section class="card"><h2>Add a rule</h2>'
        f'<form class="form" method="post" action="/alerts/rules">{csrf_field(csrf)}'
        '<div><label for="name">Name</label><input type="text" id="name" name="name" '
        'maxlength="120" placeholder="e.g. North detractors"></div>'
        f'<div><label for="kind">Alert on</label><select id="kind" name="kind">{kinds}</select>'
        "</div>"
        f'<div><label for="scope">Stores</label><select id="scope" name="scope">'
        f"{''.join(scopes)}</select></div>"
        '<div><label for="mode">Send</label><select id="mode" name="mode">'
        '<option value="now">At once</option><option value="digest">Daily digest</option>'
        "</select></div>"
        '<div class="wide"><label for="recipients">Recipients, one a line</label>'
        '<textarea id="recipients" name="recipients" required placeholder="email:cx@chain.example'
        '&#10;webhook:ops;contact"></textarea><div class="hint">email:ADDRESS or webhook:NAME; '
        "add ;contact to let that recipient see a customer's contact details.</div></div>"
        f"{settings}"
        '<div><button type="submit">Add rule</button></div></form></section>'
    )
    hook_rows = "".join(
        f'<tr><td class="mono">{esc(h.name)}</td><td class="mono">{esc(h.url)}</td>'
        f"<td>{'<span class=badge>off</span>' if h.disabled else ''}</td></tr>"
        for h in hooks
    )
    hooks_section = (
        '<section class="card"><h2>Webhooks</h2><table id="webhooks"><thead><tr><th>Name</th>'
        "<th>URL</th><th></th></tr></thead><tbody>"
        + (hook_rows or '<tr><td colspan="3" class="empty">None yet.</td></tr>')
        + '</tbody></table><form class="form" method="post" action="/alerts/webhooks" '
        f'style="margin-top:12px">{csrf_field(csrf)}'
        '<div><label for="wh-name">Name</label><input type="text" '
        'id="wh-name" name="name" required></div><div><label for="wh-url">URL</label>'
        '<input type="text" id="wh-url" name="url" required placeholder="https://"></div>'
        '<div><button type="submit">Add webhook</button></div></form></section>'
    )
    recent_items = "".join(
        f'<li><div class="meta">{esc(RULE_KINDS.get(a.kind, a.kind))} · '
        f"{a.created_at:%d %b %Y %H:%M} UTC</div>"
        f'<div class="text">{esc(a.summary)}</div></li>'
        for a in recent
    )
    recent_section = (
        '<section class="card"><h2>Latest alerts</h2>'
        f'<ul class="comments" id="recent">{recent_items}</ul>'
        + ("" if recent else '<p class="empty">None yet.</p>')
        + "</section>"
    )
    notices = ""
    if error:
        notices += f'<p class="error" role="alert">{esc(error)}</p>'
    if new_secret:
        notices += (
            '<div class="secret" role="status"><strong>Webhook added.</strong> Its signing '
            f'secret (shown once): <code id="secret">{esc(new_secret)}</code></div>'
        )
    body = (
        top_bar(user=user, here="/alerts", csrf=csrf)
        + f"<main>{notices}{table}{form}"
        + f'<div class="grid2">{hooks_section}{recent_section}</div></main>'
    )
    return _page("Alert rules · NPS HQ", body, css=DASH_CSS + ALERT_CSS)


def delivery_log_page(
    lines: list[DeliveryLine], *, user: str, now: datetime, csrf: str = ""
) -> str:
    """Each alert message with every attempt to send it."""
    rows = []
    for d in lines:
        tries = "".join(
            f'<li><span class="{"ok" if a.ok else "no"}">{"✓" if a.ok else "✗"}</span> '
            f"{a.at:%H:%M:%S} · {esc(a.detail[:80])} · {a.duration_ms} ms</li>"
            for a in d.attempts
        )
        if d.status == "pending" and d.attempts:
            nxt = (
                '<div class="muted" style="font-size:13px">'
                f"next try {d.next_attempt_at:%H:%M:%S}</div>"
            )
        else:
            nxt = ""
        rows.append(
            f"<tr><td>{d.created_at:%d %b %H:%M:%S}</td>"
            f'<td class="what">{esc(d.summary)}<div class="muted mono" title="{esc(d.id)}">'
            f"{esc(d.kind)} …{esc(d.id[-12:])}</div></td>"
            f'<td class="to"><span class="mono">{esc(d.channel)}:{esc(d.target)}</span></td>'
            f'<td><span class="badge status-{esc(d.status)}">{esc(d.status)}</span>{nxt}</td>'
            f'<td><ul class="tries">{tries or "<li class=muted>not tried yet</li>"}</ul></td></tr>'
        )
    sent = sum(1 for d in lines if d.status == "sent")
    waiting = sum(1 for d in lines if d.status in ("pending", "held"))
    failed = sum(1 for d in lines if d.status == "failed")
    table = (
        '<section class="card"><h2>Delivery log</h2>'
        f'<p class="muted" style="margin-top:0">{sent} sent · {waiting} waiting · {failed} '
        "given up · newest first; times in UTC. A receiver that is down gets the same body "
        "later.</p>"
        '<table id="deliveries"><thead><tr><th>Made</th><th>Alert</th><th>To</th>'
        "<th>Status</th><th>Attempts</th></tr></thead><tbody>"
        + ("".join(rows) or '<tr><td colspan="5" class="empty">No alerts sent yet.</td></tr>')
        + "</tbody></table></section>"
    )
    body = top_bar(user=user, here="/deliveries", csrf=csrf) + f"<main>{table}</main>"
    return _page("Delivery log · NPS HQ", body, css=DASH_CSS + ALERT_CSS)
