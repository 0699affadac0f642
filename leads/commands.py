"""Shared shape of the import commands: period arguments, a terminal progress bar, the summary."""

import sys
import threading
import time
from datetime import date

from django.core.management.base import CommandError

from leads.models import ImportRun
from leads.periods import PRESETS, day_range, preset_range
from leads.progress import progress_get, progress_percent
from leads.services.imports import import_run_create, import_run_execute
from tenants.commands import CompanyCommand

BAR_WIDTH = 30


def parse_day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{name} must be a date as YYYY-MM-DD, got '{value}'.", returncode=2) from exc


class ImportCommand(CompanyCommand):
    kind_default = ImportRun.Kind.LEADS

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--start_date", help="YYYY-MM-DD (inclusive)")
        parser.add_argument("--end_date", help="YYYY-MM-DD (inclusive)")
        parser.add_argument("--periodo", choices=PRESETS, help="instead of the dates")

    def period(self, company, options):
        start, end, preset = options.get("start_date"), options.get("end_date"), options.get("periodo")
        if preset and (start or end):
            raise CommandError("Use either --periodo or --start_date/--end_date, not both.", returncode=2)
        if preset:
            return preset_range(preset, company.timezone)
        if not (start and end):
            raise CommandError("Give --start_date and --end_date (YYYY-MM-DD) or --periodo.", returncode=2)
        first, last = parse_day(start, "--start_date"), parse_day(end, "--end_date")
        if first > last:
            raise CommandError("--start_date is after --end_date.", returncode=2)
        return day_range(first, last, company.timezone)

    def run_import(self, company, kind, options, check_recovery=False) -> ImportRun:
        start, end = self.period(company, options)
        run = import_run_create(
            company=company, kind=kind, start=start, end=end, check_recovery=check_recovery, triggered_by="command"
        )
        if self.stdout.isatty():
            run = self._with_progress_bar(run)
        else:
            run = import_run_execute(run=run)
        self.stdout.write(run.summary_text)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(f"Import failed: {run.error}")
        return run

    def _with_progress_bar(self, run: ImportRun) -> ImportRun:
        result = {}
        worker = threading.Thread(target=lambda: result.setdefault("run", import_run_execute(run=run)))
        worker.start()
        while worker.is_alive():
            self._draw(run.pk)
            time.sleep(0.3)
        self._draw(run.pk)
        sys.stdout.write("\n")
        return result.get("run") or ImportRun.objects.get(pk=run.pk)

    def _draw(self, run_id: int) -> None:
        percent = progress_percent(run_id)
        filled = BAR_WIDTH * percent // 100
        counts = ", ".join(f"{kind} {p['done']}/{p['total']}" for kind, p in progress_get(run_id).items())
        sys.stdout.write(f"\r[{'#' * filled}{' ' * (BAR_WIDTH - filled)}] {percent:3d}% {counts}")
        sys.stdout.flush()
