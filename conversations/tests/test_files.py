"""Received files: size limit without reading everything, fingerprint and type, Django storage, SSRF refusal."""

import hashlib
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from conversations.models import Message, ReceivedFile
from conversations.tasks import conversation_process_task, inbound_sweep_task, received_file_download_task
from conversations.tests.conftest import make_channel
from flows.models import Flow, FlowMessage, FlowTemplate, Subflow
from integrations.testing.fake_server import FakeServer
from tenants.scoping import company_scope

PDF = b"%PDF-1.4\n" + b"0" * 5000 + b"\n%%EOF\n"


@pytest.fixture
def media():
    with FakeServer() as server:
        yield server


def send_document(post_webhook, channel, url, *, file_name="comprovante.pdf", message_id="doc-1"):
    body = {
        "from": "5511987654321",
        "id": message_id,
        "kind": "document",
        "media_url": url,
        "file_name": file_name,
        "mime": "application/pdf",
    }
    answer = post_webhook(channel, body)
    assert answer.status_code == 200
    return answer.applied["results"][0]["message_id"]


def download(company, message_id):
    return received_file_download_task.apply(kwargs={"company_id": company.pk, "message_id": message_id}, throw=True)


def assert_download_refused(company, message_id, reason):
    """The task gives up without raising and says why on the message (shown in the admin)."""
    assert download(company, message_id).result is None
    error = Message.objects.for_company(company).get(pk=message_id).error
    assert error.startswith("file download failed: ") and reason in error, error


def stored_files(company) -> list[ReceivedFile]:
    return list(ReceivedFile.objects.for_company(company))


def test_document_is_stored_with_name_detected_type_size_and_sha256(channel_a, post_webhook, media, enqueued):
    media.add("GET", "/files/comprovante", body=PDF, headers={"Content-Type": "application/octet-stream"})
    message_id = send_document(post_webhook, channel_a, media.url + "/files/comprovante")

    download(channel_a.company, message_id)

    assert enqueued.of("received_file_download_task") == [
        {"company_id": channel_a.company_id, "message_id": message_id}
    ]
    (received,) = stored_files(channel_a.company)
    assert (received.original_name, received.content_type, received.size) == (
        "comprovante.pdf",
        "application/pdf",
        len(PDF),
    )
    assert received.sha256 == hashlib.sha256(PDF).hexdigest()
    assert received.message_id == message_id
    assert default_storage.exists(received.file.name)
    assert received.file.name.startswith("received/")
    with default_storage.open(received.file.name) as stored:
        assert stored.read() == PDF


def test_download_is_idempotent(channel_a, post_webhook, media, enqueued):
    media.add("GET", "/f", body=PDF)
    message_id = send_document(post_webhook, channel_a, media.url + "/f")

    download(channel_a.company, message_id)
    download(channel_a.company, message_id)

    assert len(stored_files(channel_a.company)) == 1
    assert len(media.requests) == 1


def test_type_comes_from_the_bytes_not_the_claimed_name(channel_a, post_webhook, media, enqueued):
    media.add("GET", "/f", body=b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, headers={"Content-Type": "application/pdf"})
    message_id = send_document(post_webhook, channel_a, media.url + "/f", file_name="foto.pdf")

    download(channel_a.company, message_id)

    assert stored_files(channel_a.company)[0].content_type == "image/png"


def test_declared_size_over_the_limit_is_refused_before_reading(channel_a, post_webhook, media, enqueued, settings):
    settings.MAX_RECEIVED_FILE_BYTES = 1000
    media.add("GET", "/big", body=PDF)
    message_id = send_document(post_webhook, channel_a, media.url + "/big")

    assert_download_refused(channel_a.company, message_id, "over the 1000-byte limit")

    assert stored_files(channel_a.company) == []


class EndlessFile(BaseHTTPRequestHandler):
    """Streams a body with no Content-Length (HTTP/1.0, ends when the connection closes) until the
    client hangs up; counts what it managed to write."""

    written = 0
    done = threading.Event()
    cap = 200 * 1024 * 1024

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.end_headers()
        chunk = b"%PDF-" + b"x" * (64 * 1024 - 5)
        try:
            while type(self).written < self.cap:
                self.wfile.write(chunk)
                type(self).written += len(chunk)
        except OSError:  # the client closed the connection: what we want
            pass
        finally:
            type(self).done.set()


def test_undeclared_size_is_cut_off_at_the_limit_without_reading_everything(
    channel_a, post_webhook, enqueued, settings
):
    settings.MAX_RECEIVED_FILE_BYTES = 100 * 1024
    EndlessFile.written = 0
    EndlessFile.done = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), EndlessFile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        message_id = send_document(post_webhook, channel_a, f"http://127.0.0.1:{server.server_address[1]}/endless")
        assert_download_refused(channel_a.company, message_id, "over the 102400-byte limit")
        assert EndlessFile.done.wait(10)
    finally:
        server.shutdown()
        server.server_close()

    assert stored_files(channel_a.company) == []
    assert EndlessFile.written < 32 * 1024 * 1024  # kernel buffers at most; far from the 200 MB on offer


@pytest.mark.parametrize("host", ["127.0.0.1", "169.254.169.254", "10.0.0.5", "[::1]"])
def test_private_media_url_is_refused_and_never_fetched(channel_a, post_webhook, media, enqueued, settings, host):
    media.add("GET", "/f", body=PDF)
    port = media.url.rsplit(":", 1)[1]
    message_id = send_document(post_webhook, channel_a, f"http://{host}:{port}/f")
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False

    assert_download_refused(channel_a.company, message_id, "media URL refused")

    assert media.requests == []
    assert stored_files(channel_a.company) == []


def test_wait_for_file_step_advances_on_the_stored_document(
    company_a, channel_a, post_webhook, media, enqueued, settings, django_capture_on_commit_callbacks
):
    company_a.message_debounce_seconds = 0
    company_a.save(update_fields=["message_debounce_seconds"])
    with company_scope(company_a):
        template = FlowTemplate.objects.create(company=company_a, name="Pix")
        flow = Flow.objects.create(company=company_a, template=template, name="Pagamento", is_default=True)
        subflow = Subflow.objects.create(company=company_a, flow=flow, name="Comprovante", order_index=1)
        FlowMessage.objects.create(
            company=company_a,
            subflow=subflow,
            message_text="Envie o comprovante em PDF.",
            order_index=1,
            wait_for_file=True,
            expected_file_types=["pdf"],
        )
        FlowMessage.objects.create(
            company=company_a, subflow=subflow, message_text="Recebido, obrigado!", order_index=2
        )
    media.add("GET", "/pix.pdf", body=PDF)

    def work():
        for kwargs in enqueued.of("received_file_download_task"):
            download(company_a, kwargs["message_id"])
        for kwargs in enqueued.of("conversation_process_task"):
            with django_capture_on_commit_callbacks(execute=True):
                conversation_process_task.apply(kwargs=kwargs, throw=True)
        enqueued.calls.clear()

    post_webhook(channel_a, {"from": "5511987654321", "text": "oi", "id": "t-1"})
    work()
    document_id = send_document(post_webhook, channel_a, media.url + "/pix.pdf", file_name="pix.pdf")
    work()

    with company_scope(company_a):
        outbound = list(Message.objects.filter(direction="out").values_list("text", flat=True))
        received = ReceivedFile.objects.get()
        document = Message.objects.get(pk=document_id)
    assert outbound == ["Envie o comprovante em PDF.", "Recebido, obrigado!"]
    assert (received.message_id, received.original_name, received.sha256) == (
        document_id,
        "pix.pdf",
        hashlib.sha256(PDF).hexdigest(),
    )
    assert document.status == "processed"


# --- Where each provider's received files come from (media_source) -----------------------------


def provider_document(company, post_webhook, server, provider, credentials, fixture_headers=None):
    from conversations.tests.test_provider_payloads import meta_signature
    from integrations.messaging.tests.support import raw

    channel = make_channel(company, provider=provider, name="doc", base_url=server.url, credentials=credentials)
    body = raw(provider, "document")
    headers = {"HTTP_X_HUB_SIGNATURE_256": meta_signature(body)} if provider == "meta_cloud" else {}
    answer = post_webhook(channel, body, **headers).applied
    (accepted,) = [r for r in answer["results"] if r["event"] == "message"]
    return accepted["message_id"]


def test_meta_document_is_fetched_by_media_id_with_the_token(company_a, post_webhook, media, enqueued):
    credentials = {"token": "tok", "phone_number_id": "1122334455667", "app_secret": "s3cret", "verify_token": "v"}
    media.add("GET", "/v23.0/1234567890987654321", json={"url": media.url + "/lookaside/f", "mime_type": "x"})
    media.add("GET", "/lookaside/f", body=PDF)
    message_id = provider_document(company_a, post_webhook, media, "meta_cloud", credentials)

    download(company_a, message_id)

    (received,) = stored_files(company_a)
    assert (received.original_name, received.content_type, received.sha256) == (
        "filename.pdf",
        "application/pdf",
        hashlib.sha256(PDF).hexdigest(),
    )
    assert [r.headers["Authorization"] for r in media.requests] == ["Bearer tok", "Bearer tok"]


def test_uazapi_document_is_decrypted_by_uazapi_not_read_from_the_encrypted_blob(
    company_a, post_webhook, media, enqueued
):
    media.add("POST", "/message/download", json={"fileURL": media.url + "/files/c.pdf", "mimetype": "application/pdf"})
    media.add("GET", "/files/c.pdf", body=PDF)
    message_id = provider_document(
        company_a, post_webhook, media, "uazapi", {"token": "xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"}
    )

    download(company_a, message_id)

    (received,) = stored_files(company_a)
    assert (received.original_name, received.size) == ("Catálogo Fittivirtual PDF.pdf", len(PDF))
    first = media.requests[0]
    assert first.json == {"id": "AC32D9B3800862E9428A9B580162D209", "return_link": True}
    assert first.headers["token"] == "xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
    assert [r.path for r in media.requests] == ["/message/download", "/files/c.pdf"]  # never mmg.whatsapp.net


def test_evolution_document_bytes_come_from_its_base64_endpoint(company_a, post_webhook, media, enqueued, settings):
    import base64

    settings.MAX_RECEIVED_FILE_BYTES = len(PDF)
    media.add(
        "POST",
        "/chat/getBase64FromMediaMessage/doc",
        json={"base64": base64.b64encode(PDF).decode(), "mimetype": "application/pdf"},
    )
    message_id = provider_document(company_a, post_webhook, media, "evolution", {"api_key": "k"})

    download(company_a, message_id)

    (received,) = stored_files(company_a)
    assert (received.original_name, received.sha256) == ("comprovante.pdf", hashlib.sha256(PDF).hexdigest())
    assert media.requests[0].json == {"message": {"key": {"id": "3EB0A1B2C3D4E5F60718"}}, "convertToMp4": False}
    assert media.requests[0].headers["apikey"] == "k"


def test_base64_answer_over_the_limit_is_refused(company_a, post_webhook, media, enqueued, settings):
    import base64

    settings.MAX_RECEIVED_FILE_BYTES = len(PDF) - 1
    media.add("POST", "/chat/getBase64FromMediaMessage/doc", json={"base64": base64.b64encode(PDF).decode()})
    message_id = provider_document(company_a, post_webhook, media, "evolution", {"api_key": "k"})

    assert_download_refused(company_a, message_id, "over the")

    assert stored_files(company_a) == []


def test_a_redirect_to_a_private_address_is_refused_and_never_followed(
    channel_a, post_webhook, media, enqueued, settings
):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the fake media server, and nothing else
    media.add("GET", "/r", status=302, headers={"Location": "http://10.0.0.5/latest/meta-data"})
    message_id = send_document(post_webhook, channel_a, media.url + "/r")

    assert_download_refused(channel_a.company, message_id, "media URL refused")

    assert [r.path for r in media.requests] == ["/r"]
    assert stored_files(channel_a.company) == []


def test_redirects_to_another_host_are_followed_without_the_credentials(company_a, post_webhook, media, enqueued):
    credentials = {"token": "tok", "phone_number_id": "1122334455667", "app_secret": "s3cret", "verify_token": "v"}
    cdn = media.url.replace("127.0.0.1", "localhost")  # same server, another origin
    media.add("GET", "/v23.0/1234567890987654321", json={"url": media.url + "/lookaside/f"})
    media.add("GET", "/lookaside/f", status=302, headers={"Location": f"{cdn}/cdn/f"})
    media.add("GET", "/cdn/f", body=PDF)
    message_id = provider_document(company_a, post_webhook, media, "meta_cloud", credentials)

    download(company_a, message_id)

    assert stored_files(company_a)[0].size == len(PDF)
    assert "Authorization" not in media.requests[-1].headers


def test_a_download_that_keeps_failing_is_recorded_on_the_message(channel_a, post_webhook, media, enqueued):
    media.add("GET", "/down", status=503, body=b"busy")
    message_id = send_document(post_webhook, channel_a, media.url + "/down")

    # The last allowed attempt (earlier ones are retried by Celery).
    result = received_file_download_task.apply(
        kwargs={"company_id": channel_a.company_id, "message_id": message_id}, retries=3, throw=True
    )

    assert result.result is None
    assert Message.objects.for_company(channel_a.company).get(pk=message_id).error.startswith("file download failed")


def test_the_inbound_sweep_fetches_documents_whose_download_never_ran(channel_a, post_webhook, media, enqueued):
    media.add("GET", "/f", body=PDF)
    lost = send_document(post_webhook, channel_a, media.url + "/f", message_id="doc-lost")
    send_document(post_webhook, channel_a, media.url + "/f", message_id="doc-recent")  # too young for the sweep
    failed = send_document(post_webhook, channel_a, media.url + "/f", message_id="doc-failed")
    stored = send_document(post_webhook, channel_a, media.url + "/f", message_id="doc-stored")
    download(channel_a.company, stored)
    messages = Message.objects.for_company(channel_a.company)
    messages.filter(pk__in=[lost, failed, stored]).update(created_at=timezone.now() - timedelta(minutes=30))
    messages.filter(pk=failed).update(error="file download failed: over the limit")
    enqueued.calls.clear()

    inbound_sweep_task.apply(throw=True)

    assert enqueued.of("received_file_download_task") == [{"company_id": channel_a.company_id, "message_id": lost}]


def test_an_image_the_customer_sends_reaches_the_bot_and_is_stored_for_the_inbox(
    channel_a, post_webhook, media, enqueued
):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    media.add("GET", "/foto", body=png, headers={"Content-Type": "image/png"})
    answer = post_webhook(
        channel_a, {"from": "5511987654321", "id": "img-1", "kind": "image", "media_url": media.url + "/foto"}
    )
    message_id = answer.applied["results"][0]["message_id"]

    download(channel_a.company, message_id)

    assert answer.applied["results"][0]["result"] == "accepted"  # a Pix receipt: the flow reads it
    (received,) = stored_files(channel_a.company)
    assert (received.message_id, received.content_type, received.original_name) == (message_id, "image/png", "image")


def test_an_image_we_sent_from_our_own_phone_is_not_downloaded(channel_a, post_webhook, enqueued):
    body = {
        "from": "5511987654321",
        "id": "img-2",
        "kind": "image",
        "media_url": "https://example.com/f",
        "from_me": True,
    }

    post_webhook(channel_a, body)

    assert enqueued.of("received_file_download_task") == []
