from django.apps import AppConfig


class LabellingConfig(AppConfig):
    name = "vocloud.labelling"
    verbose_name = "Labelling"
