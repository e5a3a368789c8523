"""The notification preferences form: how to reach me, quiet hours, the daily summary."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peerbridge.notifications.models import Channel

IN_APP_ONLY = "in_app"
CHANNEL_ORDERS = [
    (f"{Channel.EMAIL},{Channel.SMS}", _("Email first, text message if there is no email")),
    (f"{Channel.SMS},{Channel.EMAIL}", _("Text message first, email if there is no number")),
    (Channel.EMAIL.value, _("Email only")),
    (Channel.SMS.value, _("Text message only")),
    (IN_APP_ONLY, _("Only here in PeerBridge: no email or text message")),
]
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def order_value(channels: list[str]) -> str:
    """The form's choice for a list of channels."""
    return ",".join(channels) if channels else IN_APP_ONLY


class PreferenceForm(forms.Form):
    channels = forms.ChoiceField(
        label=_("Reach me by"),
        choices=CHANNEL_ORDERS,
        widget=forms.RadioSelect,
        help_text=_(
            "Messages always appear here in PeerBridge too. A participant is only emailed "
            "or texted in ways they agreed to."
        ),
    )
    quiet_from = forms.TimeField(
        label=_("Quiet hours from"),
        required=False,
        widget=TIME_INPUT,
        help_text=_("No email or text message then, except urgent safety messages."),
    )
    quiet_until = forms.TimeField(
        label=_("Quiet hours until"),
        required=False,
        widget=TIME_INPUT,
        help_text=_("May be the next morning, for example from 21:00 until 08:00."),
    )
    daily_digest = forms.BooleanField(
        label=_("Send me a daily summary of what needs attention"), required=False
    )

    def __init__(self, *args: Any, show_digest: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not show_digest:
            del self.fields["daily_digest"]

    def channel_list(self) -> list[str]:
        chosen = str(self.cleaned_data["channels"])
        return [] if chosen == IN_APP_ONLY else chosen.split(",")
