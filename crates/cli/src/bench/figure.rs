//! One measured figure beside its reference, and the table they make.
//!
//! Every figure is a ratio against a reference measured in the same run on
//! the same machine, so a busy machine slows both sides and the ratio still
//! means something. A ratio is always "times as good as the reference":
//! above 1 we are faster (or smaller), below 1 slower.

use serde_json::{json, Value};

/// What a figure should reach to meet the project's target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// The ratio must be at least this.
    RatioAtLeast(f64),
    /// Our own value must be at most this (in the figure's unit).
    AtMost(f64),
    /// Our own value must be at least this (in the figure's unit).
    AtLeast(f64),
}

impl Target {
    fn describe(self, unit: &str) -> String {
        match self {
            Target::RatioAtLeast(r) => format!("≥ {r}×"),
            Target::AtMost(v) => format!("≤ {} {unit}", number(v)),
            Target::AtLeast(v) => format!("≥ {} {unit}", number(v)),
        }
    }

    fn met(self, ours: f64, ratio: f64) -> bool {
        match self {
            Target::RatioAtLeast(r) => ratio >= r,
            Target::AtMost(v) => ours <= v,
            Target::AtLeast(v) => ours >= v,
        }
    }
}

/// Whether a bigger or a smaller value is better, which decides how the
/// ratio is formed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Better {
    Higher,
    Lower,
}

/// One line of the table.
#[derive(Clone, Debug)]
pub struct Figure {
    /// The group it belongs to (`--only` selects groups).
    pub group: &'static str,
    /// What was measured, unique in a run (the regression check matches on it).
    pub name: String,
    pub unit: &'static str,
    pub better: Better,
    pub ours: f64,
    /// What the reference is, e.g. "redis-server -P 64".
    pub reference_name: String,
    pub reference: f64,
    /// The reference's unit when it is not `unit` (a machine-speed
    /// reference for figures nothing else compares with).
    pub reference_unit: Option<&'static str>,
    pub target: Option<Target>,
}

impl Figure {
    /// Times as good as the reference (above 1: better than it).
    pub fn ratio(&self) -> f64 {
        if self.ours <= 0.0 || self.reference <= 0.0 {
            return 0.0;
        }
        match self.better {
            Better::Higher => self.ours / self.reference,
            Better::Lower => self.reference / self.ours,
        }
    }

    pub fn met(&self) -> Option<bool> {
        self.target.map(|t| t.met(self.ours, self.ratio()))
    }

    pub fn to_json(&self) -> Value {
        json!({
            "group": self.group,
            "name": self.name,
            "unit": self.unit,
            "ours": self.ours,
            "reference_name": self.reference_name,
            "reference": self.reference,
            "reference_unit": self.reference_unit.unwrap_or(self.unit),
            "ratio": self.ratio(),
            "target": self.target.map(|t| t.describe(self.unit)),
            "met": self.met(),
        })
    }
}

/// Formats a number for the table: thousands separated, few decimals.
pub fn number(value: f64) -> String {
    if value.abs() >= 1000.0 {
        let whole = value.round() as i64;
        let digits = whole.abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if whole < 0 {
            grouped.insert(0, '-');
        }
        grouped
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

/// The table's rows as cells: figure, ours, reference, ratio, target, met?
fn cells(figure: &Figure) -> [String; 6] {
    [
        figure.name.clone(),
        format!("{} {}", number(figure.ours), figure.unit),
        format!(
            "{} {} ({})",
            number(figure.reference),
            figure.reference_unit.unwrap_or(figure.unit),
            figure.reference_name
        ),
        format!("{:.2}×", figure.ratio()),
        figure
            .target
            .map(|t| t.describe(figure.unit))
            .unwrap_or_else(|| "—".into()),
        match figure.met() {
            Some(true) => "yes".into(),
            Some(false) => "NO".into(),
            None => "—".into(),
        },
    ]
}

const HEADER: [&str; 6] = ["figure", "ours", "reference", "ratio", "target", "met?"];

/// The table for a terminal, columns aligned.
pub fn text_table(figures: &[Figure]) -> String {
    let rows: Vec<[String; 6]> = figures.iter().map(cells).collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |row: &[String]| {
        let mut out = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            let pad = width - cell.chars().count();
            // Numbers read best right-aligned, names left-aligned.
            if i == 0 || i == 2 || i == 4 {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            }
            out.push_str("  ");
        }
        out.trim_end().to_string()
    };
    let mut out = line(&HEADER.map(String::from));
    out.push('\n');
    for row in &rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    out
}

/// The table in Markdown.
pub fn markdown_table(figures: &[Figure]) -> String {
    let mut out = format!("| {} |\n", HEADER.join(" | "));
    out.push_str("| --- | ---: | --- | ---: | --- | --- |\n");
    for figure in figures {
        out.push_str(&format!("| {} |\n", cells(figure).join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(ours: f64, reference: f64, better: Better, target: Option<Target>) -> Figure {
        Figure {
            group: "test",
            name: "x".into(),
            unit: "ops/s",
            better,
            ours,
            reference_name: "ref".into(),
            reference,
            reference_unit: None,
            target,
        }
    }

    #[test]
    fn ratio_says_how_many_times_as_good_either_way() {
        assert_eq!(figure(50.0, 100.0, Better::Higher, None).ratio(), 0.5);
        assert_eq!(figure(50.0, 100.0, Better::Lower, None).ratio(), 2.0);
        assert_eq!(figure(0.0, 100.0, Better::Higher, None).ratio(), 0.0);
    }

    #[test]
    fn targets_judge_the_ratio_or_our_own_value() {
        let ratio = Some(Target::RatioAtLeast(0.8));
        assert_eq!(figure(80.0, 100.0, Better::Higher, ratio).met(), Some(true));
        assert_eq!(
            figure(79.0, 100.0, Better::Higher, ratio).met(),
            Some(false)
        );
        let at_most = Some(Target::AtMost(2.0));
        assert_eq!(figure(1.9, 1.0, Better::Lower, at_most).met(), Some(true));
        assert_eq!(figure(2.1, 1.0, Better::Lower, at_most).met(), Some(false));
        assert_eq!(figure(1.0, 1.0, Better::Lower, None).met(), None);
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(number(1_234_567.4), "1,234,567");
        assert_eq!(number(-1234.0), "-1,234");
        assert_eq!(number(12.34), "12.3");
        assert_eq!(number(0.5), "0.500");
    }

    #[test]
    fn tables_have_one_row_per_figure_under_the_header() {
        let figures = vec![figure(1.0, 2.0, Better::Higher, None); 3];
        assert_eq!(text_table(&figures).lines().count(), 4);
        let markdown = markdown_table(&figures);
        assert_eq!(markdown.lines().count(), 5);
        assert!(markdown.starts_with("| figure | ours |"));
    }
}
