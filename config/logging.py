"""structlog JSON logs for Django's stdlib logging, with secrets, URL keys and phone numbers redacted.

`mask_url_secrets` is also what gunicorn's access log goes through (config/gunicorn_logging.py).
"""

import logging
import re

import structlog

SECRET_KEY_PATTERN = re.compile(r"pass|secret|token|key|authorization|credential|signature", re.IGNORECASE)
# 10+ digit runs (optionally with +) are phone numbers or ids we must not print whole.
PHONE_PATTERN = re.compile(r"(?<![A-Za-z0-9])\+?\d{10,15}(?![A-Za-z0-9])")
REDACTED = "***"
# Keys that authenticate by being in the URL: channel inbound keys and Mercado Pago webhook keys.
URL_KEY_PATTERN = re.compile(r"(/webhook/(?:mercadopago/)?)(?!mercadopago/)[^/?#\s'\"]+")
# Query parameters that carry a credential (Meta's hub.verify_token, a cron secret sent the old way...).
QUERY_SECRET_PATTERN = re.compile(
    r"([?&;](?:[\w.]*(?:secret|token|key|pass|signature|auth)[\w.]*)=)[^&;#\s'\"]*", re.IGNORECASE
)


def mask_url_secrets(text: str) -> str:
    """`text` with webhook keys in paths and credential-like query values replaced by ***."""
    text = URL_KEY_PATTERN.sub(lambda m: m.group(1) + REDACTED, text)
    return QUERY_SECRET_PATTERN.sub(lambda m: m.group(1) + REDACTED, text)


def mask_phone(match: re.Match) -> str:
    digits = match.group(0)
    return digits[:4] + "*" * (len(digits) - 6) + digits[-2:]


def redact_value(value):
    if isinstance(value, str):
        return PHONE_PATTERN.sub(mask_phone, mask_url_secrets(value))
    if isinstance(value, dict):
        return redact_mapping(value)
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return redact_value(str(value)) if PHONE_PATTERN.fullmatch(str(value)) else value  # a phone as a number
    # Other objects (Django's request in `extra`) would be rendered by their repr, which holds the URL.
    return redact_value(str(value))


def redact_mapping(mapping: dict) -> dict:
    return {
        key: (REDACTED if isinstance(key, str) and SECRET_KEY_PATTERN.search(key) else redact_value(value))
        for key, value in mapping.items()
    }


def redact_event(logger, method_name, event_dict):
    """structlog processor: never log secrets or full phone numbers."""
    return redact_mapping(event_dict)


SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.ExtraAdder(),
]


def json_formatter() -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_event,
            structlog.processors.JSONRenderer(),
        ],
    )


structlog.configure(
    processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)
