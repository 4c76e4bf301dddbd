from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "vocloud.portal"
    verbose_name = "Portal"
