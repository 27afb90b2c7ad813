#!/bin/sh
# OpenMASH's nightly backup (deploy/systemd/openmash-backup.service; README, Backups).
#
#   openmash-backup.sh database      pg_dump of the database (custom format)
#   openmash-backup.sh attachments   a tar of the attachments directory, when attached
#                                    files are kept on local disk
#
# Each writes into OPENMASH_BACKUP_DIR (/var/backups/openmash) under a UTC timestamp,
# through a .part file renamed only when complete, and deletes its own kind older than
# OPENMASH_BACKUP_DAYS (14). The service runs `database` first and `attachments` straight
# after, so every file the night's dump names is in the night's tar. The attachments
# directory is the application's: OPENMASH_ATTACHMENTS_DIR, else
# $OPENMASH_VAR_DIR/attachments (openmash/settings/base.py, attachment_storage_from_env).
# With ATTACHMENTS_S3_BUCKET set the files are in the bucket, which this does not copy:
# back the bucket up (versioning, replication) with the provider's tools.
set -eu

backups="${OPENMASH_BACKUP_DIR:-/var/backups/openmash}"
days="${OPENMASH_BACKUP_DAYS:-14}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"

case "${1:-}" in
database)
    file="$backups/openmash-$stamp.dump"
    pg_dump --format=custom --file="$file.part" "${OPENMASH_BACKUP_DATABASE:-openmash}"
    mv "$file.part" "$file"
    find "$backups" -maxdepth 1 -name 'openmash-*.dump' -mtime +"$days" -delete
    ;;
attachments)
    if [ -n "${ATTACHMENTS_S3_BUCKET:-}" ]; then
        echo "Attachments are in the S3 bucket ATTACHMENTS_S3_BUCKET: back the bucket up with the provider's tools." >&2
        exit 0
    fi
    directory="${OPENMASH_ATTACHMENTS_DIR:-${OPENMASH_VAR_DIR:-/opt/openmash/var}/attachments}"
    if [ ! -d "$directory" ]; then
        echo "No attachments directory at $directory: set OPENMASH_ATTACHMENTS_DIR or OPENMASH_VAR_DIR as the application has it, or create it." >&2
        exit 1
    fi
    file="$backups/openmash-attachments-$stamp.tar.gz"
    tar --create --gzip --file="$file.part" --directory="$directory" .
    mv "$file.part" "$file"
    find "$backups" -maxdepth 1 -name 'openmash-attachments-*.tar.gz' -mtime +"$days" -delete
    ;;
*)
    echo "usage: $0 database|attachments" >&2
    exit 2
    ;;
esac
