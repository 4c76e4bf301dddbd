from django.urls import path

from vocloud.accounts import views

app_name = "accounts"
urlpatterns = [
    path("settings/", views.account_settings, name="settings"),
    path("settings/password/", views.change_password, name="change_password"),
    path("settings/mail/", views.change_mail, name="change_mail"),
    path("history/", views.history, name="history"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
    path("links/revoke/", views.revoke_links, name="revoke_links"),
]
