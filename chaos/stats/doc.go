// Package stats summarises repeated measurements and compares two sets of
// them, saying plainly when the samples are too small to conclude.
//
// It is pure: float slices in, plain values out, no I/O. The statistics come
// from golang.org/x/perf/benchmath (what benchstat uses) with
// AssumeNothing: no distribution is assumed, because recovery and downtime
// are skewed, bounded below and often tied (many runs with 0 s downtime).
//
// # Summary
//
// The centre is the median. Its confidence interval is the exact
// distribution-free order-statistic interval: the number of sample values
// below the population median is Binomial(n, 1/2), so [x(l), x(u)] covers
// the median with probability P(l ≤ B < u). benchmath picks the narrowest
// such interval (exact binomial up to n = 30, the normal approximation with
// continuity correction above). It needs n ≥ 6 at 95 %: with 5 values even
// [min, max] covers the median only with probability 1 − 2/2⁵ = 93.75 %, and
// then Summary says so (HasCI false, a warning) instead of printing a false
// interval. A bootstrap was not chosen: at the sample sizes selfheal runs
// (3 to 10 repetitions) the bootstrap interval of a median is known to
// undercover, and it is random.
//
// The quartiles use Hyndman & Fan's definition 8 (median-unbiased, the one
// they recommend; also the definition benchmath's median uses, so Q2 is the
// median): for sorted x(1..n) and probability p, h = (n + 1/3)·p + 1/3, and
// Q(p) = x(⌊h⌋) + (h − ⌊h⌋)·(x(⌊h⌋+1) − x(⌊h⌋)), clamped to [x(1), x(n)].
//
// # Comparison
//
// Two samples are compared with the two-sided Mann-Whitney U test
// (benchmath: the exact distribution of U, conditional on ties, up to 25
// values a side with ties and 50 without; the normal approximation with tie
// and continuity correction above). The difference is NEW − BASE of the
// medians. Its confidence interval is the Hodges-Lehmann interval for the
// shift between the two distributions (Hollander & Wolfe, Nonparametric
// Statistical Methods, §4.3): the order statistics d(C) and d(n₁n₂+1−C) of
// the n₁·n₂ pairwise differences new − base, with C from the exact null
// distribution of U (without ties; with tied values the same ranks are
// used, as the textbook does, and tied differences simply repeat a bound).
// It is chosen because it is the interval that inverts
// the very test that gives the verdict (the interval excludes 0 about when
// the test rejects), it is exact and deterministic, and it needs no
// assumption beyond the two distributions having the same shape; under that
// shift model the shift is the difference of the medians.
//
// # Many comparisons at once
//
// A compare tests every scenario × metric at once, so false alarms are
// controlled across the family with the Benjamini-Hochberg step-up
// procedure (see Adjust). When the two sides are samples of the same
// service (every null hypothesis true) it keeps the probability of any
// false "better" or "worse" at α, like Holm; when something really
// changed, it does not punish the correlated metrics that move together
// (downtime, longest outage, 5xx and recovery all grow when a fault hurts
// more), where Holm would demand each of them to pass α/m alone. Its
// false-discovery guarantee holds for positively dependent tests
// (Benjamini & Yekutieli 2001), which these metrics are.
//
// # Repetitions until clear
//
// --repeat auto runs repetitions until a comparison is clear or a maximum
// is reached, looking after each one. Testing every look at α would
// raise false alarms far above α (in the tests: 11.6 % for α = 5 %), so
// Sequential spends α across looks with a Pocock-type spending function
// (Lan & DeMets 1983: α·ln(1 + (e−1)·n/Max) may be spent by n
// repetitions a side) and tests a small family of figures at each look
// with Holm's step-down procedure at the look's share. A group-sequential
// boundary from the normal approximation was not chosen: at 5 to 10
// values a side, with ties, the exact test's p-values are few and far
// apart, and nothing here has normal increments. Instead the looks are
// joined by the union bound (Bonferroni across looks and figures), which
// holds whatever the correlation between figures and between looks, and
// the exact test's discreteness is used, not ignored: a look at which the
// smallest possible p (2/C(n₁+n₂, n₁), which ties cannot lower) is above
// its threshold can call nothing, so it spends nothing and its share
// carries to the next. The design is fixed before any value is seen.
// Pocock-type spending rather than O'Brien-Fleming's, because the exact
// test cannot call anything before 5 a side at these levels, and a
// difference as large as statefulset-1's should end at the first look
// that can call it, not wait for the last.
//
// Real level: for values without ties, Sequential.Bound sums, over the
// looks that can call, m × the largest p the exact test can give at or
// below the look's threshold: 3.9 % for the default design (α = 5 %,
// three figures, at most 10 a side). Simulated (sequential_test.go), the
// chance of any false call over all looks was 3.0 % for independent
// figures, 1.8 % for correlated ones and 0.3 % for mostly-zero values
// with ties.
package stats
