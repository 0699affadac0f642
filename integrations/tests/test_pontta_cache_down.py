"""Redis configured but down: the Pontta client logs in on every call instead of failing."""

from integrations.pontta import PonttaTicket
from integrations.testing.fake_server import FakeServer
from integrations.tests.test_pontta import FakePontta, client_for, logins

DEAD_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.2},
    }
}


def test_calls_log_in_each_time_when_the_cache_is_down(settings):
    settings.CACHES = DEAD_CACHE
    with FakeServer() as server:
        FakePontta(server)
        client = client_for(server)

        first = client.list_tickets(contact_id=7)
        created = client.create_ticket(7, "Pedido", "Cadê meu pedido?")

    assert first == [PonttaTicket("41", "7", "Pedido", "Cadê meu pedido?", "open")]
    assert created.id == "42"
    assert logins(server) == 2  # no shared token and no renewal lock: one login per call
