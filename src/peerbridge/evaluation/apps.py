from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "peerbridge.evaluation"
    label = "evaluation"
    verbose_name = "Evaluation: fidelity, analytics and funder reports"
