from datetime import timedelta

import pytest
from django.utils import timezone

from config.beat import PERIODIC_TASKS
from conversations.tests.factories import ConversationFactory
from flows.models import FlowPosition
from flows.services import flow_handle_inbound
from flows.tasks import flow_positions_reset_stale_task
from flows.tests.factories import pizzeria_template
from tenants.scoping import company_scope


@pytest.fixture
def idle_conversation(company_a):
    with company_scope(company_a):
        pizzeria_template(company_a)
        conversation = ConversationFactory(company=company_a)
        flow_handle_inbound(conversation=conversation, text="oi", now=timezone.now() - timedelta(hours=3))
    return conversation


def waiting_for(conversation):
    return FlowPosition.objects.for_company(conversation.company_id).get(conversation=conversation).waiting_for


@pytest.mark.parametrize(
    ("configured", "kwargs"),
    [("s3cret", {}), ("s3cret", {"HTTP_X_CRON_SECRET": "wrong"}), ("", {}), ("", {"HTTP_X_CRON_SECRET": ""})],
)
def test_cron_refuses_without_the_secret(client, settings, idle_conversation, configured, kwargs):
    settings.CRON_SECRET = configured

    response = client.get("/cron/reset-states", **kwargs)

    assert response.status_code == 403
    assert waiting_for(idle_conversation) == "response"


def test_cron_refuses_the_secret_in_the_query_string(client, settings, idle_conversation):
    settings.CRON_SECRET = "s3cret"

    response = client.get("/cron/reset-states?secret=s3cret")

    assert response.status_code == 403
    assert waiting_for(idle_conversation) == "response"


def test_cron_resets_with_the_header_and_is_safe_to_call_twice(client, settings, idle_conversation):
    settings.CRON_SECRET = "s3cret"

    first = client.get("/cron/reset-states", HTTP_X_CRON_SECRET="s3cret")
    second = client.get("/cron/reset-states", HTTP_X_CRON_SECRET="s3cret")

    assert first.json() == {"reset": 1}
    assert second.json() == {"reset": 0}
    assert waiting_for(idle_conversation) == "nothing"


def test_beat_task_runs_the_sweep(idle_conversation):
    scheduled = [job for job in PERIODIC_TASKS.values() if job["task"] == flow_positions_reset_stale_task.name]
    assert [job.get("every_seconds") for job in scheduled] == [300]
    assert flow_positions_reset_stale_task() == 1
    assert waiting_for(idle_conversation) == "nothing"
