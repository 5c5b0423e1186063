"""The one guard against spreadsheet formula injection (CSV/XLSX injection) in every file
LeadPool writes: exports, import error files, templates.

A spreadsheet runs a cell as a formula when its text starts with `=`, `+`, `-` or `@`
(OWASP "CSV Injection"); Excel and LibreOffice also skip leading blanks before deciding
(EspoCRM CVE-2026-55154), and some input methods turn full-width `＝＋－＠` into the
ASCII ones. Such a cell gets a leading apostrophe, the spreadsheet's own "this is text"
mark, so `=HYPERLINK("http://evil","x")` arrives as the text `'=HYPERLINK(…)`.

The rule, exactly — `neutralize(text)` returns `"'" + text` when:

1. the text starts with a tab or a carriage return (OWASP's list: both are cell
   separators to some importers); or
2. after leading blanks (any Unicode whitespace, including tab, CR, LF and the
   ideographic space U+3000, and the invisible U+200B–U+200D, U+2060, U+FEFF) are
   skipped, its first character, NFKC-normalised (so full-width `＝＋－＠` count), is
   one of `= + - @` — unless everything after the blanks is a plain decimal number; or
3. after the blanks it is a DDE call: `name|…!…` (e.g. `cmd|' /C calc'!A0`) or starts
   with `DDE(`/`DDEAUTO`.

Plain decimal numbers — an optional ASCII sign, ASCII digits, optionally a point and
more digits (`-12.5`, `+8613800138000`, `-3`) — are left alone: a spreadsheet reads
them as the number they are, and no function can hide in digits. Anything more is
neutralised, including phone numbers written with separators (`+86 138 0013 8000`,
`+86-138-0013-8000`): unguarded, a spreadsheet would compute `+86-138-0013-8000` as
arithmetic (-13065) or answer `#NULL!`, so the apostrophe keeps them readable as the
phone number they are. Numbers with exponents (`-1e5`) or full-width digits are
neutralised too; the mark costs a reader nothing.

Everything else is returned unchanged. XLSX writers must also store every user string
as a text cell (the apostrophe alone would not stop a cell typed as a formula).
"""

import re
import unicodedata

TRIGGERS = frozenset("=+-@")
# Invisible characters that are not whitespace to Python but that a spreadsheet may
# skip like blanks before reading a formula.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)", re.ASCII)
DDE = re.compile(r"(?:[\w.\-\\]+\s*\|[^!]*!|dde(?:auto)?\b)", re.IGNORECASE)


def _skip_blanks(text: str) -> str:
    index = 0
    while index < len(text) and (text[index].isspace() or text[index] in INVISIBLE):
        index += 1
    return text[index:]


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet might run `text` (see the module's rule)."""
    if not text:
        return False
    if text[0] in "\t\r":
        return True
    rest = _skip_blanks(text)
    if not rest:
        return False
    if unicodedata.normalize("NFKC", rest[0])[:1] in TRIGGERS:
        return PLAIN_NUMBER.fullmatch(rest) is None
    return DDE.match(rest) is not None


def neutralize(text: str) -> str:
    """`text` as safe cell content: with a leading apostrophe if it could run as a
    formula, unchanged otherwise."""
    return "'" + text if is_formula_like(text) else text
