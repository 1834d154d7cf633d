//! A publication date put together field by field from readings of a date line that
//! did not agree on a whole date.
//!
//! A seal's star or ring spoils one part of the line in each reading, a different one
//! in each: one reading keeps 月 and loses 日 (2021年2月17吝), another keeps the day
//! and loses the month (2021全网13日). Each field (year, month, day) is taken from
//! where the reading shows it by its neighbours (the four digits at the start, digits
//! before 月 after the year, digits after 月 or before 日), and a field stands only when
//! two readings give it and no fewer than twice as many as give another value, as
//! whole dates must in [`super::date_line`]. The year must besides be the report's year
//! or the next, when reports are published: a digit misread under the star is most
//! often the year's last.

use crate::text::fold_width;
use once_cell::sync::Lazy;
use regex::Regex;

/// Compiles one of this module's constant patterns.
fn re(s: &str) -> Regex {
    Regex::new(s).unwrap_or_else(|e| panic!("date field pattern {s}: {e}"))
}

/// The year: four digits standing alone at the start of the date (after the agency,
/// if it is on the line), not a longer run (20231 is a year run into a month whose 年
/// was lost).
static YEAR: Lazy<Regex> = Lazy::new(|| re(r"^\D*?(\d{4})(?:\D|$)"));

/// The month: one or two digits before 月, right after the year and its 年 (or one or
/// two characters 年 was misread as).
static MONTH: Lazy<Regex> = Lazy::new(|| re(r"^\D*?\d{4}(?:年|\D{1,2})(\d{1,2})月"));

/// The day: one or two digits after 月, then 日 or a last character (日 misread).
static DAY_AFTER_MONTH: Lazy<Regex> = Lazy::new(|| re(r"月(\d{1,2})(?:日|\D$)"));

/// The day: one or two digits before 日, after a character that is no digit (月
/// misread), the year before them.
static DAY_BEFORE_MARKER: Lazy<Regex> =
    Lazy::new(|| re(r"^\D*?\d{4}\D+(?:\d{1,2}\D+)?(\d{1,2})日$"));

/// Month and day with both markers misread: the year and its 年, one or two digits, one
/// character, one or two digits and one last character (2021人年1愉13和).
static BOTH_MISREAD: Lazy<Regex> =
    Lazy::new(|| re(r"^\D*?\d{4}(?:年|\D{1,2})(\d{1,2})\D(\d{1,2})\D$"));

/// The fields one reading shows: (year, month, day), each when seen.
fn fields(reading: &str) -> (Option<i32>, Option<u32>, Option<u32>) {
    // Without spaces, but with every other mark: a letter or a dot between a marker and
    // digits may be a digit misread (月IJ7 for 月17), and the digits after it are then
    // not the field.
    let s: String = fold_width(reading)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let num = |r: &Regex, i: usize| r.captures(&s).and_then(|c| c[i].parse::<u32>().ok());
    let year = num(&YEAR, 1).map(|y| y as i32);
    let month = num(&MONTH, 1).or_else(|| num(&BOTH_MISREAD, 1));
    let day = num(&DAY_AFTER_MONTH, 1)
        .or_else(|| num(&DAY_BEFORE_MARKER, 1))
        .or_else(|| num(&BOTH_MISREAD, 2));
    (year, month, day)
}

/// The years, months and days the readings show, each field's values in reading order.
/// A month outside 1–12 or a day outside 1–31 is no value of that field but a misread
/// (the ring's stroke taken for a digit: 1]月:44日 for 1月14日), and is no vote against
/// the others; a year, whatever it reads, is one (a misread year digit reads as another
/// year).
fn field_values(readings: &[&str]) -> (Vec<i32>, Vec<u32>, Vec<u32>) {
    let seen: Vec<_> = readings.iter().map(|r| fields(r)).collect();
    let years = seen.iter().filter_map(|f| f.0).collect();
    let months = seen
        .iter()
        .filter_map(|f| f.1)
        .filter(|m| (1..=12).contains(m))
        .collect();
    let days = seen
        .iter()
        .filter_map(|f| f.2)
        .filter(|d| (1..=31).contains(d))
        .collect();
    (years, months, days)
}

/// The value two readings at least give and no fewer than twice as many as give any
/// other: the rule whole dates ([`super::date_line`]) and each field follow.
pub(super) fn voted<T: PartialEq + Copy>(values: &[T]) -> Option<T> {
    let count = |v: &T| values.iter().filter(|w| *w == v).count();
    let best = values.iter().max_by_key(|v| count(v))?;
    let (n, others) = (count(best), values.len() - count(best));
    (n >= 2 && n > 2 * others).then_some(*best)
}

/// True when the readings agree on every field ([`voted`]), whatever the year: the
/// metadata stage settles such a line by [`date_by_fields`], and more readings could
/// only undo that agreement.
pub(super) fn fields_agreed(readings: &[String]) -> bool {
    let readings: Vec<&str> = readings.iter().map(String::as_str).collect();
    let (years, months, days) = field_values(&readings);
    voted(&years).is_some() && voted(&months).is_some() && voted(&days).is_some()
}

/// The date (year, month, day) the readings of one date line give field by field, for
/// a report of `report_year`; `None` when a field is not agreed, the year is not the
/// report's or the next, or the day is not in the month.
pub fn date_by_fields(readings: &[&str], report_year: i32) -> Option<(i32, u32, u32)> {
    let (years, months, days) = field_values(readings);
    let (y, m, d) = (voted(&years)?, voted(&months)?, voted(&days)?);
    let in_month = match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => 0,
    };
    ((report_year..=report_year + 1).contains(&y) && (1..=in_month).contains(&d))
        .then_some((y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_taken_where_their_neighbours_show_them() {
        assert_eq!(fields("2021年2月17吝"), (Some(2021), Some(2), Some(17)));
        assert_eq!(fields("2021全网13日"), (Some(2021), None, Some(13)));
        assert_eq!(fields("2021人年1愉13和"), (Some(2021), Some(1), Some(13)));
        // A year run into its month, a day of three digits: not seen.
        assert_eq!(fields("20231月国日"), (None, None, None));
        assert_eq!(fields("2021年上月174悄"), (Some(2021), None, None));
        // A mark between 月 and the digits: the day's first digit may be it.
        assert_eq!(fields("2021年2月IJ7训"), (Some(2021), Some(2), None));
        // The agency before the date.
        assert_eq!(
            fields("西固区水利局2021年1月13日"),
            (Some(2021), Some(1), Some(13))
        );
    }

    #[test]
    fn a_date_stands_field_by_field_only_when_each_field_is_agreed() {
        // Real readings of seal-damaged date lines (dev-049, fm-003).
        let r = [
            "2021年2月17吝",
            "2021年2月17吝",
            "2021年7上月17悄",
            "2021年上月174悄",
        ];
        assert_eq!(date_by_fields(&r, 2020), Some((2021, 2, 17)));
        let r = [
            "2021人年1愉13和",
            "2021人牟1生13昌",
            "2021全网13日",
            "2021全网13日",
        ];
        assert_eq!(date_by_fields(&r, 2020), Some((2021, 1, 13)));
        // Not the report's year nor the next: a digit misread (hv-002's 2025 as 2023).
        let r = ["2023色上月21日", "2023和名工月21日", "20231月国日"];
        assert_eq!(date_by_fields(&r, 2024), None);
        // A month given once only.
        let r = ["2021年2月17吝", "2021全网17日"];
        assert_eq!(date_by_fields(&r, 2020), None);
        // Two against two: no day.
        let r = [
            "2021年2月17日",
            "2021年2月11日",
            "2021年2月17日",
            "2021年2月11日",
        ];
        assert_eq!(date_by_fields(&r, 2020), None);
        // Fields agreed whatever the year: the line needs no more readings.
        let r = ["2021年2月17吝", "2021年2月17吝", "2021年7上月17悄"].map(String::from);
        assert!(fields_agreed(&r));
        let r = ["2023色上月21日", "2023和名工月21日", "20231月国日"].map(String::from);
        assert!(!fields_agreed(&r));
        // Real readings of hv-011's line (star over the year, ring over the day): a
        // day of 44 is no day, and three readings of 14 outweigh one of 1.
        let r = [
            "2027全1月14日",
            "20297和1月14日",
            "20丙seE1月:3天日",
            "202下年1月可4日",
            "2021年1月14日",
            "2021年1月1日",
            "2021年1]月:44日",
            "202牌1月了4日",
        ];
        assert_eq!(date_by_fields(&r, 2020), Some((2021, 1, 14)));
        // Two impossible days do not make one reading of 14 and one of 11 agree.
        let r = [
            "2021年1月14日",
            "2021年1月11日",
            "2021年1月44日",
            "2021年1月41日",
        ];
        assert_eq!(date_by_fields(&r, 2020), None);
        // A day the month does not have.
        let r = ["2021年2月30日", "2021年2月30日"];
        assert_eq!(date_by_fields(&r, 2020), None);
    }
}
