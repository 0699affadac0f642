from pathlib import Path

from django.utils.translation import gettext as _

from privacy.commands import PersonCommand
from privacy.models import PrivacyRequest


class Command(PersonCommand):
    help = (
        "Write a person's data (LGPD) to one zip: dados.json with every row about them in every app, and "
        "arquivos/ with the files they sent. Found by phone (any form) or e-mail."
    )
    kind = PrivacyRequest.Kind.EXPORT

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--output", help="zip file to write (default: lgpd-<empresa>-<customer id>.zip here)")

    def handle(self, *args, company, **options):
        customer = self.person(company, options)
        request = self.run_request(company, customer)
        output = Path(options.get("output") or f"lgpd-{company.slug}-{customer.pk}.zip")
        with request.file.open("rb") as source:
            output.write_bytes(source.read())
        request.file.delete(save=True)  # the zip is now the operator's file: no second copy in storage
        counts = ", ".join(f"{label} {count}" for label, count in request.counts.items() if count)
        self.stdout.write(_("Written %(path)s (%(counts)s).") % {"path": output, "counts": counts})
