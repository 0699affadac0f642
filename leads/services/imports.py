"""Imports from the company's WordPress database into ImportRun history, batch by batch.

Each batch is written in its own transaction (never half a batch); progress is in the cache while
the run goes; the run ends succeeded (with per-kind created/updated/skipped/failed) or failed with a
message a person can act on. Importers per kind are registered, so carts and orders plug in beside
leads.
"""

import dataclasses
import gc
import itertools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.services import bulk_update_stamped, customer_ids_resolve, person_of
from integrations.errors import IntegrationError
from integrations.wordpress.connection import (
    describe_failure,
    find_missing_tables,
    missing_tables_check,
    open_connection,
)
from integrations.wordpress.formvibes import FormLead, count_form_leads, mapped_key_found, read_form_leads
from integrations.wordpress.options import wordpress_timezone
from leads.models import ImportRun, Lead
from leads.progress import progress_set
from leads.source_config import ImportOptions, SourceNotConfigured, import_options_for
from tenants.models import Company
from tenants.tasks import task_publish_on_commit

logger = structlog.get_logger(__name__)

BATCH_SIZE = 500
TIMEZONE_KEY = "timezone"  # run.summary's entry for the site's zone used ({"name", "source"}), not a kind
MAX_ERRORS_KEPT = 10


class ImportAborted(Exception):
    """The source cannot be read (unreachable, refused, missing tables): the run fails with this message."""


@dataclass
class KindSummary:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    ignored: int = 0  # source rows that are not what this kind imports (e.g. checkout drafts)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # imported, but something was off (says which row)

    def error(self, message: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(message)

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_ERRORS_KEPT:
            self.warnings.append(message)

    def add(self, other: "KindSummary") -> None:
        """Count a committed batch in (a batch that rolled back is never added)."""
        self.created += other.created
        self.updated += other.updated
        self.skipped += other.skipped
        self.failed += other.failed
        self.ignored += other.ignored
        self.errors += other.errors[: MAX_ERRORS_KEPT - len(self.errors)]
        self.warnings += other.warnings[: MAX_ERRORS_KEPT - len(self.warnings)]

    def as_dict(self) -> dict:
        """created/updated/skipped/failed/errors always; ignored and warnings only when there are some."""
        figures = {k: getattr(self, k) for k in ("created", "updated", "skipped", "failed", "errors")}
        if self.ignored:
            figures["ignored"] = self.ignored
        if self.warnings:
            figures["warnings"] = list(self.warnings)
        return figures


Importer = Callable[[object, ImportOptions, ImportRun, KindSummary], None]
IMPORTERS: dict[str, Importer] = {}
KINDS_OF_RUN = {"leads": ("leads",), "carts": ("carts",), "orders": ("orders",), "all": ("carts", "orders")}


def register_importer(kind: str, importer: Importer) -> None:
    IMPORTERS[kind] = importer


def batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


class _Raised:
    def __init__(self, error: BaseException):
        self.error = error


_END = object()


@contextmanager
def fewer_gc_passes(first_generation: int = 50_000) -> Iterator[None]:
    """Let the cyclic garbage collector run less often during a bulk import: each row's short-lived
    objects (tuples, dicts, dataclasses) would otherwise start a collection every 700 allocations,
    ~10% of the import's time. Reference counting still frees them at once; only cycles wait longer.
    The setting is process-wide: restored when the block ends."""
    before = gc.get_threshold()
    gc.set_threshold(max(first_generation, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextmanager
def read_ahead(batches: Iterator[list], depth: int = 2) -> Iterator[Iterator[list]]:
    """The same batches, read up to `depth` ahead by a background thread, so that reading the source
    (the store's server working, the network, decoding) overlaps writing the previous batch here.

    The thread alone uses the source connection until the block ends; an error it meets is raised
    where the batch would have been. Leaving the block (done, or on an error here) stops the thread,
    closes `batches` there and waits for it. Memory holds at most depth + 2 batches."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not hand_over(batch):
                    return
            hand_over(_END)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            hand_over(_Raised(error))
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    def consume() -> Iterator[list]:
        while (item := ready.get()) is not _END:
            if isinstance(item, _Raised):
                raise item.error
            yield item

    reader = threading.Thread(target=produce, name="import-read-ahead", daemon=True)
    reader.start()
    try:
        yield consume()
    finally:
        stop.set()
        reader.join()


@contextmanager
def write_behind(
    write: Callable[[object], None], depth: int = 1, writers: int = 1
) -> Iterator[Callable[[object], None]]:
    """A `submit(item)` that hands `item` to `write` in one of `writers` background threads, each with
    its own database connection, so that PostgreSQL writing (and committing) batches overlaps this
    thread preparing the next, and two server processes share the work (a batch's commit runs its
    per-row foreign key checks: one backend alone leaves a core idle). At most `depth` items wait;
    `submit` blocks beyond that.

    Each item is written in its own transaction (write's own); with several writers, items may commit
    out of order, so `write` must only take items that touch disjoint rows, and be thread-safe in what
    it counts. An error stops every writer: items still waiting are dropped, and the error is raised
    here, by the next `submit` or when the block ends. Leaving the block waits for the writes in
    flight. Only on PostgreSQL and outside a transaction (another connection cannot see this one's
    uncommitted rows, and SQLite takes one writer at a time): otherwise `submit` writes at once, here."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield write
        return
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    failed: list[BaseException] = []

    def work() -> None:
        try:
            while (item := waiting.get()) is not _END:
                if not failed:
                    try:
                        write(item)
                    except BaseException as error:  # noqa: BLE001 - raised in the submitting thread
                        failed.append(error)
        finally:
            connections.close_all()  # this thread's connection: never left open behind a finished import

    def submit(item) -> None:
        if failed:
            raise failed[0]
        waiting.put(item)

    threads = [threading.Thread(target=work, name="import-write-behind", daemon=True) for _ in range(writers)]
    for thread in threads:
        thread.start()
    try:
        yield submit
    finally:
        for _writer in threads:
            waiting.put(_END)
        for thread in threads:
            thread.join()
    if failed:
        raise failed[0]


def import_run_create(
    *, company: Company, kind: str, start: datetime, end: datetime, check_recovery: bool = False, triggered_by: str = ""
) -> ImportRun:
    if start >= end:
        raise ValueError(_("The start of the period must be before its end."))
    return ImportRun.objects.for_company(company).create(
        company=company,
        kind=kind,
        period_start=start,
        period_end=end,
        check_recovery=check_recovery,
        triggered_by=triggered_by,
    )


def import_run_enqueue(run: ImportRun) -> None:
    """Queue `run` on the `imports` queue once the caller's transaction commits. When the broker
    refuses it, the run is marked failed with the reason, so staff see it in the history instead of
    a run queued forever."""
    from leads.tasks import import_run_task  # noqa: PLC0415 - the task module imports this one

    def say_unqueued(error: Exception) -> None:
        ImportRun.objects.for_company(run.company_id).filter(pk=run.pk, status=ImportRun.Status.QUEUED).update(
            status=ImportRun.Status.FAILED,
            finished_at=timezone.now(),
            error=_("The import could not be queued (task queue unreachable: %(error)s). Start it again.")
            % {"error": type(error).__name__},
        )

    task_publish_on_commit(import_run_task, on_refused=say_unqueued, company_id=run.company_id, run_id=run.pk)


def import_run_execute(*, run: ImportRun) -> ImportRun:
    """Run the import now (in this process). Safe to call once per run; a finished run is left alone."""
    claimed = (
        ImportRun.objects.for_company(run.company_id)
        .filter(pk=run.pk, status=ImportRun.Status.QUEUED)
        .update(status=ImportRun.Status.RUNNING, started_at=timezone.now())
    )
    run.refresh_from_db()
    if not claimed:
        return run
    summaries = {kind: KindSummary() for kind in KINDS_OF_RUN[run.kind]}
    zone = None  # the site's time zone used, shown in the summary (carts and orders)
    try:
        options = import_options_for(run.company)
        with ExitStack() as stack:
            try:
                conn = stack.enter_context(open_connection(options.source))
            except IntegrationError as exc:
                raise ImportAborted(describe_failure(options.source, exc).message) from exc
            # Every table the run needs is checked first: a wrong prefix or a missing plugin stops
            # the run before anything is written, not after the carts went in and the orders failed.
            missing = find_missing_tables(conn, options.source, options.required_tables(list(summaries)))
            if missing:
                raise ImportAborted(missing_tables_check(missing).message)
            if options.timezone_source != "setting" and {"carts", "orders"} & set(summaries):
                found = wordpress_timezone(conn, options.source.table_prefix)
                if found:
                    options = dataclasses.replace(options, site_timezone=found, timezone_source="wordpress")
            if {"carts", "orders"} & set(summaries):
                zone = {"name": options.site_timezone, "source": options.timezone_source}
            for kind, summary in summaries.items():
                if kind not in IMPORTERS:
                    raise IntegrationError(f"No importer for {kind} is installed.")
                IMPORTERS[kind](conn, options, run, summary)
    except (SourceNotConfigured, ImportAborted, IntegrationError, ValueError) as exc:
        run.status, run.error = ImportRun.Status.FAILED, str(exc)
        logger.warning("import_failed", run=run.pk, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a run must never stay "running"; the batch in flight rolled back
        run.status, run.error = ImportRun.Status.FAILED, _("Unexpected error: %(error)s") % {"error": exc}
        logger.exception("import_crashed", run=run.pk)
    else:
        run.status = ImportRun.Status.SUCCEEDED
    if {"carts", "orders"} & set(summaries):
        from leads.recovery import recovery_refresh  # noqa: PLC0415 - recovery reads the models this module fills

        recovery_refresh(run.company)  # whatever batches went in: carts and orders matched once, stored
    run.finished_at = timezone.now()
    run.summary = {kind: summary.as_dict() for kind, summary in summaries.items()}
    if zone:
        run.summary[TIMEZONE_KEY] = zone
    run.summary_text = format_summary(run)
    run.save(update_fields=["status", "error", "finished_at", "summary", "summary_text"])
    return run


def run_did_something(run: ImportRun) -> bool:
    """Whether any row was read (created, updated, unchanged, failed or ignored) in any kind of the run."""
    return any(
        counts.get(name)
        for kind, counts in run.summary.items()
        if kind != TIMEZONE_KEY
        for name in ("created", "updated", "skipped", "failed", "ignored")
    )


def format_summary(run: ImportRun, *, with_error: bool = True) -> str:
    """The run's summary for people: counts per kind, warnings, the site's zone, duration, the error."""
    lines = []
    for kind, counts in run.summary.items():
        if kind == TIMEZONE_KEY:
            continue
        lines.append(
            _("%(kind)s: %(created)s created, %(updated)s updated, %(skipped)s unchanged, %(failed)s failed")
            % {"kind": kind, **counts}
        )
        if counts.get("ignored"):
            lines.append(_("  %(ignored)s ignored (not orders: checkout drafts, trash)") % counts)
        lines += [f"  - {error}" for error in counts.get("errors", [])]
        lines += [_("  ! %(warning)s") % {"warning": warning} for warning in counts.get("warnings", [])]
    zone = run.summary.get(TIMEZONE_KEY)
    if zone:
        source = {"setting": _("company setting"), "wordpress": _("WordPress"), "company": _("company")}
        lines.append(
            _("Site time zone: %(name)s (from %(source)s)")
            % {"name": zone["name"], "source": source.get(zone["source"], zone["source"])}
        )
    if run.started_at and run.finished_at:
        lines.append(_("Duration: %(seconds).1f s") % {"seconds": (run.finished_at - run.started_at).total_seconds()})
    if run.error and with_error:
        lines.append(_("Error: %(error)s") % {"error": run.error})
    return "\n".join(lines)


# --- Leads (Form Vibes) -----------------------------------------------------------------------

LEAD_FIELDS = ("customer", "form_id", "name", "phone_raw", "phone", "email", "size", "extra", "submitted_at")


def import_leads(conn, options: ImportOptions, run: ImportRun, summary: KindSummary) -> None:
    prefix = options.source.table_prefix
    total = count_form_leads(conn, prefix, run.period_start, run.period_end)
    done = 0
    progress_set(run.pk, "leads", done=0, total=total)
    rows = read_form_leads(conn, prefix, options.field_map, run.period_start, run.period_end)
    keys_seen: set[str] = set()
    for batch in batched(rows, BATCH_SIZE):
        counts = KindSummary()
        with transaction.atomic():
            leads_upsert(company=run.company, rows=batch, summary=counts)
        summary.add(counts)
        for row in batch:
            keys_seen |= row.keys
        done += len(batch)
        progress_set(run.pk, "leads", done=done, total=max(total, done))
    if done:
        for warning in unmapped_key_warnings(options.field_map, keys_seen):
            summary.warn(warning)


MAPPING_SETTINGS = (
    ("fv_field_nome", "name_key"),
    ("fv_field_whatsapp", "phone_key"),
    ("fv_field_tamanho", "size_key"),
    ("fv_field_email", "email_key"),
)


def unmapped_key_warnings(field_map, keys_seen: set[str]) -> list[str]:
    """One warning per mapped Form Vibes key that no entry of the run has, naming the keys that do appear."""
    found = ", ".join(sorted(keys_seen)) or "-"
    warnings = []
    for setting, attribute in MAPPING_SETTINGS:
        mapped = getattr(field_map, attribute)
        if mapped and not mapped_key_found(mapped, keys_seen):
            warnings.append(
                _("The field %(key)s (setting %(setting)s) is in none of the entries; their fields are: %(found)s")
                % {"key": mapped, "setting": setting, "found": found}
            )
    return warnings


def leads_upsert(*, company: Company, rows: list[FormLead], summary: KindSummary) -> None:
    """Create or update one batch of leads (and their customers). Idempotent by (source, entry id)."""
    manager = Lead.objects.for_company(company)
    existing = {
        lead.external_id: lead
        for lead in manager.filter(source=Lead.Source.FORM_VIBES, external_id__in=[str(r.entry_id) for r in rows])
    }
    people = [person_of(r.name or "", r.phone_raw or "", r.email or "") for r in rows]
    customer_ids, _created = customer_ids_resolve(company=company, people=people, source=_("lead"))
    new, changed = [], []
    for row, person, customer_id in zip(rows, people, customer_ids, strict=True):
        values = {
            "customer_id": customer_id,
            "form_id": row.form_id or "",
            "name": (row.name or "")[:200],
            "phone_raw": (row.phone_raw or "")[:64],
            "phone": person.phone,
            "email": person.email_kept[:254],
            "size": (row.size or "")[:50],
            "extra": row.extra,
            "submitted_at": row.submitted_at,
        }
        lead = existing.get(str(row.entry_id))
        if lead is None:
            new.append(Lead(company=company, source=Lead.Source.FORM_VIBES, external_id=str(row.entry_id), **values))
        elif any(getattr(lead, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(lead, name, value)
            changed.append(lead)
        else:
            summary.skipped += 1
    manager.bulk_create(new)
    bulk_update_stamped(manager, changed, LEAD_FIELDS)
    summary.created += len(new)
    summary.updated += len(changed)


register_importer("leads", import_leads)
