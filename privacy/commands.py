"""Shared shape of the LGPD commands: `--empresa`, the person by `--phone` or `--email`, a progress
bar on a terminal. A person not found, or a phone that is not one, ends with exit code 2."""

import argparse

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.phones import normalize_phone
from leads.commands import BAD_ARGUMENTS, ProgressBar
from privacy.models import PrivacyRequest
from privacy.selectors import person_find
from privacy.services import PROGRESS_NAMESPACE, privacy_request_create, privacy_request_execute
from tenants.commands import CompanyCommand


class PersonCommand(CompanyCommand):
    kind: str

    def add_arguments(self, parser: argparse.ArgumentParser):
        super().add_arguments(parser)
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--phone", help="any form, with or without the ninth digit")
        who.add_argument("--email")

    def person(self, company, options) -> Customer:
        phone, email = options.get("phone") or "", options.get("email") or ""
        if phone and normalize_phone(phone) is None:
            raise CommandError(_("'%(phone)s' is not a phone number.") % {"phone": phone}, returncode=BAD_ARGUMENTS)
        customer = person_find(company=company, phone=phone, email=email)
        if customer is None:
            raise CommandError(
                _("Nobody with %(who)s in %(company)s.") % {"who": phone or email, "company": company.slug},
                returncode=BAD_ARGUMENTS,
            )
        return customer

    def run_request(self, company, customer, reason: str = "") -> PrivacyRequest:
        """Record and run the request here (no worker needed), with a progress bar on a terminal."""
        try:
            request = privacy_request_create(
                company=company, customer=customer, kind=self.kind, requested_by="command", reason=reason
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages), returncode=BAD_ARGUMENTS) from exc
        if self.stdout.isatty():
            with ProgressBar(self.stdout, request.pk, namespace=PROGRESS_NAMESPACE):
                request = privacy_request_execute(request=request)
        else:
            request = privacy_request_execute(request=request)
        if request.status == PrivacyRequest.Status.FAILED:
            raise CommandError(_("Failed: %(error)s") % {"error": request.error})
        return request
