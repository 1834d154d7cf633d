//! JSON Lines: one object per row, its keys in the columns' order, numbers as numbers,
//! none as `null`.

use super::rows::{Cell, Column, RowWriter};
use std::io::Write;

pub struct JsonlWriter<W: Write> {
    out: W,
    /// Each column's name as a JSON string with its colon (`"agency":`), made once.
    keys: Vec<String>,
    line: Vec<u8>,
}

impl<W: Write> JsonlWriter<W> {
    pub fn new(out: W, columns: &[Column]) -> anyhow::Result<JsonlWriter<W>> {
        let keys = columns
            .iter()
            .map(|c| Ok(format!("{}:", serde_json::to_string(&c.name)?)))
            .collect::<anyhow::Result<_>>()?;
        Ok(JsonlWriter {
            out,
            keys,
            line: Vec::new(),
        })
    }
}

impl<W: Write> RowWriter for JsonlWriter<W> {
    fn write_row(&mut self, row: &[Cell]) -> anyhow::Result<()> {
        let line = &mut self.line;
        line.clear();
        line.push(b'{');
        for (i, (key, cell)) in self.keys.iter().zip(row).enumerate() {
            if i > 0 {
                line.push(b',');
            }
            line.extend_from_slice(key.as_bytes());
            match cell {
                Cell::Null => line.extend_from_slice(b"null"),
                Cell::Int(v) => write!(line, "{v}")?,
                // Finite by construction; JSON has no NaN, so a stray one is null.
                Cell::Float(v) if v.is_finite() => write!(line, "{v}")?,
                Cell::Float(_) => line.extend_from_slice(b"null"),
                Cell::Text(t) => serde_json::to_writer(&mut *line, t)?,
                Cell::Bool(b) => write!(line, "{b}")?,
            }
        }
        line.extend_from_slice(b"}\n");
        self.out.write_all(line)?;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> anyhow::Result<()> {
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::rows::Kind;

    #[test]
    fn one_object_a_line_in_column_order() {
        let columns = [
            Column::new("key", Kind::Text),
            Column::new("value", Kind::Number),
            Column::new("ok", Kind::Bool),
            Column::new("page", Kind::Int),
        ];
        let mut buf = Vec::new();
        let mut w = Box::new(JsonlWriter::new(&mut buf, &columns).expect("writer"));
        w.write_row(&[
            Cell::Text("a\"b".into()),
            Cell::Float(214.3),
            Cell::Bool(true),
            Cell::Null,
        ])
        .expect("row");
        w.finish().expect("finish");
        assert_eq!(
            String::from_utf8(buf).expect("utf-8"),
            "{\"key\":\"a\\\"b\",\"value\":214.3,\"ok\":true,\"page\":null}\n"
        );
    }
}
