from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from tenants.services import company_create


class Command(BaseCommand):
    help = "Create a company (or update its name). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--timezone", default=None)

    def handle(self, *args, slug, name, timezone, **options):
        try:
            validate_slug(slug)
        except ValidationError as exc:
            raise CommandError(f"Invalid slug '{slug}': use letters, numbers, hyphens and underscores.") from exc
        fields = {"timezone": timezone} if timezone else {}
        company, created = company_create(slug=slug, name=name, **fields)
        self.stdout.write(f"{'Created' if created else 'Updated'} company {company.slug} (id {company.pk}).")
