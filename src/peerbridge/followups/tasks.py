"""Background work for playbooks, run by `peerbridge worker`. Thin wrappers around
services; arguments are ids (and the site's address), never email addresses or links
with secrets in them."""

from __future__ import annotations

from django_tasks import task

from peerbridge.followups.messages import check_in_link_deliver, message_deliver


@task()
def send_work_item_message(*, work_item_id: int) -> int:
    """Email a playbook message queued by the scan."""
    return message_deliver(work_item_id=work_item_id)


@task()
def send_check_in_link(*, check_in_id: int, site_url: str) -> int:
    """Email one side of a match a fresh link to its check-in."""
    return check_in_link_deliver(check_in_id=check_in_id, site_url=site_url)
