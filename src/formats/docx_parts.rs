//! The DOCX package around the main part: zip access (bounded reads, part paths), the
//! small XML helpers every OOXML-like part needs (OFD's XML too), and the auxiliary
//! parts: relationships, styles (which are headings) and core properties (the title).

use super::Zip;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;
use std::io::Read;

// ---------------------------------------------------------------------------------------
// Zip access

pub(crate) enum PartError {
    TooLarge(u64),
    Damaged(String),
}

/// Index of an entry, tolerating a leading '/', Windows separators and letter case.
pub(crate) fn find_entry(zip: &Zip<'_>, name: &str) -> Option<usize> {
    let name = name.trim_start_matches('/');
    if let Some(i) = zip.index_for_name(name) {
        return Some(i);
    }
    let norm = |s: &str| s.replace('\\', "/").trim_start_matches('/').to_lowercase();
    let want = norm(name);
    (0..zip.len()).find(|&i| zip.name_for_index(i).is_some_and(|n| norm(n) == want))
}

/// Reads an entry fully if it exists and unpacks to at most `limit` bytes.
pub(crate) fn read_part(
    zip: &mut Zip<'_>,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, PartError> {
    let Some(index) = find_entry(zip, name) else {
        return Ok(None);
    };
    let file = zip
        .by_index(index)
        .map_err(|e| PartError::Damaged(e.to_string()))?;
    let size = file.size();
    if size > limit {
        return Err(PartError::TooLarge(size));
    }
    let mut data = Vec::with_capacity(size.min(8 << 20) as usize);
    // The declared size may lie: never read more than limit + 1 bytes.
    file.take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|e| PartError::Damaged(e.to_string()))?;
    if data.len() as u64 > limit {
        return Err(PartError::TooLarge(data.len() as u64));
    }
    let is_xml = name.ends_with(".xml") || name.ends_with(".rels");
    if is_xml && data.starts_with(&[0xEF, 0xBB, 0xBF]) {
        data.drain(..3);
    }
    Ok(Some(data))
}

/// `base` + `target` with "." and ".." segments resolved; absolute targets start at the root.
pub(crate) fn join_path(base: &str, target: &str) -> String {
    let target = target.replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    if !target.starts_with('/') {
        parts.extend(base.split('/').filter(|s| !s.is_empty()));
    }
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

// ---------------------------------------------------------------------------------------
// Small XML helpers

pub(crate) fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// Resolves the predefined and numeric entities of XML text; invalid UTF-8 is replaced.
pub(crate) fn unescape(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    if !s.contains('&') {
        return s.into_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest: &str = &s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match rest.find(';').filter(|&j| j <= 12) {
            Some(j) => {
                match entity(&rest[1..j]) {
                    Some(c) => out.push(c),
                    None => out.push_str(&rest[..=j]),
                }
                rest = &rest[j + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub(crate) fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code).filter(|&c| c != '\0')
        }
    }
}

/// Value of the first attribute whose local name is `name` (any prefix when `prefixed`
/// is false; only a prefixed one such as `r:id` when it is true).
pub(crate) fn attr(
    e: &quick_xml::events::BytesStart<'_>,
    name: &[u8],
    prefixed: bool,
) -> Option<String> {
    e.attributes().with_checks(false).flatten().find_map(|a| {
        let key = a.key.as_ref();
        let ok = local(key) == name && (!prefixed || key.len() > name.len());
        ok.then(|| unescape(&a.value))
    })
}

pub(crate) fn new_reader(xml: &[u8]) -> Reader<&[u8]> {
    let mut reader = Reader::from_reader(xml);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = true;
    reader
}

/// Text of an event inside an element, or None for other events.
pub(crate) fn event_text(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Text(t) => Some(unescape(t.as_ref())),
        Event::CData(t) => Some(String::from_utf8_lossy(t.as_ref()).into_owned()),
        Event::GeneralRef(r) => {
            let name = String::from_utf8_lossy(r.as_ref());
            Some(match entity(&name) {
                Some(c) => c.to_string(),
                None => format!("&{name};"),
            })
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Relationships, styles, core properties

pub(crate) struct Rel {
    pub(crate) kind: String,
    /// Zip path of the target (resolved against the source part's folder).
    pub(crate) target: String,
    pub(crate) external: bool,
}

pub(crate) fn parse_rels(xml: &[u8], base_dir: &str) -> HashMap<String, Rel> {
    let mut rels = HashMap::new();
    let mut reader = new_reader(xml);
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) if local(e.name().as_ref()) == b"Relationship" => {
                let (Some(id), Some(target)) = (attr(&e, b"Id", false), attr(&e, b"Target", false))
                else {
                    continue;
                };
                let external = attr(&e, b"TargetMode", false).is_some_and(|m| m == "External");
                let kind = attr(&e, b"Type", false).unwrap_or_default();
                let target = if external {
                    target
                } else {
                    join_path(base_dir, &target)
                };
                rels.entry(id).or_insert(Rel {
                    kind,
                    target,
                    external,
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    rels
}

#[derive(Default)]
pub(crate) struct StyleInfo {
    name: String,
    based_on: Option<String>,
    outline: Option<u8>,
}

#[derive(Default)]
pub(crate) struct Styles {
    by_id: HashMap<String, StyleInfo>,
}

/// "heading 2", "Heading2", "标题 2", "标题2" → 2.
pub(crate) fn heading_number(name: &str) -> Option<u8> {
    let lower = name.trim().to_lowercase();
    let rest = lower
        .strip_prefix("heading")
        .or_else(|| lower.strip_prefix("标题"))?;
    let n: u8 = rest.trim().parse().ok()?;
    (1..=9).contains(&n).then_some(n)
}

impl Styles {
    pub(crate) fn heading_level(&self, id: &str) -> Option<u8> {
        let mut id = id.to_string();
        for _ in 0..16 {
            let Some(info) = self.by_id.get(&id) else {
                return heading_number(&id);
            };
            if let Some(n) = heading_number(&info.name).or_else(|| heading_number(&id)) {
                return Some(n);
            }
            if let Some(o) = info.outline {
                return (o < 9).then_some(o + 1);
            }
            id = info.based_on.clone()?;
        }
        None
    }
}

pub(crate) fn parse_styles(xml: &[u8]) -> Styles {
    let mut styles = Styles::default();
    let mut reader = new_reader(xml);
    let mut current: Option<(String, StyleInfo)> = None;
    let mut in_ppr = false;
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) => match local(e.name().as_ref()) {
                b"style" => {
                    let is_para = attr(&e, b"type", false).is_none_or(|t| t == "paragraph");
                    current = match (is_para, attr(&e, b"styleId", false)) {
                        (true, Some(id)) => Some((id, StyleInfo::default())),
                        _ => None,
                    };
                }
                b"pPr" => in_ppr = true,
                b"name" => {
                    if let Some((_, info)) = current.as_mut() {
                        info.name = attr(&e, b"val", false).unwrap_or_default();
                    }
                }
                b"basedOn" => {
                    if let Some((_, info)) = current.as_mut() {
                        info.based_on = attr(&e, b"val", false);
                    }
                }
                b"outlineLvl" if in_ppr => {
                    if let Some((_, info)) = current.as_mut() {
                        info.outline = attr(&e, b"val", false).and_then(|v| v.trim().parse().ok());
                    }
                }
                _ => {}
            },
            Event::End(e) => match local(e.name().as_ref()) {
                b"style" => {
                    if let Some((id, info)) = current.take() {
                        styles.by_id.entry(id).or_insert(info);
                    }
                }
                b"pPr" => in_ppr = false,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    styles
}

pub(crate) fn parse_core_title(xml: &[u8]) -> Option<String> {
    let mut reader = new_reader(xml);
    let mut in_title = false;
    let mut title = String::new();
    while let Ok(event) = reader.read_event() {
        match &event {
            Event::Start(e) if local(e.name().as_ref()) == b"title" => in_title = true,
            Event::End(e) if local(e.name().as_ref()) == b"title" => break,
            Event::Eof => break,
            ev if in_title => {
                if let Some(t) = event_text(ev) {
                    title.push_str(&t);
                }
            }
            _ => {}
        }
    }
    let title = title.trim();
    (!title.is_empty()).then(|| title.to_string())
}
