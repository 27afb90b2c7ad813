from django.urls import URLPattern, path

from openmash.enquiries.views import corrections, notes, print_record, screening

# Routes for the screening pages, mounted under /mash/ in the "enquiries" namespace.
urlpatterns: list[URLPattern] = [
    path("queue/", screening.screening_queue_view, name="screening-queue"),
    path("queue/assign/", screening.screening_queue_assign_view, name="screening-queue-assign"),
    path("contacts/<str:reference>/", screening.screening_view, name="screening"),
    path("contacts/<str:reference>/take/", screening.screening_take_view, name="screening-take"),
    path(
        "contacts/<str:reference>/additions/read/",
        screening.screening_additions_read_view,
        name="screening-additions-read",
    ),
    path(
        "contacts/<str:reference>/release/",
        screening.screening_release_view,
        name="screening-release",
    ),
    path(
        "contacts/<str:reference>/assign/",
        screening.screening_assign_view,
        name="screening-assign",
    ),
    path("contacts/<str:reference>/rate/", screening.screening_rate_view, name="screening-rate"),
    path(
        "contacts/<str:reference>/enquiry/",
        screening.screening_open_enquiry_view,
        name="screening-open-enquiry",
    ),
    path(
        "contacts/<str:reference>/more-checks/",
        screening.screening_request_more_checks_view,
        name="screening-request-more-checks",
    ),
    path(
        "contacts/<str:reference>/propose-closure/",
        screening.screening_propose_closure_view,
        name="screening-propose-closure",
    ),
    path(
        "contacts/<str:reference>/pass-to-allocated-worker/",
        screening.screening_pass_to_worker_view,
        name="screening-pass-to-worker",
    ),
    path(
        "contacts/<str:reference>/matches/<int:link_id>/confirm/",
        screening.screening_link_confirm_view,
        name="screening-link-confirm",
    ),
    path(
        "contacts/<str:reference>/matches/<int:link_id>/reject/",
        screening.screening_link_reject_view,
        name="screening-link-reject",
    ),
    path(
        "contacts/<str:reference>/matches/<int:link_id>/undo/",
        screening.screening_link_undo_view,
        name="screening-link-undo",
    ),
    path(
        "contacts/<str:reference>/conflicts/<int:conflict_id>/resolve/",
        screening.screening_conflict_resolve_view,
        name="screening-conflict-resolve",
    ),
    path(
        "contacts/<str:reference>/conflicts/<int:conflict_id>/undo/",
        screening.screening_conflict_undo_view,
        name="screening-conflict-undo",
    ),
    path("contacts/<str:reference>/notes/", notes.case_notes_view, name="case-notes"),
    path("contacts/<str:reference>/print/", print_record.contact_print_view, name="contact-print"),
    path(
        "contacts/<str:reference>/people/<int:person_id>/correct/",
        corrections.person_correct_view,
        name="person-correct",
    ),
]
