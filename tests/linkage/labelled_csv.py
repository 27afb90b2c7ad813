"""Labelled CSV files as an area's analysts give them to `bench/linkage_accuracy.py
--dataset` (the columns the README documents), for the tests of the accuracy benchmark."""

import csv
from pathlib import Path

from openmash.linkage.synthetic import synthetic_records

COLUMNS = [
    "unique_id",
    "person_id",
    "household_id",
    "given_names",
    "family_name",
    "date_of_birth",
    "sex",
    "address_line1",
    "postcode",
    "nhs_number",
    "upn",
]


def write_rows(path: Path, rows: list[dict[str, object]]) -> None:
    """The rows as a CSV of COLUMNS, with its header; a column a row leaves out is
    written empty."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def synthetic_rows(count: int, *, seed: int) -> list[dict[str, object]]:
    """The generator's records as an area's labelled CSV rows, some with no household,
    sex or address."""
    rows = []
    for n, record in enumerate(synthetic_records(count, seed=seed)):
        dob = record["date_of_birth"]
        rows.append(
            {
                "unique_id": f"u{n}",
                "person_id": f"p{record['truth_id']}",
                # Some rows without a household: it may be empty.
                "household_id": f"h{record['household_id']}" if n % 10 else "",
                "given_names": record["given_names"],
                "family_name": record["family_name"],
                "date_of_birth": dob.isoformat() if dob else "",  # type: ignore[attr-defined]
                "sex": record["sex"] or ("U" if n % 7 == 0 else ""),
                "address_line1": "" if n % 3 else "1 High Street",
                "postcode": record["postcode"],
                "nhs_number": record["nhs_number"],
                "upn": record["upn"],
            }
        )
    return rows
