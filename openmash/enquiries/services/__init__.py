"""Every write in the MASH enquiry, one module per stage: screening, agency checks,
decisions, hand-ons, and emails tried again by hand. Each service is one transaction that
checks permission, validates, moves the contact's state through
openmash.enquiries.workflow, writes, and records its audit event; emails are sent only
once the transaction has committed. What they share (permission, row locks, text
checks, the audit event, and the refusals they raise) is in guards.

Callers import each service from its stage's module; nothing is re-exported here.
"""
