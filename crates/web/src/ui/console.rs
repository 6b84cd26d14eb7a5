//! The Redis console panel: a terminal-like transcript with an input line,
//! and tabs for the console's connections (block one, serve it from the
//! other). The logic is in [`crate::console`]; this is the view and the
//! timer that ends waits at their timeout.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use web_sys::{FocusOptions, HtmlElement, HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

use super::now_ms;
use crate::console::{prompt, Console, Entry, EntryKind, Tone, CONNECTIONS};

/// Shown in the empty input: a first command worth trying.
const PLACEHOLDER: &str = "try: SET lock:1 me NX PX 3000";

#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    /// Take the keyboard when the page opens (not when it opens on a link
    /// to a step of a run, which is what the visitor came for).
    #[prop_or(true)]
    pub autofocus: bool,
    /// A node of a run forked at a step: the console opens on its keys
    /// (see [`crate::lab::fork`]) instead of an empty Redis. Give the
    /// component a new `key` for a new fork.
    #[prop_or_default]
    pub forked: Option<Rc<crate::lab::fork::Forked>>,
}

#[component]
pub fn ConsolePanel(props: &ConsoleProps) -> Html {
    let console: Rc<RefCell<Console>> = {
        let forked = props.forked.clone();
        use_mut_ref(move || match forked {
            Some(forked) => crate::lab::fork::console_on(&forked, now_ms()),
            None => Console::new(now_ms()),
        })
    };
    let (title_id, title) = match &props.forked {
        Some(f) => (
            "fork-console-title",
            format!("Console on {} at step {}", f.node, f.step),
        ),
        None => ("console-title", "Redis console".to_string()),
    };
    let redraw = use_force_update();
    let screen = use_node_ref();
    let input = use_node_ref();
    let timeout: Rc<RefCell<Option<Timeout>>> = use_mut_ref(|| None);

    // Focus the input once, so a visitor can type straight away; without
    // scrolling, since the scenario lab comes first on the page.
    {
        let input = input.clone();
        let autofocus = props.autofocus;
        use_effect_with((), move |_| {
            if autofocus {
                focus(&input);
            }
        });
    }
    // Keep the newest output in view after every change.
    {
        let screen = screen.clone();
        use_effect(move || {
            if let Some(el) = screen.cast::<HtmlElement>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    // A blocked connection with a timeout is woken when it passes. The
    // timer is replaced after every render (dropping one cancels it).
    {
        let (console, redraw, timeout) = (console.clone(), redraw.clone(), timeout.clone());
        use_effect(move || {
            let next = console.borrow().next_timeout_ms();
            let timer = next.map(|at| {
                let delay = u32::try_from((at - now_ms()).clamp(0, 86_400_000)).unwrap_or(0);
                let console = console.clone();
                Timeout::new(delay, move || {
                    console.borrow_mut().tick(now_ms());
                    redraw.force_update();
                })
            });
            *timeout.borrow_mut() = timer;
        });
    }

    // The input is left uncontrolled and read when needed, so a line typed
    // or pasted just before Enter is never lost to a pending re-render.
    let onsubmit = {
        let (console, redraw, input) = (console.clone(), redraw.clone(), input.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(el) = input.cast::<HtmlInputElement>() else {
                return;
            };
            console.borrow_mut().submit(&el.value(), now_ms());
            el.set_value("");
            redraw.force_update();
        })
    };

    let onkeydown = {
        let (console, redraw) = (console.clone(), redraw.clone());
        Callback::from(move |e: KeyboardEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            let recalled = match e.key().as_str() {
                "ArrowUp" => console.borrow_mut().recall_previous(&el.value()),
                "ArrowDown" => console.borrow_mut().recall_next(),
                "l" if e.ctrl_key() => {
                    e.prevent_default();
                    console.borrow_mut().clear();
                    redraw.force_update();
                    return;
                }
                _ => return,
            };
            // Keep the caret where it is instead of jumping to the start.
            e.prevent_default();
            if let Some(text) = recalled {
                el.set_value(&text);
            }
        })
    };

    let onclear = {
        let (console, redraw, input) = (console.clone(), redraw.clone(), input.clone());
        Callback::from(move |_: MouseEvent| {
            console.borrow_mut().clear();
            redraw.force_update();
            focus(&input);
        })
    };

    // A click on the transcript focuses the input, unless it ended a text
    // selection: learners copy replies out of the console.
    let onscreenclick = {
        let input = input.clone();
        Callback::from(move |_: MouseEvent| {
            let selecting = web_sys::window()
                .and_then(|w| w.get_selection().ok().flatten())
                .is_some_and(|s| !s.is_collapsed());
            if !selecting {
                focus(&input);
            }
        })
    };

    let entries = console
        .borrow()
        .transcript()
        .iter()
        .map(view_entry)
        .collect::<Html>();

    let active = console.borrow().active();
    let tabs = (1..=CONNECTIONS)
        .map(|conn| {
            let waiting = console.borrow().waiting(conn).is_some();
            let onclick = {
                let (console, redraw, input) = (console.clone(), redraw.clone(), input.clone());
                Callback::from(move |_: MouseEvent| {
                    console.borrow_mut().select(conn);
                    redraw.force_update();
                    focus(&input);
                })
            };
            let label = if waiting {
                format!("Connection {conn} \u{b7} waiting")
            } else {
                format!("Connection {conn}")
            };
            html! {
                <button type="button" role="tab" aria-selected={(conn == active).to_string()}
                        class={classes!("conn-tab", (conn == active).then_some("active"),
                                        waiting.then_some("waiting"))}
                        {onclick}>
                    { label }
                </button>
            }
        })
        .collect::<Html>();

    let waiting = console.borrow().waiting(active).map(str::to_string);
    let wait_line = waiting.as_ref().map(|command| {
        let oncancel = {
            let (console, redraw, input) = (console.clone(), redraw.clone(), input.clone());
            Callback::from(move |_: MouseEvent| {
                console.borrow_mut().cancel(active, now_ms());
                redraw.force_update();
                focus(&input);
            })
        };
        html! {
            <div class="wait-line" role="status">
                <span class="spinner" aria-hidden="true"></span>
                { format!("Connection {active} is waiting in {command}") }
                <button type="button" class="button-quiet cancel-wait" onclick={oncancel}>
                    { "Cancel" }
                </button>
            </div>
        }
    });
    let placeholder = if waiting.is_some() {
        "waiting\u{2026} serve it from the other connection"
    } else {
        PLACEHOLDER
    };

    html! {
        <section class="panel console" aria-labelledby={title_id}>
            <div class="panel-head">
                <h2 id={title_id} class="panel-title">{ title }</h2>
                <span class="badge">{ "Redis 7 model" }</span>
                <button type="button" class="button-quiet" onclick={onclear}
                        title="Clear the screen (Ctrl+L)">
                    { "Clear" }
                </button>
            </div>
            <div class="conn-tabs" role="tablist" aria-label="Connections">{ tabs }</div>
            <div class="screen" ref={screen} onclick={onscreenclick}>
                <div class="transcript" role="log" aria-live="polite" aria-label="Console output">
                    { entries }
                </div>
                { for wait_line }
                <form class="entry input-line" onsubmit={onsubmit}>
                    <label class="prompt" for="console-input">{ prompt(active) }</label>
                    <input id="console-input" ref={input} type="text" {onkeydown}
                           {placeholder} aria-label="Redis command"
                           autocomplete="off" autocapitalize="off" spellcheck="false" />
                </form>
            </div>
            <p class="console-keys">
                <kbd>{ "Enter" }</kbd>{ " runs \u{b7} " }
                <kbd>{ "\u{2191}" }</kbd><kbd>{ "\u{2193}" }</kbd>{ " history \u{b7} " }
                <kbd>{ "Ctrl+L" }</kbd>{ " clears \u{b7} type " }<code>{ "help" }</code>{ " for tips" }
            </p>
        </section>
    }
}

fn view_entry(entry: &Entry) -> Html {
    match &entry.kind {
        EntryKind::Command(line) => html! {
            <div key={entry.id} class="entry command">
                <span class="prompt" aria-hidden="true">{ prompt(entry.conn) }</span>
                <span class="typed">{ line }</span>
            </div>
        },
        EntryKind::Output { text, tone } => {
            let tone = match tone {
                Tone::Reply => "reply",
                Tone::Error => "error",
                Tone::Note => "note",
            };
            html! { <pre key={entry.id} class={classes!("entry", "output", tone)}>{ text }</pre> }
        }
    }
}

fn focus(input: &NodeRef) {
    if let Some(el) = input.cast::<HtmlInputElement>() {
        let options = FocusOptions::new();
        options.set_prevent_scroll(true);
        let _ = el.focus_with_options(&options);
    }
}
