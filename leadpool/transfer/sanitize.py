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

`sql_neutralize` is the same rule as a PostgreSQL expression (the CSV export's COPY,
export_sql.py), built from the constants below: the character classes are spelled out
as the code points Python gives them, never left to the database's locale.
"""

import array
import functools
import re
import sys
import unicodedata

TRIGGERS = frozenset("=+-@")
# Invisible characters that are not whitespace to Python but that a spreadsheet may
# skip like blanks before reading a formula.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
# Characters that mark a cell when they come first, before any blank is skipped.
LEADING_SEPARATORS = "\t\r"
# A plain decimal number, written with [0-9] (not \d) so that the one pattern means the
# same in Python and in PostgreSQL (sql_neutralize).
PLAIN_NUMBER_PATTERN = r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
PLAIN_NUMBER = re.compile(PLAIN_NUMBER_PATTERN)
# A DDE call: `name|…!…`, the name of word characters, `.`, `-` or `\`; or the DDE and
# DDEAUTO functions, any case. {word} and {space} are the word and blank classes: `\w`
# and `\s` for Python, the same characters spelled out for SQL.
DDE_NAME_PUNCTUATION = r".\-\\"
DDE_TEMPLATE = (
    r"(?:[{word}" + DDE_NAME_PUNCTUATION + r"]+[{space}]*\|[^!]*!"
    r"|[dD][dD][eE](?:[aA][uU][tT][oO])?(?![{word}]))"
)
DDE = re.compile(DDE_TEMPLATE.format(word=r"\w", space=r"\s"))
APOSTROPHE = "'"


def _is_blank(char: str) -> bool:
    return char.isspace() or char in INVISIBLE


def _skip_blanks(text: str) -> str:
    index = 0
    while index < len(text) and _is_blank(text[index]):
        index += 1
    return text[index:]


def _is_trigger(char: str) -> bool:
    return unicodedata.normalize("NFKC", char)[:1] in TRIGGERS


@functools.lru_cache(maxsize=8192)
def _may_start_formula(char: str) -> bool:
    """Whether a text starting with `char` needs the whole rule: a separator, a blank, a
    trigger or the `d` of DDE. Any other first character and no `|` mean no formula."""
    return char in LEADING_SEPARATORS or _is_blank(char) or _is_trigger(char) or char in "dD"


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet might run `text` (see the module's rule)."""
    if not text:
        return False
    if "|" not in text and not _may_start_formula(text[0]):
        return False
    if text[0] in LEADING_SEPARATORS:
        return True
    rest = _skip_blanks(text)
    if not rest:
        return False
    if _is_trigger(rest[0]):
        return PLAIN_NUMBER.fullmatch(rest) is None
    return DDE.match(rest) is not None


def neutralize(text: str) -> str:
    """`text` as safe cell content: with a leading apostrophe if it could run as a
    formula, unchanged otherwise."""
    return APOSTROPHE + text if is_formula_like(text) else text


# --- the same rule in SQL ----------------------------------------------------------------
# The character classes above spelled out as the code points Python gives them, so the
# SQL does not depend on the database's locale or Unicode tables. Computed once a process.


@functools.cache
def _every_character() -> str:
    """Every character but NUL and the surrogates, in code point order."""
    codes = array.array("I", range(1, 0xD800))
    codes.extend(range(0xE000, sys.maxunicode + 1))
    return codes.tobytes().decode(f"utf-32-{sys.byteorder[0]}e")


def characters(pattern: str) -> str:
    """Every character (but NUL) Python's `re` matches with `pattern`, in order."""
    return "".join(re.findall(pattern, _every_character()))


@functools.cache
def blank_characters() -> str:
    """Every character `_skip_blanks` skips."""
    return space_characters() + INVISIBLE


@functools.cache
def space_characters() -> str:
    """Python's `\\s` in str patterns (str.isspace)."""
    return characters(r"\s")


@functools.cache
def trigger_characters() -> str:
    """Every character whose NFKC form starts with a trigger (`＝`, `﹢`, `⁼`, …): the
    triggers, and those of the characters NFKC changes (found by halving the runs it
    leaves alone) that it turns into one."""
    every = _every_character()
    changed: list[str] = []

    def search(start: int, end: int) -> None:
        if unicodedata.is_normalized("NFKC", every[start:end]):
            return
        if end - start == 1:
            changed.append(every[start])
            return
        middle = (start + end) // 2
        search(start, middle)
        search(middle, end)

    search(0, len(every))
    return "".join(sorted({*TRIGGERS, *filter(_is_trigger, changed)}))


@functools.cache
def word_characters() -> str:
    """Python's `\\w` in str patterns: alphanumerics and the underscore."""
    return characters(r"\w")


def regex_class(characters: str) -> str:
    """The inside of a bracket expression matching exactly `characters`: code point
    ranges of `\\uXXXX` / `\\UXXXXXXXX` escapes, which Python and PostgreSQL both read."""

    def escape(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"

    codes = sorted(set(map(ord, characters)))
    # Where a run of consecutive code points ends, and so the next one starts.
    ends = [index for index in range(len(codes) - 1) if codes[index + 1] != codes[index] + 1]
    starts = [0, *(index + 1 for index in ends)]
    ends.append(len(codes) - 1)
    return "".join(
        escape(codes[first]) if first == last else f"{escape(codes[first])}-{escape(codes[last])}"
        for first, last in zip(starts, ends, strict=True)
        if codes
    )


@functools.cache
def dde_sql_pattern() -> str:
    """DDE for PostgreSQL (an ARE), anchored at the start as `DDE.match` is."""
    return "^" + DDE_TEMPLATE.format(
        word=regex_class(word_characters()), space=regex_class(space_characters())
    )


def sql_literal(text: str) -> str:
    """`text` as a standard-conforming SQL string literal."""
    if "\x00" in text:
        raise ValueError("An SQL text cannot hold NUL.")
    return "'" + text.replace("'", "''") + "'"


def sql_neutralize(value: str) -> str:
    """A PostgreSQL expression computing `neutralize(value)`, `value` an SQL expression of
    a non-null text that is cheap to repeat (a column). The rule and its characters are
    the ones above. The common cell (its first character not a blank, a trigger or `d`,
    and no `|` in it) costs a hashed look-up of its first code point and a `strpos`; the
    rest of the rule runs on the other cells only."""
    blanks = sql_literal(blank_characters())
    triggers = sql_literal(trigger_characters())
    suspects = ", ".join(
        str(code)
        for code in sorted(
            {ord(char) for char in LEADING_SEPARATORS + blank_characters() + trigger_characters()}
            | {ord("d"), ord("D")}
        )
    )
    separators = ", ".join(sql_literal(char) for char in LEADING_SEPARATORS)
    plain = sql_literal(f"^{PLAIN_NUMBER_PATTERN}$")
    dde = sql_literal(dde_sql_pattern())
    mark = sql_literal(APOSTROPHE)
    first = f"left({value}, 1)"
    rest = f"ltrim({value}, {blanks})"
    # ascii() is the first character's code point (0 for the empty text).
    return (
        f"(CASE WHEN ascii({value}) NOT IN ({suspects}) AND strpos({value}, '|') = 0 "
        f"THEN {value} "
        f"WHEN {first} IN ({separators}) THEN {mark} || {value} "
        f"WHEN {rest} = '' THEN {value} "
        f"WHEN strpos({triggers}, left({rest}, 1)) > 0 "
        f"THEN CASE WHEN {rest} ~ {plain} THEN {value} ELSE {mark} || {value} END "
        f"WHEN {rest} ~ {dde} THEN {mark} || {value} "
        f"ELSE {value} END)"
    )
