"""Synthetic matching programmes: seekers (waiting participants) and peers, seeded.

    .venv/bin/python -m bench.matching_data --size S|M|L     (1,000 x 200 / 10,000 x 2,000 /
                                                              100,000 x 20,000)

Used by bench.matching, bench.suggestions and bench.text_similarity. Run on its own it
prints how long generation takes and what the programme looks like.

What is in a programme (every draw from one seeded NumPy generator):
- a condition tree of 12 conditions, each with 2 to 8 sub-conditions, most with 1 to 3
  facets; conditions are Zipf-distributed (the first is about a third of everyone) and
  so are sub-conditions within a condition, so the last ones are rare and many have no
  peer at all; 10% of people know only their condition and 20% no facet;
- 40 issue tags, half drawn from a few typical of the person's condition, half from a
  skewed common pool; 0 to 4 per person;
- languages: English for 80%, Spanish for 7%, a long Zipf tail of 28 others; some speak a
  second language (often English); a seeker whose main language is not English names it,
  and half of them need it;
- 15 cultural backgrounds (60% name one, tied to their language where it fits); 10% of
  seekers wish for the same background;
- places around 20 towns in a 350 x 250 km region (10% unknown), modalities (telephone,
  video, in person, text), availability as 1 to 3 blocks of 2 to 4 hours a week;
- peers: 90% eligible (the rest with blockers), 5% with no room left, otherwise 1 to 8
  places, wellbeing mostly 1;
- seekers: 15% wish for a peer's gender (a third of them require it), 3% return with a
  previous peer, 5% have excluded peers, waiting days drawn from an exponential;
- a short text each, from phrases about their sub-condition and issues, so TF-IDF has
  something to find.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bench.imports import peak_mib
from peerbridge.matching.engine import Labels, PeerRecord, Policy, SeekerRecord
from peerbridge.matching.presets import policy_for

SIZES: dict[str, tuple[int, int]] = {
    "S": (1_000, 200),
    "M": (10_000, 2_000),
    "L": (100_000, 20_000),
}
SEED = 2026

ISSUES = (
    "fear of recurrence",
    "rejection",
    "returning to work",
    "body image",
    "fatigue",
    "telling the children",
    "money worries",
    "intimacy",
    "sleep",
    "pain",
    "isolation",
    "side effects of treatment",
    "talking to doctors",
    "anxiety",
    "low mood",
    "carer strain",
    "faith questions",
    "stigma",
    "disclosure to family",
    "dating",
    "fertility",
    "diet",
    "exercise",
    "medication routine",
    "hospital stays",
    "waiting for results",
    "scars",
    "hair loss",
    "travel to appointments",
    "benefits forms",
    "school and study",
    "grief",
    "anger",
    "memory and concentration",
    "housing",
    "drinking",
    "relationship strain",
    "losing independence",
    "planning ahead",
    "getting back to sport",
)
LANGUAGES = (
    "en", "es", "pl", "ur", "pa", "ar", "pt", "fr", "ro", "bn", "zh", "so", "tr", "it",
    "fa", "ti", "am", "sw", "ru", "vi", "ta", "gu", "ku", "lt", "hu", "el", "tl", "yo",
    "ig", "ne",
)  # fmt: skip
CULTURES = (
    "British", "Irish", "Caribbean", "West African", "East African", "South Asian",
    "East Asian", "Latin American", "Middle Eastern", "Eastern European", "Southern European",
    "Traveller", "Roma", "Jewish", "Deaf community",
)  # fmt: skip
CULTURE_OF_LANGUAGE = {
    "en": "British", "es": "Latin American", "pl": "Eastern European", "ur": "South Asian",
    "pa": "South Asian", "ar": "Middle Eastern", "pt": "Southern European",
    "ro": "Eastern European", "bn": "South Asian", "zh": "East Asian", "so": "East African",
    "fa": "Middle Eastern", "ti": "East African", "am": "East African", "sw": "East African",
    "yo": "West African", "ig": "West African", "it": "Southern European",
}  # fmt: skip
GENDERS = ("woman", "man", "non_binary", "not_said")
MODALITIES = ("telephone", "video", "in_person", "text")
CONDITIONS = 12


@dataclass(frozen=True)
class Tree:
    """The condition tree: for each condition its sub-conditions, for each sub-condition
    its facets, and the names."""

    roots: tuple[int, ...]
    subs: dict[int, tuple[int, ...]]
    facets: dict[int, tuple[int, ...]]
    names: dict[int, str]
    rare_root: int  # a condition no peer has
    rare_sub: dict[int, int]  # per condition, a sub-condition no peer has


def condition_tree(seed: int = SEED) -> Tree:
    pick = np.random.default_rng(seed)
    roots = tuple(range(1, CONDITIONS + 1))
    subs: dict[int, tuple[int, ...]] = {}
    facets: dict[int, tuple[int, ...]] = {}
    names = {root: f"condition {root}" for root in roots}
    rare_root = CONDITIONS + 1
    names[rare_root] = f"condition {rare_root}"
    rare_sub: dict[int, int] = {}
    next_id = 100
    for root in roots:
        subs[root] = tuple(range(next_id, next_id + int(pick.integers(2, 9))))
        next_id += len(subs[root])
        for number, sub in enumerate(subs[root], start=1):
            names[sub] = f"treatment {root}.{number}"
    for root in (*roots, rare_root):
        rare_sub[root] = next_id
        names[next_id] = f"rare treatment {root}"
        next_id += 1
    next_id = 1000
    for root in roots:
        for sub in subs[root]:
            count = int(pick.choice([0, 1, 2, 2, 3]))
            facets[sub] = tuple(range(next_id, next_id + count))
            for number, facet in enumerate(facets[sub], start=1):
                names[facet] = f"variant {number}"
            next_id += count
    return Tree(roots, subs, facets, names, rare_root, rare_sub)


def labels(tree: Tree) -> Labels:
    return Labels(
        conditions=tree.names,
        issues=dict(enumerate(ISSUES)),
        languages={code: code.upper() for code in LANGUAGES},
    )


def _zipf(count: int, exponent: float) -> NDArray[np.float64]:
    weights = 1 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()


class _People:
    """Columns of attributes for n people, drawn in bulk."""

    def __init__(self, pick: np.random.Generator, tree: Tree, n: int, seekers: bool) -> None:
        self.n = n
        root_at = pick.choice(len(tree.roots), size=n, p=_zipf(len(tree.roots), 1.1))
        self.paths: list[tuple[int, ...]] = []
        depth_roll = pick.random(n)
        sub_roll = pick.random(n)
        facet_roll = pick.random(n)
        rare_roll = pick.random(n) if seekers else np.ones(n)
        cumulative = {root: np.cumsum(_zipf(len(tree.subs[root]), 1.3)) for root in tree.roots}
        for person in range(n):
            root = tree.roots[root_at[person]]
            subs = tree.subs[root]
            if rare_roll[person] < 0.005:  # only seekers have the rare condition
                self.paths.append((tree.rare_root, tree.rare_sub[tree.rare_root]))
                continue
            if depth_roll[person] < 0.1:
                self.paths.append((root,))
                continue
            if rare_roll[person] < 0.02:  # or a rare sub-condition
                self.paths.append((root, tree.rare_sub[root]))
                continue
            at = int(np.searchsorted(cumulative[root], sub_roll[person]))
            sub = subs[min(at, len(subs) - 1)]
            facets = tree.facets[sub]
            if not facets or depth_roll[person] < 0.3:
                self.paths.append((root, sub))
            else:
                self.paths.append((root, sub, facets[int(facet_roll[person] * len(facets))]))
        common = _zipf(len(ISSUES), 0.8)
        typical = {
            root: pick.choice(len(ISSUES), size=6, replace=False)
            for root in (*tree.roots, tree.rare_root)
        }
        counts = pick.choice(5, size=n, p=[0.1, 0.3, 0.3, 0.2, 0.1])
        # Up to 4 draws each: from the condition's typical issues or the common pool.
        from_typical = pick.random((n, 4)) < 0.5
        typical_at = pick.integers(0, 6, (n, 4))
        common_at = pick.choice(len(ISSUES), size=(n, 4), p=common)
        self.issues = []
        for person in range(n):
            own = typical[self.paths[person][0]]
            drawn = np.where(from_typical[person], own[typical_at[person]], common_at[person])
            self.issues.append(frozenset(drawn[: counts[person]].tolist()))
        self.ages = np.clip(pick.normal(48, 15, n), 18, 90).round()
        self.genders = pick.choice(4, size=n, p=[0.55, 0.40, 0.03, 0.02])
        main = pick.choice(len(LANGUAGES), size=n, p=np.r_[0.8, 0.07, 0.13 * _zipf(28, 1.0)])
        second = pick.random(n) < 0.15
        second_language = np.where(
            main == 0, pick.integers(1, len(LANGUAGES), n), np.where(pick.random(n) < 0.7, 0, 1)
        )
        self.languages = [
            (LANGUAGES[m], LANGUAGES[s]) if add and s != m else (LANGUAGES[m],)
            for m, s, add in zip(main, second_language, second, strict=True)
        ]
        culture_roll = pick.random(n)
        random_culture = pick.integers(len(CULTURES), size=n)
        self.cultures = [
            frozenset()
            if roll >= 0.6
            else frozenset({CULTURE_OF_LANGUAGE.get(langs[0], CULTURES[other])})
            for roll, langs, other in zip(culture_roll, self.languages, random_culture, strict=True)
        ]
        towns = np.column_stack([pick.uniform(50.5, 52.8, 20), pick.uniform(-3.0, 1.5, 20)])
        town = pick.choice(20, size=n, p=_zipf(20, 0.7))
        spread = pick.normal(0, 0.12, (n, 2))
        self.places = towns[town] + spread * np.array([1.0, 1.6])
        self.located = pick.random(n) >= 0.1
        self.modality_masks = pick.integers(1, 16, n)
        start_day = pick.integers(0, 7, (n, 3))
        start_hour = pick.choice([9, 10, 13, 14, 18, 19, 20], size=(n, 3))
        length = pick.integers(2, 5, (n, 3))
        blocks = pick.integers(1, 4, n)
        self.availability = [
            frozenset(
                int(day * 24 + hour + h)
                for day, hour, span in zip(
                    start_day[p, : blocks[p]],
                    start_hour[p, : blocks[p]],
                    length[p, : blocks[p]],
                    strict=True,
                )
                for h in range(span)
            )
            for p in range(n)
        ]
        self.since = pick.integers(1995, 2026, n).astype(float)

    def modalities(self, person: int) -> frozenset[str]:
        mask = int(self.modality_masks[person])
        return frozenset(way for bit, way in enumerate(MODALITIES) if mask >> bit & 1)

    def place(self, person: int) -> tuple[float | None, float | None]:
        if not self.located[person]:
            return None, None
        return float(self.places[person, 0]), float(self.places[person, 1])

    def text(self, person: int, tree: Tree, voice: str) -> str:
        path = self.paths[person]
        subject = tree.names[path[-1]] if len(path) == 1 else tree.names[path[1]]
        worries = " and ".join(ISSUES[i] for i in sorted(self.issues[person])) or "coping"
        return f"{voice} {subject}; {worries} {'weigh on me' if voice[0] == 'I' else 'were hard'}."


def programme(size: str, seed: int = SEED) -> tuple[list[SeekerRecord], list[PeerRecord], Policy]:
    """A seeded programme of the given size: (seekers, peers, the general policy)."""
    n_seekers, n_peers = SIZES[size]
    tree = condition_tree(seed)
    pick = np.random.default_rng([seed, n_seekers, n_peers])
    peers = make_peers(pick, tree, n_peers)
    seekers = make_seekers(pick, tree, n_seekers, peers)
    return seekers, peers, policy_for("general")


def make_peers(pick: np.random.Generator, tree: Tree, n: int) -> list[PeerRecord]:
    people = _People(pick, tree, n, seekers=False)
    eligible = pick.random(n) >= 0.1
    remaining = np.where(pick.random(n) < 0.05, 0, pick.integers(1, 9, n))
    wellbeing = np.where(pick.random(n) < 0.8, 1.0, pick.uniform(0.4, 1.0, n))
    blockers = ("training not complete", "certification expired", "paused")
    peers = []
    for p in range(n):
        lat, lon = people.place(p)
        peers.append(
            PeerRecord(
                id=10_000_000 + p,
                condition_path=people.paths[p],
                facets=frozenset(),
                issues=people.issues[p],
                age=float(people.ages[p]),
                gender=GENDERS[people.genders[p]],
                languages=people.languages[p],
                cultures=people.cultures[p],
                lat=lat,
                lon=lon,
                modalities=people.modalities(p),
                availability=people.availability[p],
                remaining=int(remaining[p]),
                eligible=bool(eligible[p]),
                blockers=() if eligible[p] else (blockers[p % 3],),
                wellbeing=float(wellbeing[p]),
                since_year=float(people.since[p]),
                text=people.text(p, tree, "I went through"),
                alias=f"Peer {p}",
            )
        )
    return peers


def make_seekers(
    pick: np.random.Generator, tree: Tree, n: int, peers: list[PeerRecord]
) -> list[SeekerRecord]:
    people = _People(pick, tree, n, seekers=True)
    wish = pick.random(n)
    wished_gender = pick.choice(2, size=n)
    same_culture = pick.random(n) < 0.1
    need_language = pick.random(n) < 0.5
    returning = pick.random(n) < 0.03
    excluding = pick.random(n) < 0.05
    peer_at = pick.integers(0, len(peers), (n, 2))
    waiting = pick.exponential(40, n)
    seekers = []
    for s in range(n):
        lat, lon = people.place(s)
        main = people.languages[s][0]
        seekers.append(
            SeekerRecord(
                id=s + 1,
                condition_path=people.paths[s],
                facets=frozenset(),
                issues=people.issues[s],
                age=float(people.ages[s]),
                gender=GENDERS[people.genders[s]],
                languages=people.languages[s],
                cultures=people.cultures[s],
                lat=lat,
                lon=lon,
                modalities=people.modalities(s),
                availability=people.availability[s],
                text=people.text(s, tree, "I am facing"),
                since_year=float(people.since[s]),
                peer_gender=GENDERS[wished_gender[s]] if wish[s] < 0.15 else "",
                gender_required=bool(wish[s] < 0.05),
                language="" if main == "en" else main,
                language_required=bool(main != "en" and need_language[s]),
                same_culture=bool(same_culture[s]),
                previous=frozenset({peers[peer_at[s, 0]].id}) if returning[s] else frozenset(),
                excluded=frozenset({peers[peer_at[s, 1]].id}) if excluding[s] else frozenset(),
                waiting_days=float(waiting[s]),
            )
        )
    return seekers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    size = parser.parse_args(argv).size
    started = time.perf_counter()
    seekers, peers, _ = programme(size)
    seconds = time.perf_counter() - started
    roots = np.bincount([p.condition_path[0] for p in peers], minlength=CONDITIONS + 2)
    peer_subs = {p.condition_path[1] for p in peers if len(p.condition_path) > 1}
    lonely = sum(
        1 for s in seekers if len(s.condition_path) > 1 and s.condition_path[1] not in peer_subs
    )
    print(
        f"method=generate size={size} seekers={len(seekers)} peers={len(peers)} "
        f"seconds={seconds:.2f} peak_mib={peak_mib():.0f} "
        f"largest_condition_share={roots.max() / len(peers):.3f} "
        f"seekers_without_peer_sub_condition={lonely} "
        f"non_english_seekers={sum(s.languages[0] != 'en' for s in seekers)}"
    )
    print(
        f"headline: generated {len(seekers):,} seekers and {len(peers):,} peers in {seconds:.1f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
