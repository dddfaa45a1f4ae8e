//! Expert-panel analytics: where experts disagree on an item, which expert scores
//! systematically above or below the others, and how far the panel agrees as a whole.
//!
//! The documents prescribe none of this: 002 第八条（二） has the 市经信局 「组织对企业的申报材料进行评审」
//! and 003 二（二）1 the province 「组织专家按照评估标准评选」. The statistics help the authority read
//! its experts' scores before it decides; they change no grade.
//!
//! - [`diverges`]: an item's scores diverge when max − min exceeds a share of the item's
//!   maximum (the round's `divergence_ratio`). The engine flags rubric items with this rule.
//! - [`deviations`]: per expert, the mean signed difference between the expert's score and the
//!   mean of the other experts' scores of the same unit, with its count.
//! - [`krippendorff_alpha_interval`]: Krippendorff's alpha with the interval metric
//!   δ²(c, k) = (c − k)², which allows a different set of experts per unit and missing scores:
//!   α = 1 − D_o / D_e, where, over the n pairable values (units with at least two scores),
//!   D_o = (1/n) Σ_u 1/(m_u − 1) Σ_{i≠j ∈ u} (v_i − v_j)² and
//!   D_e = 1/(n(n − 1)) Σ_{i≠j} (v_i − v_j)² over all pairable values.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// Whether the scores of one item diverge: the highest minus the lowest exceeds `ratio` of the
/// item's maximum. Fewer than two scores never diverge.
pub fn diverges(scores: &[Decimal], max: Decimal, ratio: Decimal) -> bool {
    let low = scores.iter().min();
    let high = scores.iter().max();
    match (low, high) {
        (Some(low), Some(high)) => *high - *low > max * ratio,
        _ => false,
    }
}

/// One scored unit (an application's rubric item, or an application's total): each expert's
/// score, keyed by an expert id.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit<K> {
    pub scores: Vec<(K, Decimal)>,
}

/// An expert's systematic deviation from the rest of the panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Deviation<K> {
    pub expert: K,
    /// Mean of (the expert's score − the mean of the other experts' scores of the unit).
    pub mean_signed: f64,
    /// Mean of the absolute differences.
    pub mean_absolute: f64,
    /// Units where the expert and at least one other expert scored.
    pub count: usize,
}

/// Each expert's deviation from the others, over the units where they scored beside at least
/// one other expert; experts in no such unit are left out. Ordered by expert.
pub fn deviations<K: Ord + Clone>(units: &[Unit<K>]) -> Vec<Deviation<K>> {
    let mut sums: BTreeMap<K, (f64, f64, usize)> = BTreeMap::new();
    for unit in units {
        let values: Vec<f64> = unit.scores.iter().map(|(_, s)| as_f64(*s)).collect();
        if values.len() < 2 {
            continue;
        }
        let total: f64 = values.iter().sum();
        let others = (values.len() - 1) as f64;
        for ((expert, _), value) in unit.scores.iter().zip(&values) {
            let difference = value - (total - value) / others;
            let entry = sums.entry(expert.clone()).or_insert((0.0, 0.0, 0));
            entry.0 += difference;
            entry.1 += difference.abs();
            entry.2 += 1;
        }
    }
    sums.into_iter()
        .map(|(expert, (signed, absolute, count))| Deviation {
            expert,
            mean_signed: signed / count as f64,
            mean_absolute: absolute / count as f64,
            count,
        })
        .collect()
}

/// Krippendorff's alpha for interval data over the units' scores (see the module's formula).
/// `None` when fewer than two values are pairable or when every pairable value is the same
/// (no expected disagreement: alpha is undefined).
pub fn krippendorff_alpha_interval<K>(units: &[Unit<K>]) -> Option<f64> {
    let pairable: Vec<Vec<f64>> = units
        .iter()
        .filter(|u| u.scores.len() >= 2)
        .map(|u| u.scores.iter().map(|(_, s)| as_f64(*s)).collect())
        .collect();
    let all: Vec<f64> = pairable.iter().flatten().copied().collect();
    let n = all.len() as f64;
    if all.len() < 2 {
        return None;
    }
    let observed: f64 = pairable
        .iter()
        .map(|values| ordered_pair_squares(values) / (values.len() - 1) as f64)
        .sum::<f64>()
        / n;
    let expected = ordered_pair_squares(&all) / (n * (n - 1.0));
    (expected > 0.0).then(|| 1.0 - observed / expected)
}

/// Σ over ordered pairs i ≠ j of (v_i − v_j)², as 2 (n Σv² − (Σv)²).
fn ordered_pair_squares(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let sum: f64 = values.iter().sum();
    let squares: f64 = values.iter().map(|v| v * v).sum();
    (2.0 * (n * squares - sum * sum)).max(0.0)
}

fn as_f64(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn unit(scores: &[(&'static str, Decimal)]) -> Unit<&'static str> {
        Unit {
            scores: scores.to_vec(),
        }
    }

    #[test]
    fn divergence_is_strictly_above_the_share_of_the_maximum() {
        // An item worth 10 with the ratio 0.3: a spread of 3 is allowed, 3.5 diverges.
        assert!(!diverges(&[d("5"), d("8")], d("10"), d("0.3")));
        assert!(diverges(&[d("5"), d("8.5")], d("10"), d("0.3")));
        assert!(!diverges(&[d("9")], d("10"), d("0.3")));
        assert!(!diverges(&[], d("10"), d("0.3")));
    }

    #[test]
    fn deviations_by_hand() {
        // Unit 1: A 6, B 8, C 10. A − mean(8, 10) = −3; B − mean(6, 10) = 0; C − mean(6, 8) = +3.
        // Unit 2: A 4, C 6.        A − 6 = −2;                              C − 4 = +2.
        // Unit 3: B alone: not counted.
        let units = [
            unit(&[("A", d("6")), ("B", d("8")), ("C", d("10"))]),
            unit(&[("A", d("4")), ("C", d("6"))]),
            unit(&[("B", d("9"))]),
        ];
        let got = deviations(&units);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].expert, "A");
        assert_eq!(
            (got[0].mean_signed, got[0].mean_absolute, got[0].count),
            (-2.5, 2.5, 2)
        );
        assert_eq!(
            (got[1].mean_signed, got[1].mean_absolute, got[1].count),
            (0.0, 0.0, 1)
        );
        assert_eq!(
            (got[2].mean_signed, got[2].mean_absolute, got[2].count),
            (2.5, 2.5, 2)
        );
    }

    #[test]
    fn alpha_by_hand() {
        // Units {1, 3}, {2, 2}, {4, 6}: n = 6 pairable values.
        // D_o = (1/6)(8/1 + 0/1 + 8/1) = 16/6.
        // Σv = 18, Σv² = 70: Σ_{i≠j}(v_i − v_j)² = 2(6·70 − 18²) = 192; D_e = 192/30 = 6.4.
        // α = 1 − (16/6)/6.4 = 1 − 5/12 = 7/12.
        let units = [
            unit(&[("A", d("1")), ("B", d("3"))]),
            unit(&[("A", d("2")), ("B", d("2"))]),
            unit(&[("A", d("4")), ("B", d("6"))]),
        ];
        let alpha = krippendorff_alpha_interval(&units).unwrap();
        assert!((alpha - 7.0 / 12.0).abs() < 1e-12, "{alpha}");
    }

    #[test]
    fn alpha_of_perfect_agreement_is_one_and_of_no_variation_undefined() {
        let agree = [
            unit(&[("A", d("1")), ("B", d("1"))]),
            unit(&[("A", d("5")), ("B", d("5"))]),
        ];
        assert_eq!(krippendorff_alpha_interval(&agree), Some(1.0));
        let flat = [unit(&[("A", d("3")), ("B", d("3"))])];
        assert_eq!(krippendorff_alpha_interval(&flat), None);
        let single = [unit(&[("A", d("3"))])];
        assert_eq!(krippendorff_alpha_interval(&single), None);
    }

    #[test]
    fn alpha_of_krippendorffs_published_example() {
        // Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), the example with
        // four observers, twelve units and missing values; the interval alpha is given as 0.849.
        let rows: [[Option<u8>; 12]; 4] = [
            [
                Some(1),
                Some(2),
                Some(3),
                Some(3),
                Some(2),
                Some(1),
                Some(4),
                Some(1),
                Some(2),
                None,
                None,
                None,
            ],
            [
                Some(1),
                Some(2),
                Some(3),
                Some(3),
                Some(2),
                Some(2),
                Some(4),
                Some(1),
                Some(2),
                Some(5),
                None,
                Some(3),
            ],
            [
                None,
                Some(3),
                Some(3),
                Some(3),
                Some(2),
                Some(3),
                Some(4),
                Some(2),
                Some(2),
                Some(5),
                Some(1),
                None,
            ],
            [
                Some(1),
                Some(2),
                Some(3),
                Some(3),
                Some(2),
                Some(4),
                Some(4),
                Some(1),
                Some(2),
                Some(5),
                Some(1),
                None,
            ],
        ];
        let units: Vec<Unit<usize>> = (0..12)
            .map(|u| Unit {
                scores: (0..4)
                    .filter_map(|o| rows[o][u].map(|v| (o, Decimal::from(v))))
                    .collect(),
            })
            .collect();
        let alpha = krippendorff_alpha_interval(&units).unwrap();
        assert!((alpha - 0.849).abs() < 0.0005, "{alpha}");
    }
}
