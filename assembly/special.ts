/**
 * @file Special functions in f64 for the op table: erf, lgamma (log|Γ|), digamma (ψ) and trigamma
 * (ψ'). Pure NativeMath and arithmetic; no imports, no allocation.
 *
 * `erf` and `lgamma` are ports of musl's src/math/erf.c and src/math/lgamma_r.c (musl is MIT
 * licensed; both derive from FreeBSD msun, Copyright (C) 1993 Sun Microsystems, Inc.: "Permission
 * to use, copy, modify, and distribute this software is freely granted, provided that this notice
 * is preserved."). `digamma` and `trigamma` are ours: the asymptotic (Bernoulli) series for
 * x >= 10, recurrence below it (digamma via a fit on [1, 2]), and reflection for x < 0.
 *
 * Edge values: erf(±Inf) = ±1, erf(NaN) = NaN. lgamma(±0) = lgamma(-n) = +Inf, lgamma(±Inf) = +Inf.
 * digamma(-n) = NaN (also at ±0 and -Inf), digamma(+Inf) = +Inf. trigamma(-n) = +Inf (also at ±0:
 * the two-sided limit), trigamma(-Inf) = NaN, trigamma(+Inf) = 0. NaN in gives NaN out everywhere.
 */

const PI: f64 = 3.14159265358979311600e+00;

@inline function hiWord(x: f64): i32 { return <i32>(reinterpret<u64>(x) >>> 32); }
@inline function loWord(x: f64): i32 { return <i32>reinterpret<u64>(x); }

/** x minus its nearest integer, in [-0.5, 0.5]; exact for every finite x. */
@inline function fracNearest(x: f64): f64 {
  // NOTE: not x - floor(x): for x = -1e-12 that is 1 - 1e-12, which rounds away x's low bits.
  return x - Math.round(x);
}

/** sin(π r) for r in [-0.5, 0.5], folding |r| > 1/4 onto cos so the argument stays small. */
@inline function sinPiReduced(r: f64): f64 {
  let a = Math.abs(r);
  let s = a <= 0.25 ? Math.sin(PI * a) : Math.cos(PI * (0.5 - a));
  return r < 0 ? -s : s;
}

/** π cot(π r) for r in [-0.5, 0.5], r != 0. */
@inline function piCotPiReduced(r: f64): f64 {
  let a = Math.abs(r);
  // NOTE: near |r| = 1/2 cot is ~0; tan(π(1/2 - |r|)) keeps it relatively accurate (0.5 - a is exact).
  let c = a <= 0.25 ? 1.0 / Math.tan(PI * a) : Math.tan(PI * (0.5 - a));
  return PI * (r < 0 ? -c : c);
}

// ---- erf (musl erf.c) --------------------------------------------------------------------------
const erx: f64 = 8.45062911510467529297e-01; // (float)0.84506291151
const efx: f64 = 1.28379167095512586316e-01;
const efx8: f64 = 1.02703333676410069053e+00;
// erf on [0, 0.84375]
const pp0: f64 = 1.28379167095512558561e-01, pp1: f64 = -3.25042107247001499370e-01;
const pp2: f64 = -2.84817495755985104766e-02, pp3: f64 = -5.77027029648944159157e-03;
const pp4: f64 = -2.37630166566501626084e-05;
const qq1: f64 = 3.97917223959155352819e-01, qq2: f64 = 6.50222499887672944485e-02;
const qq3: f64 = 5.08130628187576562776e-03, qq4: f64 = 1.32494738004321644526e-04;
const qq5: f64 = -3.96022827877536812320e-06;
// erf on [0.84375, 1.25]
const pa0: f64 = -2.36211856075265944077e-03, pa1: f64 = 4.14856118683748331666e-01;
const pa2: f64 = -3.72207876035701323847e-01, pa3: f64 = 3.18346619901161753674e-01;
const pa4: f64 = -1.10894694282396677476e-01, pa5: f64 = 3.54783043256182359371e-02;
const pa6: f64 = -2.16637559486879084300e-03;
const qa1: f64 = 1.06420880400844228286e-01, qa2: f64 = 5.40397917702171048937e-01;
const qa3: f64 = 7.18286544141962662868e-02, qa4: f64 = 1.26171219808761642112e-01;
const qa5: f64 = 1.36370839120290507362e-02, qa6: f64 = 1.19844998467991074170e-02;
// erfc on [1.25, 1/0.35]
const ra0: f64 = -9.86494403484714822705e-03, ra1: f64 = -6.93858572707181764372e-01;
const ra2: f64 = -1.05586262253232909814e+01, ra3: f64 = -6.23753324503260060396e+01;
const ra4: f64 = -1.62396669462573470355e+02, ra5: f64 = -1.84605092906711035994e+02;
const ra6: f64 = -8.12874355063065934246e+01, ra7: f64 = -9.81432934416914548592e+00;
const sa1: f64 = 1.96512716674392571292e+01, sa2: f64 = 1.37657754143519042600e+02;
const sa3: f64 = 4.34565877475229228821e+02, sa4: f64 = 6.45387271733267880336e+02;
const sa5: f64 = 4.29008140027567833386e+02, sa6: f64 = 1.08635005541779435134e+02;
const sa7: f64 = 6.57024977031928170135e+00, sa8: f64 = -6.04244152148580987438e-02;
// erfc on [1/0.35, 6]
const rb0: f64 = -9.86494292470009928597e-03, rb1: f64 = -7.99283237680523006574e-01;
const rb2: f64 = -1.77579549177547519889e+01, rb3: f64 = -1.60636384855821916062e+02;
const rb4: f64 = -6.37566443368389627722e+02, rb5: f64 = -1.02509513161107724954e+03;
const rb6: f64 = -4.83519191608651397019e+02;
const sb1: f64 = 3.03380607434824582924e+01, sb2: f64 = 3.25792512996573918826e+02;
const sb3: f64 = 1.53672958608443695994e+03, sb4: f64 = 3.19985821950859553908e+03;
const sb5: f64 = 2.55305040643316442583e+03, sb6: f64 = 4.74528541206955367215e+02;
const sb7: f64 = -2.24409524465858183362e+01;

/** The error function erf(x) = 2/√π ∫₀ˣ exp(-t²) dt, to about 1 ulp; odd, ±1 at ±Inf. */
export function erf(x: f64): f64 {
  let hx = hiWord(x);
  let ix = hx & 0x7fffffff;
  let sign = hx < 0;
  if (ix >= 0x7ff00000) return <f64>(1 - ((hx >>> 31) << 1)) + 1.0 / x; // ±1, or NaN
  if (ix < 0x3feb0000) { // |x| < 0.84375: erf(x) = x + x R(x²)
    if (ix < 0x3e300000) { // |x| < 2^-28
      // NOTE: for subnormal x, x*efx would underflow and lose bits; scale by 8 first.
      if (ix < 0x00800000) return 0.125 * (8.0 * x + efx8 * x);
      return x + efx * x;
    }
    let z = x * x;
    let r = pp0 + z * (pp1 + z * (pp2 + z * (pp3 + z * pp4)));
    let s = 1.0 + z * (qq1 + z * (qq2 + z * (qq3 + z * (qq4 + z * qq5))));
    return x + x * (r / s);
  }
  if (ix < 0x3ff40000) { // 0.84375 <= |x| < 1.25: erf = c + P/Q in s = |x| - 1
    let s = Math.abs(x) - 1.0;
    let P = pa0 + s * (pa1 + s * (pa2 + s * (pa3 + s * (pa4 + s * (pa5 + s * pa6)))));
    let Q = 1.0 + s * (qa1 + s * (qa2 + s * (qa3 + s * (qa4 + s * (qa5 + s * qa6)))));
    return sign ? -erx - P / Q : erx + P / Q;
  }
  if (ix >= 0x40180000) return sign ? -1.0 : 1.0; // |x| >= 6: 1 - erf < 2^-53
  let ax = Math.abs(x);
  let s = 1.0 / (ax * ax);
  let R: f64, S: f64;
  if (ix < 0x4006DB6E) { // |x| < 1/0.35
    R = ra0 + s * (ra1 + s * (ra2 + s * (ra3 + s * (ra4 + s * (ra5 + s * (ra6 + s * ra7))))));
    S = 1.0 + s * (sa1 + s * (sa2 + s * (sa3 + s * (sa4 + s * (sa5 + s * (sa6 + s * (sa7 + s * sa8)))))));
  } else {
    R = rb0 + s * (rb1 + s * (rb2 + s * (rb3 + s * (rb4 + s * (rb5 + s * rb6)))));
    S = 1.0 + s * (sb1 + s * (sb2 + s * (sb3 + s * (sb4 + s * (sb5 + s * (sb6 + s * sb7))))));
  }
  // NOTE: exp(-x²) loses ~x² ulps if x² is rounded; split x = z + (x - z) with z's low word zeroed,
  // so z*z is exact and -x² = -z² + (z - x)(z + x).
  let z = reinterpret<f64>(reinterpret<u64>(ax) & 0xFFFFFFFF00000000);
  let r = Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + R / S);
  return sign ? r / ax - 1.0 : 1.0 - r / ax;
}

// ---- lgamma (musl lgamma_r.c) ------------------------------------------------------------------
// lgamma(x) near its minimum tc: lgamma(tc + y) = tf + y² T(y), T of degree 14
const a0: f64 = 7.72156649015328655494e-02, a1: f64 = 3.22467033424113591611e-01;
const a2: f64 = 6.73523010531292681824e-02, a3: f64 = 2.05808084325167332806e-02;
const a4: f64 = 7.38555086081402883957e-03, a5: f64 = 2.89051383673415629091e-03;
const a6: f64 = 1.19270763183362067845e-03, a7: f64 = 5.10069792153511336608e-04;
const a8: f64 = 2.20862790713908385557e-04, a9: f64 = 1.08011567247583939954e-04;
const a10: f64 = 2.52144565451257326939e-05, a11: f64 = 4.48640949618915160150e-05;
const tc: f64 = 1.46163214496836224576e+00;
const tf: f64 = -1.21486290535849611461e-01;
const tt: f64 = -3.63867699703950536541e-18; // -(tail of tf)
const t0: f64 = 4.83836122723810047042e-01, t1: f64 = -1.47587722994593911752e-01;
const t2: f64 = 6.46249402391333854778e-02, t3: f64 = -3.27885410759859649565e-02;
const t4: f64 = 1.79706750811820387126e-02, t5: f64 = -1.03142241298341437450e-02;
const t6: f64 = 6.10053870246291332635e-03, t7: f64 = -3.68452016781138256760e-03;
const t8: f64 = 2.25964780900612472250e-03, t9: f64 = -1.40346469989232843813e-03;
const t10: f64 = 8.81081882437654011382e-04, t11: f64 = -5.38595305356740546715e-04;
const t12: f64 = 3.15632070903625950361e-04, t13: f64 = -3.12754168375120860518e-04;
const t14: f64 = 3.35529192635519073543e-04;
const u0: f64 = -7.72156649015328655494e-02, u1: f64 = 6.32827064025093366517e-01;
const u2: f64 = 1.45492250137234768737e+00, u3: f64 = 9.77717527963372745603e-01;
const u4: f64 = 2.28963728064692451092e-01, u5: f64 = 1.33810918536787660377e-02;
const v1: f64 = 2.45597793713041134822e+00, v2: f64 = 2.12848976379893395361e+00;
const v3: f64 = 7.69285150456672783825e-01, v4: f64 = 1.04222645593369134254e-01;
const v5: f64 = 3.21709242282423911810e-03;
const s0: f64 = -7.72156649015328655494e-02, s1: f64 = 2.14982415960608852501e-01;
const s2: f64 = 3.25778796408930981787e-01, s3: f64 = 1.46350472652464452805e-01;
const s4: f64 = 2.66422703033638609560e-02, s5: f64 = 1.84028451407337715652e-03;
const s6: f64 = 3.19475326584100867617e-05;
const r1: f64 = 1.39200533467621045958e+00, r2: f64 = 7.21935547567138069525e-01;
const r3: f64 = 1.71933865632803078993e-01, r4: f64 = 1.86459191715652901344e-02;
const r5: f64 = 7.77942496381893596434e-04, r6: f64 = 7.32668430744625636189e-06;
// Stirling remainder for x >= 8, in z = 1/x
const w0: f64 = 4.18938533204672725052e-01, w1: f64 = 8.33333333333329678849e-02;
const w2: f64 = -2.77777777728775536470e-03, w3: f64 = 7.93650558643019558500e-04;
const w4: f64 = -5.95187557450339963135e-04, w5: f64 = 8.36339918996282139126e-04;
const w6: f64 = -1.63092934096575273989e-03;

/** log|Γ(x)| for every real x; +Inf at the poles x = 0, -1, -2, … and at ±Inf. */
export function lgamma(x: f64): f64 {
  let hx = hiWord(x);
  let lx = loWord(x);
  let ix = hx & 0x7fffffff;
  if (ix >= 0x7ff00000) return x * x; // +Inf for ±Inf, NaN for NaN
  if ((ix | lx) == 0) return Infinity; // ±0
  if (ix < 0x3b900000) return -Math.log(Math.abs(x)); // |x| < 2^-70
  let nadj = 0.0;
  if (hx < 0) {
    if (ix >= 0x43300000) return Infinity; // |x| >= 2^52: a negative integer
    let t = Math.abs(sinPiReduced(fracNearest(x)));
    if (t == 0) return Infinity; // negative integer
    // Reflection: |Γ(x)| = π / (|x sin(πx)| Γ(-x)).
    // NOTE: lgamma(x) = nadj - lgamma(-x) cancels near the zeros of lgamma on x < 0 (x ≈ -2.457,
    // -2.747, -3.143, -3.955, …); there the error is absolute (~1e-16 × |lgamma(-x)|), not relative.
    nadj = Math.log(PI / Math.abs(t * x));
    x = -x;
  }
  let r: f64;
  if (((ix - 0x3ff00000) | lx) == 0 || ((ix - 0x40000000) | lx) == 0) {
    r = 0; // lgamma(1) = lgamma(2) = 0 exactly
  } else if (ix < 0x40000000) { // x < 2
    // NOTE: lgamma has zeros at 1 and 2, so each piece is expanded in the small offset y from 1,
    // 2 or the minimum tc (never as a difference of two O(1) values): error stays relative there.
    let y: f64, i: i32;
    if (ix <= 0x3feccccc) { // x < 0.9: lgamma(x) = lgamma(x+1) - log(x)
      r = -Math.log(x);
      if (ix >= 0x3FE76944) { y = 1.0 - x; i = 0; }
      else if (ix >= 0x3FCDA661) { y = x - (tc - 1.0); i = 1; }
      else { y = x; i = 2; }
    } else {
      r = 0;
      if (ix >= 0x3FFBB4C3) { y = 2.0 - x; i = 0; } // [1.7316, 2)
      else if (ix >= 0x3FF3B4C4) { y = x - tc; i = 1; } // [1.23, 1.73)
      else { y = x - 1.0; i = 2; }
    }
    if (i == 0) {
      let z = y * y;
      let p1 = a0 + z * (a2 + z * (a4 + z * (a6 + z * (a8 + z * a10))));
      let p2 = z * (a1 + z * (a3 + z * (a5 + z * (a7 + z * (a9 + z * a11)))));
      r += y * p1 + p2 - 0.5 * y;
    } else if (i == 1) {
      let z = y * y;
      let w = z * y;
      let p1 = t0 + w * (t3 + w * (t6 + w * (t9 + w * t12)));
      let p2 = t1 + w * (t4 + w * (t7 + w * (t10 + w * t13)));
      let p3 = t2 + w * (t5 + w * (t8 + w * (t11 + w * t14)));
      r += tf + (z * p1 - (tt - w * (p2 + y * p3)));
    } else {
      let p1 = y * (u0 + y * (u1 + y * (u2 + y * (u3 + y * (u4 + y * u5)))));
      let p2 = 1.0 + y * (v1 + y * (v2 + y * (v3 + y * (v4 + y * v5))));
      r += -0.5 * y + p1 / p2;
    }
  } else if (ix < 0x40200000) { // 2 < x < 8: lgamma(2 + y) by P/Q, then lgamma(s+1) = log s + lgamma(s)
    let i = <i32>x;
    let y = x - <f64>i;
    let p = y * (s0 + y * (s1 + y * (s2 + y * (s3 + y * (s4 + y * (s5 + y * s6))))));
    let q = 1.0 + y * (r1 + y * (r2 + y * (r3 + y * (r4 + y * (r5 + y * r6)))));
    r = 0.5 * y + p / q;
    let z = 1.0;
    for (let k = 2; k < i; k++) z *= y + <f64>k;
    if (i > 2) r += Math.log(z);
  } else if (ix < 0x43900000) { // 8 <= x < 2^58: Stirling, lgamma ≈ (x - 1/2)(log x - 1) + w(1/x)
    let t = Math.log(x);
    let z = 1.0 / x;
    let y = z * z;
    let w = w0 + z * (w1 + y * (w2 + y * (w3 + y * (w4 + y * (w5 + y * w6)))));
    r = (x - 0.5) * (t - 1.0) + w;
  } else {
    r = x * (Math.log(x) - 1.0);
  }
  return hx < 0 ? nadj - r : r;
}

// ---- digamma and trigamma ----------------------------------------------------------------------
// From here the Bernoulli series is below 1 ulp; below it, the recurrence shifts x.
const ASYMPTOTIC_FROM: f64 = 10.0;
// ψ's positive root x0 = X0_HI + X0_LO, and gk: ψ(x) / (x - x0) = Σ gk (x - 3/2)^k on [1, 2]
// (a degree-22 Chebyshev fit from mpmath, error 3e-18).
const X0_HI: f64 = 1.4616321449683622, X0_LO: f64 = 9.549995429965697e-17;
const g0: f64 = 0.95105587603183284, g1: f64 = -0.42362742128146058;
const g2: f64 = 0.24054248424078697, g3: f64 = -0.14840492305388092;
const g4: f64 = 0.094988724452890388, g5: f64 = -0.06192213327548831;
const g6: f64 = 0.040760833940846085, g7: f64 = -0.026975796659787055;
const g8: f64 = 0.017907248317313294, g9: f64 = -0.011908220105959716;
const g10: f64 = 0.0079270217968681542, g11: f64 = -0.005279937255532708;
const g12: f64 = 0.0035181065638024722, g13: f64 = -0.0023454947397380833;
const g14: f64 = 0.0015633696313653504, g15: f64 = -0.0010364584817312839;
const g16: f64 = 0.00069092557612829861, g17: f64 = -0.00048595039220036254;
const g18: f64 = 0.00032395945401345196, g19: f64 = -0.00014480643368061614;
const g20: f64 = 9.6536462614100617e-05, g21: f64 = -0.00017821885488559231;
const g22: f64 = 0.00011881232908510335;

/** ψ(x) for x > 0 (x = +Inf gives +Inf). */
function digammaPositive(x: f64): f64 {
  if (x >= ASYMPTOTIC_FROM) {
    // ψ(x) ~ log x - 1/(2x) - Σ B_2k / (2k x^2k), terms through B_16
    let z = 1.0 / (x * x);
    let s = z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132
      - z * (691.0 / 32760 - z * (1.0 / 12 - z * (3617.0 / 8160))))))));
    return Math.log(x) - 0.5 / x - s;
  }
  // NOTE: not the usual upward recurrence to x >= 10: ψ(x + n) - Σ 1/(x + k) cancels two values
  // near 2.3 and leaves ~5e-16 absolute error (4 ulp at ψ(1) = -γ, all of ψ near its root).
  // Instead step into [1, 2], where ψ = (x - x0)·g(x) is relative-accurate even at the root, and
  // step back with 1/y terms of one sign: ψ(y + 1) = ψ(y) + 1/y (y = x - k is exact for x >= 1).
  let acc = 0.0;
  if (x < 1) { acc = -1.0 / x; x += 1.0; }
  else while (x > 2) { x -= 1.0; acc += 1.0 / x; }
  let t = x - 1.5; // exact, as is x - X0_HI (Sterbenz)
  let g = g0 + t * (g1 + t * (g2 + t * (g3 + t * (g4 + t * (g5 + t * (g6 + t * (g7 + t * (g8
    + t * (g9 + t * (g10 + t * (g11 + t * (g12 + t * (g13 + t * (g14 + t * (g15 + t * (g16
    + t * (g17 + t * (g18 + t * (g19 + t * (g20 + t * (g21 + t * g22)))))))))))))))))))));
  return ((x - X0_HI) - X0_LO) * g + acc;
}

/** The digamma function ψ(x) = d/dx lgamma(x) for all real x; NaN at the poles 0, -1, -2, … and -Inf. */
export function digamma(x: f64): f64 {
  if (x > 0) return digammaPositive(x); // also +Inf
  if (x != x || x == Math.floor(x)) return NaN; // NaN, pole, or -Inf
  // NOTE: reflection ψ(x) = ψ(1 - x) - π cot(πx). cot is taken of the exactly reduced argument, so
  // it stays accurate next to the poles; between them ψ has one root per unit interval, where the
  // subtraction cancels and the error is absolute (a few 1e-16 × |ψ(1 - x)|), not relative.
  return digammaPositive(1.0 - x) - piCotPiReduced(fracNearest(x));
}

/** ψ'(x) for x > 0 (x = +Inf gives 0). */
function trigammaPositive(x: f64): f64 {
  // ψ'(x) = ψ'(x + n) + Σ 1/(x + k)²
  let acc = 0.0;
  while (x < ASYMPTOTIC_FROM) { acc += 1.0 / (x * x); x += 1.0; }
  // ψ'(x) ~ 1/x + 1/(2x²) + Σ B_2k / x^(2k+1), terms through B_18
  let z = 1.0 / (x * x);
  let s = z * (1.0 / 6 - z * (1.0 / 30 - z * (1.0 / 42 - z * (1.0 / 30 - z * (5.0 / 66
    - z * (691.0 / 2730 - z * (7.0 / 6 - z * (3617.0 / 510 - z * (43867.0 / 798)))))))));
  return (1.0 + 0.5 / x + s) / x + acc;
}

/** The trigamma function ψ'(x) for every real x; +Inf at the poles 0, -1, -2, …, NaN at -Inf. */
export function trigamma(x: f64): f64 {
  if (x > 0) return trigammaPositive(x); // also +Inf → 0
  if (x != x || x == -Infinity) return NaN;
  let r = fracNearest(x);
  if (r == 0) return Infinity; // pole: ψ' → +Inf from both sides
  // NOTE: reflection ψ'(x) = π²/sin²(πx) - ψ'(1 - x) never cancels badly: the first term is
  // >= π² ≈ 9.87 while ψ'(1 - x) <= ψ'(1) ≈ 1.64. Near a pole the first term overflows to +Inf.
  let q = PI / sinPiReduced(r);
  return q * q - trigammaPositive(1.0 - x);
}

/** ψ''(x) for x ≥ 20 by its asymptotic series: -1/x² - 1/x³ - Σ (2k+1) B₂ₖ / x^(2k+2). */
function tetragammaLarge(x: f64): f64 {
  const z = 1.0 / (x * x);
  const s = z * (0.5 - z * (1.0 / 6 - z * (1.0 / 6 - z * (3.0 / 10 - z * (5.0 / 6 - z * (691.0 / 210 - z * (35.0 / 2)))))));
  return -(1.0 + 1.0 / x + s) * z;
}

/** ψ'''(x) for x ≥ 20 by its asymptotic series: 2/x³ + 3/x⁴ + Σ (2k+1)(2k+2) B₂ₖ / x^(2k+3). */
function pentagammaLarge(x: f64): f64 {
  const z = 1.0 / (x * x);
  const s = z * (2.0 - z * (1.0 - z * (4.0 / 3 - z * (3.0 - z * (10.0 - z * (691.0 / 15 - z * 280.0))))));
  return (2.0 + 3.0 / x + s) * z / x;
}

/** The tetragamma function ψ''(x) for x > -1000 not a pole (NaN at the poles and below -1000). */
export function tetragamma(x: f64): f64 {
  // NOTE: upward recurrence ψ''(x) = ψ''(x + 1) - 2/x³ also serves x < 0; below -1000 it would take too long.
  if (x != x || x <= -1000 || (x <= 0 && x == Math.floor(x))) return NaN;
  let acc = 0.0;
  while (x < 20) { acc -= 2.0 / (x * x * x); x += 1.0; }
  return tetragammaLarge(x) + acc;
}

/** The pentagamma function ψ'''(x) for x > -1000 not a pole (NaN at the poles and below -1000). */
export function pentagamma(x: f64): f64 {
  // NOTE: upward recurrence ψ'''(x) = ψ'''(x + 1) + 6/x⁴.
  if (x != x || x <= -1000 || (x <= 0 && x == Math.floor(x))) return NaN;
  let acc = 0.0;
  while (x < 20) { const x2 = x * x; acc += 6.0 / (x2 * x2); x += 1.0; }
  return pentagammaLarge(x) + acc;
}
