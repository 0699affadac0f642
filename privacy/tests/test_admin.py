"""LGPD in the admin: buttons and actions for owners and managers, a confirmation listing what an erasure does."""

import io
import json
import zipfile

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import translation

from customers.models import Customer
from orders.models import Order
from privacy.models import PrivacyRequest
from privacy.tests.test_api import person
from tenants.models import Membership
from tenants.tests.factories import MembershipFactory, UserFactory

REASON = "Pedido do titular por e-mail"
CHANGELIST = reverse("admin:customers_customer_changelist")


def logged_in(client, company, role):
    user = MembershipFactory(company=company, user=UserFactory(username=f"{role}-{company.slug}"), role=role).user
    client.force_login(user)
    return client


def urls(customer):
    return {
        "change": reverse("admin:customers_customer_change", args=[customer.pk]),
        "export": reverse("admin:customers_customer_privacy_export", args=[customer.pk]),
        "erase": reverse("admin:customers_customer_privacy_erase", args=[customer.pk]),
    }


def test_the_customer_page_shows_the_lgpd_buttons_in_portuguese(client, company_a):
    customer = person(company_a)
    logged_in(client, company_a, Membership.Role.MANAGER)

    with translation.override("pt-br"):
        page = client.get(urls(customer)["change"], HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()

    assert "Exportar dados (LGPD)" in page and "Apagar dados (LGPD)" in page
    assert urls(customer)["export"] in page and urls(customer)["erase"] in page


@pytest.mark.parametrize("role", [Membership.Role.AGENT, Membership.Role.VIEWER])
def test_agents_and_viewers_get_no_buttons_no_actions_and_no_pages(client, company_a, role):
    customer = person(company_a)
    logged_in(client, company_a, role)

    page = client.get(urls(customer)["change"]).content.decode()
    actions = client.get(CHANGELIST).context["action_form"].fields["action"].choices
    answers = [
        client.get(urls(customer)["export"]).status_code,
        client.post(urls(customer)["export"]).status_code,
        client.get(urls(customer)["erase"]).status_code,
        client.post(urls(customer)["erase"], {"reason": REASON}).status_code,
        client.get(reverse("admin:privacy_privacyrequest_changelist")).status_code,
    ]
    client.post(
        CHANGELIST, {"action": "privacy_erase", ACTION_CHECKBOX_NAME: [customer.pk], "confirm": "yes", "reason": REASON}
    )

    assert urls(customer)["erase"] not in page
    assert not {"privacy_export", "privacy_erase"} & {name for name, _ in actions}
    assert answers == [403, 403, 403, 403, 403]
    assert Customer.objects.for_company(company_a).filter(pk=customer.pk).exists()
    assert not PrivacyRequest.objects.for_company(company_a).exists()


def test_the_erasure_confirmation_lists_what_will_happen_and_erases_on_confirm(client, company_a, english):
    customer = person(company_a)
    Order.objects.for_company(company_a).create(company=company_a, customer=customer, total=10, address="Rua X, 1")
    logged_in(client, company_a, Membership.Role.OWNER)

    confirmation = client.get(urls(customer)["erase"]).content.decode()
    refused = client.post(urls(customer)["erase"], {"reason": "pedido de Marisol Bastos"})
    done = client.post(urls(customer)["erase"], {"reason": REASON})

    assert "This cannot be undone." in confirmation
    for line in (
        "Customers: 1 — deleted",
        "Messages: 1 — deleted",
        "Conversations: 1 — deleted",
        "Orders: 1 — kept, anonymised",
    ):
        assert line in confirmation, line
    assert refused.status_code == 200 and "must not contain the person" in refused.content.decode()
    record = PrivacyRequest.objects.for_company(company_a).get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "admin:privacy_privacyrequest_change", args=[record.pk]
    )
    assert (record.kind, record.status, record.reason) == ("erasure", "succeeded", REASON)
    assert not Customer.objects.for_company(company_a).filter(pk=customer.pk).exists()
    assert Order.objects.for_company(company_a).get().address == ""


def test_export_button_confirms_then_records_and_the_zip_is_downloaded(client, company_a):
    customer = person(company_a)
    logged_in(client, company_a, Membership.Role.MANAGER)

    assert client.get(urls(customer)["export"]).status_code == 200
    done = client.post(urls(customer)["export"])

    record = PrivacyRequest.objects.for_company(company_a).get()
    request_page = client.get(done["Location"]).content.decode()
    download = client.get(reverse("admin:privacy_privacyrequest_download", args=[record.pk]))
    progress = client.get(reverse("admin:privacy_privacyrequest_progress", args=[record.pk])).json()
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        document = json.loads(archive.read("dados.json"))
    assert reverse("admin:privacy_privacyrequest_download", args=[record.pk]) in request_page
    assert document["rows"]["customers.customer"][0]["id"] == customer.pk
    assert (progress["status"], progress["percent"]) == ("succeeded", 100)


def test_the_actions_export_several_and_erase_after_confirmation(client, company_a):
    first, second = person(company_a), person(company_a, phone="+5511912345678", name="Beto")
    logged_in(client, company_a, Membership.Role.MANAGER)
    selected = {ACTION_CHECKBOX_NAME: [first.pk, second.pk]}

    exported = client.post(CHANGELIST, {"action": "privacy_export", **selected})
    asked = client.post(CHANGELIST, {"action": "privacy_erase", **selected})
    erased = client.post(CHANGELIST, {"action": "privacy_erase", **selected, "confirm": "yes", "reason": REASON})

    assert exported["Location"] == reverse("admin:privacy_privacyrequest_changelist")
    assert asked.status_code == 200 and 'name="confirm"' in asked.content.decode()
    assert erased.status_code == 302
    kinds = sorted(PrivacyRequest.objects.for_company(company_a).values_list("kind", "customer_ref"))
    assert kinds == sorted([("export", first.pk), ("export", second.pk), ("erasure", first.pk), ("erasure", second.pk)])
    assert not Customer.objects.for_company(company_a).exists()


def test_another_companys_customer_is_not_found(client, company_a, company_b):
    theirs = person(company_b)
    logged_in(client, company_a, Membership.Role.MANAGER)

    answers = [
        client.get(urls(theirs)["erase"]).status_code,
        client.post(urls(theirs)["erase"], {"reason": REASON}).status_code,
    ]

    assert answers == [404, 404]
    assert Customer.objects.for_company(company_b).filter(pk=theirs.pk).exists()


def test_a_running_request_shows_its_live_progress(client, company_a):
    running = PrivacyRequest.objects.for_company(company_a).create(
        company=company_a, kind="erasure", status="running", customer_ref=1, requested_by="x"
    )
    logged_in(client, company_a, Membership.Role.MANAGER)

    page = client.get(reverse("admin:privacy_privacyrequest_change", args=[running.pk])).content.decode()

    assert f'data-url="{reverse("admin:privacy_privacyrequest_progress", args=[running.pk])}"' in page
    assert "balcao/import_progress" in page
