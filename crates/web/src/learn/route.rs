//! The page's routes, read from the address hash.
//!
//! - `#/` (or no hash): the home, the lessons by track;
//! - `#/lesson/TRACK/NAME`: a lesson, optionally `?step=N` (an event's
//!   `seq` in the lesson's run) and `&embed=1` (compact, for a slide);
//! - `#/lab` and `#/lab?story=...&seed=...&step=...`: the scenario lab and
//!   the console; the lab's older bare links (`#story=...`) still open it;
//! - `#/review`: the questions due for review, and progress export/import.
//!
//! Hashes are typed, pasted and forged, so reading one never fails: what
//! cannot be a route becomes [`Route::Unknown`] with a sentence saying why.

/// Where the page is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Home,
    Lesson(LessonRoute),
    /// The lab, with its own link (`#story=...`, or empty for a plain visit).
    Lab {
        link: String,
    },
    /// The questions due for review.
    Review,
    /// Not a route: the sentence says what was wrong.
    Unknown {
        why: String,
    },
}

/// A lesson and where in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonRoute {
    /// The lesson's `id` from its front matter, `locks/gc-pause-past-the-ttl`.
    pub id: String,
    pub step: Option<u64>,
    pub embed: bool,
}

/// Longest hash read; anything longer is not one of ours.
const MAX_LEN: usize = 2_000;

/// Longest piece of a bad hash quoted back.
const MAX_QUOTE: usize = 40;

/// Reads a location hash (with or without its `#`).
pub fn parse(hash: &str) -> Route {
    let text = hash.strip_prefix('#').unwrap_or(hash).trim();
    if text.is_empty() || text == "/" {
        return Route::Home;
    }
    if text.len() > MAX_LEN {
        return unknown(format!("the link is {} characters long", text.len()));
    }
    let Some(path) = text.strip_prefix('/') else {
        // The lab's links before routes existed: `#story=...&seed=...`.
        return Route::Lab {
            link: format!("#{text}"),
        };
    };
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let path = path.trim_end_matches('/');
    if path == "lab" {
        let link = if query.is_empty() {
            String::new()
        } else {
            format!("#{query}")
        };
        return Route::Lab { link };
    }
    if path == "review" {
        return Route::Review;
    }
    if let Some(id) = path.strip_prefix("lesson/") {
        return parse_lesson(id, query);
    }
    unknown(format!(
        "\u{201c}{}\u{201d} is not a page of Lockstep",
        quote(path)
    ))
}

fn parse_lesson(id: &str, query: &str) -> Route {
    if !is_lesson_id(id) {
        return unknown(format!(
            "\u{201c}{}\u{201d} is not a lesson name",
            quote(id)
        ));
    }
    let mut lesson = LessonRoute {
        id: id.to_string(),
        step: None,
        embed: false,
    };
    for piece in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        match key {
            // A step that is not a number is dropped: the lesson opens at
            // its start rather than not at all.
            "step" => lesson.step = value.parse().ok(),
            "embed" => lesson.embed = matches!(value, "1" | "true" | ""),
            _ => {}
        }
    }
    Route::Lesson(lesson)
}

/// `track/name`, each part lowercase letters, digits and `-`/`_`: the
/// shape every lesson id has, so nothing else is ever echoed or looked up.
pub fn is_lesson_id(id: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 80
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    };
    matches!(id.split_once('/'), Some((track, name)) if part(track) && part(name))
}

/// The hash of a route (the inverse of [`parse`] for the routes we write).
pub fn format(route: &Route) -> String {
    match route {
        Route::Home | Route::Unknown { .. } => "#/".to_string(),
        Route::Review => "#/review".to_string(),
        Route::Lab { link } => match link.strip_prefix('#') {
            Some(query) if !query.is_empty() => format!("#/lab?{query}"),
            _ => "#/lab".to_string(),
        },
        Route::Lesson(lesson) => lesson_hash(&lesson.id, lesson.step, lesson.embed),
    }
}

/// `#/lesson/ID`, with `?step=N` and `embed=1` when given.
pub fn lesson_hash(id: &str, step: Option<u64>, embed: bool) -> String {
    let mut out = format!("#/lesson/{id}");
    let mut sep = '?';
    if let Some(step) = step {
        out.push_str(&format!("{sep}step={step}"));
        sep = '&';
    }
    if embed {
        out.push_str(&format!("{sep}embed=1"));
    }
    out
}

fn unknown(why: String) -> Route {
    Route::Unknown { why }
}

/// At most [`MAX_QUOTE`] characters of `text`, for a message.
fn quote(text: &str) -> String {
    let mut out: String = text.chars().take(MAX_QUOTE).collect();
    if text.chars().count() > MAX_QUOTE {
        out.push('\u{2026}');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(id: &str, step: Option<u64>, embed: bool) -> Route {
        Route::Lesson(LessonRoute {
            id: id.into(),
            step,
            embed,
        })
    }

    #[test]
    fn home_lesson_and_lab_routes_read_back_what_format_writes() {
        for route in [
            Route::Home,
            lesson("locks/gc-pause-past-the-ttl", None, false),
            lesson("locks/gc-pause-past-the-ttl", Some(12), false),
            lesson("lua/01-scripts", Some(0), true),
            Route::Review,
            Route::Lab {
                link: String::new(),
            },
            Route::Lab {
                link: "#story=clock_jump&seed=1&step=11".into(),
            },
        ] {
            assert_eq!(parse(&format(&route)), route, "{}", format(&route));
        }
        assert_eq!(parse(""), Route::Home);
        assert_eq!(parse("#"), Route::Home);
        assert_eq!(parse("#/"), Route::Home);
    }

    #[test]
    fn the_labs_bare_links_still_open_the_lab() {
        assert_eq!(
            parse("#story=gc_pause_past_ttl&seed=1&step=77"),
            Route::Lab {
                link: "#story=gc_pause_past_ttl&seed=1&step=77".into()
            }
        );
        assert_eq!(
            parse("#/lab?story=busy_script&explore=1"),
            Route::Lab {
                link: "#story=busy_script&explore=1".into()
            }
        );
    }

    #[test]
    fn a_step_that_is_not_a_number_is_dropped_and_embed_is_read() {
        assert_eq!(
            parse("#/lesson/locks/x?step=abc&embed=1&colour=red"),
            lesson("locks/x", None, true)
        );
        assert_eq!(
            parse("#/lesson/locks/x/?step=5"),
            lesson("locks/x", Some(5), false)
        );
    }

    #[test]
    fn forged_paths_are_unknown_with_a_short_quoted_reason() {
        for hash in [
            "#/lesson/<script>alert(1)</script>",
            "#/lesson/locks",
            "#/lesson/locks/a/b",
            "#/lesson/LOCKS/X",
            "#/lesson/",
            "#/admin",
            "#/lesson/locks/%2e%2e",
        ] {
            let Route::Unknown { why } = parse(hash) else {
                panic!("{hash} is not a route");
            };
            assert!(why.chars().count() < 100, "{why}");
        }
        let long = format!("#/{}", "x".repeat(5000));
        assert!(matches!(parse(&long), Route::Unknown { .. }));
        let Route::Unknown { why } = parse(&format!("#/{}", "y".repeat(500))) else {
            panic!("unknown");
        };
        assert!(why.contains('\u{2026}'), "{why}");
    }
}
