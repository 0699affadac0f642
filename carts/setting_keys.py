"""The settings the free-text order reader (carts/free_text.py) reads, declared for tenants.settings_registry."""

from functools import partial

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carts.free_text import LLM_API_KEY, LLM_BASE_URL, LLM_MODEL, llm_credentials
from integrations.destinations import validate_public_url
from integrations.errors import IntegrationError
from integrations.llm import chat_completion
from tenants.settings_registry import SECRET, TEXT, SettingGroup, SettingSpec, TestResult, setting_group_register

public_url = partial(validate_public_url, require_resolvable=False)


def llm_test(company) -> TestResult:
    """One tiny chat call with the saved account (the company's, else the platform's)."""
    credentials = llm_credentials(company)
    if credentials is None:
        return TestResult(False, _("No LLM key: free-text orders are read by the rules alone."))
    try:
        chat_completion(credentials, [{"role": "user", "content": "ok"}])
    except IntegrationError as exc:
        return TestResult(False, _("The LLM did not answer: %(error)s") % {"error": exc})
    return TestResult(True, _("The LLM answered (model %(model)s).") % {"model": credentials.model})


def register() -> None:
    setting_group_register(
        SettingGroup(
            "llm",
            gettext_lazy("LLM (free-text orders)"),
            gettext_lazy(
                "An OpenAI-compatible account (Groq by default) reads orders written in free text; without a key, the rules read them."
            ),
            order=60,
            test=llm_test,
        ),
        SettingSpec(LLM_API_KEY, SECRET, gettext_lazy("API key"), gettext_lazy("Empty: the platform's key, if any.")),
        SettingSpec(
            LLM_BASE_URL,
            TEXT,
            gettext_lazy("API address"),
            gettext_lazy("Ends in /v1; empty: Groq (https://api.groq.com/openai/v1)."),
            check=public_url,
        ),
        SettingSpec(LLM_MODEL, TEXT, gettext_lazy("Model"), gettext_lazy("Empty: llama-3.3-70b-versatile.")),
    )
