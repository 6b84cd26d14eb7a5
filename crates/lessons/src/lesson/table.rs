//! ```` ```metrics ```` blocks: a table of measurements read from the
//! lesson's run, one row per client (or anything a metric filter names),
//! one column per metric, so a lesson can put several designs side by side
//! on the same run. Each cell is the simulator's metric language
//! (`crates/sim/SCENARIO.md`, "Metrics") with `{row}` replaced by the
//! row's name; `lockstep check` requires every cell to have a value.
//!
//! ````text
//! ```metrics
//! caption = "Five limiters, the same requests"
//! rows = ["fixed-window", "gcra"]
//! [[column]]
//! title = "allowed"
//! metric = 'count({row} outcome text="allowed")'
//! ```
//! ````

use lockstep_sim::metric::Metric;
use lockstep_sim::trace::Trace;
use serde::Deserialize;

#[derive(Clone, Debug, PartialEq)]
pub struct MetricsTable {
    /// The line of the block's opening fence.
    pub line: usize,
    pub caption: String,
    pub rows: Vec<String>,
    pub columns: Vec<Column>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub title: String,
    /// A metric with `{row}` where the row's name goes.
    pub metric: String,
    /// Shown after the number (`ms`, `per s`).
    #[serde(default)]
    pub unit: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableToml {
    caption: String,
    rows: Vec<String>,
    #[serde(rename = "column")]
    columns: Vec<Column>,
}

/// Reads a metrics block; every cell's metric must parse.
pub fn parse(text: &str, line: usize) -> Result<MetricsTable, String> {
    let t: TableToml =
        toml::from_str(text).map_err(|e| format!("metrics: {}", e.message().trim()))?;
    if t.rows.is_empty() || t.columns.is_empty() {
        return Err("metrics: a table needs at least one row and one column".into());
    }
    let table = MetricsTable {
        line,
        caption: t.caption,
        rows: t.rows,
        columns: t.columns,
    };
    for row in &table.rows {
        for column in &table.columns {
            table.metric(row, column)?;
        }
    }
    Ok(table)
}

impl MetricsTable {
    /// The cell's metric, parsed.
    pub fn metric(&self, row: &str, column: &Column) -> Result<Metric, String> {
        Metric::parse(&column.metric.replace("{row}", row))
    }

    /// Every cell's value on `trace`, row by row (`None`: nothing to
    /// measure in this run).
    pub fn values(&self, trace: &Trace) -> Vec<Vec<Option<f64>>> {
        self.rows
            .iter()
            .map(|row| {
                self.columns
                    .iter()
                    .map(|c| self.metric(row, c).ok().and_then(|m| m.value(trace)))
                    .collect()
            })
            .collect()
    }

    /// The table as text (for the terminal), columns aligned.
    pub fn render(&self, trace: &Trace) -> String {
        let mut grid = vec![std::iter::once(String::new())
            .chain(self.columns.iter().map(|c| c.title.clone()))
            .collect::<Vec<_>>()];
        for (row, values) in self.rows.iter().zip(self.values(trace)) {
            let mut line = vec![row.clone()];
            for (column, value) in self.columns.iter().zip(values) {
                line.push(cell(value, &column.unit));
            }
            grid.push(line);
        }
        let widths: Vec<usize> = (0..grid[0].len())
            .map(|i| grid.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = format!("{}\n", self.caption);
        for line in grid {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

/// A value as a cell: whole numbers without decimals, `-` for none.
pub fn cell(value: Option<f64>, unit: &str) -> String {
    match value {
        None => "-".to_string(),
        Some(v) => {
            let number = if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{}", v as i64)
            } else {
                format!("{v:.1}")
            };
            if unit.is_empty() {
                number
            } else {
                format!("{number} {unit}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_reads_its_cells_from_the_run_and_bad_metrics_are_refused() {
        let text = "caption = \"c\"\nrows = [\"client-1\", \"client-2\"]\n\
                    [[column]]\ntitle = \"sent\"\nmetric = \"count({row} send)\"\n";
        let table = parse(text, 3).unwrap();
        let scenario = crate::scenario(
            "title = \"t\"\nseed = 1\n[[node]]\nname = \"redis\"\n\
             [[client]]\nname = \"client-1\"\nprogram = 'redis.call(\"PING\") redis.call(\"PING\")'\n\
             [[client]]\nname = \"client-2\"\nprogram = 'redis.call(\"PING\")'\n",
        )
        .unwrap();
        let trace = lockstep_sim::run(&scenario, 1).unwrap();
        assert_eq!(table.values(&trace), vec![vec![Some(2.0)], vec![Some(1.0)]]);
        assert!(table.render(&trace).contains("client-1  2"));
        let bad = text.replace("count({row} send)", "nosuch({row})");
        assert!(parse(&bad, 3).unwrap_err().contains("nosuch"));
        assert!(parse("caption = \"c\"\nrows = []\n", 1).is_err());
        assert_eq!(cell(Some(2.5), "ms"), "2.5 ms");
        assert_eq!(cell(None, ""), "-");
    }
}
