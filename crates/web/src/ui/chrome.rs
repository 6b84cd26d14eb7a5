//! The page's chrome around every page: the masthead with its navigation
//! and the colophon. Shared by the first screen and the whole app, so the
//! home looks the same whichever of the two drew it.

use yew::prelude::*;

/// Which section of the site a page belongs to, for `aria-current`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Lessons,
    Lab,
    Review,
    Neither,
}

pub fn masthead(current: Section) -> Html {
    let here = |which: Section| (current == which).then_some("page");
    html! {
        <header class="masthead">
            <a class="brand" href="#/" aria-label="Lockstep home">
                <span class="brand-mark" aria-hidden="true"></span>
                <span class="brand-name">{ "Lockstep" }</span>
            </a>
            <p class="pitch">
                { "Learn Redis coordination patterns by watching them fail." }
            </p>
            <nav class="site-nav" aria-label="Sections">
                <a href="#/" aria-current={here(Section::Lessons)} data-testid="nav-lessons">{ "Lessons" }</a>
                <a href="#/lab" aria-current={here(Section::Lab)} data-testid="nav-lab">{ "Lab & console" }</a>
                <a href="#/review" aria-current={here(Section::Review)} data-testid="nav-review">{ "Review" }</a>
            </nav>
        </header>
    }
}

pub fn colophon() -> Html {
    html! {
        <footer class="colophon">
            { "Lockstep runs a model of Redis 7, compiled to WebAssembly, in this page, \
               with a deterministic simulator around it: the same story and seed give the \
               same run every time. It aims to give the same replies and errors as Redis; \
               nothing you type leaves your browser." }
        </footer>
    }
}
