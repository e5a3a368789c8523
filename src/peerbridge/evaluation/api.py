"""The evaluation API: each area mounts its own router."""

from ninja import Router

from peerbridge.evaluation import api_fidelity, api_realist, api_reports

router = Router(tags=["evaluation"])
router.add_router("", api_fidelity.router)
router.add_router("", api_reports.router)
router.add_router("", api_realist.router)
