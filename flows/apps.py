from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowsConfig(AppConfig):
    name = "flows"
    verbose_name = _("Conversation flows")

    def ready(self):
        # Test mode answers customers other than the test contact only when a published version exists.
        from conversations.services.controls import published_bot_check_register  # noqa: PLC0415 - models first
        from flows.selectors import live_template_is_published  # noqa: PLC0415 - models must be loaded first

        published_bot_check_register(live_template_is_published)

        # Staff handing a conversation back in the inbox choose where the flow resumes.
        from conversations.services import bot_resume_register  # noqa: PLC0415 - models first
        from flows.services.resume import flow_resume  # noqa: PLC0415 - models must be loaded first

        bot_resume_register(flow_resume)
