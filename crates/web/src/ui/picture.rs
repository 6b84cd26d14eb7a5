//! The run as a picture: one SVG swimlane per client, node and resource,
//! with a step cursor, click-to-jump, "next of this kind / actor",
//! play/pause, and retry loops that open on a click.
//!
//! Reusable on its own (the lab shows it; a lesson player can too): give
//! it the trace, the step, and a callback for the step to go to. The
//! layout is [`crate::lab::picture`]'s; this component only draws the part
//! of it that is on screen (plus a margin), found through the layout's
//! index of marks by position ([`crate::lab::picture::window`]) and the
//! run's index of jumps ([`Jumps`]), so a run of any length costs the same
//! per frame.

use std::collections::BTreeSet;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use lockstep_sim::timeline::describe;
use lockstep_sim::trace::{Trace, What};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlSelectElement};
use yew::prelude::*;

use crate::lab::picture::lanes::AXIS_H;
use crate::lab::picture::nav::{kind_word, Jumps};
use crate::lab::picture::scale::duration_label;
use crate::lab::picture::window::Windows;
use crate::lab::picture::{short, Picture, Reading};
use crate::lab::timeline::ms;

/// What the picture needs.
#[derive(Properties)]
pub struct PictureProps {
    /// The run to draw. Compared by identity: a new run is a new `Rc`.
    pub trace: Rc<Trace>,
    /// The event under the cursor (an index into `trace.events`).
    pub step: usize,
    /// Asked to go to a step: a click on an arrow, span or dot, a jump,
    /// each tick while playing. The owner decides (and passes the new
    /// `step` back).
    pub on_step: Callback<usize>,
}

impl PartialEq for PictureProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.trace, &other.trace)
            && self.step == other.step
            && self.on_step == other.on_step
    }
}

/// A trace compared by identity, as a memo's key.
#[derive(Clone)]
struct Same(Rc<Trace>);

impl PartialEq for Same {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Playing speeds, and the pause between two steps at 1×.
const SPEEDS: [f64; 4] = [0.5, 1.0, 2.0, 4.0];
const STEP_MS: f64 = 700.0;
/// Drawn beyond the visible part on each side, so a small scroll shows
/// something before the next redraw.
const MARGIN_PX: f64 = 700.0;

#[component]
pub fn RunPicture(props: &PictureProps) -> Html {
    let trace = props.trace.clone();
    let step = props.step.min(trace.events.len().saturating_sub(1));
    let reading = use_memo(Same(trace.clone()), |Same(t)| Reading::new(t));
    let jumps = use_memo(Same(trace.clone()), |Same(t)| Jumps::new(t));
    let open = use_state(BTreeSet::<usize>::new);
    {
        // A new run starts with its loops folded.
        let open = open.clone();
        use_effect_with(Same(trace.clone()), move |_| open.set(BTreeSet::new()));
    }
    let picture = {
        // Keyed by identity: comparing a long run's reading field by field
        // on every step would cost what the memo saves.
        let reading = reading.clone();
        use_memo(
            (
                Same(trace.clone()),
                (*open).clone(),
                Rc::as_ptr(&reading) as usize,
            ),
            move |(Same(t), open, _)| Picture::new(t, &reading, open),
        )
    };
    let playing = use_state(|| false);
    let speed = use_state(|| 1.0_f64);
    let view = use_state(|| (0.0_f64, 1600.0_f64));
    let scroller = use_node_ref();
    let last = trace.events.len().saturating_sub(1);

    // Playing: one step per tick; stops at the end.
    {
        let (playing, on_step) = (playing.clone(), props.on_step.clone());
        let pause = STEP_MS / *speed;
        use_effect_with((*playing, step, *speed), move |&(on, step, _)| {
            let timer = (on && step < last)
                .then(|| Timeout::new(pause as u32, move || on_step.emit(step + 1)));
            if on && step >= last {
                playing.set(false);
            }
            move || drop(timer)
        });
    }

    // The cursor stays in sight: scrolled to the middle when it leaves.
    {
        let (scroller, picture) = (scroller.clone(), picture.clone());
        use_effect_with((step, Rc::as_ptr(&picture) as usize), move |_| {
            if let Some(element) = scroller.cast::<Element>() {
                let x = picture.scale.x(step);
                let left = f64::from(element.scroll_left());
                let width = f64::from(element.client_width());
                if x < left + 60.0 || x > left + width - 60.0 {
                    element.set_scroll_left((x - width / 2.0).max(0.0) as i32);
                }
            }
        });
    }

    let onscroll = {
        let (view, scroller) = (view.clone(), scroller.clone());
        Callback::from(move |_: Event| {
            if let Some(element) = scroller.cast::<Element>() {
                let now = (
                    f64::from(element.scroll_left()),
                    f64::from(element.client_width()),
                );
                if (now.0 - view.0).abs() > 150.0 || (now.1 - view.1).abs() > 1.0 {
                    view.set(now);
                }
            }
        })
    };

    let onclick = {
        let (on_step, open) = (props.on_step.clone(), open.clone());
        Callback::from(move |e: MouseEvent| {
            let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            if let Some(fold) = target.closest("[data-fold]").ok().flatten() {
                if let Some(index) = fold
                    .get_attribute("data-fold")
                    .and_then(|v| v.parse::<usize>().ok())
                {
                    let mut next = (*open).clone();
                    if !next.remove(&index) {
                        next.insert(index);
                    }
                    open.set(next);
                }
                return;
            }
            if let Some(seq) = target
                .closest("[data-seq]")
                .ok()
                .flatten()
                .and_then(|el| el.get_attribute("data-seq"))
                .and_then(|v| v.parse::<usize>().ok())
            {
                on_step.emit(seq);
            }
        })
    };

    let (lo, hi) = (view.0 - MARGIN_PX, view.0 + view.1 + MARGIN_PX);
    let cursor_x = picture.scale.x(step);
    let now_us = trace.events.get(step).map_or(0, |e| e.t_us);
    let causes: Vec<usize> = match trace.events.get(step).map(|e| &e.what) {
        Some(What::Violation { caused_by, .. }) => caused_by.iter().map(|&c| c as usize).collect(),
        _ => Vec::new(),
    };
    let width = picture.width;
    let height = picture.height;

    let lanes = reading.lanes.iter().enumerate().map(|(i, lane)| {
        html! {
            <g class={classes!("lane", format!("k-{}", lane.kind), (i % 2 == 1).then_some("odd"))}
               data-testid={format!("lane-{}", lane.name)}>
                <rect class="lane-bg" x="0" y={lane.top.to_string()} width={width.to_string()}
                      height={lane.height.to_string()} />
                <line class="lane-line" x1="0" x2={width.to_string()}
                      y1={lane.y().to_string()} y2={lane.y().to_string()} />
            </g>
        }
    });
    let on_screen = &picture.on_screen;
    let ticks = visible(&picture.scale.ticks, &on_screen.ticks, lo, hi).map(|t| {
        html! {
            <g class="tick">
                <line x1={t.x.to_string()} x2={t.x.to_string()} y1={(AXIS_H - 6.0).to_string()}
                      y2={AXIS_H.to_string()} />
                <text x={t.x.to_string()} y={(AXIS_H - 10.0).to_string()}>{ &t.label }</text>
            </g>
        }
    });
    let gaps = visible(&picture.scale.gaps, &on_screen.gaps, lo, hi)
        .filter(|g| g.x1 - g.x0 > 36.0)
        .map(|g| {
            let mid = (g.x0 + g.x1) / 2.0;
            // A break in the axis: two slashes, and the stretch's real length.
            html! {
                <g class="gap" aria-hidden="true">
                    <path d={format!("M{a} {y0} l4 -8 M{b} {y0} l4 -8", a = mid - 5.0, b = mid + 1.0,
                                     y0 = AXIS_H + 2.0)} />
                    <text x={mid.to_string()} y={(height - 4.0).to_string()}>
                        { format!("\u{2248} {}", duration_label(g.ms)) }
                    </text>
                </g>
            }
        });
    let shades = visible(&picture.shades, &on_screen.shades, lo, hi)
        .map(|s| {
            let band = matches!(s.kind, "partition" | "delay");
            let testid = if band { format!("band-{}", s.kind) } else { format!("span-{}", s.kind) };
            let label_y = if band { s.y0 + 12.0 } else { s.y1 - 5.0 };
            html! {
                <g class={classes!("shade", s.kind)} data-seq={s.seq.to_string()} data-testid={testid}
                   data-end-seq={s.end_seq.map(|e| e.to_string())}>
                    <title>{ &s.label }</title>
                    <rect x={s.x0.to_string()} y={s.y0.to_string()}
                          width={(s.x1 - s.x0).max(2.0).to_string()}
                          height={(s.y1 - s.y0).to_string()} />
                    <text x={(s.x0.max(lo) + 4.0).to_string()} y={label_y.to_string()}>{ &s.label }</text>
                </g>
            }
        });
    let bars = visible(&picture.bars, &on_screen.bars, lo, hi)
        .map(|b| {
            let key_bar = &reading.keys.bars[b.index];
            let here = key_bar.covers(step);
            let ttl = here
                .then(|| key_bar.ttl_left_ms(now_us))
                .flatten()
                .map(|left| format!("TTL {left:.0} ms"));
            let deadline = b.deadline_x.map(|x| {
                html! {
                    <g class="deadline">
                        <rect class="ttl-window" x={b.x0.to_string()} y={(b.y - 8.0).to_string()}
                              width={(x - b.x0).max(0.0).to_string()} height="16" />
                        <line x1={x.to_string()} x2={x.to_string()}
                              y1={(b.y - 10.0).to_string()} y2={(b.y + 10.0).to_string()} />
                    </g>
                }
            });
            html! {
                <g class={classes!("key-bar", here.then_some("current"))} data-seq={b.seq.to_string()}
                   data-testid="key-bar">
                    <title>{ format!("{} \u{2014} {}", b.label, b.ended) }</title>
                    { deadline.unwrap_or_default() }
                    <rect class="bar" x={b.x0.to_string()} y={(b.y - 6.0).to_string()}
                          width={(b.x1 - b.x0).max(2.0).to_string()} height="12" rx="3" />
                    // The TTL left at the cursor, running down as it moves.
                    if let (true, Some(deadline)) = (here, b.deadline_x) {
                        <rect class="ttl-left" data-testid="ttl-left" x={cursor_x.to_string()}
                              y={(b.y - 6.0).to_string()} width={(deadline - cursor_x).max(0.0).to_string()}
                              height="12" rx="3" />
                    }
                    <text x={(b.x0.max(lo) + 5.0).to_string()} y={(b.y + 4.0).to_string()}>
                        { short(&b.label, 60) }
                    </text>
                    if let Some(ttl) = ttl {
                        <text class="ttl-now" data-testid="ttl-now" x={(cursor_x + 6.0).to_string()}
                              y={(b.y - 9.0).to_string()}>{ ttl }</text>
                    }
                </g>
            }
        });
    let folds = visible(&picture.folds, &on_screen.folds, lo, hi)
        .map(|f| {
            let what = if f.open { "fold this loop" } else { "open this loop" };
            if f.open {
                // A bracket over the loop's events, with a tab to fold it.
                html! {
                    <g class="fold open" data-fold={f.index.to_string()} data-testid="fold" role="button"
                       aria-label={format!("{}: {what}", f.label)}>
                        <title>{ format!("{} \u{2014} click to fold", f.label) }</title>
                        <path d={format!("M{x0} {y1} V{y0} H{x1} V{y1}", x0 = f.x0 - 6.0, x1 = f.x1 + 6.0,
                                         y0 = f.y0, y1 = f.y0 + 8.0)} />
                        <rect class="fold-tab" x={(f.x0 - 6.0).to_string()} y={(f.y0 - 2.0).to_string()}
                              width="104" height="16" rx="4" />
                        <text x={(f.x0).to_string()} y={(f.y0 + 10.0).to_string()}>
                            { format!("\u{25be} fold {} tries", f.tries) }
                        </text>
                    </g>
                }
            } else {
                html! {
                    <g class="fold" data-fold={f.index.to_string()} data-testid="fold" role="button"
                       aria-label={format!("{}: {what}", f.label)}>
                        <title>{ format!("{} \u{2014} click to open", f.label) }</title>
                        <rect x={f.x0.to_string()} y={f.y0.to_string()} width={(f.x1 - f.x0).to_string()}
                              height={(f.y1 - f.y0).to_string()} rx="6" />
                        <text x={(f.x0 + 8.0).to_string()} y={(f.y0 + 15.0).to_string()}>
                            { format!("\u{25b8} {}\u{d7} {}", f.tries, short(&f.command, 22)) }
                        </text>
                        <text class="fold-hint" x={(f.x0 + 8.0).to_string()} y={(f.y1 - 6.0).to_string()}>
                            { format!("\u{2192} {} \u{b7} {} \u{b7} open", short(&f.answer, 12), f.lasted) }
                        </text>
                    </g>
                }
            }
        });
    let arrows = visible(&picture.arrows, &on_screen.arrows, lo, hi)
        .map(|a| {
            let (mx, my) = ((a.x1 + a.x2) / 2.0, (a.y1 + a.y2) / 2.0);
            let long = (a.x2 - a.x1).abs() >= 22.0 || a.token.is_some() || a.fate != "delivered";
            let current = a.seq == step || a.from_seq == step;
            html! {
                <g class={classes!("arrow", a.kind, a.fate, current.then_some("current"))}
                   data-seq={a.seq.to_string()} data-from-seq={a.from_seq.to_string()}
                   data-testid="arrow" data-kind={a.kind} data-fate={a.fate}>
                    <title>{ format!("{} \u{2014} {}", a.kind, a.label) }</title>
                    <line class="hit" x1={a.x1.to_string()} y1={a.y1.to_string()}
                          x2={a.x2.to_string()} y2={a.y2.to_string()} />
                    <line class="shaft" x1={a.x1.to_string()} y1={a.y1.to_string()}
                          x2={a.x2.to_string()} y2={a.y2.to_string()}
                          marker-end={(a.fate != "dropped").then_some("url(#arrowhead)")} />
                    if a.fate == "dropped" {
                        <path class="lost-mark" d={format!("M{} {} l8 8 m0 -8 l-8 8", a.x2 - 4.0, a.y2 - 4.0)} />
                    }
                    // A request's words lean left of its middle, a reply's
                    // right, so a quick round trip's two labels stay apart.
                    if long {
                        <text x={(if a.kind == "request" { mx - 4.0 } else { mx + 4.0 }).to_string()}
                              y={(my - 3.0).to_string()}
                              text-anchor={if a.kind == "request" { "end" } else { "start" }}>
                            { &a.label }
                        </text>
                    }
                </g>
            }
        });
    let dots = visible(&picture.dots, &on_screen.dots, lo, hi).map(|d| {
        let class = classes!(
            "dot",
            d.tone,
            (d.seq == step).then_some("current"),
            causes.contains(&d.seq).then_some("cause")
        );
        html! {
            <g class={class} data-seq={d.seq.to_string()}>
                <circle cx={d.x.to_string()} cy={d.y.to_string()} r="5" />
                if let Some(label) = &d.label {
                    <text x={(d.x + 7.0).to_string()} y={(d.y - 8.0).to_string()}>{ label }</text>
                }
            </g>
        }
    });
    let flags = visible(&picture.flags, &on_screen.flags, lo, hi)
        .map(|f| {
            html! {
                <g class="flag" data-seq={f.seq.to_string()} data-testid="flag">
                    <title>{ &f.label }</title>
                    <line x1={f.x.to_string()} x2={f.x.to_string()} y1={AXIS_H.to_string()}
                          y2={height.to_string()} />
                    <rect x={(f.x - 3.0).to_string()} y="2" width={(f.label.len() as f64 * 6.6 + 14.0).to_string()}
                          height="16" rx="3" />
                    <text x={(f.x + 4.0).to_string()} y="14">{ &f.label }</text>
                </g>
            }
        });

    // The lane labels sit outside the scrolling box, so they stay put.
    let labels = reading.lanes.iter().map(|lane| {
        html! {
            <div class={classes!("pic-label", format!("k-{}", lane.kind))}
                 style={format!("top: {}px; height: {}px", lane.top, lane.height)}
                 title={match &lane.note {
                     Some(note) => format!("{} ({}): {note}", lane.name, lane.kind),
                     None => lane.name.clone(),
                 }}>
                <span class="pic-name">{ &lane.name }</span>
                // A note takes the kind's line: the label is one lane high.
                if let Some(note) = &lane.note {
                    <span class="pic-note" data-testid={format!("lane-note-{}", lane.name)}>{ note }</span>
                } else {
                    <span class="pic-kind">{ lane.kind }</span>
                }
            </div>
        }
    });

    let event = trace.events.get(step);
    let summary = format!(
        "A picture of the run: {} lanes ({}), {} events, cursor on step {step}. \
         The Table view lists every event as text.",
        reading.lanes.len(),
        reading
            .lanes
            .iter()
            .map(|l| l.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        trace.events.len()
    );
    let jump = |to: Option<usize>| {
        let on_step = props.on_step.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(to) = to {
                on_step.emit(to);
            }
        })
    };
    let kind = event.map(|e| kind_word(&e.what)).unwrap_or("event");
    let actor = event.map(|e| e.actor.clone()).unwrap_or_default();
    let (prev_kind, next_kind) = (jumps.same_kind(step, false), jumps.same_kind(step, true));
    let (prev_actor, next_actor) = (jumps.same_actor(step, false), jumps.same_actor(step, true));
    let toggle_play = {
        let (playing, on_step) = (playing.clone(), props.on_step.clone());
        Callback::from(move |_: MouseEvent| {
            // Play from the start again once at the end.
            if !*playing && step >= last {
                on_step.emit(0);
            }
            playing.set(!*playing);
        })
    };
    let on_speed = {
        let speed = speed.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            speed.set(value.parse().unwrap_or(1.0));
        })
    };

    html! {
        <div class="picture" data-testid="picture" data-step={step.to_string()}
             data-playing={playing.to_string()}>
            <div class="pic-controls" role="group" aria-label="Play and jump">
                <button type="button" class="button-quiet pic-play" data-testid="play-button"
                        aria-pressed={playing.to_string()} onclick={toggle_play}>
                    { if *playing { "\u{23f8} Pause" } else { "\u{25b6} Play" } }
                </button>
                <label class="pic-speed">
                    <span class="sr-only">{ "Speed" }</span>
                    <select data-testid="speed-select" onchange={on_speed} aria-label="Playing speed">
                        { for SPEEDS.iter().map(|s| html! {
                            <option value={s.to_string()} selected={*s == *speed}>{ format!("{s}\u{d7}") }</option>
                        }) }
                    </select>
                </label>
                <span class="pic-jumps">
                    <button type="button" class="button-quiet" data-testid="prev-kind"
                            disabled={prev_kind.is_none()} onclick={jump(prev_kind)}
                            title={format!("Previous {kind}")}>{ format!("\u{2039} {kind}") }</button>
                    <button type="button" class="button-quiet" data-testid="next-kind"
                            disabled={next_kind.is_none()} onclick={jump(next_kind)}
                            title={format!("Next {kind}")}>{ format!("{kind} \u{203a}") }</button>
                    <button type="button" class="button-quiet" data-testid="prev-actor"
                            disabled={prev_actor.is_none()} onclick={jump(prev_actor)}
                            title={format!("Previous event of {actor}")}>{ format!("\u{2039} {actor}") }</button>
                    <button type="button" class="button-quiet" data-testid="next-actor"
                            disabled={next_actor.is_none()} onclick={jump(next_actor)}
                            title={format!("Next event of {actor}")}>{ format!("{actor} \u{203a}") }</button>
                </span>
            </div>
            <div class="pic-frame">
                <div class="pic-labels" aria-hidden="true" style={format!("height: {height}px")}>
                    { for labels }
                </div>
                <div class="pic-scroll" ref={scroller} {onscroll} tabindex="0"
                     aria-label="Timeline picture; scroll sideways, arrow keys step">
                    <svg class="pic-svg" width={width.to_string()} height={height.to_string()}
                         role="img" aria-label={summary} {onclick}>
                        <defs>
                            <marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5"
                                    markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                                <path d="M0 0 L10 5 L0 10 z" />
                            </marker>
                        </defs>
                        { for lanes }
                        <g class="axis">{ for ticks }</g>
                        { for gaps }
                        { for shades }
                        { for bars }
                        { for folds }
                        { for arrows }
                        { for dots }
                        { for flags }
                        <line class="cursor" data-testid="cursor" x1={cursor_x.to_string()}
                              x2={cursor_x.to_string()} y1="0" y2={height.to_string()} />
                    </svg>
                </div>
            </div>
            <p class="pic-event" data-testid="current-event" aria-live="polite">
                if let Some(event) = event {
                    <span class="pic-event-where">
                        { format!("Step {step} \u{b7} {} ms \u{b7} {}", ms(event.t_us), event.actor) }
                    </span>
                    <span class="pic-event-text">{ describe(event) }</span>
                }
            </p>
        </div>
    }
}

/// The marks of `all` that `index` says reach into `lo..=hi`, in order.
fn visible<'a, T>(
    all: &'a [T],
    index: &Windows,
    lo: f64,
    hi: f64,
) -> impl Iterator<Item = &'a T> + 'a {
    index
        .visible(lo, hi)
        .into_iter()
        .filter_map(move |i| all.get(i))
}
