//! The page shell: masthead with its navigation, then the page the address
//! names (see [`crate::learn::route`]): the home, a lesson, or the
//! scenario lab with the Redis console.

use gloo::events::EventListener;
use yew::prelude::*;

use super::chrome::{colophon, masthead, Section};
use super::console::ConsolePanel;
use super::home::Home;
use super::lab::{location_hash, ScenarioLab};
use super::player::LessonPlayer;
use super::review::ReviewPage;
use crate::learn::route::{self, Route};

#[component]
pub fn App() -> Html {
    let route = use_state(|| route::parse(&location_hash()));
    // Links, Back and Forward change the hash: follow it.
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let listener = EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                let next = route::parse(&location_hash());
                // The lab follows its own links (it listens too): only a
                // move between pages redraws the shell.
                let same_page = matches!((&*route, &next), (Route::Lab { .. }, Route::Lab { .. }));
                if !same_page && *route != next {
                    route.set(next);
                    gloo::utils::window().scroll_to_with_x_and_y(0.0, 0.0);
                }
            });
            move || drop(listener)
        });
    }
    let embed = matches!(&*route, Route::Lesson(l) if l.embed);
    let page = match &*route {
        Route::Home => html! { <Home /> },
        Route::Lesson(lesson) => html! {
            // A pasted link to another step or mode opens the lesson anew;
            // stepping rewrites the address without a hashchange.
            <LessonPlayer key={route::format(&route)} id={AttrValue::from(lesson.id.clone())}
                          step={lesson.step} embed={lesson.embed} />
        },
        Route::Lab { link } => html! {
            <>
                <ScenarioLab hash={AttrValue::from(link.clone())} />
                // The console sits below the lab: focusing it on load would
                // scroll the page away and take the arrow keys from the stepper.
                <ConsolePanel autofocus={false} />
            </>
        },
        Route::Review => html! { <ReviewPage /> },
        Route::Unknown { why } => html! {
            <section class="panel not-found" role="alert" data-testid="not-found">
                <h2 class="panel-title">{ "This link does not lead anywhere" }</h2>
                <p>{ format!("The address could not be followed: {why}.") }</p>
                <p><a class="button-primary" href="#/">{ "Go to the lessons" }</a></p>
            </section>
        },
    };
    let section = match &*route {
        Route::Home | Route::Lesson(_) => Section::Lessons,
        Route::Lab { .. } => Section::Lab,
        Route::Review => Section::Review,
        Route::Unknown { .. } => Section::Neither,
    };
    html! {
        <div class={classes!("shell", embed.then_some("embed"))}>
            if !embed { { masthead(section) } }
            <main class="workspace">{ page }</main>
            if !embed { { colophon() } }
        </div>
    }
}
