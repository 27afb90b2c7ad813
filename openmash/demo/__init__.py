"""Demonstration data: the seeder behind `make run`, the workflow it drives contacts
through, and the worked capacity scenario. Nothing in production imports it; it sits on
top of the other apps and uses their services like any other caller."""
