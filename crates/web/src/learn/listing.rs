//! The lessons as the home lists them: by track, with search and a tag
//! filter, read from the summaries the build wrote (no lesson is parsed
//! in the page to draw the home).

use std::collections::BTreeSet;

use super::catalogue::TRACKS;
use super::summary::LessonSummary;

/// The summaries the build script wrote for every lesson that parses.
const SUMMARIES_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/lesson_summaries.json"));

/// Every lesson that parses, in track order then `order`.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub entries: Vec<LessonSummary>,
}

impl Listing {
    pub fn load() -> Listing {
        Listing::from_json(SUMMARIES_JSON)
    }

    /// The listing in `json` (the build's output); text that does not read
    /// lists nothing rather than failing the page.
    pub fn from_json(json: &str) -> Listing {
        let mut entries: Vec<LessonSummary> = serde_json::from_str(json).unwrap_or_default();
        let track_rank = |track: &str| {
            TRACKS
                .iter()
                .position(|(t, _)| *t == track)
                .unwrap_or(TRACKS.len())
        };
        entries.sort_by(|a, b| {
            (track_rank(&a.track), a.order, &a.id).cmp(&(track_rank(&b.track), b.order, &b.id))
        });
        Listing { entries }
    }

    pub fn find(&self, id: &str) -> Option<&LessonSummary> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The tracks that have lessons, with their lessons.
    pub fn tracks(&self) -> Vec<(&'static str, &'static str, Vec<&LessonSummary>)> {
        TRACKS
            .iter()
            .map(|(track, title)| {
                let lessons = self.entries.iter().filter(|e| e.track == *track).collect();
                (*track, *title, lessons)
            })
            .filter(|(_, _, lessons): &(_, _, Vec<_>)| !lessons.is_empty())
            .collect()
    }

    /// Every tag, sorted.
    pub fn tags(&self) -> Vec<String> {
        let tags: BTreeSet<&String> = self.entries.iter().flat_map(|e| e.tags.iter()).collect();
        tags.into_iter().cloned().collect()
    }
}

/// Whether `entry` matches the search words (all of them, anywhere in its
/// title, summary, interview question or tags) and the tag, if one is set.
pub fn matches(entry: &LessonSummary, search: &str, tag: Option<&str>) -> bool {
    if let Some(tag) = tag {
        if !entry.tags.iter().any(|t| t == tag) {
            return false;
        }
    }
    let haystack = format!(
        "{} {} {} {}",
        entry.title,
        entry.summary,
        entry.interview,
        entry.tags.join(" ")
    )
    .to_lowercase();
    search
        .split_whitespace()
        .all(|word| haystack.contains(&word.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::catalogue::{Catalogue, START_HERE};
    use crate::learn::summary::LessonSummary;

    #[test]
    fn the_listing_is_the_catalogue_summarised_in_the_same_order() {
        let listing = Listing::load();
        let catalogue = Catalogue::load();
        let checked = lockstep_lessons::checked::Checked::shipped();
        let expected: Vec<LessonSummary> = catalogue
            .entries
            .iter()
            .map(|e| LessonSummary::of(&e.lesson, e.file, &checked))
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(listing.entries, expected);
        assert!(listing.find(START_HERE).is_some());
        assert!(listing.find("locks/no-such-lesson").is_none());
    }

    #[test]
    fn search_needs_every_word_and_the_tag_filters() {
        let listing = Listing::load();
        let gc = listing.find("locks/gc-pause-past-the-ttl").unwrap();
        assert!(matches(gc, "", None));
        assert!(matches(gc, "FENCING pause", None));
        assert!(!matches(gc, "fencing zebra", None));
        assert!(matches(gc, "", Some("fencing token")));
        assert!(!matches(gc, "", Some("no such tag")));
    }

    #[test]
    fn text_that_does_not_read_lists_nothing() {
        assert!(Listing::from_json("not json").entries.is_empty());
    }

    #[test]
    fn tracks_keep_their_order_and_tags_are_sorted() {
        let listing = Listing::load();
        let tracks: Vec<&str> = listing.tracks().iter().map(|(t, _, _)| *t).collect();
        let ranks: Vec<usize> = tracks
            .iter()
            .map(|t| TRACKS.iter().position(|(k, _)| k == t).unwrap())
            .collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{tracks:?}");
        let tags = listing.tags();
        assert!(tags.windows(2).all(|w| w[0] < w[1]));
    }
}
