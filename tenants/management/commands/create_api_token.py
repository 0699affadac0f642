from django.core.management.base import BaseCommand, CommandError

from tenants.models import Company, Membership
from tenants.selectors import membership_for
from tenants.services import api_token_issue, membership_set, user_ensure


class Command(BaseCommand):
    help = "Print the API token of <username> in <slug>, creating the user (as manager) and token if absent."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("username")

    def handle(self, *args, slug, username, **options):
        company = Company.objects.filter(slug=slug).first()
        if company is None:
            raise CommandError(f"Company '{slug}' does not exist.")
        user, _ = user_ensure(username=username)
        if membership_for(user, company) is None:
            membership_set(company=company, user=user, role=Membership.Role.MANAGER)
        self.stdout.write(api_token_issue(company=company, user=user))
