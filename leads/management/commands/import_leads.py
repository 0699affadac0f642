from leads.commands import ImportCommand
from leads.models import ImportRun


class Command(ImportCommand):
    help = "Import Form Vibes leads from the company's WordPress database (idempotent)."

    def handle(self, *args, company, **options):
        self.run_import(company, ImportRun.Kind.LEADS, options)
