"""Finding a person by any phone form or e-mail, and the raw events that name them (and no one else)."""

import pytest

from conversations.models import Channel, InboundEvent
from customers.models import Customer
from leads.models import Lead
from privacy.selectors import inbound_events_of, leads_of, person_find, person_identities


@pytest.fixture
def marisol(company_a):
    return Customer.objects.for_company(company_a).create(
        company=company_a,
        phone="+5511987654321",
        email="marisol@example.com",
        provider_contact_ids={"uazapi": "5511987654321@s.whatsapp.net", "gosac": "4711", "meta": "ABCDEF123456@lid"},
    )


@pytest.mark.parametrize(
    "typed", ["+55 11 98765-4321", "(11) 98765-4321", "11 8765-4321", "551187654321", "5511987654321@s.whatsapp.net"]
)
def test_any_form_of_the_phone_finds_the_person(marisol, company_a, typed):
    assert person_find(company=company_a, phone=typed) == marisol


def test_the_email_finds_the_person_whatever_its_case(marisol, company_a):
    assert person_find(company=company_a, email=" Marisol@Example.COM ") == marisol


def test_a_lead_leads_to_its_customer(marisol, company_a):
    Lead.objects.for_company(company_a).create(
        company=company_a, external_id="1", customer=marisol, phone="+5521988887777", email="outro@example.com"
    )

    assert person_find(company=company_a, phone="21 98888-7777") == marisol
    assert person_find(company=company_a, email="outro@example.com") == marisol


@pytest.mark.parametrize(("phone", "email"), [("11 91111-2222", ""), ("123", ""), ("", "nobody@example.com"), ("", "")])
def test_nobody_is_none(marisol, company_a, phone, email):
    assert person_find(company=company_a, phone=phone, email=email) is None


def test_another_company_with_the_same_phone_is_not_found(marisol, company_b):
    assert person_find(company=company_b, phone="11987654321") is None


def test_raw_events_naming_the_person_as_a_whole_word(marisol, company_a):
    channel = Channel.objects.for_company(company_a).create(company=company_a, name="c")

    def event(body):
        return InboundEvent.objects.for_company(company_a).create(company=company_a, channel=channel, body=body).pk

    hers = [
        event('{"from": "5511987654321"}'),
        event('{"key": {"remoteJid": "551187654321@s.whatsapp.net"}}'),  # the old id, without the ninth digit
        event('{"wa_id": "ABCDEF123456@lid"}'),
        event('{"text": "me liga no 11987654321"}'),
    ]
    others = [
        event('{"from": "55119876543210"}'),  # a longer number that contains hers
        event('{"from": "5511912345678", "contactId": 4711}'),  # GOSAC's short id means nothing on its own
        event('{"from": "5511912345678", "ticketId": "ABCDEF1234567"}'),
    ]

    found = set(
        inbound_events_of(company=company_a, identities=person_identities(marisol)).values_list("pk", flat=True)
    )

    assert found == set(hers)
    assert not found & set(others)


def test_leads_with_one_of_her_identities_and_no_customer_are_hers(marisol, company_a, company_b):
    def lead(company, external_id, **fields):
        return Lead.objects.for_company(company).create(company=company, external_id=external_id, **fields).pk

    hers = [
        lead(company_a, "1", customer=marisol),
        lead(company_a, "2", phone="+551187654321"),  # stored without the ninth digit
        lead(company_a, "3", email="MARISOL@example.com"),
    ]
    lead(company_a, "4", phone="+5511912345678")
    lead(company_b, "5", phone="+5511987654321")

    found = leads_of(company=company_a, customer=marisol, identities=person_identities(marisol))

    assert sorted(found.values_list("pk", flat=True)) == sorted(hers)
