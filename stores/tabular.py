"""Read and write tables as CSV or XLSX (openpyxl), the formats staff open in Excel or WPS.

Reading gives plain rows of stripped strings keyed by header, whatever the
format, so the import rules never care where a row came from. A file that
is not a table (wrong format, broken zip, no header) raises TableError with
a message for the page, never an exception the view does not expect.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

MAX_ROWS = 200_000


class TableError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # openpyxl reads a number typed into Excel as a float; its repr is the shortest exact decimal.
        value = Decimal(repr(value))
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


def read_table(data: bytes, filename: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header (lower-cased) and the rows of a CSV (UTF-8, with or without BOM, or GB18030) or XLSX file."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(data)
    elif name.endswith(".csv"):
        rows = _csv_rows(data)
    else:
        raise TableError(_("Upload a .csv or .xlsx file."))
    try:
        header = [h.lower() for h in next(rows)]
    except StopIteration:
        raise TableError(_("The file is empty.")) from None
    if not any(header):
        raise TableError(_("The first row must name the columns."))
    table = []
    for values in rows:
        if not any(values):
            continue  # blank lines at the end of a sheet
        table.append({key: (values[i] if i < len(values) else "") for i, key in enumerate(header) if key})
        if len(table) > MAX_ROWS:
            raise TableError(_("At most %(max)s rows per file.") % {"max": MAX_ROWS})
    return header, table


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(_("The CSV file is neither UTF-8 nor GB18030 text."))
    if "\x00" in text:
        raise TableError(_("The CSV file contains binary data."))
    for row in csv.reader(io.StringIO(text, newline="")):
        yield [cell.strip() for cell in row]


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise TableError(_("This is not a readable .xlsx workbook.")) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(value) for value in row]
    finally:
        workbook.close()


def write_csv(header: list[str], rows: Iterable[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    # With a BOM, Excel opens the Chinese names as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(header: list[str], rows: Iterable[list], *, title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        # Money goes out as text, exactly as stored: a spreadsheet float would round it.
        sheet.append(["" if value is None else (str(value) if isinstance(value, Decimal) else value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
