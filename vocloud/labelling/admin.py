from django.contrib import admin

from vocloud.labelling.models import Label, PoolCheck, Round, Session


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "dataset", "schema", "target", "created")
    list_filter = ("schema",)
    search_fields = ("name", "owner__username", "dataset")


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ("session", "number", "n_labels", "train_job", "round_job", "created")
    raw_id_fields = ("train_job", "round_job")


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("session", "path", "value", "mark", "verdict", "updated")
    list_filter = ("mark", "verdict")
    search_fields = ("path", "value")


@admin.register(PoolCheck)
class PoolCheckAdmin(admin.ModelAdmin):
    list_display = ("session", "round", "order", "path", "predicted", "answer", "truth", "answered")
    list_filter = ("answer",)
    search_fields = ("path",)
    raw_id_fields = ("session", "round")
