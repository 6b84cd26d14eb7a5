//! The embed API: what a page that frames the player (a slide deck, a blog
//! post, the `<lockstep-lesson>` element) may ask of it with `postMessage`,
//! and the state the player announces back. The format is versioned and
//! documented in `web/EMBED.md`; this module reads and checks messages and
//! builds announcements, natively testable, while `ui::player` wires it to
//! the browser.
//!
//! Trust: a message is obeyed only when its sender's origin is the page's
//! own or one the embed link names (`&origin=https://slides.example`,
//! repeated or comma-separated; `*` trusts every origin). Anything else is
//! ignored without a reply, so a page that merely frames the player cannot
//! drive it.

use std::collections::BTreeMap;

use lockstep_lessons::lesson::selector::Selector;
use lockstep_lessons::lesson::{variation, Lesson};
use lockstep_sim::trace::Trace;
use serde::Serialize;
use serde_json::{Map, Value};

use super::player::Player;
use crate::lab::verdicts::VerdictRow;

/// The message format's version: every message carries it as `lockstep`.
pub const VERSION: u64 = 1;

/// Longest message read, as JSON text; commands are a few dozen bytes.
const MAX_MESSAGE: usize = 16_000;

/// Most origins an embed link may name.
const MAX_ORIGINS: usize = 8;

/// Autoplay's pace bounds and default, in ms between steps.
const PLAY_MIN_MS: u64 = 100;
const PLAY_MAX_MS: u64 = 10_000;
pub const PLAY_DEFAULT_MS: u64 = 800;

/// The origins whose messages the player obeys (besides its own).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trust {
    origins: Vec<String>,
    any: bool,
}

impl Trust {
    /// Reads the `origin` parameters of an embed link's hash
    /// (`#/lesson/ID?step=3&embed=1&origin=https%3A%2F%2Fslides.example`).
    /// What is not an origin is left out: trust is never widened by a typo.
    pub fn from_hash(hash: &str) -> Trust {
        let query = hash.split_once('?').map_or("", |(_, q)| q);
        let mut trust = Trust::default();
        for piece in query.split('&') {
            let Some(value) = piece.strip_prefix("origin=") else {
                continue;
            };
            for origin in percent_decode(value).split(',') {
                let origin = origin.trim();
                if origin == "*" {
                    trust.any = true;
                } else if let Some(origin) = normalise_origin(origin) {
                    if !trust.origins.contains(&origin) && trust.origins.len() < MAX_ORIGINS {
                        trust.origins.push(origin);
                    }
                }
            }
        }
        trust
    }

    /// Whether a message from `origin` is obeyed, on a page at `own`.
    pub fn allows(&self, origin: &str, own: &str) -> bool {
        self.any || origin == own || self.origins.iter().any(|o| o == origin)
    }

    /// The named origins (not `*`).
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// `&origin=...` to keep in the address the player rewrites at each
    /// step, so a reload keeps trusting the same pages; empty when none.
    pub fn query(&self) -> String {
        let mut names: Vec<String> = self.origins.iter().map(|o| percent_encode(o)).collect();
        if self.any {
            names.push("*".into());
        }
        if names.is_empty() {
            String::new()
        } else {
            format!("&origin={}", names.join(","))
        }
    }
}

/// `scheme://host[:port]` with no path, lowercased, or `None`.
pub fn normalise_origin(text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = text.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.len() > 253 {
        return None;
    }
    let ok = rest
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    ok.then_some(text)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(text: &str) -> String {
    text.replace('%', "%25")
        .replace(':', "%3A")
        .replace('/', "%2F")
}

/// Where `go` goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A step (an event's `seq`).
    Step(u64),
    /// The first event a lesson selector matches (`client-1 pause`,
    /// `storage write 2nd`, `first violation`), as the lesson's notes name them.
    At(String),
    /// The lesson's Nth note along the run, from 1.
    Note(usize),
}

/// A "what if": the run again with a variation of the lesson's scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum WhatIf {
    /// The interview follow-up's variation at this index (from 0).
    FollowUp(usize),
    /// Fields of a scenario (`""`: the main one) set to new values, as the
    /// lesson format's `change` tables write them.
    Change {
        scenario: String,
        change: BTreeMap<String, toml::Value>,
    },
}

/// A command from the framing page.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Asks for the state (also answered to every other command).
    Hello,
    /// Opens another lesson (by id) or the lab's story (by name) at a step.
    LoadLesson {
        id: String,
        step: Option<u64>,
    },
    LoadStory {
        name: String,
        step: Option<u64>,
    },
    Go(Target),
    Next,
    Previous,
    /// Steps forward on its own every `interval_ms` until the end.
    Play {
        interval_ms: u64,
    },
    Pause,
    /// The lesson's own run at its first step, paused.
    Reset,
    WhatIf(WhatIf),
}

/// What a message turned out to be.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    /// Not a Lockstep message (other scripts post messages too): ignored.
    NotOurs,
    Command(Command),
    /// A Lockstep message that cannot be obeyed, and why (sent back).
    Bad(String),
}

/// The commands, for error messages.
const COMMANDS: &str = "hello, load, go, next, previous, play, pause, reset, whatIf";

/// Reads a message's data, given as JSON text.
pub fn read(json: &str) -> Incoming {
    if json.len() > MAX_MESSAGE {
        return Incoming::NotOurs;
    }
    let Ok(Value::Object(message)) = serde_json::from_str::<Value>(json) else {
        return Incoming::NotOurs;
    };
    let Some(version) = message.get("lockstep") else {
        return Incoming::NotOurs;
    };
    if version.as_u64() != Some(VERSION) {
        return Incoming::Bad(format!(
            "message version {version} is not spoken here: this player speaks version {VERSION}"
        ));
    }
    if message.contains_key("type") && !message.contains_key("command") {
        // An announcement (the player's own kind of message) echoed back.
        return Incoming::NotOurs;
    }
    match read_command(&message) {
        Ok(command) => Incoming::Command(command),
        Err(why) => Incoming::Bad(why),
    }
}

fn read_command(m: &Map<String, Value>) -> Result<Command, String> {
    let name = m
        .get("command")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("a message needs a \"command\" ({COMMANDS})"))?;
    let step = |key: &str| -> Result<Option<u64>, String> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("\"{key}\" must be a whole number ≥ 0, not {v}")),
        }
    };
    let text = |key: &str| -> Result<Option<String>, String> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 200 => {
                Ok(Some(s.trim().to_string()))
            }
            Some(v) => Err(format!("\"{key}\" must be a short text, not {v}")),
        }
    };
    Ok(match name {
        "hello" => Command::Hello,
        "load" => match (text("lesson")?, text("story")?) {
            (Some(id), None) => {
                if !super::route::is_lesson_id(&id) {
                    return Err(format!(
                        "\"{}\" is not a lesson id (track/name)",
                        quote(&id)
                    ));
                }
                Command::LoadLesson {
                    id,
                    step: step("step")?,
                }
            }
            (None, Some(name)) => Command::LoadStory {
                name,
                step: step("step")?,
            },
            _ => return Err("load takes one of \"lesson\" or \"story\"".into()),
        },
        "go" => {
            let targets = [
                step("step")?.map(Target::Step),
                text("at")?.map(Target::At),
                step("note")?.map(|n| Target::Note(n as usize)),
            ];
            let mut given = targets.into_iter().flatten();
            match (given.next(), given.next()) {
                (Some(Target::Note(0)), None) => {
                    return Err("notes are counted from 1".into());
                }
                (Some(target), None) => Command::Go(target),
                _ => return Err("go takes one of \"step\", \"at\" (a selector) or \"note\"".into()),
            }
        }
        "next" => Command::Next,
        "previous" | "prev" => Command::Previous,
        "play" => {
            let interval_ms = step("intervalMs")?.unwrap_or(PLAY_DEFAULT_MS);
            if !(PLAY_MIN_MS..=PLAY_MAX_MS).contains(&interval_ms) {
                return Err(format!(
                    "\"intervalMs\" must be between {PLAY_MIN_MS} and {PLAY_MAX_MS}"
                ));
            }
            Command::Play { interval_ms }
        }
        "pause" => Command::Pause,
        "reset" => Command::Reset,
        "whatIf" => {
            if let Some(index) = step("followUp")? {
                Command::WhatIf(WhatIf::FollowUp(index as usize))
            } else {
                let Some(Value::Object(fields)) = m.get("change") else {
                    return Err(
                        "whatIf takes \"followUp\" (a number) or \"change\" ({\"path\": value})"
                            .into(),
                    );
                };
                if fields.is_empty() {
                    return Err("\"change\" names no field".into());
                }
                let mut change = BTreeMap::new();
                for (path, value) in fields {
                    change.insert(
                        path.clone(),
                        to_toml(value)
                            .map_err(|why| format!("\"change\".\"{}\": {why}", quote(path)))?,
                    );
                }
                Command::WhatIf(WhatIf::Change {
                    scenario: text("scenario")?.unwrap_or_default(),
                    change,
                })
            }
        }
        other => {
            return Err(format!(
                "\"{}\" is not a command ({COMMANDS})",
                quote(other)
            ))
        }
    })
}

/// A JSON value as the TOML value a variation sets.
fn to_toml(value: &Value) -> Result<toml::Value, String> {
    Ok(match value {
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => toml::Value::Integer(i),
            (None, Some(f)) => toml::Value::Float(f),
            _ => return Err(format!("{n} is out of range")),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(items) => {
            toml::Value::Array(items.iter().map(to_toml).collect::<Result<_, _>>()?)
        }
        Value::Object(fields) => toml::Value::Table(
            fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), to_toml(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        Value::Null => return Err("null is not a value a scenario has".into()),
    })
}

fn quote(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// The step a target names in the run on show.
pub fn resolve(target: &Target, player: &Player, trace: &Trace) -> Result<usize, String> {
    let last = trace.events.len().saturating_sub(1);
    match target {
        Target::Step(step) => {
            if *step as usize > last {
                Err(format!("step {step} is past the run's last step ({last})"))
            } else {
                Ok(*step as usize)
            }
        }
        Target::At(source) => {
            let selector = Selector::parse(source)?;
            selector.find(trace).map(|e| e.seq as usize)
        }
        Target::Note(n) => player
            .notes
            .get(n - 1)
            .map(|note| note.step)
            .ok_or_else(|| {
                format!(
                    "note {n}: this run has {} note{}",
                    player.notes.len(),
                    if player.notes.len() == 1 { "" } else { "s" }
                )
            }),
    }
}

/// A "what if" ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct VariedRun {
    /// The scenario as the text and seed the lab runs.
    pub text: String,
    pub seed: u64,
    /// Its short name in announcements: `followUp 0`, `fault[0].duration_ms=900`.
    pub label: String,
    /// What the page says is on show: the follow-up's question, or the change.
    pub caption: String,
}

/// A variation of the lesson's scenario, or why it cannot be run.
pub fn what_if_scenario(lesson: &Lesson, what_if: &WhatIf) -> Result<VariedRun, String> {
    let (scenario, change, label, caption) = match what_if {
        WhatIf::FollowUp(index) => {
            let follow_up = lesson
                .interview
                .as_ref()
                .and_then(|i| i.follow_ups.get(*index))
                .ok_or_else(|| {
                    let count = lesson.interview.as_ref().map_or(0, |i| i.follow_ups.len());
                    format!("follow-up {index}: this lesson has {count} (counted from 0)")
                })?;
            (
                follow_up.scenario.clone(),
                follow_up.change.clone(),
                format!("followUp {index}"),
                follow_up.ask.clone(),
            )
        }
        WhatIf::Change { scenario, change } => {
            let label = change
                .iter()
                .map(|(path, value)| format!("{path}={value}"))
                .collect::<Vec<_>>()
                .join(", ");
            let caption = format!("What if {}?", label.replace('=', " = "));
            (scenario.clone(), change.clone(), label, caption)
        }
    };
    let source = lesson
        .scenarios
        .get(&scenario)
        .ok_or_else(|| format!("the lesson has no scenario named \"{}\"", quote(&scenario)))?;
    let mut table = source.table.clone();
    for program in &lesson.programs {
        variation::set_program(
            &mut table,
            &program.client,
            &program.source,
            scenario.is_empty(),
        );
    }
    for (path, value) in change {
        variation::apply(&mut table, &path, value)?;
    }
    let seed = table
        .get("seed")
        .and_then(toml::Value::as_integer)
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or(1);
    let text =
        toml::to_string(&table).map_err(|e| format!("the scenario cannot be written: {e}"))?;
    Ok(VariedRun {
        text,
        seed,
        label,
        caption,
    })
}

/// What the embed remembers between commands.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Session {
    /// Autoplay's pace while playing.
    pub playing: Option<u64>,
    /// The "what if" on show, by its short name.
    pub variation: Option<String>,
    /// The same, in words for the page ([`VariedRun::caption`]).
    pub caption: Option<String>,
    /// Another lesson was asked for: its address is set, and this page
    /// must not write its own back over it before the shell follows it.
    pub leaving: bool,
    /// The lab story on show instead of the lesson's run.
    pub story: Option<String>,
    /// Lockstep messages taken from trusted origins, commands and bad ones
    /// but not `hello`: a framing page compares it with what it sent to
    /// know which announcement answers its latest command.
    pub received: u64,
}

/// One verdict, as announced.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerdictState {
    pub invariant: String,
    pub held: bool,
    /// The step that shows a broken invariant.
    pub step: Option<u64>,
}

/// The state the player announces (`type: "state"`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Announcement {
    pub lockstep: u64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub lesson: String,
    pub story: Option<String>,
    /// `None` until the run has arrived.
    pub step: Option<u64>,
    pub last: Option<u64>,
    /// The step's simulated time, µs since the run began.
    pub time_us: Option<u64>,
    /// A run was asked for and has not arrived yet.
    pub running: bool,
    pub playing: bool,
    pub variation: Option<String>,
    /// The verdicts, once the page shows them (at the last step, or after
    /// "Show verdicts"): announcing them sooner would spoil the lesson.
    pub verdicts: Option<Vec<VerdictState>>,
    /// The predict question (by id) whose gate stopped the learner's stepping.
    pub stopped_by: Option<String>,
    /// [`Session::received`].
    pub received: u64,
}

/// The run as the page shows it, for [`announce`].
pub struct RunView<'a> {
    pub trace: &'a Trace,
    pub step: usize,
    pub verdicts: &'a [VerdictRow],
    pub verdicts_shown: bool,
}

/// The state to announce.
pub fn announce(
    player: &Player,
    run: Option<RunView>,
    running: bool,
    session: &Session,
) -> Announcement {
    let (step, last, time_us, verdicts) = match run {
        Some(run) => (
            Some(run.step as u64),
            Some(run.trace.events.len().saturating_sub(1) as u64),
            run.trace.events.get(run.step).map(|e| e.t_us),
            run.verdicts_shown.then(|| {
                run.verdicts
                    .iter()
                    .map(|v| VerdictState {
                        invariant: v.invariant.clone(),
                        held: v.held,
                        step: v.at_seq,
                    })
                    .collect()
            }),
        ),
        None => (None, None, None, None),
    };
    Announcement {
        lockstep: VERSION,
        kind: "state",
        lesson: player.lesson.meta.id.clone(),
        story: session.story.clone(),
        step,
        last,
        time_us,
        running,
        playing: session.playing.is_some(),
        variation: session.variation.clone(),
        verdicts,
        stopped_by: player
            .stopped_by
            .and_then(|i| player.lesson.questions.get(i))
            .map(|q| q.id.clone()),
        received: session.received,
    }
}

/// An error answer to a command that could not be obeyed.
pub fn error_message(why: &str) -> Value {
    serde_json::json!({ "lockstep": VERSION, "type": "error", "message": why })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::verdicts::verdict_rows;
    use crate::learn::catalogue::Catalogue;

    const GC: &str = "locks/gc-pause-past-the-ttl";

    fn gc_pause() -> (Player, Trace) {
        let catalogue = Catalogue::load();
        let entry = catalogue.find(GC).unwrap();
        let trace = entry.lesson.run(None).unwrap();
        let mut player = Player::new(entry.lesson.clone());
        player.place(&trace);
        (player, trace)
    }

    fn command(json: &str) -> Command {
        match read(json) {
            Incoming::Command(c) => c,
            other => panic!("{json}: {other:?}"),
        }
    }

    fn bad(json: &str) -> String {
        match read(json) {
            Incoming::Bad(why) => why,
            other => panic!("{json}: {other:?}"),
        }
    }

    #[test]
    fn only_the_pages_own_origin_and_the_named_ones_are_trusted() {
        let own = "https://lockstep.example";
        let none = Trust::from_hash("#/lesson/locks/x?step=3&embed=1");
        assert!(none.allows(own, own));
        assert!(!none.allows("https://slides.example", own));

        let named = Trust::from_hash(
            "#/lesson/locks/x?embed=1&origin=https%3A%2F%2Fslides.example,http://127.0.0.1:24351/&origin=javascript:alert(1)",
        );
        assert!(named.allows("https://slides.example", own));
        assert!(named.allows("http://127.0.0.1:24351", own));
        assert!(!named.allows("https://slides.example.evil", own));
        assert!(!named.allows("null", own));
        assert_eq!(named.origins().len(), 2, "{named:?}");
        // The address the player rewrites keeps the same trust.
        let again = Trust::from_hash(&format!("#/lesson/locks/x?embed=1{}", named.query()));
        assert_eq!(again, named);

        let any = Trust::from_hash("#/lesson/locks/x?embed=1&origin=*");
        assert!(any.allows("https://anyone.example", own));
        assert_eq!(Trust::from_hash(&format!("#?{}", any.query())), any);
        assert_eq!(Trust::default().query(), "");
    }

    #[test]
    fn commands_are_read_with_their_arguments() {
        assert_eq!(
            command(r#"{"lockstep":1,"command":"hello"}"#),
            Command::Hello
        );
        assert_eq!(
            command(r#"{"lockstep":1,"command":"go","step":12}"#),
            Command::Go(Target::Step(12))
        );
        assert_eq!(
            command(r#"{"lockstep":1,"command":"go","at":"client-1 pause"}"#),
            Command::Go(Target::At("client-1 pause".into()))
        );
        assert_eq!(
            command(r#"{"lockstep":1,"command":"go","note":2}"#),
            Command::Go(Target::Note(2))
        );
        assert_eq!(
            command(r#"{"lockstep":1,"command":"prev"}"#),
            Command::Previous
        );
        assert_eq!(
            command(r#"{"lockstep":1,"command":"play"}"#),
            Command::Play {
                interval_ms: PLAY_DEFAULT_MS
            }
        );
        assert_eq!(
            command(r#"{"lockstep":1,"command":"load","lesson":"locks/x","step":4}"#),
            Command::LoadLesson {
                id: "locks/x".into(),
                step: Some(4)
            }
        );
        assert_eq!(
            command(r#"{"lockstep":1,"command":"load","story":"clock_jump"}"#),
            Command::LoadStory {
                name: "clock_jump".into(),
                step: None
            }
        );
        let Command::WhatIf(WhatIf::Change { scenario, change }) = command(
            r#"{"lockstep":1,"command":"whatIf","change":{"fault[0].duration_ms":900,"clients.x":[1,"a"]}}"#,
        ) else {
            panic!("whatIf");
        };
        assert_eq!(scenario, "");
        assert_eq!(change["fault[0].duration_ms"], toml::Value::Integer(900));
        assert_eq!(change.len(), 2);
    }

    #[test]
    fn other_messages_are_not_ours_and_bad_ones_say_why() {
        for json in [
            "\"hello\"",
            "[1,2]",
            "not json",
            r#"{"command":"go","step":1}"#,
            r#"{"lockstep":1,"type":"state","step":3}"#,
        ] {
            assert_eq!(read(json), Incoming::NotOurs, "{json}");
        }
        assert_eq!(
            read(&format!("\"{}\"", "x".repeat(20_000))),
            Incoming::NotOurs
        );
        assert!(bad(r#"{"lockstep":2,"command":"go","step":1}"#).contains("version 2"));
        assert!(bad(r#"{"lockstep":1}"#).contains("\"command\""));
        assert!(bad(r#"{"lockstep":1,"command":"fly"}"#).contains("\"fly\" is not a command"));
        assert!(bad(r#"{"lockstep":1,"command":"go","step":-1}"#).contains("whole number"));
        assert!(bad(r#"{"lockstep":1,"command":"go","step":1,"note":1}"#).contains("one of"));
        assert!(bad(r#"{"lockstep":1,"command":"go","note":0}"#).contains("from 1"));
        assert!(bad(r#"{"lockstep":1,"command":"play","intervalMs":5}"#).contains("between"));
        assert!(
            bad(r#"{"lockstep":1,"command":"load","lesson":"../etc"}"#).contains("not a lesson id")
        );
        assert!(bad(r#"{"lockstep":1,"command":"load"}"#).contains("one of"));
        assert!(bad(r#"{"lockstep":1,"command":"whatIf","change":{"a":null}}"#).contains("null"));
        assert!(bad(r#"{"lockstep":1,"command":"whatIf"}"#).contains("followUp"));
    }

    #[test]
    fn targets_resolve_to_steps_of_the_run_on_show() {
        let (player, trace) = gc_pause();
        let pause = Selector::parse("client-1 pause")
            .unwrap()
            .find(&trace)
            .unwrap()
            .seq as usize;
        assert_eq!(
            resolve(&Target::At("client-1 pause".into()), &player, &trace),
            Ok(pause)
        );
        assert_eq!(
            resolve(&Target::Note(1), &player, &trace),
            Ok(player.notes[0].step)
        );
        let notes = player.notes.len();
        assert!(resolve(&Target::Note(notes + 1), &player, &trace)
            .unwrap_err()
            .contains(&format!("{notes} notes")));
        let last = trace.events.len() - 1;
        assert_eq!(
            resolve(&Target::Step(last as u64), &player, &trace),
            Ok(last)
        );
        assert!(resolve(&Target::Step(last as u64 + 1), &player, &trace).is_err());
        assert!(resolve(&Target::At("client-1 fly".into()), &player, &trace)
            .unwrap_err()
            .contains("unknown event kind"));
    }

    #[test]
    fn a_what_if_runs_the_varied_scenario_and_a_bad_path_says_why() {
        let catalogue = Catalogue::load();
        let lesson = &catalogue.find(GC).unwrap().lesson;
        let follow_up = &lesson.interview.as_ref().unwrap().follow_ups[0];
        let run = what_if_scenario(lesson, &WhatIf::FollowUp(0)).unwrap();
        assert_eq!(run.label, "followUp 0");
        assert_eq!(run.caption, follow_up.ask);
        let trace = crate::lab::jobs::run_text(&run.text, run.seed).unwrap();
        // The follow-up's own expectations hold in the run the embed shows.
        for (invariant, held) in &follow_up.expect {
            let verdict = trace
                .verdicts
                .iter()
                .find(|v| &v.invariant == invariant)
                .unwrap();
            assert_eq!(verdict.held, *held, "{invariant}");
        }
        assert!(what_if_scenario(lesson, &WhatIf::FollowUp(99))
            .unwrap_err()
            .contains("follow-up 99"));
        let nowhere = WhatIf::Change {
            scenario: String::new(),
            change: BTreeMap::from([("no_such.field".to_string(), toml::Value::Integer(1))]),
        };
        assert!(what_if_scenario(lesson, &nowhere).is_err());
    }

    #[test]
    fn the_announcement_carries_step_time_and_verdicts_only_once_shown() {
        let (player, trace) = gc_pause();
        let rows = verdict_rows(&trace);
        let session = Session {
            playing: Some(500),
            variation: Some("followUp 0".into()),
            story: None,
            received: 3,
            ..Session::default()
        };
        let waiting = announce(&player, None, true, &session);
        assert_eq!((waiting.step, waiting.running), (None, true));
        let step = trace.events.len() / 2;
        let hidden = announce(
            &player,
            Some(RunView {
                trace: &trace,
                step,
                verdicts: &rows,
                verdicts_shown: false,
            }),
            false,
            &session,
        );
        assert_eq!(hidden.step, Some(step as u64));
        assert_eq!(hidden.time_us, Some(trace.events[step].t_us));
        assert_eq!(hidden.verdicts, None);
        assert!(hidden.playing);
        assert_eq!(hidden.received, 3);
        let shown = announce(
            &player,
            Some(RunView {
                trace: &trace,
                step,
                verdicts: &rows,
                verdicts_shown: true,
            }),
            false,
            &session,
        );
        let verdicts = shown.verdicts.unwrap();
        assert_eq!(verdicts.len(), trace.verdicts.len());
        assert!(verdicts.iter().any(|v| !v.held), "the lesson's run breaks");
        let json =
            serde_json::to_value(announce(&player, None, false, &Session::default())).unwrap();
        assert_eq!(json["lockstep"], VERSION);
        assert_eq!(json["type"], "state");
        assert_eq!(json["lesson"], GC);
        assert!(json.get("timeUs").is_some(), "{json}");
    }
}
