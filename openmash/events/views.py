"""Administrators' pages for the event outbox: the endpoints each receiving team's and
agency's events are sent to, and the deliveries the receiving systems did not take, each
with a button to try it again."""

import os

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from openmash.core.audit import Actor
from openmash.core.errors import FieldErrors
from openmash.core.forms import error_summary
from openmash.core.permissions import requires
from openmash.events.delivery import SECRET_MIN_LENGTH
from openmash.events.forms import EndpointForm, recipient_value
from openmash.events.models import Delivery, DeliveryStatus, WebhookEndpoint
from openmash.events.presenters import DeliveryRow, EndpointRow
from openmash.events.selectors import endpoint_get, endpoints_all, failed_deliveries
from openmash.events.services import (
    DeliveryNotRetryable,
    EndpointInput,
    delivery_retry,
    endpoint_create,
    endpoint_update,
)


def _secret_set(endpoint: WebhookEndpoint) -> bool:
    return len(os.environ.get(endpoint.secret_variable, "")) >= SECRET_MIN_LENGTH


@requires("events.manage_endpoints")
def endpoint_list_view(request: HttpRequest) -> HttpResponse:
    rows = [EndpointRow(endpoint, _secret_set(endpoint)) for endpoint in endpoints_all()]
    return render(request, "events/endpoints.html", {"rows": rows})


def _input(form: EndpointForm) -> EndpointInput:
    data = form.cleaned_data
    return EndpointInput(
        name=data["name"],
        recipient=data["recipient"],
        url=data["url"],
        secret_variable=data["secret_variable"],
        active=data["active"] == "yes",
    )


def _endpoint_form_page(
    request: HttpRequest, form: EndpointForm, endpoint: WebhookEndpoint | None
) -> HttpResponse:
    return render(
        request,
        "events/endpoint_form.html",
        {"form": form, "endpoint": endpoint, "error_summary": error_summary(form)},
        status=400 if form.is_bound else 200,
    )


def _save(request: HttpRequest, endpoint: WebhookEndpoint | None) -> HttpResponse:
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _endpoint_form_page(request, form, endpoint)
    actor = Actor.from_request(request)
    try:
        if endpoint is None:
            saved = endpoint_create(actor=actor, data=_input(form))
        else:
            saved = endpoint_update(actor=actor, endpoint_id=endpoint.pk, data=_input(form))
    except FieldErrors as invalid:
        for name, message in invalid.errors.items():
            form.add_error(name if name in form.fields else None, message)
        return _endpoint_form_page(request, form, endpoint)
    messages.success(request, f"{saved.name} saved.")
    return redirect("events:endpoints")


@requires("events.manage_endpoints")
def endpoint_create_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, None)
    return _endpoint_form_page(request, EndpointForm(initial={"active": "yes"}), None)


@requires("events.manage_endpoints")
def endpoint_edit_view(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    try:
        endpoint = endpoint_get(endpoint_id)
    except WebhookEndpoint.DoesNotExist as missing:
        raise Http404 from missing
    if request.method == "POST":
        return _save(request, endpoint)
    form = EndpointForm(
        initial={
            "name": endpoint.name,
            "recipient": recipient_value(endpoint),
            "url": endpoint.url,
            "secret_variable": endpoint.secret_variable,
            "active": "yes" if endpoint.active else "no",
        }
    )
    return _endpoint_form_page(request, form, endpoint)


def _failed_page(request: HttpRequest, problem: str = "", status: int = 200) -> HttpResponse:
    actor = Actor.from_request(request)
    rows = [DeliveryRow(delivery) for delivery in failed_deliveries(actor=actor)]
    return render(
        request,
        "events/failed_deliveries.html",
        {"rows": rows, "problem": problem},
        status=status,
    )


@requires("events.view_failed_deliveries")
def failed_deliveries_view(request: HttpRequest) -> HttpResponse:
    return _failed_page(request)


@requires("events.retry_delivery")
@require_POST
def delivery_retry_view(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """Try a failed delivery again now; the page then says how it went."""
    get_object_or_404(Delivery, pk=delivery_id)
    try:
        delivery = delivery_retry(actor=Actor.from_request(request), delivery_id=delivery_id)
    except DeliveryNotRetryable as refused:
        return _failed_page(request, str(refused), status=409)
    # The attempt is queued as the service's transaction commits: by now it has been.
    delivery.refresh_from_db()
    if delivery.status == DeliveryStatus.DELIVERED:
        messages.success(request, "The event was delivered.")
    elif delivery.status == DeliveryStatus.FAILED:
        return _failed_page(request, f"The event still could not be delivered: {delivery.failure}.")
    else:
        messages.success(request, "The event will be delivered shortly.")
    return redirect("events:failed-deliveries")
