//! The lesson format: one Markdown file with TOML front matter, a scenario,
//! client programs, step notes, questions, myths and an interview
//! walk-through (`lessons/README.md` documents it with an example).
//!
//! Parsing never runs anything; [`check`] runs the scenario and proves
//! every anchor, computed answer, fix and transcript against the run.

pub mod check;
pub mod facts;
pub mod grade;
pub mod markdown;
pub mod myth;
pub mod question;
pub mod selector;
pub mod table;
pub mod variation;

use std::collections::BTreeMap;
use std::fmt;

use lockstep_sim::Scenario;
use serde::Deserialize;

pub use markdown::{Block, Piece};
pub use myth::Myth;
pub use question::{Body, Question};
pub use selector::Selector;

/// A problem in a lesson file, at a line (1-based) of that file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    pub line: usize,
    pub message: String,
}

impl LessonError {
    pub fn at(line: usize, message: impl Into<String>) -> LessonError {
        LessonError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    Beginner,
    Intermediate,
    Advanced,
}

/// The front matter.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub id: String,
    pub title: String,
    pub track: String,
    pub order: u32,
    pub summary: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub difficulty: Difficulty,
    /// Estimated minutes to work through it.
    pub minutes: u32,
    /// The interview question, as an interviewer would ask it.
    pub interview: String,
    /// Source items this lesson teaches (`seed-file/topic`), for coverage.
    #[serde(default)]
    pub covers: Vec<String>,
    /// The scenario is this story (`lessons/stories/NAME.toml`) instead of
    /// an inline ```` ```toml scenario ```` block.
    pub story: Option<String>,
}

/// A note shown on the timeline at the event its selector picks.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    pub line: usize,
    pub at: Selector,
    pub text: String,
}

/// A client program given as a ```` ```lua NAME ```` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub line: usize,
    pub client: String,
    pub source: String,
}

/// A scenario: its TOML as a table, so variations can change a field.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioSource {
    pub line: usize,
    pub table: toml::Table,
}

/// The interview walk-through.
#[derive(Clone, Debug, PartialEq)]
pub struct Interview {
    pub line: usize,
    pub question: String,
    pub rubric: Vec<String>,
    pub follow_ups: Vec<FollowUp>,
}

/// A follow-up question tied to a variation of the main scenario.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    pub ask: String,
    /// The scenario varied (`""`: the main one).
    #[serde(default)]
    pub scenario: String,
    /// Field path (`fault[0].duration_ms`) → new value.
    pub change: BTreeMap<String, toml::Value>,
    /// Invariant (as the trace names it) → whether it holds in the variation.
    pub expect: BTreeMap<String, bool>,
    pub answer: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InterviewToml {
    question: String,
    rubric: Vec<String>,
    #[serde(default, rename = "follow_up")]
    follow_ups: Vec<FollowUp>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    pub meta: Meta,
    /// The article in order, blocks included, for players to render.
    pub pieces: Vec<Piece>,
    /// The main scenario under `""`, variations under their names.
    pub scenarios: BTreeMap<String, ScenarioSource>,
    pub programs: Vec<Program>,
    pub notes: Vec<Note>,
    pub questions: Vec<Question>,
    pub myths: Vec<Myth>,
    /// ```` ```metrics ```` tables, in order.
    pub tables: Vec<table::MetricsTable>,
    pub interview: Option<Interview>,
}

/// Block info words a lesson may use; anything else is probably a typo.
const DISPLAY_LANGUAGES: &[&str] = &["text", "sh", "console", "json", "redis", "diff"];

/// The TOML error's line in the file: `body_line` is the block's first line.
fn toml_line(e: &toml::de::Error, text: &str, body_line: usize) -> usize {
    e.span()
        .map(|s| body_line + text[..s.start.min(text.len())].matches('\n').count())
        .unwrap_or(body_line)
}

fn story_text(name: &str) -> Option<&'static str> {
    crate::stories::find(name).map(|story| story.text)
}

impl Lesson {
    /// Reads a lesson file's text. Nothing is run.
    pub fn parse(text: &str) -> Result<Lesson, LessonError> {
        let doc = markdown::split(text)?;
        let meta: Meta = toml::from_str(&doc.front_matter).map_err(|e| {
            LessonError::at(
                toml_line(&e, &doc.front_matter, doc.front_matter_line),
                format!("front matter: {}", e.message().trim()),
            )
        })?;
        for item in &meta.covers {
            if crate::coverage::seed_of(item).is_none() {
                return Err(LessonError::at(
                    doc.front_matter_line,
                    format!("covers: `{item}` is not `NNN/topic` (a seed number, a-z0-9- topic)"),
                ));
            }
        }
        let mut lesson = Lesson {
            meta,
            pieces: doc.pieces.clone(),
            scenarios: BTreeMap::new(),
            programs: Vec::new(),
            notes: Vec::new(),
            questions: Vec::new(),
            myths: Vec::new(),
            tables: Vec::new(),
            interview: None,
        };
        if let Some(story) = &lesson.meta.story {
            let text = story_text(story).ok_or_else(|| {
                let known: Vec<&str> = crate::stories::catalogue().iter().map(|s| s.name).collect();
                LessonError::at(
                    2,
                    format!(
                        "story = \"{story}\" is not a story (stories: {})",
                        known.join(", ")
                    ),
                )
            })?;
            let table = text
                .parse()
                .map_err(|e| LessonError::at(2, format!("story {story}: {e}")))?;
            lesson
                .scenarios
                .insert(String::new(), ScenarioSource { line: 2, table });
        }
        for piece in &doc.pieces {
            if let Piece::Block(block) = piece {
                lesson.read_block(block)?;
            }
        }
        if !lesson.scenarios.contains_key("") {
            return Err(LessonError::at(
                1,
                "the lesson has no scenario: add a ```toml scenario block or `story = \"NAME\"`",
            ));
        }
        lesson.check_names()?;
        Ok(lesson)
    }

    fn read_block(&mut self, block: &Block) -> Result<(), LessonError> {
        let words: Vec<&str> = block.info.iter().map(String::as_str).collect();
        let at = |m: String| LessonError::at(block.line, m);
        match words.as_slice() {
            ["toml", "scenario", rest @ ..] => {
                let name = match rest {
                    [] => String::new(),
                    [name] => name.to_string(),
                    _ => return Err(at("write ```toml scenario [NAME]".into())),
                };
                if self.scenarios.contains_key(&name) {
                    return Err(at(if name.is_empty() {
                        "a second main scenario (the front matter's `story` or an earlier \
                         ```toml scenario block is the first); name this one: ```toml scenario NAME"
                            .into()
                    } else {
                        format!("a second scenario named `{name}`")
                    }));
                }
                let table = block.body.parse().map_err(|e: toml::de::Error| {
                    LessonError::at(
                        toml_line(&e, &block.body, block.body_line),
                        format!("scenario: {}", e.message().trim()),
                    )
                })?;
                self.scenarios.insert(
                    name,
                    ScenarioSource {
                        line: block.line,
                        table,
                    },
                );
            }
            ["toml", ..] => {}
            ["lua"] => {}
            ["lua", client] => {
                if self.programs.iter().any(|p| p.client == *client) {
                    return Err(at(format!("a second ```lua {client} block")));
                }
                lockstep_lua::mlua::Lua::new()
                    .load(block.body.as_str())
                    .set_name(format!("={client}"))
                    .into_function()
                    .map_err(|e| at(format!("Lua syntax error in {client}'s program: {e}")))?;
                self.programs.push(Program {
                    line: block.line,
                    client: client.to_string(),
                    source: block.body.clone(),
                });
            }
            ["note", ..] => {
                let source = block.info[1..].join(" ");
                let at_selector = Selector::parse(&source).map_err(at)?;
                self.notes.push(Note {
                    line: block.line,
                    at: at_selector,
                    text: block.body.trim().to_string(),
                });
            }
            ["question"] => {
                let q = question::parse(&block.body, block.line).map_err(at)?;
                if self.questions.iter().any(|o| o.id == q.id) {
                    return Err(at(format!("two questions have the id `{}`", q.id)));
                }
                self.questions.push(q);
            }
            ["myth"] => {
                let m = myth::parse(&block.body, block.body_line)
                    .map_err(|(line, m)| LessonError::at(line, m))?;
                self.myths.push(m);
            }
            ["metrics"] => {
                let t = table::parse(&block.body, block.line).map_err(at)?;
                self.tables.push(t);
            }
            ["interview"] => {
                if self.interview.is_some() {
                    return Err(at("a lesson has one interview block".into()));
                }
                let t: InterviewToml = toml::from_str(&block.body).map_err(|e| {
                    LessonError::at(
                        toml_line(&e, &block.body, block.body_line),
                        format!("interview: {}", e.message().trim()),
                    )
                })?;
                self.interview = Some(Interview {
                    line: block.line,
                    question: t.question,
                    rubric: t.rubric,
                    follow_ups: t.follow_ups,
                });
            }
            [] => {}
            [word, ..] if DISPLAY_LANGUAGES.contains(word) => {}
            [word, ..] => {
                return Err(at(format!(
                    "unknown block `{word}` (lesson blocks: toml scenario, lua CLIENT, note \
                     SELECTOR, question, myth, metrics, interview; shown as-is: lua, toml, {})",
                    DISPLAY_LANGUAGES.join(", ")
                )))
            }
        }
        Ok(())
    }

    /// Every ```lua NAME block and fix names a client some scenario has;
    /// every fix names a scenario that exists.
    fn check_names(&self) -> Result<(), LessonError> {
        let has_client = |name: &str| {
            self.scenarios.values().any(|s| {
                s.table
                    .get("client")
                    .and_then(|c| c.as_array())
                    .is_some_and(|clients| {
                        clients
                            .iter()
                            .any(|c| c.get("name").and_then(|n| n.as_str()) == Some(name))
                    })
            })
        };
        for program in &self.programs {
            if !has_client(&program.client) {
                return Err(LessonError::at(
                    program.line,
                    format!(
                        "```lua {0}: no scenario has a client named \"{0}\"",
                        program.client
                    ),
                ));
            }
        }
        for q in &self.questions {
            if let Body::Fix(fix) = &q.body {
                if !self.scenarios.contains_key(&fix.scenario) {
                    return Err(LessonError::at(
                        q.line,
                        format!("fix: there is no ```toml scenario {}", fix.scenario),
                    ));
                }
                if let Some(client) = &fix.client {
                    if !has_client(client) {
                        return Err(LessonError::at(
                            q.line,
                            format!("fix: no scenario has a client named \"{client}\""),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The scenario `name` (`""`: the main one) with the lesson's programs
    /// filled in and `changes` applied.
    pub fn scenario(
        &self,
        name: &str,
        changes: &BTreeMap<String, toml::Value>,
    ) -> Result<Scenario, LessonError> {
        let source = self
            .scenarios
            .get(name)
            .ok_or_else(|| LessonError::at(1, format!("there is no scenario named `{name}`")))?;
        let mut table = source.table.clone();
        for program in &self.programs {
            // Another scenario may give a client a program of its own (the
            // fixed version, say); the main scenario always runs the block.
            variation::set_program(
                &mut table,
                &program.client,
                &program.source,
                name.is_empty(),
            );
        }
        for (path, value) in changes {
            variation::apply(&mut table, path, value.clone())
                .map_err(|m| LessonError::at(source.line, m))?;
        }
        let mut scenario: Scenario =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    LessonError::at(source.line, format!("scenario: {}", e.message().trim()))
                })?;
        for (lib, text) in crate::libraries() {
            scenario.libraries.entry(lib).or_insert(text);
        }
        scenario
            .validate()
            .map_err(|e| LessonError::at(source.line, format!("scenario: {e}")))?;
        Ok(scenario)
    }

    /// The main scenario, as the lesson tells it.
    pub fn main_scenario(&self) -> Result<Scenario, LessonError> {
        self.scenario("", &BTreeMap::new())
    }

    /// Runs the main scenario with `seed` (its own seed when `None`).
    pub fn run(&self, seed: Option<u64>) -> Result<lockstep_sim::Trace, LessonError> {
        let scenario = self.main_scenario()?;
        let seed = seed.unwrap_or(scenario.seed);
        lockstep_sim::run(&scenario, seed).map_err(|m| LessonError::at(1, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRONT: &str =
        "+++\nid = \"t/x\"\ntitle = \"t\"\ntrack = \"t\"\norder = 1\nsummary = \"s\"\n\
                         difficulty = \"beginner\"\nminutes = 1\ninterview = \"q\"\n";

    fn error(rest: &str) -> LessonError {
        Lesson::parse(&format!("{FRONT}{rest}")).unwrap_err()
    }

    /// The line of the first line containing `needle` in the whole file.
    fn line_of(rest: &str, needle: &str) -> usize {
        format!("{FRONT}{rest}")
            .lines()
            .position(|l| l.contains(needle))
            .map(|i| i + 1)
            .unwrap()
    }

    const SCENARIO: &str =
        "```toml scenario\n[[node]]\nname = \"redis\"\n[[client]]\nname = \"c\"\nprogram = \"\"\n```\n";

    #[test]
    fn bad_front_matter_names_its_line() {
        let e = Lesson::parse("+++\nid = \"x\"\ntitle = 3\n+++\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("front matter"), "{e}");
        let e = Lesson::parse(&format!("{FRONT}colour = \"red\"\n+++\n")).unwrap_err();
        assert!(e.message.contains("unknown field `colour`"), "{e}");
        let e = Lesson::parse(&format!("{FRONT}covers = [\"seed 3\"]\n+++\n")).unwrap_err();
        assert!(e.message.contains("is not `NNN/topic`"), "{e}");
    }

    #[test]
    fn every_author_mistake_is_a_clear_error_at_its_line() {
        let cases = [
            (
                format!("+++\n{SCENARIO}```question\nid = \"q\"\nkind = \"essay\"\nprompt = \"p\"\nmodel_answer = \"m\"\n```\n"),
                "```question",
                "unknown question kind `essay`",
            ),
            (
                format!("+++\n{SCENARIO}```lua client-9\nreturn 1\n```\n"),
                "```lua client-9",
                "no scenario has a client named \"client-9\"",
            ),
            (
                format!("+++\n{SCENARIO}```lua c\nif then\n```\n"),
                "```lua c",
                "Lua syntax error in c's program",
            ),
            (
                format!("+++\n{SCENARIO}```questoin\nx\n```\n"),
                "```questoin",
                "unknown block `questoin`",
            ),
            (
                "+++\n```toml scenario\n[[node]\n```\n".to_string(),
                "[[node]",
                "scenario:",
            ),
            (
                format!("+++\n{SCENARIO}```note client-1 entr\nx\n```\n"),
                "```note",
                "unknown event kind `entr`",
            ),
            ("+++\nSome prose.\n".to_string(), "id = ", "has no scenario"),
        ];
        for (rest, at, message) in cases {
            let e = error(&rest);
            let expected_line = if message == "has no scenario" {
                1
            } else {
                line_of(&rest, at)
            };
            assert_eq!(e.line, expected_line, "{message}: {e}");
            assert!(e.message.contains(message), "{message}: {e}");
        }
        let e = Lesson::parse(&format!("{FRONT}story = \"nope\"\n+++\n")).unwrap_err();
        assert!(e.message.contains("is not a story"), "{e}");
    }

    #[test]
    fn a_story_reference_is_the_main_scenario() {
        let lesson =
            Lesson::parse(&format!("{FRONT}story = \"gc_pause_past_ttl\"\n+++\n")).unwrap();
        let scenario = lesson.main_scenario().unwrap();
        assert_eq!(scenario.title, "A GC pause outlives the lock's TTL");
    }
}
