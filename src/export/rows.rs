//! What every export writer receives: a fixed list of typed columns, then rows of cells,
//! one row at a time (nothing is held beyond the row a writer buffers itself).

/// A column's type, which decides its parquet type and how CSV and JSON print it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    /// A value as the report prints it: a whole number or a decimal (table 二's amounts).
    /// CSV and JSON print it as stored (`348`, `214.3`); parquet stores it as a double,
    /// which holds every whole number below 2^53 exactly.
    Number,
    Float,
    Text,
    Bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

impl Column {
    pub fn new(name: impl Into<String>, kind: Kind) -> Column {
        Column {
            name: name.into(),
            kind,
        }
    }
}

/// One cell. Writers take the column's [`Kind`] as the type; a `Number` column holds
/// `Int` or `Float` cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
}

impl Cell {
    /// A stored value's text (`report_values.value_text`) as a number: whole numbers as
    /// integers, decimals as floats. `None` when it is no number, which only a damaged
    /// database holds: the caller says so rather than guessing one.
    pub fn number(text: &str) -> Option<Cell> {
        let t = text.trim();
        if let Ok(i) = t.parse::<i64>() {
            return Some(Cell::Int(i));
        }
        t.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Cell::Float)
    }

    pub fn text(s: Option<String>) -> Cell {
        s.map(Cell::Text).unwrap_or(Cell::Null)
    }
}

/// Where rows go: CSV, JSON Lines or parquet.
pub trait RowWriter {
    fn write_row(&mut self, row: &[Cell]) -> anyhow::Result<()>;
    /// Writes what is buffered and the file's footer; the output is complete after it.
    fn finish(self: Box<Self>) -> anyhow::Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_value_texts_are_numbers() {
        assert_eq!(Cell::number("348"), Some(Cell::Int(348)));
        assert_eq!(Cell::number("-3"), Some(Cell::Int(-3)));
        assert_eq!(Cell::number("214.3"), Some(Cell::Float(214.3)));
        assert_eq!(Cell::number("七"), None);
        assert_eq!(Cell::number("inf"), None);
    }
}
