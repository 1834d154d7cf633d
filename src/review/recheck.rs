//! The report's checks run again on the reviewed values (extracted values with the
//! corrections applied), with the rules of `src/checks.rs`. Unlike the record's checks,
//! every instance of a rule is listed: one whose cells are not all there says which are
//! missing, so that filling a left-out cell visibly completes a check.

use crate::checks::{equations, run_checks};
use crate::record::{Facts, Number};
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
    // Text rules: the library's own evaluation (a stated number may match an alternative
    // sum); only the rules whose stated number the text has run.
    let text_results = run_checks(template, values, facts);
    for spec in &template.text_checks {
        if let Some(c) = text_results.iter().find(|c| c.id == spec.id) {
            let mut outcome = if c.ok { Outcome::Pass } else { Outcome::Fail };
            let mut detail = c.detail.clone();
            let stated = match spec.fact.as_str() {
                "requests_received" => facts.requests_received,
                "appeals_total" => facts.appeals_total,
                "active_disclosed_total" => facts.active_disclosed_total,
                _ => None,
            };
            let sum = |keys: &[String]| -> Option<f64> {
                keys.iter()
                    .map(|k| values.get(k).map(|n| n.as_f64()))
                    .sum::<Option<f64>>()
            };
            // Passed through an alternative sum, not the table's own number.
            if let (true, Some(stated), Some(primary)) = (c.ok, stated, sum(&spec.keys)) {
                if !crate::checks::close(stated as f64, primary) {
                    if let Some(alt) = spec
                        .alt
                        .iter()
                        .find(|a| sum(a).is_some_and(|s| crate::checks::close(stated as f64, s)))
                    {
                        outcome = Outcome::Explained;
                        let parts: Vec<String> = alt
                            .iter()
                            .filter_map(|k| values.get(k).map(|n| format!("{n} {k}")))
                            .collect();
                        detail = format!(
                            "text states {stated}, the table {}; {stated} = {}",
                            fmt_num(primary),
                            parts.join(" + ")
                        );
                    }
                }
            }
            out.push(CheckResult {
                id: c.id.clone(),
                rule: c.rule.clone(),
                place: String::new(),
                outcome,
                detail,
                keys: spec.keys.clone(),
            });
        }
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
            "text states 75, the table 74; 75 = 74 requests/new/total + 1 requests/carried_in/total"
        );
        assert_eq!(received(76).outcome, Outcome::Fail);
    }
}
