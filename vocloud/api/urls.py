"""The JSON API for scripts and notebooks (docs/api.md); jobs stay on UWS (/uws/)."""

app_name = "api"
urlpatterns: list = []
