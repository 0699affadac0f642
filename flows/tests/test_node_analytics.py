"""Per-node figures of a published version (reached, stopped there, start -> order conversion):
the API and the graph read the same service, so they agree."""

import re

from django.utils import timezone

from conversations.tests.factories import ConversationFactory
from customers.selectors import TEST_CUSTOMER_KEY
from customers.tests.factories import CustomerFactory
from flows.models import Subflow
from flows.services import flow_handle_inbound, flow_template_publish
from flows.tests.factories import pizzeria_template
from orders.tests.factories import OrderFactory
from tenants.scoping import company_scope


def talk(company, texts, customer=None):
    conversation = ConversationFactory(company=company, **({"customer": customer} if customer else {}))
    for text in texts:
        flow_handle_inbound(conversation=conversation, text=text)
    return conversation


def test_per_node_counts_on_the_graph_agree_with_the_analytics_api(company_a, api_client_a, admin_client_a):
    with company_scope(company_a):
        template, _ = pizzeria_template(company_a)
        flow_template_publish(template=template)
        talk(company_a, ["oi"])  # stops at the greeting (asked the name)
        talk(company_a, ["oi", "Ana"])  # stops at the offer
        done = talk(company_a, ["oi", "Bia", "não"])  # reaches the goodbye, completed
        tester = CustomerFactory(company=company_a, provider_contact_ids={TEST_CUSTOMER_KEY: "1"})
        talk(company_a, ["oi", "Eu"], customer=tester)  # a simulator (talks to the draft): a test
        OrderFactory(company=company_a, customer=done.customer, status="confirmed", placed_at=timezone.now())
        names = dict(Subflow.objects.values_list("pk", "name"))

    body = api_client_a.get(f"/api/flow-templates/{template.pk}/analytics/").json()
    panel = admin_client_a.get(f"/admin/flows/flowtemplate/{template.pk}/graph/?version=1").content.decode()

    by_name = {names[n["subflow_id"]]: (n["reached"], n["stopped"]) for n in body["nodes"]}
    assert by_name == {"greeting": (3, 1), "offer": (2, 1), "menu": (0, 0), "bye": (1, 0)}
    assert (body["version"], body["started"], body["ordered"], body["conversion"]) == (1, 3, 1, 33.3)
    for node in body["nodes"]:
        group = re.search(rf'id="graph-subflow-{node["subflow_id"]}".*?</g>', panel, re.S).group(0)
        assert f"{node['reached']} chegaram · {node['stopped']} pararam aqui" in group
    assert "3 conversas começaram, 1 terminaram em pedido: 33,3% de conversão." in panel
    draft = f"/api/flow-templates/{template.pk}/analytics/?version=draft"
    assert api_client_a.get(draft).json()["started"] == 0
    assert api_client_a.get(draft + "&include_tests=true").json()["started"] == 1
    assert api_client_a.get(f"/api/flow-templates/{template.pk}/analytics/?version=x").status_code == 400
