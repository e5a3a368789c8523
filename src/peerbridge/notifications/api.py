"""The notifications API."""

from ninja import Router

from peerbridge.notifications import api_inbox

router = Router(tags=["notifications"])
router.add_router("", api_inbox.router)
