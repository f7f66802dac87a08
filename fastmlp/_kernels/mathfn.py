"""Elementary functions that vectorise inside compiled loops.

Inside a Numba loop, ``np.exp`` and ``np.tanh`` call the scalar C library one element at
a time (about 16 ns per float64 ``tanh`` on a typical x86 core), which would make
``tanh`` the most expensive part of training a small network. The functions here are
branch-free polynomial evaluations on the bits of the float, so LLVM turns a loop over
them into SIMD code.

Each scalar function (:func:`exp`, :func:`tanh`, :func:`sigmoid`, :func:`log`,
:func:`log1p`, :func:`log1p_unit`, :func:`softplus`) is usable only from compiled code;
Numba picks the float32 or float64 implementation from the argument's type, so float32
data stays in float32 arithmetic. The ``*_array`` functions apply them to a 1-D array and
exist for tests and benchmarks.

Accuracy (checked by the tests against numpy): relative error at most 1e-14 in float64
and 1e-6 in float32 over the whole input range, with numpy's limits: ``exp`` gives
``inf`` past the largest finite result and 0 below the smallest, ``tanh`` and
``sigmoid`` saturate without overflow, ``log(0) = -inf``, ``log(x < 0) = nan``, and NaN
propagates.

Methods:

* ``exp``: Cody-Waite reduction ``x = k ln2 + r`` with ``|r| <= ln2/2`` and ``ln2``
  split in a high part (exact in ``k * ln2_hi``) and a low part; ``e^r = 1 + r q(r)``
  with ``q(r) = (e^r - 1) / r`` a polynomial fitted to it over ``|r| <= ln2/2`` (see
  ``_EXPM1_QUOTIENT_F64``); ``2^k`` built from exponent bits, as two factors so that
  results in the subnormal range round once.
* ``tanh``: ``tanh|x| = -t / (t + 2)`` with ``t = expm1(-2|x|) = 2^k r q(r) + 2^k - 1``
  (the same reduction and ``q``), which keeps full relative accuracy near 0 where
  ``(1 - e^-2x)/(1 + e^-2x)`` would cancel.
* ``sigmoid``: ``1 / (1 + e^-x)`` for ``x >= 0`` and ``e^x / (1 + e^x)`` otherwise,
  both from ``e = exp(-|x|) <= 1``, so nothing overflows.
* ``log``: the classic fdlibm scheme: ``x = 2^k m`` with ``m`` in ``[sqrt(1/2), sqrt 2)``,
  ``f = m - 1``, ``s = f / (2 + f)`` and a minimax polynomial in ``s^2``.
* ``log1p(u) = log(1 + u) + (u - ((1 + u) - 1)) / (1 + u)``: the second term restores
  what rounding ``1 + u`` lost.
* ``log1p_unit(u)``: ``log1p`` for ``0 <= u <= 1`` (or NaN), the range of ``e^-|z|`` in
  the heads and in ``softplus``. There ``1 + u = 2^k m`` with ``k`` 0 or 1 and no bits to
  unpack: below ``sqrt 2 - 1``, ``f = u`` exactly and nothing is lost; above, ``f = (1 +
  u) / 2 - 1`` (exact) and the rounding of ``1 + u`` is restored as in ``log1p``, the
  division by ``1 + u`` replaced by a short series (the term is below half an ulp). One
  division instead of two, and none of ``log``'s special cases, which this range cannot
  reach.
* ``softplus(x) = log(1 + e^x) = max(x, 0) + log1p_unit(exp(-|x|))``.

Every polynomial is evaluated by Estrin's scheme (:func:`_estrin`) rather than Horner's
rule: the same multiply-adds plus the powers ``x^2, x^4, ...``, with a chain of dependent
operations about ``log2`` of the number of terms long instead of one per term. The loops
over them wait on that chain more than on the multiply-adds (measured on a Zen 3 core:
tanh over 350 x 10 float64 values 6% faster, the two-moons job's float64 epoch 9%
faster).

These functions are compiled with :func:`fastmlp._config.jit_exact`: the compensation
steps above depend on the order of operations that ``reassoc`` would be free to change.
"""

import math
from typing import NamedTuple

import numba
import numpy as np
from numba.core import types
from numba.extending import intrinsic, overload

from .. import _numba_internals
from .._config import INLINE_JIT_OPTIONS, jit_exact


class _FloatFormat(NamedTuple):
    """Constants of one IEEE binary format, typed in that format."""

    float_type: type
    uint_type: type
    mantissa_bits: int
    exponent_bias: int
    ln2_hi: float  # few significant bits, so k * ln2_hi is exact
    ln2_lo: float  # ln 2 - ln2_hi, correctly rounded
    exp_max: float  # ln of the largest finite number
    exp_clamp_low: float  # below this, exp underflows to 0 after rounding
    tanh_saturation: float  # tanh(x) rounds to 1 beyond this
    subnormal_scale_bits: int  # log scales subnormal inputs by 2^this
    expm1_quotient: tuple  # q(r) = (e^r - 1) / r on |r| <= ln2/2, highest degree first
    log_terms: int


# The polynomials q(r) ~ (e^r - 1) / r on |r| <= ln2/2: Chebyshev fits computed at 50
# digits (mpmath.chebyfit), maximum error 1.8e-17 with 11 terms (float64) and 1.1e-8
# with 6 terms (float32), both below half an ulp of q ~ 1. Taylor's coefficients need 13
# and 7 terms for the same accuracy, and each term is a multiply-add per element of
# every exp and tanh.
_EXPM1_QUOTIENT_F64 = (
    2.510520637395701e-08, 2.7626357241447223e-07, 2.7557255425746435e-06,
    2.4801504346997686e-05, 0.00019841269874800493, 0.0013888888932488599,
    0.008333333333326141, 0.04166666666657314, 0.1666666666666667, 0.5000000000000006, 1.0,
)
_EXPM1_QUOTIENT_F32 = (
    0.0013933641031986701, 0.008369148490856347, 0.04166646500604005,
    0.16666505260408124, 0.5000000013457727, 1.00000001077157,
)


# ln2_hi / ln2_lo: fdlibm's split for float64 and musl's for float32.
_F64 = _FloatFormat(
    np.float64, np.uint64, 52, 1023,
    6.93147180369123816490e-01, 1.90821492927058770002e-10,
    709.782712893384, -750.0, 20.0, 54, _EXPM1_QUOTIENT_F64, 7,
)
_F32 = _FloatFormat(
    np.float32, np.uint32, 23, 127,
    6.9314575195e-01, 1.4286067653e-06,
    88.72283, -110.0, 10.0, 25, _EXPM1_QUOTIENT_F32, 4,
)

# fdlibm's minimax coefficients for log(1+f) = f - f^2/2 + s (f^2/2 + R(s^2)).
_LOG_COEFFICIENTS = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)


@intrinsic
def opaque(typingctx, x):
    """``x`` itself, in compiled code, as a value LLVM cannot trace back to its load.

    An elementwise loop that writes back ``x if c else y`` where ``x`` was just read from
    the same place (``max(z, 0)`` in place, or a NaN input returned unchanged) is turned by
    LLVM's x86 code generator into a masked store of ``y``: AVX2's ``vmaskmovps``, which
    AMD cores run many times slower than a plain store (relu in place over 3,500 float32
    values, refilled before each call: 4.0 us instead of 1.2 us on a Zen 3 core). With
    ``x = opaque(x)`` first, the loop stores every lane with an ordinary store; the value
    and its bits are the same. It must be computed before the choice, not in one of its
    branches (where LLVM moves it out of the way and the masked store returns). It is
    LLVM's ``freeze``, which costs no instruction.
    """
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, signature, args):
        return _numba_internals.freeze(builder, args[0])

    return x(x), codegen


def _format_of(numba_type):
    if numba_type == types.float64:
        return _F64
    if numba_type == types.float32:
        return _F32
    return None


def _integer_tricks(fmt):
    """Conversions between small integers and floats done on the bits.

    x86 without AVX-512 has no SIMD conversion between float64 and int64 and no 64-bit
    arithmetic shift, so a loop using them stays scalar. Adding ``1.5 * 2^p`` (``p`` the
    mantissa width) to an integral float puts the integer in the low mantissa bits, and
    OR-ing an integer into the mantissa of ``2^p`` does the reverse; only unsigned
    integer adds, ands, ors and logical shifts remain, which all vectorise.
    """
    ft, ut = fmt.float_type, fmt.uint_type
    mant, bias = ut(fmt.mantissa_bits), ut(fmt.exponent_bias)
    round_magic = ft(1.5 * 2.0**fmt.mantissa_bits)
    round_magic_bits = round_magic.view(ut)
    unit_magic = ft(2.0**fmt.mantissa_bits)
    unit_magic_bits = unit_magic.view(ut)

    def pow2(k):
        """2^k for an integral float k in the normal exponent range."""
        k_bits = ft(k + round_magic).view(ut) - round_magic_bits  # k mod 2^width
        return ut((k_bits + bias) << mant).view(ft)

    def small_uint_to_float(i):
        """The float value of an unsigned integer i < 2^mantissa_bits."""
        return ut(i | unit_magic_bits).view(ft) - unit_magic

    compile_helper = numba.njit(**INLINE_JIT_OPTIONS)
    return compile_helper(pow2), compile_helper(small_uint_to_float)


def _estrin(coefficients):
    """A compiled ``p(x) = sum_i coefficients[i] x^i`` (lowest degree first), evaluated by
    Estrin's scheme: neighbouring terms are paired as ``c_2i + c_2i+1 x``, those pairs as
    ``p_2i + p_2i+1 x^2``, and so on with ``x^4``, ``x^8``, until one is left.

    The expression is written out as source for the number of terms and compiled once: a
    function built of one compiled helper per pair would cost a compilation each.
    """
    terms = [f"c[{i}]" for i in range(len(coefficients))]
    powers = []
    while len(terms) > 1:
        power = f"x{2 ** len(powers)}"
        powers.append(power)
        terms = [f"({terms[i]} + {power} * {terms[i + 1]})" if i + 1 < len(terms) else terms[i]
                 for i in range(0, len(terms), 2)]
    lines = ["def polynomial(x):", "    x1 = x"]
    lines += [f"    {power} = {previous} * {previous}"
              for previous, power in zip(powers[:-1], powers[1:], strict=True)]
    lines.append(f"    return {terms[0]}")
    namespace = {"c": tuple(coefficients), "__name__": __name__}
    exec("\n".join(lines), namespace)  # the source depends on the count of terms alone
    return numba.njit(**INLINE_JIT_OPTIONS)(namespace["polynomial"])


def _exp_parts(fmt):
    """Compiled helpers for one format: 2^k, the reduction and the polynomials."""
    ft = fmt.float_type
    inv_ln2 = ft(1.0 / math.log(2.0))
    ln2_hi, ln2_lo = ft(fmt.ln2_hi), ft(fmt.ln2_lo)
    half = ft(0.5)
    quotient = _estrin(tuple(ft(c) for c in fmt.expm1_quotient[::-1]))
    one = ft(1.0)
    pow2, _ = _integer_tricks(fmt)
    compile_helper = numba.njit(**INLINE_JIT_OPTIONS)

    def reduce(x):
        """k and r with x = k ln2 + r, |r| <= ln2 / 2."""
        k = np.floor(x * inv_ln2 + half)
        r = (x - k * ln2_hi) - k * ln2_lo
        return k, r

    @compile_helper
    def expm1_poly_eval(r):
        """``e^r - 1 = r q(r)``."""
        return quotient(r) * r

    def exp_poly_eval(r):
        """``e^r = 1 + r q(r)``: one multiply-add more."""
        return one + expm1_poly_eval(r)

    return (
        pow2,
        compile_helper(reduce),
        compile_helper(exp_poly_eval),
        expm1_poly_eval,
    )


def exp(x):
    """Compiled-code ``e^x`` (float32 or float64); see the module docstring."""
    raise TypeError("fastmlp._kernels.mathfn.exp runs only inside compiled code; use exp_array")


def tanh(x):
    """Compiled-code ``tanh(x)``; see the module docstring."""
    raise TypeError("fastmlp._kernels.mathfn.tanh runs only inside compiled code; use tanh_array")


def sigmoid(x):
    """Compiled-code logistic function ``1 / (1 + e^-x)``; see the module docstring."""
    raise TypeError(
        "fastmlp._kernels.mathfn.sigmoid runs only inside compiled code; use sigmoid_array"
    )


def log(x):
    """Compiled-code natural logarithm; see the module docstring."""
    raise TypeError("fastmlp._kernels.mathfn.log runs only inside compiled code; use log_array")


def log1p(x):
    """Compiled-code ``log(1 + x)``, accurate for small ``x``."""
    raise TypeError("fastmlp._kernels.mathfn.log1p runs only inside compiled code")


def log1p_unit(x):
    """Compiled-code ``log(1 + x)`` for ``0 <= x <= 1`` (or NaN); see the module docstring."""
    raise TypeError("fastmlp._kernels.mathfn.log1p_unit runs only inside compiled code")


def softplus(x):
    """Compiled-code ``log(1 + e^x)`` without overflow."""
    raise TypeError("fastmlp._kernels.mathfn.softplus runs only inside compiled code")


def _make_exp(fmt):
    pow2, reduce, exp_poly_eval, _ = _exp_parts(fmt)
    ft = fmt.float_type
    high, low, inf, half = ft(fmt.exp_max), ft(fmt.exp_clamp_low), ft(np.inf), ft(0.5)

    def impl(x):
        clamped = min(max(x, low), high)
        k, r = reduce(clamped)
        k_half = np.floor(k * half)  # 2^k as two normal factors: subnormal results round once
        result = exp_poly_eval(r) * pow2(k_half) * pow2(k - k_half)
        result = inf if x > high else result
        unchanged = opaque(x)  # evaluated unconditionally: see opaque
        return unchanged if x != x else result

    return impl


def _make_tanh(fmt):
    pow2, reduce, _, expm1_poly_eval = _exp_parts(fmt)
    ft = fmt.float_type
    saturation, one, two, minus_two = ft(fmt.tanh_saturation), ft(1.0), ft(2.0), ft(-2.0)

    def impl(x):
        y = minus_two * min(abs(x), saturation)
        k, r = reduce(y)
        scale = pow2(k)
        t = scale * expm1_poly_eval(r) + (scale - one)  # expm1(y) = 2^k expm1(r) + 2^k - 1
        magnitude = -t / (t + two)
        result = magnitude if x >= 0 else -magnitude
        unchanged = opaque(x)  # evaluated unconditionally: see opaque
        return unchanged if x != x else result

    return impl


def _make_sigmoid(fmt):
    ft = fmt.float_type
    one = ft(1.0)

    def impl(x):
        e = exp(-abs(x))
        numerator = one if x >= 0 else e
        return numerator / (one + e)

    return impl


def _log_reduced(fmt):
    """Compiled ``log_reduced(f, k, lost) = k ln2 + log(1 + f) + lost`` by fdlibm's scheme,
    for ``1 + f`` in ``[sqrt(1/2), sqrt 2]``, an integral float ``k`` and a correction
    ``lost`` far below an ulp of the result: the common finish of :func:`log` and
    :func:`log1p_unit`."""
    ft = fmt.float_type
    half, two = ft(0.5), ft(2.0)
    ln2_hi, ln2_lo = ft(fmt.ln2_hi), ft(fmt.ln2_lo)
    polynomial = _estrin(tuple(ft(c) for c in _LOG_COEFFICIENTS[: fmt.log_terms]))

    def log_reduced(f, k, lost):
        s = f / (two + f)
        z = s * s
        r = z * polynomial(z)
        hfsq = half * f * f
        return k * ln2_hi - ((hfsq - (s * (hfsq + r) + (k * ln2_lo + lost))) - f)

    return numba.njit(**INLINE_JIT_OPTIONS)(log_reduced)


def _make_log(fmt):
    ft, ut = fmt.float_type, fmt.uint_type
    _, small_uint_to_float = _integer_tricks(fmt)
    mant = ut(fmt.mantissa_bits)
    mantissa_mask = ut((1 << fmt.mantissa_bits) - 1)
    one_bits = ut(fmt.exponent_bias << fmt.mantissa_bits)
    bias = ft(fmt.exponent_bias)
    smallest_normal = ft(np.finfo(ft).tiny)
    scale_bits = fmt.subnormal_scale_bits
    subnormal_scale = ft(2.0**scale_bits)
    scale_offset = ft(scale_bits)
    sqrt2, half, one, zero = ft(math.sqrt(2.0)), ft(0.5), ft(1.0), ft(0.0)
    inf, nan = ft(np.inf), ft(np.nan)
    log_reduced = _log_reduced(fmt)

    def impl(x):
        is_subnormal = x < smallest_normal
        scaled = x * subnormal_scale if is_subnormal else x
        bits = ft(scaled).view(ut)
        k = small_uint_to_float(bits >> mant) - bias - (scale_offset if is_subnormal else zero)
        m = ut((bits & mantissa_mask) | one_bits).view(ft)  # m in [1, 2)
        above = m > sqrt2
        m = m * half if above else m
        k = k + one if above else k
        result = log_reduced(m - one, k, zero)
        result = -inf if x == zero else result
        result = nan if x < zero else result
        unchanged = opaque(x)  # evaluated unconditionally: see opaque
        return unchanged if (x != x or x == inf) else result

    return impl


def _make_log1p(fmt):
    one = fmt.float_type(1.0)

    def impl(x):
        w = one + x
        return log(w) + (x - (w - one)) / w

    return impl


def _make_log1p_unit(fmt):
    ft = fmt.float_type
    sqrt2, half, one, zero = ft(math.sqrt(2.0)), ft(0.5), ft(1.0), ft(0.0)
    log_reduced = _log_reduced(fmt)

    def impl(x):
        w = one + x
        above = w > sqrt2  # then 1 + x = 2 m with m = w / 2 in (sqrt(1/2), 1]
        f = w * half - one if above else x
        k = one if above else zero
        # What rounding w lost, over w = 2 (1 + f): 1 / (1 + f) to three terms is within
        # 3% for f in [1/sqrt 2 - 1, 0], on a term below half an ulp of the result.
        lost = (x - (w - one)) * half * ((one - f) + f * f) if above else zero
        return log_reduced(f, k, lost)

    return impl


def _make_softplus(fmt):
    zero = fmt.float_type(0.0)

    def impl(x):
        return max(x, zero) + log1p_unit(exp(-abs(x)))

    return impl


def _register(stub, maker):
    implementations = {}

    @overload(stub, jit_options=INLINE_JIT_OPTIONS)
    def _overload(x):
        fmt = _format_of(x)
        if fmt is None:
            return None
        if fmt not in implementations:
            implementations[fmt] = maker(fmt)
        return implementations[fmt]


for _stub, _maker in (
    (exp, _make_exp),
    (tanh, _make_tanh),
    (sigmoid, _make_sigmoid),
    (log, _make_log),
    (log1p, _make_log1p),
    (log1p_unit, _make_log1p_unit),
    (softplus, _make_softplus),
):
    _register(_stub, _maker)


@jit_exact
def exp_array(x, out):
    """``out[i] = exp(x[i])`` for 1-D float arrays of one dtype; returns ``out``."""
    for i in range(x.shape[0]):
        out[i] = exp(x[i])
    return out


@jit_exact
def tanh_array(x, out):
    """``out[i] = tanh(x[i])`` for 1-D float arrays of one dtype; returns ``out``."""
    for i in range(x.shape[0]):
        out[i] = tanh(x[i])
    return out


@jit_exact
def sigmoid_array(x, out):
    """``out[i] = 1 / (1 + exp(-x[i]))`` for 1-D float arrays of one dtype; returns ``out``."""
    for i in range(x.shape[0]):
        out[i] = sigmoid(x[i])
    return out


@jit_exact
def log_array(x, out):
    """``out[i] = log(x[i])`` for 1-D float arrays of one dtype; returns ``out``."""
    for i in range(x.shape[0]):
        out[i] = log(x[i])
    return out


@jit_exact
def log1p_array(x, out):
    """``out[i] = log1p(x[i])`` for 1-D float arrays of one dtype; returns ``out``."""
    for i in range(x.shape[0]):
        out[i] = log1p(x[i])
    return out


@jit_exact
def log1p_unit_array(x, out):
    """``out[i] = log1p(x[i])`` for 1-D float arrays of one dtype, ``0 <= x[i] <= 1``;
    returns ``out``."""
    for i in range(x.shape[0]):
        out[i] = log1p_unit(x[i])
    return out


@jit_exact
def softplus_array(x, out):
    """``out[i] = log(1 + exp(x[i]))`` for 1-D float arrays of one dtype; returns ``out``."""
    for i in range(x.shape[0]):
        out[i] = softplus(x[i])
    return out
