//! The lesson list. There are no lessons yet, and it says so plainly.

use yew::prelude::*;

#[component]
pub fn LessonList() -> Html {
    html! {
        <section class="panel lessons" aria-labelledby="lessons-title">
            <h2 id="lessons-title" class="panel-title">{ "Lessons" }</h2>
            <div class="empty-state">
                <p class="empty-title">{ "Lessons are coming." }</p>
                <p>
                    { "Each lesson will replay one coordination pattern \u{2014} a lock, a lease, \
                       a rate limiter \u{2014} against clients, expiring keys, network partitions, \
                       GC pauses and crashes, step by step, and ask the question an interviewer \
                       would. Your answer is checked by running it." }
                </p>
                <p>{ "Until then, the console runs the Redis model right here." }</p>
            </div>
        </section>
    }
}
