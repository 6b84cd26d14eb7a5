//! The chart beside a lesson's ```` ```metrics ```` table: one group of
//! bars per design (the table's rows), one bar per measure (its columns).
//! The measures have different units, so each bar is scaled to the largest
//! value in its own column: the longest bar of a colour is the design that
//! measured most, and the number at its end says how much.
//!
//! Plain Rust (laid out here, drawn by `crate::ui::metrics_table`).

/// Width of the drawing, in the SVG's own units.
pub const WIDTH: f64 = 640.0;
/// Room for the designs' names on the left.
pub const LABELS: f64 = 130.0;
/// Room for the number after the longest bar.
pub const NUMBERS: f64 = 60.0;
/// One bar's height and the gap below it.
pub const BAR: f64 = 10.0;
pub const GAP: f64 = 3.0;
/// Space between two designs.
pub const GROUP_GAP: f64 = 12.0;

/// One bar, placed.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub row: usize,
    pub column: usize,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub value: f64,
}

/// The chart's bars and the vertical place of each design's name.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub bars: Vec<Bar>,
    /// The middle of each design's group, for its label.
    pub row_labels: Vec<f64>,
    pub height: f64,
}

/// Lays out `values[row][column]`; a missing or negative value has no bar
/// (its place is kept, so the colours line up from group to group).
pub fn layout(values: &[Vec<Option<f64>>]) -> Layout {
    let columns = values.iter().map(Vec::len).max().unwrap_or(0);
    let largest: Vec<f64> = (0..columns)
        .map(|c| {
            values
                .iter()
                .filter_map(|row| row.get(c).copied().flatten())
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max)
        })
        .collect();
    let span = WIDTH - LABELS - NUMBERS;
    let group = columns as f64 * (BAR + GAP);
    let mut bars = Vec::new();
    let mut row_labels = Vec::new();
    let mut y = GROUP_GAP / 2.0;
    for (r, row) in values.iter().enumerate() {
        row_labels.push(y + group / 2.0);
        for (c, value) in row.iter().enumerate() {
            let top = y + c as f64 * (BAR + GAP);
            let Some(v) = value.filter(|v| v.is_finite() && *v >= 0.0) else {
                continue;
            };
            let width = if largest[c] > 0.0 {
                v / largest[c] * span
            } else {
                0.0
            };
            bars.push(Bar {
                row: r,
                column: c,
                x: LABELS,
                y: top,
                width,
                value: v,
            });
        }
        y += group + GROUP_GAP;
    }
    Layout {
        bars,
        row_labels,
        height: y - GROUP_GAP / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_column_is_scaled_to_its_own_largest_value() {
        let values = vec![
            vec![Some(25.0), Some(15.0), Some(10.0)],
            vec![Some(20.0), Some(20.0), Some(5.0)],
        ];
        let chart = layout(&values);
        let span = WIDTH - LABELS - NUMBERS;
        let width = |r, c| {
            chart
                .bars
                .iter()
                .find(|b| b.row == r && b.column == c)
                .map(|b| b.width)
        };
        assert_eq!(width(0, 0), Some(span));
        assert_eq!(width(1, 0), Some(span * 20.0 / 25.0));
        assert_eq!(
            width(1, 1),
            Some(span),
            "the rejected column has its own scale"
        );
        assert_eq!(width(1, 2), Some(span / 2.0));
        assert_eq!(chart.bars.len(), 6);
        assert!(chart.row_labels[1] > chart.row_labels[0]);
        assert!(chart.bars.iter().all(|b| b.y + BAR <= chart.height));
    }

    #[test]
    fn missing_values_draw_nothing_and_zero_columns_stay_flat() {
        let values = vec![vec![None, Some(0.0)], vec![Some(3.0), Some(0.0)]];
        let chart = layout(&values);
        assert_eq!(chart.bars.len(), 3, "no bar for the missing cell");
        assert!(chart
            .bars
            .iter()
            .filter(|b| b.column == 1)
            .all(|b| b.width == 0.0));
        assert!(layout(&[]).bars.is_empty());
    }
}
