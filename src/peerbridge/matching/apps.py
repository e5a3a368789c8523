from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "peerbridge.matching"
    label = "matching"
    verbose_name = "Matching"
