import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("BALCAO_PROCESS", "web")  # web requests get the statement timeout (settings)
application = get_wsgi_application()
