"""The safety API: each area mounts its own router."""

from ninja import Router

from peerbridge.safety import api_flags, api_incidents, api_settings

router = Router(tags=["safety"])
router.add_router("", api_flags.router)
router.add_router("", api_incidents.router)
router.add_router("", api_settings.router)
