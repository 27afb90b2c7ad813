#!/bin/sh
# OpenMASH's restore drill (deploy/systemd/openmash-restore-drill.service; README, Backups).
#
#   openmash-restore-drill.sh [DUMP [ATTACHMENTS_TAR]]
#
# Restores a night's backup (deploy/bin/openmash-backup.sh) into a scratch database, checks
# the restored audit log against its seals (verify_audit), counts what it holds, checks
# every attached file it names is in the attachments tar with its stored SHA-256, and
# drops the scratch database: `manage.py restore_drill` does the work and says PASS or
# FAIL (exit code 1). Without arguments it takes the newest dump, and the newest
# attachments tar, in OPENMASH_BACKUP_DIR (/var/backups/openmash). With the attachments in
# an S3 bucket (ATTACHMENTS_S3_BUCKET) only the database is drilled.
set -eu

backups="${OPENMASH_BACKUP_DIR:-/var/backups/openmash}"
home="${OPENMASH_HOME:-/opt/openmash}"

newest() {
    # The newest file matching the pattern in the backup directory, or nothing.
    ls -1t "$backups"/$1 2>/dev/null | head -n 1
}

dump="${1:-$(newest 'openmash-[0-9]*.dump')}"
if [ -z "$dump" ] || [ ! -f "$dump" ]; then
    echo "No database dump to drill with in $backups: run the backup first (openmash-backup.sh database)." >&2
    exit 2
fi
tar="${2:-}"
if [ -z "$tar" ] && [ -z "${ATTACHMENTS_S3_BUCKET:-}" ]; then
    tar="$(newest 'openmash-attachments-*.tar.gz')"
    if [ -z "$tar" ]; then
        echo "No attachments backup in $backups: run openmash-backup.sh attachments, or set ATTACHMENTS_S3_BUCKET." >&2
        exit 2
    fi
fi

cd "$home"
if [ -n "$tar" ]; then
    exec "$home/.venv/bin/python" manage.py restore_drill --dump "$dump" --attachments "$tar"
fi
exec "$home/.venv/bin/python" manage.py restore_drill --dump "$dump"
