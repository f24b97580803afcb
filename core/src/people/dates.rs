//! When photos were taken, and how old people were in them.
//!
//! A face changes fastest in childhood: a child at 4 looks like themselves at 3 and 5, not like
//! the adult they become, and two babies look more alike to the embedder than two adults do.
//! So a face is compared with a person's confirmed faces from about the same age (see
//! [`comparable`]), and nobody is in a photo taken before their birth date.

use crate::time::day_number;

const DAYS_PER_YEAR: f32 = 365.2425;

/// Faces at most this many years apart are compared whatever the age.
const MIN_WINDOW_YEARS: f32 = 2.0;
/// ... and up to this share of the younger age: a face at 4 is compared with the person at 2 to
/// 6, at 40 with the person at 20 to 60.
const WINDOW_SHARE_OF_AGE: f32 = 0.5;
/// Without a birth date, faces at most this many years apart.
const WINDOW_YEARS_WITHOUT_BIRTH: f32 = 5.0;

/// Years from `birth` to `day` (day numbers); negative before the birth.
pub(crate) fn age_years(birth: i64, day: i64) -> f32 {
    (day - birth) as f32 / DAYS_PER_YEAR
}

/// Whether a confirmed face of a person taken on `other` shows them at about the age they have
/// on `day`, so that it is evidence for a face taken on `day`. Undated faces are comparable with
/// everything: there is nothing to tell them apart.
pub(crate) fn comparable(day: Option<i64>, other: Option<i64>, birth: Option<i64>) -> bool {
    let (Some(day), Some(other)) = (day, other) else { return true };
    let gap = (day - other).abs() as f32 / DAYS_PER_YEAR;
    let window = match birth {
        Some(birth) => {
            let younger = age_years(birth, day.min(other)).max(0.0);
            MIN_WINDOW_YEARS.max(WINDOW_SHARE_OF_AGE * younger)
        }
        None => WINDOW_YEARS_WITHOUT_BIRTH,
    };
    gap <= window
}

/// How old someone born on `birth` was on `taken` (dates or date-times as stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Age {
    pub years: u32,
    /// Whole months past the last birthday.
    pub months: u32,
}

impl std::fmt::Display for Age {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.years, self.months) {
            (0, 1) => write!(f, "1 month"),
            (0, m) => write!(f, "{m} months"),
            (1, _) => write!(f, "1 year"),
            (y, _) => write!(f, "{y} years"),
        }
    }
}

/// The age of someone born on `birth` in a photo taken on `taken`; `None` when either is not a
/// date or the photo is older than the birth.
pub fn age_at(birth: &str, taken: &str) -> Option<Age> {
    let (birth, taken) = (birth.get(..10)?, taken.get(..10)?);
    day_number(birth)?;
    day_number(taken)?;
    let parts = |d: &str| -> Option<(i64, i64, i64)> {
        Some((d[0..4].parse().ok()?, d[5..7].parse().ok()?, d[8..10].parse().ok()?))
    };
    let (by, bm, bd) = parts(birth)?;
    let (ty, tm, td) = parts(taken)?;
    let mut months = (ty - by) * 12 + (tm - bm);
    if td < bd {
        months -= 1;
    }
    (months >= 0).then_some(Age { years: (months / 12) as u32, months: (months % 12) as u32 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_counted_in_whole_months_and_years() {
        assert_eq!(age_at("2019-05-20", "2019-05-19"), None, "before the birth");
        assert_eq!(age_at("2019-05-20", "2019-05-20T08:00:00"), Some(Age { years: 0, months: 0 }));
        assert_eq!(age_at("2019-05-20", "2019-07-19").unwrap().to_string(), "1 month");
        assert_eq!(age_at("2019-05-20", "2020-05-20").unwrap().to_string(), "1 year");
        assert_eq!(age_at("2019-05-20", "2023-02-01").unwrap(), Age { years: 3, months: 8 });
        assert_eq!(age_at("2019-05-20", "someday"), None);
    }

    #[test]
    fn children_are_compared_with_themselves_at_about_the_same_age() {
        let birth = day_number("2010-01-01");
        let at = |date: &str| day_number(date);
        // At 4: comparable with 2 to 6, not with 9.
        assert!(comparable(at("2014-01-01"), at("2012-06-01"), birth));
        assert!(comparable(at("2014-01-01"), at("2016-01-01"), birth));
        assert!(!comparable(at("2014-01-01"), at("2019-01-01"), birth));
        // At 40, a decade apart is still comparable.
        assert!(comparable(at("2050-01-01"), at("2060-01-01"), birth));
        // Without a birth date, a fixed window; undated faces compare with everything.
        assert!(comparable(at("2014-01-01"), at("2018-01-01"), None));
        assert!(!comparable(at("2014-01-01"), at("2020-01-01"), None));
        assert!(comparable(None, at("2020-01-01"), birth));
    }
}
