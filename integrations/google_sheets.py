"""Google Sheets export through a service account, with no Google library (SPEC §9, optional).

Auth is the OAuth 2.0 service-account flow: a JWT (RS256, signed with the account's private key;
claims iss=client_email, scope, aud=token endpoint, iat, exp=iat+1h) is exchanged at the token
endpoint (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`) for a Bearer access token.
Writes use Sheets API v4 `spreadsheets.values.append` / `.update` / `.clear` with
`valueInputOption=RAW`, so a value typed as "=HYPERLINK(...)" or "+5511..." is stored as text.

Public API:
    SheetsNotConfigured(PermanentError)   no or unusable service-account JSON; message fit for staff
    SheetsCredentials(client_email, private_key, private_key_id="", token_url=GOOGLE_TOKEN_URL,
                      sheets_base_url=SHEETS_BASE_URL)
    sheets_credentials(service_account_json, *, token_url=None, sheets_base_url=SHEETS_BASE_URL)
        -> SheetsCredentials from the JSON key file Google issues (str or dict); raises
        SheetsNotConfigured when empty, not JSON, or missing client_email/private_key.
    fetch_access_token(creds, *, scope=SHEETS_SCOPE, timeout=None) -> str
    export_rows(creds, spreadsheet_id, header, rows, *, sheet="Sheet1", mode="replace", timeout=None)
        -> ExportResult(updated_range, updated_rows)
        mode="replace" clears the sheet and writes header + rows from A1; mode="append" adds only
        the rows after the sheet's existing table. Cells: None → "", Decimal → number,
        date/datetime → ISO text, bool/int/float as they are, anything else → str.
    Errors: RetryableError (network, 429, 5xx), PermanentError (rejected key, no access to the
    spreadsheet, bad range).
"""

import base64
import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils.translation import gettext_lazy as _

from integrations import http
from integrations.errors import PermanentError
from integrations.spreadsheet_cells import neutralise_cell

GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
SHEETS_BASE_URL = "https://sheets.googleapis.com/v4"
SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
ASSERTION_SECONDS = 3600  # Google's maximum lifetime for the signed assertion


class SheetsNotConfigured(PermanentError):
    """Google Sheets export is off or its service-account key is unusable."""


@dataclass(frozen=True)
class SheetsCredentials:
    client_email: str
    private_key: str = field(repr=False)
    private_key_id: str = ""
    token_url: str = GOOGLE_TOKEN_URL
    sheets_base_url: str = SHEETS_BASE_URL


@dataclass(frozen=True)
class ExportResult:
    updated_range: str
    updated_rows: int


def sheets_credentials(
    service_account_json: str | dict | None, *, token_url: str | None = None, sheets_base_url: str = SHEETS_BASE_URL
) -> SheetsCredentials:
    """Credentials from a service-account key (JSON text or parsed); SheetsNotConfigured if unusable."""
    if not service_account_json:
        raise SheetsNotConfigured(
            _("Google Sheets is not configured: add a service account JSON key in the company settings.")
        )
    try:
        info = json.loads(service_account_json) if isinstance(service_account_json, str) else service_account_json
        client_email, private_key = info["client_email"], info["private_key"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SheetsNotConfigured(
            _("The Google service account key is invalid: it must be the JSON file with client_email and private_key.")
        ) from exc
    return SheetsCredentials(
        client_email=client_email,
        private_key=private_key,
        private_key_id=info.get("private_key_id", ""),
        token_url=token_url or info.get("token_uri") or GOOGLE_TOKEN_URL,
        sheets_base_url=sheets_base_url,
    )


def fetch_access_token(creds: SheetsCredentials, *, scope: str = SHEETS_SCOPE, timeout: float | None = None) -> str:
    """Exchange a freshly signed assertion for an access token."""
    assertion = _signed_assertion(creds, scope, int(time.time()))
    try:
        response = http.request(
            "POST",
            creds.token_url,
            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
            timeout=timeout,
        )
    except PermanentError as exc:
        raise PermanentError(
            f"Google refused the service account token (HTTP {exc.status})", status=exc.status
        ) from exc
    try:
        return response.json()["access_token"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PermanentError("Google token answer has no access_token") from exc


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
    """Write `rows` (and in replace mode `header`) to `sheet` of `spreadsheet_id`."""
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


def _signed_assertion(creds: SheetsCredentials, scope: str, now: int) -> str:
    try:
        key = serialization.load_pem_private_key(creds.private_key.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise SheetsNotConfigured(_("The Google service account private key cannot be read.")) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SheetsNotConfigured(_("The Google service account private key is not an RSA key."))
    header = {"alg": "RS256", "typ": "JWT"}
    if creds.private_key_id:
        header["kid"] = creds.private_key_id
    claims = {
        "iss": creds.client_email,
        "scope": scope,
        "aud": creds.token_url,
        "iat": now,
        "exp": now + ASSERTION_SECONDS,
    }
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


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
