"""What every page carries (issue 16, item 6): the favicon and icons from GOV.UK Frontend's
assets, and red (warning) buttons kept for actions that destroy something."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "openmash" / "templates"

# The actions that destroy something a person cannot get back, so the only ones with
# GOV.UK's red warning button (govuk-button--warning). An alternative to the main action
# ("Not the same", "Do not agree", "Return to the MASH") is a secondary button.
# Releasing a legal hold lets the retention job anonymise the contact, which cannot be undone.
# Deactivating an account ends every session of the person's at once, whatever they were
# in the middle of (docs/adr/0029-user-administration.md).
# Resetting someone's two-factor sign-in deletes their authenticator apps and recovery codes.
DESTRUCTIVE = {
    "Discard draft",
    "Yes, discard the draft",
    "Release the hold",
    "Deactivate account",
    "Reset two-factor sign-in",
    "Remove security key",
}
WARNING_BUTTON = re.compile(r"<button[^>]*govuk-button--warning[^>]*>(?P<text>[^<]*)", re.S)


def test_every_page_links_the_favicon_and_icons_and_they_exist(db: None) -> None:
    page = Client().get(reverse("accounts:sign-in")).content.decode()

    links = dict(
        re.findall(
            r'<link rel="(icon|mask-icon|apple-touch-icon|manifest)"[^>]*href="([^"]+)"', page
        )
    )
    assert set(links) == {"icon", "mask-icon", "apple-touch-icon", "manifest"}
    assert '<link rel="icon" sizes="48x48" href="/static/assets/images/favicon.ico">' in page
    assert 'href="/static/assets/images/favicon.svg" type="image/svg+xml"' in page
    for href in re.findall(
        r'<link rel="(?:icon|mask-icon|apple-touch-icon|manifest)"[^>]*href="([^"]+)"', page
    ):
        assert finders.find(href.removeprefix("/static/")), f"{href} is not a static file"


def test_only_destructive_actions_have_a_red_button() -> None:
    found = {
        (path.relative_to(TEMPLATES).as_posix(), match["text"].strip())
        for path in TEMPLATES.rglob("*.html")
        for match in WARNING_BUTTON.finditer(path.read_text())
    }

    misused = {(path, text) for path, text in found if text not in DESTRUCTIVE}
    assert not misused, f"Warning (red) buttons on actions that destroy nothing: {misused}"
    assert {text for _, text in found} == DESTRUCTIVE
