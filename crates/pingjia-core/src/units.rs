//! Units of the numeric criteria and the exact parsing of quantities such as
//! `1200万`, `15亿`, `99.95%`, `0.5GB/s` or `3PB` into decimals in the unit's base.
//!
//! Quantities are never floats: every value is a [`Decimal`] in the base of its unit
//! (yuan for amounts, TB for data volumes, GB/s for rates, …).

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;

/// Rounds to `dp` decimal places half up (四舍五入), as Chinese scoring and the documents
/// round: 8.125 → 8.13. `Decimal::round_dp` rounds half to even (8.125 → 8.12) and is not
/// used in this crate (see `clippy.toml`). Quantities here are never negative, so half up and
/// half away from zero agree.
pub fn round_half_up(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// A unit a numeric criterion is measured in, as written in the scheme file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// 元 — amounts of money, stored as yuan; written `200万`, `15亿`, `12000000`.
    Yuan,
    /// % — a percentage; `15%` and `15` both mean fifteen per cent.
    Percent,
    /// A count of something, displayed with its measure word (人, 件, 种, 个, 台/套, 次, 家, 单).
    Count(Measure),
    /// TB — an accumulated data volume; `3PB` is 3 × 1024 TB; `TB级` / `PB级` (as the tables
    /// write) are 1TB / 1PB, `10PB级` is 10PB.
    Terabytes,
    /// GB/s — a processing rate.
    GigabytesPerSecond,
    /// PB/日 — a daily processing volume.
    PetabytesPerDay,
}

/// The Chinese measure word of a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// No measure word (users, orders, daily actives).
    None,
    Ren,
    Jian,
    Zhong,
    Ge,
    TaiTao,
    Ci,
    Jia,
    Dan,
}

impl Measure {
    fn word(self) -> &'static str {
        match self {
            Measure::None => "",
            Measure::Ren => "人",
            Measure::Jian => "件",
            Measure::Zhong => "种",
            Measure::Ge => "个",
            Measure::TaiTao => "台/套",
            Measure::Ci => "次",
            Measure::Jia => "家",
            Measure::Dan => "单",
        }
    }
}

/// Why a quantity could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityError {
    /// What is expected, in Chinese.
    pub expected_zh: String,
    /// What is expected, in English.
    pub expected_en: String,
}

impl Unit {
    /// Every unit name accepted in scheme files, for error messages and docs.
    pub const NAMES: &'static [&'static str] = &[
        "元", "%", "人", "件", "种", "个", "台/套", "次", "家", "单", "无", "TB", "GB/s", "PB/日",
    ];

    /// Reads a unit name as written in a scheme file (`unit = "元"`).
    pub fn from_name(name: &str) -> Option<Unit> {
        Some(match name {
            "元" | "万元" => Unit::Yuan,
            "%" => Unit::Percent,
            "人" => Unit::Count(Measure::Ren),
            "件" => Unit::Count(Measure::Jian),
            "种" => Unit::Count(Measure::Zhong),
            "个" => Unit::Count(Measure::Ge),
            "台/套" => Unit::Count(Measure::TaiTao),
            "次" => Unit::Count(Measure::Ci),
            "家" => Unit::Count(Measure::Jia),
            "单" => Unit::Count(Measure::Dan),
            "无" | "" => Unit::Count(Measure::None),
            "TB" => Unit::Terabytes,
            "GB/s" => Unit::GigabytesPerSecond,
            "PB/日" => Unit::PetabytesPerDay,
            _ => return None,
        })
    }

    /// The unit's name as used in scheme files and templates.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Yuan => "元",
            Unit::Percent => "%",
            Unit::Count(Measure::None) => "无",
            Unit::Count(measure) => measure.word(),
            Unit::Terabytes => "TB",
            Unit::GigabytesPerSecond => "GB/s",
            Unit::PetabytesPerDay => "PB/日",
        }
    }

    /// Whether values must be whole numbers.
    pub fn is_integral(self) -> bool {
        matches!(self, Unit::Count(_))
    }

    /// Examples of accepted input, used in templates and error messages.
    pub fn examples(self) -> &'static str {
        match self {
            Unit::Yuan => "1200万、15亿、12000000",
            Unit::Percent => "15%、15、0.5%",
            Unit::Count(_) => "120、1.5万、1亿",
            Unit::Terabytes => "800TB、1.5PB、PB级（1PB=1024TB）",
            Unit::GigabytesPerSecond => "0.5GB/s、800MB/s（1GB=1024MB）",
            Unit::PetabytesPerDay => "10PB/日、10",
        }
    }

    /// Parses a quantity in this unit. Accepts a bare number in the unit's base, the
    /// multipliers 万 and 亿, thousands separators and the unit's own suffixes.
    pub fn parse(self, input: &str) -> Result<Decimal, QuantityError> {
        let error = || QuantityError {
            expected_zh: format!("{}数值，如 {}", self.kind_zh(), self.examples()),
            expected_en: format!("{} such as {}", self.kind_en(), self.examples()),
        };
        let text: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ',' | '，' | ' ' | '_'))
            .collect();
        // 「TB级」「PB级」「10PB级」: the tables write data volumes by order of magnitude; the
        // magnitude is a lower bound (TB级 = at least 1TB), and a bare magnitude means one of it.
        let (text, magnitude) = match (self, text.strip_suffix('级')) {
            (Unit::Terabytes, Some(rest)) => (rest, true),
            _ => (text.as_str(), false),
        };
        let (number_text, scale) = self.split_suffix(text).ok_or_else(error)?;
        if magnitude && number_text.len() == text.len() {
            // 「级」 needs a unit before it: 「10级」 says nothing about a data volume.
            return Err(error());
        }
        let number_text = if magnitude && number_text.is_empty() {
            "1"
        } else {
            number_text
        };
        let (number_text, multiplier) = split_multiplier(number_text);
        if number_text.is_empty() || number_text.starts_with(['+', '-']) {
            return Err(error());
        }
        let number: Decimal = number_text.parse().map_err(|_| error())?;
        let value = number
            .checked_mul(multiplier)
            .and_then(|v| v.checked_mul(scale))
            .ok_or_else(error)?;
        if self.is_integral() && !value.fract().is_zero() {
            return Err(QuantityError {
                expected_zh: format!("整数{}", self.kind_zh()),
                expected_en: format!("a whole {}", self.kind_en()),
            });
        }
        Ok(value.normalize())
    }

    /// Removes the unit's own suffix (if any) and returns the factor it implies relative
    /// to the base unit.
    fn split_suffix(self, text: &str) -> Option<(&str, Decimal)> {
        let binary = Decimal::from(1024);
        let suffixes: &[(&str, Decimal)] = match self {
            Unit::Yuan => &[("元", Decimal::ONE), ("", Decimal::ONE)],
            Unit::Percent => &[
                ("%", Decimal::ONE),
                ("％", Decimal::ONE),
                ("", Decimal::ONE),
            ],
            Unit::Count(measure) => {
                return Some((strip_measure(text, measure), Decimal::ONE));
            }
            Unit::Terabytes => {
                let tb = Decimal::ONE;
                let pb = binary;
                let gb = Decimal::ONE / binary;
                return strip_any_case(text, &[("PB", pb), ("TB", tb), ("GB", gb), ("", tb)]);
            }
            Unit::GigabytesPerSecond => {
                return strip_any_case(
                    text,
                    &[
                        ("GB/s", Decimal::ONE),
                        ("MB/s", Decimal::ONE / binary),
                        ("TB/s", binary),
                        ("", Decimal::ONE),
                    ],
                );
            }
            Unit::PetabytesPerDay => {
                return strip_any_case(
                    text,
                    &[
                        ("PB/日", Decimal::ONE),
                        ("PB/天", Decimal::ONE),
                        ("PB/d", Decimal::ONE),
                        ("TB/日", Decimal::ONE / binary),
                        ("TB/天", Decimal::ONE / binary),
                        ("", Decimal::ONE),
                    ],
                );
            }
        };
        suffixes
            .iter()
            .find_map(|(suffix, factor)| text.strip_suffix(suffix).map(|rest| (rest, *factor)))
    }

    fn kind_zh(self) -> &'static str {
        match self {
            Unit::Yuan => "金额",
            Unit::Percent => "百分比",
            Unit::Count(_) => "数量",
            Unit::Terabytes => "数据量",
            Unit::GigabytesPerSecond => "处理速度",
            Unit::PetabytesPerDay => "日处理量",
        }
    }

    fn kind_en(self) -> &'static str {
        match self {
            Unit::Yuan => "an amount of money",
            Unit::Percent => "a percentage",
            Unit::Count(_) => "a count",
            Unit::Terabytes => "a data volume",
            Unit::GigabytesPerSecond => "a processing rate",
            Unit::PetabytesPerDay => "a daily volume",
        }
    }

    /// Writes a base-unit value the way the documents write it (`1200万`, `15%`, `5000台/套`).
    pub fn display(self, value: Decimal) -> String {
        let value = value.normalize();
        match self {
            Unit::Yuan => {
                let yi = Decimal::from(100_000_000);
                let wan = Decimal::from(10_000);
                if value >= yi && (value % yi).is_zero() {
                    format!("{}亿", value / yi)
                } else if value >= wan {
                    format!("{}万", (value / wan).normalize())
                } else {
                    format!("{value}元")
                }
            }
            Unit::Percent => format!("{value}%"),
            Unit::Count(measure) => format!("{}{}", chinese_magnitude(value), measure.word()),
            Unit::Terabytes => {
                let pb = Decimal::from(1024);
                if value >= pb {
                    format!("{}PB", round_half_up(value / pb, 3).normalize())
                } else {
                    format!("{value}TB")
                }
            }
            Unit::GigabytesPerSecond => format!("{value}GB/s"),
            Unit::PetabytesPerDay => format!("{value}PB/日"),
        }
    }
}

/// Writes large counts as the documents do: `1亿`, `1500万`, `12.6万`; small ones as is.
fn chinese_magnitude(value: Decimal) -> String {
    let yi = Decimal::from(100_000_000);
    let wan = Decimal::from(10_000);
    if value >= yi {
        format!("{}亿", (value / yi).normalize())
    } else if value >= Decimal::from(100_000) {
        format!("{}万", (value / wan).normalize())
    } else {
        value.to_string()
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn strip_measure(text: &str, measure: Measure) -> &str {
    let mut rest = text;
    for word in [measure.word(), "台/套", "台套", "台", "套"] {
        if !word.is_empty()
            && let Some(stripped) = rest.strip_suffix(word)
        {
            rest = stripped;
            break;
        }
    }
    rest
}

fn strip_any_case<'t>(text: &'t str, suffixes: &[(&str, Decimal)]) -> Option<(&'t str, Decimal)> {
    suffixes.iter().find_map(|(suffix, factor)| {
        let cut = text.len().checked_sub(suffix.len())?;
        let tail = text.get(cut..)?;
        tail.eq_ignore_ascii_case(suffix)
            .then(|| (&text[..cut], *factor))
    })
}

fn split_multiplier(text: &str) -> (&str, Decimal) {
    if let Some(rest) = text.strip_suffix("亿") {
        (rest, Decimal::from(100_000_000))
    } else if let Some(rest) = text.strip_suffix('万') {
        (rest, Decimal::from(10_000))
    } else {
        (text, Decimal::ONE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(unit: &str, input: &str, expected: &str) {
        let unit = Unit::from_name(unit).unwrap();
        let value = unit
            .parse(input)
            .unwrap_or_else(|e| panic!("{input}: {e:?}"));
        assert_eq!(value, expected.parse::<Decimal>().unwrap(), "{input}");
    }

    #[test]
    fn amounts_are_exact_yuan() {
        check("元", "1200万", "12000000");
        check("元", "15亿", "1500000000");
        check("元", "12000000", "12000000");
        check("元", "12,000,000元", "12000000");
        check("万元", "0.5万", "5000");
        check("元", "1.23456789亿", "123456789");
    }

    #[test]
    fn percentages_counts_and_volumes() {
        check("%", "15%", "15");
        check("%", "99.995%", "99.995");
        check("%", "6", "6");
        check("台/套", "100000台/套", "100000");
        check("台/套", "10万台", "100000");
        check("个", "1亿个", "100000000");
        check("个", "1500万个", "15000000");
        check("TB", "1PB", "1024");
        check("TB", "512GB", "0.5");
        // As the Jiangsu tables write data volumes: 「TB级」 ≥ 1TB, 「PB级」 ≥ 1PB.
        check("TB", "TB级", "1");
        check("TB", "PB级", "1024");
        check("TB", "pb级", "1024");
        check("TB", "10PB级", "10240");
        check("TB", "1.5PB级", "1536");
        check("TB", " PB 级 ", "1024");
        check("GB/s", "512MB/s", "0.5");
        check("GB/s", "0.5GB/s", "0.5");
        check("PB/日", "10PB/日", "10");
    }

    #[test]
    fn rejects_garbage_negative_and_fractional_counts() {
        let amount = Unit::Yuan;
        assert!(amount.parse("abc").is_err());
        assert!(amount.parse("-5万").is_err());
        assert!(amount.parse("").is_err());
        assert!(amount.parse("万").is_err());
        assert!(Unit::Count(Measure::Ren).parse("3.5").is_err());
        assert!(Unit::Count(Measure::Ren).parse("3.5万").is_ok());
        // 「级」 follows a unit of data volume and nothing else.
        assert!(Unit::Terabytes.parse("10级").is_err());
        assert!(Unit::Terabytes.parse("级").is_err());
        assert!(Unit::Yuan.parse("1200万级").is_err());
    }

    #[test]
    fn rounding_is_half_up() {
        let d = |text: &str| text.parse::<Decimal>().unwrap();
        assert_eq!(round_half_up(d("8.125"), 2), d("8.13"));
        assert_eq!(round_half_up(d("84.125"), 2), d("84.13"));
        assert_eq!(round_half_up(d("2.5"), 0), d("3"));
        assert_eq!(round_half_up(d("83.66666"), 2), d("83.67"));
        assert_eq!(round_half_up(d("8.124"), 2), d("8.12"));
    }

    #[test]
    fn displays_as_documents_write() {
        assert_eq!(Unit::Yuan.display(Decimal::from(12_000_000)), "1200万");
        assert_eq!(Unit::Yuan.display(Decimal::from(1_500_000_000)), "15亿");
        assert_eq!(Unit::Yuan.display(Decimal::from(5000)), "5000元");
        assert_eq!(Unit::Terabytes.display(Decimal::from(2048)), "2PB");
        // 1024.512TB = 1.0005PB: three decimals, half up (not half to even, which gives 1PB).
        assert_eq!(
            Unit::Terabytes.display("1024.512".parse().unwrap()),
            "1.001PB"
        );
        assert_eq!(
            Unit::Count(Measure::TaiTao).display(Decimal::from(5000)),
            "5000台/套"
        );
        assert_eq!(
            Unit::Count(Measure::TaiTao).display(Decimal::from(126_000)),
            "12.6万台/套"
        );
        assert_eq!(
            Unit::Count(Measure::Ge).display(Decimal::from(15_000_000)),
            "1500万个"
        );
        assert_eq!(
            Unit::Count(Measure::Ge).display(Decimal::from(100_000_000)),
            "1亿个"
        );
    }
}
