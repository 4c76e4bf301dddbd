from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "vocloud.api"
    label = "api"
    verbose_name = "JSON API for scripts and notebooks"
