//! The report's arithmetic (勾稽关系) as a referee over recognised cells, never as a
//! source. Only cells read by OCR are judged, and only two ways:
//!
//! - a cell left unread (its reads disagreed) whose every complete equation requires
//!   the same number takes it, when that number is one OCR read there;
//! - unread cells that share their equations (a seal over two rows and two columns)
//!   take readings OCR saw there together, when one choice alone fills the most of
//!   them and makes every equation it completes hold;
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
    // Cells none of which is pinned alone (each equation has two of them open) can be
    // pinned together: the one choice among their readings that makes every equation
    // they complete hold.
    for (key, v) in jointly_pinned(eqs, values, &open, unread) {
        values.insert(key.clone(), v);
        out.decided.push((key, v));
    }
    out
}

/// Most open cells one joint choice weighs, and most choices it tries: a seal or a
/// smudge leaves a handful of cells unread together, never a table.
const JOINT_CELLS: usize = 8;
const JOINT_CHOICES: usize = 1 << 14;

/// The readings of open cells that hold only together. The open cells that have
/// readings are grouped by the equations they share; in each group every combination
/// of their readings (or no reading) is tried, and a combination stands when every
/// equation it completes holds and each cell it fills is in one of them. The group
/// is decided only when one such combination fills the most cells: two that do as
/// well leave every cell of the group open.
fn jointly_pinned(
    eqs: &[Equation],
    values: &BTreeMap<String, Number>,
    open: &BTreeSet<&String>,
    unread: &BTreeMap<String, Vec<Number>>,
) -> Vec<(String, Number)> {
    let readings = |key: &str| -> Vec<Number> {
        let mut seen: Vec<Number> = Vec::new();
        for n in unread.get(key).into_iter().flatten() {
            if !seen.iter().any(|s| close(s.as_f64(), n.as_f64())) {
                seen.push(*n);
            }
        }
        seen
    };
    let cells: Vec<&str> = open
        .iter()
        .map(|k| k.as_str())
        .filter(|k| !values.contains_key(*k) && !readings(k).is_empty())
        .collect();
    let in_eq = |eq: &Equation, key: &str| eq.lhs.iter().chain(&eq.rhs).any(|k| k == key);
    // Only an equation whose every cell is known or has readings can ever be completed:
    // one with a cell nothing was read in ties no choices together, and linking through
    // it would join unrelated cells into a group too large to weigh (or one tie there
    // would leave them all open).
    let completable: Vec<&Equation> = eqs
        .iter()
        .filter(|e| {
            e.lhs
                .iter()
                .chain(&e.rhs)
                .all(|k| values.contains_key(k) || cells.contains(&k.as_str()))
        })
        .collect();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    for &start in &cells {
        if done.contains(start) {
            continue;
        }
        // The group: cells reachable from `start` through shared equations.
        let mut group = vec![start];
        let mut i = 0;
        while i < group.len() {
            let here = group[i];
            for &other in &cells {
                let linked = completable
                    .iter()
                    .any(|e| in_eq(e, here) && in_eq(e, other));
                if !group.contains(&other) && linked {
                    group.push(other);
                }
            }
            i += 1;
        }
        done.extend(group.iter().copied());
        if group.len() < 2 || group.len() > JOINT_CELLS {
            continue;
        }
        let options: Vec<Vec<Number>> = group.iter().map(|k| readings(k)).collect();
        let choices = options
            .iter()
            .try_fold(1usize, |n, o| n.checked_mul(o.len() + 1));
        if choices.is_none_or(|n| n > JOINT_CHOICES) {
            continue;
        }
        let touching: Vec<&Equation> = completable
            .iter()
            .copied()
            .filter(|e| group.iter().any(|k| in_eq(e, k)))
            .collect();
        if let Some(choice) = best_choice(&group, &options, &touching, values) {
            out.extend(
                group
                    .iter()
                    .zip(choice)
                    .filter_map(|(k, v)| Some((k.to_string(), v?))),
            );
        }
    }
    out
}

/// The one combination of readings (`None`: the cell stays open) that fills the most
/// cells of `group` while every equation it completes holds and each filled cell is
/// in a completed equation; `None` when no combination fills one, or two tie.
fn best_choice(
    group: &[&str],
    options: &[Vec<Number>],
    eqs: &[&Equation],
    values: &BTreeMap<String, Number>,
) -> Option<Vec<Option<Number>>> {
    let mut pick = vec![0usize; group.len()];
    let mut best: Option<(usize, Vec<Option<Number>>)> = None;
    let mut tied = false;
    loop {
        // Index 0 is "open", i > 0 the reading options[c][i - 1].
        let choice: Vec<Option<Number>> = pick
            .iter()
            .zip(options)
            .map(|(&p, o)| p.checked_sub(1).map(|i| o[i]))
            .collect();
        let filled = choice.iter().flatten().count();
        if filled > 0 && best.as_ref().is_none_or(|(n, _)| filled >= *n) {
            let value = |k: &str| -> Option<f64> {
                match group.iter().position(|g| *g == k) {
                    Some(i) => choice[i].map(|v| v.as_f64()),
                    None => values.get(k).map(|v| v.as_f64()),
                }
            };
            let mut checked = vec![false; group.len()];
            let holds = eqs.iter().all(|eq| {
                let sum = |keys: &[String]| -> Option<f64> { keys.iter().map(|k| value(k)).sum() };
                let (Some(l), Some(r)) = (sum(&eq.lhs), sum(&eq.rhs)) else {
                    return true;
                };
                for (i, k) in group.iter().enumerate() {
                    if eq.lhs.iter().chain(&eq.rhs).any(|e| e == k) {
                        checked[i] = true;
                    }
                }
                close(l, r)
            });
            let every_filled_checked = choice.iter().zip(&checked).all(|(c, k)| c.is_none() || *k);
            if holds && every_filled_checked {
                match &best {
                    Some((n, _)) if *n == filled => tied = true,
                    _ => {
                        best = Some((filled, choice));
                        tied = false;
                    }
                }
            }
        }
        // The next combination, as a mixed-radix counter.
        let mut c = 0;
        loop {
            if c == pick.len() {
                return if tied { None } else { best.map(|(_, b)| b) };
            }
            pick[c] += 1;
            if pick[c] <= options[c].len() {
                break;
            }
            pick[c] = 0;
            c += 1;
        }
    }
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
    fn unread_cells_each_equation_holds_two_of_are_pinned_together_or_not_at_all() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let eqs = equations(t);
        // Two rows by two columns unread (a seal over them): every row sum and column
        // sum they are in has two of them open, so none is pinned alone.
        let keys = [
            "requests/disclosed/natural_person",
            "requests/disclosed/total",
            "requests/partly_disclosed/natural_person",
            "requests/partly_disclosed/total",
        ]
        .map(String::from);
        let without = || {
            let mut values = consistent(t);
            for k in &keys {
                values.remove(k);
            }
            values
        };
        let read = |ns: [&[i64]; 4]| -> BTreeMap<String, Vec<Number>> {
            keys.iter()
                .zip(ns)
                .map(|(k, n)| (k.clone(), n.iter().map(|&v| Number::Int(v)).collect()))
                .collect()
        };
        // Read 3, 3 (and 8), 0, 0: only 3, 3, 0, 0 makes every sum hold.
        let mut values = without();
        let v = referee(
            &eqs,
            &mut values,
            &BTreeMap::new(),
            &read([&[3], &[8, 3], &[0], &[0]]),
        );
        assert_eq!(values, consistent(t));
        assert_eq!(v.decided.len(), 4);
        // The totals seen as nothing: the column sum holds 3 + 0 and 2 + 1 alike, and
        // nothing says which, so both cells stay open.
        let mut values = without();
        let v = referee(
            &eqs,
            &mut values,
            &BTreeMap::new(),
            &read([&[3, 2], &[], &[0, 1], &[]]),
        );
        assert_eq!(v, Verdicts::default());
        assert_eq!(values, without());
        // One reading each, but one sum breaks (a 5 where 3 belongs): the others are
        // still decided, the 5 is not taken.
        let mut values = without();
        let v = referee(
            &eqs,
            &mut values,
            &BTreeMap::new(),
            &read([&[3], &[5], &[0], &[0]]),
        );
        assert!(!values.contains_key(&keys[1]));
        assert_eq!(values.get(&keys[0]), Some(&Number::Int(3)));
        assert_eq!(v.decided.len(), 3);
    }

    #[test]
    fn cells_tied_only_by_a_sum_that_cannot_be_completed_are_weighed_apart() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let eqs = equations(t);
        // The 2 × 2 block of the test above, read 3, 3 (and 8), 0, 0; and, in the same
        // natural_person column, five more cells read 0 whose row totals were not read,
        // with a sixth cell there read as nothing. The column's sum can never be
        // completed: it must not join the five to the block into a group too large to
        // weigh, which would leave the block open.
        let block = [
            "requests/disclosed/natural_person",
            "requests/disclosed/total",
            "requests/partly_disclosed/natural_person",
            "requests/partly_disclosed/total",
        ]
        .map(String::from);
        let rows = [
            "withheld.state_secret",
            "withheld.prohibited",
            "withheld.security",
            "withheld.third_party",
            "withheld.internal",
        ];
        let mut values = consistent(t);
        let mut unread: BTreeMap<String, Vec<Number>> = BTreeMap::new();
        for (k, n) in block.iter().zip([&[3][..], &[8, 3], &[0], &[0]]) {
            values.remove(k);
            unread.insert(k.clone(), n.iter().map(|&v| Number::Int(v)).collect());
        }
        for r in rows {
            let np = format!("requests/{r}/natural_person");
            values.remove(&np);
            values.remove(&format!("requests/{r}/total"));
            unread.insert(np, vec![Number::Int(0)]);
        }
        values.remove("requests/withheld.process/natural_person");
        let v = referee(&eqs, &mut values, &BTreeMap::new(), &unread);
        for (k, want) in block.iter().zip([3, 3, 0, 0]) {
            assert_eq!(values.get(k), Some(&Number::Int(want)), "{k}");
        }
        assert_eq!(v.decided.len(), 4, "{:?}", v.decided);
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
