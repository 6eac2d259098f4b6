"""The shell every published page shares: one self-contained HTML file, styled inline.

Pages are built by pure functions that return strings, and every piece of text that came from
a person goes through `text()` (html.escape, quotes included) on its way in; attribute values
too. Hand-written rather than a template engine: there are three small pages, the escaping
rule is one function, and no new dependency has to be trusted not to load anything.

What each page gets from here, for WCAG 2.2 AA and for paper:
- `lang="en-GB"`, a skip link, header / main / footer landmarks, one h1;
- colours with at least 4.5:1 contrast for text, and every rating shown as a word and a
  symbol as well as a colour (`rating_badge`), so colour is never the only signal;
- a layout that reflows at 375 px (no fixed widths; wide tables scroll inside a focusable
  region) and print CSS for A4 (table headers repeat, rows never split, links print their
  address, nothing is cut off at the page edge);
- no external request of any kind: no fonts, scripts, images or styles from elsewhere.
"""

from __future__ import annotations

import html
from datetime import date, datetime
from zoneinfo import ZoneInfo

from storage.values import Rating

UNANSWERED = "unanswered"

# rating -> (word, symbol, letter, css class)
RATINGS: dict[str, tuple[str, str, str, str]] = {
    Rating.MET: ("Met", "✔", "M", "met"),
    Rating.PARTLY_MET: ("Partly met", "◐", "P", "partly"),
    Rating.NOT_MET: ("Not met", "✘", "N", "notmet"),
    Rating.NOT_APPLICABLE: ("Not applicable", "–", "NA", "na"),
    UNANSWERED: ("Not answered", "?", "U", "none"),
}
STATUS_WORDS = {
    "in_progress": "In progress",
    "completed": "Completed",
    "not_assessed": "Not assessed yet",
}

# Nothing may load or run: no scripts at all, styles only from this file, images only inline.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)

CSS = """
:root{--ink:#0b0c0c;--muted:#484949;--line:#b1b4b6;--link:#1d4f91;--focus:#ffdd00;
--met:#005b8f;--partly:#f0e442;--notmet:#a63a00;--na:#d9d9d9;--none:#f3f2f1;--panel:#f3f2f1}
*{box-sizing:border-box}
html{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;font-size:100%;color:var(--ink);
line-height:1.5;background:#fff}
body{margin:0}
a{color:var(--link);text-decoration-thickness:1px;text-underline-offset:.15em}
a:focus{outline:3px solid var(--focus);background:var(--focus);color:var(--ink)}
.skip{position:absolute;left:-9999px;top:0;padding:.5rem 1rem;background:var(--focus);
color:var(--ink)}
.skip:focus{left:0;z-index:2}
.page-header{background:#0b0c0c;color:#fff;padding:.75rem 1rem}
.page-header p{margin:0;font-weight:bold}
.page-header .sub{font-weight:normal}
main,.page-footer{max-width:62rem;margin:0 auto;padding:1rem}
h1{font-size:2rem;line-height:1.2;margin:.5rem 0 1rem}
h2{font-size:1.5rem;line-height:1.25;margin:2rem 0 .75rem;border-top:1px solid var(--line);
padding-top:1rem}
h3{font-size:1.15rem;margin:1.5rem 0 .5rem}
p,li,dd,h1,h3{overflow-wrap:break-word}
.lede{font-size:1.15rem;max-width:40rem}
.facts{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.25rem 1rem;margin:0}
.facts dt{font-weight:bold}
.facts dd{margin:0}
.result{border-left:.5rem solid var(--ink);background:var(--panel);padding:1rem;margin:1rem 0}
.result p{margin:.25rem 0}
.result h2{border-top:0;padding-top:0;margin-top:0}
.result .big{font-size:1.5rem;font-weight:bold}
.figures{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;padding:0;margin:0}
.figures li{flex:1 1 10rem;background:var(--panel);padding:.75rem 1rem;border-top:.25rem solid
var(--met)}
.figures .n{display:block;font-size:2rem;font-weight:bold;line-height:1.1}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
caption{text-align:left;font-weight:bold;padding:.25rem 0 .5rem}
th,td{border-bottom:1px solid var(--line);padding:.4rem .5rem;text-align:left;vertical-align:top}
thead th{border-bottom:2px solid var(--ink)}
td,th{overflow-wrap:break-word}
.badge{display:inline-block;padding:0 .4rem;border-radius:.2rem;font-weight:bold;
white-space:nowrap;border:1px solid var(--ink)}
.badge .sym{margin-right:.25rem}
.met{background:var(--met);color:#fff}
.partly{background:var(--partly);color:#0b0c0c}
.notmet{background:var(--notmet);color:#fff}
.na{background:var(--na);color:#0b0c0c}
.none{background:var(--none);color:#0b0c0c}
.scroll{overflow-x:auto;max-width:100%;position:relative}
.scroll:focus{outline:3px solid var(--focus)}
.heat{width:auto;font-size:.9rem}
.heat th,.heat td{border:1px solid #fff;padding:.2rem .35rem;text-align:center;min-width:2rem}
.heat thead th{border-bottom:2px solid var(--ink)}
.heat th[scope=row]{text-align:left;min-width:10rem;background:#fff;border-bottom:1px solid
var(--line)}
.heat td.absent{background:#fff;color:var(--muted)}
.point{border-top:1px solid var(--line);padding-top:.5rem;break-inside:avoid}
.meta{color:var(--muted);margin:.25rem 0}
.evidence{white-space:pre-wrap;margin:.5rem 0;padding:.5rem 1rem;border-left:.25rem solid
var(--line)}
.history{margin:.25rem 0;padding-left:1.25rem}
.comment{white-space:pre-wrap}
.overdue{border:1px solid var(--ink);padding:0 .25rem;white-space:nowrap}
.point .follow caption{font-size:1rem}
.key{display:flex;flex-wrap:wrap;gap:.5rem 1rem;list-style:none;padding:0}
.vh{position:absolute!important;width:1px!important;height:1px!important;overflow:hidden!important;
clip:rect(0 0 0 0)!important;clip-path:inset(50%)!important;white-space:nowrap!important}
.bar{display:block;max-width:30rem;margin:.5rem 0}
.page-footer{color:var(--muted);border-top:1px solid var(--line);margin-top:2rem}
@media (max-width:40rem){h1{font-size:1.6rem}.badge{white-space:normal}
th,td{padding:.3rem .2rem}table{font-size:.95rem}.facts{grid-template-columns:1fr}
.facts dd{margin-bottom:.5rem}}
@page{size:A4;margin:15mm}
@media print{html{font-size:10pt}.skip{display:none}.page-header{background:#fff;color:#000;
border-bottom:2px solid #000;padding:0 0 .5rem}main,.page-footer{max-width:none;padding:0}
.scroll{overflow:visible}table{page-break-inside:auto}tr,.point,.result,.figures li{
break-inside:avoid}thead{display:table-header-group}h2,h3{break-after:avoid}
.heat{font-size:7pt}.heat th[scope=row]{min-width:0}
a[href^="http"]::after{content:" (" attr(href) ")";font-size:.85em;color:#333}
.badge,.heat td{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def text(value: object) -> str:
    """Escape anything a person typed (or anything at all) for HTML text or attributes."""
    return html.escape(str(value), quote=True)


def rating_word(rating: str) -> str:
    return RATINGS.get(rating, (rating.replace("_", " ").capitalize(), "", "", ""))[0]


def rating_badge(rating: str | None) -> str:
    """A rating as colour, symbol and word together (the word carries the meaning)."""
    word, symbol, _, css = RATINGS.get(rating or UNANSWERED, RATINGS[UNANSWERED])
    return (
        f'<span class="badge {css}"><span class="sym" aria-hidden="true">{symbol}</span>'
        f"{text(word)}</span>"
    )


def local_time(moment: datetime | None, tz: ZoneInfo) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(tz)
    return f"{local.day} {local:%b %Y, %H:%M}"


def local_day(value: date | datetime | None, tz: ZoneInfo | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(tz) if tz is not None else value
        value = value.date()
    return f"{value.day} {value:%B %Y}"


def time_element(moment: datetime | None, tz: ZoneInfo) -> str:
    if moment is None:
        return "—"
    return f'<time datetime="{moment.isoformat()}">{text(local_time(moment, tz))}</time>'


def web_link(url: str) -> str:
    """An evidence link; only http(s) ever reaches here (`bot.core.report.is_web_link`)."""
    return f'<a href="{text(url)}" rel="noopener noreferrer">{text(url)}</a>'


def page(*, title: str, organisation: str, kind: str, body: str, footer: str) -> str:
    """A whole document around `body` (already-escaped HTML); `title` etc. are plain text."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="assessbot">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        f"<title>{text(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to main content</a>\n'
        f'<header class="page-header"><p>{text(organisation)} '
        f'<span class="sub">· {text(kind)}</span></p></header>\n'
        f'<main id="main" tabindex="-1">\n{body}\n</main>\n'
        f'<footer class="page-footer"><p>{footer}</p></footer>\n'
        "</body>\n</html>\n"
    )


def tally_bar(counts: list[tuple[str, int]], label: str) -> str:
    """An inline SVG bar of ratings (decoration: its label and the table say the same)."""
    total = sum(count for _, count in counts) or 1
    colours = {
        Rating.MET: "#005b8f",
        Rating.PARTLY_MET: "#f0e442",
        Rating.NOT_MET: "#a63a00",
        Rating.NOT_APPLICABLE: "#d9d9d9",
        UNANSWERED: "#f3f2f1",
    }
    x = 0.0
    parts = []
    for rating, count in counts:
        if not count:
            continue
        width = 300 * count / total
        parts.append(
            f'<rect x="{x:.2f}" y="0" width="{width:.2f}" height="16" '
            f'fill="{colours.get(rating, "#f3f2f1")}" stroke="#0b0c0c" stroke-width="0.5"/>'
        )
        x += width
    return (
        f'<svg class="bar" viewBox="0 0 300 16" role="img" aria-label="{text(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )
