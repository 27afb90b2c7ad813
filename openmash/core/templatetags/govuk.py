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


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    """mapping[key] in a template, or None."""
    return mapping.get(key) if isinstance(mapping, dict) else None
