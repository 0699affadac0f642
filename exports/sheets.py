"""Export an admin changelist's selection to the company's Google Sheets spreadsheet.

Configuration (per company, CompanySetting): `google_service_account_json` (secret: the JSON key
file of a service account) and `google_sheets_spreadsheet_id` (text; the spreadsheet must be shared
with the service account's e-mail and have a tab named after the export, see `sheets_tab`).
Settings `GOOGLE_SHEETS_BASE_URL` points the export elsewhere (a proxy, or a fake in tests).
"""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exports.writers import Column, list_display_columns
from integrations.errors import IntegrationError
from integrations.google_sheets import (
    ExportResult,
    SheetsNotConfigured,
    export_rows,
    sheets_credentials,
)
from tenants.services import company_setting_get


def sheets_export(company, header: list[str], rows: list[list], *, tab: str) -> ExportResult:
    """Replace the content of tab `tab` of the company's spreadsheet with `header` + `rows`.
    SheetsNotConfigured when the company has no key or spreadsheet id; RetryableError or
    PermanentError from the Google calls."""
    key = company_setting_get(company=company, key="google_service_account_json", default="")
    spreadsheet_id = (
        company_setting_get(company=company, key="google_sheets_spreadsheet_id", default="") or ""
    ).strip()
    creds = sheets_credentials(key, sheets_base_url=settings.GOOGLE_SHEETS_BASE_URL)
    if not spreadsheet_id:
        raise SheetsNotConfigured(
            _("Google Sheets is not configured: set the spreadsheet id (google_sheets_spreadsheet_id).")
        )
    return export_rows(creds, spreadsheet_id, header, rows, sheet=tab, mode="replace")


class SheetsExportAdminMixin:
    """Adds the "Exportar para Google Sheets" action to a company-scoped ModelAdmin.

    Columns: the admin's `export_columns` (exports.writers.Column) if it has them, else its
    `list_display` fields. Tab: `sheets_tab`, else `export_name`, else the model's name.
    """

    sheets_tab = ""

    def get_actions(self, request):
        actions = super().get_actions(request)
        if actions is not None and self.has_view_permission(request):
            action = type(self).export_google_sheets
            actions["export_google_sheets"] = (action, "export_google_sheets", action.short_description)
        return actions

    def export_google_sheets(self, request, queryset):
        company = getattr(getattr(request, "company_access", None), "company", None)
        if company is None:
            self.message_user(request, _("Choose a company before exporting to Google Sheets."), messages.ERROR)
            return
        columns = self._sheets_columns()
        tab = self.sheets_tab or getattr(self, "export_name", "") or str(self.model._meta.verbose_name_plural)
        rows = [[_plain(c.value(obj)) for c in columns] for obj in queryset]
        try:
            result = sheets_export(company, [str(c.title) for c in columns], rows, tab=tab)
        except SheetsNotConfigured as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        except IntegrationError as exc:
            self.message_user(
                request,
                _(
                    "Google Sheets export failed (%(error)s). Check that the spreadsheet is shared with the "
                    "service account and has a tab named “%(tab)s”."
                )
                % {"error": exc, "tab": tab},
                messages.ERROR,
            )
            return
        self.message_user(
            request,
            _("%(n)s row(s) exported to Google Sheets (%(range)s).") % {"n": len(rows), "range": result.updated_range},
            messages.SUCCESS,
        )

    export_google_sheets.short_description = _("Export to Google Sheets")  # pt-BR: "Exportar para Google Sheets"

    def _sheets_columns(self) -> Sequence[Column]:
        return getattr(self, "export_columns", None) or list_display_columns(self)


def _plain(value):
    """A cell the Sheets client understands: related rows and choices as their text."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)  # staff read local time in the sheet
    if value is None or isinstance(value, str | int | float | bool | Decimal | date):
        return value
    return str(value)
