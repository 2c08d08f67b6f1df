"""Java's ``Double.toString`` as JDK 8 to 18 write it, for Python floats.

The layout: plain decimal with at least one digit after the point when
1e-3 <= |d| < 1e7 (``0.1``, ``16.0``), otherwise ``d.dddE<exp>`` (``1.0E7``,
``-2.5E-10``).  The digits are the shortest that round-trip, closest to the
value, ties to even, which is what Python's ``repr`` gives, except in the
cases below.  Each rule was found with a live JDK 17 as a black-box oracle
and checked on about 90 million doubles, dense in and around each case (see
``tests/test_java_doubles.py``):

1. Integers with 2^54 <= |d| < 2^63: all digits of the exact integer, rounded
   half-up to drop 0 low digits below 2^58, 1 below 2^61 and 2 below 2^63
   (a tie cannot occur: those integers are multiples of 4).
2. Exact midpoints, decimals lying halfway between two doubles, which can
   have 17 or fewer digits only for integers 2^54 <= |d| < 2^133.  ``repr``
   takes one when it is shortest and the mantissa is even.  The JDK never
   takes the one below the double (1e23 -> ``9.999999999999999E22``), and
   takes the one above only from |d| >= 9.877482362634239e25 on, but then
   whatever the mantissa (7.798784e26, halfway above an odd mantissa, prints
   as ``7.798784E26``).  The oracle brackets that threshold between two
   neighbouring candidates; it is where the JDK's estimate of the decimal
   exponent (the tangent of log10 at 1.5, which overshoots just below a
   power of ten) reaches 26.
3. For a power of two the interval is a quarter ulp on both sides, though the
   gap above is twice the gap below (and, for subnormals, equal).
4. For 2^84 <= |d| < 2^85 the last digit is truncated where it should round
   up when, with the value scaled to B/S = d/10^25 (B = m*2^7, S = 5^25,
   half-interval M = 2^6, m the 53-bit mantissa), the digit loop's b + m
   reaches 2^63: a 64-bit sum overflowing (the measured threshold matches).
5. Subnormals below 1e-322 print at least two significant digits: when the
   shortest is one digit, the value rounded to two digits is used unless
   that changes the decimal exponent (5e-324 -> ``4.9E-324``,
   1e-323 stays ``1.0E-323``).
"""

from __future__ import annotations

import math

__all__ = ["double_to_string"]

_TWO_54 = 2.0**54
_TWO_58 = 2.0**58
_TWO_61 = 2.0**61
_TWO_63 = 2.0**63
_TWO_84 = 2.0**84
_TWO_85 = 2.0**85
_TWO_133 = 2.0**133
_LONG_LIMIT = 1 << 63  # first value a Java long cannot hold (rule 4)
_LOG10_2 = math.log10(2.0)
_CLOSED_ABOVE_FROM = 9.877482362634239e25  # rule 2: 1.2766346736... * 2^86


def double_to_string(d: float) -> str:
    """``Double.toString(d)`` of JDK 8 to 18; ValueError for NaN and infinities."""
    if type(d) is not float:  # ints, bools, numpy floats: print as the double they are
        d = float(d)
    a = abs(d)
    if 1e-3 <= a < 1e7:
        return repr(d)  # no rule applies here, and repr already has Java's layout
    return _other_magnitudes(d, a)


def _other_magnitudes(d: float, a: float) -> str:
    if not (_TWO_54 <= a < _TWO_133 or a < 1e-322 or math.frexp(a)[0] == 0.5):
        text = repr(d)  # no rule applies: only the layout changes
        mantissa, e, exponent = text.partition("e")
        if e:  # a < 1e-4 or a >= 1e16: d.ddde-XX
            return f"{mantissa}E{int(exponent)}" if "." in mantissa else f"{mantissa}.0E{int(exponent)}"
        if not a < math.inf:
            raise ValueError(f"{d!r} has no JSON form: Gson refuses NaN and infinite doubles")
        digits, exp10 = _repr_digits(a)  # 1e7 <= a < 1e16 or 1e-4 <= a < 1e-3
    elif a == 0.0:
        return "-0.0" if math.copysign(1.0, d) < 0 else "0.0"
    elif _TWO_54 <= a < _TWO_63:
        digits, exp10 = _long_digits(int(a))
    elif math.frexp(a)[0] == 0.5:
        digits, exp10 = _generate_digits(a, power_of_two=True)
    elif _TWO_84 <= a < _TWO_85:
        digits, exp10 = _generate_digits(a)
    else:
        digits, exp10 = _repr_digits(a)
        if _TWO_63 <= a < _TWO_133:
            digits, exp10 = _midpoint_rule(a, digits, exp10)
    if a < 1e-322 and len(digits) == 1:
        digits, exp10 = _two_digits(a, digits, exp10)
    # a < 1e-3 or a >= 1e7 here, and the digits chosen lie in a's rounding interval,
    # which holds neither 1e-3 nor anything below 1e7: always the E layout.
    sign = "-" if d < 0 else ""
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exp10}"


def _repr_digits(a: float) -> tuple[str, int]:
    """Shortest round-trip digits of a > 0 (no trailing zeros) and the power of
    ten of the first digit, read from ``repr``."""
    text = repr(a)
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    if exponent:  # d.ddde+XX
        return (whole + fraction).rstrip("0"), int(exponent)
    if whole != "0":  # 1e7 <= a < 1e16: ddddddd.ddd
        return (whole + fraction).rstrip("0"), len(whole) - 1
    significant = fraction.lstrip("0")  # 1e-4 <= a < 1e-3: 0.000ddd
    return significant.rstrip("0"), len(significant) - len(fraction) - 1


def _long_digits(n: int) -> tuple[str, int]:
    """Rule 1: the integer n, 2^54 <= n < 2^63."""
    dropped = 0 if n < _TWO_58 else 1 if n < _TWO_61 else 2
    if dropped:
        n = (n + 5 * 10 ** (dropped - 1)) // 10**dropped
    text = str(n)
    return text.rstrip("0"), len(text) - 1 + dropped


def _midpoint_rule(a: float, digits: str, exp10: int) -> tuple[str, int]:
    """Rule 2, given repr's digits of an integer 2^63 <= a < 2^133.  repr
    takes a midpoint when the mantissa is even, the JDK takes the upper one
    from _CLOSED_ABOVE_FROM on, whatever the mantissa, and never the lower."""
    n = int(a)
    half_ulp = 1 << (math.frexp(a)[1] - 54)
    offset = int(digits) * 10 ** (exp10 - len(digits) + 1) - n
    if offset == -half_ulp or (offset == half_ulp and a < _CLOSED_ABOVE_FROM):
        return _generate_digits(a)
    if a >= _CLOSED_ABOVE_FROM:
        upper = str(n + half_ulp)
        if len(upper.rstrip("0")) < len(digits):
            return upper.rstrip("0"), len(upper) - 1
    return digits, exp10


def _two_digits(a: float, digits: str, exp10: int) -> tuple[str, int]:
    """Rule 5, for subnormals below 1e-322 whose shortest digits are one."""
    mantissa, _, exponent = f"{a:.1e}".partition("e")
    if int(exponent) != exp10:
        return digits, exp10
    return mantissa.replace(".", "").rstrip("0"), exp10


def _decimal_exponent(m: int, e: int) -> int:
    """floor(log10(m * 2^e)) for m >= 1, exactly."""
    num, den = (m << e, 1) if e >= 0 else (m, 1 << -e)
    k = math.floor(math.log10(m) + e * _LOG10_2)  # may be one off near a power of ten
    while _less_than_power_of_ten(num, den, k):
        k -= 1
    while not _less_than_power_of_ten(num, den, k + 1):
        k += 1
    return k


def _less_than_power_of_ten(num: int, den: int, k: int) -> bool:
    """num/den < 10^k ?"""
    return bool(num * 10 ** max(-k, 0) < den * 10 ** max(k, 0))


def _generate_digits(a: float, *, power_of_two: bool = False) -> tuple[str, int]:
    """Digits of a > 0 by exact digit generation (Steele & White's free
    format) in the interval of rules 2 and 3, with rule 4's 64-bit overflow.
    Returns digits without trailing zeros and the power of ten of the first."""
    closed_above = a >= _CLOSED_ABOVE_FROM
    wraps = _TWO_84 <= a < _TWO_85
    e = max(math.frexp(a)[1] - 53, -1074)  # the ulp is 2^e
    m = int(math.ldexp(a, -e))  # a = m * 2^e exactly
    exp10 = _decimal_exponent(m, e)
    # a/10^exp10 = B/S and the half-interval = M/S, all integers: exponents of
    # 2 and 5 in each (everything times 4 so that the quarter ulp is whole),
    # then the common power of two divided out, which gives the JDK's scale
    # where rule 4 depends on it.
    two_b, two_s, two_m = e + 2 - exp10, 2, (e if power_of_two else e + 1) - exp10
    five_b = five_m = max(-exp10, 0)
    five_s = max(exp10, 0)
    common = min(two_b, two_s, two_m)
    b = (m * 5**five_b) << (two_b - common)
    s = 5**five_s << (two_s - common)
    half = 5**five_m << (two_m - common)
    tens = 10 * s
    value = 0  # the digits so far, as an integer
    count = 0
    while True:
        digit, b = divmod(b, s)  # b/s < 10: one decimal digit
        value = 10 * value + digit
        count += 1
        b *= 10
        half *= 10
        low = b < half  # truncating stays inside the interval
        high = b + half >= tens if closed_above else b + half > tens  # rounding up stays inside
        if wraps and b + half >= _LONG_LIMIT:
            high = False  # rule 4: the JDK's sum overflowed to a negative long
        if low or high:
            break
    # Both in reach: the nearer. An exact tie (the rest half a digit 10^p) cannot occur here:
    # for an integer a = m * 2^e it means a = (10v + 5) * 10^(p-1), so 2^e <= 2^(p-1) < 10^p,
    # an interval narrower than the digit; and every power of two is compared with the JDK.
    if high and (not low or 2 * b > tens):
        value += 1
    text = str(value)
    if len(text) > count:  # rounded up to a power of ten
        exp10 += 1
    return text.rstrip("0"), exp10
