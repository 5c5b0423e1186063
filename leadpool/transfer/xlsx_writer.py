"""A streamed XLSX writer: one worksheet of inline strings, numbers and date-times, written
into the zip as the rows come (zipfile's streamed entry), so memory stays flat.

The package is the least Excel, LibreOffice, WPS, openpyxl and calamine read without a
complaint: [Content_Types].xml, the package and workbook relationships, the workbook,
styles (a date-time format and the text format `@`) and the sheet. Every text is an
inline string (`t="inlineStr"`) styled as text, so nothing a user typed is ever a formula
or a number; numbers are written as numbers only when the caller gives a number (our own
numeric columns). XML escaping is done here, characters XML 1.0 forbids are dropped.
"""

import datetime
import re
import zipfile
from collections.abc import Callable, Iterable

# Characters XML 1.0 forbids (C0 controls but tab, LF, CR; U+FFFE/U+FFFF; surrogates),
# and the ones it needs escaped: the one test a row needs in the usual case.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
EPOCH = datetime.datetime(1899, 12, 30)  # noqa: DTZ001 - Excel's serial day 0, naive
ROWS_PER_WRITE = 500
STYLE_DATETIME = 1
STYLE_TEXT = 2

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>"
)
SHEET_TAIL = "</sheetData></worksheet>"


def escape(text: str) -> str:
    """`text` as XML character data: escaped, characters XML 1.0 forbids dropped."""
    if _SPECIAL.search(text) is None:
        return text
    text = _ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def column_letters(count: int) -> list[str]:
    letters = []
    for index in range(1, count + 1):
        name = ""
        while index:
            index, remainder = divmod(index - 1, 26)
            name = chr(65 + remainder) + name
        letters.append(name)
    return letters


def serial(moment: datetime.datetime) -> float:
    """A naive date-time as Excel's serial day number (1900 date system)."""
    delta = moment - EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def write(
    target,
    *,
    sheet_name: str,
    header: list[str],
    rows: Iterable[list],
    text: Callable[[object], str],
    local: Callable[[datetime.datetime], datetime.datetime],
    compresslevel: int = 1,
) -> None:
    """Write the workbook to `target` (a path or a binary file). Header cells and every
    value but int, float (not bool) and datetime go through `text` (the exports'
    neutralised cell text) into text cells; datetimes are made naive by `local`."""
    # Cells carry no `r`: their place is their order in the row, as the format allows
    # (openpyxl and calamine count them so, as Excel does).
    text_open = f'<c t="inlineStr" s="{STYLE_TEXT}"><is><t xml:space="preserve">'
    text_close = "</t></is></c>"
    empty = f'<c s="{STYLE_TEXT}"/>'
    date_open = f'<c s="{STYLE_DATETIME}"><v>'
    number_open = "<c><v>"
    value_close = "</v></c>"
    datetime_class = datetime.datetime

    def row_xml(number: int, values: list) -> str:
        parts = [f'<row r="{number}">']
        append = parts.append
        for value in values:
            kind = value.__class__
            if kind is str or value is None:
                cell = text(value) if value else ""
                append(f"{text_open}{escape(cell)}{text_close}" if cell else empty)
            elif kind is int or kind is float:
                append(f"{number_open}{value!r}{value_close}")
            elif kind is datetime_class or isinstance(value, datetime_class):
                moment = serial(local(value).replace(tzinfo=None))
                append(f"{date_open}{moment!r}{value_close}")
            else:
                cell = text(value)
                append(f"{text_open}{escape(cell)}{text_close}" if cell else empty)
        append("</row>")
        return "".join(parts)

    with zipfile.ZipFile(
        target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
    ) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", PACKAGE_RELS)
        name = escape(sheet_name).replace('"', "&quot;")
        package.writestr("xl/workbook.xml", WORKBOOK.format(name=name))
        package.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        package.writestr("xl/styles.xml", STYLES)
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            buffer = [SHEET_HEAD, row_xml(1, list(header))]
            for number, values in enumerate(rows, start=2):
                buffer.append(row_xml(number, values))
                if len(buffer) >= ROWS_PER_WRITE:
                    sheet.write("".join(buffer).encode("utf-8"))
                    buffer.clear()
            buffer.append(SHEET_TAIL)
            sheet.write("".join(buffer).encode("utf-8"))
