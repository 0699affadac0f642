import factory

from flows.models import Flow, FlowMessage, FlowTemplate, Subflow
from tenants.tests.factories import CompanyOwnedFactory


class FlowTemplateFactory(CompanyOwnedFactory):
    class Meta:
        model = FlowTemplate

    name = factory.Sequence(lambda n: f"Template {n}")


class FlowFactory(CompanyOwnedFactory):
    class Meta:
        model = Flow

    template = factory.SubFactory(FlowTemplateFactory, company=factory.SelfAttribute("..company"))
    name = factory.Sequence(lambda n: f"Flow {n}")
    is_default = True


class SubflowFactory(CompanyOwnedFactory):
    class Meta:
        model = Subflow

    flow = factory.SubFactory(FlowFactory, company=factory.SelfAttribute("..company"))
    name = factory.Sequence(lambda n: f"Subflow {n}")


class FlowMessageFactory(CompanyOwnedFactory):
    class Meta:
        model = FlowMessage

    subflow = factory.SubFactory(SubflowFactory, company=factory.SelfAttribute("..company"))
    message_text = factory.Sequence(lambda n: f"Message {n}")
    order_index = factory.Sequence(lambda n: n)


def pizzeria_template(company, *, name="Pizzaria"):
    """greeting (asks the name) -> offer (waits) -> [menu by keyword, returns to offer] -> bye."""
    template = FlowTemplateFactory(company=company, name=name)
    flow = FlowFactory(company=company, template=template, name="Main", is_default=True)
    greeting = SubflowFactory(company=company, flow=flow, name="greeting", order_index=1)
    FlowMessageFactory(company=company, subflow=greeting, message_text="Olá!", order_index=1)
    ask = FlowMessageFactory(
        company=company,
        subflow=greeting,
        message_text="Qual é o seu nome?",
        order_index=2,
        wait_for_response=True,
        save_reply_as="nome",
    )
    offer = SubflowFactory(company=company, flow=flow, name="offer", order_index=2)
    FlowMessageFactory(
        company=company, subflow=offer, message_text="Prazer, {{ nome }}! Quer o cardápio?", wait_for_response=True
    )
    menu = SubflowFactory(
        company=company, flow=flow, name="menu", order_index=3, trigger_keywords=["cardápio"], parent_subflow=offer
    )
    FlowMessageFactory(company=company, subflow=menu, message_text="Margherita, Calabresa.")
    bye = SubflowFactory(company=company, flow=flow, name="bye", order_index=4)
    FlowMessageFactory(company=company, subflow=bye, message_text="Até logo, {{ nome }}!", delay_seconds=2)
    return template, ask


def linear_template(company, size: int) -> FlowTemplate:
    """One flow, one subflow, `size` messages m0..m<size-1>; every odd one but the last waits for a
    reply (so a turn sends two; the flow checker refuses a last wait leading nowhere). Runs inside
    the company's scope."""
    subflow = SubflowFactory(company=company, flow=FlowFactory(company=company))
    for index in range(size):
        FlowMessageFactory(
            company=company,
            subflow=subflow,
            message_text=f"m{index}",
            order_index=index,
            wait_for_response=index % 2 == 1 and index < size - 1,
        )
    return subflow.flow.template
