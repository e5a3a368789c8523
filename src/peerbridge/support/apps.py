from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "peerbridge.support"
    label = "support"
    verbose_name = "Support: contacts, goals and groups"
