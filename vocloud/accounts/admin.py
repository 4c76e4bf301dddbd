from django.contrib import admin

from vocloud.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created", "last_used")
    list_filter = ("user",)
    search_fields = ("name", "user__username")
    readonly_fields = ("prefix", "created", "last_used")
