//! Test support: reads the committed golden CSV files in `tests/golden/` (shared with Python).

use std::collections::HashMap;
use std::path::PathBuf;

/// One CSV row, addressed by column name.
pub struct Row {
    fields: HashMap<String, String>,
}

impl Row {
    /// A column as text.
    pub fn text(&self, column: &str) -> &str {
        self.fields.get(column).unwrap_or_else(|| panic!("golden file has no column {column}"))
    }

    /// A column as a double (`inf`, `-inf` and `nan` allowed).
    pub fn num(&self, column: &str) -> f64 {
        let text = self.text(column);
        text.parse().unwrap_or_else(|_| panic!("column {column}: {text:?} is not a number"))
    }
}

/// All rows of `tests/golden/<name>`.
pub fn read_golden(name: &str) -> Vec<Row> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("empty golden file").split(',').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|line| Row {
            fields: header.iter().map(|h| h.to_string()).zip(line.split(',').map(str::to_string)).collect(),
        })
        .collect()
}
