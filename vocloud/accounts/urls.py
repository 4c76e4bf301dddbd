from django.urls import path

from vocloud.accounts import views

app_name = "accounts"
urlpatterns = [
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
    path("links/revoke/", views.revoke_links, name="revoke_links"),
]
