"""Every provider's real sample payloads through `POST /webhook/<key>/`: exactly these rows and answers."""

import hashlib
import hmac
import json

import pytest

from conversations.models import Channel, ChannelStatusChange, Conversation, InboundEvent, Message
from conversations.services import reply_target
from conversations.tests.conftest import make_channel
from conversations.tests.factories import ConversationFactory, MessageFactory
from customers.models import Customer
from integrations.messaging.tests.support import FIXTURES, raw
from tenants.scoping import company_scope

META_CREDENTIALS = {"token": "t", "phone_number_id": "1122334455667", "app_secret": "s3cret", "verify_token": "vt"}
CREDENTIALS = {
    "gosac": {"token": "t", "integration": "i"},
    "uazapi": {"token": "xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"},  # the instance token every UAZAPI body carries
    "evolution": {"api_key": "k"},
    "meta_cloud": META_CREDENTIALS,
    "console": {},
}


def meta_signature(body: bytes, secret: str = "s3cret") -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def snapshot(company, channel, response, enqueued) -> dict:
    """Everything one delivery may write or answer, in comparable form."""
    with company_scope(company):
        channel.refresh_from_db()
        answer = response.applied or response.json()
        return {
            "http": response.status_code,
            "answer": answer["status"],
            "results": [{k: v for k, v in r.items() if k != "message_id"} for r in answer.get("results", [])],
            "event": list(InboundEvent.objects.values_list("status", "reason")),
            "messages": [
                (m.direction, m.kind, m.text, m.status, m.reason, m.provider_message_id, m.media_url, m.file_name)
                for m in Message.objects.filter(direction="in").order_by("id")
            ],
            "customers": [(c.phone, c.name, c.provider_contact_ids) for c in Customer.objects.order_by("id")],
            "conversations": list(Conversation.objects.values_list("status", "bot_paused")),
            "outbound": list(
                Message.objects.filter(direction="out")
                .order_by("id")
                .values_list("provider_message_id", "status", "error")
            ),
            "channel": (channel.status, channel.phone, channel.qr_code[:40]),
            "history": list(
                ChannelStatusChange.objects.order_by("id").values_list("from_status", "to_status", "reason")
            ),
            "runs": len(enqueued.of("conversation_process_task")),
            "downloads": len(enqueued.of("received_file_download_task")),
        }


RECEIPT_IDS = {
    ("meta_cloud", "status_sent"): ["wamid.xyzxyz"],
    ("meta_cloud", "status_read"): ["wamid.xyzxyz"],
    ("meta_cloud", "status_failed"): ["wamid.xyzxyz"],
    ("uazapi", "receipt_read"): ["3EB038719B72377701266F", "3EB0538DA65A59F6D8A251"],
    ("evolution", "messages_update_read"): ["BAE594145F4C59B4"],
}


def outbound_sent(company, channel, provider_ids):
    """Messages we sent earlier (status `sent`) whose receipts the fixture carries."""
    conversation = ConversationFactory(
        company=company, channel=channel, customer__phone="+5511912345678", customer__name="Outro"
    )
    for provider_id in provider_ids:
        MessageFactory(
            conversation=conversation, direction="out", text="oi", status="sent", provider_message_id=provider_id
        )


def deliver_fixture(company, other_company, post_webhook, enqueued, provider, fixture):
    channel = make_channel(
        company,
        provider=provider,
        credentials=CREDENTIALS[provider],
        base_url="https://provider.example.com",
        status=Channel.Status.CONNECTING,
    )
    other = make_channel(other_company, provider=provider, credentials=CREDENTIALS[provider], name="b")
    receipts = RECEIPT_IDS.get((provider, fixture), [])
    if receipts:
        outbound_sent(company, channel, receipts)
        outbound_sent(other_company, other, receipts)  # the same provider ids in another company
    body = raw(provider, fixture)
    headers = {"HTTP_X_HUB_SIGNATURE_256": meta_signature(body)} if provider == "meta_cloud" else {}
    response = post_webhook(channel, body, **headers)
    with company_scope(other_company):
        untouched = set(Message.objects.values_list("status", flat=True))
        assert untouched <= {"sent"}, untouched
        assert not InboundEvent.objects.exists()
    return snapshot(company, channel, response, enqueued)


MARIA = ("+5511987654321", "Maria Souza")
NOTHING = {
    "http": 200,
    "messages": [],
    "customers": [],
    "conversations": [],
    "outbound": [],
    "channel": ("connecting", "", ""),
    "history": [],
    "runs": 0,
    "downloads": 0,
}
MESSAGE = {"conversations": [("active", False)]}  # a message makes one conversation, bot not paused
ACCEPTED = {"answer": "accepted", "results": [{"event": "message", "result": "accepted", "reason": ""}]}
TICKET_UNCHANGED = {"event": "ticket", "result": "unchanged", "reason": ""}
# An image (a Pix receipt, say) reaches the flow, and is stored: staff see it in the inbox.
ANSWERED_FILE = {**ACCEPTED, "event": [("processed", "")], "runs": 1, "downloads": 1}


def ignored(reason: str) -> dict:
    return {
        "answer": "ignored",
        "results": [{"event": "message", "result": "ignored", "reason": reason}],
        "event": [("ignored", reason)],
    }


def receipts(*outbound, applied=True) -> dict:
    result = {"event": "status", "result": "applied" if applied else "ignored", "reason": "" if applied else "stale"}
    return {
        "answer": "accepted" if applied else "ignored",
        "results": [result] * len(outbound),
        "event": [("processed", "")] if applied else [("ignored", "stale")],
        "customers": [("+5511912345678", "Outro", {})],
        "conversations": [("active", False)],
        "outbound": list(outbound),
    }


def connection(status: str, *, phone="", qr="", history=()) -> dict:
    return {
        "answer": "accepted",
        "results": [{"event": "connection", "result": "applied", "status": status}],
        "event": [("processed", "")],
        "channel": (status, phone, qr),
        "history": list(history),
    }


def as_text_message(text: str, provider_id: str, contact_ids: dict, customer=MARIA) -> dict:
    return {
        **MESSAGE,
        **ACCEPTED,
        "event": [("processed", "")],
        "messages": [("in", "text", text, "received", "", provider_id, "", "")],
        "customers": [(*customer, contact_ids)],
        "runs": 1,
    }


def meta_text(text: str, provider_id: str) -> dict:
    return as_text_message(text, provider_id, {"meta_cloud": "972987654321"}, customer=("", "Test Name"))


GOSAC_MEDIA = "https://tenant.gosac.example/public/"
WA_MEDIA = "https://mmg.whatsapp.net/"
QR_PNG = "data:image/png;base64,iVBORw0KGgoAAAANSU"
EXPECTED = {
    # GOSAC: the ticket's state comes with every message; "pending, nobody took it" changes nothing.
    ("gosac", "text"): {
        **MESSAGE,
        "answer": "accepted",
        "results": [ACCEPTED["results"][0], TICKET_UNCHANGED],
        "event": [("processed", "")],
        "messages": [("in", "text", "Oi, quero saber do meu pedido", "received", "", "", "", "")],
        "customers": [(*MARIA, {"gosac": "24914"})],
        "runs": 1,
    },
    ("gosac", "document"): {
        **MESSAGE,
        "answer": "accepted",
        "results": [ACCEPTED["results"][0], TICKET_UNCHANGED],
        "event": [("processed", "")],
        "messages": [
            (
                "in",
                "document",
                "comprovante.pdf",
                "received",
                "",
                "",
                GOSAC_MEDIA + "1718200000000-comprovante.pdf",
                "1718200000000-comprovante.pdf",
            )
        ],
        "customers": [(*MARIA, {"gosac": "24914"})],
        "runs": 1,
        "downloads": 1,
    },
    ("gosac", "image"): {
        **MESSAGE,
        **ANSWERED_FILE,
        "results": [ACCEPTED["results"][0], TICKET_UNCHANGED],
        "messages": [
            (
                "in",
                "image",
                "",
                "received",
                "",
                "",
                GOSAC_MEDIA + "1718200000100-foto.jpeg",
                "1718200000100-foto.jpeg",
            )
        ],
        "customers": [(*MARIA, {"gosac": "24914"})],
    },
    ("gosac", "from_me"): {
        **MESSAGE,
        **ignored("from_me"),
        "results": [{"event": "message", "result": "ignored", "reason": "from_me"}, TICKET_UNCHANGED],
        "messages": [("in", "text", "Olá! Como posso ajudar?", "ignored", "from_me", "", "", "")],
        "customers": [("+5511987654321", "", {"gosac": "24914"})],  # the chat's customer; our name is not hers
    },
    ("gosac", "group"): {
        **MESSAGE,
        **ignored("group"),
        "results": [{"event": "message", "result": "ignored", "reason": "group"}, TICKET_UNCHANGED],
        "messages": [("in", "text", "bom dia", "ignored", "group", "", "", "")],
        "customers": [("", "", {"gosac": "30511"})],  # the group is its own phone-less contact
    },
    ("gosac", "ticket_taken"): {
        # Written while an agent holds the ticket: the agent's to answer, even if the ticket closes
        # before the debounce would have run the bot.
        "answer": "accepted",
        "results": [
            {"event": "message", "result": "ignored", "reason": "handoff"},
            {"event": "ticket", "result": "applied", "reason": ""},
        ],
        "event": [("processed", "handoff")],
        "messages": [("in", "text", "ainda estou esperando", "ignored", "handoff", "", "", "")],
        "customers": [(*MARIA, {"gosac": "24914"})],
        "conversations": [("handoff", True)],  # an agent took the ticket: the bot pauses there
    },
    # UAZAPI: captured events; the chat JID is the reply target, sender_pn the phone.
    ("uazapi", "text"): {
        **MESSAGE,
        **ACCEPTED,
        "event": [("processed", "")],
        "messages": [("in", "text", "Oi", "received", "", "AC98212CD4909DE6799E78D93A824A3F", "", "")],
        "customers": [(*MARIA, {"uazapi": "5511987654321@s.whatsapp.net"})],
        "runs": 1,
    },
    # An edit of a message we never received: nothing to update, nothing answered.
    ("uazapi", "edited"): {
        "answer": "ignored",
        "results": [{"event": "edit", "result": "ignored", "reason": "edit of an unknown message"}],
        "event": [("ignored", "edit of an unknown message")],
    },
    ("uazapi", "document"): {
        **MESSAGE,
        **ACCEPTED,
        "event": [("processed", "")],
        "messages": [
            (
                "in",
                "document",
                "",
                "received",
                "",
                "AC32D9B3800862E9428A9B580162D209",
                WA_MEDIA,
                "Catálogo Fittivirtual PDF.pdf",
            )
        ],
        "customers": [(*MARIA, {"uazapi": "5511987654321@s.whatsapp.net"})],
        "runs": 1,
        "downloads": 1,
    },
    ("uazapi", "image"): {
        **MESSAGE,
        **ANSWERED_FILE,
        "messages": [("in", "image", "", "received", "", "AC0C273EABCDC416379E99BE2A3CA149", WA_MEDIA, "")],
        "customers": [(*MARIA, {"uazapi": "5511987654321@s.whatsapp.net"})],
    },
    ("uazapi", "from_me"): {
        **MESSAGE,
        **ignored("from_me"),
        "messages": [("in", "text", "Oi", "ignored", "from_me", "AC0E8207D54F74D79D765DDF3055B436", "", "")],
        # sender_pn is the shop's own number here: the customer is the chat, not the shop.
        "customers": [("+5511987654321", "", {"uazapi": "5511987654321@s.whatsapp.net"})],
    },
    ("uazapi", "group"): {
        **MESSAGE,
        **ignored("group"),
        "messages": [("in", "text", "Teste", "ignored", "group", "AC399F128CAF89629C0DFC9FFF373BB2", "", "")],
        "customers": [("", "", {"uazapi": "120363324913602723@g.us"})],
    },
    ("uazapi", "receipt_read"): receipts(
        ("3EB038719B72377701266F", "read", ""), ("3EB0538DA65A59F6D8A251", "read", "")
    ),
    ("uazapi", "connection_connected"): connection(
        "connected", phone="+5511999990000", history=[("connecting", "connected", "webhook")]
    ),
    ("uazapi", "connection_connecting"): connection("connecting", qr=QR_PNG),
    ("uazapi", "connection_disconnected"): connection(
        "disconnected", history=[("connecting", "disconnected", "401: logged out from another device")]
    ),
    # What a flow reads as text: a shared location, a contact, the chosen row of a list, a poll vote.
    ("uazapi", "location"): as_text_message(
        "📍 -8.034260, -34.892138", "ACCECB178B8035C63830B0144F315C2C", {"uazapi": "5511987654321@s.whatsapp.net"}
    ),
    ("uazapi", "contact"): as_text_message(
        "👤 Andrei +55 11 91234-5678", "AC5E658A64C1D3F7A27C357CFBDA127F", {"uazapi": "5511987654321@s.whatsapp.net"}
    ),
    ("uazapi", "list_reply"): as_text_message(
        "Fones", "AC733E28316A85E2435B1A9D4B6C39F7", {"uazapi": "5511987654321@s.whatsapp.net"}
    ),
    ("uazapi", "poll_vote"): as_text_message(
        "Calabresa", "ACC2E1687087EFEA7D84BFB649D7B66C", {"uazapi": "5511987654321@s.whatsapp.net"}
    ),
    # Evolution API: shapes built from its source (see fixtures/SOURCES.md).
    ("evolution", "text"): {
        **MESSAGE,
        **ACCEPTED,
        "event": [("processed", "")],
        "messages": [("in", "text", "Oi, quero finalizar meu pedido", "received", "", "3EB0C767D097B7C7C030", "", "")],
        "customers": [("+5511987654321", "Maria", {"evolution": "5511987654321@s.whatsapp.net"})],
        "runs": 1,
    },
    ("evolution", "document"): {
        **MESSAGE,
        **ACCEPTED,
        "event": [("processed", "")],
        "messages": [
            (
                "in",
                "document",
                "segue o comprovante",
                "received",
                "",
                "3EB0A1B2C3D4E5F60718",
                WA_MEDIA,
                "comprovante.pdf",
            )
        ],
        "customers": [("+5511987654321", "Maria", {"evolution": "5511987654321@s.whatsapp.net"})],
        "runs": 1,
        "downloads": 1,
    },
    ("evolution", "image"): {
        **MESSAGE,
        **ANSWERED_FILE,
        "messages": [("in", "image", "essa aqui", "received", "", "3EB0FFEE0011223344AA", WA_MEDIA, "")],
        "customers": [("+5511987654321", "Maria", {"evolution": "5511987654321@s.whatsapp.net"})],
    },
    ("evolution", "location"): as_text_message(
        "📍 Casa, Rua Augusta, 500 - São Paulo (-23.550520, -46.633309)",
        "3EB0AA11BB22CC33DD44",
        {"evolution": "5511987654321@s.whatsapp.net"},
        customer=("+5511987654321", "Maria"),
    ),
    ("evolution", "from_me"): {
        **MESSAGE,
        **ignored("from_me"),
        "messages": [("in", "text", "Olá!", "ignored", "from_me", "BAE594145F4C59B4", "", "")],
        "customers": [("+5511987654321", "", {"evolution": "5511987654321@s.whatsapp.net"})],
    },
    ("evolution", "group"): {
        **MESSAGE,
        **ignored("group"),
        "messages": [("in", "text", "bom dia grupo", "ignored", "group", "3EB0123456789ABCDEF0", "", "")],
        "customers": [("", "", {"evolution": "120363324913602723@g.us"})],
    },
    ("evolution", "messages_update_read"): receipts(("BAE594145F4C59B4", "read", "")),
    ("evolution", "connection_open"): connection(
        "connected", phone="+5511999990000", history=[("connecting", "connected", "webhook")]
    ),
    ("evolution", "connection_close"): connection("disconnected", history=[("connecting", "disconnected", "401")]),
    ("evolution", "qrcode_updated"): connection("connecting", qr=QR_PNG),
    # Meta Cloud API (pywa's captured data). The wa_id 972987654321 is not a valid number: no phone.
    ("meta_cloud", "text"): {
        **MESSAGE,
        **ACCEPTED,
        "event": [("processed", "")],
        "messages": [("in", "text", "Body Text", "received", "", "wamid.xyzxyz", "", "")],
        "customers": [("", "Test Name", {"meta_cloud": "972987654321"})],
        "runs": 1,
    },
    ("meta_cloud", "location"): meta_text(
        "📍 Pizzaria Demo, Av. Paulista, 1000, São Paulo (-23.561414, -46.655881)", "wamid.location"
    ),
    ("meta_cloud", "contacts"): meta_text("👤 João Silva +55 11 91234-5678", "wamid.contacts"),
    # A catalog cart: one "quantity x retailer id" line per item (carts.catalog_order reads them), then the note.
    ("meta_cloud", "order"): {
        **meta_text("2x calabresa\n1x refri-2l\nsem cebola, por favor", "wamid.order"),
        "messages": [
            ("in", "order", "2x calabresa\n1x refri-2l\nsem cebola, por favor", "received", "", "wamid.order", "", "")
        ],
    },
    # Nobody to re-point yet (test_a_number_change_re_points_the_customer has the known customer).
    ("meta_cloud", "user_changed_number"): {
        "answer": "ignored",
        "results": [
            {"event": "contact_changed", "result": "ignored", "reason": "number change of an unknown customer"}
        ],
        "event": [("ignored", "number change of an unknown customer")],
    },
    ("meta_cloud", "account_deleted"): connection(
        "disconnected", history=[("connecting", "disconnected", "meta: account deleted")]
    ),
    # A user known only by a business-scoped id: a phone-less contact, answered by that id.
    ("meta_cloud", "bsuid_only"): {
        **MESSAGE,
        **ACCEPTED,
        "event": [("processed", "")],
        "messages": [("in", "text", "Body Text", "received", "", "wamid.bsuid", "", "")],
        "customers": [("", "Test Name", {"meta_cloud": "US.13491208655302741918"})],
        "runs": 1,
    },
    # Nothing usable in it: not answered as an empty text.
    ("meta_cloud", "interactive_error"): {
        "answer": "ignored",
        "results": [
            {"event": "unsupported", "result": "ignored", "reason": "meta: interactive message without a usable reply"}
        ],
        "event": [("ignored", "meta: interactive message without a usable reply")],
    },
    ("meta_cloud", "document"): {
        **MESSAGE,
        **ACCEPTED,
        "event": [("processed", "")],
        "messages": [("in", "document", "caption", "received", "", "wamid.xyzxyz", "", "filename.pdf")],
        "customers": [("", "Test Name", {"meta_cloud": "972987654321"})],
        "runs": 1,
        "downloads": 1,  # by media id, through the Graph API
    },
    ("meta_cloud", "image"): {
        **MESSAGE,
        **ANSWERED_FILE,
        "messages": [("in", "image", "", "received", "", "wamid.xyzxyz", "", "")],
        "customers": [("", "Test Name", {"meta_cloud": "972987654321"})],
    },
    # `sent` arrives after our send call already marked the message sent: nothing moves.
    ("meta_cloud", "status_sent"): receipts(("wamid.xyzxyz", "sent", ""), applied=False),
    ("meta_cloud", "status_read"): receipts(("wamid.xyzxyz", "read", "")),
    ("meta_cloud", "status_failed"): receipts(
        (
            "wamid.xyzxyz",
            "failed",
            "130472: User's number is part of an experiment (Failed to send message because this user's "
            "phone number is part of an experiment)",
        )
    ),
    ("console", "text"): {
        **MESSAGE,
        **ACCEPTED,
        "event": [("processed", "")],
        "messages": [("in", "text", "quero uma pizza grande", "received", "", "sim-1", "", "")],
        "customers": [("+5511987654321", "Maria", {"console": "5511987654321"})],
        "runs": 1,
    },
}


def test_every_fixture_file_has_its_expectation():
    files = {(path.parent.name, path.stem) for path in FIXTURES.glob("*/*.json")}

    assert files == set(EXPECTED)


@pytest.mark.parametrize(("provider", "fixture"), list(EXPECTED), ids=[f"{p}-{f}" for p, f in EXPECTED])
def test_sample_payload_gives_exactly_these_rows_and_answer(
    company_a, company_b, post_webhook, enqueued, provider, fixture
):
    got = deliver_fixture(company_a, company_b, post_webhook, enqueued, provider, fixture)

    expected = {**NOTHING, **EXPECTED[(provider, fixture)]}
    # Generated ids and long media URLs are compared by their stable prefix.
    got["messages"] = [
        (*m[:5], m[5] if not m[5].startswith("sha256:") else "sha256:", _prefix(m[6]), m[7]) for m in got["messages"]
    ]
    assert got == expected


def _prefix(url: str) -> str:
    for prefix in (WA_MEDIA,):
        if url.startswith(prefix):
            return prefix
    return url


def test_a_redelivered_sample_is_a_duplicate_and_writes_no_second_message(company_a, post_webhook, enqueued):
    for provider, fixture in [("gosac", "text"), ("uazapi", "text"), ("evolution", "text"), ("meta_cloud", "text")]:
        channel = make_channel(company_a, provider=provider, credentials=CREDENTIALS[provider], name=provider)
        body = raw(provider, fixture) if provider != "gosac" else gosac_text(created_at="2026-05-04T12:00:01.123Z")
        headers = {"HTTP_X_HUB_SIGNATURE_256": meta_signature(body)} if provider == "meta_cloud" else {}
        post_webhook(channel, body, **headers)

        again = post_webhook(channel, body, **headers).applied

        duplicate = {"event": "message", "result": "duplicate", "reason": "duplicate"}
        assert duplicate in again["results"], (provider, again)
    with company_scope(company_a):
        assert Message.objects.count() == 4
        assert InboundEvent.objects.count() == 8


def test_an_edit_updates_the_original_message_and_is_not_answered_again(company_a, post_webhook, enqueued):
    channel = make_channel(company_a, provider="uazapi", credentials=CREDENTIALS["uazapi"])
    post_webhook(channel, raw("uazapi", "text"))

    answer = post_webhook(channel, raw("uazapi", "edited")).applied

    assert answer["results"] == [{"event": "edit", "result": "applied", "reason": "edit"}]
    with company_scope(company_a):
        assert list(Message.objects.values_list("text", "provider_message_id")) == [
            ("Oi, tudo bem?", "AC98212CD4909DE6799E78D93A824A3F")
        ]
    assert len(enqueued.of("conversation_process_task")) == 1  # the original's run only


def gosac_text(text: str = "Oi, quero saber do meu pedido", **data) -> bytes:
    payload = json.loads(raw("gosac", "text"))
    payload["data"].update(body=text, **{"createdAt" if key == "created_at" else key: v for key, v in data.items()})
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    "times",
    [("2026-05-04T12:00:01.123Z", "2026-05-04T12:00:07.950Z"), (None, None)],
    ids=["two-creation-times", "no-id-nor-time"],
)
def test_two_genuine_identical_gosac_messages_without_an_id_are_both_kept(company_a, post_webhook, enqueued, times):
    channel = make_channel(company_a, provider="gosac", credentials=CREDENTIALS["gosac"])

    for created_at in times:
        extra = {"created_at": created_at} if created_at else {}
        assert post_webhook(channel, gosac_text("sim", **extra)).applied["status"] == "accepted"

    with company_scope(company_a):
        assert list(Message.objects.values_list("text", flat=True)) == ["sim", "sim"]


def test_a_group_message_does_not_redirect_the_members_replies_to_the_group(company_a, post_webhook, enqueued):
    channel = make_channel(company_a, provider="evolution", credentials=CREDENTIALS["evolution"])
    post_webhook(channel, raw("evolution", "text"))  # Maria, in her own chat

    post_webhook(channel, raw("evolution", "group"))  # Maria again, as a member of a group

    with company_scope(company_a):
        maria = Customer.objects.get(phone="+5511987654321")
        assert maria.provider_contact_ids == {"evolution": "5511987654321@s.whatsapp.net"}
        assert Customer.objects.count() == 2


def test_gosac_ticket_state_only_writes_a_change(company_a, post_webhook, enqueued):
    channel = make_channel(company_a, provider="gosac", credentials=CREDENTIALS["gosac"])
    post_webhook(channel, raw("gosac", "text"))
    with company_scope(company_a):
        Conversation.objects.update(status=Conversation.Status.WAITING)  # the flow asked a question

    post_webhook(channel, raw("gosac", "document"))  # ticket still pending, nobody took it
    with company_scope(company_a):
        assert list(Conversation.objects.values_list("status", "bot_paused")) == [("waiting", False)]

    post_webhook(channel, raw("gosac", "ticket_taken"))
    with company_scope(company_a):
        assert list(Conversation.objects.values_list("status", "bot_paused")) == [("handoff", True)]

    released = json.loads(raw("gosac", "text"))
    released["data"]["body"] = "voltei"
    released["data"]["ticket"] = {"status": "pending", "userId": None}
    answer = post_webhook(channel, released).applied
    assert {"event": "ticket", "result": "applied", "reason": ""} in answer["results"]
    with company_scope(company_a):
        assert list(Conversation.objects.values_list("status", "bot_paused")) == [("active", False)]


def test_a_number_change_re_points_the_customer_and_replies_go_to_the_new_id(company_a, post_webhook, enqueued):
    """Meta `user_changed_number`: the same customer (history, cart) is answered at the new wa_id."""
    channel = make_channel(company_a, provider="meta_cloud", credentials=CREDENTIALS["meta_cloud"])
    for fixture in ("text", "user_changed_number"):
        body = raw("meta_cloud", fixture)
        answer = post_webhook(channel, body, HTTP_X_HUB_SIGNATURE_256=meta_signature(body)).applied

    assert answer["results"] == [{"event": "contact_changed", "result": "applied", "reason": ""}]
    with company_scope(company_a):
        (customer,) = Customer.objects.all()
        conversation = Conversation.objects.get()
        assert customer.provider_contact_ids == {"meta_cloud": "972987654322"}
        assert reply_target(conversation) == "972987654322"


def test_a_brazilian_number_change_moves_the_phone_too(company_a, post_webhook, enqueued):
    channel = make_channel(company_a, provider="meta_cloud", credentials=CREDENTIALS["meta_cloud"])
    text = json.loads(raw("meta_cloud", "text"))
    value = text["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = value["messages"][0]["from"] = "5511987654321"
    change = json.loads(raw("meta_cloud", "user_changed_number"))
    message = change["entry"][0]["changes"][0]["value"]["messages"][0]
    message["from"], message["system"]["wa_id"] = "5511987654321", "5511912345678"
    for payload in (text, change):
        body = json.dumps(payload).encode()
        post_webhook(channel, body, HTTP_X_HUB_SIGNATURE_256=meta_signature(body))

    with company_scope(company_a):
        (customer,) = Customer.objects.all()
    assert (customer.phone, customer.provider_contact_ids) == ("+5511912345678", {"meta_cloud": "5511912345678"})
