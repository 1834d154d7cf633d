//! CSV as Excel and every CSV reader open it: RFC 4180 (fields with a comma, a quote or a
//! line break quoted, quotes doubled, CRLF line ends), UTF-8, and with `--bom` the
//! byte-order mark without which Chinese Excel reads the file as GBK.

use super::rows::{Cell, Column, RowWriter};
use std::io::Write;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

pub struct CsvWriter<W: Write> {
    out: csv::Writer<W>,
    /// The record being made, reused row after row.
    fields: Vec<String>,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the BOM (when asked) and the header row.
    pub fn new(mut out: W, columns: &[Column], bom: bool) -> anyhow::Result<CsvWriter<W>> {
        if bom {
            out.write_all(UTF8_BOM)?;
        }
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        out.write_record(columns.iter().map(|c| c.name.as_str()))?;
        Ok(CsvWriter {
            out,
            fields: Vec::with_capacity(columns.len()),
        })
    }
}

/// A cell as CSV text: empty for none, numbers as stored, booleans as true/false.
fn field(cell: &Cell, into: &mut String) {
    use std::fmt::Write as _;
    into.clear();
    let _ = match cell {
        Cell::Null => Ok(()),
        Cell::Int(i) => write!(into, "{i}"),
        Cell::Float(f) => write!(into, "{f}"),
        Cell::Text(t) => {
            into.push_str(t);
            Ok(())
        }
        Cell::Bool(b) => write!(into, "{b}"),
    };
}

impl<W: Write> RowWriter for CsvWriter<W> {
    fn write_row(&mut self, row: &[Cell]) -> anyhow::Result<()> {
        self.fields.resize(row.len(), String::new());
        for (cell, f) in row.iter().zip(self.fields.iter_mut()) {
            field(cell, f);
        }
        self.out.write_record(&self.fields)?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> anyhow::Result<()> {
        let mut inner = self
            .out
            .into_inner()
            .map_err(|e| anyhow::Error::new(e.into_error()))?;
        inner.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::rows::Kind;

    #[test]
    fn quotes_as_rfc_4180_and_starts_with_the_bom() {
        let columns = [
            Column::new("agency", Kind::Text),
            Column::new("n", Kind::Int),
        ];
        let mut buf = Vec::new();
        let mut w = Box::new(CsvWriter::new(&mut buf, &columns, true).expect("writer"));
        w.write_row(&[Cell::Text("某局, \"办公室\"\n二楼".into()), Cell::Int(7)])
            .expect("row");
        w.write_row(&[Cell::Null, Cell::Float(214.3)]).expect("row");
        w.finish().expect("finish");
        assert_eq!(
            String::from_utf8(buf).expect("utf-8"),
            "\u{feff}agency,n\r\n\"某局, \"\"办公室\"\"\n二楼\",7\r\n,214.3\r\n"
        );
    }
}
