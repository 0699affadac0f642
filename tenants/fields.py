"""Model field for credentials stored encrypted at rest and never rendered back."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants import crypto


class EncryptedTextField(models.TextField):
    """Holds plaintext in Python, Fernet ciphertext in the database.

    Forms show an empty password input; leaving it blank keeps the stored value.
    """

    description = _("Encrypted text")

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(value)

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.CharField,
            "widget": forms.PasswordInput(render_value=False),
            "required": False,
            "help_text": _("Stored encrypted. Leave blank to keep the current value."),
        }
        defaults.update(kwargs)
        defaults["widget"] = forms.PasswordInput(render_value=False)
        return super().formfield(**defaults)

    def save_form_data(self, instance, data):
        if data in (None, ""):
            return
        super().save_form_data(instance, data)
