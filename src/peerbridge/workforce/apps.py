from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "peerbridge.workforce"
    label = "workforce"
    verbose_name = "Peer workforce"
