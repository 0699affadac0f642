"""The LGPD API: owners and managers only, another company's customer is not found, long histories go to a task."""

import io
import json
import zipfile

import pytest
from rest_framework.test import APIClient

from conversations.models import Message
from conversations.tests.factories import ConversationFactory, MessageFactory
from customers.models import Customer
from leads.progress import progress_get, progress_percent
from privacy.models import PrivacyRequest
from privacy.services import PROGRESS_NAMESPACE
from privacy.tasks import privacy_request_task
from tenants.models import Membership
from tenants.services import api_token_issue
from tenants.tests.factories import MembershipFactory, UserFactory

REASON = "Pedido do titular por e-mail"


def client_for(company, role):
    user = MembershipFactory(company=company, user=UserFactory(username=f"{role}-{company.slug}"), role=role).user
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(company=company, user=user)}")
    return client


def person(company, phone="+5511987654321", name="Marisol Bastos") -> Customer:
    """A customer who wrote "oi" once."""
    conversation = ConversationFactory(company=company, customer__phone=phone, customer__name=name)
    MessageFactory(conversation=conversation, text="oi", status="processed")
    return conversation.customer


def zipped_document(response) -> dict:
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        return json.loads(archive.read("dados.json"))


@pytest.mark.parametrize("role", [Membership.Role.OWNER, Membership.Role.MANAGER])
def test_owners_and_managers_get_the_zip_and_the_export_is_recorded(company_a, role):
    customer = person(company_a)

    response = client_for(company_a, role).get(f"/api/customers/{customer.pk}/data-export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="lgpd-{customer.pk}.zip"'
    document = zipped_document(response)
    assert [row["name"] for row in document["rows"]["customers.customer"]] == ["Marisol Bastos"]
    assert [row["text"] for row in document["rows"]["conversations.message"]] == ["oi"]
    record = PrivacyRequest.objects.for_company(company_a).get()
    assert (record.kind, record.status, record.customer_ref) == ("export", "succeeded", customer.pk)
    assert record.requested_by == f"{role}-{company_a.slug}"


@pytest.mark.parametrize("role", [Membership.Role.AGENT, Membership.Role.VIEWER])
def test_agents_and_viewers_are_refused_everything(company_a, role):
    customer = person(company_a)
    client = client_for(company_a, role)

    answers = [
        client.get(f"/api/customers/{customer.pk}/data-export/").status_code,
        client.post(f"/api/customers/{customer.pk}/erase/", {"reason": REASON}, format="json").status_code,
        client.get("/api/privacy-requests/").status_code,
    ]

    assert answers == [403, 403, 403]
    assert Customer.objects.for_company(company_a).filter(pk=customer.pk).exists()
    assert not PrivacyRequest.objects.for_company(company_a).exists()


def test_another_companys_customer_is_not_found_and_stays(company_a, company_b, api_client_a):
    theirs = person(company_b)

    answers = [
        api_client_a.get(f"/api/customers/{theirs.pk}/data-export/").status_code,
        api_client_a.post(f"/api/customers/{theirs.pk}/erase/", {"reason": REASON}, format="json").status_code,
    ]

    assert answers == [404, 404]
    assert Customer.objects.for_company(company_b).filter(pk=theirs.pk).exists()
    assert not PrivacyRequest.objects.unscoped().exists()  # unscoped: nothing recorded in any company


def test_erase_answers_the_record_and_the_customer_is_gone(company_a, api_client_a):
    customer = person(company_a)

    response = api_client_a.post(f"/api/customers/{customer.pk}/erase/", {"reason": REASON}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["status"], body["reason"], body["customer_ref"]) == (
        "erasure",
        "succeeded",
        REASON,
        customer.pk,
    )
    assert body["counts"]["deleted"]["conversations.message"] == 1
    assert not Customer.objects.for_company(company_a).filter(pk=customer.pk).exists()


@pytest.mark.parametrize("reason", ["", "   ", "a pedido de Marisol Bastos", "tel 11 98765-4321", "x" * 501])
def test_a_missing_or_identifying_reason_is_a_400_and_nothing_changes(company_a, api_client_a, reason):
    customer = person(company_a)

    response = api_client_a.post(f"/api/customers/{customer.pk}/erase/", {"reason": reason}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()
    assert Message.objects.for_company(company_a).count() == 1
    assert not PrivacyRequest.objects.for_company(company_a).exists()


@pytest.fixture
def queued(settings, monkeypatch):
    """Every person counts as a long history; the requests enqueued are recorded, not sent."""
    settings.PRIVACY_INLINE_MAX_ROWS = 1
    recorded = []
    monkeypatch.setattr(
        privacy_request_task, "apply_async", lambda args=None, kwargs=None, **o: recorded.append(kwargs)
    )
    return recorded


def test_a_long_history_is_queued_with_progress_and_downloaded_when_done(
    company_a, api_client_a, django_capture_on_commit_callbacks, queued
):
    customer = person(company_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_a.get(f"/api/customers/{customer.pk}/data-export/")

    assert response.status_code == 202
    request_id = response.json()["id"]
    assert (response.json()["status"], queued) == ("queued", [{"company_id": company_a.pk, "request_id": request_id}])
    assert api_client_a.get(f"/api/privacy-requests/{request_id}/download/").status_code == 404  # not yet
    privacy_request_task.apply(kwargs=queued[0], throw=True)
    progress = progress_get(request_id, namespace=PROGRESS_NAMESPACE)
    assert progress["conversations.message"] == {"done": 1, "total": 1}
    assert progress_percent(request_id, namespace=PROGRESS_NAMESPACE) == 100
    listed = api_client_a.get("/api/privacy-requests/").json()["results"]
    assert [(r["id"], r["status"]) for r in listed] == [(request_id, "succeeded")]
    assert listed[0]["counts"]["conversations.message"] == 1
    download = api_client_a.get(f"/api/privacy-requests/{request_id}/download/")
    assert download.status_code == 200
    assert zipped_document(download)["customer_id"] == customer.pk


def test_a_long_erasure_is_queued_and_the_task_erases(
    company_a, api_client_a, django_capture_on_commit_callbacks, queued
):
    customer = person(company_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_a.post(f"/api/customers/{customer.pk}/erase/", {"reason": REASON}, format="json")

    assert (response.status_code, response.json()["status"]) == (202, "queued")
    assert Customer.objects.for_company(company_a).filter(pk=customer.pk).exists()
    privacy_request_task.apply(kwargs=queued[0], throw=True)
    privacy_request_task.apply(kwargs=queued[0], throw=True)  # delivered twice: the second run does nothing
    assert not Customer.objects.for_company(company_a).filter(pk=customer.pk).exists()
    record = PrivacyRequest.objects.for_company(company_a).get()
    assert (record.status, record.counts["deleted"]["customers.customer"]) == ("succeeded", 1)


def test_an_export_no_longer_kept_is_not_found(company_a, api_client_a):
    customer = person(company_a)
    api_client_a.get(f"/api/customers/{customer.pk}/data-export/")
    record = PrivacyRequest.objects.for_company(company_a).get()
    record.file.storage.delete(record.file.name)  # gone from storage, the row still naming it

    assert api_client_a.get(f"/api/privacy-requests/{record.pk}/download/").status_code == 404
