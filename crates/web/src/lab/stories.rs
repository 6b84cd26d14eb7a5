//! The story scenarios the lab offers (the one catalogue,
//! `lockstep_lessons::stories`), with the titles its menu shows.

/// The story a visitor sees first: the classic way a Redis lock fails,
/// and the one the lab's deep links and tests lean on.
pub const DEFAULT_STORY: &str = "gc_pause_past_ttl";

#[derive(Clone, Debug, PartialEq)]
pub struct Story {
    /// File stem, used in links: `gc_pause_past_ttl`.
    pub name: &'static str,
    /// The scenario's `title`, or the name if the file does not parse (the
    /// editor then shows why).
    pub title: String,
    /// The TOML as shipped.
    pub text: &'static str,
    /// The scenario's own seed, the one a run uses unless told otherwise.
    pub seed: u64,
}

/// Every shipped story, in file order.
pub fn catalogue() -> Vec<Story> {
    lockstep_lessons::stories::catalogue()
        .into_iter()
        .map(|story| {
            let (name, text) = (story.name, story.text);
            let parsed = story.scenario().ok();
            Story {
                name,
                title: parsed
                    .as_ref()
                    .map(|s| s.title.clone())
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| name.to_string()),
                text,
                seed: parsed.map(|s| s.seed).unwrap_or(1),
            }
        })
        .collect()
}

/// Where `name` is in the catalogue.
pub fn find(stories: &[Story], name: &str) -> Option<usize> {
    stories.iter().position(|s| s.name == name)
}

/// The default story's place, or the first story's.
pub fn default_index(stories: &[Story]) -> usize {
    find(stories, DEFAULT_STORY).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_story_has_a_title_and_the_default_exists() {
        let stories = catalogue();
        assert!(stories.len() >= 10);
        assert!(stories.iter().all(|s| s.title != s.name));
        let gc = &stories[default_index(&stories)];
        assert_eq!(gc.name, DEFAULT_STORY);
        assert_eq!(gc.title, "A GC pause outlives the lock's TTL");
        assert_eq!(gc.seed, 1);
        assert_eq!(find(&stories, "no_such_story"), None);
    }
}
