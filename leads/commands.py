"""Shared shape of the import commands: period arguments, a terminal progress bar, the summary.

Bad arguments (unknown company (from CompanyCommand), malformed or reversed dates, --periodo with dates, unknown choices)
end with a one-line message and exit code 2, as argparse does for its own errors.
"""

import logging
import threading
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from exports.periods import PRESETS, day_range, preset_range
from leads.models import ImportRun
from leads.progress import IMPORTS, progress_get, progress_percent
from leads.services.imports import format_summary, import_run_create, import_run_execute, run_did_something
from tenants.commands import CompanyCommand

BAR_WIDTH = 30
REDRAW_SECONDS = 0.3
BAD_ARGUMENTS = 2  # the exit code argparse uses


def parse_day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            _("%(name)s must be a date as YYYY-MM-DD, got '%(value)s'.") % {"name": name, "value": value},
            returncode=BAD_ARGUMENTS,
        ) from exc


def progress_line(run_id: int, namespace: str = IMPORTS) -> str:
    """``[#######       ]  25% carts 50/200, orders 0/300`` from the run's live progress."""
    percent = progress_percent(run_id, namespace=namespace)
    filled = BAR_WIDTH * percent // 100
    parts = progress_get(run_id, namespace=namespace).items()
    counts = ", ".join(f"{kind} {p['done']}/{p['total']}" for kind, p in parts)
    return f"[{'#' * filled}{' ' * (BAR_WIDTH - filled)}] {percent:3d}% {counts}".rstrip()


class ProgressBar:
    """Redraws the run's progress line on a terminal while the job runs in this (the main) thread.

    The drawing thread only reads the cache, never the database, so the job keeps the command's
    own connection and transaction handling.
    """

    def __init__(self, stdout, run_id: int, namespace: str = IMPORTS):
        self.stdout, self.run_id, self.namespace = stdout, run_id, namespace
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._done.set()
        self._thread.join()
        self._draw()
        self.stdout.write("")  # end the line the bar was redrawn on

    def _loop(self):
        while not self._done.wait(REDRAW_SECONDS):
            self._draw()

    def _draw(self):
        self.stdout.write(f"\r{progress_line(self.run_id, self.namespace)}", ending="")
        self.stdout.flush()


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
            raise CommandError(
                _("Use either --periodo or --start_date/--end_date, not both."), returncode=BAD_ARGUMENTS
            )
        if preset:
            return preset_range(preset, company.timezone)
        if not (start and end):
            raise CommandError(
                _("Give --start_date and --end_date (YYYY-MM-DD) or --periodo (%(presets)s).")
                % {"presets": "|".join(PRESETS)},
                returncode=BAD_ARGUMENTS,
            )
        first, last = parse_day(start, "--start_date"), parse_day(end, "--end_date")
        if first > last:
            raise CommandError(_("--start_date is after --end_date."), returncode=BAD_ARGUMENTS)
        try:
            return day_range(first, last, company.timezone)
        except ValueError as exc:  # a day whose midnight no datetime can hold (9999-12-31's next)
            raise CommandError(str(exc), returncode=BAD_ARGUMENTS) from exc

    def run_import(self, company, kind, options, check_recovery=False) -> ImportRun:
        start, end = self.period(company, options)
        run = import_run_create(
            company=company, kind=kind, start=start, end=end, check_recovery=check_recovery, triggered_by="command"
        )
        with logs_to_file():
            if self.stdout.isatty():
                with ProgressBar(self.stdout, run.pk):
                    run = import_run_execute(run=run)
            else:
                run = import_run_execute(run=run)
        failed = run.status == ImportRun.Status.FAILED
        # A failure is said once (below, on stderr); the counts only when some rows were read before it.
        if not failed or run_did_something(run):
            self.stdout.write(format_summary(run, with_error=False))
        if failed:
            raise CommandError(_("Import failed: %(error)s") % {"error": run.error})
        return run


@contextmanager
def logs_to_file():
    """While an import command runs, the project's structured (JSON) log lines go to the log file
    (settings.COMMAND_LOG_FILE, default <VAR_DIR>/log/commands.log), not to the terminal the person reads."""
    path = Path(getattr(settings, "COMMAND_LOG_FILE", "") or Path(settings.VAR_DIR) / "log" / "commands.log")
    root = logging.getLogger()
    moved = [h for h in root.handlers if type(h) is logging.StreamHandler]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        yield  # no writable log file: the lines stay where they were
        return
    if moved:
        handler.setFormatter(moved[0].formatter)
    for old in moved:
        root.removeHandler(old)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
        for old in moved:
            root.addHandler(old)
