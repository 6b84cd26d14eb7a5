//! The scenario lab panel: story picker, seed, Run and "Break it", the
//! verdicts, the timeline with its stepper, the world at the current step,
//! and the scenario editor. All decisions live in [`crate::lab::Lab`]; this
//! component wires the browser to it: inputs, keys, the address hash, and
//! the web worker that runs the simulator and the explorer.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{
    Element, HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement, KeyboardEvent,
};
use yew::prelude::*;

use super::lab_view::{
    view_editor, view_explorer, view_notice, view_source, view_stepper, view_timeline,
    view_toolbar, view_verdicts, view_world,
};
use super::perf_now;
use super::picture::RunPicture;
use super::search_pool::SearchPool;
use super::worker::WorkerLink;
use crate::lab::jobs::Request;
use crate::lab::Lab;
use crate::learn::route::{self, Route};

/// Everything a visitor can do in the lab; the views send these.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Select(String),
    Run,
    Revert,
    Go(usize),
    First,
    Prev,
    Next,
    Last,
    Break,
    Cancel,
    BackToStory,
    DismissNotice,
    ShowVerdicts,
    /// The editor's text changed (typing: no redraw unless needed).
    Edit(String),
}

/// The lab's DOM handles, passed to the views.
#[derive(Clone, Default)]
pub struct Refs {
    pub editor: NodeRef,
    pub seed: NodeRef,
    pub story: NodeRef,
    pub scroller: NodeRef,
    pub grid: NodeRef,
}

/// The lab; `hash` is the address hash the page was opened with.
#[derive(Properties, PartialEq)]
pub struct LabProps {
    pub hash: AttrValue,
}

#[component]
pub fn ScenarioLab(props: &LabProps) -> Html {
    let lab: Rc<RefCell<Lab>> = {
        let hash = props.hash.clone();
        use_mut_ref(move || {
            let mut lab = Lab::new();
            lab.open_link(&hash, perf_now());
            lab
        })
    };
    let redraw = use_force_update();
    let refs = use_memo((), |_| Refs::default());
    let worker: Rc<RefCell<Option<WorkerLink>>> = use_mut_ref(|| None);
    let seed_error = use_state(|| None::<String>);
    // The address is left alone until the view differs from a plain visit,
    // so the home page keeps a clean URL; a linked page always follows.
    let link_live = use_mut_ref(|| !props.hash.trim_start_matches('#').is_empty());
    let as_table = use_state(stored_table_choice);

    let dispatch: Callback<Action> = {
        let (lab, redraw, refs, worker, seed_error) = (
            lab.clone(),
            redraw.clone(),
            refs.clone(),
            worker.clone(),
            seed_error.clone(),
        );
        Callback::from(move |action: Action| {
            let mut state = lab.borrow_mut();
            match action {
                Action::Edit(text) => {
                    let was = state.edited();
                    state.set_text(text);
                    if was == state.edited() {
                        return;
                    }
                }
                Action::Select(name) => {
                    if let Some(i) = state.stories().iter().position(|s| s.name == name) {
                        state.select_story(i);
                        seed_error.set(None);
                    }
                }
                Action::Run | Action::Break => {
                    // Read the inputs now: a change typed just before the
                    // click is never lost to a pending event.
                    if let Some(editor) = refs.editor.cast::<HtmlTextAreaElement>() {
                        state.set_text(editor.value());
                    }
                    if let Some(seed) = refs.seed.cast::<HtmlInputElement>() {
                        match seed.value().trim().parse::<u64>() {
                            Ok(value) => {
                                state.set_seed(value);
                                seed_error.set(None);
                            }
                            Err(_) => {
                                seed_error.set(Some(
                                    "The seed is a whole number from 0 up: fix it to run.".into(),
                                ));
                                drop(state);
                                redraw.force_update();
                                return;
                            }
                        }
                    }
                    if action == Action::Run {
                        state.run();
                    } else {
                        state.start_break(perf_now());
                    }
                }
                Action::Revert => state.revert(),
                Action::Go(step) => state.go(step),
                Action::First => state.first(),
                Action::Prev => state.prev(),
                Action::Next => state.next(),
                Action::Last => state.last(),
                Action::Cancel => state.cancel_break(),
                Action::BackToStory => state.back_to_story(),
                Action::DismissNotice => state.dismiss_notice(),
                Action::ShowVerdicts => state.reveal_verdicts(),
            }
            drop(state);
            send_requests(&lab, &worker, &redraw);
            redraw.force_update();
        })
    };

    // A page opened on a link is about the linked step: on a small screen,
    // where the lab's controls fill the first screenful, bring the stepper
    // up — unless the link was broken, when what it says comes first. A
    // search started by a link runs as soon as the page is up.
    {
        let (lab, worker, redraw, refs) =
            (lab.clone(), worker.clone(), redraw.clone(), refs.clone());
        let linked = !props.hash.trim_start_matches('#').is_empty();
        use_effect_with((), move |_| {
            if linked && lab.borrow().notice().is_none() {
                bring_into_view(&refs.grid);
            }
            send_requests(&lab, &worker, &redraw);
            // The worker goes with the lab.
            move || drop(worker.borrow_mut().take())
        });
    }

    // Arrow keys step anywhere on the page except in text fields; Home and
    // End only inside the lab, where they cannot be wanted for scrolling.
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            let document = gloo::utils::document();
            // Not passive: a handled arrow must not also scroll the page.
            let options = EventListenerOptions::enable_prevent_default();
            let listener =
                EventListener::new_with_options(&document, "keydown", options, move |event| {
                    let Some(event) = event.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    if event.ctrl_key() || event.meta_key() || event.alt_key() || typing_in(event) {
                        return;
                    }
                    let in_lab = event
                        .target()
                        .and_then(|t| t.dyn_into::<Element>().ok())
                        .and_then(|el| el.closest(".lab").ok().flatten())
                        .is_some();
                    let action = match event.key().as_str() {
                        // PageUp/PageDown: what presentation clickers send.
                        "ArrowLeft" | "PageUp" => Action::Prev,
                        "ArrowRight" | "PageDown" => Action::Next,
                        "Home" if in_lab => Action::First,
                        "End" if in_lab => Action::Last,
                        _ => return,
                    };
                    event.prevent_default();
                    dispatch.emit(action);
                });
            move || drop(listener)
        });
    }

    // A link pasted into the address bar (or back/forward) opens its view.
    {
        let (lab, worker, redraw, link_live) = (
            lab.clone(),
            worker.clone(),
            redraw.clone(),
            link_live.clone(),
        );
        use_effect_with((), move |_| {
            let window = gloo::utils::window();
            let listener = EventListener::new(&window, "hashchange", move |_| {
                // Only the lab's own links (`#/lab?...` or the bare
                // `#story=...`): another page's hash is not for the lab.
                let Route::Lab { link: hash } = route::parse(&location_hash()) else {
                    return;
                };
                if lab.borrow().hash().as_deref() == Some(hash.as_str()) {
                    return;
                }
                lab.borrow_mut().open_link(&hash, perf_now());
                *link_live.borrow_mut() = true;
                send_requests(&lab, &worker, &redraw);
                redraw.force_update();
            });
            move || drop(listener)
        });
    }

    // The lab replaced the story, text or seed (a story picked, a link, a
    // revert): put them into the inputs, which are otherwise the visitor's.
    // (The menu too: once a visitor has picked from it, `selected` on an
    // option no longer moves it.)
    {
        let (lab, refs) = (lab.clone(), refs.clone());
        let version = lab.borrow().inputs_version();
        use_effect_with(version, move |_| {
            let state = lab.borrow();
            if let Some(editor) = refs.editor.cast::<HtmlTextAreaElement>() {
                editor.set_value(state.text());
            }
            if let Some(seed) = refs.seed.cast::<HtmlInputElement>() {
                seed.set_value(&state.seed().to_string());
            }
            if let (Some(menu), Some(story)) =
                (refs.story.cast::<HtmlSelectElement>(), state.story())
            {
                menu.set_value(story.name);
            }
        });
    }

    // After every render: the address follows the view, and the current
    // row is scrolled into the timeline's view.
    {
        let (lab, refs, link_live) = (lab.clone(), refs.clone(), link_live.clone());
        // The first view's hash, once the first run has arrived from the
        // worker: until the view differs from it, the address stays clean.
        let initial: Rc<RefCell<Option<String>>> = use_mut_ref(|| None);
        use_effect(move || {
            let state = lab.borrow();
            if state.breaking().is_none() {
                if let Some(hash) = state.hash() {
                    let mut first = initial.borrow_mut();
                    let first = first.get_or_insert_with(|| hash.clone());
                    let mut live = link_live.borrow_mut();
                    *live = *live || hash != *first;
                    if *live && hash != location_hash() {
                        replace_hash(&hash);
                    }
                }
            }
            scroll_current_into_view(&refs.scroller);
        });
    }

    let state = lab.borrow();
    let on_select = dispatch
        .reform(|e: Event| Action::Select(e.target_unchecked_into::<HtmlSelectElement>().value()));
    html! {
        <section class="panel lab" aria-labelledby="lab-title"
                 data-runs={state.runs_shown().to_string()}>
            <div class="panel-head">
                <h2 id="lab-title" class="panel-title">{ "Scenarios" }</h2>
                <span class="badge">{ "deterministic simulator" }</span>
            </div>
            <p class="lessons">
                { "The stories the lessons are built on. Each is a scenario that runs in \
                   this page \u{2014} Redis nodes, clients running Lua, a network, faults \
                   \u{2014} and shows a coordination pattern failing. Run one, step through \
                   it, edit it, or let the explorer break it. " }
                <a href="#/">{ "The lessons" }</a>
                { " walk through them with questions." }
            </p>
            { view_notice(&state, &dispatch) }
            { view_toolbar(&state, &dispatch, &refs, on_select, (*seed_error).clone()) }
            { view_explorer(&state, &dispatch) }
            { view_source(&state, &dispatch) }
            { view_verdicts(&state, &dispatch) }
            <div class="lab-grid" ref={refs.grid.clone()}>
                { view_stepper(&state, &dispatch) }
                <div class="timeline-area">
                    { view_switch(&as_table) }
                    if *as_table {
                        { view_timeline(&state, &dispatch, &refs) }
                    } else if let Some(shown) = state.shown() {
                        <RunPicture trace={shown.trace.clone()} step={state.step()}
                                    on_step={dispatch.reform(Action::Go)} />
                    }
                </div>
                { view_world(&state) }
            </div>
            { view_editor(&state, &dispatch, &refs) }
        </section>
    }
}

/// Where the visitor's choice of timeline view is kept between visits.
const VIEW_KEY: &str = "lockstep.timeline-view";

/// Whether the visitor last chose the Table view (the picture is the
/// default).
pub(crate) fn stored_table_choice() -> bool {
    gloo::utils::window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(VIEW_KEY).ok().flatten())
        .is_some_and(|v| v == "table")
}

/// "Picture | Table": the picture for the eye, the table for reading every
/// event as text (and for screen readers). The choice is remembered; a
/// full store only means it is not.
pub(crate) fn view_switch(as_table: &UseStateHandle<bool>) -> Html {
    let choose = |table: bool| {
        let as_table = as_table.clone();
        Callback::from(move |_: MouseEvent| {
            if let Ok(Some(store)) = gloo::utils::window().local_storage() {
                let _ = store.set_item(VIEW_KEY, if table { "table" } else { "picture" });
            }
            as_table.set(table);
        })
    };
    html! {
        <div class="view-switch" role="group" aria-label="Timeline view">
            <button type="button" data-testid="view-picture" aria-pressed={(!**as_table).to_string()}
                    onclick={choose(false)}>{ "Picture" }</button>
            <button type="button" data-testid="view-table" aria-pressed={as_table.to_string()}
                    onclick={choose(true)}>{ "Table" }</button>
        </div>
    }
}

/// Posts the lab's requests to its worker, starting one first if there is
/// none yet or the last one failed. Each answer redraws the lab.
fn send_requests(
    lab: &Rc<RefCell<Lab>>,
    worker: &Rc<RefCell<Option<WorkerLink>>>,
    redraw: &UseForceUpdateHandle,
) {
    let mut slot = worker.borrow_mut();
    if lab.borrow_mut().take_worker_lost() {
        slot.take();
    }
    if slot.is_none() {
        let redraw = redraw.clone();
        match WorkerLink::spawn(lab.clone(), Rc::new(move || redraw.force_update())) {
            Ok(link) => *slot = Some(link),
            Err(message) => {
                lab.borrow_mut().worker_failed(&message);
                return;
            }
        }
    }
    let Some(link) = slot.as_ref() else {
        return;
    };
    let requests = lab.borrow_mut().take_requests();
    for request in requests {
        match request {
            // "Break it" searches across the machine's cores.
            Request::Explore { id, text, seed } => {
                let changed: Rc<dyn Fn()> = {
                    let redraw = redraw.clone();
                    Rc::new(move || redraw.force_update())
                };
                POOL.with(|pool| {
                    // Starting a search replaces (and stops) the last one.
                    pool.replace(None);
                    match SearchPool::start(lab, changed, id, &text, seed) {
                        Ok(started) => *pool.borrow_mut() = Some(started),
                        Err(message) => lab.borrow_mut().worker_failed(&message),
                    }
                });
            }
            Request::Cancel { id } => {
                POOL.with(|pool| {
                    if let Some(pool) = pool.borrow().as_ref() {
                        pool.cancel(id);
                    }
                });
            }
            request => link.post(&request),
        }
    }
}

thread_local! {
    /// The lab's running split search (one lab on the page at a time).
    static POOL: RefCell<Option<SearchPool>> = const { RefCell::new(None) };
}

/// Widest window with the stacked layout (styles.css), where the stepper
/// can start below the first screenful.
const STACKED_MAX_WIDTH: f64 = 980.0;

/// On a narrow window, scrolls the page so `target` starts at the top, if it
/// starts in the lower part of the window. (Wide windows show the linked
/// step already: the timeline centres it in the part that is on screen.)
fn bring_into_view(target: &NodeRef) {
    let Some(element) = target.cast::<Element>() else {
        return;
    };
    let window = gloo::utils::window();
    let size = |v: Result<wasm_bindgen::JsValue, _>| v.ok().and_then(|v| v.as_f64());
    let (Some(width), Some(height)) = (size(window.inner_width()), size(window.inner_height()))
    else {
        return;
    };
    if width <= STACKED_MAX_WIDTH && element.get_bounding_client_rect().top() > height * 0.6 {
        element.scroll_into_view();
    }
}

/// True when the key goes to a text field (or the step slider, which
/// handles its own arrows).
pub(crate) fn typing_in(event: &KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|t| t.dyn_into::<HtmlElement>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.is_content_editable()
        })
}

/// The page's current hash, `#...` or empty.
pub fn location_hash() -> String {
    gloo::utils::window().location().hash().unwrap_or_default()
}

/// Rewrites the hash without a history entry per step (Back leaves the
/// lab, not the last step) and without a hashchange event.
pub(crate) fn replace_hash(hash: &str) {
    if let Ok(history) = gloo::utils::window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(hash));
    }
}

/// Keeps the current row visible inside the timeline's own scroll box,
/// without scrolling the page: centred in the part of the box that is on
/// screen, so a deep link to a step shows that step even when the box runs
/// past the bottom of the window.
pub(crate) fn scroll_current_into_view(scroller: &NodeRef) {
    let Some(scroller) = scroller.cast::<HtmlElement>() else {
        return;
    };
    let find = |selector: &str| {
        scroller
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<HtmlElement>().ok())
    };
    let Some(row) = find(".tl-row.current") else {
        return;
    };
    let header = find(".tl-head").map_or(0.0, |h| f64::from(h.offset_height()));
    let height = f64::from(scroller.client_height());
    // The box's visible band, in its own coordinates.
    let rect = scroller.get_bounding_client_rect();
    let window_height = gloo::utils::window()
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(height);
    let mut band_top = header.max(-rect.top());
    let mut band_bottom = height.min(window_height - rect.top());
    let row_height = f64::from(row.offset_height());
    if band_bottom - band_top < 2.0 * row_height {
        band_top = header;
        band_bottom = height;
    }
    let scroll_top = f64::from(scroller.scroll_top());
    let top = f64::from(row.offset_top()) - scroll_top;
    if top < band_top || top + row_height > band_bottom {
        let centred = f64::from(row.offset_top())
            - band_top
            - ((band_bottom - band_top - row_height) / 2.0).max(0.0);
        scroller.set_scroll_top(centred.max(0.0) as i32);
    }
}
