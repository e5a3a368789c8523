from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "peerbridge.core"
    label = "core"
    verbose_name = "PeerBridge core"

    def ready(self) -> None:
        from peerbridge.core import checks, signals  # noqa: F401  (registers receivers, checks)
