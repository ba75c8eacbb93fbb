"""One sentence as the readers of its figures see it (:mod:`pipelines.sentence` and the
readers it coordinates): its words, its clauses and parentheses, each figure's label, and the
figures read from it so far.

It decides nothing about a figure: it cuts the sentence once (clause bounds, asides such as
（含生育保险）, parentheses, years, basis and period words) so that every reader asks it the
same questions — which clause a position is in, the words before and after a figure, whether
a year speaks inside its parentheses — and it keeps what one figure's reading tells the next
(``facts``, ``previous``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pipelines import segment
from pipelines.context import YEAR_RE, Candidate, Label, ParagraphState
from pipelines.numbers import Quantity
from pipelines.run import DocumentRun
from pipelines.segment import Sentence
from pipelines.vocab import PeriodCue, Token

_LABEL_COLON = re.compile(r"[：:]\s*-?\d")
T = TypeVar("T")


class once(Generic[T]):  # a decorator, named like property
    """A property worked out the first time it is asked for, then kept in the instance: what
    functools.cached_property does, without the lock it takes on Python 3.11 (a cost on every
    sentence, where these are read by one thread only)."""

    def __init__(self, compute: Callable[[Any], T]):
        self.compute = compute
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> T:
        if instance is None:
            return self  # type: ignore[return-value]
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


class SentenceScope:
    """One sentence's words and clauses, and the figures read from it so far."""

    def __init__(self, run: DocumentRun, sent: Sentence, tokens: list[Token], state: ParagraphState):
        self.run = run
        self.text = run.text
        self.sent = sent
        self.tokens = [t for t in tokens if t.kind != "noise"]
        self.noise = [t for t in tokens if t.kind == "noise"]
        self.asides = [(t.start, t.end) for t in tokens if t.attr("cue") == "aside"]
        self.state = state
        self._all_tokens = tokens
        self.parens = segment.paren_spans(self.text, sent.start, sent.end)
        self.facts: list[Candidate] = []  # facts read from this sentence, in order
        self.previous: tuple[Quantity, Candidate | None, bool] | None = None  # last quantity, fact, excluded
        years = [
            m for m in YEAR_RE.finditer(self.text, sent.start, sent.end) if not run.in_brackets(m.start())
        ]
        self.years = [(m.start(), int(m.group(1))) for m in years]  # (where, which year), 《…》 aside
        self.year_ends = {m.start(): m.end() for m in years}
        self.period_cues: list[PeriodCue] = [
            c for c in run.vocab.period_cues(self.text, sent.start, sent.end) if not run.in_brackets(c.start)
        ]

    # worked out when first asked for: most sentences hold no figure and never ask

    @once
    def bounds(self) -> list[int]:
        """Where the sentence's clauses begin (its start included), ascending."""
        # （含生育保险） is an aside: it does not end the clause it sits in
        # 医保基金支出:8360万元: a colon between a label and its number does not end the clause
        return [
            b
            for b in segment.clause_bounds(self.text, self.sent)
            if not any(s < b <= e for s, e in self.asides) and not _LABEL_COLON.match(self.text, b - 1)
        ]

    @once
    def basis_cues(self) -> list[Token]:
        """The sentence's basis words (预算, 预计, 实际 …), left to right."""
        # 预算 inside 一般公共预算 (a fund's name) or 预算执行率 (noise) is no basis word
        noise = [(t.start, t.end) for t in self._all_tokens if t.kind in ("noise", "fund")]
        return [
            c
            for c in self.run.vocab.basis_cues(self.text, self.sent.start, self.sent.end)
            if not any(s < c.end and c.start < e for s, e in noise)
        ]

    @once
    def _by_cue(self) -> dict[str, list[Token]]:
        by_cue: dict[str, list[Token]] = {}
        for t in self.tokens:
            if (cue := t.attr("cue")) is not None:
                by_cue.setdefault(cue, []).append(t)
        return by_cue

    @once
    def exclusions(self) -> list[Token]:
        """The sentence's exclusion words (non-fund money, targets …), in order."""
        return [t for t in self.tokens if t.kind == "exclusion"]

    def cues(self, cue: str) -> list[Token]:
        """The sentence's words that are the cue ``cue`` (respectively, component …), in order."""
        return self._by_cue.get(cue, [])

    # ---- clauses and labels

    def clause_of(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.bounds, pos) - 1
        start = self.bounds[i]
        end = self.bounds[i + 1] - 1 if i + 1 < len(self.bounds) else self.sent.end
        return start, end

    def live(self, t: Token) -> bool:
        """False for words inside an aside such as （含生育保险）."""
        return t.attr("cue") == "aside" or not any(s <= t.start < e for s, e in self.asides)

    @once
    def live_tokens(self) -> list[Token]:
        """The sentence's words less those inside an aside, in order (worked out once)."""
        return [t for t in self.tokens if self.live(t)] if self.asides else self.tokens

    def label(self, q: Quantity) -> Label:
        c_start, c_end = self.clause_of(q.start)
        live = self.live_tokens
        before = [t for t in live if c_start <= t.start and t.end <= q.start]
        after = [t for t in live if q.end <= t.start and t.end <= c_end]
        earlier = [t for t in live if t.end <= c_start]
        return Label(before, after, earlier, c_start, c_end)

    def touches(self, t: Token, q: Quantity) -> bool:
        """Nothing but filler (为, 是, 达, 共计, 约, spaces) between the word ``t`` and the number ``q``."""
        return not self.text[t.end : q.start].strip(" 为是达共计约")

    # ---- parentheses

    def same_parens(self, pos: int, q_pos: int) -> bool:
        """A year inside （2021年为…） speaks only inside its parentheses."""
        return all(s <= q_pos < e for s, e in self.parens if s <= pos < e)

    # ---- figures read so far

    def facts_outside_asides(self, q: Quantity) -> list[Candidate]:
        """Facts read so far, less those inside parentheses that ``q`` is not in:
        …770元（其中个人缴费250元、财政补助520元），比上年710元 compares with 770元."""
        closed = [(s, e) for s, e in self.parens if not s <= q.start < e]
        return [f for f in self.facts if not any(s <= f.start < e for s, e in closed)]

    def emit(self, fact: Candidate) -> None:
        """Keep ``fact``: one of the document's candidates, and of this sentence's facts."""
        self.run.candidates.append(fact)
        self.facts.append(fact)
