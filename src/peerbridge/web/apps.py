from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "peerbridge.web"
    label = "web"
    verbose_name = "Web pages"
