//! A lesson's ```` ```metrics ```` table, read from the run on show: the
//! designs side by side, one row each, on the same seeded traffic, with
//! the same figures as bars (`crate::learn::metrics_chart`).

use lockstep_lessons::lesson::table::{cell, MetricsTable};
use lockstep_sim::trace::Trace;
use yew::prelude::*;

use crate::learn::metrics_chart::{layout, BAR, LABELS, WIDTH};

/// The table with its values, or its caption and a wait while the run
/// is on its way.
pub fn view_metrics_table(table: &MetricsTable, trace: Option<&Trace>, index: usize) -> Html {
    let values = trace.map(|t| table.values(t));
    html! {
        <figure class="metrics-table" data-testid={format!("metrics-table-{index}")}>
            <figcaption>{ &table.caption }
                if let Some(trace) = trace {
                    <span class="metrics-seed">{ format!(" (this run, seed {})", trace.seed) }</span>
                }
            </figcaption>
            if let Some(values) = values {
                <div class="metrics-scroll">
                    <table>
                        <thead>
                            <tr>
                                <th scope="col"></th>
                                { for table.columns.iter().map(|c| html! {
                                    <th scope="col" title={c.metric.clone()}>{ &c.title }</th>
                                }) }
                            </tr>
                        </thead>
                        <tbody>
                            { for table.rows.iter().zip(values.iter()).map(|(row, cells)| html! {
                                <tr>
                                    <th scope="row">{ row }</th>
                                    { for table.columns.iter().zip(cells.iter()).map(|(c, v)| html! {
                                        <td>{ cell(*v, &c.unit) }</td>
                                    }) }
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
                { view_chart(table, &values, index) }
            } else {
                <p class="metrics-wait">{ "The table fills in when the run arrives." }</p>
            }
        </figure>
    }
}

/// The table's figures as bars: a group per design, a colour per measure,
/// each measure scaled to its own largest value.
fn view_chart(table: &MetricsTable, values: &[Vec<Option<f64>>], index: usize) -> Html {
    let chart = layout(values);
    let view_box = format!("0 0 {WIDTH} {}", chart.height.max(1.0));
    html! {
        <div class="metrics-chart" data-testid={format!("metrics-chart-{index}")}>
            <p class="chart-legend">
                { for table.columns.iter().enumerate().map(|(c, column)| html! {
                    <span class={classes!("chart-key", series_class(c))}>{ &column.title }</span>
                }) }
            </p>
            <svg class="chart-svg" viewBox={view_box} role="img"
                 aria-label={format!("{}: each measure as bars, scaled to its largest value", table.caption)}>
                { for table.rows.iter().zip(&chart.row_labels).map(|(row, y)| html! {
                    <text class="chart-y" x={(LABELS - 8.0).to_string()} y={(y + 3.0).to_string()}>{ row }</text>
                }) }
                { for chart.bars.iter().map(|bar| {
                    let unit = table.columns.get(bar.column).map_or("", |c| c.unit.as_str());
                    html! {
                        <g class={classes!("chart-series", series_class(bar.column))}>
                            <rect class="metrics-bar" x={bar.x.to_string()} y={bar.y.to_string()}
                                  width={bar.width.max(0.5).to_string()} height={BAR.to_string()}
                                  data-row={bar.row.to_string()} data-column={bar.column.to_string()}
                                  data-value={bar.value.to_string()}>
                                <title>{ format!("{}: {} {}", table.rows[bar.row],
                                    table.columns.get(bar.column).map_or("", |c| c.title.as_str()),
                                    cell(Some(bar.value), unit)) }</title>
                            </rect>
                            <text x={(bar.x + bar.width + 4.0).to_string()} y={(bar.y + BAR - 1.0).to_string()}>
                                { cell(Some(bar.value), unit) }
                            </text>
                        </g>
                    }
                }) }
            </svg>
        </div>
    }
}

/// The colour of measure `column`, cycling through the chart palette.
fn series_class(column: usize) -> &'static str {
    const CLASSES: [&str; 6] = ["m0", "m1", "m2", "m3", "m4", "m5"];
    CLASSES[column % CLASSES.len()]
}
