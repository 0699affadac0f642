"""Exports of any filtered list: WhatsApp (numbers and wa.me links with a message), Excel, CSV and TXT.

The rows come from the caller's queryset, which is already company-scoped (admin changelist or API
filter), so an export can never hold another company's data.

- `export_response(rows, columns, fmt, ...)`: the attachment itself.
- `ExportAdminMixin`: admin actions "Export CSV / Excel / TXT / WhatsApp" on the selected rows of
  the filtered changelist; columns from `export_columns` or, when empty, from `list_display`.
- `exports.api.ExportViewSetMixin`: `GET <list>/export/?type=csv|xlsx|txt|whatsapp[&message=...]` on an API
  list, with the list's own filters (period, status...).

The WhatsApp message may hold ``{nome}``: each link gets the row's first name. Without `?message=`
the list's default is used, or the company setting ``whatsapp_export_message`` when set.
"""

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from openpyxl import Workbook

from customers.phones import normalize_phone, whatsapp_link
from customers.selectors import without_test_customers
from integrations.spreadsheet_cells import neutralise_cell
from tenants.services import company_setting_get

FORMATS = ("csv", "xlsx", "txt", "whatsapp")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NAME_PLACEHOLDER = "{nome}"
MESSAGE_SETTING = "whatsapp_export_message"
DEFAULT_MESSAGE = _lazy("Hello {nome}!")
LEAD_MESSAGE = _lazy("Hello {nome}! We received your registration. How can we help you?")
CART_MESSAGE = _lazy("Hello {nome}! You left items in your cart. Can we help you finish your order?")
ITERATOR_CHUNK = 1000


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[object], object]


def column(title: str, attr: str) -> Column:
    return Column(title, attribute(attr))


def attribute(attr: str) -> Callable[[object], object]:
    """A reader of ``customer__phone``-style paths ("" when a link in the path is empty)."""

    def read(obj):
        value = obj
        for part in attr.split("__"):
            value = getattr(value, part, "") if value is not None else ""
        return "" if value is None else value

    return read


def company_message(company, default) -> str:
    """The company's WhatsApp export message (setting whatsapp_export_message), else `default` in
    the customers' language (pt-BR, the site's), whatever language the staff member reads in."""
    custom = company_setting_get(company=company, key=MESSAGE_SETTING) if company is not None else None
    if custom:
        return str(custom)
    with translation.override(settings.LANGUAGE_CODE):
        return str(default)


def export_response(
    rows: Iterable,
    columns: Sequence[Column],
    fmt: str,
    *,
    name: str,
    phone: Callable[[object], str],
    message: str = "",
    person_name: Callable[[object], str] | None = None,
) -> HttpResponse:
    """An attachment in `fmt` with one line per row.

    For "whatsapp": one line per distinct valid phone, ``+55... <tab> https://wa.me/55...?text=``;
    `phone` picks the row's phone and `person_name` its name for ``{nome}`` in `message`.
    """
    if fmt not in FORMATS:
        raise ValueError(_("Unknown export format: %(fmt)s") % {"fmt": fmt})
    if isinstance(rows, QuerySet):
        # Staff's simulator customers (console chat, builder preview) are tests, never exported.
        rows = without_test_customers(rows).iterator(chunk_size=ITERATOR_CHUNK)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{name}-{stamp}"
    if fmt == "xlsx":
        content, ctype, ext = _xlsx(rows, columns), XLSX_TYPE, "xlsx"
    elif fmt == "csv":
        content, ctype, ext = _csv(rows, columns), "text/csv; charset=utf-8", "csv"
    elif fmt == "txt":
        content, ctype, ext = _txt(rows, columns), "text/plain; charset=utf-8", "txt"
    else:
        content, ctype = _whatsapp(rows, phone, message, person_name or (lambda row: "")), "text/plain; charset=utf-8"
        filename, ext = f"{filename}-whatsapp", "txt"
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{ext}"'
    return response


def _cell(value):
    """A value a spreadsheet understands: aware datetimes as local time, yes/no as words (Sim/Não),
    related rows as their text."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime) and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    if value is None or isinstance(value, str | int | float | bool | Decimal | date):
        return value
    return str(value)


def _xlsx(rows, columns) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([str(c.title) for c in columns])
    for row in rows:
        sheet.append([neutralise_cell(_cell(c.value(row))) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv(rows, columns) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(c.title) for c in columns])
    for row in rows:
        writer.writerow([neutralise_cell(_cell(c.value(row))) for c in columns])
    return "\ufeff" + buffer.getvalue()  # BOM: Excel in pt-BR opens UTF-8 CSV correctly


def _txt(rows, columns) -> str:
    lines = [" | ".join(str(c.title) for c in columns)]
    # Neutralised too: a pipe-separated TXT is one import dialog away from a spreadsheet.
    lines += [" | ".join(str(neutralise_cell(_cell(c.value(row)))) for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def personal_message(message: str, name: str) -> str:
    """`message` with ``{nome}`` replaced by the first name (or dropped with its leading space)."""
    first = (name or "").strip().split(" ")[0]
    if first:
        return message.replace(NAME_PLACEHOLDER, first)
    return message.replace(f" {NAME_PLACEHOLDER}", "").replace(NAME_PLACEHOLDER, "")


def _whatsapp(rows, phone, message: str, person_name) -> str:
    lines, seen = [], set()
    for row in rows:
        number = normalize_phone(phone(row))
        if number and number not in seen:
            seen.add(number)
            lines.append(f"{number}\t{whatsapp_link(number, personal_message(message, person_name(row)))}")
    return "\n".join(lines) + "\n"


def _own_or_customers(model, field: str) -> str:
    """``phone`` when the model has that field, else ``customer__phone`` (carts, orders)."""
    try:
        model._meta.get_field(field)
    except FieldDoesNotExist:
        return f"customer__{field}"
    return field


def list_display_columns(model_admin) -> list[Column]:
    """Export columns from a ModelAdmin's `list_display` fields (choices as their labels, methods skipped)."""
    model, columns = model_admin.model, []
    for name in model_admin.list_display:
        if name == "__str__":
            columns.append(Column(str(model._meta.verbose_name), str))
            continue
        try:
            field = model._meta.get_field(name)
        except (FieldDoesNotExist, TypeError):
            continue  # admin methods are presentation, not data
        if field.choices:
            columns.append(Column(field.verbose_name, lambda obj, name=name: getattr(obj, f"get_{name}_display")()))
        else:
            columns.append(column(field.verbose_name, name))
    return columns


class ExportAdminMixin:
    """Admin actions exporting the selected (already scoped and filtered) rows as CSV, Excel, TXT, WhatsApp.

    Put it before the admin base class. `export_columns` default to the `list_display` fields;
    `export_phone_attr` / `export_name_attr` default to ``phone``/``name`` or the customer's.
    """

    export_columns: Sequence[Column] = ()
    export_name = ""
    export_phone_attr = ""
    export_name_attr = ""
    export_message = DEFAULT_MESSAGE
    export_actions = ("export_csv", "export_xlsx", "export_txt", "export_whatsapp")

    def get_actions(self, request):
        actions = super().get_actions(request)
        if actions is not None and self.has_view_permission(request):
            for name in self.export_actions:
                action = getattr(type(self), name)
                actions[name] = (action, name, action.short_description)
        return actions

    def _export(self, request, queryset, fmt):
        model = queryset.model
        return export_response(
            queryset,
            self.export_columns or list_display_columns(self),
            fmt,
            name=self.export_name or str(model._meta.verbose_name_plural),
            phone=attribute(self.export_phone_attr or _own_or_customers(model, "phone")),
            person_name=attribute(self.export_name_attr or _own_or_customers(model, "name")),
            message=company_message(getattr(request, "company", None), self.export_message),
        )

    def export_csv(self, request, queryset):
        return self._export(request, queryset, "csv")

    def export_xlsx(self, request, queryset):
        return self._export(request, queryset, "xlsx")

    def export_txt(self, request, queryset):
        return self._export(request, queryset, "txt")

    def export_whatsapp(self, request, queryset):
        return self._export(request, queryset, "whatsapp")

    export_csv.short_description = _lazy("Export CSV")
    export_xlsx.short_description = _lazy("Export Excel (.xlsx)")
    export_txt.short_description = _lazy("Export TXT")
    export_whatsapp.short_description = _lazy("Export WhatsApp list (wa.me links)")
