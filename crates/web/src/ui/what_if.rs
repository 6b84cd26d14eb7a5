//! The "what if" panel under a lesson: the scenario's parameters as a
//! form, the lesson's own variations as one-click questions, the client
//! programs to edit, and — once the worker has run the change — both runs
//! on one time axis with their verdicts. Logic in
//! [`crate::learn::what_if`] and [`crate::learn::compare`].

use lockstep_lessons::lesson::Lesson;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::learn::compare::{Comparison, Strip, NAME_W, WIDTH};
use crate::learn::what_if::{lesson_knobs, presets, Changes, KnobKind, Panel};

/// Height of one lane in a strip, and the room above the first for the axis.
const LANE_H: f64 = 20.0;
const TOP: f64 = 18.0;

/// What the learner asks of the panel.
#[derive(Clone, Debug, PartialEq)]
pub enum WhatIfAct {
    Run(Changes),
}

fn input_value(id: &str) -> Option<String> {
    let element = gloo::utils::document().get_element_by_id(id)?;
    element
        .dyn_ref::<HtmlInputElement>()
        .map(|i| i.value())
        .or_else(|| element.dyn_ref::<HtmlTextAreaElement>().map(|t| t.value()))
}

/// The panel. `now_us` is the time of the step on show in the lesson's
/// run, marked on both strips.
pub fn view_what_if(
    lesson: &Lesson,
    panel: &Panel,
    now_us: Option<u64>,
    dispatch: &Callback<WhatIfAct>,
) -> Html {
    let knobs = lesson_knobs(lesson);
    let presets = presets(lesson);
    let run = {
        let knobs = knobs.clone();
        let clients: Vec<String> = lesson.programs.iter().map(|p| p.client.clone()).collect();
        dispatch.reform(move |_: MouseEvent| {
            let mut changes = Changes::default();
            for (i, knob) in knobs.iter().enumerate() {
                if let Some(value) = input_value(&format!("what-if-{i}")) {
                    changes.values.insert(knob.path.clone(), value);
                }
            }
            for client in &clients {
                if let Some(source) = input_value(&format!("what-if-program-{client}")) {
                    changes.programs.insert(client.clone(), source);
                }
            }
            WhatIfAct::Run(changes)
        })
    };
    let running = panel.running.is_some();
    html! {
        <section class="what-if panel" aria-labelledby="what-if-title" data-testid="what-if"
                 data-runs={panel.runs.to_string()}>
            <h2 id="what-if-title" class="panel-title">{ "What if\u{2026}?" }</h2>
            <p class="what-if-lead">{ "Change the scenario and run it again: both runs are drawn below on the same time scale, with their verdicts." }</p>
            if !presets.is_empty() {
                <div class="what-if-presets" role="group" aria-label="The lesson's own variations">
                    { for presets.iter().enumerate().map(|(k, p)| {
                        let ask = p.ask.clone();
                        html! {
                            <button type="button" class="button-quiet what-if-preset" disabled={running}
                                    data-testid={format!("what-if-preset-{k}")}
                                    onclick={dispatch.reform(move |_| WhatIfAct::Run(Changes { preset: Some(k), ..Changes::default() }))}>
                                { ask }
                            </button>
                        }
                    }) }
                </div>
            }
            <div class="what-if-knobs">
                { for knobs.iter().enumerate().map(|(i, knob)| {
                    // What the last run used: typed, else the variation's
                    // value, else the lesson's.
                    let from_preset = panel
                        .changes
                        .preset
                        .and_then(|k| presets.get(k))
                        .and_then(|p| p.change.get(&knob.path))
                        .and_then(|v| match v {
                            toml::Value::String(s) => Some(s.clone()),
                            toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => Some(v.to_string()),
                            _ => None,
                        });
                    let shown = panel
                        .changes
                        .values
                        .get(&knob.path)
                        .cloned()
                        .or(from_preset)
                        .unwrap_or_else(|| knob.value.clone());
                    let mode = match knob.kind {
                        KnobKind::Whole => "numeric",
                        KnobKind::Number => "decimal",
                        _ => "text",
                    };
                    html! {
                        <label class="what-if-knob">
                            <span class="field-label">{ &knob.label }</span>
                            <input id={format!("what-if-{i}")} type="text" inputmode={mode}
                                   value={shown} data-path={knob.path.clone()}
                                   data-testid={format!("what-if-knob-{}", knob.path)} />
                        </label>
                    }
                }) }
            </div>
            if !lesson.programs.is_empty() {
                <details class="what-if-programs">
                    <summary>{ "Edit a client program" }</summary>
                    { for lesson.programs.iter().map(|p| {
                        let source = panel.changes.programs.get(&p.client).cloned().unwrap_or_else(|| p.source.clone());
                        let rows = source.lines().count().clamp(4, 18).to_string();
                        html! {
                            <label class="what-if-program">
                                <span class="field-label">{ format!("{} (Lua)", p.client) }</span>
                                <textarea id={format!("what-if-program-{}", p.client)} class="fix-text"
                                          spellcheck="false" rows={rows}
                                          value={source} />
                            </label>
                        }
                    }) }
                </details>
            }
            <div class="what-if-actions">
                <button type="button" class="button-primary" onclick={run} disabled={running}
                        data-testid="what-if-run">{ "Run the changed scenario" }</button>
                if running {
                    <span class="run-loading" role="status"><span class="spinner" aria-hidden="true"></span>{ "Running in the background\u{2026}" }</span>
                }
            </div>
            if let Some(problem) = &panel.problem {
                <p class="q-problem" role="alert" data-testid="what-if-problem">{ problem }</p>
            }
            if let Some(comparison) = &panel.comparison {
                { view_comparison(comparison, now_us) }
            }
        </section>
    }
}

/// Both strips, side by side on a wide screen, one above the other on a phone.
fn view_comparison(c: &Comparison, now_us: Option<u64>) -> Html {
    let changed = c.changed();
    html! {
        <div class="what-if-result" data-testid="what-if-result">
            <p class="what-if-summary" role="status">
                { if changed.is_empty() {
                    "The change did not turn any verdict.".to_string()
                } else {
                    format!("The change turned {}.", changed.iter().map(|(name, before, after)| {
                        format!("{name} from {} to {}", held_word(*before), held_word(*after))
                    }).collect::<Vec<_>>().join(", "))
                } }
            </p>
            <div class="what-if-pair">
                { view_strip(c, &c.before, "The lesson's run", "before", now_us) }
                { view_strip(c, &c.after, "The changed run", "after", now_us) }
            </div>
        </div>
    }
}

fn held_word(held: bool) -> &'static str {
    if held {
        "held"
    } else {
        "VIOLATED"
    }
}

fn view_strip(
    c: &Comparison,
    strip: &Strip,
    title: &str,
    which: &str,
    now_us: Option<u64>,
) -> Html {
    let height = TOP + LANE_H * strip.lanes.len() as f64 + 6.0;
    let lane_y = |i: usize| TOP + LANE_H * i as f64;
    html! {
        <figure class={classes!("what-if-strip", which.to_string())} data-testid={format!("what-if-{which}")}
                data-end-us={strip.end_us.to_string()}>
            <figcaption>
                <strong>{ title }</strong>
                { format!(" \u{b7} {}", crate::lab::picture::scale::duration_label(strip.end_us as f64 / 1000.0)) }
            </figcaption>
            <svg class="cmp-svg" viewBox={format!("0 0 {WIDTH} {height}")} role="img"
                 aria-label={format!("{title}: one lane per actor on a time axis shared with the other run")}>
                <g class="axis">
                    { for c.axis().into_iter().map(|(x, label)| html! {
                        <g>
                            <line x1={x.to_string()} x2={x.to_string()} y1={(TOP - 4.0).to_string()} y2={height.to_string()} class="cmp-grid" />
                            <text x={x.to_string()} y="11">{ label }</text>
                        </g>
                    }) }
                </g>
                { for strip.lanes.iter().enumerate().map(|(i, lane)| {
                    let y = lane_y(i);
                    html! {
                        <g class="cmp-lane" data-lane={lane.name.clone()}>
                            <text class="cmp-name" x="2" y={(y + 13.0).to_string()}>{ &lane.name }</text>
                            <line class="lane-line" x1={NAME_W.to_string()} x2={WIDTH.to_string()}
                                  y1={(y + 10.0).to_string()} y2={(y + 10.0).to_string()} />
                            { for lane.spans.iter().map(|&(s, e, what)| html! {
                                <g class={classes!("shade", what)} data-span={what}
                                   data-start-us={s.to_string()} data-end-us={e.to_string()}>
                                    <rect x={c.x(s).to_string()} y={(y + 3.0).to_string()}
                                          width={(c.x(e) - c.x(s)).max(2.0).to_string()} height="14" rx="3" />
                                    <title>{ format!("{} {} \u{2192} {}", what, ms(s), ms(e)) }</title>
                                </g>
                            }) }
                            { for lane.ticks.iter().map(|&(t, tone)| html! {
                                <line class={classes!("cmp-tick", tone)} x1={c.x(t).to_string()} x2={c.x(t).to_string()}
                                      y1={(y + 5.0).to_string()} y2={(y + 15.0).to_string()} />
                            }) }
                        </g>
                    }
                }) }
                { for strip.violations.iter().map(|(t, invariant)| html! {
                    <g class="cmp-violation" data-at-us={t.to_string()}>
                        <line x1={c.x(*t).to_string()} x2={c.x(*t).to_string()} y1={TOP.to_string()} y2={height.to_string()} />
                        <title>{ format!("violated {invariant} at {}", ms(*t)) }</title>
                    </g>
                }) }
                if let Some(now) = now_us {
                    <line class="cmp-now" x1={c.x(now).to_string()} x2={c.x(now).to_string()} y1="0" y2={height.to_string()} />
                }
            </svg>
            if let Some(crash) = &strip.crashed {
                <p class="q-problem" role="alert">{ crash }</p>
            }
            <ul class="cmp-verdicts" aria-label={format!("{title}: verdicts")}>
                { for strip.verdicts.iter().map(|(name, held)| html! {
                    <li class={classes!("cmp-verdict", if *held { "held" } else { "violated" })}
                        data-verdict={name.clone()} data-held={held.to_string()}>
                        <span class="cmp-badge">{ held_word(*held) }</span>{ " " }{ name }
                    </li>
                }) }
            </ul>
        </figure>
    }
}

fn ms(t_us: u64) -> String {
    crate::lab::picture::scale::duration_label(t_us as f64 / 1000.0)
}
