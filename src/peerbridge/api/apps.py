from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "peerbridge.api"
    label = "api"
    verbose_name = "HTTP API"
