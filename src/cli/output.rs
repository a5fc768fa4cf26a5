//! How client commands print records: an aligned table for people, JSON for
//! programs, CSV for spreadsheets. Tables are aligned by display width, so a
//! column of Japanese names (two cells per character) lines up with its header.

use unicode_width::UnicodeWidthChar;

use super::CliError;

/// The output format of a command that prints records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// A readable table, aligned by display width.
    #[default]
    Table,
    /// JSON: an array of objects (or one object for a single record).
    Json,
    /// CSV, UTF-8 with a byte-order mark so spreadsheets show Japanese.
    Csv,
}

/// A column of a [`Records`] table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Its header.
    pub name: &'static str,
    /// Numbers are right-aligned.
    pub numeric: bool,
}

/// A text column.
pub const fn text(name: &'static str) -> Column {
    Column { name, numeric: false }
}

/// A number column.
pub const fn number(name: &'static str) -> Column {
    Column { name, numeric: true }
}

/// Rows to print in any [`OutputFormat`]: each row has its cells (for the table
/// and CSV) and its JSON object (every field, not only the columns).
#[derive(Debug, Default)]
pub struct Records {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
    objects: Vec<serde_json::Value>,
}

impl Records {
    /// An empty set with these columns.
    pub fn new(columns: &[Column]) -> Self {
        Self {
            columns: columns.to_vec(),
            ..Self::default()
        }
    }

    /// Adds a row: its cells, in column order, and its JSON form.
    pub fn push(&mut self, cells: Vec<String>, object: serde_json::Value) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(cells);
        self.objects.push(object);
    }

    /// Prints the records to stdout.
    pub fn print(&self, format: OutputFormat) -> Result<(), CliError> {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        self.write(format, &mut out)
    }

    /// Writes the records in `format`.
    pub fn write(&self, format: OutputFormat, out: &mut impl std::io::Write) -> Result<(), CliError> {
        let io = |e: std::io::Error| CliError::Client(format!("writing the output: {e}"));
        match format {
            OutputFormat::Table => out.write_all(self.table().as_bytes()).map_err(io),
            OutputFormat::Json => {
                let text = serde_json::to_string_pretty(&self.objects).unwrap_or_default();
                writeln!(out, "{text}").map_err(io)
            }
            OutputFormat::Csv => {
                out.write_all("\u{feff}".as_bytes()).map_err(io)?;
                let mut writer = csv::Writer::from_writer(out);
                let csv_error = |e: csv::Error| CliError::Client(format!("writing CSV: {e}"));
                writer
                    .write_record(self.columns.iter().map(|c| c.name))
                    .map_err(csv_error)?;
                for row in &self.rows {
                    writer.write_record(row).map_err(csv_error)?;
                }
                writer.flush().map_err(io)
            }
        }
    }

    /// The table as text: a header line and one line per row, columns two
    /// spaces apart, the last column not padded.
    pub fn table(&self) -> String {
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| {
                self.rows
                    .iter()
                    .map(|row| display_width(&row[i]))
                    .chain([display_width(column.name)])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut text = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| c.name.to_owned()).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let last = self.columns.len().saturating_sub(1);
            let mut line = String::new();
            for (i, (cell, column)) in row.iter().zip(&self.columns).enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                let padding = " ".repeat(widths[i].saturating_sub(display_width(cell)));
                if column.numeric {
                    line.push_str(&padding);
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    if i < last {
                        line.push_str(&padding);
                    }
                }
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }
}

/// Terminal cells `text` takes: East Asian wide characters take two. Control
/// characters (a tab or newline in a reason) are shown as one space each.
pub fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| if c.is_control() { 1 } else { c.width().unwrap_or(0) })
        .sum()
}

/// A cell's text with line breaks and tabs turned into spaces, so one record is one line.
pub fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Records {
        let mut records = Records::new(&[number("rank"), text("name"), number("score"), text("reason")]);
        records.push(
            vec!["1".into(), "飛鳥井 しおり".into(), "0.812".into(), "skills".into()],
            serde_json::json!({"rank": 1}),
        );
        records.push(
            vec!["10".into(), "Aiko Tanaka".into(), "0.5".into(), "経験".into()],
            serde_json::json!({"rank": 10}),
        );
        records
    }

    #[test]
    fn japanese_cells_take_two_columns_and_every_column_lines_up() {
        assert_eq!(display_width("飛鳥井 しおり"), 13);
        assert_eq!(display_width("Aiko"), 4);
        let table = sample().table();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        // The score column ends at the same display column on every line.
        let score_end = |line: &str| {
            let before_reason = line.rsplit_once("  ").map(|(head, _)| head).unwrap();
            display_width(before_reason)
        };
        assert_eq!(score_end(lines[0]), score_end(lines[1]), "{table}");
        assert_eq!(score_end(lines[1]), score_end(lines[2]), "{table}");
        assert!(lines[1].starts_with("   1  飛鳥井 しおり  0.812"), "{table}");
        assert!(lines[2].starts_with("  10  Aiko Tanaka      0.5"), "{table}");
    }

    #[test]
    fn csv_has_a_byte_order_mark_and_json_every_object() {
        let mut csv = Vec::new();
        sample().write(OutputFormat::Csv, &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert!(
            csv.starts_with("\u{feff}rank,name,score,reason\n1,飛鳥井 しおり,0.812,skills\n"),
            "{csv}"
        );
        let mut json = Vec::new();
        sample().write(OutputFormat::Json, &mut json).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(parsed[1]["rank"], 10);
    }

    #[test]
    fn control_characters_do_not_break_a_line() {
        assert_eq!(one_line("a\nb\tc"), "a b c");
        assert_eq!(display_width("a\tb"), 3);
    }
}
