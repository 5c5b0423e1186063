"""The formula guard: one rule for every file we write (sanitize.py states it)."""

import pytest

from leadpool.transfer.sanitize import is_formula_like, neutralize

# Payloads a spreadsheet would run, including the known bypasses.
PAYLOADS = [
    "=1+1",
    "@SUM(A1:A2)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    '=HYPERLINK("http://x","y")',
    " =1+1",
    "   =1+1",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\r\n=1+1",
    "\u3000=1+1",
    "\u200b=1+1",
    "\ufeff=1+1",
    "＝1+1",
    "＋1+1",
    "－1+1",
    "＠SUM(A1)",
    ' ＝HYPERLINK("http://x")',
    "cmd|' /C calc'!A0",
    'DDE("cmd";"/C calc";"!A0")',
    "\tplain text after a tab",
    "\rplain text after a carriage return",
    "-",
    "+86 138 0013 8000",
    "+86-138-0013-8000",
    "-1e5",
]
# Values left exactly as they are.
SAFE = [
    "",
    "Zhang San",
    "张三 科技有限公司",
    "a=b",
    "email@example.com",
    "13800138000",
    "-12.5",
    "-3",
    "+8613800138000",
    "+12.5",
    "0.5",
    " -12.5",
    "  leading spaces only",
    "1+1",
    "Tom | Jerry",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_payloads_get_a_leading_apostrophe(payload):
    # when
    cell = neutralize(payload)
    # then
    assert is_formula_like(payload)
    assert cell == "'" + payload


@pytest.mark.parametrize("value", SAFE)
def test_plain_text_and_plain_numbers_are_left_alone(value):
    # then
    assert not is_formula_like(value)
    assert neutralize(value) == value
