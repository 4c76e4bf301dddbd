from django.apps import AppConfig


class VoConfig(AppConfig):
    name = "vocloud.vo"
    verbose_name = "Your spectra as VO services (SSAP, DataLink, SODA)"
