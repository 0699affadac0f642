import base64
import functools
import json
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, quote, unquote

import google.auth._exponential_backoff
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils import translation

from integrations.errors import PermanentError, RetryableError
from integrations.google_sheets import (
    ExportResult,
    SheetsNotConfigured,
    export_rows,
    fetch_access_token,
    sheets_credentials,
)
from integrations.testing.fake_server import FakeServer

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
SERVICE_ACCOUNT = {
    "type": "service_account",
    "project_id": "balcao-test",
    "private_key_id": "kid-123",
    "private_key": PEM,
    "client_email": "exporter@balcao-test.iam.gserviceaccount.com",
    "client_id": "1234567890",
    "token_uri": "https://oauth2.googleapis.com/token",
}
SHEET_ID = "1AbCdEfG"
VALUES = f"/v4/spreadsheets/{SHEET_ID}/values"


def values_path(a1_range: str, action: str = "") -> str:
    """The path as sent on the wire: the A1 range percent-encoded, the `:action` suffix not."""
    return f"{VALUES}/{quote(a1_range, safe='')}{action}"


def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def token_endpoint(request):
    """Google's token endpoint: checks the grant, the RS256 signature and the claims."""
    form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
    if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return 400, {}, {"error": "unsupported_grant_type"}
    head, claims, signature = form["assertion"].split(".")
    try:
        KEY.public_key().verify(b64decode(signature), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return 400, {}, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    token_endpoint.header, token_endpoint.claims = json.loads(b64decode(head)), json.loads(b64decode(claims))
    return 200, {}, {"access_token": "ya29.test-token", "expires_in": 3599, "token_type": "Bearer"}


def creds(server):
    return sheets_credentials(
        json.dumps(SERVICE_ACCOUNT), token_url=f"{server.url}/token", sheets_base_url=f"{server.url}/v4"
    )


def test_access_token_from_signed_assertion():
    with FakeServer() as server:
        server.add("POST", "/token", handler=token_endpoint)

        before = int(time.time())
        token = fetch_access_token(creds(server))

    assert token == "ya29.test-token"
    assert token_endpoint.header == {"alg": "RS256", "typ": "JWT", "kid": "kid-123"}
    claims = token_endpoint.claims
    assert claims["iss"] == "exporter@balcao-test.iam.gserviceaccount.com"
    assert claims["scope"] == "https://www.googleapis.com/auth/spreadsheets"
    assert claims["aud"] == "https://oauth2.googleapis.com/token"  # google-auth's audience, wherever token_uri is
    assert before <= claims["iat"] <= before + 5
    assert claims["exp"] == claims["iat"] + 3600


def test_replace_clears_then_writes_header_and_rows():
    update_answer = {
        "spreadsheetId": SHEET_ID,
        "updatedRange": "Leads!A1:C3",
        "updatedRows": 3,
        "updatedColumns": 3,
        "updatedCells": 9,
    }
    with FakeServer() as server:
        server.add("POST", "/token", handler=token_endpoint)
        server.add(
            "POST", values_path("'Leads'", ":clear"), json={"spreadsheetId": SHEET_ID, "clearedRange": "Leads!A1:Z1000"}
        )
        server.add("PUT", values_path("'Leads'!A1"), json=update_answer)

        result = export_rows(
            creds(server),
            SHEET_ID,
            ["Nome", "WhatsApp", "Total"],
            [["Ana", "+5511987654321", Decimal("59.90")], ["=HYPERLINK(1)", None, date(2025, 3, 9)]],
            sheet="Leads",
        )

    assert result == ExportResult("Leads!A1:C3", 3)
    clear, update = server.requests[1:]
    assert clear.path == "/v4/spreadsheets/1AbCdEfG/values/%27Leads%27:clear"
    assert unquote(clear.path) == f"{VALUES}/'Leads':clear"
    assert clear.headers["Authorization"] == "Bearer ya29.test-token"
    assert unquote(update.path) == f"{VALUES}/'Leads'!A1"
    assert update.query == {"valueInputOption": ["RAW"]}
    assert update.headers["Authorization"] == "Bearer ya29.test-token"
    assert update.json == {
        "range": "'Leads'!A1",
        "majorDimension": "ROWS",
        "values": [
            ["Nome", "WhatsApp", "Total"],
            ["Ana", "+5511987654321", 59.9],
            ["'=HYPERLINK(1)", "", "2025-03-09"],
        ],
    }


def test_append_adds_rows_without_header():
    append_answer = {
        "spreadsheetId": SHEET_ID,
        "tableRange": "'Carrinhos de março'!A1:B10",
        "updates": {
            "spreadsheetId": SHEET_ID,
            "updatedRange": "'Carrinhos de março'!A11:B11",
            "updatedRows": 1,
            "updatedColumns": 2,
            "updatedCells": 2,
        },
    }
    with FakeServer() as server:
        server.add("POST", "/token", handler=token_endpoint)
        server.add("POST", values_path("'Carrinhos de março'!A1", ":append"), json=append_answer)

        result = export_rows(
            creds(server), SHEET_ID, ["Nome", "Qtd"], [["Bia", 2]], sheet="Carrinhos de março", mode="append"
        )

    assert result == ExportResult("'Carrinhos de março'!A11:B11", 1)
    append = server.requests[1]
    assert append.query == {"valueInputOption": ["RAW"], "insertDataOption": ["INSERT_ROWS"]}
    assert append.json == {"range": "'Carrinhos de março'!A1", "majorDimension": "ROWS", "values": [["Bia", 2]]}


def test_rejected_key_is_permanent_and_nothing_written():
    with FakeServer() as server:
        server.add("POST", "/token", status=400, json={"error": "invalid_grant", "error_description": "Invalid JWT"})

        with pytest.raises(PermanentError, match="Google refused the service account token"):
            export_rows(creds(server), SHEET_ID, ["A"], [["1"]])

    assert len(server.requests) == 1


def test_no_access_to_spreadsheet_is_permanent():
    forbidden = {
        "error": {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}
    }
    with FakeServer() as server:
        server.add("POST", "/token", handler=token_endpoint)
        server.add("POST", values_path("'Sheet1'!A1", ":append"), status=403, json=forbidden)

        with pytest.raises(PermanentError) as raised:
            export_rows(creds(server), SHEET_ID, ["A"], [["1"]], mode="append")

    assert raised.value.status == 403


def test_quota_is_retryable():
    with FakeServer() as server:
        server.add("POST", "/token", handler=token_endpoint)
        server.add("POST", values_path("'Sheet1'!A1", ":append"), status=429, json={"error": {"code": 429}})

        with pytest.raises(RetryableError):
            export_rows(creds(server), SHEET_ID, ["A"], [["1"]], mode="append")


@pytest.mark.parametrize("raw", [None, "", {}])
def test_missing_service_account_is_not_configured(raw):
    with translation.override("en"):
        with pytest.raises(SheetsNotConfigured) as raised:
            sheets_credentials(raw)

        assert str(raised.value) == (
            "Google Sheets is not configured: add a service account JSON key in the company settings."
        )


@pytest.mark.parametrize("raw", ["not json", '{"client_email": "a@b"}', "[]"])
def test_incomplete_service_account_is_not_configured(raw):
    with translation.override("en"), pytest.raises(SheetsNotConfigured, match="service account key is invalid"):
        sheets_credentials(raw)


def test_unreadable_private_key_is_not_configured_and_calls_nothing():
    with FakeServer() as server:
        broken = sheets_credentials({**SERVICE_ACCOUNT, "private_key": "-----BEGIN PRIVATE KEY-----\nxx\n"})

        with translation.override("en"), pytest.raises(SheetsNotConfigured, match="private key cannot be read"):
            export_rows(broken, SHEET_ID, ["A"], [])

    assert server.requests == []


def test_token_endpoint_timeout_or_outage_is_retryable_and_nothing_written(settings, monkeypatch):
    settings.PROVIDER_TIMEOUT = 0.2
    backoff = google.auth._exponential_backoff.ExponentialBackoff
    monkeypatch.setattr(backoff, "__init__", functools.partialmethod(backoff.__init__, initial_wait_seconds=0))
    with FakeServer() as server:
        server.add("POST", "/token", handler=token_endpoint, delay=1.0, times=1)  # too slow
        server.add("POST", "/token", status=503, json={"error": "backendError"})

        for _attempt in range(2):
            with pytest.raises(RetryableError):
                export_rows(creds(server), SHEET_ID, ["A"], [["1"]])

    # google-auth asks a busy token endpoint three times before giving up; nothing else is called.
    assert [r.path for r in server.requests] == ["/token"] * 4


def test_sheets_timeout_and_server_error_are_retryable(settings):
    settings.PROVIDER_TIMEOUT = 0.2
    with FakeServer() as server:
        server.add("POST", "/token", handler=token_endpoint)
        server.add("POST", values_path("'Sheet1'!A1", ":append"), json={"updates": {}}, delay=1.0, times=1)
        server.add("POST", values_path("'Sheet1'!A1", ":append"), status=500, json={"error": {"code": 500}})

        for _attempt in range(2):
            with pytest.raises(RetryableError):
                export_rows(creds(server), SHEET_ID, ["A"], [["1"]], mode="append")


def test_each_export_signs_a_new_assertion_so_an_expired_token_is_never_reused(monkeypatch):
    issued = []

    def tokens(request):
        status, headers, body = token_endpoint(request)
        issued.append(token_endpoint.claims)
        return status, headers, {**body, "access_token": f"ya29.token-{len(issued)}"}

    clock = [datetime(2023, 11, 14, 22, 13, 20)]  # 1_700_000_000, naive UTC as google-auth keeps it
    monkeypatch.setattr("google.auth._helpers.utcnow", lambda: clock[0])
    with FakeServer() as server:
        server.add("POST", "/token", handler=tokens)
        server.add("POST", values_path("'Sheet1'!A1", ":append"), json={"updates": {"updatedRows": 1}})

        export_rows(creds(server), SHEET_ID, ["A"], [["1"]], mode="append")
        clock[0] += timedelta(seconds=3700)  # the first access token (and its assertion) expired an hour later
        export_rows(creds(server), SHEET_ID, ["A"], [["2"]], mode="append")

    appends = server.requests_to("POST", values_path("'Sheet1'!A1", ":append"))
    assert [a.headers["Authorization"] for a in appends] == ["Bearer ya29.token-1", "Bearer ya29.token-2"]
    assert [claims["iat"] for claims in issued] == [1_700_000_000, 1_700_003_700]


def test_private_key_not_in_repr():
    assert "PRIVATE KEY" not in repr(sheets_credentials(SERVICE_ACCOUNT))


FORMULAS = ['=HYPERLINK("http://x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("mode", ["replace", "append"])
def test_cells_that_would_run_as_formulas_reach_the_sheet_neutralised(mode):
    with FakeServer() as server:
        server.add("POST", "/token", handler=token_endpoint)
        server.add("POST", values_path("'Leads'", ":clear"), json={})
        server.add("PUT", values_path("'Leads'!A1"), json={"updatedRange": "Leads!A1:F2", "updatedRows": 2})
        server.add("POST", values_path("'Leads'!A1", ":append"), json={"updates": {"updatedRows": 1}})

        export_rows(creds(server), SHEET_ID, ["a"] * 7, [[*FORMULAS, "+5511987654321"]], sheet="Leads", mode=mode)

    written = server.requests[-1].json["values"][-1]
    assert written == [f"'{value}" for value in FORMULAS] + ["+5511987654321"]
