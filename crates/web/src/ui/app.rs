//! The page shell: masthead, lessons and the console side by side.

use yew::prelude::*;

use super::console::ConsolePanel;
use super::lessons::LessonList;

#[component]
pub fn App() -> Html {
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
                <LessonList />
                <ConsolePanel />
            </main>
            <footer class="colophon">
                { "Lockstep runs a model of Redis 7, compiled to WebAssembly, in this page. \
                   It aims to give the same replies and errors as Redis; nothing you type \
                   leaves your browser." }
            </footer>
        </div>
    }
}
