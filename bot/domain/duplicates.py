"""Likely duplicate ideas, found for moderators: "more benches on the green" and "benches for
the green please" are one idea given twice.

Texts are normalised (lower case, no punctuation, common words dropped, plurals, "-ing" and
"-ed" folded: "benches" -> "bench") and compared with rapidfuzz's token-set ratio, all pairs at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.domain.ideas import ideas_of
from bot.domain.moderation import OPEN
from bot.text.clean import fold
from models import Community, Idea
from models.states import IdeaStatus

if TYPE_CHECKING:
    import numpy as np

# numpy and rapidfuzz are imported in the functions that compare: the web app imports this
# module when it starts (every `commonpurse` command builds the app), and numpy costs 0.2 s.

# 0-100; at or above this a pair is shown. Chosen on tests/data/duplicate_pairs.csv.
THRESHOLD = 80
MOST = 3  # duplicates shown per idea

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "on",
        "in",
        "at",
        "to",
        "for",
        "by",
        "with",
        "from",
        "into",
        "onto",
        "near",
        "round",
        "around",
        "along",
        "behind",
        "outside",
        "inside",
        "up",
        "our",
        "my",
        "your",
        "their",
        "its",
        "this",
        "that",
        "these",
        "those",
        "some",
        "more",
        "new",
        "please",
        "could",
        "would",
        "should",
        "can",
        "will",
        "we",
        "i",
        "you",
        "it",
        "be",
        "is",
        "are",
        "was",
        "get",
        "got",
        "need",
        "needs",
        "want",
        "like",
        "lets",
        "let",
        "s",
        "too",
        "very",
        "just",
        "all",
        "so",
        "there",
        "here",
        "them",
        "they",
        "us",
        "have",
        "has",
        "do",
        "make",
        "put",
        "community",
        "local",
        "area",
        "people",
        "resident",
        "residents",
    ]
)  # the last line: words nearly every idea in a neighbourhood shares

_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script
_KEEP_S = ("ss", "us", "is")


@dataclass(frozen=True)
class Duplicate:
    number: int  # the other idea's number in the community
    score: int  # 0-100


def stem(word: str) -> str:
    """Simple English folding: benches -> bench, libraries -> library, lighting -> light,
    planted -> plant."""
    if len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(_KEEP_S):
        return word[:-1]
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) > len(ending) + 3 and not word.endswith("eed"):
            root = word[: -len(ending)]
            return root[:-1] if root[-1] == root[-2] and root[-1] not in "ls" else root
    return word


def normalise(text: str) -> str:
    """The words that carry the idea, folded, in their order."""
    words = _WORD.findall(fold(text).lower().replace("'", ""))
    return " ".join(stem(w) for w in words if w not in STOP_WORDS)


def similarity(a: str, b: str) -> int:
    """How alike two idea texts are, 0-100."""
    import numpy as np
    from rapidfuzz import fuzz, process

    return int(
        process.cdist([normalise(a)], [normalise(b)], scorer=fuzz.token_set_ratio, dtype=np.uint8)[0, 0]
    )  # rounded as _scores rounds


def likely_duplicates(ideas: list[tuple[int, str]], most: int = MOST) -> dict[int, list[Duplicate]]:
    """For (number, text) pairs: each number's likely duplicates, best first (ties: lower number),
    at most `most`; numbers without any are left out."""
    import numpy as np

    ideas = sorted(ideas)
    numbers = [n for n, _ in ideas]
    texts = [normalise(t) for _, t in ideas]
    scores = _pairwise(texts)
    found: dict[int, list[Duplicate]] = {}
    for i in np.flatnonzero((scores >= THRESHOLD).any(axis=1)):  # a loop over ideas, not pairs
        alike = np.flatnonzero(scores[i] >= THRESHOLD)
        best = alike[np.argsort(-scores[i, alike].astype(int), kind="stable")][:most]
        found[numbers[i]] = [Duplicate(numbers[j], int(scores[i, j])) for j in best]
    return found


def _pairwise(texts: list[str]) -> np.ndarray:
    """Every text against every other, 0-100 (0 below THRESHOLD, for itself, or for no words)."""
    import numpy as np
    from rapidfuzz import fuzz

    words = [sorted(set(text.split())) for text in texts]
    # Without a word in common the token-set ratio is the plain ratio of the sorted words, which
    # rapidfuzz finds many times faster: only pairs sharing a word need the token-set ratio.
    scores = _scores([" ".join(w) for w in words], fuzz.ratio)
    shared = np.zeros(scores.shape, dtype=bool)
    for holders in _postings(words).values():
        if len(holders) > 1:
            shared[np.ix_(holders, holders)] = True
    shared = np.triu(shared, k=1)  # scored once per pair
    everyone = np.array(texts, dtype=object)
    for i in np.flatnonzero(shared.any(axis=1)):  # a loop over ideas, not pairs
        others = np.flatnonzero(shared[i])
        scores[i, others] = scores[others, i] = _scores(
            [texts[i]], fuzz.token_set_ratio, everyone[others], workers=1
        )[0]
    np.fill_diagonal(scores, 0)
    empty = [i for i, text in enumerate(texts) if not text]  # "the", "?": nothing to compare
    scores[empty, :] = scores[:, empty] = 0
    return scores


def _postings(words: list[list[str]]) -> dict[str, list[int]]:
    """Each word, with the texts that hold it."""
    holders: dict[str, list[int]] = {}
    for i, own in enumerate(words):
        for word in own:
            holders.setdefault(word, []).append(i)
    return holders


def _scores(
    rows: Sequence[str],
    scorer: Callable[..., float],
    columns: Sequence[str] | np.ndarray | None = None,
    workers: int = -1,
) -> np.ndarray:
    """Every row against every column (default: the rows), whole numbers 0-100 as shown, 0 below
    THRESHOLD."""
    import numpy as np
    from rapidfuzz import process

    # The cutoff applies before rounding: half a point lower keeps a 79.6 that shows as 80.
    scores = process.cdist(
        rows,
        rows if columns is None else columns,
        scorer=scorer,
        dtype=np.uint8,
        score_cutoff=THRESHOLD - 0.5,
        workers=workers,
    )
    scores[scores < THRESHOLD] = 0
    return scores


def duplicates_among(ideas: list[Idea]) -> dict[int, list[Duplicate]]:
    """Likely duplicates among a community's ideas, by idea number.

    Only ideas that can still be merged are candidates, on either side: submitted or
    shortlisted (moderation.OPEN). Rejected, merged, in-round, funded and not-funded ideas have
    none and are nobody's, since `merge` would refuse them."""
    return likely_duplicates([(i.number, i.text) for i in ideas if i.status in OPEN])


def duplicates_in(session: Session, community: Community) -> dict[int, list[Duplicate]]:
    """The community's likely duplicates, by idea number (see duplicates_among)."""
    return duplicates_among(ideas_of(session, community))


def as_json(found: dict[int, list[Duplicate]], number: int) -> list[dict[str, Any]]:
    """An idea's likely duplicates as the CLI's --json and the API give them."""
    return [{"number": d.number, "score": d.score} for d in found.get(number, [])]


def which_stays(a: Idea, b: Idea) -> tuple[Idea, Idea]:
    """(duplicate, the one it merges into): the shortlisted one stays if only one is, else the
    older, so an agreed cost and the first author's idea are kept."""
    newer, older = (a, b) if a.number > b.number else (b, a)
    if newer.status == IdeaStatus.SHORTLISTED and older.status != IdeaStatus.SHORTLISTED:
        return older, newer
    return newer, older
