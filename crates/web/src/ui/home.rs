//! The home: what Lockstep is, where to start, the lessons by track with
//! the learner's progress, a search box and a tag filter, and the
//! questions answered wrong.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::store::{clock_ms, listing, save_problem, with_progress};
use crate::learn::catalogue::START_HERE;
use crate::learn::listing::matches;
use crate::learn::progress::LessonProgress;
use crate::learn::route::lesson_hash;
use crate::learn::summary::LessonSummary;

#[component]
pub fn Home() -> Html {
    let search = use_state(String::new);
    let tag = use_state(|| None::<String>);
    let catalogue = listing();
    let first_visit = with_progress(|p| p.is_first_visit());
    let on_search = {
        let search = search.clone();
        Callback::from(move |e: InputEvent| {
            search.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_tag = {
        let tag = tag.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            tag.set((!value.is_empty()).then_some(value));
        })
    };
    let start = catalogue.find(START_HERE).or(catalogue.entries.first());
    let tracks = catalogue
        .tracks()
        .into_iter()
        .map(|(track, title, entries)| {
            let shown: Vec<&LessonSummary> = entries
                .into_iter()
                .filter(|e| matches(e, &search, tag.as_deref()))
                .collect();
            if shown.is_empty() {
                return html! {};
            }
            html! {
                <section class="track" aria-labelledby={format!("track-{track}")}>
                    <h2 class="track-title" id={format!("track-{track}")}>{ title }</h2>
                    <ol class="lesson-list">
                        { for shown.iter().map(|e| view_card(e)) }
                    </ol>
                </section>
            }
        })
        .collect::<Html>();
    let any_shown = catalogue
        .entries
        .iter()
        .any(|e| matches(e, &search, tag.as_deref()));
    let wrong = with_progress(|p| {
        p.wrong()
            .into_iter()
            .filter_map(|(lesson, question)| {
                let entry = catalogue.find(lesson)?;
                let q = entry.questions.iter().find(|q| q.id == question)?;
                Some((entry.id.clone(), entry.title.clone(), q.prompt.clone()))
            })
            .collect::<Vec<_>>()
    });
    html! {
        <div class="home" data-testid="home">
            <section class="hero">
                <h1 class="hero-title">{ "Redis locks, scripts and limiters, broken in front of you" }</h1>
                <p class="hero-lede">
                    { "Lockstep runs a faithful model of Redis 7 and its Lua inside a deterministic \
                       simulation of clients, networks, clocks and crashes, right in this page, so \
                       you can watch each coordination pattern fail step by step and answer the \
                       interview question it poses." }
                </p>
                if let Some(start) = start {
                    <a class="button-primary start-here" data-testid="start-here"
                       href={lesson_hash(&start.id, None, false)}>
                        { if first_visit { format!("Start here: {}", start.title) }
                          else { format!("From the start: {}", start.title) } }
                    </a>
                }
            </section>
            if let Some(problem) = save_problem() {
                <p class="notice" role="status" data-testid="progress-problem">{ problem }</p>
            }
            { view_review_link() }
            if !wrong.is_empty() {
                <section class="wrong-list" aria-labelledby="wrong-title" data-testid="wrong-list">
                    <h2 id="wrong-title" class="track-title">{ "Questions to try again" }</h2>
                    <ul>
                        { for wrong.iter().map(|(id, title, prompt)| html! {
                            <li>
                                <a href={lesson_hash(id, None, false)}>{ title.clone() }</a>
                                <span class="wrong-prompt">{ prompt.clone() }</span>
                            </li>
                        }) }
                    </ul>
                </section>
            }
            <div class="filters" role="search">
                <label class="field">
                    <span class="field-label">{ "Search lessons" }</span>
                    <input type="search" data-testid="search" placeholder="lock, TTL, fencing…"
                           value={(*search).clone()} oninput={on_search} />
                </label>
                <label class="field">
                    <span class="field-label">{ "Tag" }</span>
                    <select data-testid="tag-filter" onchange={on_tag}>
                        <option value="" selected={tag.is_none()}>{ "All tags" }</option>
                        { for catalogue.tags().into_iter().map(|t| html! {
                            <option value={t.clone()} selected={tag.as_deref() == Some(t.as_str())}>{ t.clone() }</option>
                        }) }
                    </select>
                </label>
            </div>
            { tracks }
            if !any_shown {
                <p class="none" data-testid="no-match">{ "No lesson matches: try fewer words or another tag." }</p>
            }
        </div>
    }
}

fn view_card(entry: &LessonSummary) -> Html {
    let meta = entry;
    let progress = with_progress(|p| p.lesson(&entry.id).cloned());
    let total = entry.questions.len();
    html! {
        <li class="lesson-card" data-testid={format!("lesson-{}", entry.id)}>
            <a class="lesson-link" href={lesson_hash(&entry.id, None, false)}>
                <span class="lesson-order">{ meta.order }</span>
                <span class="lesson-title">{ &meta.title }</span>
            </a>
            <p class="lesson-interview">{ &meta.interview }</p>
            <p class="lesson-facts">
                <span class={classes!("pill", "difficulty", meta.difficulty.clone())}>
                    { &meta.difficulty }
                </span>
                <span>{ format!("{} min", meta.minutes) }</span>
                if entry.checked {
                    <span class="pill checked-badge" data-testid="fidelity-badge"
                          title="Every myth transcript in this lesson was replayed on a real redis-server and matched byte for byte.">
                        { "\u{2713} checked against Redis 7.0" }
                    </span>
                }
                { view_progress(progress.as_ref(), total) }
            </p>
        </li>
    }
}

fn view_progress(progress: Option<&LessonProgress>, questions: usize) -> Html {
    let Some(p) = progress else {
        return html! { <span class="progress-none">{ "not started" }</span> };
    };
    let right = p.questions.values().filter(|r| **r).count();
    let wrong = p.questions.len() - right;
    let steps = (p.furthest_step * 100)
        .checked_div(p.last_step)
        .map_or_else(|| "started".to_string(), |pct| format!("{pct}% of the run"));
    html! {
        <span class="progress" data-testid="lesson-progress">
            { format!("{steps} \u{b7} {right}/{questions} right") }
            if wrong > 0 { { format!(" \u{b7} {wrong} to retry") } }
            if p.interview_done { { " \u{b7} interview done" } }
        </span>
    }
}

/// The way to the review page, with how many questions are due.
fn view_review_link() -> Html {
    let now = clock_ms();
    let (due, scheduled) = with_progress(|p| (p.due(now).len(), p.schedule().len()));
    let text = match (due, scheduled) {
        (0, 0) => "Review: questions you miss come back here on a schedule, and your progress file"
            .to_string(),
        (0, n) => format!(
            "Review: nothing due now, {n} question{} coming up",
            if n == 1 { "" } else { "s" }
        ),
        (d, _) => format!(
            "Review: {d} question{} due now",
            if d == 1 { "" } else { "s" }
        ),
    };
    html! {
        <p class="review-link">
            <a href="#/review" class={classes!(if due > 0 { "button-primary" } else { "button-secondary" })}
               data-testid="review-link" data-due={due.to_string()}>{ text }</a>
        </p>
    }
}
