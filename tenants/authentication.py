"""API token authentication: `Authorization: Token <key>`, each token bound to one company."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from tenants.models import ApiToken
from tenants.services import api_token_find


class CompanyTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        token = api_token_find(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        ApiToken.objects.for_company(token.company_id).filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token
