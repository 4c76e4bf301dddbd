from django.conf import settings
from django.contrib import admin

from services.storage import user_space
from services.storage.listing import human_size
from vocloud.files.models import Quota


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ("user", "bytes", "limit", "used")
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)

    @admin.display(description="limit")
    def limit(self, quota: Quota) -> str:
        return human_size(quota.bytes)

    @admin.display(description="used now")
    def used(self, quota: Quota) -> str:
        return human_size(user_space(settings.DATA_DIR, quota.user_id).usage_bytes())
