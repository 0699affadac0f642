from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowsConfig(AppConfig):
    name = "flows"
    verbose_name = _("Conversation flows")

    def ready(self):
        # The flow engine answers conversations, resumes where staff hand one back in the inbox and
        # decides what a bot message's final delivery failure does (the template's choice);
        # test mode answers customers other than the test contact only when a published version
        # exists. Imported here: models must be loaded first.
        from conversations.handlers import (  # noqa: PLC0415
            bot_handler_register,
            bot_resumer_register,
            send_failure_policy_register,
        )
        from conversations.services.controls import published_bot_check_register  # noqa: PLC0415
        from flows.actions import variable_register  # noqa: PLC0415
        from flows.pipeline import handle_message  # noqa: PLC0415
        from flows.selectors import live_template_is_published, send_failure_hands_over  # noqa: PLC0415
        from flows.services.resume import flow_resume  # noqa: PLC0415

        variable_register("nome", lambda c: c.customer.name, description=_("The customer's name"))
        variable_register("telefone", lambda c: c.customer.phone, description=_("The customer's phone"))
        variable_register("empresa", lambda c: c.company.name, description=_("The company's own name"))
        bot_handler_register(handle_message)
        published_bot_check_register(live_template_is_published)
        bot_resumer_register(flow_resume)
        send_failure_policy_register(send_failure_hands_over)
