//! The resource pool's lifecycle rules, pure: who may apply in a round and as what, and when a
//! bar ends.
//!
//! - 003 三、2: 「每半年度组织开展1次，定级后最早可在下一年度同一批次申请升级评估。每次定级有效期3年，
//!   到期前服务商应进行复评，超期未复评的将除名」 — an active member applies again either as a
//!   renewal (复评, on a day in the last months of its term: [`renewal_from`]) or as an upgrade
//!   (in a round of the same batch of the next year or later: [`Batch::next_year`]); anything
//!   else is refused, naming the earliest batch and the first day of the renewal window.
//! - 003 三、1 「列入“黑名单”，取消其3年内申报资格」, 002 第十一条 「取消其认定资格，并在3年内不再
//!   受理其认定申请」 — a bar runs through the third anniversary of the finding
//!   (`engine::bar_last_day`, docs/readings.md §1.2); [`first_free_day`] is the day after.
//! - 003 二（二）2 「现有单位可在本文件发出后的1年内…申请评级，1年内未通过评估的池内单位将予以除名」
//!   — [`legacy_deadline`] is the last day of that year, counted the same way.
//!
//! Years and months are parameters: the server passes the scheme's and its configuration's.

use crate::engine::bar_last_day;
use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;
use std::fmt;

/// A batch (批次) of a scheme's rounds: a year and, for a half-yearly scheme (003 三、2
/// 「每半年度组织开展1次」), its half. Batches of one scheme order by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Batch {
    pub year: i32,
    /// 0: the year's only batch (「2026年度」); 1: 上半年; 2: 下半年.
    pub half: u8,
}

impl Batch {
    /// The batch a round's name states: 「2026年上半年」, 「2026年下半年」, 「2026年度」 (the first
    /// such phrase in the name); `None` when the name states none.
    pub fn of_name(name: &str) -> Option<Batch> {
        let chars: Vec<char> = name.chars().collect();
        for start in 0..chars.len() {
            if start + 4 >= chars.len() || !chars[start..start + 4].iter().all(char::is_ascii_digit)
            {
                continue;
            }
            if start > 0 && chars[start - 1].is_ascii_digit() {
                continue;
            }
            let year: i32 = chars[start..start + 4]
                .iter()
                .collect::<String>()
                .parse()
                .ok()?;
            let rest: String = chars[start + 4..].iter().take(4).collect();
            let half = if rest.starts_with("年上半年") {
                1
            } else if rest.starts_with("年下半年") {
                2
            } else if rest.starts_with("年度") || rest.starts_with("年") {
                0
            } else {
                continue;
            };
            return Some(Batch { year, half });
        }
        None
    }

    /// The batch of a date: its half for a half-yearly scheme (January–June, July–December),
    /// its year otherwise.
    pub fn of_date(date: NaiveDate, half_yearly: bool) -> Batch {
        let half = match (half_yearly, date.month() <= 6) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => 2,
        };
        Batch {
            year: date.year(),
            half,
        }
    }

    /// The same batch of the next year: the earliest upgrade after a grade given in `self`
    /// (003 三、2 「定级后最早可在下一年度同一批次申请升级评估」).
    pub fn next_year(self) -> Batch {
        Batch {
            year: self.year + 1,
            half: self.half,
        }
    }
}

impl fmt::Display for Batch {
    /// As rounds are named: 「2027年上半年」, 「2027年度」.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.half {
            1 => write!(f, "{}年上半年", self.year),
            2 => write!(f, "{}年下半年", self.year),
            _ => write!(f, "{}年度", self.year),
        }
    }
}

/// An active member of the pool for the scheme and type applied for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Its stars (`None`: a recognition without stars, 认定).
    pub stars: Option<u32>,
    /// The scheme's highest stars (`None`: no stars).
    pub top_stars: Option<u32>,
    /// The last day of its term (`None`: no term).
    pub valid_until: Option<NaiveDate>,
    /// The batch of the round that granted the grade in force.
    pub granted_in: Batch,
}

/// As what an application in a round is admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Admission {
    /// Not an active member: a first application (or one after the term ended).
    New,
    /// 复评: the round's window reaches into the last months of the term.
    Renewal,
    /// 升级评估: the same batch of the next year or later.
    Upgrade,
}

/// Why an application in a round is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Refusal {
    /// An upgrade before the same batch of the next year; `renewal_from`: the first day of the
    /// renewal window, when the term has an end.
    TooEarly {
        earliest: Batch,
        renewal_from: Option<NaiveDate>,
    },
    /// A member at the highest stars can only renew.
    AtTop { renewal_from: Option<NaiveDate> },
    /// Barred (三、1 / 第十一条) through the day before `first_day`.
    Barred { first_day: NaiveDate },
}

/// The first day of the renewal window of a term ending on `valid_until`: the rounds whose
/// window reaches into the last `months` months of the term are renewals. The last `months`
/// months end on `valid_until` and start the day after the date `months` months before it
/// (2029-06-04, 12 months → 2028-06-05). `None` on overflow.
pub fn renewal_from(valid_until: NaiveDate, months: u32) -> Option<NaiveDate> {
    valid_until
        .checked_sub_months(Months::new(months))?
        .succ_opt()
}

/// Whether an organisation that is an active member (`standing`, `None` when it is not) may
/// apply on `day` in a round of `batch`, and as what. After the term's last day the member has
/// lapsed (「超期未复评的将除名」): a new application. In the last `renewal_months` months of the
/// term: a renewal. Otherwise an upgrade, from the same batch of the next year on and while the
/// member is below the highest stars; anything else is refused with the earliest batch and the
/// renewal window's first day.
pub fn admission(
    standing: Option<&Standing>,
    batch: Batch,
    day: NaiveDate,
    renewal_months: u32,
) -> Result<Admission, Refusal> {
    let Some(standing) = standing else {
        return Ok(Admission::New);
    };
    let window = standing
        .valid_until
        .and_then(|until| Some((renewal_from(until, renewal_months)?, until)));
    if let Some((from, until)) = window {
        if day > until {
            return Ok(Admission::New);
        }
        if day >= from {
            return Ok(Admission::Renewal);
        }
    }
    let renewal_from = window.map(|(from, _)| from);
    let at_top = match (standing.stars, standing.top_stars) {
        (Some(stars), Some(top)) => stars >= top,
        _ => true,
    };
    if at_top {
        return Err(Refusal::AtTop { renewal_from });
    }
    let earliest = standing.granted_in.next_year();
    if batch >= earliest {
        Ok(Admission::Upgrade)
    } else {
        Err(Refusal::TooEarly {
            earliest,
            renewal_from,
        })
    }
}

/// The first day an organisation barred by a finding on `found_on` for `years` years may apply
/// again: the day after the `years`-th anniversary (docs/readings.md §1.2). `None` on overflow.
pub fn first_free_day(found_on: NaiveDate, years: u32) -> Option<NaiveDate> {
    bar_last_day(found_on, years)?.succ_opt()
}

/// Whether an application on `day` is refused by a bar found on `found_on`.
pub fn barred(found_on: NaiveDate, years: u32, day: NaiveDate) -> Result<(), Refusal> {
    match first_free_day(found_on, years) {
        Some(first_day) if day < first_day => Err(Refusal::Barred { first_day }),
        Some(_) => Ok(()),
        None => Err(Refusal::Barred {
            first_day: NaiveDate::MAX,
        }),
    }
}

/// The last day existing members may be graded in (003 二（二）2 「本文件发出后的1年内」): the
/// first anniversary of the document's date, counted as the Civil Code counts a period (from
/// the day after, through the anniversary). `None` on overflow.
pub fn legacy_deadline(document_date: NaiveDate, years: u32) -> Option<NaiveDate> {
    bar_last_day(document_date, years)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn half(year: i32, half: u8) -> Batch {
        Batch { year, half }
    }

    /// Four stars granted in 2026年上半年, term 2026-06-05 ..= 2029-06-04.
    fn four_stars() -> Standing {
        Standing {
            stars: Some(4),
            top_stars: Some(5),
            valid_until: Some(date(2029, 6, 4)),
            granted_in: half(2026, 1),
        }
    }

    #[test]
    fn batches_read_from_names_and_dates() {
        assert_eq!(Batch::of_name("2026年上半年"), Some(half(2026, 1)));
        assert_eq!(
            Batch::of_name("江苏 2027年下半年 批次"),
            Some(half(2027, 2))
        );
        assert_eq!(Batch::of_name("2026年度市级认定"), Some(half(2026, 0)));
        assert_eq!(Batch::of_name("第二批"), None);
        assert_eq!(Batch::of_name("12026年上半年"), None);
        assert_eq!(Batch::of_date(date(2026, 6, 30), true), half(2026, 1));
        assert_eq!(Batch::of_date(date(2026, 7, 1), true), half(2026, 2));
        assert_eq!(Batch::of_date(date(2026, 7, 1), false), half(2026, 0));
        assert_eq!(half(2027, 1).to_string(), "2027年上半年");
        assert_eq!(half(2027, 2).to_string(), "2027年下半年");
        assert_eq!(half(2027, 0).to_string(), "2027年度");
        assert!(half(2026, 2) < half(2027, 1));
        assert!(half(2027, 1) < half(2027, 2));
    }

    #[test]
    fn a_non_member_applies_as_new() {
        assert_eq!(
            admission(None, half(2026, 2), date(2026, 9, 1), 12),
            Ok(Admission::New)
        );
    }

    #[test]
    fn an_upgrade_waits_for_the_same_batch_of_the_next_year() {
        let standing = four_stars();
        // Granted in 2026年上半年: 2026年下半年 is too early, and names 2027年上半年 and the
        // renewal window's first day.
        assert_eq!(
            admission(Some(&standing), half(2026, 2), date(2026, 9, 1), 12),
            Err(Refusal::TooEarly {
                earliest: half(2027, 1),
                renewal_from: Some(date(2028, 6, 5)),
            })
        );
        assert_eq!(
            admission(Some(&standing), half(2027, 1), date(2027, 3, 1), 12),
            Ok(Admission::Upgrade)
        );
        assert_eq!(
            admission(Some(&standing), half(2027, 2), date(2027, 9, 1), 12),
            Ok(Admission::Upgrade)
        );
        // A grade given in a second half waits for the next year's second half.
        let later = Standing {
            granted_in: half(2026, 2),
            ..standing
        };
        assert_eq!(
            admission(Some(&later), half(2027, 1), date(2027, 3, 1), 12),
            Err(Refusal::TooEarly {
                earliest: half(2027, 2),
                renewal_from: Some(date(2028, 6, 5)),
            })
        );
    }

    #[test]
    fn a_renewal_is_an_application_in_the_last_months_of_the_term() {
        let five = Standing {
            stars: Some(5),
            ..four_stars()
        };
        // 2029-06-04 less 12 months is 2028-06-04; the window starts the day after.
        assert_eq!(renewal_from(date(2029, 6, 4), 12), Some(date(2028, 6, 5)));
        assert_eq!(renewal_from(date(2029, 6, 4), 6), Some(date(2028, 12, 5)));
        // Leap day: 2028-02-29 less 12 months is 2027-02-28.
        assert_eq!(renewal_from(date(2028, 2, 29), 12), Some(date(2027, 3, 1)));
        // Five stars cannot upgrade: the day before the window is refused, naming it.
        assert_eq!(
            admission(Some(&five), half(2028, 1), date(2028, 6, 4), 12),
            Err(Refusal::AtTop {
                renewal_from: Some(date(2028, 6, 5)),
            })
        );
        assert_eq!(
            admission(Some(&five), half(2028, 1), date(2028, 6, 5), 12),
            Ok(Admission::Renewal)
        );
        // Inside the window a four-star member renews (and may come out higher).
        assert_eq!(
            admission(Some(&four_stars()), half(2029, 1), date(2029, 3, 1), 12),
            Ok(Admission::Renewal)
        );
        // The term's last day is still a renewal; the day after, the member has lapsed.
        assert_eq!(
            admission(Some(&five), half(2029, 1), date(2029, 6, 4), 12),
            Ok(Admission::Renewal)
        );
        assert_eq!(
            admission(Some(&five), half(2029, 1), date(2029, 6, 5), 12),
            Ok(Admission::New)
        );
    }

    #[test]
    fn a_recognition_without_stars_or_term_cannot_upgrade() {
        let recognised = Standing {
            stars: None,
            top_stars: None,
            valid_until: None,
            granted_in: half(2026, 0),
        };
        assert_eq!(
            admission(Some(&recognised), half(2028, 0), date(2028, 3, 1), 12),
            Err(Refusal::AtTop { renewal_from: None })
        );
    }

    #[test]
    fn a_bar_ends_the_day_after_the_third_anniversary() {
        // Found 2026-07-15: barred through 2029-07-15, free from 2029-07-16.
        assert_eq!(
            first_free_day(date(2026, 7, 15), 3),
            Some(date(2029, 7, 16))
        );
        assert_eq!(
            barred(date(2026, 7, 15), 3, date(2029, 7, 15)),
            Err(Refusal::Barred {
                first_day: date(2029, 7, 16)
            })
        );
        assert_eq!(barred(date(2026, 7, 15), 3, date(2029, 7, 16)), Ok(()));
        // Found on a leap day: through 2031-02-28, free from 2031-03-01.
        assert_eq!(first_free_day(date(2028, 2, 29), 3), Some(date(2031, 3, 1)));
    }

    #[test]
    fn existing_members_have_one_year_from_the_document() {
        // A document dated 2021-07-20: graded by 2022-07-20, removed from 2022-07-21.
        assert_eq!(
            legacy_deadline(date(2021, 7, 20), 1),
            Some(date(2022, 7, 20))
        );
        assert_eq!(
            legacy_deadline(date(2024, 2, 29), 1),
            Some(date(2025, 2, 28))
        );
    }
}
