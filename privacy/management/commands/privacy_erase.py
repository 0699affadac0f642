import sys

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from leads.commands import BAD_ARGUMENTS
from privacy.commands import PersonCommand
from privacy.models import PrivacyRequest
from privacy.services import person_erase_plan

CONFIRMATION = "apagar"


class Command(PersonCommand):
    help = (
        "Erase a person's data (LGPD): orders and payments stay for the books, without name, phone, e-mail or "
        "address; everything else is deleted, files included. An erasure record keeps who, when, why and counts."
    )
    kind = PrivacyRequest.Kind.ERASURE

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--reason", required=True, help="why (kept in the record: no name, e-mail or phone)")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, company, **options):
        customer = self.person(company, options)
        plan = person_erase_plan(company=company, customer=customer)
        for action, counts in (("deleted", plan["deleted"]), ("anonymised", plan["anonymised"])):
            listed = ", ".join(f"{label} {count}" for label, count in counts.items() if count)
            self.stdout.write(f"{action}: {listed or '-'}")
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError(_("Add --yes to erase without a terminal."), returncode=BAD_ARGUMENTS)
            answer = input(_("Type '%(word)s' to erase customer #%(id)s: ") % {"word": CONFIRMATION, "id": customer.pk})
            if answer.strip().lower() != CONFIRMATION:
                raise CommandError(_("Nothing erased."), returncode=1)
        request = self.run_request(company, customer, reason=options["reason"])
        self.stdout.write(_("Erased; record #%(id)s.") % {"id": request.pk})
