"""A person's data in one file (LGPD art. 18, II): a zip holding `dados.json` (every row of the person
in every app, every column) and `arquivos/`, the documents they sent.

Written in a streaming way: rows are read in chunks and written to the zip as they come, files are
copied from storage in blocks, so a long history costs time, not memory.
"""

import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO

from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.text import get_valid_filename

from conversations.models import ReceivedFile
from customers.models import Customer
from privacy.selectors import admin_history_of, label, person_identities, person_rows
from tenants.models import Company

FORMAT = "balcao-person-export"
VERSION = 1
DOCUMENT_NAME = "dados.json"
FILES_DIR = "arquivos"
CHUNK_ROWS = 1000

Progress = Callable[[str, int, int], None]  # (kind, done, total)


@dataclass
class PersonExport:
    file: IO[bytes]  # the zip, at its start; the caller closes it (a temporary file)
    counts: dict[str, int]  # rows exported per model label, plus "files"


def person_data_export(*, company: Company, customer: Customer, progress: Progress | None = None) -> PersonExport:
    """The person's zip (see module docstring) and how many rows of each kind it holds.

    Nothing of another person or company: every row comes from `privacy.selectors.person_rows`,
    scoped to `company`. A received file missing from storage is listed with `"missing": true`.
    """
    progress = progress or (lambda kind, done, total: None)
    rows = person_rows(company=company, customer=customer)
    totals = {kind: queryset.count() for kind, queryset in rows.items()}
    for kind, total in totals.items():
        progress(kind, 0, total)
    output = tempfile.TemporaryFile()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        manifest = _write_files(archive, rows[label(ReceivedFile)])
        with archive.open(DOCUMENT_NAME, "w") as raw:
            writer = _JsonWriter(raw)
            writer.write(
                "{"
                + _members(
                    format=FORMAT,
                    version=VERSION,
                    generated_at=timezone.now(),
                    company={"name": company.name, "slug": company.slug},
                    customer_id=customer.pk,
                    identities=_identities(customer),
                    files=manifest,
                )
                + ', "rows": {'
            )
            for index, (kind, queryset) in enumerate(rows.items()):
                writer.write(("," if index else "") + json.dumps(kind) + ": ")
                writer.array(_serialized(queryset), on_chunk=lambda done, kind=kind: progress(kind, done, totals[kind]))
                progress(kind, totals[kind], totals[kind])
            writer.write('}, "admin_history": ')
            writer.array(_serialized(admin_history_of(rows)))
            writer.write("}")
    output.seek(0)
    return PersonExport(file=output, counts={**totals, "files": len(manifest)})


def _identities(customer: Customer) -> dict:
    identities = person_identities(customer)
    return {
        "phones": sorted(identities.phones),
        "email": identities.email,
        "provider_contact_ids": customer.provider_contact_ids or {},
    }


def _members(**values) -> str:
    return ", ".join(f"{json.dumps(key)}: {json.dumps(value, cls=DjangoJSONEncoder)}" for key, value in values.items())


def _serialized(queryset) -> Iterable[dict]:
    """Each row as {"id": pk, <every concrete field>: value} (foreign keys as ids), read in chunks."""
    chunk = []
    for row in queryset.iterator(chunk_size=CHUNK_ROWS):
        chunk.append(row)
        if len(chunk) == CHUNK_ROWS:
            yield from _as_dicts(chunk)
            chunk = []
    yield from _as_dicts(chunk)


def _as_dicts(instances: list) -> Iterable[dict]:
    for item in serializers.serialize("python", instances):
        yield {"id": item["pk"], **item["fields"]}


def _write_files(archive: zipfile.ZipFile, files) -> list[dict]:
    manifest = []
    for received in files.iterator(chunk_size=CHUNK_ROWS):
        entry = {
            "received_file": received.pk,
            "original_name": received.original_name,
            "sha256": received.sha256,
            "size": received.size,
        }
        path = f"{FILES_DIR}/{received.pk}-{get_valid_filename(received.original_name or 'documento') or 'documento'}"
        try:
            with received.file.open("rb") as source, archive.open(path, "w") as target:
                shutil.copyfileobj(source, target)
        except (FileNotFoundError, ValueError):
            entry["missing"] = True  # deleted by retention, or never stored
        else:
            entry["path"] = path
        manifest.append(entry)
    return manifest


class _JsonWriter:
    """Writes JSON text into a binary zip member, arrays element by element."""

    def __init__(self, raw):
        self.raw = raw

    def write(self, text: str) -> None:
        self.raw.write(text.encode("utf-8"))

    def array(self, items: Iterable[dict], on_chunk: Callable[[int], None] | None = None) -> None:
        self.write("[")
        count = 0
        for item in items:
            self.write(("," if count else "") + json.dumps(item, cls=DjangoJSONEncoder, ensure_ascii=False))
            count += 1
            if on_chunk is not None and count % CHUNK_ROWS == 0:
                on_chunk(count)
        self.write("]")
