//! The pipeline fingerprint: what decides the records a run makes, in one short string
//! (`0.1.0-3fa9c2e1b0d4`): the crate version, the templates as loaded (built in or
//! `templates_dir`), the picture reader's models compiled in (digit prototypes, the
//! gazetteer), the libtesseract version and language data, and the OCR configuration.
//! Stored per run (`runs.fingerprint`; each report points at the run that made it), so
//! that `extract --reprocess-outdated` extracts again only the documents whose report
//! another pipeline made: an edited template rolls over an archive without redoing the
//! documents it already made.
//!
//! The record contract has no field for it (as for `tool_version`), so it lives in the
//! database only.

use crate::config::Config;
use crate::sinks::sink::RunInfo;
use crate::template::Templates;
use crate::version::TOOL_VERSION;
use sha2::{Digest, Sha256};

/// The digit prototypes and the gazetteer the picture reader compiles in.
const MODELS: &[(&str, &[u8])] = &[
    (
        "digits/prototypes.txt",
        include_bytes!("../models/digits/prototypes.txt"),
    ),
    (
        "gazetteer/divisions.tsv",
        include_bytes!("../models/gazetteer/divisions.tsv"),
    ),
];

/// Hex digits of the hash kept in the fingerprint (48 bits: collisions between the few
/// pipelines one archive sees are out of reach).
const HASH_HEX: usize = 12;

/// The fingerprint of a run made with `templates` and `config` by the engine `info` names.
pub fn fingerprint(templates: &Templates, config: &Config, info: &RunInfo) -> String {
    let mut h = Sha256::new();
    let mut part = |name: &str, bytes: &[u8]| {
        // Length-prefixed, so that no two sets of parts hash alike.
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part("version", TOOL_VERSION.as_bytes());
    // A template as parsed: what it says, whatever its file's comments or layout.
    let mut list: Vec<_> = templates.list.iter().collect();
    list.sort_by(|a, b| a.id.cmp(&b.id));
    for t in list {
        part(&format!("template {}", t.id), format!("{t:?}").as_bytes());
    }
    for (name, bytes) in MODELS {
        part(name, bytes);
    }
    part(
        "tesseract",
        info.tesseract_version.as_deref().unwrap_or("").as_bytes(),
    );
    part(
        "tessdata",
        info.tessdata.as_deref().unwrap_or("").as_bytes(),
    );
    part(
        "ocr.page_text",
        format!("{:?}", config.ocr.page_text).as_bytes(),
    );
    let digest = h.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{TOOL_VERSION}-{}", &hex[..HASH_HEX])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> RunInfo {
        RunInfo {
            tesseract_version: Some("5.3.0".into()),
            tessdata: Some("eng 4.00.00alpha:eng:synth20170629".into()),
            ..RunInfo::default()
        }
    }

    #[test]
    fn the_same_pipeline_has_the_same_fingerprint() {
        let t = Templates::builtin().unwrap();
        let a = fingerprint(&t, &Config::default(), &info());
        assert_eq!(a, fingerprint(&t, &Config::default(), &info()));
        assert!(a.starts_with(&format!("{TOOL_VERSION}-")), "{a}");
        assert_eq!(a.len(), TOOL_VERSION.len() + 1 + HASH_HEX);
    }

    #[test]
    fn a_template_edit_or_another_ocr_setup_changes_it() {
        let t = Templates::builtin().unwrap();
        let base = fingerprint(&t, &Config::default(), &info());

        let mut edited = t.clone();
        edited.list[0].requests.rows[0]
            .words
            .push("另一个说法".into());
        assert_ne!(base, fingerprint(&edited, &Config::default(), &info()));

        let mut other_data = info();
        other_data.tessdata = Some("eng 4.1.0".into());
        assert_ne!(base, fingerprint(&t, &Config::default(), &other_data));

        let mut all_text = Config::default();
        all_text.ocr.page_text = crate::ocr::PageText::All;
        assert_ne!(base, fingerprint(&t, &all_text, &info()));
    }
}
