//! A lesson's ```` ```metrics ```` table, read from the run on show: the
//! designs side by side, one row each, on the same seeded traffic.

use lockstep_lessons::lesson::table::{cell, MetricsTable};
use lockstep_sim::trace::Trace;
use yew::prelude::*;

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
                            { for table.rows.iter().zip(values).map(|(row, cells)| html! {
                                <tr>
                                    <th scope="row">{ row }</th>
                                    { for table.columns.iter().zip(cells).map(|(c, v)| html! {
                                        <td>{ cell(v, &c.unit) }</td>
                                    }) }
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            } else {
                <p class="metrics-wait">{ "The table fills in when the run arrives." }</p>
            }
        </figure>
    }
}
