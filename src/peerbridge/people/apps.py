from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "peerbridge.people"
    label = "people"
    verbose_name = "People"
