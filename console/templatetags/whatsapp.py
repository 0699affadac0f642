from django import template

from console.preview import whatsapp_html

register = template.Library()


@register.filter(name="whatsapp")
def whatsapp(text):
    """A message's text as WhatsApp shows it (see console.preview.whatsapp_html)."""
    return whatsapp_html(str(text or ""))
