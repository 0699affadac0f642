"""Google Sheets export through a service account (SPEC §9, optional).

Auth is google-auth's service-account flow (a signed JWT exchanged at the key's `token_uri` for a
Bearer token). Its token request goes through the outbound client (`integrations.http`), so a key
whose `token_uri` points at a private or local address is refused (DestinationNotAllowed).
Writes use Sheets API v4 `spreadsheets.values.append` / `.update` / `.clear` with
`valueInputOption=RAW`, so a value typed as "=HYPERLINK(...)" or "+5511..." is stored as text.
Errors: RetryableError (network, 429, 5xx), PermanentError (rejected key, no access to the
spreadsheet, bad range).
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

import google.auth.crypt
import google.auth.exceptions
import google.auth.transport.requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from google.oauth2 import service_account

from integrations import http
from integrations.destinations import validate_public_url
from integrations.errors import PermanentError, RetryableError
from integrations.spreadsheet_cells import neutralise_cell

GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
SHEETS_BASE_URL = "https://sheets.googleapis.com/v4"
SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"


class SheetsNotConfigured(PermanentError):
    """Google Sheets export is off or its service-account key is unusable."""


@dataclass(frozen=True)
class SheetsCredentials:
    """`info` is the service-account key file as a dict (never in repr)."""

    info: dict = field(repr=False)
    token_url: str = GOOGLE_TOKEN_URL
    sheets_base_url: str = SHEETS_BASE_URL

    @property
    def client_email(self) -> str:
        return self.info["client_email"]


@dataclass(frozen=True)
class ExportResult:
    updated_range: str
    updated_rows: int


def sheets_credentials(
    service_account_json: str | dict | None, *, token_url: str | None = None, sheets_base_url: str = SHEETS_BASE_URL
) -> SheetsCredentials:
    """Credentials from the service-account key file Google issues (JSON text or parsed);
    SheetsNotConfigured when it is empty, not JSON, or lacks client_email or private_key."""
    if not service_account_json:
        raise SheetsNotConfigured(
            _("Google Sheets is not configured: add a service account JSON key in the company settings.")
        )
    try:
        info = json.loads(service_account_json) if isinstance(service_account_json, str) else service_account_json
        if not (isinstance(info["client_email"], str) and isinstance(info["private_key"], str)):
            raise TypeError("client_email and private_key must be text")
    except (ValueError, KeyError, TypeError) as exc:
        raise SheetsNotConfigured(
            _("The Google service account key is invalid: it must be the JSON file with client_email and private_key.")
        ) from exc
    return SheetsCredentials(
        info=dict(info),
        token_url=token_url or info.get("token_uri") or GOOGLE_TOKEN_URL,
        sheets_base_url=sheets_base_url,
    )


def service_account_check(service_account_json: str | dict) -> None:
    """ValidationError when the key's `token_uri` points to a private or local address; a value that
    is not a key file at all is left to `sheets_credentials` to refuse when it is used."""
    try:
        info = json.loads(service_account_json) if isinstance(service_account_json, str) else service_account_json
    except ValueError:
        return
    token_uri = info.get("token_uri") if isinstance(info, dict) else None
    if token_uri:
        validate_public_url(str(token_uri), require_resolvable=False)


def fetch_access_token(creds: SheetsCredentials, *, scope: str = SHEETS_SCOPE, timeout: float | None = None) -> str:
    """Sign a new assertion and exchange it at `creds.token_url` (through the outbound client) for a
    token: a new one on every call, nothing is cached between exports."""
    account = service_account.Credentials(_signer(creds), creds.client_email, creds.token_url, scopes=[scope])
    transport = _TokenRequest(http.new_session(), timeout if timeout is not None else settings.PROVIDER_TIMEOUT)
    try:
        account.refresh(transport)
    except google.auth.exceptions.RefreshError as exc:
        detail = exc.args[0] if exc.args else "no detail"
        if exc.retryable:
            raise RetryableError(f"Google token endpoint unavailable: {detail}") from exc
        raise PermanentError(f"Google refused the service account token: {detail}") from exc
    except google.auth.exceptions.TransportError as exc:
        cause = exc.__cause__.__class__.__name__ if exc.__cause__ else "TransportError"
        raise RetryableError(f"Google token endpoint unreachable: {cause}") from exc
    return account.token


def _signer(creds: SheetsCredentials) -> google.auth.crypt.RSASigner:
    try:
        key = serialization.load_pem_private_key(creds.info["private_key"].encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise SheetsNotConfigured(_("The Google service account private key cannot be read.")) from exc
    try:
        return google.auth.crypt.RSASigner(key, key_id=creds.info.get("private_key_id") or None)
    except ValueError as exc:  # google-auth signs service-account assertions with RSA keys only
        raise SheetsNotConfigured(_("The Google service account private key is not an RSA key.")) from exc


class _TokenRequest(google.auth.transport.requests.Request):
    """google-auth's requests transport on the outbound session, with our timeout instead of its 120 s."""

    def __init__(self, session, timeout: float):
        super().__init__(session=session)
        self.timeout = timeout

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        return super().__call__(url, method=method, body=body, headers=headers, timeout=self.timeout, **kwargs)


def export_rows(
    creds: SheetsCredentials,
    spreadsheet_id: str,
    header: list[str],
    rows: list[list[Any]],
    *,
    sheet: str = "Sheet1",
    mode: Literal["replace", "append"] = "replace",
    timeout: float | None = None,
) -> ExportResult:
    """Write `rows` (and in replace mode `header`) to `sheet` of `spreadsheet_id`.

    mode="replace" clears the sheet and writes header + rows from A1; mode="append" adds only the
    rows after the sheet's existing table. Cells: None → "", Decimal → number, date/datetime → ISO
    text, bool/int/float as they are, anything else → str.
    """
    token = fetch_access_token(creds, timeout=timeout)
    headers = {"Authorization": f"Bearer {token}"}
    sheet_range = "'" + sheet.replace("'", "''") + "'"
    values_url = f"{creds.sheets_base_url.rstrip('/')}/spreadsheets/{quote(spreadsheet_id, safe='')}/values"
    # RAW keeps formulas from running in the sheet itself; the quote keeps them inert in its
    # CSV/XLSX downloads too.
    cells = [[neutralise_cell(_cell(value)) for value in row] for row in rows]
    if mode == "append":
        response = http.request(
            "POST",
            f"{values_url}/{quote(sheet_range + '!A1', safe='')}:append",
            params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
            json={"range": f"{sheet_range}!A1", "majorDimension": "ROWS", "values": cells},
            headers=headers,
            timeout=timeout,
        )
        updates = _json(response).get("updates", {})
    else:
        http.request(
            "POST", f"{values_url}/{quote(sheet_range, safe='')}:clear", json={}, headers=headers, timeout=timeout
        )
        response = http.request(
            "PUT",
            f"{values_url}/{quote(sheet_range + '!A1', safe='')}",
            params={"valueInputOption": "RAW"},
            json={"range": f"{sheet_range}!A1", "majorDimension": "ROWS", "values": [list(header), *cells]},
            headers=headers,
            timeout=timeout,
        )
        updates = _json(response)
    return ExportResult(str(updates.get("updatedRange", "")), int(updates.get("updatedRows", 0)))


def _json(response) -> dict:
    try:
        data = response.json()
    except ValueError as exc:
        raise PermanentError("Google Sheets answer is not JSON") from exc
    return data if isinstance(data, dict) else {}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
