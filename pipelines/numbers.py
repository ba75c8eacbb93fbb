"""Numbers with units in report text: ``46334.01万元``, ``48.23万人次``, ``三十二万人``, ``15.30%``.

Each :class:`Quantity` keeps its surface span, the unit class it belongs to and its
value in base units (元, 人, 人次, percent points).  A number no report writes — scientific
notation (``1.0E+30万元``), an amount finer than a cent (``0.0000001万元``) — is still read
whole, with its ``problem`` said in Chinese, so that ingest puts it in ``rejections`` instead
of keeping it or re-reading a piece of it (``30万元``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

import cn2an

from pipelines.normalize import is_cjk as _is_cjk


class UnitClass(StrEnum):
    MONEY = "money"  # 元
    PERSON = "person"  # 人, 名
    VISIT = "visit"  # 人次, 起/件 (cases)
    PERCENT = "percent"  # %
    PER_CAPITA = "per_capita"  # 元/人
    POINTS = "points"  # 个百分点 (a change of a rate; never a fact)
    BARE = "bare"  # 7.26亿, 4573万 without a unit: people or money as the words before it say


_MULTIPLIER = {"": 1, "千": 1_000, "万": 10_000, "亿": 100_000_000, "万亿": 1_000_000_000_000}

# Longest unit spellings first: 人次 before 人, 元/人 before 元.
_UNITS: dict[str, UnitClass] = {
    "元/人·年": UnitClass.PER_CAPITA,
    "元/人/年": UnitClass.PER_CAPITA,
    "元/人": UnitClass.PER_CAPITA,
    "元每人": UnitClass.PER_CAPITA,
    "个百分点": UnitClass.POINTS,
    "人次": UnitClass.VISIT,
    "元": UnitClass.MONEY,
    "人": UnitClass.PERSON,
    "名": UnitClass.PERSON,
    "起": UnitClass.VISIT,
    "件": UnitClass.VISIT,
    "%": UnitClass.PERCENT,
}
_UNIT_ALT = "|".join(re.escape(u) for u in _UNITS)
_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"

NUMBER_RE = re.compile(
    # (the lookahead only says how a number can start: the engine passes other places quickly)
    r"(?=[-负\d一二两三四五六七八九十])"
    r"(?P<sign>-|负)?"
    r"(?:(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    # 1.0E+30, 1e30, 1.2×10^5: read whole (and refused), never as the tail 30万元
    r"(?P<exp>[eE][+-]?\d+|\s?[×xX*]\s?10\^[+-]?\d+|\^[+-]?\d+)?"
    r"(?:\s?(?P<mult>万亿|亿|万|千)(?:(?P<num2>\d+(?:\.\d+)?)万)?)?"
    rf"|(?P<cn>[一二两三四五六七八九十][{_CN_DIGITS}]*(?:点[零〇一二三四五六七八九]+)?))"
    rf"\s{{0,2}}(?P<unit>{_UNIT_ALT})"
)
# A digit run glued to letters or to a preceding digit/dot is part of something else
# (an id, a date such as 2019.12.31, a document number).
_BAD_BEFORE = re.compile(r"[\w.]$")
# ... nor is the exponent of a number in scientific notation (the 30 of 1.0E+30, of 10^30).
_EXPONENT_BEFORE = re.compile(r"(?:[\d.][eE]|\^)[+-]?$")
_MONEY_CLASSES = (UnitClass.MONEY, UnitClass.PER_CAPITA)
# A number right after a character a broken encoding leaves (?, ？, �) or written with a leading
# zero (0128.90) has lost digits: 居民医?;鹗杖?0128.90亿元 is 医保基金收入10128.90亿元 decoded
# wrongly, and ?5732亿元 is 15732亿元.  Read as they stand they would be wrong figures.
_GARBLE_BEFORE = frozenset("?？\ufffd")
_LEADING_ZERO = re.compile(r"0\d")


@dataclass(frozen=True, slots=True)
class Quantity:
    start: int
    end: int
    surface: str
    value: float
    unit_class: UnitClass
    unit_text: str
    problem: str | None = None  # why no figure may be taken from it (it goes to rejections)


# A number with 万 or 亿 and no unit (参加新农合人口7.26亿，; 1.76万亿。): its unit is left to the
# words before it; followed by a noun for people (418万农民参加…) it counts people.
BARE_RE = re.compile(
    r"(?=[-\d])(?P<sign>-)?(?P<num>\d+(?:\.\d+)?)(?P<mult>万亿|亿|万)"
    r"(?:(?P<people>农民|农牧民|居民|人口|职工|群众|城乡居民|参保人员|参合农民)|(?=[，,。；;、）)\s]|$))"
)


def find_quantities(text: str, start: int = 0, end: int | None = None) -> list[Quantity]:
    """Every number-with-unit in ``text[start:end]``, and numbers with a bare 万/亿 (their unit
    class BARE, or PERSON before a noun for people)."""
    stop = len(text) if end is None else end
    out: list[Quantity] = []
    for m in NUMBER_RE.finditer(text, start, stop):
        q = _to_quantity(text, m)
        if q is not None:
            out.append(q)
    taken = [(q.start, q.end) for q in out]
    for m in BARE_RE.finditer(text, start, stop):
        begin = m.start()
        if begin > 0 and (_BAD_BEFORE.search(text[begin - 1]) and not _is_cjk(text[begin - 1])):
            continue
        if any(s < m.end() and begin < e for s, e in taken):
            continue
        number = Decimal(m.group("num")) * _MULTIPLIER[m.group("mult")]
        end_of_number = m.end("mult")
        unit_class = UnitClass.PERSON if m.group("people") else UnitClass.BARE
        surface = text[begin:end_of_number]
        value = -_float(number) if m.group("sign") else _float(number)
        out.append(Quantity(begin, end_of_number, surface, value, unit_class, ""))
    return sorted(out, key=lambda q: q.start)


def _to_quantity(text: str, m: re.Match[str]) -> Quantity | None:
    begin = m.start()
    if m.group("num") and begin > 0 and _BAD_BEFORE.search(text[begin - 1]) and not _is_cjk(text[begin - 1]):
        return None
    if m.group("num") and _EXPONENT_BEFORE.search(text, max(0, begin - 3), begin):
        return None
    unit = m.group("unit")
    unit_class = _UNITS[unit]
    if m.group("cn") and unit in ("起", "件", "名", "人") and len(m.group("cn")) == 1:
        return None  # 一起, 一件, 一人一档: words, not counts
    number = _value(m)
    if number is None:
        return None
    if m.group("sign"):
        number = -number
    problem = _problem(m, number, unit_class) or _lost_digits(text, m)
    return Quantity(begin, m.end(), m.group(0), _float(number), unit_class, unit, problem)


def _value(m: re.Match[str]) -> Decimal | None:
    try:
        if m.group("cn"):
            cn = m.group("cn")
            if len(cn) == 1 and cn in "两":
                return None
            number = Decimal(str(cn2an.cn2an(cn, "normal")))
        else:
            number = Decimal(m.group("num").replace(",", ""))
            exp = m.group("exp")
            if exp and exp.startswith("^"):  # 10^30
                number = _scaled(Decimal(1), exp[1:]) if number == 10 else Decimal("Infinity")
            elif exp:  # 1.0E+30, 1.2×10^5
                number = _scaled(number, re.split(r"[eE^]", exp)[-1])
            number *= _MULTIPLIER[m.group("mult") or ""]
            if m.group("num2"):
                number += Decimal(m.group("num2")) * 10_000
    except (InvalidOperation, ArithmeticError, ValueError, KeyError):
        return None
    return number


def _scaled(number: Decimal, exponent: str) -> Decimal:
    """``number`` × 10^``exponent``; beyond what a Decimal holds, infinite (or zero)."""
    digits = exponent.lstrip("+-").lstrip("0")
    if len(digits) <= 6:
        try:
            return number.scaleb(int(exponent))
        except ArithmeticError:
            pass
    return Decimal(0) if exponent.startswith("-") else Decimal("Infinity")


def _float(number: Decimal) -> float:
    return float(number)  # inf for an infinite one


def _problem(m: re.Match[str], number: Decimal, unit_class: UnitClass) -> str | None:
    """Why this number cannot be a report's figure, in Chinese; None when it can."""
    surface = m.group(0) if len(m.group(0)) <= 40 else m.group(0)[:36] + "…"
    if m.group("exp"):
        return f"“{surface}”是科学计数法，报告不这样写数字（可能是导出或转换错误），未采用，请人工核对"
    cents = number * 100
    if unit_class in _MONEY_CLASSES and cents.is_finite() and cents != cents.to_integral_value():
        return (
            f"“{surface}”合{_float(number):g}元，精确到分以下，不是真实的金额"
            "（可能是单位或小数点有误），未采用，请人工核对"
        )
    return None


def _lost_digits(text: str, m: re.Match[str]) -> str | None:
    """Why this number has probably lost its first digits (a broken encoding), in Chinese."""
    digits = m.group("num")
    if not digits:
        return None
    begin = m.start()
    if begin > 0 and text[begin - 1] in _GARBLE_BEFORE:
        return f"“{m.group(0)}”前是乱码字符（{text[begin - 1]}），数字可能缺了开头的位数，未采用，请人工核对"
    if _LEADING_ZERO.match(digits):
        return f"“{m.group(0)}”以0开头，数字可能缺了开头的位数（编码错误），未采用，请人工核对"
    return None


def parse_amount(surface: str) -> tuple[float, UnitClass] | None:
    """Parse a single quantity such as ``'1.2亿元'``; None if it is not one."""
    m = NUMBER_RE.fullmatch(surface.strip())
    if m is None:
        return None
    q = _to_quantity(surface.strip(), m)
    return None if q is None else (q.value, q.unit_class)


def parse_bare_number(surface: str) -> float | None:
    """A table cell such as ``'1,234.5'`` or ``'-12'``; None if it is not a plain number."""
    s = surface.strip().replace(",", "")
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", s):
        return None
    return float(Decimal(s))
