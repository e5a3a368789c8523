"""Evaluation: programme analytics, realist mechanisms, fidelity and funder reports.

For now this package holds only pure modules (no Django): `statistics` computes effect
sizes, pools sites, counts attrition and words the evidence. The Django app (models,
pages, reports) is added on top of them later."""
