from tests.enquiries.conftest import (  # noqa: F401 (fixtures)
    early_help_coordinator,
    manager,
    partner_agencies,
    researchers,
)
