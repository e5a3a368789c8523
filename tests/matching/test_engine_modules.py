"""The engine's modules: pure (no Django), and one public face (`matching.engine`)."""

from __future__ import annotations

import subprocess
import sys

from peerbridge.matching import engine

PUBLIC = [
    "COMPONENTS",
    "EXACT_PAIRS",
    "CandidateGraph",
    "Labels",
    "PairScore",
    "PeerRecord",
    "PeerTable",
    "Policy",
    "Reason",
    "SeekerRecord",
    "Suggestion",
    "SuggestionResult",
    "candidate_graph",
    "explain_pair",
    "score_pair",
    "score_pairs",
    "suggest",
    "why_not",
]


def test_the_engine_keeps_its_public_names_in_one_place() -> None:
    for name in PUBLIC:
        assert name in engine.__all__
        assert getattr(engine, name) is not None


def test_the_engine_modules_import_no_django() -> None:
    code = (
        "import sys\n"
        "import peerbridge.matching.engine, peerbridge.matching.text\n"
        "import peerbridge.matching.presets\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'django')\n"
        "assert not loaded, loaded\n"
        "assert sum(m.startswith('peerbridge.matching.engine_') for m in sys.modules) >= 6\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603
