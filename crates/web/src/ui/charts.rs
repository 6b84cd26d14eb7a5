//! The run's charts as SVG (which charts, and their numbers, come from
//! [`crate::learn::charts`]): bars per window or a dot per sample, a limit
//! line, shaded busy spans, and the time of the step on show.

use yew::prelude::*;

use crate::lab::picture::scale::duration_label;
use crate::learn::charts::{Chart, Style};

const W: f64 = 600.0;
const H: f64 = 170.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 22.0;

/// Every chart of the run, or nothing when the run calls for none.
pub fn view_charts(charts: &[Chart], now_ms: Option<f64>) -> Html {
    if charts.is_empty() {
        return html! {};
    }
    html! {
        <section class="run-charts" aria-label="Charts of the run" data-testid="charts">
            { for charts.iter().map(|c| view_chart(c, now_ms)) }
        </section>
    }
}

fn view_chart(chart: &Chart, now_ms: Option<f64>) -> Html {
    let top = chart.top() * 1.1;
    let x = |t_ms: f64| LEFT + (W - LEFT - RIGHT) * (t_ms / chart.span_ms).clamp(0.0, 1.0);
    let y = |v: f64| H - BOTTOM - (H - TOP - BOTTOM) * (v / top);
    let bars = chart
        .series
        .iter()
        .filter(|_| chart.style == Style::Bars)
        .count()
        .max(1) as f64;
    let window_px = (x(chart.window_ms) - x(0.0)).max(1.0);
    let bar_w = (window_px * 0.8 / bars).max(1.0);
    // Round times about a quarter of the run apart.
    let tick_step = crate::learn::charts::window_for(chart.span_ms * 6.0);
    let ticks: Vec<f64> = (0..)
        .map(|k| k as f64 * tick_step)
        .take_while(|t| *t <= chart.span_ms)
        .collect();
    html! {
        <figure class="run-chart" data-testid={format!("chart-{}", chart.id)}>
            <figcaption>
                <strong>{ &chart.title }</strong>
                <span class="chart-unit">{ format!("({})", chart.unit) }</span>
                <span class="chart-legend">
                    { for chart.series.iter().map(|s| html! {
                        <span class={classes!("chart-key", s.class)} title={s.query.clone()}>{ &s.name }</span>
                    }) }
                </span>
            </figcaption>
            <svg class="chart-svg" viewBox={format!("0 0 {W} {H}")} role="img"
                 aria-label={format!("{}: {}", chart.title, chart.series.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "))}>
                { for chart.shades.iter().map(|&(s, e)| html! {
                    <rect class="chart-shade" x={x(s).to_string()} y={TOP.to_string()}
                          width={(x(e) - x(s)).max(1.0).to_string()} height={(H - TOP - BOTTOM).to_string()}>
                        <title>{ format!("node busy with a script {} \u{2192} {}", duration_label(s), duration_label(e)) }</title>
                    </rect>
                }) }
                <line class="chart-axis" x1={LEFT.to_string()} x2={(W - RIGHT).to_string()}
                      y1={(H - BOTTOM).to_string()} y2={(H - BOTTOM).to_string()} />
                <line class="chart-axis" x1={LEFT.to_string()} x2={LEFT.to_string()}
                      y1={TOP.to_string()} y2={(H - BOTTOM).to_string()} />
                <text class="chart-y" x={(LEFT - 4.0).to_string()} y={(y(top / 1.1) + 4.0).to_string()}>{ number((top / 1.1).round()) }</text>
                <text class="chart-y" x={(LEFT - 4.0).to_string()} y={(H - BOTTOM).to_string()}>{ "0" }</text>
                { for ticks.iter().map(|&t| html! {
                    <text class="chart-x" x={x(t).to_string()} y={(H - 6.0).to_string()}>{ duration_label(t) }</text>
                }) }
                { for chart.series.iter().enumerate().map(|(k, s)| html! {
                    <g class={classes!("chart-series", s.class)} data-series={s.name.clone()}
                       data-total={number(s.points.iter().map(|p| p.value).sum::<f64>())}>
                        { for s.points.iter().map(|p| match chart.style {
                            Style::Bars => html! {
                                <rect x={(x(p.t_ms) + window_px * 0.1 + bar_w * k as f64).to_string()}
                                      y={y(p.value).to_string()} width={bar_w.to_string()}
                                      height={(H - BOTTOM - y(p.value)).max(0.0).to_string()}>
                                    <title>{ format!("{} at {}: {}", s.name, duration_label(p.t_ms), number(p.value)) }</title>
                                </rect>
                            },
                            Style::Dots => html! {
                                <circle cx={x(p.t_ms).to_string()} cy={y(p.value).to_string()} r="3">
                                    <title>{ format!("{} ms at {}", number(p.value), duration_label(p.t_ms)) }</title>
                                </circle>
                            },
                        }) }
                    </g>
                }) }
                if let Some((limit, label)) = &chart.limit {
                    <g class="chart-limit">
                        <line x1={LEFT.to_string()} x2={(W - RIGHT).to_string()}
                              y1={y(*limit).to_string()} y2={y(*limit).to_string()} />
                        <text x={(W - RIGHT - 2.0).to_string()} y={(y(*limit) - 3.0).to_string()}>{ label }</text>
                    </g>
                }
                if let Some(now) = now_ms {
                    <line class="chart-now" x1={x(now).to_string()} x2={x(now).to_string()}
                          y1={TOP.to_string()} y2={(H - BOTTOM).to_string()} />
                }
            </svg>
        </figure>
    }
}

fn number(v: f64) -> String {
    lockstep_sim::metric::number(v)
}
