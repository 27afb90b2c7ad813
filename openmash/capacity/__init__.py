"""Capacity planning: a simulation of the MASH as a network of queues, and the staffing
that meets the manager's targets.

Pure Python and SimPy, no Django imports (a test checks it), so the engine can be run,
tested and benchmarked without a database; the Django app stores scenarios as the JSON
that `Scenario.to_dict()` gives and calls `simulate()` and `recommend_staffing()`.
"""
