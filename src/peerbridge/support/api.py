"""The support API: each area mounts its own router."""

from ninja import Router

from peerbridge.support import api_closure, api_contacts, api_goals, api_groups

router = Router(tags=["support"])
router.add_router("", api_contacts.router)
router.add_router("", api_goals.router)
router.add_router("", api_groups.router)
router.add_router("", api_closure.router)
