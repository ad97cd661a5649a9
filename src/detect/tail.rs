//! Tail probability of a volume under a heavy-tailed (Pareto) model fitted to an account's own
//! history.
//!
//! Method. Volumes of access windows are heavy-tailed: most hours are small, a few are very
//! large. We model the upper tail of `x = ln(1 + volume)` as exponential above a threshold `u`,
//! which is a Pareto (power-law) tail on the volume itself. The maximum-likelihood estimate of
//! the exponential scale is the mean excess of the top values over `u`, i.e. the Hill (1975)
//! estimator of the tail index. To account for estimating that scale from few values, the tail
//! probability is the Bayesian posterior predictive: with a Gamma(`PRIOR_SHAPE`, `PRIOR_EXCESS`)
//! prior on the exponential rate and `k` excesses summing to `S`, the predictive survival of a new
//! excess `y` is the Lomax law `(1 + y / (S + PRIOR_EXCESS)) ^ -(k + PRIOR_SHAPE)`, which is
//! heavier-tailed the fewer values support it. The probability of exceeding `u` at all is the
//! Laplace estimate `(k + 1) / (n + 2)`.
//!
//! References: B. M. Hill, "A simple general approach to inference about the tail of a
//! distribution", Annals of Statistics 3(5), 1975; S. Coles, "An Introduction to Statistical
//! Modeling of Extreme Values", Springer 2001, ch. 4 (threshold models).

use statrs::distribution::{ContinuousCDF, Normal, Pareto, StudentsT};

/// The share of history windows treated as the tail (the top 20% define `u` and the excesses).
pub const TAIL_FRACTION: f64 = 0.2;
/// Prior shape of the Gamma prior on the exponential rate: one pseudo-excess.
pub const PRIOR_SHAPE: f64 = 1.0;
/// Prior sum of excesses (in nats of volume): the pseudo-excess is one e-fold (x2.7) above `u`.
/// This is what stops an account whose history has zero spread from making any rise look
/// infinitely unlikely.
pub const PRIOR_EXCESS: f64 = 1.0;

/// A fitted tail: threshold, exceedances and their summed excess, on the log scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailModel {
    /// Number of history values.
    pub n: usize,
    /// Threshold `u` on the log scale (`ln(1 + volume)`).
    pub threshold: f64,
    /// Number of history values strictly above `u`.
    pub exceedances: usize,
    /// Sum of their excesses over `u`.
    pub excess_sum: f64,
}

/// `ln(1 + v)`: the scale on which tails are fitted.
pub fn log_volume(v: f64) -> f64 {
    v.max(0.0).ln_1p()
}

impl TailModel {
    /// Fits the tail to `sorted`: history volumes on the log scale, sorted ascending.
    /// Returns `None` for an empty history.
    pub fn fit(sorted: &[f64]) -> Option<TailModel> {
        let n = sorted.len();
        if n == 0 {
            return None;
        }
        // The top `k` values lie above the threshold (fewer when values tie at it).
        let k_target = ((n as f64) * TAIL_FRACTION - 1e-9).ceil().max(1.0) as usize;
        let threshold = sorted[n.saturating_sub(k_target + 1)];
        let tail = &sorted[sorted.partition_point(|&x| x <= threshold)..];
        Some(TailModel {
            n,
            threshold,
            exceedances: tail.len(),
            excess_sum: tail.iter().map(|x| x - threshold).sum(),
        })
    }

    /// Probability that a new window's log volume is at least `x`, given the history.
    ///
    /// At or below the threshold this is the (conservative) empirical survival; above it, the
    /// Laplace-smoothed exceedance probability times the Lomax predictive tail.
    pub fn survival(&self, x: f64, sorted: &[f64]) -> f64 {
        let n = self.n as f64;
        if x <= self.threshold {
            let at_least = (sorted.len() - sorted.partition_point(|&v| v < x)) as f64;
            return ((at_least + 1.0) / (n + 1.0)).min(1.0);
        }
        let p_exceed = (self.exceedances as f64 + 1.0) / (n + 2.0);
        let scale = self.excess_sum + PRIOR_EXCESS;
        let shape = self.exceedances as f64 + PRIOR_SHAPE;
        // Lomax(y; scale, shape) survival = Pareto(scale, shape) survival at scale + y.
        let lomax = match Pareto::new(scale, shape) {
            Ok(p) => p.sf(scale + (x - self.threshold)),
            Err(_) => 1.0,
        };
        (p_exceed * lomax).clamp(f64::MIN_POSITIVE, 1.0)
    }
}

/// Pseudo-observations of the prior on a log-normal's variance ([`lognormal_survival`]).
pub const PRIOR_DAYS: f64 = 1.0;
/// The prior's spread, in nats of volume: one pseudo-observation one e-fold (x2.7) from the
/// mean. As [`PRIOR_EXCESS`] for the tail, it stops a history of near-identical values from
/// making a small rise look impossible; against a spread of its own it weighs one value in `n`.
pub const PRIOR_SPREAD: f64 = 1.0;

/// Probability that a new value's log volume is at least `x` when log volumes are normal
/// (volumes log-normal) with unknown mean and variance, given `history` (log volumes, any
/// order); `None` with fewer than two values.
///
/// Method: the Bayesian posterior predictive under a flat prior on the mean and a scaled
/// inverse-chi-squared prior on the variance (`PRIOR_DAYS` pseudo-observations at variance
/// `PRIOR_SPREAD^2`): a Student t with `nu = PRIOR_DAYS + n - 1` degrees of freedom, location
/// the mean `m`, scale `s_n * sqrt(1 + 1/n)`, where `s_n^2 = (PRIOR_DAYS * PRIOR_SPREAD^2 +
/// (n - 1) s^2) / nu` (Gelman et al., "Bayesian Data Analysis", 3rd ed., section 3.2). The t's
/// heavier tails carry the uncertainty of estimating mean and spread from `n` values.
///
/// Where it fits: totals over many exports (an account's day), whose logarithms are far closer
/// to normal than single exports or hours are; [`TailModel`] is the model for those.
pub fn lognormal_survival(x: f64, history: &[f64]) -> Option<f64> {
    let n = history.len();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mean = history.iter().sum::<f64>() / nf;
    let ss: f64 = history.iter().map(|h| (h - mean).powi(2)).sum();
    normal_predictive_sf(x, mean, ss, nf - 1.0, 1.0 + 1.0 / nf)
}

/// Survival at `x` of the predictive of a normal law about `centre` whose squared deviations sum
/// to `ss` over `dof` degrees of freedom, with the prior of `PRIOR_DAYS` pseudo-observations at
/// spread `PRIOR_SPREAD`: a Student t with `nu = PRIOR_DAYS + dof` degrees of freedom and scale
/// `sqrt(var * inflation)`, `var = (PRIOR_DAYS * PRIOR_SPREAD^2 + ss) / nu`, `inflation` the
/// new value's variance over the law's (1 plus the centre's share).
fn normal_predictive_sf(x: f64, centre: f64, ss: f64, dof: f64, inflation: f64) -> Option<f64> {
    let nu = PRIOR_DAYS + dof;
    let var = (PRIOR_DAYS * PRIOR_SPREAD * PRIOR_SPREAD + ss) / nu;
    let scale = (var * inflation).sqrt();
    let t = StudentsT::new(0.0, 1.0, nu).ok()?;
    Some(t.sf((x - centre) / scale).clamp(f64::MIN_POSITIVE, 1.0))
}

/// Whether `sorted`'s largest value, judged by `survival` against the others, is no outlier at
/// [`LOGNORMAL_REJECT`] after the Bonferroni factor `factor` (how many values it is the largest
/// of). Histories of fewer than three values fit. Shared by the laws of daily volumes and
/// `detect`'s law of daily counts of exports.
pub(crate) fn largest_fits(
    sorted: &[f64],
    survival: impl Fn(f64, &[f64]) -> Option<f64>,
    factor: usize,
) -> bool {
    let n = sorted.len();
    if n < 3 {
        return true;
    }
    survival(sorted[n - 1], &sorted[..n - 1]).is_none_or(|p| p * factor as f64 >= LOGNORMAL_REJECT)
}

/// Probability that a new value's log volume is at least `x` under a normal law fitted to the
/// *upper half* of `sorted` (log volumes, ascending): about its median `m`, with the spread
/// estimated from the `k` values above `m` alone; `None` with fewer than two values above it.
///
/// Why: an account's small days (a shift cut by midnight UTC, a weekend check-in, a day of
/// leave begun) are a long lower tail on the log scale. The log-normal of all days
/// ([`lognormal_survival`]) takes its spread from them too and so widens its *upper* tail,
/// where a theft is judged: in one account of 70 days, whose busiest was 793 records and
/// median 230, days of 2-15 records put the spread at 1.3 nats and a day of 9,572 records
/// (12 times its busiest) at a chance of about 1 in 1,500 (7e-10 under the upper half).
/// Deviations above the median of a normal law
/// are half-normal with the law's variance, so `k` of them estimate it whatever the lower tail
/// does.
///
/// Method: as [`lognormal_survival`], the Bayesian predictive with `PRIOR_DAYS`
/// pseudo-observations at spread `PRIOR_SPREAD`: a Student t with `nu = PRIOR_DAYS + k` degrees
/// of freedom (the centre is not fitted from the deviations), location `m`, and scale
/// `s * sqrt(1 + pi / (2 n))`, where `s^2 = (PRIOR_DAYS * PRIOR_SPREAD^2 + sum d^2) / nu` and
/// `pi s^2 / (2 n)` is the variance of the median of `n` normal values.
pub fn upper_normal_survival(x: f64, sorted: &[f64]) -> Option<f64> {
    let m = quantile(sorted, 0.5)?;
    let upper = &sorted[sorted.partition_point(|&v| v <= m)..];
    if upper.len() < 2 {
        return None;
    }
    let ss: f64 = upper.iter().map(|v| (v - m).powi(2)).sum();
    let inflation = 1.0 + std::f64::consts::FRAC_PI_2 / sorted.len() as f64;
    normal_predictive_sf(x, m, ss, upper.len() as f64, inflation)
}

/// Whether the upper-half normal ([`upper_normal_survival`]) is consistent with `sorted` (log
/// volumes, ascending): its largest value, judged against the others, is not an outlier at
/// [`LOGNORMAL_REJECT`] after the Bonferroni factor of the values above the median (the largest
/// of those). As [`lognormal_fits`], for a history that already holds a day far beyond the law.
pub fn upper_normal_fits(sorted: &[f64]) -> bool {
    let upper = quantile(sorted, 0.5).map_or(0, |median| {
        sorted.len() - sorted.partition_point(|&v| v <= median)
    });
    largest_fits(sorted, upper_normal_survival, upper.max(1))
}

/// Significance at which a history's largest value rejects the log-normal law
/// ([`lognormal_fits`]).
pub const LOGNORMAL_REJECT: f64 = 0.01;

/// Whether the log-normal law is consistent with `sorted` (log volumes, ascending): its largest
/// value, judged by [`lognormal_survival`] against the others, is not an outlier at
/// [`LOGNORMAL_REJECT`] after the Bonferroni factor `n` (the largest of `n` values). A history
/// that already holds a day far beyond the law (an admin's occasional bulk export among
/// ordinary days) is a mixture the law cannot describe, and a second such day would look
/// impossible under it; such accounts are judged by the Pareto tail alone, which counts their
/// precedents. Histories of fewer than three values fit.
pub fn lognormal_fits(sorted: &[f64]) -> bool {
    largest_fits(sorted, lognormal_survival, sorted.len())
}

/// Share of the smallest values an exponential rate is estimated from; the rest are censored,
/// so that thefts, which are the largest values, cannot make a tail look heavier than it is.
pub const TRUSTED_SHARE: f64 = 0.5;

/// Maximum-likelihood rate of an exponential law from the smallest `share` of `sorted`
/// (non-negative, ascending), the others censored at the largest value kept (type II
/// censoring): `r / (sum of the r smallest + (n - r) * r-th smallest)`. Robust to up to
/// `1 - share` of the values coming from something else at the top. `None` when that sum is 0.
pub fn censored_exponential_rate(sorted: &[f64], share: f64) -> Option<f64> {
    let n = sorted.len();
    let r = ((n as f64 * share).ceil() as usize).clamp(1, n.max(1));
    if n == 0 {
        return None;
    }
    let kept = &sorted[..r];
    let total: f64 = kept.iter().sum::<f64>() + (n - r) as f64 * kept[r - 1];
    (total > 0.0).then(|| r as f64 / total)
}

/// Two-sided p-value of the hypothesis that `sorted` (non-negative excesses, ascending) are
/// exponential, from their smallest `share` (the trusted part, as [`censored_exponential_rate`]).
///
/// By Rényi's representation the normalised spacings `d_i = (n - i) (x_(i) - x_(i-1))`
/// (`i` from 0, `x_(-1) = 0`) of `n` exponential values are independent exponentials of one
/// rate, so among the trusted `r` they show no trend in `i`. The test is Spearman's rank
/// correlation `rho` between `i` and `d_i` (ties share their mean rank), with
/// `z = rho * sqrt(r - 1)` about standard normal. A density with a bump just above the
/// threshold (values packed close together, then a heavier tail) gives small spacings first and
/// larger ones after: an upward trend. Ranks, so one large first spacing (a gap between the
/// threshold and the bump) cannot hide it. 1.0 with fewer than 4 trusted values or spacings all
/// equal.
pub fn exponential_spacings_test(sorted: &[f64], share: f64) -> f64 {
    let n = sorted.len();
    let r = ((n as f64 * share).ceil() as usize).min(n);
    if r < 4 {
        return 1.0;
    }
    let d: Vec<f64> = (0..r)
        .map(|i| {
            let previous = if i == 0 { 0.0 } else { sorted[i - 1] };
            (n - i) as f64 * (sorted[i] - previous)
        })
        .collect();
    let ranks = mean_ranks(&d);
    let rf = r as f64;
    let mean = (rf + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (i, &y) in ranks.iter().enumerate() {
        let (dx, dy) = (i as f64 + 1.0 - mean, y - mean);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if syy <= 0.0 {
        return 1.0;
    }
    let z = sxy / (sxx * syy).sqrt() * (rf - 1.0).sqrt();
    let Ok(normal) = Normal::new(0.0, 1.0) else {
        return 1.0;
    };
    (2.0 * normal.sf(z.abs())).min(1.0)
}

/// One-sided p-value that `sorted` (non-negative excesses, ascending) hold *fewer* large values
/// than the exponential law of `rate` fitted to them predicts.
///
/// Thefts only add values at the top, so an excess of large values is no evidence against a
/// null tail fitted on the trusted part ([`censored_exponential_rate`]); a deficit is. A rate
/// fitted just above a threshold, where the scores are packed, can be too slow for the values
/// further out, and then predicts more ordinary windows above a score than there are windows
/// there at all. At the excesses `j / rate`, `j = 1, 2, ...` while the predicted count
/// `n e^-j` is at least 5, the count `O_j` of values at or above it is compared with
/// `X ~ Poisson(n e^-j)`: `P(X <= O_j)`; the smallest, times the number of points (Bonferroni).
/// 1.0 when no point is tested.
pub fn exponential_deficit_test(sorted: &[f64], rate: f64) -> f64 {
    let n = sorted.len() as f64;
    if rate.is_nan() || rate <= 0.0 {
        return 1.0;
    }
    let mut smallest: f64 = 1.0;
    let mut points = 0;
    for j in 1.. {
        let expected = n * (-f64::from(j)).exp();
        if expected < 5.0 {
            break;
        }
        let at = f64::from(j) / rate;
        let observed = sorted.len() - sorted.partition_point(|&x| x < at);
        points += 1;
        // P(X <= o) = Q(o + 1, lambda), the regularised upper incomplete gamma.
        let p = statrs::function::gamma::gamma_ur(observed as f64 + 1.0, expected);
        smallest = smallest.min(p);
    }
    (smallest * f64::from(points.max(1))).min(1.0)
}

/// Ranks 1..=n of `v`, ties sharing their mean rank.
pub(crate) fn mean_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// The median of `sorted` (ascending) and its robust spread, 1.4826 times the median absolute
/// deviation (the standard deviation, were the values normal); `None` when empty.
pub fn median_spread(sorted: &[f64]) -> Option<(f64, f64)> {
    let median = quantile(sorted, 0.5)?;
    let mut dev: Vec<f64> = sorted.iter().map(|x| (x - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    Some((median, 1.4826 * quantile(&dev, 0.5)?))
}

/// Linear-interpolation quantile (type 7) of sorted values; `None` when empty.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_whose_largest_day_is_an_outlier_rejects_the_log_normal() {
        // Without it: -1, -0.5, 0, 0.5, 1 (mean 0, sum of squares 2.5), nu = 1 + 4 = 5,
        // variance (1 + 2.5) / 5 = 0.7, scale sqrt(0.7 * 1.2) = 0.916515. Its largest value 1.5
        // is t = 1.63663 on 5 degrees of freedom: survival 0.08132 (scipy.stats.t.sf), times
        // 6 values = 0.488, far above 0.01: the law fits.
        let fits = [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5];
        let p = lognormal_survival(1.5, &fits[..5]).unwrap();
        assert!((p - 0.08132).abs() < 1e-4, "{p}");
        assert!(lognormal_fits(&fits));
        // Nine days at 0 and one at 10: nu = 9, variance 1 / 9 (the prior alone), scale
        // sqrt(1/9 * 10/9) = 0.351364, t = 28.46: survival about 2e-10, times 10 far below
        // 0.01: rejected.
        let mut mixture = vec![0.0; 9];
        mixture.push(10.0);
        assert!(lognormal_survival(10.0, &mixture[..9]).unwrap() < 1e-9);
        assert!(!lognormal_fits(&mixture));
        // Too short to judge.
        assert!(lognormal_fits(&[0.0, 10.0]));
    }

    #[test]
    fn the_upper_half_normal_takes_its_spread_from_the_values_above_the_median() {
        // Two small values below eight ordinary ones (log scale). Median 4.45; above it 4.5,
        // 4.6, 4.8, 5.0, 5.1, deviations summing in squares to 0.8725; nu = 1 + 5 = 6, variance
        // (1 + 0.8725) / 6 = 0.312083, scale sqrt(0.312083 * (1 + pi / 20)) = 0.600920. At 8.0,
        // t = 5.9076 on 6 degrees of freedom: survival 5.231e-4 (scipy.stats.t.sf).
        let h = [0.5, 1.0, 4.0, 4.2, 4.4, 4.5, 4.6, 4.8, 5.0, 5.1];
        let p = upper_normal_survival(8.0, &h).unwrap();
        assert!((p - 5.231e-4).abs() < 1e-6, "{p}");
        // The law of all ten: mean 3.81, sum of squares 24.549, nu = 10, scale
        // sqrt(2.5549 * 1.1) = 1.676422: t = 2.4994, survival 0.01574. The two small values
        // widen its upper tail thirty-fold.
        let all = lognormal_survival(8.0, &h).unwrap();
        assert!((all - 0.01574).abs() < 1e-5, "{all}");
        // Fewer than two values above the median: no estimate.
        assert_eq!(upper_normal_survival(8.0, &[1.0, 2.0, 3.0]), None);
        assert!(upper_normal_survival(8.0, &[1.0, 2.0, 3.0, 4.0]).is_some());
    }

    #[test]
    fn a_history_whose_largest_day_is_an_outlier_rejects_the_upper_half_normal() {
        // Without it, the nine values above have median 4.4 and above it 4.5-4.8, whose
        // deviations 0.1-0.4 sum in squares to 0.3: nu = 5, scale sqrt(0.26 * (1 + pi / 18)) =
        // 0.552597. 5.1 is t = 1.2667: survival 0.1305 (scipy.stats.t.sf), times the 5 values
        // above the median of all ten: 0.65, the law fits.
        let fits = [4.0, 4.1, 4.2, 4.3, 4.4, 4.5, 4.6, 4.7, 4.8, 5.1];
        let p = upper_normal_survival(5.1, &fits[..9]).unwrap();
        assert!((p - 0.1305).abs() < 1e-4, "{p}");
        assert!(upper_normal_fits(&fits));
        // 12.0 instead is t = 13.75: survival about 2e-5, times 5 below 0.01: rejected.
        let mut outlier = fits;
        outlier[9] = 12.0;
        assert!(!upper_normal_fits(&outlier));
        assert!(upper_normal_fits(&[0.0, 10.0]));
    }

    fn sorted(v: &[f64]) -> Vec<f64> {
        let mut s: Vec<f64> = v.iter().map(|&x| log_volume(x)).collect();
        s.sort_by(f64::total_cmp);
        s
    }

    #[test]
    fn the_deficit_test_rejects_a_rate_that_predicts_more_large_values_than_there_are() {
        // The 400 quantiles -ln(1 - (i - 0.5) / 400) of the unit exponential. At rate 1 the
        // points are the excesses 1 to 4 (400 e^-5 = 2.7 is under 5), with 147, 54, 20 and 7
        // values at or above them against 147.15, 54.13, 19.91 and 7.33 expected: P(X <= O)
        // 0.517, 0.529, 0.567, 0.550; the smallest times 4 is over 1 (scipy.stats.poisson).
        let n = 400;
        let x: Vec<f64> = (1..=n)
            .map(|i| -(1.0 - (f64::from(i) - 0.5) / f64::from(n)).ln())
            .collect();
        assert_eq!(exponential_deficit_test(&x, 1.0), 1.0);
        // At rate 0.5 (a tail twice too heavy) the points are the excesses 2, 4, 6, 8, with 54,
        // 7, 1 and 0 values above them against the same expected counts: P(Poisson(147.15) <=
        // 54) = 9.66e-19, times 4 = 3.86e-18.
        let p = exponential_deficit_test(&x, 0.5);
        assert!((p / 3.862e-18 - 1.0).abs() < 1e-3, "{p}");
        // Fifty more values far out (thefts) are an excess, not a deficit: 197, 104, 70 and 57
        // values against 165.55, 60.90, 22.40 and 8.24 expected of 450.
        let mut with_thefts = x.clone();
        with_thefts.extend([10.0; 50]);
        assert_eq!(exponential_deficit_test(&with_thefts, 1.0), 1.0);
        // No point has 5 values expected: nothing to test.
        assert_eq!(exponential_deficit_test(&x[..10], 1.0), 1.0);
        assert_eq!(exponential_deficit_test(&x, 0.0), 1.0);
    }

    #[test]
    fn the_spacings_test_of_an_exponential_tail() {
        // Excesses 1, 2, 3, 4, all trusted: normalised spacings 4*1, 3*1, 2*1, 1*1, ranks 4, 3,
        // 2, 1: rho = -1, z = -1 * sqrt(3) = -1.7321, two-sided p = 2 * (1 - Phi(1.7321)) =
        // 0.0832645.
        let p = exponential_spacings_test(&[1.0, 2.0, 3.0, 4.0], 1.0);
        assert!((p - 0.083_264_5).abs() < 1e-6, "{p}");
        // Ties share their mean rank: 1, 2, 2, 3 ranks as 1, 2.5, 2.5, 4.
        assert_eq!(mean_ranks(&[1.0, 2.0, 2.0, 3.0]), vec![1.0, 2.5, 2.5, 4.0]);
        // Normalised spacings without trend: d_i = 1 + ((7 i) mod 20) / 20 for the trusted 20 of
        // 40 (x_(i) - x_(i-1) = d_i / (n - i)): Spearman's rho against i is 0.3684, z = 0.3684 *
        // sqrt(19) = 1.606, p = 0.1083 (checked with scipy.stats.spearmanr).
        let n = 40u32;
        let mut level: Vec<f64> = Vec::new();
        let mut x = 0.0;
        for i in 0..n {
            x += (1.0 + f64::from((7 * i) % 20) / 20.0) / f64::from(n - i);
            level.push(x);
        }
        let p = exponential_spacings_test(&level, 0.5);
        assert!((p - 0.1083).abs() < 1e-3, "{p}");
        // A bump at the threshold: 10 values packed within 0.01, then 30 spread 1 apart. The
        // trusted half (20) holds the bump and the first 10 of the spread. Spacings: (40 - i) *
        // 0.001 for i < 10, then 30 * 0.99 and (40 - i) * 1: ranks 10, 9, ..., 1, then 20, 19,
        // ..., 11. Rank differences from i + 1: 9 - 2i in each block, squares summing to 330
        // each, so rho = 1 - 6 * 660 / (20 * 399) = 0.5038, z = 0.5038 * sqrt(19) = 2.196,
        // p = 0.0281: rejected at 5%.
        let mut bump: Vec<f64> = (1..=10).map(|i| f64::from(i) * 1e-3).collect();
        bump.extend((1..=30).map(f64::from));
        let p = exponential_spacings_test(&bump, 0.5);
        assert!((p - 0.0281).abs() < 1e-3, "{p}");
        // Too few to test.
        assert_eq!(exponential_spacings_test(&[1.0, 2.0, 3.0], 1.0), 1.0);
    }

    #[test]
    fn empty_history_has_no_model() {
        assert_eq!(TailModel::fit(&[]), None);
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn single_value_history() {
        let h = sorted(&[100.0]);
        let m = TailModel::fit(&h).unwrap();
        assert_eq!((m.n, m.exceedances), (1, 0));
        // Above u: (0+1)/(1+2) * (1 / (1 + y))^1 with y = ln(1001/101).
        let x = log_volume(1000.0);
        let y = x - log_volume(100.0);
        let want = (1.0 / 3.0) * (1.0 / (1.0 + y));
        assert!((m.survival(x, &h) - want).abs() < 1e-12);
    }

    #[test]
    fn constant_volume_zero_spread_is_finite_and_monotone() {
        let h = sorted(&[50.0; 300]);
        let m = TailModel::fit(&h).unwrap();
        assert_eq!((m.exceedances, m.excess_sum), (0, 0.0));
        let p_same = m.survival(log_volume(50.0), &h);
        let p_10x = m.survival(log_volume(500.0), &h);
        let p_1000x = m.survival(log_volume(50_000.0), &h);
        assert!(
            p_same > 0.99,
            "the usual volume is not surprising: {p_same}"
        );
        // Never exceeded in 300 windows: p(>u) = 1/302, then a heavy Lomax tail.
        assert!(p_10x < 1.0 / 302.0 && p_10x > 1e-4, "{p_10x}");
        assert!(p_1000x < p_10x && p_1000x > 0.0);
    }

    #[test]
    fn exponential_tail_matches_hand_computation() {
        // Ten values; u is the 8th smallest (top 20% = 2 values above it).
        let h: Vec<f64> = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        let m = TailModel::fit(&h).unwrap();
        assert_eq!(m.threshold, 8.0);
        assert_eq!(m.exceedances, 2);
        assert!((m.excess_sum - 3.0).abs() < 1e-12); // (9-8) + (10-8)
                                                     // P(X >= 12) = (2+1)/(10+2) * ((3+1)/(3+1+4))^(2+1) = 0.25 * 0.125.
        assert!((m.survival(12.0, &h) - 0.25 * 0.125).abs() < 1e-12);
        // At or below u: empirical, (#>=x + 1)/(n + 1): x = 5 -> (6+1)/11.
        assert!((m.survival(5.0, &h) - 7.0 / 11.0).abs() < 1e-12);
    }

    #[test]
    fn heavier_history_tail_makes_a_spike_less_surprising() {
        let calm: Vec<f64> = (0..200).map(|i| 100.0 + (i % 10) as f64).collect();
        let mut bursty = calm.clone();
        for i in 0..10 {
            bursty[i * 20] = 20_000.0;
        }
        let (c, b) = (sorted(&calm), sorted(&bursty));
        let x = log_volume(50_000.0);
        let pc = TailModel::fit(&c).unwrap().survival(x, &c);
        let pb = TailModel::fit(&b).unwrap().survival(x, &b);
        assert!(pc < 1e-6, "calm account: {pc}");
        assert!(pb > 1e-3, "an account with routine bursts: {pb}");
    }

    #[test]
    fn lognormal_survival_by_hand() {
        // History 0..=4: mean 2, sum of squares 10; with the prior, s_n^2 = (1 + 10) / 5 = 2.2
        // on nu = 5 degrees of freedom, scale sqrt(2.2 * 1.2) = 1.6248. Student t tables, 5 df:
        // upper 5% point 2.015, upper 1% point 3.365.
        let h = [0.0, 1.0, 2.0, 3.0, 4.0];
        let scale = (2.2f64 * 1.2).sqrt();
        let p = |x: f64| lognormal_survival(x, &h).unwrap();
        assert!((p(2.0) - 0.5).abs() < 1e-9);
        assert!((p(2.0 + scale * 2.015) - 0.05).abs() < 2e-4);
        assert!((p(2.0 + scale * 3.365) - 0.01).abs() < 1e-4);
        // A constant history keeps the prior's spread: s_n^2 = 1 / 4 on 4 df, scale
        // sqrt(0.25 * 1.25); 4-df upper 5% point 2.132.
        let flat = [3.0; 4];
        let x = 3.0 + (0.25f64 * 1.25).sqrt() * 2.132;
        assert!((lognormal_survival(x, &flat).unwrap() - 0.05).abs() < 2e-4);
        assert_eq!(lognormal_survival(1.0, &[1.0]), None);
    }

    #[test]
    fn censored_exponential_rate_by_hand() {
        // 1, 2, 3, 4 and three thefts; share 0.5 keeps r = ceil(3.5) = 4: 4 / (10 + 3 * 4).
        let v = [1.0, 2.0, 3.0, 4.0, 50.0, 60.0, 70.0];
        let r = censored_exponential_rate(&v, 0.5).unwrap();
        assert!((r - 4.0 / 22.0).abs() < 1e-12);
        // The thefts' size does not matter, only that they are above the kept values.
        let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        assert!((censored_exponential_rate(&w, 0.5).unwrap() - r).abs() < 1e-12);
        assert_eq!(censored_exponential_rate(&[0.0, 0.0], 0.5), None);
        assert_eq!(censored_exponential_rate(&[], 0.5), None);
    }

    #[test]
    fn quantiles() {
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile(&[7.0], 0.99), Some(7.0));
        assert_eq!(quantile(&[1.0, 3.0], 1.0), Some(3.0));
    }

    proptest::proptest! {
        #[test]
        fn survival_is_a_probability_and_decreasing(
            mut v in proptest::collection::vec(0.0f64..1e7, 1..200),
            a in 0.0f64..1e8,
            b in 0.0f64..1e8,
        ) {
            for x in v.iter_mut() { *x = log_volume(*x); }
            v.sort_by(f64::total_cmp);
            let m = TailModel::fit(&v).unwrap();
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            let (plo, phi) = (m.survival(log_volume(lo), &v), m.survival(log_volume(hi), &v));
            proptest::prop_assert!(plo > 0.0 && plo <= 1.0);
            proptest::prop_assert!(phi <= plo + 1e-12, "{} > {}", phi, plo);
        }
    }
}
