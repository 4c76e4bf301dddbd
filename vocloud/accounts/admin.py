from django.contrib import admin

from vocloud.accounts.models import ApiToken, MailChoice


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created", "last_used")
    list_filter = ("user",)
    search_fields = ("name", "user__username")
    readonly_fields = ("prefix", "created", "last_used")


@admin.register(MailChoice)
class MailChoiceAdmin(admin.ModelAdmin):
    list_display = ("user", "job_ended", "changed")
    list_filter = ("job_ended",)
    search_fields = ("user__username", "user__email")
    readonly_fields = ("changed",)
