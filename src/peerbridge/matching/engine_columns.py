"""The matching engine's records and the peers as NumPy columns (`PeerTable`).

Pure Python on NumPy, with no Django import. See `matching.engine` for what the score is
made of; this module holds the inputs (the policy, the peer and seeker records) and the
columnar form peers take once per programme, with an index of peers by condition node.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

COMPONENTS = (
    "condition",
    "issues",
    "text",
    "age",
    "gender",
    "language",
    "culture",
    "distance",
    "modality",
    "availability",
    "capacity",
    "continuity",
)
REQUIRABLE = frozenset({"condition", "gender", "language", "culture", "distance", "modality"})
COMPONENT_INDEX = {name: number for number, name in enumerate(COMPONENTS)}

EARTH_RADIUS_KM = 6371.0088
AGE_SCALE_YEARS = 10.0  # the age score halves at this many years apart
FACET_SHARE = 0.25  # part of the condition score that comes from shared facets
CAPACITY_FULL = 4  # remaining places at which the capacity component is full
AVAILABILITY_FULL = 4  # shared hours a week at which availability is full
SUBCONDITION_FALLBACK_SHIFT = 0.5  # share of the condition weight moved when only it is rare
GRAPH_MIN_SCORE = 0.01  # a feasible pair never has score 0 in the candidate graph

# The condition score of a pair, from the levels of the tree they share and where each
# path ends: identical paths 1.0; the same sub-condition 0.85 when one side knows no facet,
# else 0.75 (different facets); the same condition 0.5 when one side knows only the
# condition, else 0.3 (related: different sub-conditions); nothing shared 0. Written as
# increments per shared level (see condition_scores), for seekers whose path has 1, 2 or 3
# levels: (a1, b1, a2, b2, a3) where b1 applies when the peer's path stops at the
# condition and b2 when it stops at the sub-condition.
CONDITION_STEPS = {
    0: (0.0, 0.0, 0.0, 0.0, 0.0),
    1: (0.5, 0.5, 0.0, 0.0, 0.0),
    2: (0.3, 0.2, 0.55, 0.15, 0.0),
    3: (0.3, 0.2, 0.45, 0.1, 0.25),
}
BEST_CONDITION_SHARING_ONE_LEVEL = 0.5
UNKNOWN_PLACE_KM = 3335.0  # unknown places sit at the earth's centre, this far from all
MAX_DISTANCE_KM = 3000.0
F32 = np.float32


# --- The records ----------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """A programme's weights (0..100 per component), hard requirements and the furthest
    distance for meeting in person."""

    weights: Mapping[str, float]
    requirements: frozenset[str] = frozenset()
    max_distance_km: float = 50.0

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(COMPONENTS)
        if unknown:
            raise ValueError(f"unknown components: {sorted(unknown)}")
        if any(not 0 <= float(w) <= 100 for w in self.weights.values()):
            raise ValueError("weights must be between 0 and 100")
        if not set(self.requirements) <= REQUIRABLE:
            raise ValueError(f"unknown requirements: {sorted(set(self.requirements) - REQUIRABLE)}")
        if not self.max_distance_km > 0:
            raise ValueError("max_distance_km must be positive")

    def weight(self, component: str) -> float:
        return float(self.weights.get(component, 0.0))


@dataclass(frozen=True)
class PeerRecord:
    id: int
    condition_path: tuple[int, ...]
    facets: frozenset[int]
    issues: frozenset[int]
    age: float | None
    gender: str
    languages: tuple[str, ...]
    cultures: frozenset[str]
    lat: float | None
    lon: float | None
    modalities: frozenset[str]
    availability: frozenset[int]
    remaining: int
    eligible: bool
    blockers: tuple[str, ...]
    wellbeing: float = 1.0
    since_year: float | None = None
    text: str = ""
    alias: str = ""


@dataclass(frozen=True)
class SeekerRecord:
    id: int
    condition_path: tuple[int, ...]
    facets: frozenset[int]
    issues: frozenset[int]
    age: float | None
    gender: str
    languages: tuple[str, ...]
    cultures: frozenset[str]
    lat: float | None
    lon: float | None
    modalities: frozenset[str]
    availability: frozenset[int]
    text: str = ""
    since_year: float | None = None
    peer_gender: str = ""
    gender_required: bool = False
    language: str = ""
    language_required: bool = False
    same_culture: bool = False
    max_distance_km: float | None = None
    previous: frozenset[int] = frozenset()
    excluded: frozenset[int] = frozenset()
    waiting_days: float = 0.0


# --- Columns ----------------------------------------------------------------------------


_WORD_TYPES: tuple[tuple[int, type[np.unsignedinteger[Any]]], ...] = (
    (8, np.uint8),
    (16, np.uint16),
    (32, np.uint32),
    (64, np.uint64),
)


class Bits:
    """A vocabulary of values as bit positions, so sets become rows of words: one word
    of the smallest unsigned type that holds the vocabulary, or uint64 words beyond 64
    values (narrow words make the pairwise operations cheaper)."""

    def __init__(self, values: Iterable[Hashable]) -> None:
        self.position = {value: n for n, value in enumerate(dict.fromkeys(values))}
        size = len(self.position)
        self.dtype: type[np.unsignedinteger[Any]] = next(
            dtype for bits, dtype in _WORD_TYPES if size <= bits or bits == 64
        )
        self.words = max(1, -(-size // 64))

    def encode(self, sets: Sequence[Collection[Hashable]]) -> NDArray[np.unsignedinteger[Any]]:
        """(words, len(sets)): word w holds the values at positions 64w .. 64w + 63."""
        position = self.position
        number: dict[Any, int] = {}  # people share sets: encode each distinct one once
        at = [number.setdefault(values, len(number)) for values in sets]
        masks = [sum({1 << position[v] for v in values if v in position}) for values in number]
        if self.words == 1:
            table = np.array(masks, dtype=self.dtype)[None, :]
        else:
            every = (1 << 64) - 1
            table = np.array(
                [[(mask >> (64 * w)) & every for mask in masks] for w in range(self.words)],
                dtype=np.uint64,
            )
        found: NDArray[np.unsignedinteger[Any]] = table[:, np.array(at, dtype=np.intp)]
        return found.reshape(self.words, len(at))


def unit_vectors(
    lat: Sequence[float | None], lon: Sequence[float | None]
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """(3, n) points on the unit sphere (unknown ones at the centre), and which are known."""
    known = np.array([a is not None and b is not None for a, b in zip(lat, lon, strict=True)])
    phi = np.radians(np.array([a if a is not None else 0.0 for a in lat], dtype=np.float64))
    lam = np.radians(np.array([b if b is not None else 0.0 for b in lon], dtype=np.float64))
    xyz = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
    return (xyz * known).astype(F32), known.astype(np.bool_)


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The haversine distance between two (lat, lon) points in degrees."""
    phi1, phi2 = math.radians(a[0]), math.radians(b[0])
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


@dataclass
class Columns:
    """Peer columns for some rows of a PeerTable (all of them, a block or a slice)."""

    rows: NDArray[np.intp]  # PeerTable rows, ascending
    path: NDArray[np.int32]  # (3, n), -1 past the peer's depth
    ends_at: NDArray[np.float32]  # (2, n): the path stops at the condition / sub-condition
    facets: NDArray[Any]  # facets named besides the path; bit sets have (words, n)
    issues: NDArray[Any]
    issues_inv_sqrt: NDArray[np.float32]
    age: NDArray[np.float32]  # unknown ages are far away (score ~0)
    gender: NDArray[np.int16]
    languages: NDArray[Any]
    cultures: NDArray[Any]
    xyz: NDArray[np.float32]
    modalities: NDArray[Any]
    availability: NDArray[Any]
    capacity: NDArray[np.float32]
    base: NDArray[np.bool_]  # eligible with room
    all_base: bool

    PER_PEER: ClassVar[tuple[str, ...]] = ("issues_inv_sqrt", "age", "gender", "capacity", "base")
    PER_WORD: ClassVar[tuple[str, ...]] = (
        "path",
        "ends_at",
        "facets",
        "issues",
        "languages",
        "cultures",
        "xyz",
        "modalities",
        "availability",
    )

    def take(self, rows: NDArray[np.intp] | slice) -> Columns:
        """The columns of some of these rows, in ascending order (a slice gives views)."""
        fields: dict[str, Any] = {name: getattr(self, name)[rows] for name in self.PER_PEER}
        if isinstance(rows, slice):  # views, whose rows stay contiguous
            fields.update({name: getattr(self, name)[:, rows] for name in self.PER_WORD})
        else:  # a[:, rows] alone would give strided rows, several times slower to scan
            fields.update(
                {name: np.ascontiguousarray(getattr(self, name)[:, rows]) for name in self.PER_WORD}
            )
        return Columns(rows=self.rows[rows], all_base=bool(fields["base"].all()), **fields)

    def __len__(self) -> int:
        return int(self.rows.shape[0])


class PeerTable:
    """A programme's peers as NumPy columns, built once; rows in the order given.

    Also an index by condition: the rows of peers whose path holds a given node."""

    ids: NDArray[np.int64]

    def __init__(
        self, records: tuple[PeerRecord, ...], columns: Columns, vocab: dict[str, Any]
    ) -> None:
        self.records = records
        self.columns = columns
        self.vocab = vocab
        self.ids = np.array([p.id for p in records], dtype=np.int64)
        self.row_of = {int(pid): row for row, pid in enumerate(self.ids)}
        if len(self.row_of) != len(records):
            raise ValueError("peer ids must be unique")
        self.by_node: dict[int, NDArray[np.intp]] = {}
        for level in range(3 if records else 0):
            nodes = columns.path[level]
            order = np.argsort(nodes, kind="stable")
            values, starts = np.unique(nodes[order], return_index=True)
            for node, part in zip(values, np.split(order, starts[1:]), strict=True):
                if node >= 0:
                    self.by_node[int(node)] = np.sort(part).astype(np.intp)
        self.capacity_max = float(columns.capacity[columns.base].max(initial=0.0))
        self.node_columns: dict[int, Columns] = {}
        self._base_columns: Columns | None = None

    @classmethod
    def build(cls, peers: Sequence[PeerRecord]) -> PeerTable:
        records = tuple(peers)
        n = len(records)
        path = np.full((3, n), -1, dtype=np.int32)
        for row, peer in enumerate(records):
            for level, node in enumerate(peer.condition_path[:3]):
                path[level, row] = node
        depth = (path >= 0).sum(axis=0)
        vocab: dict[str, Any] = {
            "facets": Bits(v for p in records for v in p.facets),
            "issues": Bits(v for p in records for v in p.issues),
            "languages": Bits(v for p in records for v in p.languages),
            "cultures": Bits(v for p in records for v in p.cultures),
            "modalities": Bits(v for p in records for v in p.modalities),
            "availability": Bits(sorted({v for p in records for v in p.availability})),
            "gender": {g: n for n, g in enumerate(dict.fromkeys(p.gender for p in records))},
        }
        issue_counts = np.array([len(p.issues) for p in records], dtype=np.float64)
        xyz, _ = unit_vectors([p.lat for p in records], [p.lon for p in records])
        remaining = np.array([p.remaining for p in records], dtype=np.int64)
        wellbeing = np.clip(np.array([p.wellbeing for p in records], dtype=np.float64), 0, 1)
        base = np.array([p.eligible for p in records], dtype=np.bool_) & (remaining > 0)
        columns = Columns(
            rows=np.arange(n, dtype=np.intp),
            path=path,
            ends_at=np.stack([depth == 1, depth == 2]).astype(F32),
            facets=vocab["facets"].encode([p.facets for p in records]),
            issues=vocab["issues"].encode([p.issues for p in records]),
            issues_inv_sqrt=(1 / np.sqrt(np.maximum(issue_counts, 1))).astype(F32),
            age=np.array([1e4 if p.age is None else p.age for p in records], dtype=F32),
            gender=np.array([vocab["gender"][p.gender] for p in records], dtype=np.int16),
            languages=vocab["languages"].encode([p.languages for p in records]),
            cultures=vocab["cultures"].encode([p.cultures for p in records]),
            xyz=xyz,
            modalities=vocab["modalities"].encode([p.modalities for p in records]),
            availability=vocab["availability"].encode([p.availability for p in records]),
            capacity=(np.clip(remaining, 0, CAPACITY_FULL) / CAPACITY_FULL * wellbeing).astype(F32),
            base=base,
            all_base=bool(base.all()),
        )
        return cls(records, columns, vocab)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def rows_sharing(self, node: int) -> NDArray[np.intp]:
        """Rows of peers whose condition path holds `node`, in row order."""
        return self.by_node.get(node, np.empty(0, dtype=np.intp))

    def columns_sharing(self, node: int) -> Columns:
        """All the columns of the peers whose path holds `node`, kept once made."""
        found = self.node_columns.get(node)
        if found is None:
            found = self.node_columns[node] = self.columns.take(self.rows_sharing(node))
        return found

    @property
    def base_columns(self) -> Columns:
        """The columns of the peers who are eligible with room (the only ones a
        candidate graph can use), kept once made."""
        if self._base_columns is None:
            self._base_columns = self.columns.take(np.flatnonzero(self.columns.base))
        return self._base_columns
