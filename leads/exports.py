"""Exports of any filtered list: WhatsApp (numbers and wa.me links), Excel, CSV and TXT.

The rows come from the caller's queryset, which is already company-scoped (admin changelist or API
filter), so an export can never hold another company's data.
"""

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from openpyxl import Workbook

from leads.phones import normalize_phone, whatsapp_link

FORMATS = ("csv", "xlsx", "txt", "whatsapp")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[object], object]


def column(title: str, attr: str) -> Column:
    def read(obj):
        value = obj
        for part in attr.split("__"):
            value = getattr(value, part, "") if value is not None else ""
        return "" if value is None else value

    return Column(title, read)


def export_response(
    rows: Iterable, columns: Sequence[Column], fmt: str, *, name: str, phone: Callable[[object], str], message: str = ""
) -> HttpResponse:
    """An attachment in `fmt` with one line per row; `phone` picks the row's phone for the WhatsApp list."""
    if fmt not in FORMATS:
        raise ValueError(_("Unknown export format: %(fmt)s") % {"fmt": fmt})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{name}-{stamp}"
    if fmt == "xlsx":
        content, ctype, ext = _xlsx(rows, columns), XLSX_TYPE, "xlsx"
    elif fmt == "csv":
        content, ctype, ext = _csv(rows, columns), "text/csv; charset=utf-8", "csv"
    elif fmt == "txt":
        content, ctype, ext = _txt(rows, columns), "text/plain; charset=utf-8", "txt"
    else:
        content, ctype, ext = _whatsapp(rows, phone, message), "text/plain; charset=utf-8", "txt"
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{ext}"'
    return response


def _cell(value):
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, dict | list):
        return str(value)
    return value


def _xlsx(rows, columns) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([c.title for c in columns])
    for row in rows:
        sheet.append([_cell(c.value(row)) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv(rows, columns) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.title for c in columns])
    for row in rows:
        writer.writerow([_cell(c.value(row)) for c in columns])
    return "\ufeff" + buffer.getvalue()  # BOM: Excel in pt-BR opens UTF-8 CSV correctly


def _txt(rows, columns) -> str:
    return "\n".join(" | ".join(str(_cell(c.value(row))) for c in columns) for row in rows) + "\n"


def _whatsapp(rows, phone, message: str) -> str:
    lines, seen = [], set()
    for row in rows:
        number = normalize_phone(phone(row))
        if number and number not in seen:
            seen.add(number)
            lines.append(f"{number}\t{whatsapp_link(number, message)}")
    return "\n".join(lines) + "\n"


class ExportAdminMixin:
    """Admin actions exporting the selected (already scoped and filtered) rows."""

    export_columns: Sequence[Column] = ()
    export_name = "export"
    export_phone_attr = "phone"
    actions = ("export_csv", "export_xlsx", "export_txt", "export_whatsapp")

    def _export(self, queryset, fmt):
        return export_response(
            queryset,
            self.export_columns,
            fmt,
            name=self.export_name,
            phone=lambda row: column("", self.export_phone_attr).value(row),
        )

    def export_csv(self, request, queryset):
        return self._export(queryset, "csv")

    def export_xlsx(self, request, queryset):
        return self._export(queryset, "xlsx")

    def export_txt(self, request, queryset):
        return self._export(queryset, "txt")

    def export_whatsapp(self, request, queryset):
        return self._export(queryset, "whatsapp")

    export_csv.short_description = _lazy("Export CSV")
    export_xlsx.short_description = _lazy("Export Excel (.xlsx)")
    export_txt.short_description = _lazy("Export TXT")
    export_whatsapp.short_description = _lazy("Export WhatsApp list (wa.me links)")
