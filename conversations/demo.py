"""The demo company's WhatsApp channel: the console provider, so `make run` answers without a phone.

After `make run`, the demo flow answers a post to the channel's webhook; the curl command is
written to `var/demo-webhook.txt` (the inbound key is random, never in the repository)::

    curl -X POST http://127.0.0.1:8000/webhook/<key>/ -H 'Content-Type: application/json' \
        -d '{"from": "5511987654321", "text": "oi", "id": "x1"}'

The greeting is queued, sent by the worker through the console provider and logged
(`console_send`); the admin shows the conversation and its messages.
"""

from pathlib import Path

from django.conf import settings
from django.urls import reverse

from conversations.models import Channel, Provider
from tenants.scoping import company_scope

DEMO_CHANNEL_NAME = "demo"
SAMPLE_BODY = '{"from": "5511987654321", "text": "oi", "id": "x1"}'


def demo_webhook_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-webhook.txt"


def load(company) -> Channel:
    """Create the demo's console channel once (connected); later runs keep it and its key.

    Writes the ready-to-run curl command for its webhook to `demo_webhook_file()`.
    """
    with company_scope(company):
        channel, _ = Channel.objects.get_or_create(
            company=company,
            provider=Provider.CONSOLE,
            name=DEMO_CHANNEL_NAME,
            defaults={"status": Channel.Status.CONNECTED},
        )
    url = "http://127.0.0.1:8000" + reverse("webhook", args=[channel.inbound_key])
    path = demo_webhook_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"curl -X POST {url} -H 'Content-Type: application/json' -d '{SAMPLE_BODY}'\n")
    path.chmod(0o600)
    return channel
