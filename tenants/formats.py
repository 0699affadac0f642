"""Money as Brazilians read it, on every admin list: R$ 1.234,56 (the money columns are the models'
two-decimal fields)."""

from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models


def brl(value) -> str:
    """R$ 1.234,56 (— for no value)."""
    if value is None or value == "":
        return "—"
    text = f"{Decimal(value):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"R$ {text}"


def is_money_field(field) -> bool:
    return isinstance(field, models.DecimalField) and field.decimal_places == 2


def money_column(field):
    """A list column showing `field` as R$, titled and sorted like the field itself."""

    @admin.display(description=field.verbose_name, ordering=field.name)
    def show(obj):
        return brl(getattr(obj, field.name))

    show.__name__ = f"{field.name}_brl"
    return show


def money_list_display(model, names, editable=()) -> list:
    """`names` with each money field replaced by its R$ column (not the ones edited in the list)."""
    shown = []
    for name in names:
        field = None
        if isinstance(name, str) and name not in editable:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:  # an admin method or "__str__"
                field = None
        shown.append(money_column(field) if field is not None and is_money_field(field) else name)
    return shown
