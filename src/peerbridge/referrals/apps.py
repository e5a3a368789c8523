from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "peerbridge.referrals"
    label = "referrals"
    verbose_name = "Referrals"
