"""Reading import files as tables of strings: CSV/TSV text as Excel writes it, XLSX and XLS.

`open_table` decides the format from the bytes, never from the file name: users rename
files, browsers upload without extensions, and Chinese systems save HTML tables as `.xls`.
Every cell comes out as the text the user saw in Excel (phone numbers and ids keep their
digits, dates become ISO dates), so validation applies the same rules as manual entry.

Text files are streamed: only a sample is decoded up front (to detect the encoding and the
delimiter), and `rows()` reads the file again in chunks, so a million-row CSV never sits in
memory. Workbooks are read by python-calamine, which holds one sheet's cells in memory.
"""

import codecs
import csv
import datetime
import io
import itertools
import math
import os
import re
import struct
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import BinaryIO

from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook, PasswordError, SheetVisibleEnum

# How much of a text file decides its encoding and delimiter.
SAMPLE_BYTES = 64 * 1024
CHUNK_BYTES = 64 * 1024
# One physical line longer than this is not a table row: it is a damaged file or an attack
# (a 200 MB single cell), and holding it would break the bounded-memory promise.
MAX_LINE_CHARS = 1_000_000
# Leading rows with one filled cell (a title, a merged banner with fill-in instructions)
# are skipped when a row with several filled cells follows within this many rows.
HEADER_LOOKAHEAD = 10
# Tried in this order; ties in the score go to the earlier one.
DELIMITERS = (",", "\t", ";")
# Strict decodes of a sample, in this order, after the byte-order marks. UTF-8 first: a
# GB18030 text is almost never valid UTF-8, while ASCII is valid in both. GB18030 (a
# superset of GBK and GB2312) is what Excel writes on Chinese Windows. cp1252 last, for
# Western-European Excel; it rejects only five byte values, so it must come after GB18030.
TEXT_ENCODINGS = ("utf-8", "gb18030", "cp1252")
# A workbook whose parts would unpack to more than this is refused before calamine opens
# it (zip bombs); so is any part compressed more than ZIP_MAX_RATIO times past 100 MiB.
ZIP_MAX_UNPACKED_BYTES = 1024**3
ZIP_MAX_RATIO = 100
ZIP_RATIO_CHECK_FROM = 100 * 1024**2
# No part may unpack past this (a million rows of ten columns is about 400 MB of sheet XML).
ZIP_MAX_ENTRY_BYTES = 512 * 1024**2
# Real workbooks hold tens of parts (hundreds with many sheets or pictures). Past this the
# archive is refused from its end record, before its directory is read into memory: a
# small upload of many tiny entries would otherwise cost far more memory than its size.
ZIP_MAX_ENTRIES = 10_000
# The end-of-central-directory record: signature, 4 two-byte fields (disk numbers and the
# entry counts), the directory's size and offset, and the comment's length; the comment
# (at most 65,535 bytes) follows it at the end of the file.
_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted XLSX is a CFB file holding this stream (its name in UTF-16LE).
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")
_MARKUP = ("<html", "<!doctype", "<table", "<?xml", "<head", "<body", "<meta")

Source = str | os.PathLike | BinaryIO
Sheet = str | int | None


class ReadError(Exception):
    """The file cannot be read as a table.

    `message` is for people, in the active language, and says what to do; `code` is stable
    (`empty`, `not_a_table`, `encoding`, `damaged`, `password`, `too_large`,
    `cell_too_large`, `no_such_sheet`); `detail` is the underlying library's words, for logs.
    """

    def __init__(self, code: str, message: str, *, detail: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


class Table:
    """A table read from a file: what was detected, its headers, and its rows as strings."""

    def __init__(
        self,
        *,
        format: str,
        raw_rows: Callable[[], Iterator[tuple[int, list[str]]]],
        encoding: str | None = None,
        delimiter: str | None = None,
        sheet_names: list[str] | None = None,
        sheet: str | None = None,
    ):
        self.format = format  # "csv" (any delimiter), "xlsx", "xlsb", "xls" or "ods"
        self.encoding = encoding
        self.delimiter = delimiter
        self.sheet_names = sheet_names or []
        self.sheet = sheet
        self._raw_rows = raw_rows
        rows = raw_rows()
        try:
            self.header_row, headers = _find_header(rows)
        finally:
            rows.close()  # releases the file now, not when the generator is collected
        self.headers = _strip_trailing_empty([_clean_header(cell) for cell in headers])

    def __repr__(self) -> str:
        return (
            f"<Table {self.format} encoding={self.encoding!r} delimiter={self.delimiter!r} "
            f"sheet={self.sheet!r} headers={self.headers!r}>"
        )

    def numbered_rows(self) -> Iterator[tuple[int, list[str]]]:
        """Data rows after the header with their row numbers as Excel shows them (1-based;
        for text, the record's number, a quoted multi-line cell being one record). Blank
        rows are skipped; each row has at least one cell per header, and cells past the
        headers only when they hold something."""
        width = len(self.headers)
        for number, cells in self._raw_rows():
            if number <= self.header_row or _is_blank(cells):
                continue
            yield number, _fit(cells, width)

    def rows(self) -> Iterator[list[str]]:
        """The data rows as lists of cell strings, streamed from the file."""
        for _number, cells in self.numbered_rows():
            yield cells


def open_table(source: Source, *, sheet: Sheet = None) -> Table:
    """Open a CSV/TSV, XLSX, XLSB, ODS or XLS file (a path or a binary file object).

    `sheet` chooses a workbook's sheet by name or 0-based index; by default, the first
    visible sheet with something in it. Raises ReadError when the file cannot be read.
    """
    with _opened(source) as file:
        head = file.read(SAMPLE_BYTES)
    if isinstance(head, str):
        raise TypeError("open_table needs a file opened in binary mode")
    if not head:
        raise ReadError("empty", _("The file is empty."))
    if head.startswith(_ZIP_MAGIC):
        return _open_workbook(source, _zip_workbook_format(source), sheet)
    if head.startswith(_EMPTY_ZIP_MAGIC):
        raise ReadError("damaged", _("The workbook is empty or damaged; save it again in Excel."))
    if head.startswith(_CFB_MAGIC):
        return _open_workbook(source, "xls", sheet)
    if head.startswith(b"%PDF"):
        raise ReadError("not_a_table", _("This is a PDF document, not a spreadsheet or CSV file."))
    return _open_text(source, head)


def from_excel_serial(value: str | float) -> datetime.date | datetime.datetime | None:
    """Read an Excel date serial (`45292` or `45292.5`, as found in CSVs saved from a sheet
    whose date column lost its format) as a date or datetime; None if it is not one."""
    try:
        serial = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(serial) or not 1 <= serial < 2958466:  # 2958466 is year 10000
        return None
    # Excel counts 1900-02-29, which never was (Lotus 1-2-3's bug, kept for compatibility).
    epoch = datetime.date(1899, 12, 30) if serial >= 61 else datetime.date(1899, 12, 31)
    days = int(serial)
    seconds = round((serial - days) * 86400)
    if seconds == 86400:
        days, seconds = days + 1, 0
    day = epoch + datetime.timedelta(days=days)
    if not seconds:
        return day
    # Naive on purpose: a serial has no zone; the importer reads it in the site's zone.
    hours, rest = divmod(seconds, 3600)
    return datetime.datetime.combine(day, datetime.time(hours, rest // 60, rest % 60))


# --- text (CSV, TSV) -------------------------------------------------------------------------


def _open_text(source: Source, head: bytes) -> Table:
    complete = len(head) < SAMPLE_BYTES
    encoding, codec, bom_length = _detect_encoding(head, complete=complete)
    sample = codecs.getincrementaldecoder(codec)().decode(head[bom_length:], final=complete)
    _refuse_non_text(sample)
    end = max(sample.rfind("\n"), sample.rfind("\r")) + 1
    lines = [match.group() for match in itertools.islice(_LINE.finditer(sample, 0, end), 50)]
    if complete and len(lines) < 50 and sample[end:]:
        lines.append(sample[end:])
    del sample
    delimiter, has_sep_line = _detect_delimiter(lines)

    def raw_rows() -> Iterator[tuple[int, list[str]]]:
        return _text_rows(source, codec, bom_length, delimiter, skip_first=has_sep_line)

    return Table(format="csv", raw_rows=raw_rows, encoding=encoding, delimiter=delimiter)


def _detect_encoding(head: bytes, *, complete: bool) -> tuple[str, str, int]:
    """(the encoding's name to report, the codec to read with, the BOM's length)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            codec = "utf-8" if name == "utf-8-sig" else name
            return name, codec, len(bom)
    if b"\x00" in head:
        # Excel's "Unicode text" always has a BOM, but other tools write UTF-16 without one:
        # mostly-ASCII text then has a NUL in every other byte.
        pairs = head[: 4096 - 4096 % 2]
        odd_zeros = pairs[1::2].count(0) / max(len(pairs) // 2, 1)
        even_zeros = pairs[0::2].count(0) / max(len(pairs) // 2, 1)
        if odd_zeros > 0.4 and even_zeros < 0.05:
            return "utf-16-le", "utf-16-le", 0
        if even_zeros > 0.4 and odd_zeros < 0.05:
            return "utf-16-be", "utf-16-be", 0
        raise ReadError("not_a_table", _("This file is not a spreadsheet or a CSV text file."))
    for name in TEXT_ENCODINGS:
        try:
            codecs.getincrementaldecoder(name)().decode(head, final=complete)
        except UnicodeDecodeError:
            continue
        return name, name, 0
    raise ReadError(
        "encoding",
        _(
            "The file's text encoding was not recognised. Save it from Excel as "
            "“CSV UTF-8” or as an XLSX workbook and try again."
        ),
    )


def _refuse_non_text(sample: str) -> None:
    start = sample.lstrip()[:2048].casefold()
    if start.startswith("begin:vcard"):
        raise ReadError(
            "not_a_table",
            _("This is a vCard (contact card) file; import a CSV file or an Excel workbook."),
        )
    if start.startswith("<") and any(tag in start for tag in _MARKUP):
        raise ReadError(
            "not_a_table",
            _(
                "This file is a web page or XML document under a spreadsheet's name. Open it "
                "in Excel and save it as an XLSX workbook or a CSV file."
            ),
        )
    controls = sum(1 for char in sample if char < " " and char not in "\t\r\n" or char == "\x7f")
    if "\x00" in sample or controls > len(sample) / 100:
        raise ReadError("not_a_table", _("This file is not a spreadsheet or a CSV text file."))


def _detect_delimiter(lines: list[str]) -> tuple[str, bool]:
    """The delimiter that splits the first lines into the most consistent number of cells
    (more than one); a comma when none does. Excel's `sep=;` first line is obeyed."""
    first = lines[0].strip() if lines else ""
    if len(first) == 5 and first.casefold().startswith("sep="):
        return first[4], True
    text = "".join(lines)
    best_key, best = None, ","
    for priority, delimiter in enumerate(DELIMITERS):
        try:
            widths = [len(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
        except csv.Error:
            continue
        widths = [width for width in widths if width]
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        key = (count / len(widths), width, -priority)
        if best_key is None or key > best_key:
            best_key, best = key, delimiter
    return best, False


def _text_rows(
    source: Source, codec: str, bom_length: int, delimiter: str, *, skip_first: bool
) -> Iterator[tuple[int, list[str]]]:
    with _opened(source) as file:
        file.seek(bom_length)
        reader = csv.reader(_text_lines(file, codec), delimiter=delimiter)
        number = -1 if skip_first else 0
        try:
            for cells in reader:
                number += 1
                if number > 0:
                    yield number, cells
        except UnicodeDecodeError as error:
            raise ReadError(
                "encoding",
                _(
                    "Row %(row)d is not valid %(encoding)s text, unlike the rows before it: "
                    "the file mixes encodings. Save it from Excel as “CSV UTF-8” or as an "
                    "XLSX workbook and try again."
                )
                % {"row": number + 1, "encoding": codec.upper()},
                detail=str(error),
            ) from None
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise ReadError(
                    "cell_too_large",
                    _("Row %(row)d has a cell longer than %(limit)s characters.")
                    % {"row": number + 1, "limit": f"{csv.field_size_limit():,}"},
                    detail=str(error),
                ) from None
            raise ReadError(
                "damaged",
                _("Row %(row)d cannot be read as CSV; the file may be damaged or not text.")
                % {"row": number + 1},
                detail=str(error),
            ) from None


def _text_lines(file: BinaryIO, codec: str) -> Iterator[str]:
    """The file's lines, decoded, ending with their `\\r\\n`, `\\n` or `\\r` (csv needs them;
    `str.splitlines` would also split on form feeds and U+2028 inside cells)."""
    decoder = codecs.getincrementaldecoder(codec)()
    carry = ""
    while True:
        chunk = file.read(CHUNK_BYTES)
        try:
            text = carry + decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            # Hand over the lines before the bad bytes first, so the error names its row.
            good = codecs.decode(error.object[: error.start], codec)
            yield from _LINE.findall(carry + good)
            raise
        # Only scan up to the last line break: the regex would rescan an unfinished line
        # from every position, which is quadratic on a long one.
        complete = max(text.rfind("\n"), text.rfind("\r")) + 1
        # A chunk ending in `\r` may continue with `\n`: leave it for the next round.
        if chunk and complete == len(text) and text.endswith("\r"):
            complete = max(text.rfind("\n", 0, complete - 1), text.rfind("\r", 0, complete - 1)) + 1
        yield from _LINE.findall(text, 0, complete)
        carry = text[complete:]
        if len(carry) > MAX_LINE_CHARS:
            raise ReadError(
                "cell_too_large",
                _("The file has a line longer than %(limit)s characters.")
                % {"limit": f"{MAX_LINE_CHARS:,}"},
            )
        if not chunk:
            if carry:
                yield carry
            return


# --- workbooks (XLSX, XLSB, ODS, XLS) -----------------------------------------------------


def _zip_workbook_format(source: Source) -> str:
    with _opened(source) as file:
        _refuse_many_entries(_declared_entries(file))
        file.seek(0)
        try:
            with zipfile.ZipFile(file) as archive:
                parts = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise ReadError(
                "damaged",
                _(
                    "The workbook is damaged or incomplete (it may have been cut off while "
                    "uploading). Save it again in Excel and retry."
                ),
                detail=str(error),
            ) from None
    # The directory itself may hold more entries than the end record declared.
    _refuse_many_entries(len(parts))
    biggest = max(parts, key=lambda part: part.file_size, default=None)
    if biggest is not None and biggest.file_size > ZIP_MAX_ENTRY_BYTES:
        raise ReadError(
            "too_large",
            _(
                "One part of the workbook would unpack to %(size)s MB, more than the "
                "%(limit)s MB that can be imported; split the sheet into smaller files."
            )
            % {
                "size": f"{biggest.file_size // 1024**2:,}",
                "limit": f"{ZIP_MAX_ENTRY_BYTES // 1024**2:,}",
            },
            detail=biggest.filename,
        )
    unpacked = sum(part.file_size for part in parts)
    if unpacked > ZIP_MAX_UNPACKED_BYTES or any(
        part.file_size > ZIP_RATIO_CHECK_FROM
        and part.file_size > ZIP_MAX_RATIO * max(part.compress_size, 1)
        for part in parts
    ):
        raise ReadError(
            "too_large",
            _("The workbook would unpack to %(size)s MB, more than can be imported at once.")
            % {"size": f"{unpacked // 1024**2:,}"},
        )
    names = {part.filename for part in parts}
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names and "mimetype" in names:
        return "ods"
    raise ReadError("not_a_table", _("This is a ZIP archive, not a spreadsheet."))


def _declared_entries(file: BinaryIO) -> int:
    """How many entries the archive's end record says it holds (0 when there is no end
    record: zipfile then fails on it as damaged). Reads at most the last 64 KiB."""
    file.seek(0, os.SEEK_END)
    size = file.tell()
    start = max(0, size - _EOCD.size - 0xFFFF)
    file.seek(start)
    tail = file.read(size - start)
    at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < _EOCD.size:
        return 0
    *_head, entries, _cd_size, _cd_offset, _comment = _EOCD.unpack_from(tail, at)
    if entries != 0xFFFF:
        return entries
    # ZIP64: the real count is in the ZIP64 end record, which the locator before points to.
    locator_at = at - _ZIP64_LOCATOR.size
    if locator_at < 0:
        return entries
    signature, _disk, record_offset, _disks = _ZIP64_LOCATOR.unpack_from(tail, locator_at)
    if signature != _ZIP64_LOCATOR_SIGNATURE or record_offset + _ZIP64_EOCD.size > size:
        return entries
    file.seek(record_offset)
    record = file.read(_ZIP64_EOCD.size)
    if len(record) < _ZIP64_EOCD.size or not record.startswith(_ZIP64_EOCD_SIGNATURE):
        return entries
    return _ZIP64_EOCD.unpack(record)[7]


def _refuse_many_entries(entries: int) -> None:
    if entries > ZIP_MAX_ENTRIES:
        raise ReadError(
            "too_large",
            _(
                "The workbook holds %(count)s parts, more than the %(limit)s a spreadsheet "
                "needs; it is not an ordinary workbook. Save it again in Excel and retry."
            )
            % {"count": f"{entries:,}", "limit": f"{ZIP_MAX_ENTRIES:,}"},
        )


def _open_workbook(source: Source, format: str, sheet: Sheet) -> Table:
    with _opened(source) as file:
        data = file.read()
    if format == "xls" and _ENCRYPTED_PACKAGE in data:
        raise _password_error()
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        del data
        metadata = workbook.sheets_metadata
    except PasswordError:
        raise _password_error() from None
    except Exception as error:  # calamine's errors carry no stable types for each cause
        raise ReadError(
            "damaged",
            _(
                "The %(format)s workbook is damaged or is not an Excel file, so it cannot be "
                "read. Open it in Excel, save it again as XLSX, and retry."
            )
            % {"format": format.upper()},
            detail=f"{type(error).__name__}: {error}",
        ) from None
    names = [item.name for item in metadata]
    if sheet is None:
        visible = [item.name for item in metadata if item.visible == SheetVisibleEnum.Visible]
        candidates = visible + [name for name in names if name not in visible]
    else:
        candidates = [_sheet_name(names, sheet)]
    chosen = None
    for name in candidates:
        cells = _load_sheet(workbook, name, format)
        chosen = chosen or (name, cells)
        if any(not _is_blank(row) for _number, row in _sheet_rows(cells)):
            chosen = (name, cells)
            break
    if chosen is None:
        raise ReadError("empty", _("The workbook has no sheets."))
    name, cells = chosen

    def raw_rows() -> Iterator[tuple[int, list[str]]]:
        return _sheet_rows(cells)

    return Table(format=format, raw_rows=raw_rows, sheet_names=names, sheet=name)


def _password_error() -> ReadError:
    return ReadError(
        "password",
        _("The workbook is protected by a password. Remove it in Excel and upload it again."),
    )


def _sheet_name(names: list[str], sheet: str | int) -> str:
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return names[sheet]
    if isinstance(sheet, str):
        for name in names:
            if name == sheet or name.strip().casefold() == sheet.strip().casefold():
                return name
    raise ReadError(
        "no_such_sheet",
        _("The workbook has no sheet “%(sheet)s”; its sheets are: %(names)s.")
        % {"sheet": sheet, "names": ", ".join(names)},
    )


def _load_sheet(workbook: CalamineWorkbook, name: str, format: str):
    try:
        return workbook.get_sheet_by_name(name)
    except Exception as error:  # a damaged sheet part inside an intact zip
        raise ReadError(
            "damaged",
            _("The sheet “%(sheet)s” of the %(format)s workbook is damaged and cannot be read.")
            % {"sheet": name, "format": format.upper()},
            detail=f"{type(error).__name__}: {error}",
        ) from None


def _sheet_rows(sheet) -> Iterator[tuple[int, list[str]]]:
    # python-calamine pads the rows above the first used cell, so numbers match Excel's.
    for number, values in enumerate(sheet.iter_rows(), start=1):
        yield number, [cell_text(value) for value in values]


def cell_text(value: object) -> str:
    """A workbook cell as the text an import validates.

    Whole numbers lose the `.0` and never use an exponent, so a phone or an id stored as a
    number (13800138000 as 1.38E+10) keeps its exact digits; other numbers use the shortest
    text that reads back as the same float. Dates and times become ISO 8601 (a datetime at
    midnight is a date); booleans `true`/`false`.
    """
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        seconds = round(value.total_seconds())
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)


def _number_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    if "e" in text:
        return format(Decimal(text), "f")
    return text


# --- shared ---------------------------------------------------------------------------------


@contextmanager
def _opened(source: Source) -> Iterator[BinaryIO]:
    """The source as a binary file at its start; a path is opened and closed here, a file
    object is left open for its owner."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            yield file
    else:
        source.seek(0)
        yield source


def _find_header(rows: Iterable[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    seen: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if _is_blank(cells):
            continue
        seen.append((number, cells))
        if _filled(cells) >= 2 or len(seen) >= HEADER_LOOKAHEAD:
            break
    if not seen:
        raise ReadError("empty", _("The file has no rows."))
    return next(((n, cells) for n, cells in seen if _filled(cells) >= 2), seen[0])


def _clean_header(cell: str) -> str:
    return cell.strip().strip("\ufeff\u200b").strip()


def _strip_trailing_empty(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _filled(cells: list[str]) -> int:
    return sum(1 for cell in cells if cell.strip())


def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _fit(cells: list[str], width: int) -> list[str]:
    if len(cells) < width:
        return cells + [""] * (width - len(cells))
    end = len(cells)
    while end > width and not cells[end - 1].strip():
        end -= 1
    return cells[:end]
