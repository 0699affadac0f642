"""Base for management commands that act on one company: `--empresa=<slug>` sets the scope."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tenants.models import Company
from tenants.scoping import company_scope


class CompanyCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--empresa", required=True, help="Company slug")

    def execute(self, *args, **options):
        slug = options.get("empresa")
        company = Company.objects.filter(slug=slug).first()
        if company is None:
            raise CommandError(  # exit code 2, as argparse uses for a bad argument
                _("Company '%(slug)s' does not exist (python manage.py create_company %(slug)s --name ...).")
                % {"slug": slug},
                returncode=2,
            )
        options["company"] = company
        with company_scope(company):
            return super().execute(*args, **options)
