from django.core.management.base import BaseCommand

from tenants.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo company 'Pizzaria Demo' (slug pizzaria-demo) and its staff login. Idempotent."

    def handle(self, *args, **options):
        company, username, password = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo company: {company.name} ({company.slug})"))
        self.stdout.write(f"Admin login: http://127.0.0.1:8000/admin/  user: {username}  password: {password}")
