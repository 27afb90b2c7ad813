from typing import Any

from django import template
from django.forms import BoundField

register = template.Library()


@register.filter
def shown_errors(field: BoundField) -> list[Any]:
    """The field's errors, unless the form is a restored draft shown without them."""
    if getattr(field.form, "suppress_errors", False):
        return []
    return list(field.errors)
