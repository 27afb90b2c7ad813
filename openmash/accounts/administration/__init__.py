"""The user administration pages (issue 16, item 5): the area's people, their agencies and
roles, on GOV.UK pages instead of Django's admin (docs/adr/0029-user-administration.md)."""
