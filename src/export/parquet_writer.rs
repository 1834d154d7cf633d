//! Parquet through the `parquet` crate's column writer (no arrow): rows are gathered
//! column by column into row groups of a bounded number of cells, each written and
//! dropped when full, so memory stays flat whatever the number of rows. Every column is
//! OPTIONAL (none is null); texts are UTF-8 strings, `Number` values doubles, Snappy
//! compressed: pandas, Polars, DuckDB, R's arrow and Spark read it as it is.

use super::rows::{Cell, Column, Kind, RowWriter};
use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use std::io::Write;
use std::sync::Arc;

/// Cells gathered before a row group is written: a few tens of MB of strings at most.
const ROW_GROUP_CELLS: usize = 1 << 19;

enum Buffer {
    Int(Vec<i64>),
    Double(Vec<f64>),
    Text(Vec<ByteArray>),
    Bool(Vec<bool>),
}

struct ColumnBuffer {
    name: String,
    values: Buffer,
    /// Definition levels: 1 where the row has a value, 0 where it is null.
    defs: Vec<i16>,
}

pub struct ParquetWriter<W: Write + Send> {
    out: SerializedFileWriter<W>,
    columns: Vec<ColumnBuffer>,
    rows_per_group: usize,
    rows: usize,
}

impl<W: Write + Send> ParquetWriter<W> {
    pub fn new(out: W, columns: &[Column]) -> anyhow::Result<ParquetWriter<W>> {
        let mut fields = Vec::with_capacity(columns.len());
        for c in columns {
            let (physical, logical) = match c.kind {
                Kind::Int => (PhysicalType::INT64, None),
                Kind::Number | Kind::Float => (PhysicalType::DOUBLE, None),
                Kind::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
                Kind::Bool => (PhysicalType::BOOLEAN, None),
            };
            fields.push(Arc::new(
                Type::primitive_type_builder(&c.name, physical)
                    .with_repetition(Repetition::OPTIONAL)
                    .with_logical_type(logical)
                    .build()?,
            ));
        }
        let schema = Arc::new(
            Type::group_type_builder("nianbao")
                .with_fields(fields)
                .build()?,
        );
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("nianbao {}", env!("CARGO_PKG_VERSION")))
            .build();
        let rows_per_group = (ROW_GROUP_CELLS / columns.len().max(1)).clamp(1024, 65536);
        Ok(ParquetWriter {
            out: SerializedFileWriter::new(out, schema, Arc::new(props))?,
            columns: columns
                .iter()
                .map(|c| ColumnBuffer {
                    name: c.name.clone(),
                    values: match c.kind {
                        Kind::Int => Buffer::Int(Vec::new()),
                        Kind::Number | Kind::Float => Buffer::Double(Vec::new()),
                        Kind::Text => Buffer::Text(Vec::new()),
                        Kind::Bool => Buffer::Bool(Vec::new()),
                    },
                    defs: Vec::new(),
                })
                .collect(),
            rows_per_group,
            rows: 0,
        })
    }

    /// Writes the gathered rows as one row group and empties the buffers.
    fn flush_group(&mut self) -> anyhow::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut group = self.out.next_row_group()?;
        for c in &mut self.columns {
            let mut w = group
                .next_column()?
                .ok_or_else(|| anyhow::anyhow!("parquet: no column for {}", c.name))?;
            let defs = Some(c.defs.as_slice());
            match &mut c.values {
                Buffer::Int(v) => {
                    w.typed::<Int64Type>().write_batch(v, defs, None)?;
                    v.clear();
                }
                Buffer::Double(v) => {
                    w.typed::<DoubleType>().write_batch(v, defs, None)?;
                    v.clear();
                }
                Buffer::Text(v) => {
                    w.typed::<ByteArrayType>().write_batch(v, defs, None)?;
                    v.clear();
                }
                Buffer::Bool(v) => {
                    w.typed::<BoolType>().write_batch(v, defs, None)?;
                    v.clear();
                }
            }
            c.defs.clear();
            w.close()?;
        }
        group.close()?;
        self.rows = 0;
        Ok(())
    }
}

impl<W: Write + Send> RowWriter for ParquetWriter<W> {
    fn write_row(&mut self, row: &[Cell]) -> anyhow::Result<()> {
        if row.len() != self.columns.len() {
            anyhow::bail!(
                "parquet: a row of {} cells for {} columns",
                row.len(),
                self.columns.len()
            );
        }
        for (c, cell) in self.columns.iter_mut().zip(row) {
            let present = match (&mut c.values, cell) {
                (_, Cell::Null) => false,
                (Buffer::Int(v), Cell::Int(i)) => {
                    v.push(*i);
                    true
                }
                (Buffer::Double(v), Cell::Float(f)) => {
                    v.push(*f);
                    true
                }
                (Buffer::Double(v), Cell::Int(i)) => {
                    v.push(*i as f64);
                    true
                }
                (Buffer::Text(v), Cell::Text(t)) => {
                    v.push(ByteArray::from(t.as_str()));
                    true
                }
                (Buffer::Bool(v), Cell::Bool(b)) => {
                    v.push(*b);
                    true
                }
                (_, other) => anyhow::bail!(
                    "parquet: column {} cannot hold {other:?} (a damaged database?)",
                    c.name
                ),
            };
            c.defs.push(i16::from(present));
        }
        self.rows += 1;
        if self.rows >= self.rows_per_group {
            self.flush_group()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> anyhow::Result<()> {
        self.flush_group()?;
        let mut out = self.out.into_inner()?;
        out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::RowAccessor;

    #[test]
    fn rows_read_back_with_their_types_and_nulls() {
        let columns = [
            Column::new("agency", Kind::Text),
            Column::new("value", Kind::Number),
            Column::new("page", Kind::Int),
            Column::new("ok", Kind::Bool),
        ];
        let file = tempfile::tempfile().expect("temp file");
        let mut w = Box::new(ParquetWriter::new(&file, &columns).expect("writer"));
        // More rows than a group holds: several row groups.
        let n = 3000;
        for i in 0..n {
            w.write_row(&[
                Cell::Text(format!("坊子区水利局{i}")),
                if i % 2 == 0 {
                    Cell::Int(i)
                } else {
                    Cell::Float(0.5)
                },
                if i % 3 == 0 { Cell::Null } else { Cell::Int(i) },
                Cell::Bool(i % 5 == 0),
            ])
            .expect("row");
        }
        w.finish().expect("finish");
        let reader = SerializedFileReader::new(file).expect("reader");
        assert_eq!(reader.metadata().file_metadata().num_rows(), n);
        let rows: Vec<_> = reader
            .get_row_iter(None)
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("read");
        assert_eq!(rows[7].get_string(0).expect("agency"), "坊子区水利局7");
        assert_eq!(rows[8].get_double(1).expect("value"), 8.0);
        assert_eq!(rows[7].get_double(1).expect("value"), 0.5);
        assert!(rows[9].get_long(2).is_err(), "null page");
        assert_eq!(rows[10].get_long(2).expect("page"), 10);
        assert!(rows[2995].get_bool(3).expect("ok"));
    }
}
