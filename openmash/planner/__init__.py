"""Capacity planning pages (issue 6): scenarios calibrated from the hub's own records,
edited by hand, simulated in the background with `openmash.capacity`, compared side by
side; the staffing recommendation; and a replay of a recorded period to show how far
the model can be trusted."""
