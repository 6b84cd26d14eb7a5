//! Seed coverage: each source document a lesson teaches from has a
//! catalogue (`lessons/coverage/NNN.toml`) listing every item in it — a
//! scenario, an interview question, a follow-up, a pattern, a failure mode,
//! a common mistake. A lesson's `covers` must name catalogue items, so a
//! typo cannot silently count as coverage, and the items no lesson names
//! are listed so nothing in the sources is left untaught.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::lesson::{Lesson, LessonError};

/// One thing in a source document that some lesson must teach.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// `NNN/topic`, the form lessons' `covers` use.
    pub id: String,
    /// One line naming the item.
    pub what: String,
}

/// The items of one seed document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalogue {
    /// The seed's number, `000`: the prefix of every id in it.
    pub number: String,
    /// The seed document's file name.
    pub seed: String,
    pub items: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueToml {
    seed: String,
    #[serde(rename = "item")]
    items: Vec<Item>,
}

/// The seed number of a well-formed item id, `NNN/topic` (three digits, a
/// topic of a-z, 0-9 and `-`): the one rule for ids, in lessons' `covers`
/// and in catalogues alike.
pub fn seed_of(id: &str) -> Option<&str> {
    let (seed, topic) = id.split_once('/')?;
    let well_formed = seed.len() == 3
        && seed.bytes().all(|b| b.is_ascii_digit())
        && !topic.is_empty()
        && topic
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    well_formed.then_some(seed)
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

impl Catalogue {
    /// Reads `NNN.toml`'s text; `number` is the `NNN` of its file name.
    /// Every id must be `NNN/topic` with this file's number and appear
    /// once, and the seed named must be document `NNN`.
    pub fn parse(number: &str, text: &str) -> Result<Catalogue, LessonError> {
        let parsed: CatalogueToml = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| 1 + text[..s.start.min(text.len())].matches('\n').count())
                .unwrap_or(1);
            LessonError::at(line, e.message().trim().to_string())
        })?;
        if !parsed.seed.starts_with(&format!("{number}-")) {
            return Err(LessonError::at(
                line_of(text, "seed").unwrap_or(1),
                format!(
                    "seed `{}` is not document {number} (its file name starts `{number}-`)",
                    parsed.seed
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        for item in &parsed.items {
            let line = line_of(text, &format!("\"{}\"", item.id)).unwrap_or(1);
            if seed_of(&item.id) != Some(number) {
                return Err(LessonError::at(
                    line,
                    format!("item `{}` is not `{number}/topic` (a-z0-9- topic)", item.id),
                ));
            }
            if item.what.trim().is_empty() {
                return Err(LessonError::at(
                    line,
                    format!("item `{}` has an empty `what`", item.id),
                ));
            }
            if !seen.insert(item.id.as_str()) {
                return Err(LessonError::at(
                    line,
                    format!("item `{}` is listed twice", item.id),
                ));
            }
        }
        Ok(Catalogue {
            number: number.to_string(),
            seed: parsed.seed,
            items: parsed.items,
        })
    }

    fn has(&self, id: &str) -> bool {
        self.items.iter().any(|item| item.id == id)
    }

    /// The catalogue's id nearest to `id` by edit distance.
    fn closest(&self, id: &str) -> Option<&str> {
        self.items
            .iter()
            .map(|item| (edit_distance(&item.id, id), item.id.as_str()))
            .min()
            .map(|(_, id)| id)
    }
}

/// Levenshtein distance over bytes (ids are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Every catalogue, by seed number.
#[derive(Clone, Debug, Default)]
pub struct Catalogues {
    by_number: BTreeMap<String, Catalogue>,
}

impl Catalogues {
    pub fn new(catalogues: impl IntoIterator<Item = Catalogue>) -> Catalogues {
        Catalogues {
            by_number: catalogues
                .into_iter()
                .map(|c| (c.number.clone(), c))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_number.is_empty()
    }

    /// Problems with `lesson`'s `covers`: an id whose seed has a catalogue
    /// must be one of its items. Reported at the id's line in `text` (the
    /// lesson file), with the closest item as a hint. Seeds without a
    /// catalogue are not judged: their catalogue may not be written yet.
    pub fn unknown_covers(&self, lesson: &Lesson, text: &str) -> Vec<LessonError> {
        let mut problems = Vec::new();
        for id in &lesson.meta.covers {
            let Some(catalogue) = seed_of(id).and_then(|n| self.by_number.get(n)) else {
                continue;
            };
            if catalogue.has(id) {
                continue;
            }
            let number = &catalogue.number;
            let line = line_of(text, &format!("\"{id}\"")).unwrap_or(2);
            let hint = catalogue
                .closest(id)
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            problems.push(LessonError::at(
                line,
                format!(
                    "covers: `{id}` is not an item of coverage/{number}.toml ({}){hint}",
                    catalogue.seed
                ),
            ));
        }
        problems
    }

    /// How the catalogued items are covered by `lessons`.
    pub fn report<'a>(&self, lessons: impl IntoIterator<Item = &'a Lesson>) -> CoverageReport {
        let named: BTreeSet<&str> = lessons
            .into_iter()
            .flat_map(|l| l.meta.covers.iter().map(String::as_str))
            .collect();
        let mut report = CoverageReport::default();
        for item in self.by_number.values().flat_map(|c| &c.items) {
            report.total += 1;
            if !named.contains(item.id.as_str()) {
                report.uncovered.push(item.clone());
            }
        }
        report
    }
}

/// Which catalogued items no lesson names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoverageReport {
    pub total: usize,
    /// In catalogue order, seeds by number.
    pub uncovered: Vec<Item>,
}

impl CoverageReport {
    pub fn covered(&self) -> usize {
        self.total - self.uncovered.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOGUE: &str = r#"seed = "003-locks.txt"

[[item]]
id = "003/gc-pause"
what = "a pause outlives the TTL"

[[item]]
id = "003/fencing-tokens"
what = "the resource turns away old tokens"
"#;

    fn lesson(covers: &str) -> (Lesson, String) {
        let text = format!(
            "+++\nid = \"t/x\"\ntitle = \"x\"\ntrack = \"t\"\norder = 1\nsummary = \"x\"\n\
             difficulty = \"beginner\"\nminutes = 1\ninterview = \"x\"\ncovers = [{covers}]\n+++\n\n\
             ```toml scenario\ntitle = \"x\"\n[[node]]\nname = \"redis\"\n```\n"
        );
        (Lesson::parse(&text).unwrap(), text)
    }

    #[test]
    fn an_unknown_id_is_reported_at_its_line_with_the_closest_item() {
        let catalogues = Catalogues::new([Catalogue::parse("003", CATALOGUE).unwrap()]);
        let (lesson, text) = lesson("\"003/gc-pauses\", \"003/fencing-tokens\", \"009/other\"");
        let problems = catalogues.unknown_covers(&lesson, &text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, 10);
        assert!(
            problems[0].message.contains("did you mean `003/gc-pause`?"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn the_report_lists_items_no_lesson_names() {
        let catalogues = Catalogues::new([Catalogue::parse("003", CATALOGUE).unwrap()]);
        let (lesson, _) = lesson("\"003/gc-pause\"");
        let report = catalogues.report([&lesson]);
        assert_eq!((report.covered(), report.total), (1, 2));
        assert_eq!(report.uncovered[0].id, "003/fencing-tokens");
    }

    #[test]
    fn a_catalogue_rejects_foreign_ids_duplicates_and_the_wrong_seed() {
        let foreign = CATALOGUE.replace("003/fencing-tokens", "004/fencing-tokens");
        let e = Catalogue::parse("003", &foreign).unwrap_err();
        assert!(e.message.contains("not `003/topic`"), "{}", e.message);
        assert_eq!(e.line, 8);
        let twice = CATALOGUE.replace("003/fencing-tokens", "003/gc-pause");
        let e = Catalogue::parse("003", &twice).unwrap_err();
        assert!(e.message.contains("listed twice"), "{}", e.message);
        let e = Catalogue::parse("004", CATALOGUE).unwrap_err();
        assert!(e.message.contains("not document 004"), "{}", e.message);
        let e = Catalogue::parse("003", "seed = \"003-x\"\nitems = 1\n").unwrap_err();
        assert!(e.message.contains("unknown field"), "{}", e.message);
    }

    #[test]
    fn ids_are_three_digits_a_slash_and_a_plain_topic() {
        assert_eq!(seed_of("003/gc-pause"), Some("003"));
        for bad in [
            "3/gc",
            "003/",
            "003/GC",
            "003/gc pause",
            "003",
            "abc/x",
            "003/a/b",
        ] {
            assert_eq!(seed_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn edit_distance_counts_single_byte_edits() {
        assert_eq!(edit_distance("gc-pause", "gc-pauses"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
