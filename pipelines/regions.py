"""China's administrative regions (GB/T 2260 codes) and region detection in report text.

The table comes from ``data/regions/gb2260.csv`` (built by ``scripts/build_regions.py``
from 民政部's current list and the older codes of about 2016; see ``data/regions/README.md``).
It has four levels:
national (100000 全国), province, city and county (districts, counties, banners and
county-level cities). Provinces have ``parent_code`` ``None``; their implicit parent is
the national row, so :meth:`RegionTable.parent` of a province is 全国 and
:meth:`RegionTable.ancestors` always ends with 全国 (for every region but 全国 itself).
Districts of the municipalities (北京/天津/上海/重庆) have the municipality
(``110000`` etc., level province) as parent; county-level units directly administered by
a province (仙桃市, 神农架林区 …) have the province as parent.

Older codes stay in the table as ``historic`` regions so that old reports, gold labels and stored
files resolve. A historic region only renamed or recoded has a ``successor_code`` (宁乡县 430124 →
宁乡市 430182): its old name finds the current region, so a 2015 report of 宁乡县 and a 2020 one
of 宁乡市 land on one region; :meth:`RegionTable.get` still returns the old code's row and
:meth:`RegionTable.resolve` the region it stands for now. A merged or split region has no
successor and stays itself (its name finds it). A name that is older in one place and current
in another (江北区: 重庆's, merged in 2025, and 宁波's) goes to the current one unless an
ancestor or a qualifier in the text picks the older.

:func:`detect_region` decides which region a report covers from evidence in the text:

* name mentions (:meth:`RegionTable.find_mentions`), weighted up when they name an
  agency (``…医疗保障局``, ``…医保局``, ``…人民政府``, ``…财政局`` …; less inside 《…》
  citations) or appear in the title lines (the leading short heading lines). In a chain
  such as 益阳市赫山区医疗保险管理所 only the last, most specific name gets the agency;
* level words (全国/全省/全市/全州/全县/全区/全旗/我市/本县/市本级 …) that say which level
  the report covers. A region agrees with them when its name ends with the same unit
  character (全市 fits 益阳市, 浏阳市 and 北京市; 全区 fits 赫山区 and 广西壮族自治区);
* co-mentioned ancestors, which resolve duplicate names (鼓楼区 in 南京 vs 福州): a name
  directly preceded by its ancestor (北京市朝阳区), else the same region named elsewhere by
  a unique surface, else an ancestor named anywhere in the text;
* ``国家医疗保障局``/``国家医保局`` and 全国 in the title for national reports (100000).

The winner is ranked by: title mention, agreement with the dominant level word, agency
mention, weighted count, then specificity. Confidence:

* ``high``: a title or agency mention, the dominant level word agrees, and the name is
  unique or was resolved by an ancestor;
* ``medium``: a title/agency mention without level agreement (or no level words), or an
  ambiguous name that could not be resolved, or only repeated plain mentions that agree
  with the level words;
* ``low``: a guess (a single plain mention, or level words alone);
* ``none``: no region found (the evidence still reports the level words, if any).

Two-character county names and province/city short names glued to a preceding Chinese
character (示范县 → 范县, 医保定点 → 保定) are "weak": they count only for regions that are
also mentioned in a reliable way. Evidence strings are short Chinese sentences for users.
"""

from __future__ import annotations

import bisect
import csv
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from pipelines.normalize import is_cjk as _is_cjk
from pipelines.normalize import is_furniture

DEFAULT_CSV = Path(__file__).resolve().parents[1] / "data" / "regions" / "gb2260.csv"

NATIONAL_CODE = "100000"
LEVELS = ("national", "province", "city", "county")

# The 55 minority nationalities, as they appear inside autonomous-area names
# (广西壮族自治区, 延边朝鲜族自治州, 巴音郭楞蒙古自治州 …).
# fmt: off
_ETHNIC_GROUPS = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家",
    "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇",
    "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米",
    "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙",
    "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
# fmt: on
# "X族" always; the bare name only for multi-character names (蒙古, 哈萨克, 柯尔克孜), since a
# bare single character (回, 藏, 白 …) is far too likely to be part of the place name.
_ETHNIC_AFFIXES = sorted(
    [g + "族" for g in _ETHNIC_GROUPS] + [g for g in _ETHNIC_GROUPS if len(g) > 1] + ["各族"],
    key=len,
    reverse=True,
)
_BANNER_SUFFIXES = ("左旗", "右旗", "中旗", "前旗", "后旗", "联合旗")
_AUTONOMOUS_SUFFIXES = ("自治区", "自治州", "自治县", "自治旗")
_TYPE_SUFFIXES = ("特别行政区", "地区", "林区", "新区", "特区", "矿区", "省", "市", "盟", "区", "县", "旗")


def _short_name(name: str, level: str) -> str:
    if level == "national":
        return name
    for suffix in _AUTONOMOUS_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            changed = True
            while changed:
                changed = False
                for affix in _ETHNIC_AFFIXES:
                    if stem.endswith(affix) and len(stem) - len(affix) >= 2:
                        stem = stem[: -len(affix)]
                        changed = True
                        break
            return stem
    if name.endswith(_BANNER_SUFFIXES):  # 土默特左旗, 达尔罕茂明安联合旗: 旗 is part of the name
        return name
    for suffix in _TYPE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _surfaces_of(name: str, level: str) -> list[str]:
    """What a region's name is searched as: the full name; a province's or city's short name
    (≥2 characters); the customary abbreviations of autonomous areas (湘西州, 江华县, 鄂伦春旗)."""
    out = [name]
    short = _short_name(name, level)
    if level in ("province", "city") and short != name and len(short) >= 2:
        out.append(short)
    for suffix in ("自治州", "自治县", "自治旗"):
        if name.endswith(suffix) and short != name and not short.endswith("族"):
            out.append(short + suffix[-1])
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str
    parent_code: str | None
    status: str = "current"  # current | historic
    successor_code: str | None = None  # a historic region only renamed or recoded: its current code
    former_names: tuple[str, ...] = ()  # a current region's older names (宁乡县 for 宁乡市)

    @property
    def is_current(self) -> bool:
        return self.status == "current"

    @property
    def short_name(self) -> str:
        """Name without its type suffix, never shorter than two characters.

        益阳市→益阳, 赫山区→赫山, 湖南省→湖南, 宁县→宁县, 内蒙古自治区→内蒙古,
        延边朝鲜族自治州→延边, 神农架林区→神农架.
        """
        return _short_name(self.name, self.level)

    @property
    def unit(self) -> str:
        """The character a level word uses for this region: 国, 省, 市, 区, 县, 州, 盟, 旗 …

        It is the last character of the full name (湖南省→省, 浏阳市→市, 北京市→市,
        广西壮族自治区→区, 延边朝鲜族自治州→州), so 全市 fits both a prefecture-level city
        and a county-level city, and 全区 fits districts as well as autonomous regions.
        """
        return "国" if self.level == "national" else self.name[-1]

    @property
    def units(self) -> frozenset[str]:
        """The level-word characters of its name and its former names: 全县 still fits 宁乡市 in
        a report of the years it was 宁乡县."""
        return frozenset((self.unit, *(name[-1] for name in self.former_names)))


@dataclass(frozen=True)
class RegionMention:
    start: int
    end: int
    surface: str
    candidates: tuple[Region, ...]

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


class RegionTable:
    """All regions, indexed by code and by name (full names plus short names)."""

    def __init__(self, regions: Iterable[Region]):
        self._by_code: dict[str, Region] = {}
        for region in regions:
            if region.level not in LEVELS:
                raise ValueError(f"unknown level {region.level!r} for {region.code}")
            if region.code in self._by_code:
                raise ValueError(f"duplicate region code {region.code}")
            self._by_code[region.code] = region
        self._link_successors()
        self.national = self._by_code.get(NATIONAL_CODE) or Region(NATIONAL_CODE, "全国", "national", None)
        self._by_code.setdefault(NATIONAL_CODE, self.national)
        self._children: dict[str, list[Region]] = defaultdict(list)
        for region in self._by_code.values():
            parent = self._parent_code(region)
            if parent is not None:
                self._children[parent].append(region)

        # Surfaces searched for in text: every full name, plus short names (≥2 chars) of
        # provinces and cities. County short names (赫山, 南县→南县 …) collide with ordinary
        # words and are not searched. Current names first; then older names, each finding the
        # region it stands for now (宁乡县 → 宁乡市), or the historic region itself.
        surfaces: dict[str, list[Region]] = defaultdict(list)
        self._former: set[tuple[str, str]] = set()  # (surface, code) found only by an older name
        for region in self._by_code.values():
            if region.level != "national" and region.is_current:
                for surface in _surfaces_of(region.name, region.level):
                    surfaces[surface].append(region)
        for region in self._by_code.values():
            if region.level == "national":
                continue
            older = region.former_names if region.is_current else (region.name,)
            target = self.resolve(region.code) or region
            for name in older:
                for surface in _surfaces_of(name, region.level):
                    if target not in surfaces[surface]:
                        surfaces[surface].append(target)
                        self._former.add((surface, target.code))
        self._surfaces: dict[str, tuple[Region, ...]] = {
            s: tuple(sorted(rs, key=lambda r: r.code)) for s, rs in surfaces.items()
        }
        # Scanner: candidate start positions are found in C by a two-character class
        # regex; at each, names sharing the first two characters are tried longest first.
        by_prefix: dict[str, list[str]] = defaultdict(list)
        for s in self._surfaces:
            by_prefix[s[:2]].append(s)
        self._by_prefix = {k: sorted(v, key=len, reverse=True) for k, v in by_prefix.items()}
        first = "".join(sorted({s[0] for s in self._surfaces}))
        second = "".join(sorted({s[1] for s in self._surfaces}))
        self._start_re = re.compile(f"[{re.escape(first)}](?=[{re.escape(second)}])")

    # --- construction -------------------------------------------------------------------

    def _link_successors(self) -> None:
        """Check that every successor is a current region, and give it its predecessors' names."""
        former: dict[str, list[str]] = defaultdict(list)
        for region in self._by_code.values():
            if region.successor_code is None:
                continue
            successor = self._by_code.get(region.successor_code)
            if successor is None or not successor.is_current or region.is_current:
                raise ValueError(f"{region.code} {region.name}: bad successor {region.successor_code}")
            if region.name != successor.name:
                former[successor.code].append(region.name)
        for code, names in former.items():
            region = self._by_code[code]
            extra = tuple(n for n in sorted(names) if n not in region.former_names)
            self._by_code[code] = replace(region, former_names=region.former_names + extra)

    @classmethod
    def from_csv(cls, path: str | Path) -> RegionTable:
        with Path(path).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        return cls(
            Region(
                code=row["code"].strip(),
                name=row["name"].strip(),
                level=row["level"].strip(),
                parent_code=(row.get("parent_code") or "").strip() or None,
                status=(row.get("status") or "").strip() or "current",
                successor_code=(row.get("successor_code") or "").strip() or None,
                former_names=tuple(n for n in [(row.get("former_name") or "").strip()] if n),
            )
            for row in rows
        )

    @classmethod
    def default(cls) -> RegionTable:
        """The table from ``data/regions/gb2260.csv``; loaded once and cached."""
        return _default_table()

    # --- lookups ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Region | None:
        """The region of a code, current or historic (430124 is 宁乡县, historic)."""
        return self._by_code.get(code)

    def resolve(self, code: str) -> Region | None:
        """The region a code stands for now: a historic region's successor where it was only
        renamed or recoded (430124 → 宁乡市 430182), else the region itself; None when unknown."""
        region = self._by_code.get(code)
        if region is not None and region.successor_code is not None:
            return self._by_code[region.successor_code]
        return region

    def by_name(self, name: str) -> tuple[Region, ...]:
        """Regions whose full name, or (province/city) short name, is ``name`` — now or before
        (宁乡县 finds 宁乡市)."""
        return self._surfaces.get(name, ())

    def is_former(self, surface: str, region: Region) -> bool:
        """Does ``surface`` name ``region`` only by an older name (桥东区 for 襄都区), or is the
        region historic? Such a reading yields to a current region of that name."""
        return (surface, region.code) in self._former

    def _parent_code(self, region: Region) -> str | None:
        if region.level == "national":
            return None
        if region.parent_code:
            return region.parent_code
        return NATIONAL_CODE if region.level == "province" else None

    def parent(self, region: Region) -> Region | None:
        """The parent region; 全国 for provinces, ``None`` for 全国."""
        code = self._parent_code(region)
        return self._by_code.get(code) if code else None

    def children(self, region: Region) -> list[Region]:
        return sorted(self._children.get(region.code, []), key=lambda r: r.code)

    def ancestors(self, region: Region) -> list[Region]:
        """Ancestors, nearest first, ending with 全国 (empty for 全国 itself)."""
        out: list[Region] = []
        current = self.parent(region)
        while current is not None and len(out) < 8:
            out.append(current)
            current = self.parent(current)
        return out

    def is_within(self, child: Region, ancestor: Region) -> bool:
        """True when ``child`` is ``ancestor`` or lies inside it (inclusive)."""
        if child.code == ancestor.code:
            return True
        return any(a.code == ancestor.code for a in self.ancestors(child))

    def find_mentions(self, text: str) -> list[RegionMention]:
        """Every occurrence of a region name in ``text``, leftmost-longest.

        Full names of all regions and short names (≥2 characters) of provinces and cities
        are searched, plus the customary abbreviations of autonomous areas (湘西州, 江华县).
        The scan takes the longest name at the leftmost position and resumes after it, so a
        name inside a longer one is not reported (宁县 in 正宁县). A name ending in 县/区
        directly followed by 级 or 域 is skipped in favour of a shorter one at the same
        position, since there the 县/区 belongs to 县级/县域/区级/区域 (市和县级医院 is not
        和县, 河南县级医院 is 河南, not 河南县).
        """
        out: list[RegionMention] = []
        by_prefix = self._by_prefix
        surfaces = self._surfaces
        n = len(text)
        end = 0
        for m in self._start_re.finditer(text):
            i = m.start()
            if i < end:
                continue
            names = by_prefix.get(text[i : i + 2])
            if not names:
                continue
            for name in names:
                if text.startswith(name, i):
                    j = i + len(name)
                    if j < n and text[j] in "级域" and name[-1] in "县区":
                        continue
                    out.append(RegionMention(i, j, name, surfaces[name]))
                    end = j
                    break
        return out


@cache
def _default_table() -> RegionTable:
    return RegionTable.from_csv(DEFAULT_CSV)


# --- detection ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionGuess:
    region: Region | None
    confidence: str  # "high" | "medium" | "low" | "none"
    evidence: tuple[str, ...] = field(default_factory=tuple)


# Agencies whose name starts with the region they serve. Medical-security agencies are the
# report authors; other government bodies (财政局, 人民政府 …) mostly belong to the same
# region but are also cited from higher levels.
_MEDICAL_AGENCY_RE = re.compile(
    r"\s*(?:(?:医疗保障|医疗保险|医保)[\u4e00-\u9fff]{0,6}?(?:局|中心|所|处|办公室|管理办)"
    r"|(?:新型农村)?合作医疗管理(?:办公室|中心|委员会)|合管办|社会保险事业管理(?:局|中心))"
)
_GOV_AGENCY_RE = re.compile(
    r"\s*(?:人民政府|政府|财政局|财政厅|人力资源和社会保障(?:局|厅)|人社局|人社厅|"
    r"卫生健康(?:委员会|局)|卫健委|卫生局|民政局|审计局|统计局|税务局|发展和改革委员会|发改委|"
    r"人民代表大会|人大常委会|委员会)"
)
# A newspaper, station or portal named after its city (淮南日报社, 今日高邮): it publishes the
# text, which may be about anywhere (a 新华社 report of national figures)
_PUBLISHER_RE = re.compile(
    r"\s*(?:日报|晚报|晨报|都市报|商报|报社|新闻网|新闻中心|电视台|广播电视台|融媒体中心|报业)"
)
_LEAD = 40  # characters: a news lead's dateline and source (中新网7月11日电 民政部近日印发…)
_NATIONAL_AGENCY_RE = re.compile(
    r"国家(?:医疗保障局|医保局|统计局|卫生健康委员会|卫健委|卫生计生委|卫生和计划生育委员会)"
    r"|(?<![省市州县区旗])(?:民政部|人力资源和社会保障部|人社部|劳动和社会保障部|劳动保障部|财政部|卫生部|审计署)"
)
# Level words: 全市, 我县, 本区, 市本级 … (我国/本国 are excluded: every report says 我国;
# 全区域/全市场/全省份 are not level words). One charset-led regex finds candidates fast;
# _level_words() filters them.
_LEVEL_RE = re.compile(r"[全我本省市州盟县区旗](?=[国省市州盟县区旗]|本级)")
_LEVEL_UNITS = "国省市州盟县区旗"
_QUAN_WORD_PREFIX = "健安完齐周保成顾两万"  # 健全/安全/完全 …: that 全 is not "whole"
_UNIT_LABEL = {u: ("国家级" if u == "国" else f"{u}级") for u in _LEVEL_UNITS}
_CITATION_RE = re.compile(r"《[^《》\n]{0,120}》")
_TITLE_LINES = 3
_TITLE_MAX_CHARS = 60

# Mention weights.
_W_BASE = 1.0
_W_MEDICAL = 4.0
_W_GOV = 2.0
_W_CITED = 0.35  # factor for agency mentions inside 《…》 (citations of other documents)
_W_TITLE = 4.0


def _level_words(text: str, mentions: list[RegionMention]) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """Count level words by unit character (全县/我县/县本级 → 县), skipping those inside names."""
    counts: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    spans = [(m.start, m.end) for m in mentions]
    mi = 0
    n = len(text)
    for lm in _LEVEL_RE.finditer(text):
        i = lm.start()
        a, b = text[i], text[i + 1]
        if b == "本":  # 市本级
            if a not in _LEVEL_UNITS:
                continue
            unit, word = a, text[i : i + 3]
        else:
            if a not in "全我本" or (a != "全" and b == "国"):
                continue
            if i + 2 < n and text[i + 2] in "域场份":
                continue
            if a == "全" and i > 0 and text[i - 1] in _QUAN_WORD_PREFIX:  # 健全县级, 安全区
                continue
            # 全州县, 全南县 …: a level word inside a region name is not one.
            while mi < len(spans) and spans[mi][1] <= i:
                mi += 1
            if mi < len(spans) and spans[mi][0] < i + 2:
                continue
            unit, word = b, text[i : i + 2]
        counts[unit] += 1
        surfaces[unit][word] += 1
    return counts, surfaces


@dataclass
class _MentionInfo:
    mention: RegionMention
    candidates: tuple[Region, ...]  # after disambiguation
    weight: float = _W_BASE
    title: bool = False
    agency: str = ""  # agency text (e.g. 医疗保障局) when the mention names an agency
    agency_kind: str = ""  # "medical" | "gov" | ""
    cited: bool = False
    qualifier: bool = False  # directly followed by a mention of a descendant (益阳市|赫山区)
    chain_start: int = -1  # start of the qualifier chain ending with this mention
    weak: bool = False
    resolved_by: str = ""  # "adjacent" | "direct" | "ancestor" | ""
    resolved_with: str = ""  # surface that resolved the ambiguity


@dataclass
class _Score:
    region: Region
    score: float = 0.0
    count: float = 0.0
    title: bool = False
    agency: bool = False  # agency mention outside citations
    agency_text: str = ""
    agency_rank: tuple[bool, ...] = (False, False, False)
    title_text: str = ""
    ambiguous_unresolved: bool = False
    unique: bool = False  # named at least once by a surface no other region shares
    resolved: list[tuple[int, str, str]] = field(default_factory=list)  # (k, how, surface)
    surfaces: Counter[str] = field(default_factory=Counter)


_BODY_START_RE = re.compile(r"[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、]")


def _title_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the title lines.

    These are the leading non-empty lines, at most three, that look like a heading: short,
    not a sentence (no final 。；：) and not a numbered section (一、 （一） 1.).
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text[:2000].splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        stripped = line.strip()
        if not stripped or is_furniture(stripped):
            continue  # a blank line, or the page around the report (索引号…, a site's banner)
        if (
            len(stripped) > _TITLE_MAX_CHARS
            or stripped[-1] in "。；;：:"
            or _BODY_START_RE.match(stripped)
            or len(spans) >= _TITLE_LINES
        ):
            break
        spans.append((start, pos))
    return spans


def _in_spans(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def detect_region(text: str, table: RegionTable | None = None) -> RegionGuess:
    """Guess the region a report covers; see the module docstring for the evidence used."""
    table = table or RegionTable.default()
    mentions = table.find_mentions(text)

    level_counts, level_surface = _level_words(text, mentions)
    total_level = sum(level_counts.values())
    level_unit: str | None = None
    if total_level:
        unit, n = level_counts.most_common(1)[0]
        if n * 2 > total_level:
            level_unit = unit

    title_spans = _title_spans(text)
    # 国家医保局 anywhere; another national body (民政部, 财政部 …) only in the first lines (中新网
    # 7月11日电 民政部近日印发…公报): a local report cites them in its body
    national_hits = [
        (m.start(), m.group(0))
        for m in _NATIONAL_AGENCY_RE.finditer(text)
        if m.group(0).startswith("国家医") or _in_spans(m.start(), title_spans) or m.start() < _LEAD
    ]

    if not mentions and not national_hits and level_unit != "国":
        return _no_region(level_unit, level_surface)

    citations = [(m.start(), m.end()) for m in _CITATION_RE.finditer(text)]

    infos = [_MentionInfo(m, m.candidates) for m in mentions]
    _annotate(text, infos, table, title_spans, citations)
    # Weak mentions count only for regions that are also mentioned in a reliable way.
    strong_codes = {c.code for info in infos if not info.weak for c in info.candidates}
    kept: list[_MentionInfo] = []
    for info in infos:
        if info.weak:
            info.candidates = tuple(c for c in info.candidates if c.code in strong_codes)
            if not info.candidates:
                continue
        kept.append(info)
    infos = kept
    _disambiguate(infos, table)

    scores: dict[str, _Score] = {}

    def score_for(region: Region) -> _Score:
        s = scores.get(region.code)
        if s is None:
            s = scores[region.code] = _Score(region)
        return s

    for info in infos:
        k = len(info.candidates)
        for cand in info.candidates:
            s = score_for(cand)
            s.score += info.weight / k
            s.count += 1 / k
            s.surfaces[info.mention.surface] += 1
            if k > 1:
                s.ambiguous_unresolved = True
            elif len(info.mention.candidates) == 1:
                s.unique = True
            if info.resolved_by and k == 1:
                s.resolved.append((len(info.mention.candidates), info.resolved_by, info.resolved_with))
            if info.title and not s.title:
                s.title = True
                s.title_text = _line_at(text, info.mention.start)
            if info.agency:
                if not info.cited:
                    s.agency = True
                rank = (info.title, not info.cited, info.agency_kind == "medical")
                if rank > s.agency_rank:
                    s.agency_rank, s.agency_text = rank, _context(text, info)

    for pos, surface in national_hits:
        s = score_for(table.national)
        s.count += 1
        s.unique = True
        s.surfaces[surface] += 1
        s.agency = True
        in_title = _in_spans(pos, title_spans)
        s.score += _W_BASE + (_W_MEDICAL if surface.startswith("国家医") else _W_GOV) * (
            1.0 if in_title else 0.5
        )
        if in_title:
            s.title = True
            s.title_text = s.title_text or surface
        if not s.agency_text or in_title:
            s.agency_text = surface
    if level_unit == "国":
        s = score_for(table.national)
        s.unique = True
        for a, b in title_spans:
            if "全国" in text[a:b]:  # 2022年全国医疗保障事业发展统计公报
                s.title = True
                s.title_text = s.title_text or text[a:b].strip()

    if not scores:
        return _no_region(level_unit, level_surface)

    # Ranking: a title mention first, then agreement with the level words, then an agency
    # mention, then the weighted count; ties go to the more specific region. 全国 backed
    # only by the word 全国 (no mention at all) does not outrank a region named by an agency.
    any_agency = any(s.agency for s in scores.values())

    def key(s: _Score) -> tuple:
        consistent = level_unit is not None and level_unit in s.region.units
        if s.count == 0 and any_agency:
            consistent = False
        depth = LEVELS.index(s.region.level)
        return (s.title, consistent, s.agency, s.score, depth, s.region.code)

    best = max(scores.values(), key=key)
    region = best.region
    consistent = level_unit is not None and level_unit in region.units

    evidence: list[str] = []
    primary = best.title or best.agency
    if best.agency_text:
        where = "标题/机构名" if best.title else "机构名"
        evidence.append(f"{where}“{best.agency_text}”指向{region.name}")
    elif best.title:
        evidence.append(f"标题“{best.title_text}”指向{region.name}")
    if level_unit is not None:
        top = level_surface[level_unit].most_common(2)
        if consistent:
            if len(top) == 1:
                words = f"“{top[0][0]}”出现{top[0][1]}次"
            else:
                words = "、".join(f"“{w}”{c}次" for w, c in top)
            evidence.append(f"{words}，与{_UNIT_LABEL[level_unit]}一致")
        else:
            quoted = "、".join(f"“{w}”" for w, _ in top)
            counts = "、".join(f"{c}次" for _, c in top)
            evidence.append(f"层级用语以{quoted}为主（{counts}），与{region.name}的层级不一致")
    elif total_level:
        evidence.append("层级用语（全市/全县等）混杂，未能判断层级")
    else:
        evidence.append("文中没有“全市/全县”等层级用语")
    if region.level != "national":
        n = sum(best.surfaces.values())
        names = "".join(f"“{s}”" for s, _ in best.surfaces.most_common(3))
        evidence.append(f"{names}共提及{region.name}{n}次" if len(best.surfaces) > 1 else f"{names}出现{n}次")

    ancestor_surface = _ancestor_surface(infos, table, region)
    # Identified without doubt: named by a unique surface somewhere, or a duplicate name
    # resolved through an ancestor.
    disambiguated = best.unique or any(how != "direct" for _, how, _ in best.resolved)
    if best.resolved:
        k, how, with_surface = max(best.resolved, key=lambda r: (r[1] == "adjacent", r[1] == "ancestor"))
        if how == "direct":
            evidence.append(f"同名地区{k}个，依据文中其他处对“{with_surface}”的提及选定")
        else:
            evidence.append(f"同名地区{k}个，依据文中出现的“{with_surface}”选定")
    if best.ambiguous_unresolved and not disambiguated:
        n_same = len(table.by_name(best.surfaces.most_common(1)[0][0]))
        evidence.append(f"同名地区{n_same}个，文中无上级地区可区分，按其他证据选定")
    if ancestor_surface and not best.resolved:
        evidence.append(f"文中出现上级地区“{ancestor_surface}”，与之相符")

    runner = _runner_up(scores, best, key)
    if primary and consistent and disambiguated:
        confidence = "high"
    elif (primary and disambiguated) or (consistent and best.count >= 2) or (primary and consistent):
        confidence = "medium"
    else:
        confidence = "low"
    if confidence != "low" and runner is not None and not primary and runner.score >= best.score:
        confidence = "low"
    unknown = _unknown_title_agency(text, title_spans, infos)
    if unknown and not best.title:
        evidence.append(f"标题中的“{unknown}”所属地区不在地区表中（可能为新设或更名地区）")
        confidence = "low"
    if confidence == "low":
        evidence.append("证据不足，仅为推测")
    return RegionGuess(region, confidence, tuple(evidence))


_NAME_RUN_RE = re.compile(r"[\u4e00-\u9fff]{1,8}$")


def _unknown_title_agency(text: str, title_spans: list[tuple[int, int]], infos: list[_MentionInfo]) -> str:
    """A medical agency in the title whose region is not a known name (宁乡市医疗保障局 when
    the table still has 宁乡县), as text; empty when there is none."""
    ends = {info.mention.end for info in infos}
    for a, b in title_spans:
        line = text[a:b]
        for m in _MEDICAL_AGENCY_RE.finditer(line):
            if not m.group(0).strip() or (a + m.start()) in ends:
                continue
            run = _NAME_RUN_RE.search(line, 0, m.start())
            if not run:
                continue
            name = re.split(r"[年于的和与及对在为发]", run.group(0))[-1]
            if len(name) >= 2 and name[-1] in "省市县区州旗盟" and name[-2] not in "本我全各该此省市县区州":
                return name + m.group(0).strip()
    return ""


def _no_region(level_unit: str | None, level_surface: dict[str, Counter[str]]) -> RegionGuess:
    evidence = ["文中未发现可识别的地区名称"]
    if level_unit is not None:
        word, n = level_surface[level_unit].most_common(1)[0]
        label = _UNIT_LABEL[level_unit]
        evidence.append(f"“{word}”出现{n}次，应为{label}报告，但无法确定具体地区")
    return RegionGuess(None, "none", tuple(evidence))


def _line_at(text: str, pos: int, limit: int = 30) -> str:
    """The stripped line containing ``pos``, cut to ``limit`` characters."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start : end if end >= 0 else len(text)].strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _runner_up(scores: dict[str, _Score], best: _Score, key) -> _Score | None:
    others = [s for s in scores.values() if s is not best]
    return max(others, key=key) if others else None


def _context(text: str, info: _MentionInfo) -> str:
    start = info.chain_start if info.chain_start >= 0 else info.mention.start
    end = info.mention.end
    if info.agency:
        end += len(info.agency)
    return text[start:end].strip()


def _annotate(
    text: str,
    infos: list[_MentionInfo],
    table: RegionTable,
    title_spans: list[tuple[int, int]],
    citations: list[tuple[int, int]],
) -> None:
    ci = 0
    for idx, info in enumerate(infos):
        m = info.mention
        # Qualifier chain: 益阳市赫山区 — the city qualifies the district that follows.
        if idx + 1 < len(infos):
            nxt = infos[idx + 1].mention
            if nxt.start == m.end and any(
                table.is_within(c, a) and c.code != a.code for a in m.candidates for c in nxt.candidates
            ):
                info.qualifier = True
        if idx > 0 and infos[idx - 1].qualifier and infos[idx - 1].mention.end == m.start:
            prev = infos[idx - 1]
            info.chain_start = prev.chain_start if prev.chain_start >= 0 else prev.mention.start
        while ci < len(citations) and citations[ci][1] <= m.start:
            ci += 1
        info.cited = ci < len(citations) and citations[ci][0] < m.start
        if not info.qualifier:
            am = _MEDICAL_AGENCY_RE.match(text, m.end)
            if am:
                info.agency, info.agency_kind = am.group(0).strip(), "medical"
            else:
                gm = _GOV_AGENCY_RE.match(text, m.end)
                if gm:
                    info.agency, info.agency_kind = gm.group(0).strip(), "gov"
            info.title = _in_spans(m.start, title_spans)
        if _PUBLISHER_RE.match(text, m.end):
            info.title = False  # a local paper's own city, when nothing else names a region
        weight = _W_BASE
        if info.agency:
            w = _W_MEDICAL if info.agency_kind == "medical" else _W_GOV
            weight += w * (_W_CITED if info.cited else 1.0)
        if info.title:
            weight += _W_TITLE
        info.weight = weight
        # A two-character county name or a short name glued to a preceding Chinese
        # character is often part of an ordinary word (示范县 → 范县, 完成县委 → 成县,
        # 医保定点 → 保定). Such mentions only count for regions also named elsewhere.
        if (
            not info.agency
            and not info.title
            and m.start > 0
            and _is_cjk(text[m.start - 1])
            and not (idx > 0 and infos[idx - 1].mention.end == m.start)
            and (
                (len(m.surface) == 2 and all(c.level == "county" for c in m.candidates))
                or any(m.surface == c.short_name != c.name for c in m.candidates)
            )
        ):
            info.weak = True


def _disambiguate(infos: list[_MentionInfo], table: RegionTable) -> None:
    """Pick among same-named regions using the other mentions in the text."""
    # How many mentions (by surface) name each region unambiguously, and mention it at all.
    unique_by_code: dict[str, dict[str, int]] = {}
    any_by_code: dict[str, dict[str, int]] = {}
    for info in infos:
        surface = info.mention.surface
        for c in info.candidates:
            counts = any_by_code.setdefault(c.code, {})
            counts[surface] = counts.get(surface, 0) + 1
        if len(info.candidates) == 1:
            counts = unique_by_code.setdefault(info.candidates[0].code, {})
            counts[surface] = counts.get(surface, 0) + 1

    cache: dict[tuple[str, tuple[Region, ...]], tuple[Region, str, str] | None] = {}
    for idx, info in enumerate(infos):
        cands = info.candidates
        if len(cands) < 2:
            continue
        surface = info.mention.surface
        # 1. Directly qualified: 南京市鼓楼区, 北京市朝阳区.
        if idx > 0 and infos[idx - 1].mention.end == info.mention.start:
            prev = infos[idx - 1].mention
            picked = tuple(
                c for c in cands if any(table.is_within(c, a) and c.code != a.code for a in prev.candidates)
            )
            if len(picked) == 1:
                info.candidates, info.resolved_by, info.resolved_with = picked, "adjacent", prev.surface
                continue
        # 2./3. depend only on the surface and its candidates: compute once per surface.
        key = (surface, cands)
        if key not in cache:
            cache[key] = _resolve_by_context(surface, cands, table, unique_by_code, any_by_code)
        resolution = cache[key]
        if resolution is not None:
            region, how, with_surface = resolution
            info.candidates, info.resolved_by, info.resolved_with = (region,), how, with_surface
            continue
        # Otherwise unresolved: the mention stays split among its candidates — the current
        # ones, where the name is also an older one elsewhere (江北区: 宁波's, not 重庆's of old).
        current = tuple(c for c in cands if not table.is_former(surface, c))
        if current:
            info.candidates = current


def _resolve_by_context(
    surface: str,
    cands: tuple[Region, ...],
    table: RegionTable,
    unique_by_code: dict[str, dict[str, int]],
    any_by_code: dict[str, dict[str, int]],
) -> tuple[Region, str, str] | None:
    # 2. The same region named elsewhere by another, unambiguous surface (吉林 / 吉林省).
    empty: dict[str, int] = {}
    direct = {
        c.code: sum(n for s, n in unique_by_code.get(c.code, empty).items() if s != surface) for c in cands
    }
    best_code, best_n = max(direct.items(), key=lambda kv: kv[1])
    if best_n > 0 and sum(1 for v in direct.values() if v == best_n) == 1:
        region = next(c for c in cands if c.code == best_code)
        with_surface = max(
            (s for s in unique_by_code[best_code] if s != surface),
            key=lambda s: unique_by_code[best_code][s],
        )
        return region, "direct", with_surface
    # 3. An ancestor (province or city) named anywhere in the text.
    support: dict[str, Counter[str]] = {}
    for c in cands:
        cnt: Counter[str] = Counter()
        for a in table.ancestors(c):
            if a.level == "national" or a.code not in any_by_code:
                continue
            for s, n in any_by_code[a.code].items():
                if s != surface:
                    cnt[s] += n
        support[c.code] = cnt
    totals = {code: sum(cnt.values()) for code, cnt in support.items()}
    best_code, best_n = max(totals.items(), key=lambda kv: kv[1])
    if best_n > 0 and sum(1 for v in totals.values() if v == best_n) == 1:
        region = next(c for c in cands if c.code == best_code)
        return region, "ancestor", support[best_code].most_common(1)[0][0]
    return None


def _ancestor_surface(infos: list[_MentionInfo], table: RegionTable, region: Region) -> str:
    """The most frequent surface in the text naming an ancestor (below 全国) of ``region``."""
    codes = {a.code for a in table.ancestors(region) if a.level != "national"}
    cnt: Counter[str] = Counter()
    for info in infos:
        if len(info.candidates) == 1 and info.candidates[0].code in codes:
            cnt[info.mention.surface] += 1
    return cnt.most_common(1)[0][0] if cnt else ""


def _main(argv: list[str] | None = None) -> int:
    """``python -m pipelines.regions FILE…``: print the detected region of each text file."""
    import sys

    paths = sys.argv[1:] if argv is None else argv
    table = RegionTable.default()
    for path in paths:
        guess = detect_region(Path(path).read_text(encoding="utf-8"), table)
        region = guess.region
        label = f"{region.code} {region.name} ({region.level})" if region else "-"
        print(f"{path}: {label} [{guess.confidence}]")
        for line in guess.evidence:
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())


# --- figures about a named sub-region -------------------------------------------------------

_SEGMENT_END = re.compile(r"[。；;！？\n]")
# 全市 / 我县 … speak of the covered region again, whatever was named before
_LEVEL_SUBJECT = re.compile(r"[全我本](?:国|省|市|州|盟|县|区|旗)")
# a news lead's dateline after the place it was filed from (北京6月7日电, 长沙9月15日讯)
_DATELINE = re.compile(r"\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:电|讯)")


@dataclass(frozen=True)
class SubRegions:
    """Where a text names regions inside the one it covers, so that figures about them are theirs.

    A province bulletin's "其中阜阳市基金收入72.85亿元、支出76.31亿元，当期缺口3.46亿元" is about
    阜阳市: the nearest unambiguous mention of a region within the covered one before a figure
    decides, unless a sentence part ends (。；) or a level word (全省, 全市 …) comes in between.
    Computed once per text; lookups are binary searches.
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    regions: tuple[Region, ...]
    stops: tuple[int, ...]

    @classmethod
    def find(cls, text: str, covered: Region, table: RegionTable | None = None) -> SubRegions:
        table = table or _default_table()
        found = []
        for mention in table.find_mentions(text):
            if _DATELINE.match(text, mention.end):
                continue  # 人民网北京6月7日电: where the news was filed, not what its figures are about
            inside = [r for r in mention.candidates if r.code != covered.code and table.is_within(r, covered)]
            if len(inside) > 1:  # 崇川区: the current one, not the one merged into it
                inside = [r for r in inside if not table.is_former(mention.surface, r)] or inside
            if len(inside) == 1:
                found.append((mention.start, mention.end, inside[0]))
        stops = sorted(
            [m.end() for m in _SEGMENT_END.finditer(text)]
            + [m.start() for m in _LEVEL_SUBJECT.finditer(text)]
        )
        return cls(
            tuple(f[0] for f in found), tuple(f[1] for f in found), tuple(f[2] for f in found), tuple(stops)
        )

    @property
    def spans(self) -> list[tuple[int, int]]:
        return list(zip(self.starts, self.ends, strict=True))

    def at(self, pos: int) -> Region | None:
        """The sub-region a figure ending at ``pos`` is about; None: the covered region."""
        i = bisect.bisect_right(self.ends, pos) - 1
        if i < 0:
            return None
        j = bisect.bisect_right(self.stops, pos) - 1
        if j >= 0 and self.stops[j] >= self.ends[i]:
            return None
        return self.regions[i]


@dataclass(frozen=True)
class FigureRegions:
    """Which region each figure of one text is about: the one place that decides it.

    ``covered`` is the report's region (detected, or set by a steward); figures about a
    sub-region it names (a province bulletin's 阜阳市…) are that sub-region's.  The extractor
    asks the same object where sub-regions are named, so that figures about two of them are
    never read as parts of one another or as rival readings of one figure."""

    covered: Region | None
    subs: SubRegions | None = None

    @classmethod
    def of_text(cls, text: str, covered: Region | None, table: RegionTable | None = None) -> FigureRegions:
        return cls(covered, SubRegions.find(text, covered, table) if covered is not None else None)

    def region_of(self, end: int) -> Region | None:
        """The region of the figure whose quote ends at ``end``: the sub-region named before it
        in the same sentence part, else the covered region; None when that is unknown."""
        if self.covered is None or self.subs is None:
            return None
        return self.subs.at(end) or self.covered

    @property
    def named_at(self) -> list[int]:
        """Where the text names a sub-region (start offsets, ascending)."""
        return sorted(self.subs.starts) if self.subs is not None else []
