"""Indexes for finding a child (openmash/linkage/search.py): the start of the first line
of an address, the start of a surname and first name, and a surname's sound with the
start of a first name, looked up with LIKE 'prefix%'.

PostgreSQL only: a LIKE prefix uses a btree index under any collation only with the
pattern operator classes, which SQLite (used by the tests) does not have; there the
lookups still answer, by scanning.
"""

from django.db import migrations

INDEXES = [
    (
        "index_address_upper",
        "CREATE INDEX IF NOT EXISTS index_address_upper ON linkage_indexedperson "
        "(UPPER(address) text_pattern_ops)",
    ),
    # The start of a surname, then of a first name.
    (
        "index_family_prefix",
        "CREATE INDEX IF NOT EXISTS index_family_prefix ON linkage_indexedperson "
        "(family_std varchar_pattern_ops, given_std varchar_pattern_ops)",
    ),
    # A surname that sounds the same, with a first name that starts the same.
    (
        "index_sound_given_prefix",
        "CREATE INDEX IF NOT EXISTS index_sound_given_prefix ON linkage_indexedperson "
        "(family_sound, given_std varchar_pattern_ops)",
    ),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, statement in INDEXES:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("linkage", "0004_identifier_conflicts"),
    ]

    operations = [migrations.RunPython(create, drop)]
