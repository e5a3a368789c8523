from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "peerbridge.followups"
    label = "followups"
    verbose_name = "Programme playbooks"
