from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "peerbridge.safety"
    label = "safety"
    verbose_name = "Safety: risk flags and incidents"
