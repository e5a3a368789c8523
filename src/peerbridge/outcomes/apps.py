from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "peerbridge.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes: questionnaires, measures and individual change"
