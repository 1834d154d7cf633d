//! The report's arithmetic (勾稽关系) as a referee over recognised cells, never as a
//! source. Only cells read by OCR are judged, and only two ways:
//!
//! - a cell left unread (its reads disagreed) whose every complete equation requires
//!   the same number takes it, when that number is one OCR read there;
//! - a number read by OCR that breaks every one of its equations, two or more (its row
//!   and its column), is a misread: it takes the number they require when OCR read that
//!   too, and is left out otherwise.
//!
//! A number no read saw is never taken. Born-digital values are what the report prints,
//! arithmetic errors included, and are not judged: a failed check is reported.

use crate::checks::{close, Equation};
use crate::record::Number;
use std::collections::{BTreeMap, BTreeSet};

/// What the referee decided.
#[derive(Debug, Default, PartialEq)]
pub struct Verdicts {
    /// Keys given a value by the arithmetic, from among their OCR readings.
    pub decided: Vec<(String, Number)>,
    /// OCR values that break their row and column sums: (key, value read, what the
    /// sums require when they agree).
    pub withdrawn: Vec<(String, Number, Option<f64>)>,
}

/// The value `key` must have for `eq` to hold, when every other key of it has a value.
fn required(eq: &Equation, key: &str, values: &BTreeMap<String, Number>) -> Option<f64> {
    let sum = |keys: &[String]| -> Option<f64> {
        keys.iter()
            .filter(|k| k.as_str() != key)
            .map(|k| values.get(k).map(|v| v.as_f64()))
            .sum()
    };
    let (l, r) = (sum(&eq.lhs)?, sum(&eq.rhs)?);
    if eq.lhs.iter().any(|k| k == key) {
        Some(r - l)
    } else if eq.rhs.iter().any(|k| k == key) {
        Some(l - r)
    } else {
        None
    }
}

/// The one number every complete equation of `key` requires; `None` when none is
/// complete or they disagree.
fn pinned(eqs: &[&Equation], key: &str, values: &BTreeMap<String, Number>) -> Option<f64> {
    let needs: Vec<f64> = eqs
        .iter()
        .filter_map(|eq| required(eq, key, values))
        .collect();
    let first = *needs.first()?;
    needs.iter().all(|n| close(*n, first)).then_some(first)
}

fn among(alternatives: &[Number], n: f64) -> Option<Number> {
    alternatives.iter().copied().find(|a| close(a.as_f64(), n))
}

/// Judges the OCR cells of a record. `values`: every value of the record (it is
/// updated); `ocr`: keys of values read by OCR, with their other readings; `unread`:
/// keys OCR placed but did not read, with the numbers it saw there.
pub fn referee(
    eqs: &[Equation],
    values: &mut BTreeMap<String, Number>,
    ocr: &BTreeMap<String, Vec<Number>>,
    unread: &BTreeMap<String, Vec<Number>>,
) -> Verdicts {
    let mut out = Verdicts::default();
    let of_key = |key: &str| -> Vec<&Equation> {
        eqs.iter()
            .filter(|e| e.lhs.iter().chain(&e.rhs).any(|k| k == key))
            .collect()
    };
    // Misreads first, judged on the values as read, so that one misread cannot make
    // a neighbour look wrong after it was changed.
    let as_read = values.clone();
    for (key, alternatives) in ocr {
        let Some(&read) = as_read.get(key) else {
            continue;
        };
        let mine = of_key(key);
        let complete: Vec<f64> = mine
            .iter()
            .filter_map(|eq| required(eq, key, &as_read))
            .collect();
        if complete.len() < 2 || complete.iter().any(|n| close(*n, read.as_f64())) {
            continue;
        }
        let need = pinned(&mine, key, &as_read);
        match need.and_then(|n| among(alternatives, n)) {
            Some(v) => {
                values.insert(key.clone(), v);
                out.decided.push((key.clone(), v));
            }
            None => {
                values.remove(key);
                out.withdrawn.push((key.clone(), read, need));
            }
        }
    }
    // Then the unread cells, until no more can be pinned (a decided cell can complete
    // another's equation). Each round decides at least one key, so this ends.
    let mut open: BTreeSet<&String> = unread.keys().filter(|k| !values.contains_key(*k)).collect();
    loop {
        let next = open.iter().find_map(|key| {
            let n = pinned(&of_key(key), key, values)?;
            Some(((*key).clone(), among(&unread[*key], n)?))
        });
        let Some((key, v)) = next else {
            break;
        };
        open.remove(&key);
        values.insert(key.clone(), v);
        out.decided.push((key, v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::equations;
    use crate::template::Templates;

    /// Table 三's applicant columns, all zero but for row `new` (3 natural persons)
    /// and its totals, in a consistent report.
    fn consistent(t: &crate::template::Template) -> BTreeMap<String, Number> {
        let mut values = BTreeMap::new();
        for r in &t.requests.rows {
            for c in &t.requests.cols {
                values.insert(format!("requests/{}/{}", r.key, c.key), Number::Int(0));
            }
        }
        for k in [
            "requests/new/natural_person",
            "requests/new/total",
            "requests/total/natural_person",
            "requests/total/total",
            "requests/disclosed/natural_person",
            "requests/disclosed/total",
        ] {
            values.insert(k.to_string(), Number::Int(3));
        }
        values
    }

    #[test]
    fn a_misread_breaking_its_row_and_column_is_left_out_or_takes_an_ocr_reading() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let eqs = equations(t);
        let key = "requests/carried_in/natural_person".to_string();
        // A "0" read as "9": its row sum and its column balance both break.
        let mut values = consistent(t);
        values.insert(key.clone(), Number::Int(9));
        let ocr: BTreeMap<String, Vec<Number>> =
            values.keys().map(|k| (k.clone(), Vec::new())).collect();
        let v = referee(&eqs, &mut values, &ocr, &BTreeMap::new());
        assert_eq!(v.withdrawn, vec![(key.clone(), Number::Int(9), Some(0.0))]);
        assert!(v.decided.is_empty());
        assert!(!values.contains_key(&key));
        // With a "0" among the cell's readings, the sums choose it.
        let mut values = consistent(t);
        values.insert(key.clone(), Number::Int(9));
        let mut ocr = ocr;
        ocr.insert(key.clone(), vec![Number::Int(0)]);
        let v = referee(&eqs, &mut values, &ocr, &BTreeMap::new());
        assert_eq!(v.decided, vec![(key.clone(), Number::Int(0))]);
        assert_eq!(values.get(&key), Some(&Number::Int(0)));
        // Only the misread is touched: its neighbours keep their values.
        assert_eq!(values, consistent(t));
    }

    #[test]
    fn an_unread_cell_takes_only_a_number_ocr_saw_that_its_sums_require() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let eqs = equations(t);
        let key = "requests/new/natural_person".to_string();
        let ocr = BTreeMap::new();
        // Read "3" once and "8" once: the sums require 3.
        let mut values = consistent(t);
        values.remove(&key);
        let unread = BTreeMap::from([(key.clone(), vec![Number::Int(8), Number::Int(3)])]);
        let v = referee(&eqs, &mut values, &ocr, &unread);
        assert_eq!(v.decided, vec![(key.clone(), Number::Int(3))]);
        assert_eq!(values, consistent(t));
        // Read "8" and "6": the 3 the sums require was not seen, so nothing is taken.
        let mut values = consistent(t);
        values.remove(&key);
        let unread = BTreeMap::from([(key.clone(), vec![Number::Int(8), Number::Int(6)])]);
        let v = referee(&eqs, &mut values, &ocr, &unread);
        assert_eq!(v, Verdicts::default());
        assert!(!values.contains_key(&key));
    }

    #[test]
    fn born_digital_values_and_a_cell_in_one_equation_are_not_judged() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let eqs = equations(t);
        // A printed typo in a born-digital table: not OCR, so kept (the check reports it).
        let mut values = consistent(t);
        values.insert("requests/carried_in/natural_person".into(), Number::Int(9));
        let before = values.clone();
        let v = referee(&eqs, &mut values, &BTreeMap::new(), &BTreeMap::new());
        assert_eq!(v, Verdicts::default());
        assert_eq!(values, before);
        // Table 四's group total is in one equation only: a typo there cannot be told
        // from a misread of a result, so nothing is withdrawn.
        let mut values = BTreeMap::new();
        for (c, n) in [
            ("upheld", 1),
            ("corrected", 0),
            ("other", 0),
            ("pending", 0),
        ] {
            values.insert(format!("appeals/review/{c}"), Number::Int(n));
        }
        values.insert("appeals/review/total".into(), Number::Int(2));
        let ocr: BTreeMap<String, Vec<Number>> =
            values.keys().map(|k| (k.clone(), Vec::new())).collect();
        let before = values.clone();
        let v = referee(&eqs, &mut values, &ocr, &BTreeMap::new());
        assert_eq!(v, Verdicts::default());
        assert_eq!(values, before);
    }
}
