"""Reading and writing the tables offices exchange: CSV (in the encodings they really have) and XLSX.

Reading returns the header and the data rows as lists of strings, whatever the format; the type of a
file is decided by its content, never by its name. Writing guards against formula injection: a CSV
cell starting with ``= + - @`` gets a leading apostrophe (removed again on reading), and XLSX cells are
always written as text.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice

from flask_babel import gettext as _

from matchmaker.services.errors import InvalidInput

# Python codec names; Big5-HKSCS is the superset Hong Kong offices use.
ENCODINGS = {"utf-8": "utf-8", "gb18030": "gb18030", "big5": "big5hkscs"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as the spreadsheet shows it, cells)
    encoding: str  # "xlsx" for workbooks


def read_table(data: bytes, encoding: str = "auto", max_rows: int = 20_000) -> Table:
    """Parse an uploaded CSV or XLSX file.

    :param encoding: ``auto`` or a key of :data:`ENCODINGS` (CSV only).
    :raise InvalidInput: unreadable file, unknown encoding, no header or more than `max_rows` rows.
    """
    if data.startswith(_XLS_MAGIC):
        raise InvalidInput(_("This is an old Excel (.xls) file. Save it as .xlsx or CSV and try again."),
                           field="file")
    table = _read_xlsx(data, max_rows) if data.startswith(_XLSX_MAGIC) else _read_csv(data, encoding, max_rows)
    if not any(table.header):
        raise InvalidInput(_("The file is empty: the first row must name the columns."), field="file")
    return table


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with.

    Auto-detection: a UTF-8 byte-order mark or valid UTF-8 wins; otherwise GB18030 and Big5 are both
    tried and the decoding made of more common characters is kept (the wrong one yields rare ones).
    """
    if encoding != "auto":
        codec = ENCODINGS.get(encoding)
        if codec is None:
            raise InvalidInput(_("Choose a value from the list."), field="encoding")
        return _decode_strictly(data, "utf-8-sig" if codec == "utf-8" else codec), encoding
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode_strictly(data, "utf-8-sig"), "utf-8"
    candidates = []
    for name in ("utf-8", "gb18030", "big5"):
        try:
            candidates.append((name, data.decode(ENCODINGS[name])))
        except UnicodeDecodeError:
            continue
        if name == "utf-8":
            return candidates[0][1], "utf-8"
    if not candidates:
        raise InvalidInput(_("We could not read this file's characters. Save it as UTF-8 CSV or as "
                             ".xlsx and try again."), field="file")
    name, text = max(candidates, key=lambda item: _commonness(item[1]))
    return text, name


def _decode_strictly(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise InvalidInput(_("This file is not in the chosen encoding (first problem on line %(line)d).",
                             line=line), field="encoding") from None


def _is_common_han(ch: str) -> bool:
    """In GB2312 level 1 or the frequent half of Big5: the characters ordinary text is made of."""
    for codec, low, high in (("gb2312", 0xB0A1, 0xD7FE), ("big5", 0xA440, 0xC67E)):
        try:
            code = int.from_bytes(ch.encode(codec), "big")
        except UnicodeEncodeError:
            continue
        if low <= code <= high:
            return True
    return False


def _commonness(text: str) -> float:
    han = list(islice((ch for ch in text if ord(ch) > 0x7F), 20_000))  # a sample decides
    if not han:
        return 1.0
    return sum(1 for ch in han if _is_common_han(ch)) / len(han)


def _read_csv(data: bytes, encoding: str, max_rows: int) -> Table:
    text, used = decode(data, encoding)
    if "\x00" in text:
        raise InvalidInput(_("We could not read this file's characters. Save it as UTF-8 CSV or as "
                             ".xlsx and try again."), field="file")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
        rows = []
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, [_unescape(cell) for cell in cells]))
                _check_count(rows, max_rows)
    except csv.Error as error:
        raise InvalidInput(_("The CSV file is malformed near line %(line)d.", line=reader.line_num),
                           field="file") from error
    return Table([cell.strip() for cell in header], rows, used)


def _check_count(rows: list, max_rows: int) -> None:
    if len(rows) > max_rows:
        raise InvalidInput(_("The file has more than %(max)d rows. Split it and import the parts.",
                             max=max_rows), field="file")


def _read_xlsx(data: bytes, max_rows: int) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise InvalidInput(_("This file is not a readable .xlsx workbook."), field="file") from error
    try:
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = [_cell_text(value) for value in next(lines, ())]
        rows = []
        for number, values in enumerate(lines, start=2):
            cells = [_cell_text(value) for value in values]
            if any(cells):
                rows.append((number, cells))
                _check_count(rows, max_rows)
    finally:
        book.close()
    while header and not header[-1]:
        header.pop()
    return Table(header, rows, "xlsx")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _unescape(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2] and cell[1] in _FORMULA_START else cell


def _escape(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def write_csv(header: list[str], rows) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Chinese correctly; CRLF line ends as RFC 4180 says."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_escape(_plain(value)) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(sheets: dict[str, tuple[list[str], list]]) -> bytes:
    """One sheet per entry (name → header, rows); every cell is text, so nothing is taken as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for name, (header, rows) in sheets.items():
        sheet = book.create_sheet(name[:31])
        for row in [header, *rows]:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=_ILLEGAL_XML.sub("", _plain(value)))
                cell.data_type = "s"
                cells.append(cell)
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# XML 1.0 cannot hold these; openpyxl refuses them. Stored text never has them (the forms refuse them).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "; ".join(str(item) for item in value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)
