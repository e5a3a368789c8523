from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "peerbridge.notifications"
    label = "notifications"
    verbose_name = "Notifications"
