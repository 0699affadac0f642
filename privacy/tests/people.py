"""A person with rows in every app, built through the real pipeline where there is one.

Marisol writes to company A's console channel (raw events, conversation, messages, flow position and
variables), orders through the "Pedidos" flow (bot cart, order, static Pix payment), sends a
document (downloaded from a fake server into storage), and the company imports her Form Vibes
lead, her abandoned CartFlows cart and a WooCommerce order from a MariaDB built with the real
plugin tables. Beto, in the same company, writes and orders too; company B has a customer with
Marisol's very phone. Nothing of theirs may leave with Marisol's data, or go with her erasure.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.urls import reverse

from catalog import demo as catalog_demo
from conversations.models import Channel, Message
from conversations.tasks import received_file_download_task
from customers.models import Customer
from flows.services import flow_template_import
from integrations.testing.fake_server import FakeServer
from integrations.wordpress.tests.builders import (
    WordPressSite,
    add_cart,
    add_classic_order,
    add_form_entry,
    add_shoe_store_products,
    cart_contents,
    other_fields,
)
from leads.models import ImportRun
from leads.services.imports import import_run_create, import_run_execute
from leads.tests.woo_site import configure_source
from orders.demo import ordering_document
from orders.models import Order
from tenants.models import CompanySetting
from tenants.scoping import company_scope
from tenants.services import company_setting_set
from tests.test_end_to_end_order import Worker

PREFIX = "cli_"
MAPPING = {"fv_field_nome": "Nome_3", "fv_field_whatsapp": "Whatsapp_8", "fv_field_tamanho": "Numero_do_sapato_9"}
MARCH = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))

PHONE = "5511987654321"  # as WhatsApp sends it
LEGACY_ID = "551187654321"  # the same number as an account registered before the ninth digit
NAME = "Marisol Quitéria Bastos"
EMAIL = "marisol.bastos@example.com"
# Every form of her number a source wrote: WhatsApp's ids (with and without the ninth digit), her own
# typing in a message, the store's form (the old 8-digit mobile), and the national digits.
PHONE_VARIANTS = (PHONE, LEGACY_ID, "11987654321", "1187654321", "(11) 98765-4321", "(11) 8765-4321")
GREETING = "oi, aqui é a Marisol, tudo bem?"
ADDRESS = "Rua das Hortênsias, 742 apto 31, tel (11) 98765-4321"
DOCUMENT = b"%PDF-1.4\nRG de Marisol Quiteria Bastos, numero 44.123.987-X\n%%EOF\n"
ERP_ERROR = f"Tiny: cliente {NAME} sem CPF"
# What must not survive her erasure anywhere in the database or the media directory.
NEEDLES = (*PHONE_VARIANTS, NAME, "Marisol", "Bastos", EMAIL, GREETING, ADDRESS, "Hortênsias", "44.123.987-X")

BETO_PHONE = "5511912345678"
BETO_NAME = "Beto Quintanilha"
COMPANY_B_NAME = "Cliente da Loja B"
COMPANY_B_TEXT = "mensagem da loja B para o mesmo numero"


@dataclass
class Person:
    customer: Customer
    event_ids: list[int] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)


@dataclass
class World:
    marisol: Person
    beto: Person
    other_company_customer: Customer
    chat: "Chat"
    store: WordPressSite


def prepare_company(company) -> None:
    """The demo catalog, the ordering flow, a static Pix key; messages processed at once."""
    company.message_debounce_seconds = 0
    company.save(update_fields=["message_debounce_seconds"])
    catalog_demo.load(company)
    with company_scope(company):
        flow_template_import(document=ordering_document())
    text = CompanySetting.ValueType.STRING
    company_setting_set(company=company, key="pix_key", value="123e4567-e89b-12d3-a456-426614174000", value_type=text)
    company_setting_set(company=company, key="pix_merchant_name", value="PIZZARIA A", value_type=text)


class Chat:
    """Posts console-provider webhook bodies, as the provider would, and lets the worker run."""

    def __init__(self, client, capture, worker: Worker, channel: Channel):
        self.client, self.capture, self.worker, self.channel = client, capture, worker, channel
        self.counter = 0

    def say(self, person: Person | None, sender: str, text: str = "", **extra) -> dict:
        self.counter += 1
        body = {"from": sender, "text": text, "id": f"wamid-{self.channel.pk}-{self.counter}", **extra}
        with self.capture(execute=True):
            answer = self.client.post(
                reverse("webhook", args=[self.channel.inbound_key]),
                data=json.dumps(body),
                content_type="application/json",
            )
        assert answer.status_code == 200, answer.content
        result = answer.json()
        self.worker.drain()  # the worker applies the stored event, then answers
        if person is not None:
            person.event_ids.append(result["event_id"])
            with company_scope(self.channel.company_id):
                person.message_ids += Message.objects.filter(
                    channel=self.channel, direction="in", provider_message_id=body["id"]
                ).values_list("pk", flat=True)
        return result


def build_world(*, client, monkeypatch, capture, company_a, company_b, store: WordPressSite) -> World:
    other = _company_b_customer(client, monkeypatch, capture, company_b)  # first: A's worker is the one left running
    prepare_company(company_a)
    worker = Worker(monkeypatch, capture, company_a)
    monkeypatch.setattr(received_file_download_task, "apply_async", worker._recorder(received_file_download_task))
    with company_scope(company_a):
        channel = Channel.objects.create(company=company_a, provider="console", name="loja", status="connected")
    chat = Chat(client, capture, worker, channel)
    marisol = Person(customer=None)
    chat.say(marisol, PHONE, GREETING, name=NAME)
    for text in ("2x calabresa e 1 coca", "1", ADDRESS, "pix", "sim"):
        chat.say(marisol, PHONE, text)
    with FakeServer() as media:
        media.add("GET", "/files/rg", body=DOCUMENT, headers={"Content-Type": "application/pdf"})
        chat.say(  # from her old WhatsApp id: the same person
            marisol,
            LEGACY_ID,
            kind="document",
            media_url=f"{media.url}/files/rg",
            file_name="rg-marisol.pdf",
            mime="application/pdf",
        )
    beto = Person(customer=None)
    chat.say(beto, BETO_PHONE, "oi", name=BETO_NAME)
    for text in ("1x margherita", "2", "Avenida Beto, 10", "dinheiro", "sim"):
        chat.say(beto, BETO_PHONE, text)
    with company_scope(company_a):
        marisol.customer = Customer.objects.get(phone=f"+{PHONE}")
        beto.customer = Customer.objects.get(phone=f"+{BETO_PHONE}")
        Order.objects.filter(customer=marisol.customer).update(erp_provider="tiny", erp_error=ERP_ERROR, erp_attempts=1)
    fill_the_store(store)
    store_import(company_a, store)
    marisol.customer.refresh_from_db()
    return World(marisol=marisol, beto=beto, other_company_customer=other, chat=chat, store=store)


def fill_the_store(site: WordPressSite) -> None:
    """Her Form Vibes lead (the old 8-digit mobile), abandoned cart and WooCommerce order."""
    add_shoe_store_products(site)
    add_form_entry(
        site,
        {"Nome_3": "Marisol Bastos", "Whatsapp_8": "(11) 8765-4321", "Numero_do_sapato_9": "37", "E-mail_4": EMAIL},
        captured_gmt="2024-03-05 13:30:00",
        captured="2024-03-05 10:30:00",
    )
    add_cart(
        site,
        session_id="marisol-cart",
        time_local="2024-03-10 22:30:00",
        contents=cart_contents([(16, 0, {}, 2, 59.8, "WC_Product_Simple")]),
        fields=other_fields("Marisol", "Bastos", "(11) 98765-4321"),
        total="59.80",
        email=EMAIL,
    )
    add_classic_order(
        site,
        {
            "id": 5001,
            "created_gmt": "2024-03-12 15:00:00",
            "created_local": "2024-03-12 12:00:00",
            "status": "wc-completed",
            "user_id": 0,
            "first_name": "Marisol",
            "last_name": "Bastos",
            "email": EMAIL,
            "phone": "11987654321",
            "total": "59.80",
            "items": [("Chinelo Básico", 16, 0, 2, "59.80")],
        },
    )


def store_import(company, site: WordPressSite) -> None:
    """Carts, orders and leads of March 2024, as the admin or the daily beat import would."""
    configure_source(company, site.source, **MAPPING)
    for kind in (ImportRun.Kind.ALL, ImportRun.Kind.LEADS):
        run = import_run_execute(run=import_run_create(company=company, kind=kind, start=MARCH[0], end=MARCH[1]))
        assert run.status == ImportRun.Status.SUCCEEDED, run.error


def _company_b_customer(client, monkeypatch, capture, company_b) -> Customer:
    """Company B hears from the very same number: its customer is not company A's Marisol."""
    company_b.message_debounce_seconds = 0
    company_b.save(update_fields=["message_debounce_seconds"])
    worker = Worker(monkeypatch, capture, company_b)
    with company_scope(company_b):
        channel = Channel.objects.create(company=company_b, provider="console", name="loja-b", status="connected")
    Chat(client, capture, worker, channel).say(None, PHONE, COMPANY_B_TEXT, name=COMPANY_B_NAME)
    with company_scope(company_b):
        return Customer.objects.get(phone=f"+{PHONE}")
