//! How the lab looks: one function per part of the panel, each reading the
//! [`Lab`] and sending [`Action`]s. No state lives here.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlTextAreaElement, KeyboardEvent};
use yew::prelude::*;

use super::lab::{Action, Refs};
use crate::lab::editor;
use crate::lab::explore::Stats;
use crate::lab::timeline::{self, Row};
use crate::lab::{BreakReport, Lab, Source};

/// A callback that sends an action only when `pick` finds one in the event.
fn when<E: 'static>(
    dispatch: &Callback<Action>,
    pick: impl Fn(E) -> Option<Action> + 'static,
) -> Callback<E> {
    let dispatch = dispatch.clone();
    Callback::from(move |event: E| {
        if let Some(action) = pick(event) {
            dispatch.emit(action);
        }
    })
}

/// The link problem, if the page was opened with one it could not follow.
pub fn view_notice(lab: &Lab, dispatch: &Callback<Action>) -> Html {
    let Some(notice) = lab.notice() else {
        return html! {};
    };
    html! {
        <div class="notice" role="alert">
            <p>{ notice }</p>
            <button type="button" class="button-quiet"
                    onclick={dispatch.reform(|_| Action::DismissNotice)}>{ "Dismiss" }</button>
        </div>
    }
}

pub fn view_toolbar(
    lab: &Lab,
    dispatch: &Callback<Action>,
    refs: &Refs,
    on_select: Callback<Event>,
    seed_error: Option<String>,
) -> Html {
    let current = lab.story().map(|s| s.name).unwrap_or_default();
    let options = lab
        .stories()
        .iter()
        .map(|s| {
            html! {
                <option key={s.name} value={s.name} selected={s.name == current}>
                    { &s.title }
                </option>
            }
        })
        .collect::<Html>();
    let searching = lab.breaking().is_some();
    html! {
        <>
            <div class="lab-toolbar">
                <label class="field story-field">
                    <span class="field-label">{ "Story" }</span>
                    <select id="story-select" ref={refs.story.clone()} onchange={on_select}>{ options }</select>
                </label>
                <label class="field seed-field">
                    <span class="field-label">{ "Seed" }</span>
                    <input id="seed-input" ref={refs.seed.clone()} type="number" min="0" step="1"
                           inputmode="numeric" aria-invalid={seed_error.is_some().to_string()}
                           onkeydown={when(dispatch, |e: KeyboardEvent| {
                               (e.key() == "Enter").then_some(Action::Run)
                           })} />
                </label>
                <div class="toolbar-buttons">
                    <button type="button" id="run-button" class="button-primary"
                            aria-busy={lab.is_running().to_string()}
                            onclick={dispatch.reform(|_| Action::Run)}
                            title="Run the scenario in the editor with this seed">
                        { if lab.is_running() { "Running\u{2026}" } else { "Run" } }
                    </button>
                    <button type="button" id="break-button" class="button-break" disabled={searching}
                            onclick={dispatch.reform(|_| Action::Break)}
                            title="Take out the scenario's own faults and let the explorer search for faults that break it">
                        { "Break it" }
                    </button>
                </div>
                <p class="explore-hint">
                    <strong>{ "Break it" }</strong>
                    { " takes the story's own faults out and lets the explorer search for faults \
                       that break an invariant, within the scenario's [explore] budget or a \
                       default one. It runs in the background, so the page stays responsive." }
                </p>
            </div>
            if let Some(error) = seed_error {
                <p class="field-error" role="alert">{ error }</p>
            }
        </>
    }
}

/// "Break it": what it does before a search, its progress during one, and
/// what it found after.
pub fn view_explorer(lab: &Lab, dispatch: &Callback<Action>) -> Html {
    if let Some(breaking) = lab.breaking() {
        let p = &breaking.progress;
        let removed = removed_sentence(&breaking.setup.removed);
        return html! {
            <div class="explore running" aria-live="polite">
                <div class="explore-head">
                    <strong>{ "Breaking it\u{2026}" }</strong>
                    <span class="explore-counts">
                        { format!("{} / {} schedules ({} struck) \u{b7} {:.0} schedules/s",
                                   p.tried, p.planned, p.struck, p.per_second) }
                    </span>
                    <button type="button" id="cancel-button" class="button-quiet"
                            disabled={breaking.cancelling}
                            onclick={dispatch.reform(|_| Action::Cancel)}>
                        { if breaking.cancelling { "Cancelling\u{2026}" } else { "Cancel" } }
                    </button>
                </div>
                <progress max="1" value={p.fraction.to_string()}
                          aria-label="Schedules tried"></progress>
                <p class="explore-phase">{ format!("The explorer is {}.", p.phase) }</p>
                <p class="explore-note">
                    { format!("{removed}, within {}: {}. ", breaking.setup.budget_source(),
                              breaking.setup.bounds()) }
                    { "It runs in a background worker: the page stays responsive meanwhile." }
                </p>
            </div>
        };
    }
    match lab.report() {
        Some(BreakReport::Broken {
            faults,
            found_after,
            shrink_runs,
            stats,
            removed,
            ..
        }) => {
            let list = if faults.is_empty() {
                html! { <p>{ "It breaks with no faults at all: the scenario fails on its own." }</p> }
            } else {
                html! {
                    <ul class="fault-list">
                        { for faults.iter().map(|f| html! { <li>{ f }</li> }) }
                    </ul>
                }
            };
            html! {
                <div class="explore broken" id="explore-result" data-schedules-per-second={rate(stats)}>
                    <p class="explore-verdict">
                        <strong>{ "Broken." }</strong>
                        { format!(" {}, the explorer found the shortest schedule it could that breaks \
                                   an invariant or the liveness check ({} fault{}):",
                                  removed_sentence(removed), faults.len(),
                                  if faults.len() == 1 { "" } else { "s" }) }
                    </p>
                    { list }
                    <p class="explore-stats">
                        { format!("Found after {found_after} schedule{}, shrunk in {shrink_runs} more; {}. \
                                   The timeline shows that run, at its first violation.",
                                  if *found_after == 1 { "" } else { "s" }, speed(stats)) }
                    </p>
                </div>
            }
        }
        Some(BreakReport::Held {
            statement,
            stats,
            removed,
            ..
        }) => html! {
            <div class="explore held" id="explore-result" data-schedules-per-second={rate(stats)}>
                <p class="explore-verdict">{ statement }</p>
                <p class="explore-stats">
                    { format!("{}; {}.", removed_sentence(removed), speed(stats)) }
                </p>
            </div>
        },
        Some(BreakReport::Failed(message)) => html! {
            <div class="explore failed" id="explore-result" role="alert">
                <p class="explore-verdict">{ "The explorer could not start: " }<code>{ message }</code></p>
            </div>
        },
        None => html! {},
    }
}

/// Which of the story's faults the explorer went without, as the start of
/// a sentence.
fn removed_sentence(removed: &[String]) -> String {
    if removed.is_empty() {
        "The story has no faults of its own".into()
    } else {
        format!(
            "With the story's own faults taken out ({})",
            removed.join("; ")
        )
    }
}

fn rate(stats: &Stats) -> String {
    format!("{:.1}", stats.per_second)
}

fn speed(stats: &Stats) -> String {
    let per_second = if stats.per_second < 10.0 {
        format!("{:.1}", stats.per_second)
    } else {
        format!("{:.0}", stats.per_second)
    };
    format!(
        "{} schedules in {:.1} s, {per_second} schedules/s",
        stats.tried, stats.seconds
    )
}

/// What the timeline shows, when it is not simply the story as written.
pub fn view_source(lab: &Lab, dispatch: &Callback<Action>) -> Html {
    let Some(shown) = lab.shown() else {
        return html! {};
    };
    let edited = lab.edited();
    match &shown.source {
        Source::Counterexample {
            run_seed, faults, ..
        } => html! {
            <div class="source counterexample">
                <p>
                    <strong>{ "Showing the explorer's counterexample" }</strong>
                    { format!(" (run seed {run_seed}): {}. ",
                              if faults.is_empty() { "no faults".to_string() } else { faults.join("; ") }) }
                    { lab.link_caveat().unwrap_or("") }
                </p>
                <button type="button" class="button-quiet"
                        onclick={dispatch.reform(|_| Action::BackToStory)}>
                    { "Back to the story" }
                </button>
            </div>
        },
        Source::Story { .. } if edited => html! {
            <div class="source edited">
                <p>
                    { "You have edited this story. " }
                    { lab.link_caveat().unwrap_or("Run it to see your version.") }
                </p>
                <button type="button" class="button-quiet"
                        onclick={dispatch.reform(|_| Action::Revert)}>
                    { "Revert to the story" }
                </button>
            </div>
        },
        Source::Story { .. } => html! {},
    }
}

pub fn view_verdicts(lab: &Lab, dispatch: &Callback<Action>) -> Html {
    let Some(shown) = lab.shown() else {
        return html! {};
    };
    // A program that failed makes the run no test of the pattern: that
    // comes first, and no invariant is shown as a green "held" after it.
    let failed = !shown.program_errors.is_empty();
    let errors = shown.program_errors.iter().map(|e| {
        let seq = e.at_seq;
        let whose = if e.task == 0 {
            format!("{}'s program", e.client)
        } else {
            format!("{}'s task {}", e.client, e.task)
        };
        let line = e.line.map(|l| format!(" at line {l}")).unwrap_or_default();
        html! {
            <li class="program-error" role="alert">
                <strong>{ format!("{whose} stopped with a Lua error{line}") }</strong>
                <code class="program-error-message">{ &e.message }</code>
                <button type="button" class="button-quiet"
                        onclick={dispatch.reform(move |_| Action::Go(seq as usize))}>
                    { format!("Go to step {seq}") }
                </button>
            </li>
        }
    });
    let rows = shown.verdicts.iter().map(|v| {
        let status = match (v.held, failed) {
            (true, false) => "held",
            (true, true) => "not checked fairly",
            (false, _) => "VIOLATED",
        };
        let detail = v.message.clone().unwrap_or_default();
        match v.at_seq {
            Some(seq) => {
                let at = v.at.clone().unwrap_or_default();
                html! {
                    <li>
                        <button type="button" class="verdict violated"
                                data-at-seq={seq.to_string()}
                                onclick={dispatch.reform(move |_| Action::Go(seq as usize))}
                                title="Go to the step where it broke">
                            <span class="verdict-status">{ status }</span>
                            <code class="verdict-name">{ &v.invariant }</code>
                            <span class="verdict-where">{ format!("step {seq} \u{b7} {at} ms") }</span>
                            <span class="verdict-message">{ detail }</span>
                        </button>
                    </li>
                }
            }
            None => html! {
                <li>
                    <div class={classes!("verdict", match (v.held, failed) {
                        (true, false) => "held",
                        (true, true) => "unsure",
                        (false, _) => "violated",
                    })}>
                        <span class="verdict-status">{ status }</span>
                        <code class="verdict-name">{ &v.invariant }</code>
                        if !detail.is_empty() {
                            <span class="verdict-message">{ detail }</span>
                        }
                    </div>
                </li>
            },
        }
    });
    let count = shown.verdicts.len();
    html! {
        <div class="verdicts" aria-label="Verdicts">
            <p class="ran" aria-live="polite">
                { format!("Run {} \u{b7} {} steps. ", lab.runs_shown(), shown.last() + 1) }
                <span class="stopped">{ &shown.stopped }</span>
            </p>
            if failed {
                <ul class="program-errors">{ for errors }</ul>
            }
            if count == 0 {
                <p class="verdict-none">{ "This scenario declares no invariants." }</p>
            } else if lab.verdicts_revealed() {
                <ul>{ for rows }</ul>
            } else {
                <div class="verdicts-hidden">
                    <p>
                        { format!("{count} invariant{} checked. Step through the run to see \
                                   what happens; the verdicts show at the last step.",
                                  if count == 1 { " is" } else { "s are" }) }
                    </p>
                    <button type="button" id="show-verdicts" class="button-quiet"
                            onclick={dispatch.reform(|_| Action::ShowVerdicts)}>
                        { "Show verdicts" }
                    </button>
                </div>
            }
        </div>
    }
}

pub fn view_stepper(lab: &Lab, dispatch: &Callback<Action>) -> Html {
    let Some(shown) = lab.shown() else {
        return html! {};
    };
    let last = shown.last();
    let step = lab.step();
    let time = shown
        .timeline
        .rows
        .get(step)
        .map(|r| r.time.clone())
        .unwrap_or_default();
    let on_slide = dispatch.reform(|e: InputEvent| {
        let value = e.target_unchecked_into::<HtmlInputElement>().value();
        Action::Go(value.parse().unwrap_or(0))
    });
    html! {
        <div class="stepper">
            <div class="stepper-buttons" role="group" aria-label="Step through the run">
                <button type="button" class="step-button" onclick={dispatch.reform(|_| Action::First)}
                        disabled={step == 0} title="First step (Home)" aria-label="First step">
                    { icon("M4 3v10M13 3 6 8l7 5z") }
                </button>
                <button type="button" class="step-button" onclick={dispatch.reform(|_| Action::Prev)}
                        disabled={step == 0} title="Previous step (\u{2190})" aria-label="Previous step">
                    { icon("M11 3 4 8l7 5z") }
                </button>
                <button type="button" class="step-button" onclick={dispatch.reform(|_| Action::Next)}
                        disabled={step >= last} title="Next step (\u{2192})" aria-label="Next step">
                    { icon("M5 3l7 5-7 5z") }
                </button>
                <button type="button" class="step-button" onclick={dispatch.reform(|_| Action::Last)}
                        disabled={step >= last} title="Last step (End)" aria-label="Last step">
                    { icon("M12 3v10M3 3l7 5-7 5z") }
                </button>
            </div>
            <input class="step-slider" type="range" min="0" max={last.to_string()}
                   value={step.to_string()} oninput={on_slide} aria-label="Step" />
            <span class="step-label" id="step-label" aria-live="polite">
                { format!("Step {step} of {last}") }
                <span class="step-time">{ format!(" \u{b7} {time} ms") }</span>
            </span>
        </div>
    }
}

/// A 16-pixel icon drawn from one path: no icon font, no glyph that a
/// system might lack.
fn icon(path: &'static str) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
            <path d={path} />
        </svg>
    }
}

pub fn view_timeline(lab: &Lab, dispatch: &Callback<Action>, refs: &Refs) -> Html {
    let Some(shown) = lab.shown() else {
        return html! {};
    };
    let view = &shown.timeline;
    let step = lab.step();
    // The events a violation names as its causes, when one is current.
    let causes: Vec<u64> = match shown.trace.events.get(step).map(|e| &e.what) {
        Some(lockstep_sim::trace::What::Violation { caused_by, .. }) => caused_by.clone(),
        _ => Vec::new(),
    };
    let columns = view.columns.len();
    let head = view
        .columns
        .iter()
        .map(|c| {
            html! {
                <div class={classes!("tl-actor", format!("k-{}", c.kind))} title={c.kind}>
                    { &c.name }
                </div>
            }
        })
        .collect::<Html>();
    let shown_rows = timeline::window(view.rows.len(), step);
    let hidden = |count: usize, which: &str, how: &str| {
        (count > 0).then(|| {
            html! {
                <div class="tl-more" key={which.to_string()}>
                    { format!("{count} {which} event{} not drawn: {how}.",
                              if count == 1 { "" } else { "s" }) }
                </div>
            }
        })
    };
    let earlier = hidden(shown_rows.start, "earlier", "step back to see them");
    let later = hidden(
        view.rows.len() - shown_rows.end,
        "later",
        "step on to see them",
    );
    // Lane marks only where every actor has its own column.
    let marks = (!view.as_list()).then_some(&shown.lanes);
    let lanes = |seq: u64| -> Lanes {
        let at = |i: usize| marks.and_then(|m| m.get(i)).map(Vec::as_slice);
        let i = seq as usize;
        let before = i.checked_sub(1);
        (
            at(i),
            before.and_then(at),
            before.and_then(|b| view.rows.get(b)).and_then(|r| r.column),
        )
    };
    let rows = view.rows[shown_rows]
        .iter()
        .map(|row| {
            view_row(
                row,
                columns,
                row.seq as usize == step,
                causes.contains(&row.seq),
                lanes(row.seq),
            )
        })
        .collect::<Html>();
    // One listener for all rows: the row's step is in its data-seq.
    let onclick = when(dispatch, |e: MouseEvent| {
        let target = e.target()?.dyn_into::<Element>().ok()?;
        let row = target.closest("[data-seq]").ok()??;
        let seq = row.get_attribute("data-seq")?.parse().ok()?;
        Some(Action::Go(seq))
    });
    html! {
        <div class={classes!("timeline", view.as_list().then_some("list"))}
             style={format!("--columns: {columns}")}>
            <div class="tl-scroll" ref={refs.scroller.clone()} tabindex="0"
                 aria-label="Timeline: one row per event; arrow keys step">
                <div class="tl-head" aria-hidden="true">
                    <div class="tl-time">{ "time (ms)" }</div>
                    { head }
                </div>
                <div class="tl-body" {onclick}>{ earlier }{ rows }{ later }</div>
            </div>
        </div>
    }
}

/// A row's lane marks, the previous row's, and the previous row's own
/// column (a mark's words show where its span starts in the lane; the
/// shading runs on).
type Lanes<'a> = (
    Option<&'a [Option<String>]>,
    Option<&'a [Option<String>]>,
    Option<usize>,
);

fn view_row(row: &Row, columns: usize, current: bool, cause: bool, lanes: Lanes) -> Html {
    let (marks, before, before_column) = lanes;
    let mark = |i: usize| marks.and_then(|m| m.get(i)).and_then(Option::as_ref);
    let before = |i: usize| before.and_then(|m| m.get(i)).and_then(Option::as_ref);
    let class = classes!(
        "tl-row",
        row.tone,
        current.then_some("current"),
        cause.then_some("cause")
    );
    let cells = match row.column {
        Some(column) => (0..columns)
            .map(|i| {
                if i == column {
                    view_event_cell(row, column)
                } else if let Some(text) = mark(i) {
                    let starts = before(i) != Some(text) || before_column == Some(i);
                    let words = starts.then(|| text.clone());
                    html! {
                        <div class="tl-cell empty lane-marked" title={text.clone()}>
                            if let Some(words) = words {
                                <span class="lane-mark">{ words }</span>
                            }
                        </div>
                    }
                } else {
                    html! { <div class="tl-cell empty"></div> }
                }
            })
            .collect::<Html>(),
        // The world's events (partitions, violations) span every column.
        None => html! {
            <div class="tl-cell event world">
                <span class="tl-who">{ "world" }</span>
                <span class="tl-text">{ &row.text }</span>
            </div>
        },
    };
    html! {
        <div key={row.seq} class={class} data-seq={row.seq.to_string()}
             aria-current={current.then_some("step")}>
            <div class="tl-time">
                <span class="tl-seq">{ format!("#{}", row.seq) }</span>
                { &row.time }
            </div>
            { cells }
        </div>
    }
}

fn view_event_cell(row: &Row, column: usize) -> Html {
    html! {
        <div class="tl-cell event" style={format!("--column: {}", column + 2)}>
            <span class="tl-who">{ &row.actor }</span>
            <span class="tl-text" title={row.text.clone()}>{ &row.text }</span>
            if let Some(local) = &row.local {
                <span class="tl-local" title="This actor's own clock, which disagrees with global time">
                    { format!("its clock: {local} ms") }
                </span>
            }
        </div>
    }
}

pub fn view_world(lab: &Lab) -> Html {
    let Some(world) = lab.world() else {
        return html! {};
    };
    let event = lab
        .shown()
        .and_then(|s| s.timeline.rows.get(lab.step()))
        .map(|r| format!("{}: {}", r.actor, r.text))
        .unwrap_or_default();
    let nodes = world.nodes.iter().map(|node| {
        let keys = if !node.up {
            html! { <p class="none">{ "Down: no keys in memory." }</p> }
        } else if node.keys.is_empty() {
            html! { <p class="none">{ "No keys." }</p> }
        } else {
            html! {
                <ul class="keys">
                    { for node.keys.iter().map(|k| html! {
                        <li class={classes!("key", k.change.map(|c| format!("changed-{c:?}").to_lowercase()))}
                            data-testid="key-row" data-key={k.key.clone()}
                            data-change={k.change.map(|c| c.word())}>
                            <div class="key-line">
                                <code class="key-name">{ &k.key }</code>
                                <span class="key-type">{ &k.kind }</span>
                                if let Some(change) = k.change {
                                    <span class="key-change" title="What this step did to the key">
                                        { change.word() }
                                    </span>
                                }
                                <span class="key-ttl" title="Time to live, on the node's clock">
                                    { k.ttl.as_ref().map_or_else(|| "no TTL".to_string(), |t| format!("TTL {t}")) }
                                </span>
                            </div>
                            <code class="key-value">{ &k.value }</code>
                        </li>
                    }) }
                </ul>
            }
        };
        let removed = (!node.removed.is_empty()).then(|| {
            html! {
                <p class="keys-removed" data-testid="keys-removed">
                    { format!("Gone at this step: {}", node.removed.join(", ")) }
                </p>
            }
        });
        html! {
            <div class={classes!("node", (!node.up).then_some("down"))}>
                <div class="node-head">
                    <strong>{ &node.name }</strong>
                    <span class={classes!("pill", if node.up { "up" } else { "down" })}>
                        { if node.up { "up" } else { "down" } }
                    </span>
                    <span class="node-role">{ &node.role }</span>
                </div>
                { keys }
                { removed.unwrap_or_default() }
            </div>
        }
    });
    let sections = world.sections.iter().map(|s| {
        html! {
            <li class={classes!("section", s.crowded().then_some("crowded"))}>
                <code>{ &s.name }</code>
                <span class="inside">
                    { if s.inside.is_empty() { "nobody inside".to_string() } else { s.inside.join(", ") } }
                </span>
                if s.crowded() {
                    <span class="pill bad">{ format!("{} inside", s.inside.len()) }</span>
                }
            </li>
        }
    });
    let resources = world.resources.iter().map(|r| {
        html! {
            <li class="resource">
                <code>{ &r.name }</code>
                <span>{ format!("accepted {} \u{b7} rejected {}", r.accepted, r.rejected) }</span>
                if let Some(token) = r.highest_token {
                    <span>{ format!("highest token {token}") }</span>
                }
                <span class="last-value">
                    { if r.last_value.is_empty() { "no writes yet".to_string() }
                      else { format!("last: \u{201c}{}\u{201d}", r.last_value) } }
                </span>
            </li>
        }
    });
    let services = world.services.iter().map(|s| {
        html! {
            <li class="service" data-testid="consensus-service">
                <code>{ &s.name }</code>
                <span>{ format!("{} \u{b7} revision {}", s.leader, s.revision) }</span>
                if !s.down.is_empty() {
                    <span class="pill bad">{ format!("down: {}", s.down.join(", ")) }</span>
                }
                if s.keys.is_empty() {
                    <span class="last-value">{ "no keys" }</span>
                }
                { for s.keys.iter().map(|k| html! { <span class="last-value">{ k }</span> }) }
            </li>
        }
    });
    html! {
        <aside class="world-pane" aria-labelledby="world-title" id="world">
            <h3 id="world-title" class="world-title">
                { format!("World at step {}", lab.step()) }
                <span class="world-time">{ format!("{} ms", world.time) }</span>
            </h3>
            <p class="world-event">{ event }</p>
            { view_status(lab) }
            <h4>{ "Nodes" }</h4>
            { for nodes }
            if !world.sections.is_empty() {
                <h4>{ "Critical sections" }</h4>
                <ul class="sections">{ for sections }</ul>
            }
            if !world.resources.is_empty() {
                <h4>{ "Resources" }</h4>
                <ul class="resources">{ for resources }</ul>
            }
            if !world.services.is_empty() {
                <h4>{ "Consensus services" }</h4>
                <ul class="services">{ for services }</ul>
            }
        </aside>
    }
}

/// Clients and nodes at the step: running, paused (still inside its
/// section), down, busy with a script; clocks that are off; partitions.
fn view_status(lab: &Lab) -> Html {
    let Some(status) = lab.status() else {
        return html! {};
    };
    let rows = status.actors.iter().map(|a| {
        let activity = a.describe(status.now_us);
        let clock =
            (a.clock_offset_ms.abs() >= 0.5).then(|| format!("clock {:+.0} ms", a.clock_offset_ms));
        let alarm = a.lane_mark(status.now_us).is_some();
        html! {
            <li class={classes!("actor-status", alarm.then_some("alarm"))}
                data-actor={a.name.clone()}>
                <code>{ &a.name }</code>
                <span class="activity">{ activity }</span>
                if !a.inside.is_empty() {
                    <span class="inside">{ format!("inside {}", a.inside.join(", ")) }</span>
                }
                if let Some(clock) = clock {
                    <span class="clock" title="Its clock minus global time">{ clock }</span>
                }
            </li>
        }
    });
    let network = match &status.partition {
        Some(groups) => format!(
            "Partitioned: {}",
            groups
                .iter()
                .map(|g| g.join(", "))
                .collect::<Vec<_>>()
                .join(" | ")
        ),
        None => "The network is whole.".to_string(),
    };
    html! {
        <>
            <h4>{ "Actors" }</h4>
            <ul class="actors">{ for rows }</ul>
            <p class={classes!("network", status.partition.is_some().then_some("split"))}>
                { network }
            </p>
        </>
    }
}

/// Selects line `line` of the editor and scrolls it into the middle.
fn show_line(refs: &Refs, line: usize) -> Callback<MouseEvent> {
    let editor = refs.editor.clone();
    Callback::from(move |_: MouseEvent| {
        let Some(area) = editor.cast::<HtmlTextAreaElement>() else {
            return;
        };
        let Some((start, end)) = editor::line_span_utf16(&area.value(), line) else {
            return;
        };
        let _ = area.focus();
        let _ = area.set_selection_range(start, end);
        // The font is monospaced with a fixed line height: line * height.
        let line_height =
            f64::from(area.scroll_height()) / area.value().lines().count().max(1) as f64;
        let top = (line as f64 - 1.0) * line_height - f64::from(area.client_height()) / 2.0;
        area.set_scroll_top(top.max(0.0) as i32);
    })
}

pub fn view_editor(lab: &Lab, dispatch: &Callback<Action>, refs: &Refs) -> Html {
    let oninput = dispatch.reform(|e: InputEvent| {
        Action::Edit(e.target_unchecked_into::<HtmlTextAreaElement>().value())
    });
    // Ctrl+Enter (Cmd+Enter) runs, as in most playgrounds.
    let onkeydown = when(dispatch, |e: KeyboardEvent| {
        if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
            e.prevent_default();
            Some(Action::Run)
        } else {
            None
        }
    });
    let error = lab.editor_error();
    html! {
        <div class="editor">
            <div class="editor-head">
                <label for="scenario-editor" class="editor-title">
                    { "Scenario file (TOML)" }
                    if lab.edited() {
                        <span class="badge edited-badge">{ "edited" }</span>
                    }
                </label>
                <span class="editor-help">
                    { "Change anything \u{2014} nodes, the clients' Lua programs, faults, \
                       invariants \u{2014} and run it again. " }
                    <kbd>{ "Ctrl+Enter" }</kbd>{ " runs." }
                </span>
            </div>
            if let Some(error) = error {
                <div class="editor-error" role="alert" id="editor-error">
                    <p>
                        <strong>{ "This scenario does not run." }</strong>
                        { " The timeline still shows the last run that did. The message:" }
                    </p>
                    <pre>{ error }</pre>
                    if let Some(line) = editor::error_line(error) {
                        <button type="button" class="button-quiet"
                                onclick={show_line(refs, line)}>
                            { format!("Show line {line}") }
                        </button>
                    }
                </div>
            }
            <textarea id="scenario-editor" ref={refs.editor.clone()}
                      class={classes!(error.is_some().then_some("has-error"))}
                      spellcheck="false" autocomplete="off" autocapitalize="off" wrap="off"
                      rows="24" {oninput} {onkeydown}
                      aria-invalid={error.is_some().to_string()} />
            <div class="editor-buttons">
                <button type="button" class="button-primary" onclick={dispatch.reform(|_| Action::Run)}>
                    { "Run" }
                </button>
                <button type="button" class="button-quiet" disabled={!lab.edited()}
                        onclick={dispatch.reform(|_| Action::Revert)}>{ "Revert to the story" }</button>
            </div>
        </div>
    }
}
