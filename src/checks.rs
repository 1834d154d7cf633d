//! The report's own arithmetic (勾稽关系) and text-against-table rules, driven by the
//! template's `[[checks]]` and `[[text_checks]]`. A failed check is reported, never fixed.

use crate::record::{Check, CheckOutcome, Facts, Number};
use crate::template::{CheckSpec, Template};
use std::collections::BTreeMap;

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn sum_keys(values: &BTreeMap<String, Number>, keys: &[String]) -> Option<(f64, Vec<String>)> {
    let mut total = 0.0;
    let mut parts = Vec::new();
    for k in keys {
        let v = values.get(k)?.as_f64();
        total += v;
        parts.push(fmt_num(v));
    }
    Some((total, parts))
}

pub(crate) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// One instance of an arithmetic rule: the keys whose sum on each side must agree.
pub struct Equation<'a> {
    pub spec: &'a CheckSpec,
    /// Where the instance applies ("row new", "col total"; empty for a single rule).
    pub place: String,
    pub lhs: Vec<String>,
    pub rhs: Vec<String>,
}

/// Every instance of the template's arithmetic rules: per row or per column of its
/// table, or once.
pub fn equations(template: &Template) -> Vec<Equation<'_>> {
    let mut out = Vec::new();
    for spec in &template.checks {
        let table = match spec.table.as_str() {
            "requests" => &template.requests,
            "appeals" => &template.appeals,
            _ => &template.active,
        };
        let instances: Vec<(String, String, String)> = match spec.each.as_deref() {
            Some("row") => table
                .rows
                .iter()
                .map(|r| ("{row}".to_string(), r.key.clone(), format!("row {}", r.key)))
                .collect(),
            Some("col") => table
                .cols
                .iter()
                .map(|c| ("{col}".to_string(), c.key.clone(), format!("col {}", c.key)))
                .collect(),
            _ => vec![(String::new(), String::new(), String::new())],
        };
        for (placeholder, name, place) in instances {
            let subst = |keys: &[String]| -> Vec<String> {
                keys.iter()
                    .map(|k| {
                        if placeholder.is_empty() {
                            k.clone()
                        } else {
                            k.replace(&placeholder, &name)
                        }
                    })
                    .collect()
            };
            out.push(Equation {
                spec,
                place,
                lhs: subst(&spec.lhs),
                rhs: subst(&spec.rhs),
            });
        }
    }
    out
}

/// The first alternative sum (`alt` of a text check) that gives the stated number, as
/// `75 = 74 requests/new/total + 1 requests/carried_in/total`.
fn explanation(
    values: &BTreeMap<String, Number>,
    alt: &[Vec<String>],
    stated: i64,
) -> Option<String> {
    alt.iter().find_map(|keys| {
        let (sum, _) = sum_keys(values, keys)?;
        if !close(stated as f64, sum) {
            return None;
        }
        let parts: Vec<String> = keys
            .iter()
            .filter_map(|k| values.get(k).map(|n| format!("{n} {k}")))
            .collect();
        Some(format!("{stated} = {}", parts.join(" + ")))
    })
}

/// Runs every rule of the template whose keys the record has.
pub fn run_checks(
    template: &Template,
    values: &BTreeMap<String, Number>,
    facts: &Facts,
) -> Vec<Check> {
    let mut out = Vec::new();
    for eq in equations(template) {
        let (Some((l, lp)), Some((r, rp))) = (sum_keys(values, &eq.lhs), sum_keys(values, &eq.rhs))
        else {
            continue; // the table, or a cell of it, is not in the record
        };
        let ok = close(l, r);
        let place = eq.place;
        let detail = if ok {
            format!("{place}: {} = {}", lp.join("+"), rp.join("+"))
        } else {
            format!("{place}: {} != {}", lp.join("+"), rp.join("+"))
        };
        out.push(Check {
            rule: eq.spec.rule.clone(),
            id: eq.spec.id.clone(),
            ok,
            detail: detail.trim_start_matches(": ").to_string(),
            outcome: if ok {
                CheckOutcome::Pass
            } else {
                CheckOutcome::Fail
            },
        });
    }
    for spec in &template.text_checks {
        let stated = match spec.fact.as_str() {
            "requests_received" => facts.requests_received,
            "appeals_total" => facts.appeals_total,
            "active_disclosed_total" => facts.active_disclosed_total,
            _ => None,
        };
        let Some(stated) = stated else { continue };
        let Some((table_sum, parts)) = sum_keys(values, &spec.keys) else {
            continue;
        };
        let table_side = if parts.len() > 1 {
            format!("{} = {}", parts.join("+"), fmt_num(table_sum))
        } else {
            fmt_num(table_sum)
        };
        let mut detail = format!(
            "text states {stated}, table has {table_side} ({})",
            spec.keys.join(" + ")
        );
        let outcome = if close(stated as f64, table_sum) {
            CheckOutcome::Pass
        } else if let Some(explanation) = explanation(values, &spec.alt, stated) {
            // Not a pass: the text and the table disagree, for a reason a reader can see.
            detail.push_str("; explained: ");
            detail.push_str(&explanation);
            CheckOutcome::Explained
        } else {
            CheckOutcome::Fail
        };
        out.push(Check {
            rule: spec.rule.clone(),
            id: spec.id.clone(),
            ok: outcome == CheckOutcome::Pass,
            detail,
            outcome,
        });
    }
    out
}
