//! The page shell: masthead, the scenario lab, then the Redis console.

use yew::prelude::*;

use super::console::ConsolePanel;
use super::lab::{location_hash, ScenarioLab};

#[component]
pub fn App() -> Html {
    // Read once: the hash the page was opened with.
    let hash = use_memo((), |_| location_hash());
    html! {
        <div class="shell">
            <header class="masthead">
                <a class="brand" href="./" aria-label="Lockstep home">
                    <span class="brand-mark" aria-hidden="true"></span>
                    <span class="brand-name">{ "Lockstep" }</span>
                </a>
                <p class="pitch">
                    { "Learn Redis coordination patterns by watching them fail." }
                </p>
            </header>
            <main class="workspace">
                <ScenarioLab hash={AttrValue::from((*hash).clone())} />
                // The console sits below the lab: focusing it on load would
                // scroll the page away and take the arrow keys from the stepper.
                <ConsolePanel autofocus={false} />
            </main>
            <footer class="colophon">
                { "Lockstep runs a model of Redis 7, compiled to WebAssembly, in this page, \
                   with a deterministic simulator around it: the same story and seed give the \
                   same run every time. It aims to give the same replies and errors as Redis; \
                   nothing you type leaves your browser." }
            </footer>
        </div>
    }
}
