from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vocloud.accounts"
    verbose_name = "Accounts and API tokens"
