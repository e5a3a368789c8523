from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "peerbridge.organisations"
    label = "organisations"
    verbose_name = "Organisations and programmes"

    def ready(self) -> None:
        from peerbridge.core.access import set_role_resolver
        from peerbridge.organisations.selectors import user_roles

        set_role_resolver(user_roles)
