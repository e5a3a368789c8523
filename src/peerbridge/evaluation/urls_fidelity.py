"""Routes for fidelity and the implementation dashboard (mounted by evaluation/urls.py,
namespace "evaluation")."""

from django.urls import URLPattern, path

from peerbridge.evaluation import fidelity_views as views

urlpatterns: list[URLPattern] = [
    path("programmes/<int:programme_id>/fidelity/", views.overview, name="fidelity_overview"),
    path(
        "programmes/<int:programme_id>/fidelity/checklist/",
        views.checklist,
        name="fidelity_checklist",
    ),
    path("fidelity/items/<int:fidelity_item_id>/", views.item_edit, name="fidelity_item"),
    path("fidelity/peers/<int:profile_id>/", views.peer, name="fidelity_peer"),
    path("fidelity/peers/<int:profile_id>/observe/", views.observe, name="fidelity_observe"),
    path("fidelity/mine/", views.mine, name="fidelity_mine"),
    path(
        "programmes/<int:programme_id>/implementation/",
        views.dashboard,
        name="implementation",
    ),
]
