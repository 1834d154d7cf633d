//! What a run does with a document the database holds already (same content sha256): it
//! is not extracted again, but its stored record goes to `--jsonl` with this run's path,
//! a partial or failed one is still counted and listed (`--errors`), and its path joins
//! the report's sources when the batch is written.

use super::Summary;
use crate::record::Status;
use crate::sinks::{ErrorsSink, JsonlSink, Sink};

/// Re-emits the stored document `sha256` met at `path`. A JSONL write that fails is
/// handed to `jsonl_failed`; an errors-file write that fails is returned.
pub(super) fn reemit_stored(
    sink: &mut dyn Sink,
    sha256: &str,
    path: &str,
    jsonl: Option<&mut JsonlSink>,
    errors_out: Option<&mut ErrorsSink>,
    summary: &mut Summary,
    jsonl_failed: &mut dyn FnMut(std::io::Error, usize, &mut Summary),
) -> anyhow::Result<()> {
    if let Some(j) = jsonl.filter(|j| j.closed().is_none()) {
        if let Ok(Some(json)) = sink.record_json(sha256, path) {
            if let Err(e) = j.write_raw(&json) {
                jsonl_failed(e, j.written(), summary);
            }
        }
    }
    // A partial document stored by an earlier run is still partial.
    if let Ok(Some((status, errors))) = sink.stored_problems(sha256) {
        summary.skipped_partial += usize::from(status == Status::Partial);
        summary.outcomes.add(status, path, &errors);
        if let Some(out) = errors_out {
            out.write(path, sha256, status, &errors)
                .map_err(|e| anyhow::anyhow!("writing the errors file: {e}"))?;
        }
    }
    Ok(())
}
