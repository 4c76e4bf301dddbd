from django.db import migrations, models


def mark_started(apps, schema_editor):
    # advance() set the al-round job and the metrics together: either says it was started
    Round = apps.get_model("labelling", "Round")
    Round.objects.exclude(round_job=None).update(round_started=True)
    Round.objects.filter(round_job=None).exclude(metrics={}).update(round_started=True)


class Migration(migrations.Migration):
    dependencies = [
        ("labelling", "0002_label_seen"),
    ]

    operations = [
        migrations.AddField(
            model_name="round",
            name="round_started",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_started, migrations.RunPython.noop),
    ]
