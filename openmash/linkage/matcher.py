"""The live matcher: who in the person index might this person be? (issue 4, item 4)

Candidate search uses the database indexes only (one capped, indexed query per key: see
`candidate_keys`; most need no date of birth, or tolerate a wrong one).
Each candidate is then scored in Python with the trained model's match weights, by the
same comparisons and formula Splink uses (openmash.linkage.comparisons), so the
probability agrees with Splink's for the same pair.

The model is read once per process and read again only when the current model file, or
its modification time, changes.
"""

import json
import logging
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from openmash.contacts.models import ContactPerson
from openmash.linkage.comparisons import (
    COMPARISONS,
    MatchModel,
    ModelMismatch,
    Record,
    ScoredComparison,
    comparison_record,
    comparison_record_for_person,
    match_model_from_splink,
    match_probability,
    other_names_standard,
    score_levels,
    score_pair,
)
from openmash.linkage.models import IndexedPerson
from openmash.linkage.training import DEFAULT_MODEL, current_model_path

logger = logging.getLogger(__name__)

# Most rows any one candidate query returns: a common date of birth in a big index.
CANDIDATES_PER_KEY = 200
_COLUMNS = (
    "id",
    "given_names",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "postcode",
    "nhs_number",
    "upn",
    "given_std",
    "given_forms",
    "family_std",
    "family_parts",
    "family_sound",
    "given_sound",
    "postcode_std",
    "postcode_outward",
    "nhs_valid",
    "upn_valid",
)


@dataclass(frozen=True)
class Candidate:
    """One possible match from the index, best first in `match_person`'s answer."""

    indexed_person_id: int
    probability: float
    match_weight: float
    # Per field, in words: "same date of birth", "surname similar: Smyth/Smith".
    explanation: list[str]
    model_version: str


_cache: dict[str, Any] = {}


def models_directory() -> Path:
    return Path(settings.VAR_DIR) / "match-models"


def current_model() -> MatchModel:
    """The trained model (the latest in VAR_DIR/match-models, else the shipped default),
    read once per process and again only when the file or its mtime changes. A trained
    model whose comparisons no longer fit these (trained before an upgrade) is passed
    over for the default until the model is retrained."""
    path = current_model_path(models_directory())
    key = (str(path), os.stat(path).st_mtime_ns)
    if _cache.get("key") != key:
        try:
            model = _model_from(path)
        except ModelMismatch:
            logger.warning("Match model %s does not fit the comparisons; using the default", path)
            model = _model_from(DEFAULT_MODEL)
        _cache["key"] = key
        _cache["model"] = model
    cached: MatchModel = _cache["model"]
    return cached


def _model_from(path: Path) -> MatchModel:
    return match_model_from_splink(json.loads(path.read_text(encoding="utf-8")), version=path.stem)


def explanation_words(
    parts: list[ScoredComparison], left_shown: dict[str, Any], right_shown: dict[str, Any]
) -> list[str]:
    """The level of each comparison, in words, with the two values where they differ."""
    words = []
    for part in parts:
        level = part.comparison.levels[part.level_index]
        if level.is_null or not level.words:
            continue
        field = part.comparison.shown_field
        words.append(
            level.words.format(
                left=_shown(left_shown.get(field)), right=_shown(right_shown.get(field))
            )
        )
    return words


def _shown(value: Any) -> str:
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    return str(value or "").strip()


def pair_score(
    left: Record, right: Record, *, model: MatchModel | None = None
) -> tuple[float, float, list[ScoredComparison]]:
    """(match weight, probability, levels) of two comparison records with the model."""
    return score_pair(model or current_model(), left, right)


def _swapped(day: date) -> date | None:
    if day.day > 12 or day.day == day.month:
        return None
    return date(day.year, day.day, day.month)


# A key whose condition ends with this gives its own order (one its index serves), and
# may give a lower cap.
_ORDER = "ORDER BY"
_LIMIT = "LIMIT"
# The cap of the broadest key (surname sound and first-name initial, no date of birth):
# it is scored in Python, row by row.
BROAD_KEY_CANDIDATES = 50


def _year_retyped(day: date) -> list[date]:
    """The date with the year's last or tens digit typed differently (the same day and
    month), the nearest years excepted (another key has them)."""
    years = {day.year - day.year % 10 + digit for digit in range(10)} | {
        day.year - day.year % 100 + 10 * digit + day.year % 10 for digit in range(10)
    }
    dates = []
    for year in sorted(years - {day.year - 1, day.year, day.year + 1}):
        if 1 <= year <= 9999:
            try:
                dates.append(day.replace(year=year))
            except ValueError:  # 29 February
                continue
    return dates


def candidate_keys(record: Record, *, date_of_birth: date | None) -> list[tuple[str, list[Any]]]:
    """The blocking keys the record has, as SQL conditions, each served by an index of
    IndexedPerson: nhs_valid, upn_valid, date_of_birth (as given and with day and month
    swapped) and (family_std, given_std) (as given and the other way round); and keys that
    need no date of birth or tolerate a wrong one (issue 11): (family_sound, first-name
    initial; with a date of birth, only records without one), (family_sound,
    postcode_outward, given_sound), (family_sound, birth year within one either side,
    initial), (month of birth, given_sound), (the same day and month with the year's last
    or tens digit retyped, initial) and postcode_std (one address: a surname changed, a
    first name mistyped, the names the other way round). The initial is the first letter
    of the first name's soundex."""
    keys: list[tuple[str, list[Any]]] = []
    if record["nhs"]:
        keys.append(("nhs_valid = %s", [record["nhs"]]))
    if record["upn"]:
        keys.append(("upn_valid = %s", [record["upn"]]))
    if date_of_birth:
        keys.append(("date_of_birth = %s", [date_of_birth]))
        swapped = _swapped(date_of_birth)
        if swapped:
            keys.append(("date_of_birth = %s", [swapped]))
    if record["family_sound"] and record["given_sound"]:
        # The first name's initial (the first letter of its soundex), as a range on the
        # index's last column: typing errors after the first letter and short forms
        # (Jen/Jennifer) still meet.
        initial = record["given_sound"][0]
        after = chr(ord(initial) + 1)
        # A date of birth missing on one side, no address in common: the surname's sound
        # and the first name's initial. With a date of birth, only the records without
        # one: the other keys find the rest, and a common surname stays narrow.
        # Ordered as its index is (family_sound, given_sound, id), so the capped lookup
        # stops after the cap instead of sorting a common surname's every record; with a
        # date of birth, through the partial index of the records without one.
        keys.append(
            (
                "family_sound = %s AND given_sound >= %s AND given_sound < %s"
                + ("" if date_of_birth is None else " AND date_of_birth IS NULL")
                + f" {_ORDER} given_sound DESC, id DESC {_LIMIT} {BROAD_KEY_CANDIDATES}",
                [record["family_sound"], initial, after],
            )
        )
        if record["postcode_outward"]:
            keys.append(
                (
                    "family_sound = %s AND postcode_outward = %s AND given_sound = %s",
                    [record["family_sound"], record["postcode_outward"], record["given_sound"]],
                )
            )
        if date_of_birth:
            # Born in the same month, a first name that sounds the same: a day mistyped
            # with the surname changed or mistyped.
            month_start = date_of_birth.replace(day=1)
            month_end = (month_start + timedelta(days=31)).replace(day=1) - timedelta(days=1)
            keys.append(
                (
                    "date_of_birth BETWEEN %s AND %s AND given_sound = %s",
                    [month_start, month_end, record["given_sound"]],
                )
            )
            # The same day and month, the year's last or tens digit mistyped.
            retyped = _year_retyped(date_of_birth)
            if retyped:
                keys.append(
                    (
                        f"date_of_birth IN ({', '.join(['%s'] * len(retyped))}) "
                        "AND given_sound >= %s AND given_sound < %s",
                        [*retyped, initial, after],
                    )
                )
            keys.append(
                (
                    "family_sound = %s AND birth_year BETWEEN %s AND %s "
                    "AND given_sound >= %s AND given_sound < %s",
                    [
                        record["family_sound"],
                        date_of_birth.year - 1,
                        date_of_birth.year + 1,
                        initial,
                        after,
                    ],
                )
            )
    if record["postcode_std"]:
        # One address: a household's few people (a surname changed, a first name
        # mistyped, the names the other way round), capped as every key.
        keys.append(("postcode_std = %s", [record["postcode_std"]]))
    if record["family_std"] and record["given_std"]:
        keys.append(
            ("family_std = %s AND given_std = %s", [record["family_std"], record["given_std"]])
        )
        if record["family_std"] != record["given_std"]:
            # The names the other way round, through the same index.
            keys.append(
                (
                    "family_std = %s AND given_std = %s",
                    [record["given_std"], record["family_std"]],
                )
            )
    return keys


def _capped(condition: str) -> str:
    """The key's condition, withdrawn records left out, and its order: the newest first
    (id + 0: sorted after the key's own index finds the rows, never by walking the primary
    key), unless the key gives an order of its own."""
    where, _, order = condition.partition(f" {_ORDER} ")
    order, _, limit = order.partition(f" {_LIMIT} ")
    return (
        f"{where} AND withdrawn_at IS NULL ORDER BY {order or 'id + 0 DESC'} "
        f"LIMIT {limit or CANDIDATES_PER_KEY}"
    )


def candidate_sql(record: Record, *, date_of_birth: date | None) -> tuple[str, list[Any]] | None:
    """One statement for the whole candidate search: a UNION of one capped, indexed
    lookup per blocking key, then the rows themselves by primary key (one round trip).
    Records withdrawn from their agency's feed are not candidates.

    Each key returns at most CANDIDATES_PER_KEY rows, the newest first (deterministic), so
    a common name or date of birth cannot flood the candidates; the compound keys (two
    sounds with a postcode area or birth years) are narrow enough that a person missed
    by a flooded broad key is still found through a narrow one."""
    keys = candidate_keys(record, date_of_birth=date_of_birth)
    if not keys:
        return None
    table = IndexedPerson._meta.db_table
    contacts = ContactPerson._meta.db_table
    # Table and column names are the model's own; every value is a query parameter. A
    # record its agency has withdrawn is never a new candidate (left out before the cap).
    lookups = " UNION ".join(
        f"SELECT id FROM (SELECT id FROM {table} WHERE {_capped(condition)}) AS k{n}"  # noqa: S608
        for n, (condition, _) in enumerate(keys)
    )
    columns = ", ".join(f"p.{name}" for name in _COLUMNS)
    sql = (
        f"SELECT {columns}, c.contact_id FROM {table} p "  # noqa: S608
        f"LEFT JOIN {contacts} c ON c.id = p.contact_person_id "
        f"WHERE p.id IN ({lookups})"
    )
    return sql, [value for _, params in keys for value in params]


def candidate_rows(record: Record, *, date_of_birth: date | None) -> list[dict[str, Any]]:
    """Rows of the index sharing at least one blocking key with the record."""
    statement = candidate_sql(record, date_of_birth=date_of_birth)
    if statement is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        found = cursor.fetchall()
    rows = []
    for values in found:
        row = dict(zip((*_COLUMNS, "contact_id"), values, strict=True))
        for name in ("given_forms", "family_parts"):
            if isinstance(row[name], str):
                row[name] = json.loads(row[name])
        if isinstance(row["date_of_birth"], str):
            row["date_of_birth"] = date.fromisoformat(row["date_of_birth"])
        rows.append(row)
    return rows


def record_from_row(row: dict[str, Any], *, known_by_other_names: bool = False) -> Record:
    """The comparison record of an index row (its stored standardised fields); with
    `known_by_other_names`, its other names are also first names it is known by (finding
    a child by the name a worker knows them by: comparison_record's `known_as`)."""
    aliases = other_names_standard(row["other_names"])
    return comparison_record(
        unique_id=row["id"],
        given_std=row["given_std"],
        given_forms=row["given_forms"] or (),
        family_std=row["family_std"],
        family_parts=row["family_parts"] or (),
        family_sound=row["family_sound"],
        given_sound=row["given_sound"],
        aliases=aliases,
        known_as=aliases if known_by_other_names else (),
        date_of_birth=row["date_of_birth"],
        sex=row["sex"],
        postcode_std=row["postcode_std"],
        postcode_outward=row["postcode_outward"],
        nhs=row["nhs_valid"],
        upn=row["upn_valid"],
    )


def match_person(
    *,
    given_names: str,
    family_name: str,
    other_names: str = "",
    date_of_birth: date | None = None,
    sex: str = "",
    postcode: str = "",
    nhs_number: str = "",
    upn: str = "",
    exclude_contact_id: int | None = None,
    limit: int = 10,
    known_by_other_names: bool = False,
) -> list[Candidate]:
    """The best `limit` candidates from the whole index for one person, most probable
    first, each with its probability, match weight and per-field explanation. Records
    of the contact `exclude_contact_id` (the person's own contact) are left out. With
    `known_by_other_names` (a search by what a worker typed), a record's other names are
    also first names it is known by (record_from_row)."""
    model = current_model()
    record = comparison_record_for_person(
        unique_id=0,
        given_names=given_names,
        family_name=family_name,
        other_names=other_names,
        date_of_birth=date_of_birth,
        sex=sex,
        postcode=postcode,
        nhs_number=nhs_number,
        upn=upn,
    )
    shown = {
        "given_names": given_names,
        "family_name": family_name,
        "date_of_birth": date_of_birth,
        "sex": sex,
        "postcode": postcode,
        "nhs_number": nhs_number,
        "upn": upn,
    }
    scored = []
    for row in candidate_rows(record, date_of_birth=date_of_birth):
        if exclude_contact_id is not None and row["contact_id"] == exclude_contact_id:
            continue
        candidate = record_from_row(row, known_by_other_names=known_by_other_names)
        weight, levels = score_levels(model, record, candidate)
        scored.append((weight, levels, row))
    scored.sort(key=lambda item: (-item[0], item[2]["id"]))
    return [
        Candidate(
            indexed_person_id=row["id"],
            probability=match_probability(weight),
            match_weight=weight,
            explanation=explanation_words(_parts(model, levels), shown, row),
            model_version=model.version,
        )
        for weight, levels, row in scored[:limit]
    ]


def score_against(person: ContactPerson, records: list[IndexedPerson]) -> list[Candidate]:
    """The person (as named in a contact, now) scored against each of these index records,
    in the order given, by the same comparisons, model and words as `match_person`: for
    scoring again a pair already suggested, whether or not its candidate search would
    find it now."""
    model = current_model()
    record = comparison_record_for_person(
        unique_id=0,
        given_names=person.given_names,
        family_name=person.family_name,
        other_names=person.other_names,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        postcode=person.postcode,
        nhs_number=person.nhs_number,
        upn=person.upn,
    )
    shown = {
        "given_names": person.given_names,
        "family_name": person.family_name,
        "date_of_birth": person.date_of_birth,
        "sex": person.sex,
        "postcode": person.postcode,
        "nhs_number": person.nhs_number,
        "upn": person.upn,
    }
    scored = []
    for entry in records:
        row = {name: getattr(entry, name) for name in _COLUMNS}
        weight, levels = score_levels(model, record, record_from_row(row))
        scored.append(
            Candidate(
                indexed_person_id=entry.pk,
                probability=match_probability(weight),
                match_weight=weight,
                explanation=explanation_words(_parts(model, levels), shown, row),
                model_version=model.version,
            )
        )
    return scored


def _parts(model: MatchModel, levels: list[int]) -> list[ScoredComparison]:
    return [
        ScoredComparison(comparison, index, model.weights[comparison.name][index])
        for comparison, index in zip(COMPARISONS, levels, strict=True)
    ]


__all__ = [
    "COMPARISONS",
    "Candidate",
    "current_model",
    "match_person",
    "pair_score",
    "score_against",
]
