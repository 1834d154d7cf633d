//! The run's failed and partial documents grouped by reason, for the summary at the end:
//! what went wrong, how often, where, and what to do about it. A run over a thousand
//! files must not end with a bare "66 failed" the user then has to dig out of a database.

use crate::record::{RecordError, Status};
use once_cell::sync::Lazy;
use regex::Regex;
use std::collections::HashMap;
use std::fmt::Write;

/// Paths shown per reason; the rest are counted (and all listed by `--errors FILE`).
const PATHS_SHOWN: usize = 3;
/// Reasons shown per status, most frequent first.
const REASONS_SHOWN: usize = 8;
/// A reason is cut to this many characters in the summary.
const REASON_CHARS: usize = 200;

/// Documents that share one reason (their first error, normalised).
#[derive(Debug, Clone)]
pub struct Group {
    pub status: Status,
    pub reason: String,
    pub count: usize,
    /// The first few paths, in the order they were met.
    pub paths: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Outcomes {
    groups: Vec<Group>,
    index: HashMap<(&'static str, String), usize>,
}

static VALUE_KEY: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"\b(active|requests|appeals)/[a-z_.]+/[a-z_]+\b")
        .unwrap_or_else(|_| unreachable!("static regex"))
});
/// A number standing alone (not the 8 of UTF-8 or the 18030 of gb18030).
static NUMBER: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(^|[^A-Za-z0-9_+.\-])\d+(\.\d+)?").unwrap_or_else(|_| unreachable!("static regex"))
});

/// The reason an error gives, with what differs between documents taken out (value keys,
/// numbers), so that "requests/new/business: the cell could not be read" and the same
/// about another cell fall into one group.
pub fn normalise(message: &str) -> String {
    let text = VALUE_KEY.replace_all(message.trim(), "<key>");
    let text = NUMBER.replace_all(&text, "${1}N");
    let mut out: String = text.chars().take(REASON_CHARS).collect();
    if text.chars().nth(REASON_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// What a user can do about a reason, where the reason itself does not say it.
fn next_step(reason: &str) -> Option<&'static str> {
    const STEPS: &[(&str, &str)] = &[
        ("unsupported file type", "not a document type nianbao reads: leave such files out with --exclude GLOB"),
        ("not a government information-disclosure annual report", "not an annual report: leave it out with --exclude GLOB, or check it is the right file"),
        ("empty", "the file is empty: get a complete copy"),
        ("damaged", "the file is damaged: get a fresh copy (or re-save it from its program)"),
        ("cut off", "the file is cut off: get a complete copy"),
        ("encrypted", "save the document again without a password"),
        ("over the limit", "raise the limit in pipeline.toml ([limits]) if the file is a real report"),
        ("could not be read; its value is left out", "the value is missing from the record: read it off the document (a sharper scan reads better)"),
        ("breaks every sum", "compare the cell with the document: a misread or a misprint"),
        ("sums chose", "the value was chosen by the report's arithmetic: compare it with the document"),
        ("agency not found", "the title names no agency the reader recognises: check the document's title"),
        ("report year not found", "no report year in the title or text: check the document"),
        ("table(s) not found", "a statistics table is missing or printed in a shape not read: check the document"),
        ("were replaced", "the text file has damaged bytes: check the text around them"),
    ];
    let lower = reason.to_lowercase();
    STEPS
        .iter()
        .find(|(needle, _)| lower.contains(needle))
        .map(|(_, step)| *step)
}

impl Outcomes {
    /// Notes a document; ok documents are not listed.
    pub fn add(&mut self, status: Status, path: &str, errors: &[RecordError]) {
        if status == Status::Ok {
            return;
        }
        let reason = errors
            .first()
            .map(|e| normalise(&e.message))
            .unwrap_or_else(|| "(no reason given)".to_string());
        let key = (status.as_str(), reason);
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.groups.push(Group {
                    status,
                    reason: key.1.clone(),
                    count: 0,
                    paths: Vec::new(),
                });
                self.index.insert(key, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[i];
        g.count += 1;
        if g.paths.len() < PATHS_SHOWN {
            g.paths.push(path.to_string());
        }
    }

    /// The groups of one status, most frequent first (ties in the order first met).
    pub fn groups(&self, status: Status) -> Vec<&Group> {
        let mut v: Vec<&Group> = self.groups.iter().filter(|g| g.status == status).collect();
        v.sort_by_key(|g| std::cmp::Reverse(g.count));
        v
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The failed and partial documents by reason, as the summary prints them.
    /// `errors_file`: where `--errors` wrote the full list, if it was given.
    pub fn render(&self, errors_file: Option<&str>) -> String {
        let mut out = String::new();
        for status in [Status::Failed, Status::Partial] {
            let groups = self.groups(status);
            if groups.is_empty() {
                continue;
            }
            let total: usize = groups.iter().map(|g| g.count).sum();
            let _ = writeln!(
                out,
                "{} {total} document{}, by reason:",
                status.as_str(),
                if total == 1 { "" } else { "s" }
            );
            for g in groups.iter().take(REASONS_SHOWN) {
                let _ = writeln!(out, "  {:>4} × {}", g.count, g.reason);
                let more = g.count - g.paths.len();
                let mut paths = g.paths.join(", ");
                if more > 0 {
                    let _ = write!(paths, " and {more} more");
                }
                let _ = writeln!(out, "         {paths}");
                if let Some(step) = next_step(&g.reason) {
                    let _ = writeln!(out, "         → {step}");
                }
            }
            if groups.len() > REASONS_SHOWN {
                let rest: usize = groups[REASONS_SHOWN..].iter().map(|g| g.count).sum();
                let _ = writeln!(
                    out,
                    "  and {} more reasons in {rest} documents",
                    groups.len() - REASONS_SHOWN
                );
            }
        }
        if !out.is_empty() {
            let _ = match errors_file {
                Some(f) => writeln!(
                    out,
                    "every failed or partial document with its reasons: {f}"
                ),
                None => writeln!(
                    out,
                    "every failed or partial document with its reasons: run with --errors FILE"
                ),
            };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(m: &str) -> Vec<RecordError> {
        vec![RecordError {
            stage: "interpret".into(),
            message: m.into(),
        }]
    }

    #[test]
    fn documents_group_by_their_first_reason_without_keys_and_numbers() {
        let mut o = Outcomes::default();
        o.add(Status::Ok, "ok.docx", &[]);
        o.add(
            Status::Partial,
            "a.png",
            &err("requests/new/business: the cell could not be read; its value is left out"),
        );
        o.add(
            Status::Partial,
            "b.png",
            &err("appeals/review/total: the cell could not be read; its value is left out"),
        );
        for i in 0..5 {
            o.add(
                Status::Failed,
                &format!("x{i}.json"),
                &err("unsupported file type: expected …"),
            );
        }
        let partial = o.groups(Status::Partial);
        assert_eq!(partial.len(), 1);
        assert_eq!(partial[0].count, 2);
        assert_eq!(partial[0].paths, vec!["a.png", "b.png"]);
        let text = o.render(Some("e.jsonl"));
        assert!(text.contains("failed 5 documents, by reason:"), "{text}");
        assert!(
            text.contains("x0.json, x1.json, x2.json and 2 more"),
            "{text}"
        );
        assert!(text.contains("→ not a document type"), "{text}");
        assert!(text.contains("partial 2 documents"), "{text}");
        assert!(!text.contains("ok.docx"));
        assert_eq!(normalise("file is 300 MB"), "file is N MB");
        assert_eq!(
            normalise("3 bytes that are not valid UTF-8 (or gb18030), 0.5 (N)"),
            "N bytes that are not valid UTF-8 (or gb18030), N (N)"
        );
    }
}
