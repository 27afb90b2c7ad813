# Message delivery: a status, attempts and the time of the last and next attempt, so an
# email the mail server did not take is tried again, and sent_at says when it was taken.

import django.utils.timezone
from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import F


def mark_existing_sent(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Messages recorded before delivery was tracked were handed to the mail server when
    recorded: treat them as sent then, in one attempt."""
    Message = apps.get_model("enquiries", "Message")
    Message.objects.update(
        status="sent", attempts=1, created_at=F("sent_at"), last_attempt_at=F("sent_at")
    )


def fill_sent_at(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Going back, sent_at is required again: a message never sent keeps when it was made."""
    Message = apps.get_model("enquiries", "Message")
    Message.objects.filter(sent_at__isnull=True).update(sent_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("enquiries", "0002_hand_on_withdrawn"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="message",
            options={"ordering": ["-created_at", "-id"]},
        ),
        migrations.AddField(
            model_name="message",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="message",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="message",
            name="failure",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="message",
            name="last_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="status",
            field=models.CharField(
                choices=[("queued", "Waiting to be sent"), ("sent", "Sent"), ("failed", "Not delivered")],
                default="queued",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["status", "next_attempt_at"], name="message_delivery_due"),
        ),
        migrations.RunPython(mark_existing_sent, fill_sent_at, elidable=True),
    ]
