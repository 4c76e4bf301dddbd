from django.apps import AppConfig


class UwsConfig(AppConfig):
    name = "vocloud.uws"
    verbose_name = "UWS jobs"
