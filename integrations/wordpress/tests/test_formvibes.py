from datetime import UTC, datetime, timedelta, timezone

import pytest

from integrations.errors import PermanentError
from integrations.wordpress.connection import open_connection
from integrations.wordpress.formvibes import (
    FormLead,
    FormVibesFieldMap,
    count_form_leads,
    form_field_keys,
    read_form_leads,
)
from integrations.wordpress.tests.builders import RecordingConnection, add_form_entry

TARRAGONA = FormVibesFieldMap(name_key="Nome_3", phone_key="Whatsapp_8", size_key="Numero_do_sapato_9")
ANAC = FormVibesFieldMap(name_key="Nome_3", phone_key="Whatsapp_-_DDD_+_Numero_4")
MARCH = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))


def _tarragona_entry(site, name, phone, captured_gmt, captured):
    fields = {"Nome_3": name, "E-mail_5": f"{name.split()[0].lower()}@example.com", "Whatsapp_8": phone}
    fields |= {"Numero_do_sapato_9": "38", "Como_nos_conheceu?_10": "Instagram", "fv_form_id": "1267"}
    return add_form_entry(site, fields, captured_gmt=captured_gmt, captured=captured)


def test_field_mapping(site):
    entry_id = _tarragona_entry(site, "Ana Luíza", "(11) 98765-4321", "2024-03-05 13:30:00", "2024-03-05 10:30:00")

    with open_connection(site.source) as conn:
        leads = list(read_form_leads(conn, "wp_", TARRAGONA, *MARCH))

    assert leads == [
        FormLead(
            entry_id=entry_id,
            form_id="1267",
            form_plugin="wp-forms",
            submitted_at=datetime(2024, 3, 5, 13, 30, tzinfo=UTC),
            name="Ana Luíza",
            phone_raw="(11) 98765-4321",
            size="38",
            email="ana@example.com",
            extra={"Como_nos_conheceu?_10": "Instagram"},
        )
    ]


def test_mapping_without_size_and_missing_fields(site):
    add_form_entry(
        site,
        {"Nome_3": "  Bia  ", "Whatsapp_-_DDD_+_Numero_4": "55 99123-4567"},
        captured_gmt="2024-03-10 12:00:00",
        captured="2024-03-10 09:00:00",
    )
    add_form_entry(site, {"Mensagem_2": "Oi"}, captured_gmt="2024-03-11 12:00:00", captured="2024-03-11 09:00:00")

    with open_connection(site.source) as conn:
        leads = list(read_form_leads(conn, "wp_", ANAC, *MARCH))

    assert [(lead.name, lead.phone_raw, lead.size, lead.email, lead.extra) for lead in leads] == [
        ("Bia", "55 99123-4567", None, None, {}),
        (None, None, None, None, {"Mensagem_2": "Oi"}),
    ]


def test_date_range_is_utc_and_end_exclusive(site):
    _tarragona_entry(site, "Antes Fora", "11 1", "2024-02-29 23:59:59", "2024-02-29 20:59:59")
    first = _tarragona_entry(site, "Primeira Dentro", "11 2", "2024-03-01 00:00:00", "2024-02-29 21:00:00")
    last = _tarragona_entry(site, "Ultima Dentro", "11 3", "2024-03-31 23:59:59", "2024-03-31 20:59:59")
    _tarragona_entry(site, "Depois Fora", "11 4", "2024-04-01 00:00:00", "2024-03-31 21:00:00")
    # the same range written in São Paulo time selects the same entries
    sao_paulo = timezone(timedelta(hours=-3))
    local_range = (datetime(2024, 2, 29, 21, tzinfo=sao_paulo), datetime(2024, 3, 31, 21, tzinfo=sao_paulo))

    with open_connection(site.source) as conn:
        utc_ids = [lead.entry_id for lead in read_form_leads(conn, "wp_", TARRAGONA, *MARCH)]
        local_ids = [lead.entry_id for lead in read_form_leads(conn, "wp_", TARRAGONA, *local_range)]
        total = count_form_leads(conn, "wp_", *MARCH)

    assert utc_ids == [first, last]
    assert local_ids == [first, last]
    assert total == 2


def test_batches_of_two_over_five_entries(site):
    ids = [
        _tarragona_entry(site, f"Pessoa {n}", f"11 9876-000{n}", f"2024-03-0{n} 12:00:00", f"2024-03-0{n} 09:00:00")
        for n in range(1, 6)
    ]

    with open_connection(site.source) as raw_conn:
        conn = RecordingConnection(raw_conn)
        leads = read_form_leads(conn, "wp_", TARRAGONA, *MARCH, batch_size=2)
        first = next(leads)
        fetched_before_consuming = list(conn.fetches)
        rest = list(leads)

    assert [lead.entry_id for lead in [first, *rest]] == ids
    entry_batches = [rows for sql, rows in conn.fetches if "fv_enteries" in sql]
    assert entry_batches == [2, 2, 1]
    # only the first batch (entries + their meta) was read before the caller asked for more
    assert [rows for _sql, rows in fetched_before_consuming] == [2, 12]


def test_form_ids_filter(site):
    add_form_entry(site, {"Nome_3": "A"}, "2024-03-02 12:00:00", "2024-03-02 09:00:00", form_id="10")
    other = add_form_entry(site, {"Nome_3": "B"}, "2024-03-02 12:00:00", "2024-03-02 09:00:00", form_id="20")

    with open_connection(site.source) as conn:
        leads = list(read_form_leads(conn, "wp_", TARRAGONA, *MARCH, form_ids=["20"]))
        total = count_form_leads(conn, "wp_", *MARCH, form_ids=["20"])

    assert [lead.entry_id for lead in leads] == [other]
    assert total == 1


def test_form_field_keys_hides_internal_keys(site):
    _tarragona_entry(site, "Ana", "11", "2024-03-05 13:30:00", "2024-03-05 10:30:00")

    with open_connection(site.source) as conn:
        keys = form_field_keys(conn, "wp_")

    assert keys == ["Como_nos_conheceu?_10", "E-mail_5", "Nome_3", "Numero_do_sapato_9", "Whatsapp_8"]


def test_naive_datetimes_are_refused(site):
    with open_connection(site.source) as conn, pytest.raises(ValueError, match="timezone-aware"):
        list(read_form_leads(conn, "wp_", TARRAGONA, datetime(2024, 3, 1), datetime(2024, 4, 1)))


def test_wrong_prefix_is_a_permanent_error(site):
    with open_connection(site.source) as conn, pytest.raises(PermanentError, match="1146"):
        list(read_form_leads(conn, "cli_", TARRAGONA, *MARCH))
