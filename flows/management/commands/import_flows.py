import json

from django.core.management.base import CommandError
from rest_framework.exceptions import ValidationError

from flows.services import flow_template_import
from tenants.commands import CompanyCommand


class Command(CompanyCommand):
    help = 'Import an exported flow template JSON file into a company as "Imported - <name>" (all or nothing).'

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("file")

    def handle(self, *args, **options):
        try:
            with open(options["file"], encoding="utf-8") as handle:
                document = json.load(handle)
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}") from exc
        except ValueError as exc:
            raise CommandError(f"{options['file']} is not JSON: {exc}") from exc
        try:
            template = flow_template_import(document=document)
        except ValidationError as exc:
            raise CommandError(f"Not a valid flow export: {json.dumps(exc.detail, ensure_ascii=False)}") from exc
        self.stdout.write(self.style.SUCCESS(f"Imported '{template.name}' (id {template.pk})"))
