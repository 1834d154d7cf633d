//! The report's checks run again on the reviewed values (extracted values with the
//! corrections applied), with the rules of `src/checks.rs`. Unlike the record's checks,
//! every instance of a rule is listed: one whose cells are not all there says which are
//! missing, so that filling a left-out cell visibly completes a check.

use crate::checks::{equations, run_checks};
use crate::record::{CheckOutcome, Facts, Number};
use crate::template::Template;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    Fail,
    /// The text's number is not the table's, but is another sum of the table that the
    /// template names (75 received = 74 new + 1 carried in): a discrepancy with its
    /// explanation, not a silent pass.
    Explained,
    /// The check cannot run: these cells have no value.
    Missing(Vec<String>),
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Explained => "explained",
            Outcome::Missing(_) => "missing",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CheckResult {
    pub id: String,
    pub rule: String,
    /// Where the rule applies (`row new`, `col total`; empty for a single rule).
    pub place: String,
    pub outcome: Outcome,
    pub detail: String,
    /// The value keys the check adds up: the row or column a failure highlights.
    pub keys: Vec<String>,
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Every arithmetic rule instance of `template`, and its text rules where the text states
/// the number, on `values`.
pub fn recheck(
    template: &Template,
    values: &BTreeMap<String, Number>,
    facts: &Facts,
) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for eq in equations(template) {
        let mut keys = eq.lhs.clone();
        keys.extend(eq.rhs.iter().cloned());
        let missing: Vec<String> = keys
            .iter()
            .filter(|k| !values.contains_key(*k))
            .cloned()
            .collect();
        let side = |ks: &[String]| -> (f64, String) {
            let parts: Vec<String> = ks
                .iter()
                .map(|k| {
                    values
                        .get(k)
                        .map_or("?".to_string(), |n| fmt_num(n.as_f64()))
                })
                .collect();
            let sum = ks
                .iter()
                .filter_map(|k| values.get(k))
                .map(|n| n.as_f64())
                .sum();
            (sum, parts.join("+"))
        };
        let (l, lp) = side(&eq.lhs);
        let (r, rp) = side(&eq.rhs);
        let outcome = if !missing.is_empty() {
            Outcome::Missing(missing)
        } else if crate::checks::close(l, r) {
            Outcome::Pass
        } else {
            Outcome::Fail
        };
        let sign = match outcome {
            Outcome::Pass => "=",
            Outcome::Fail => "!=",
            Outcome::Missing(_) | Outcome::Explained => "?",
        };
        out.push(CheckResult {
            id: eq.spec.id.clone(),
            rule: eq.spec.rule.clone(),
            place: eq.place.clone(),
            outcome,
            detail: format!("{lp} {sign} {rp}"),
            keys,
        });
    }
    // Text rules: the library's own evaluation, which says when the stated number is
    // another sum the template names (explained); only the rules whose stated number the
    // text has run.
    for c in run_checks(template, values, facts) {
        let Some(spec) = template.text_checks.iter().find(|s| s.id == c.id) else {
            continue;
        };
        out.push(CheckResult {
            id: c.id.clone(),
            rule: c.rule.clone(),
            place: String::new(),
            outcome: match c.outcome {
                CheckOutcome::Pass => Outcome::Pass,
                CheckOutcome::Fail => Outcome::Fail,
                CheckOutcome::Explained => Outcome::Explained,
            },
            detail: c.detail.clone(),
            keys: spec.keys.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Templates;

    #[test]
    fn a_filled_cell_completes_its_row() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let cols = [
            "natural_person",
            "business",
            "research",
            "social_welfare",
            "legal_services",
            "other_org",
        ];
        let mut values: BTreeMap<String, Number> = BTreeMap::new();
        for (i, c) in cols.iter().enumerate() {
            values.insert(format!("requests/new/{c}"), Number::Int(i as i64));
        }
        let row_new = |v: &BTreeMap<String, Number>| {
            recheck(t, v, &Facts::default())
                .into_iter()
                .find(|c| c.id == "requests.row_sum" && c.place == "row new")
                .expect("row new")
        };
        assert_eq!(
            row_new(&values).outcome,
            Outcome::Missing(vec!["requests/new/total".to_string()])
        );
        values.insert("requests/new/total".into(), Number::Int(15));
        assert_eq!(row_new(&values).outcome, Outcome::Pass);
        values.insert("requests/new/total".into(), Number::Int(16));
        let c = row_new(&values);
        assert_eq!(c.outcome, Outcome::Fail);
        assert_eq!(c.detail, "16 != 0+1+2+3+4+5");
    }

    #[test]
    fn a_stated_number_met_by_another_sum_is_explained() {
        let templates = Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let mut values: BTreeMap<String, Number> = BTreeMap::new();
        values.insert("requests/new/total".into(), Number::Int(74));
        values.insert("requests/carried_in/total".into(), Number::Int(1));
        let received = |stated: i64| {
            let facts = Facts {
                requests_received: Some(stated),
                ..Facts::default()
            };
            recheck(t, &values, &facts)
                .into_iter()
                .find(|c| c.id == "text.requests_received")
                .expect("text check")
        };
        assert_eq!(received(74).outcome, Outcome::Pass);
        let c = received(75);
        assert_eq!(c.outcome, Outcome::Explained);
        assert_eq!(
            c.detail,
            "text states 75, table has 74 (requests/new/total); \
             explained: 75 = 74 requests/new/total + 1 requests/carried_in/total"
        );
        assert_eq!(received(76).outcome, Outcome::Fail);
    }
}
