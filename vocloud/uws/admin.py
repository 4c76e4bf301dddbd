from django.contrib import admin

from vocloud.uws.models import Job, Result, Shard


class ResultInline(admin.TabularInline):
    model = Result
    extra = 0
    readonly_fields = ("result_id", "path", "mime_type", "size")
    can_delete = False


class ShardInline(admin.TabularInline):
    """The parts of a job split across workers (score over a large pool)."""

    model = Shard
    extra = 0
    fields = ("index", "state", "worker", "progress", "attempts", "heartbeat", "error_message")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = (
        "job_id",
        "kind",
        "owner",
        "phase",
        "creation_time",
        "end_time",
        "progress",
        "worker",
    )
    list_filter = ("kind", "phase")
    search_fields = ("job_id", "run_id", "owner__username")
    date_hierarchy = "creation_time"
    # The phase changes only through the phase machine, never by hand.
    readonly_fields = (
        "job_id",
        "phase",
        "creation_time",
        "start_time",
        "end_time",
        "progress",
        "progress_message",
        "worker",
        "heartbeat",
    )
    inlines = [ResultInline, ShardInline]


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ("job", "result_id", "mime_type", "size")
    search_fields = ("job__job_id", "result_id")
