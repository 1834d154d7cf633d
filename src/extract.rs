//! One document's way from bytes to a checked record, as separate steps the pipeline runs
//! in separate stages: [`decode`], [`recognise`], [`interpret`], [`check`].

use crate::budget::MemoryHold;
use crate::checks::{equations, run_checks};
use crate::document::{Document, TableOrigin};
use crate::formats::{self, Format};
use crate::ocr::LazyEngine;
use crate::ocr::LOW_CONFIDENCE;
use crate::record::{CellProvenance, Number, Record, Source, Status};
use crate::referee::referee;
use crate::report;
use crate::template::{
    match_tables, missing_cells, CellRef, MatchResult, TableKind, Template, Templates,
    MISSING_CELLS,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A file's bytes as read, with its name and hash.
pub struct Input {
    pub path: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    /// The bytes of the run's memory budget this document holds until its record is
    /// made (see [`crate::budget`]).
    pub hold: MemoryHold,
}

impl Input {
    pub fn new(path: String, bytes: Vec<u8>) -> Input {
        let sha256 = hex(&Sha256::digest(&bytes));
        Input {
            path,
            bytes,
            sha256,
            hold: MemoryHold::none(),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A decoded document, or the record that says why it could not be decoded. A document
/// keeps its share of the memory budget until it is interpreted (dropping the hold).
pub enum Decoded {
    Document(Source, Document, MemoryHold),
    Failed(Box<Record>),
}

/// Runs `f`, turning a panic into an error message: one bad document never stops a batch.
pub fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        format!("internal error while {what}: {msg} (please report this file)")
    })
}

/// Stage decode: bytes → document model.
pub fn decode(input: Input) -> Decoded {
    let format = formats::sniff(&input.path, &input.bytes);
    let source = Source {
        format: formats::format_name(&input.path, format),
        path: input.path,
        sha256: input.sha256,
    };
    if input.bytes.is_empty() {
        return Decoded::Failed(Box::new(Record::failed(
            source,
            "read",
            "empty file (0 bytes)",
        )));
    }
    let (bytes, mut hold) = (input.bytes, input.hold);
    match guarded("decoding", || formats::decode(format, &bytes)) {
        Ok(Ok(doc)) => {
            // Pictures are kept whole until recognised: a DOCX of 2 MB may hold 50 MB.
            let pictures: usize = doc.pictures().map(|p| p.bytes.len()).sum();
            // (The read stage may have held more for it: a text file's or a web page's
            // decoding, which the document model keeps until it is interpreted.)
            hold.grow_to(hold.bytes().max((bytes.len() + pictures) as u64));
            Decoded::Document(source, doc, hold)
        }
        Ok(Err(e)) => {
            let stage = if format == Format::Unknown {
                "read"
            } else {
                "decode"
            };
            Decoded::Failed(Box::new(Record::failed(source, stage, e.message)))
        }
        Err(panic) => Decoded::Failed(Box::new(Record::failed(source, "decode", panic))),
    }
}

/// Stage interpret: document model → record with metadata, sections, facts and values.
pub fn interpret(source: Source, doc: &Document, templates: &Templates) -> Record {
    let mut rec = Record::new(source);
    let meta = report::read_meta(doc);
    let matched = match_tables(doc, templates, meta.year);
    let nothing_readable = report::text_blocks(doc).iter().all(|t| t.trim().is_empty())
        && doc.tables().next().is_none();
    if nothing_readable && !doc.problems.is_empty() {
        for p in &doc.problems {
            rec.error("recognise", p.clone());
        }
        rec.status = Status::Failed;
        return rec;
    }
    let sections = report::read_sections(doc);
    // Without tables, a report still shows its title and the national format's sections;
    // a notice *about* annual reports shows the words but not the structure.
    if matched.found.is_empty() && (!report::looks_like_report(doc, &meta) || sections.len() < 3) {
        rec.fail(
            "interpret",
            "not a government information-disclosure annual report (政府信息公开工作年度报告): \
             none of its statistics tables and not its title and sections found",
        );
        return rec;
    }
    for w in &doc.decode_warnings {
        rec.error("decode", w.clone());
    }
    for d in &meta.doubts {
        rec.error("interpret", d.clone());
    }
    rec.agency = meta.agency;
    rec.year = meta.year;
    rec.published = meta.published;
    rec.contact = meta.contact;
    rec.template = matched.template.clone().or_else(|| {
        meta.year
            .and_then(|y| templates.for_year(y))
            .map(|t| t.id.clone())
    });
    rec.sections = sections;
    rec.facts = report::read_facts(doc);
    for v in &matched.values {
        rec.values.insert(v.key.clone(), v.value);
        rec.cells.push(provenance(&v.key, &v.at));
    }
    for e in &matched.errors {
        rec.error("interpret", e.clone());
    }
    if let Some(t) = rec.template.as_deref().and_then(|id| templates.get(id)) {
        judge_ocr_cells(&mut rec, t, &matched);
        restate_missing(&mut rec, t);
    }
    for u in &matched.unread {
        // Unless the report's sums decided it.
        if !rec.values.contains_key(&u.key) {
            rec.error(
                "interpret",
                format!(
                    "{}: the cell could not be read; its value is left out",
                    u.key
                ),
            );
        }
    }
    // A picture file holding one statistics table has no title, signature or other
    // tables to find: their absence is no gap in what it can hold.
    let lone_table = lone_table_picture(&rec.source, &matched);
    if let Some(kind) = lone_table {
        // The matcher names the cells it missed; this catches a gap nothing named.
        if let Some(gap) = table_gap(&rec, kind, templates).filter(|_| rec.errors.is_empty()) {
            rec.error("interpret", gap);
        }
    } else if matched.found.len() < 3 {
        let missing: Vec<&str> = crate::template::TableKind::ALL
            .iter()
            .filter(|k| !matched.found.contains(k))
            .map(|k| k.name())
            .collect();
        rec.error(
            "interpret",
            format!("statistics table(s) not found: {}", missing.join(", ")),
        );
    }
    for p in &doc.problems {
        rec.error("recognise", p.clone());
    }
    if lone_table.is_none() {
        if rec.agency.is_none() {
            rec.error("interpret", "agency not found in the title");
        }
        if rec.year.is_none() {
            rec.error("interpret", "report year not found");
        }
    }
    if !rec.errors.is_empty() {
        rec.status = Status::Partial;
    }
    if let Some(kind) = lone_table {
        // Said after the status is decided: a note on what the record cannot hold, not a
        // problem of the document.
        rec.error("interpret", lone_table_note(kind));
    }
    rec
}

/// The table a picture file holds when it is a picture of exactly one statistics table.
fn lone_table_picture(source: &Source, matched: &MatchResult) -> Option<TableKind> {
    match matched.found.as_slice() {
        [kind] if source.format == Format::Image.as_str() => Some(*kind),
        _ => None,
    }
}

/// The record's note for a lone table picture (the first words are stable: tests and
/// queries can find it by them).
pub const LONE_TABLE_NOTE: &str = "metadata does not apply";

fn lone_table_note(kind: TableKind) -> String {
    let table = match kind {
        TableKind::Active => "二",
        TableKind::Requests => "三",
        TableKind::Appeals => "四",
    };
    format!(
        "{LONE_TABLE_NOTE}: a picture of table {table} alone holds no title, agency, year, \
         date or other tables; the record holds that table only"
    )
}

/// Why the one table of a picture is incomplete, if it is: values missing for some of
/// its keys (in the detected template, or in every template when none was detected).
fn table_gap(rec: &Record, kind: TableKind, templates: &Templates) -> Option<String> {
    let prefix = format!("{}/", kind.name());
    let candidates: Vec<&Template> = match rec.template.as_deref().and_then(|id| templates.get(id))
    {
        Some(t) => vec![t],
        None => templates.list.iter().collect(),
    };
    let mut fewest_missing: Option<(usize, usize)> = None;
    for t in candidates {
        let keys: Vec<String> = t
            .keys()
            .into_iter()
            .filter(|k| k.starts_with(&prefix))
            .collect();
        let missing = keys
            .iter()
            .filter(|k| !rec.values.contains_key(*k) && !rec.withdrawn.contains_key(*k))
            .count();
        if fewest_missing.is_none_or(|(m, _)| missing < m) {
            fewest_missing = Some((missing, keys.len()));
        }
    }
    match fewest_missing {
        Some((0, _)) | None => None,
        Some((missing, all)) => Some(format!(
            "{}: {} of its {all} values read",
            kind.name(),
            all - missing
        )),
    }
}

fn provenance(key: &str, at: &CellRef) -> CellProvenance {
    CellProvenance {
        key: key.to_string(),
        raw: at.raw.clone(),
        origin: at.origin.to_string(),
        confidence: at.confidence,
        page: at.page,
        bbox: at.bbox,
        table: at.table,
        row: at.row,
        col: at.col,
        decided_by: None,
    }
}

/// The matcher's lists of the cells a table lacks ("requests: 2 cells not found or
/// unreadable: …"), told again once the report's sums have decided some of them or
/// left others out; a list left empty goes.
fn restate_missing(rec: &mut Record, t: &Template) {
    let keys = t.keys();
    let values = &rec.values;
    for e in rec.errors.iter_mut() {
        let Some((table, _)) = e.message.split_once(": ") else {
            continue;
        };
        if !e.message.contains(MISSING_CELLS) {
            continue;
        }
        let prefix = format!("{table}/");
        let missing: Vec<&str> = keys
            .iter()
            .filter(|k| k.starts_with(&prefix) && !values.contains_key(*k))
            .map(String::as_str)
            .collect();
        e.message = if missing.is_empty() {
            String::new()
        } else {
            missing_cells(table, &missing)
        };
    }
    rec.errors.retain(|e| !e.message.is_empty());
}

/// The report's arithmetic as a referee over the OCR'd cells ([`referee`]): misreads
/// that break their row and column sums are left out (or take the reading the sums
/// require), unread cells take a reading the sums pin down. Each is said in the record.
fn judge_ocr_cells(rec: &mut Record, t: &Template, matched: &MatchResult) {
    let ocr_origin = TableOrigin::Ocr.as_str();
    let ocr: BTreeMap<String, Vec<Number>> = matched
        .values
        .iter()
        .filter(|v| v.at.origin == ocr_origin)
        .map(|v| (v.key.clone(), v.at.alternatives.clone()))
        .collect();
    let unread: BTreeMap<String, Vec<Number>> = matched
        .unread
        .iter()
        .map(|u| (u.key.clone(), u.at.alternatives.clone()))
        .collect();
    if ocr.is_empty() && unread.is_empty() {
        return;
    }
    let verdicts = referee(&equations(t), &mut rec.values, &ocr, &unread);
    for (key, read, need) in &verdicts.withdrawn {
        rec.cells.retain(|c| &c.key != key);
        rec.withdrawn.insert(key.clone(), *read);
        let need = need
            .map(|n| format!(" (they require {n})"))
            .unwrap_or_default();
        rec.error(
            "interpret",
            format!(
                "{key}: read as {read}, which breaks every sum it is in{need}; \
                 a misread, or a misprint: its value is left out"
            ),
        );
    }
    for (key, value) in &verdicts.decided {
        let at = matched
            .unread
            .iter()
            .find(|u| &u.key == key)
            .map(|u| &u.at)
            .or_else(|| matched.values.iter().find(|v| &v.key == key).map(|v| &v.at));
        rec.cells.retain(|c| &c.key != key);
        if let Some(at) = at {
            let mut cell = provenance(key, at);
            cell.decided_by = Some("arithmetic");
            cell.confidence = cell.confidence.map(|c| c.min(LOW_CONFIDENCE - 0.05));
            rec.cells.push(cell);
        }
        rec.error(
            "interpret",
            format!("{key}: OCR's readings disagreed; the report's sums chose {value}"),
        );
    }
    rec.decided_by_arithmetic = verdicts.decided.len();
}

/// Stage check: the template's arithmetic and text-against-table rules.
pub fn checks_for(rec: &Record, templates: &Templates) -> Vec<crate::record::Check> {
    if rec.status == Status::Failed {
        return Vec::new();
    }
    let Some(t) = rec.template.as_deref().and_then(|id| templates.get(id)) else {
        return Vec::new();
    };
    if rec.withdrawn.is_empty() {
        return run_checks(t, &rec.values, &rec.facts);
    }
    // The sums as printed, with the readings left out for breaking them.
    let mut as_read = rec.values.clone();
    as_read.extend(rec.withdrawn.iter().map(|(k, v)| (k.clone(), *v)));
    run_checks(t, &as_read, &rec.facts)
}

/// Runs the checks and stores them in the record.
pub fn check(rec: &mut Record, templates: &Templates) {
    rec.checks = checks_for(rec, templates);
}

/// Stage recognise: replaces the document's pictures by the tables and text recognised
/// in them (see [`crate::ocr::recognise_document`]), with this worker's engine.
pub fn recognise(decoded: &mut Decoded, engine: &mut LazyEngine) {
    if let Decoded::Document(_, doc, _) = decoded {
        engine.recognise(doc);
    }
}

/// All stages in one call, for a single document (tests, library users). `engine` is
/// reused across calls; pass a fresh [`LazyEngine`] for a one-off.
pub fn extract_bytes(
    path: &str,
    bytes: Vec<u8>,
    templates: &Templates,
    engine: &mut LazyEngine,
) -> Record {
    let input = Input::new(path.to_string(), bytes);
    let mut decoded = decode(input);
    recognise(&mut decoded, engine);
    match decoded {
        Decoded::Failed(rec) => *rec,
        Decoded::Document(source, doc, _hold) => {
            let fallback = source.clone();
            let mut rec = guarded("interpreting", || interpret(source, &doc, templates))
                .unwrap_or_else(|e| Record::failed(fallback, "interpret", e));
            check(&mut rec, templates);
            rec
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_list_of_missing_cells_is_told_again_after_the_sums_decided_some() {
        let templates = crate::template::Templates::builtin().expect("templates");
        let t = templates.get("gov-2021").expect("gov-2021");
        let mut rec = Record::new(crate::record::Source {
            path: "x.png".into(),
            sha256: String::new(),
            format: "png".into(),
        });
        for k in t.keys().into_iter().filter(|k| k.starts_with("appeals/")) {
            rec.values.insert(k, Number::Int(0));
        }
        let gone = "requests/total/total";
        for k in t
            .keys()
            .into_iter()
            .filter(|k| k.starts_with("requests/") && k != gone)
        {
            rec.values.insert(k, Number::Int(0));
        }
        rec.error(
            "interpret",
            "requests: 2 cells not found or unreadable: requests/new/total, requests/total/total",
        );
        rec.error(
            "interpret",
            "appeals: 1 cells not found or unreadable: appeals/review/total",
        );
        restate_missing(&mut rec, t);
        let said: Vec<&str> = rec.errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            said,
            ["requests: 1 cells not found or unreadable: requests/total/total"]
        );
    }
    use super::*;

    #[test]
    fn a_notice_about_annual_reports_is_not_a_report() {
        let text = "关于做好2023年政府信息公开工作年度报告编制发布工作的通知\n各单位：\n请于1月31日前报送政府信息公开工作年度报告。\n特此通知。\n";
        let templates = Templates::builtin().expect("templates");
        let rec = extract_bytes(
            "notice.txt",
            text.as_bytes().to_vec(),
            &templates,
            &mut LazyEngine::new(),
        );
        assert_eq!(rec.status, Status::Failed);
        assert!(rec.errors[0].message.contains("not a government"));
    }
}
