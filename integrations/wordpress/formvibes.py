"""Leads from the Form Vibes plugin: ``<prefix>fv_enteries`` (sic) + ``<prefix>fv_entry_meta``.

One entry row per submission (``captured`` site-local, ``captured_gmt`` UTC, both varchar
``Y-m-d H:i:s``); its fields are meta rows keyed by ``data_id`` (varchar) → ``meta_key``/``meta_value``.
Field keys differ per form and plugin (WPForms: label with spaces → ``_`` plus ``_<field id>``, e.g.
``Whatsapp_8``), so each company maps them; the mapping matches keys case- and accent-insensitively.
See research/real-schemas.md §2.
"""

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from integrations.wordpress.sql import (
    DEFAULT_BATCH_SIZE,
    as_utc_text,
    check_range,
    fetch_all,
    fetch_value,
    keyset_batches,
    placeholders,
    quoted_table,
    utc_to_aware,
)

ENTRIES_TABLE = "fv_enteries"  # the plugin's own spelling
META_TABLE = "fv_entry_meta"
FORM_VIBES_TABLES = (ENTRIES_TABLE, META_TABLE)
NON_LETTERS = re.compile(r"[^a-z]")
INTERNAL_META_KEYS = frozenset({"fv_form_id", "fv_plugin"})  # written by integrations, hidden by the plugin's UI


@dataclass(frozen=True)
class FormVibesFieldMap:
    """Which meta keys hold what, per company (settings fv_field_nome / fv_field_whatsapp / fv_field_tamanho).

    Without `email_key`, the first field whose key reads "email" once non-letters are dropped
    (``E-mail_5``, ``your-email``, ``Email``) is used.
    """

    name_key: str | None = None
    phone_key: str | None = None
    size_key: str | None = None
    email_key: str | None = None


@dataclass(frozen=True)
class FormLead:
    entry_id: int
    form_id: str
    form_plugin: str
    submitted_at: datetime | None  # aware, UTC
    name: str | None
    phone_raw: str | None  # as typed; normalise with customers.phones
    size: str | None
    email: str | None
    extra: dict[str, str] = field(default_factory=dict)  # every other field of the submission
    keys: frozenset[str] = field(default=frozenset(), compare=False)  # every field key of the submission, as stored


def read_form_leads(
    conn,
    prefix: str,
    field_map: FormVibesFieldMap,
    start: datetime,
    end: datetime,
    *,
    form_ids: Sequence[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[FormLead]:
    """Submissions captured in [start, end) (aware datetimes, compared in UTC), oldest id first.

    Streams `batch_size` entries at a time, with one meta query per batch. Raises
    RetryableError/PermanentError on database failures.
    """
    entries, meta = quoted_table(prefix, ENTRIES_TABLE), quoted_table(prefix, META_TABLE)
    where, params = _entry_filter(start, end, form_ids)
    sql = (
        f"SELECT e.id, e.form_plugin, e.form_id, e.captured, e.captured_gmt FROM {entries} e "
        f"WHERE {where} AND e.id > %s ORDER BY e.id LIMIT %s"
    )
    for rows in keyset_batches(conn, sql, params, batch_size=batch_size, action="read Form Vibes entries"):
        ids = [str(row["id"]) for row in rows]
        fields_by_entry: dict[str, dict[str, str]] = {entry_id: {} for entry_id in ids}
        meta_rows = fetch_all(
            conn,
            f"SELECT data_id, meta_key, meta_value FROM {meta} WHERE data_id IN ({placeholders(len(ids))}) ORDER BY id",
            ids,
            action="read Form Vibes fields",
        )
        for meta_row in meta_rows:
            fields_by_entry[meta_row["data_id"]][meta_row["meta_key"]] = meta_row["meta_value"]
        for row in rows:
            yield _lead(row, fields_by_entry[str(row["id"])], field_map)


def count_form_leads(
    conn, prefix: str, start: datetime, end: datetime, *, form_ids: Sequence[str] | None = None
) -> int:
    """How many submissions `read_form_leads` would yield for the same range (for progress bars)."""
    where, params = _entry_filter(start, end, form_ids)
    sql = f"SELECT COUNT(*) AS n FROM {quoted_table(prefix, ENTRIES_TABLE)} e WHERE {where}"
    return int(fetch_value(conn, sql, params, action="count Form Vibes entries") or 0)


def form_field_keys(conn, prefix: str, limit: int = 500) -> list[str]:
    """The distinct field keys present in the meta table, sorted, to help staff fill in the mapping."""
    sql = f"SELECT DISTINCT meta_key FROM {quoted_table(prefix, META_TABLE)} ORDER BY meta_key LIMIT %s"
    rows = fetch_all(conn, sql, (limit,), action="list Form Vibes field keys")
    return [row["meta_key"] for row in rows if row["meta_key"] not in INTERNAL_META_KEYS]


def _entry_filter(start: datetime, end: datetime, form_ids: Sequence[str] | None) -> tuple[str, list]:
    check_range(start, end)
    # captured_gmt is varchar 'Y-m-d H:i:s': text order is time order.
    where, params = "e.captured_gmt >= %s AND e.captured_gmt < %s", [as_utc_text(start), as_utc_text(end)]
    if form_ids:
        where += f" AND e.form_id IN ({placeholders(len(form_ids))})"
        params += [str(form_id) for form_id in form_ids]
    return where, params


def fold_key(key: str | None) -> str:
    """A field key compared case- and accent-insensitively: ``WhatsApp_5``, ``whatsapp_5`` and
    ``WHATSÁPP_5`` are one key (staff type the mapping by hand)."""
    decomposed = unicodedata.normalize("NFKD", (key or "").strip())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def mapped_key_found(mapped: str, keys) -> bool:
    """Whether the mapped key is among `keys` (case- and accent-insensitively)."""
    folded = fold_key(mapped)
    return any(fold_key(key) == folded for key in keys)


def _lead(row: dict, fields: dict[str, str], field_map: FormVibesFieldMap) -> FormLead:
    by_folded: dict[str, str] = {}
    for key in fields:
        by_folded.setdefault(fold_key(key), key)

    def actual(mapped: str | None) -> str | None:
        return by_folded.get(fold_key(mapped)) if mapped else None

    email_key = (
        actual(field_map.email_key)
        if field_map.email_key
        else next((key for key in fields if "email" in NON_LETTERS.sub("", key.lower())), None)
    )
    mapped = {actual(field_map.name_key), actual(field_map.phone_key), actual(field_map.size_key), email_key}
    return FormLead(
        entry_id=int(row["id"]),
        form_id=str(row["form_id"]),
        form_plugin=str(row["form_plugin"]),
        submitted_at=utc_to_aware(row["captured_gmt"]),
        name=_clean(fields.get(actual(field_map.name_key))),
        phone_raw=_clean(fields.get(actual(field_map.phone_key))),
        size=_clean(fields.get(actual(field_map.size_key))),
        email=_clean(fields.get(email_key)),
        extra={key: value for key, value in fields.items() if key not in mapped and key not in INTERNAL_META_KEYS},
        keys=frozenset(key for key in fields if key not in INTERNAL_META_KEYS),
    )


def _clean(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None
