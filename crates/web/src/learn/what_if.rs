//! "What if": the learner changes a parameter of the lesson's scenario (a
//! pause's length, a TTL, a network delay, persistence, a start time), or
//! picks one of the lesson's own variations (its interview follow-ups), or
//! edits a client program, and runs it again beside the original.
//!
//! The parameters are read from the scenario itself, so every lesson
//! exposes what its scenario states: each scalar field of a fault, each
//! node's persistence and replication lag, each client's start time and
//! `params`, the run's length. A variation that reshapes the scenario (five
//! Redlock nodes instead of three, a fault added) comes from the lesson's
//! follow-ups, which `lockstep check` runs. Plain Rust: the page's
//! component draws it, the native tests drive it.

use std::collections::BTreeMap;

use lockstep_lessons::lesson::{variation, Lesson};

/// One parameter the learner can change.
#[derive(Clone, Debug, PartialEq)]
pub struct Knob {
    /// Where it sits in the scenario (`fault[0].duration_ms`).
    pub path: String,
    /// What the page calls it (`pause client-1 · duration (ms)`).
    pub label: String,
    /// Its value in the lesson, as text.
    pub value: String,
    pub kind: KnobKind,
}

/// How a knob's text is read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnobKind {
    Whole,
    Number,
    Flag,
    Text,
}

/// A variation the lesson itself states (an interview follow-up on the
/// main scenario): its question and its changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    pub ask: String,
    pub change: BTreeMap<String, toml::Value>,
}

/// Fields of a fault that say what it is rather than how much of it.
const FAULT_IDENTITY: [&str; 3] = ["kind", "target", "resource"];
/// Node fields worth turning.
const NODE_FIELDS: [&str; 3] = ["persistence", "appendfsync", "replication_lag_ms"];

/// The parameters of `table` (a scenario), in the scenario's order.
pub fn knobs(table: &toml::Table) -> Vec<Knob> {
    let mut out = Vec::new();
    if let Some(value) = table.get("duration_ms") {
        push(
            &mut out,
            "duration_ms".into(),
            "the run · length (ms)".into(),
            value,
        );
    }
    for (i, fault) in items(table, "fault") {
        let name = [fault.get("kind"), fault.get("target")]
            .into_iter()
            .flatten()
            .filter_map(toml::Value::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        for (field, value) in fault {
            if !FAULT_IDENTITY.contains(&field.as_str()) {
                push(
                    &mut out,
                    format!("fault[{i}].{field}"),
                    format!("{name} · {}", words(field)),
                    value,
                );
            }
        }
    }
    for (i, node) in items(table, "node") {
        let name = node
            .get("name")
            .and_then(toml::Value::as_str)
            .unwrap_or("node");
        for field in NODE_FIELDS {
            match node.get(field) {
                Some(value) => push(
                    &mut out,
                    format!("node[{i}].{field}"),
                    format!("{name} · {}", words(field)),
                    value,
                ),
                // Persistence is worth offering even where the lesson left
                // the default.
                None if field == "persistence" => push(
                    &mut out,
                    format!("node[{i}].persistence"),
                    format!("{name} · persistence"),
                    &toml::Value::String("none".into()),
                ),
                None => {}
            }
        }
    }
    for (i, client) in items(table, "client") {
        let name = client
            .get("name")
            .and_then(toml::Value::as_str)
            .unwrap_or("client");
        if let Some(value) = client.get("start_ms") {
            push(
                &mut out,
                format!("client[{i}].start_ms"),
                format!("{name} · start (ms)"),
                value,
            );
        }
        if let Some(params) = client.get("params").and_then(toml::Value::as_table) {
            for (field, value) in params {
                push(
                    &mut out,
                    format!("client[{i}].params.{field}"),
                    format!("{name} · {}", words(field)),
                    value,
                );
            }
        }
    }
    out
}

/// The `[[name]]` tables of `table`, with their indexes.
fn items<'a>(table: &'a toml::Table, name: &str) -> impl Iterator<Item = (usize, &'a toml::Table)> {
    table
        .get(name)
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, v)| v.as_table().map(|t| (i, t)))
}

/// Adds a knob for a scalar value (tables and arrays are not turned).
fn push(out: &mut Vec<Knob>, path: String, label: String, value: &toml::Value) {
    let (value, kind) = match value {
        toml::Value::Integer(n) => (n.to_string(), KnobKind::Whole),
        toml::Value::Float(f) => (f.to_string(), KnobKind::Number),
        toml::Value::Boolean(b) => (b.to_string(), KnobKind::Flag),
        toml::Value::String(s) => (s.clone(), KnobKind::Text),
        _ => return,
    };
    out.push(Knob {
        path,
        label,
        value,
        kind,
    });
}

/// `duration_ms` → `duration (ms)`, `ttl_ms` → `ttl (ms)`.
fn words(field: &str) -> String {
    match field.strip_suffix("_ms") {
        Some(stem) => format!("{} (ms)", stem.replace('_', " ")),
        None => field.replace('_', " "),
    }
}

/// Reads a knob's text as the scenario's value, or says why it cannot.
pub fn read(knob: &Knob, text: &str) -> Result<toml::Value, String> {
    let text = text.trim();
    match knob.kind {
        KnobKind::Whole => text.parse::<i64>().map(toml::Value::Integer).map_err(|_| {
            format!(
                "{}: \u{201c}{text}\u{201d} is not a whole number",
                knob.label
            )
        }),
        KnobKind::Number => text
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(toml::Value::Float)
            .ok_or_else(|| format!("{}: \u{201c}{text}\u{201d} is not a number", knob.label)),
        KnobKind::Flag => match text {
            "true" => Ok(toml::Value::Boolean(true)),
            "false" => Ok(toml::Value::Boolean(false)),
            _ => Err(format!("{}: write true or false", knob.label)),
        },
        KnobKind::Text => Ok(toml::Value::String(text.to_string())),
    }
}

/// The lesson's own variations of its main scenario.
pub fn presets(lesson: &Lesson) -> Vec<Preset> {
    lesson
        .interview
        .iter()
        .flat_map(|i| &i.follow_ups)
        .filter(|f| f.scenario.is_empty() && !f.change.is_empty())
        .map(|f| Preset {
            ask: f.ask.clone(),
            change: f.change.clone(),
        })
        .collect()
}

/// What the learner changed: a preset, knob texts by path, programs by client.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    pub preset: Option<usize>,
    pub values: BTreeMap<String, String>,
    pub programs: BTreeMap<String, String>,
}

impl Changes {
    /// True when nothing differs from the lesson.
    pub fn is_empty(&self, lesson: &Lesson) -> bool {
        let knobs = main_table(lesson).map(|t| knobs(&t)).unwrap_or_default();
        self.preset.is_none()
            && self.values.iter().all(|(path, text)| {
                knobs
                    .iter()
                    .any(|k| &k.path == path && k.value == text.trim())
            })
            && self.programs.iter().all(|(client, source)| {
                lesson
                    .programs
                    .iter()
                    .any(|p| &p.client == client && &p.source == source)
            })
    }
}

/// The main scenario's table with the lesson's programs in it.
fn main_table(lesson: &Lesson) -> Result<toml::Table, String> {
    let source = lesson
        .scenarios
        .get("")
        .ok_or("the lesson has no main scenario")?;
    let mut table = source.table.clone();
    for program in &lesson.programs {
        variation::set_program(&mut table, &program.client, &program.source, true);
    }
    Ok(table)
}

/// The lesson's knobs (read from its main scenario).
pub fn lesson_knobs(lesson: &Lesson) -> Vec<Knob> {
    main_table(lesson).map(|t| knobs(&t)).unwrap_or_default()
}

/// The changed scenario as the text and seed the worker runs: the preset
/// first, then each knob that differs from the lesson, then the programs.
pub fn scenario_text(lesson: &Lesson, changes: &Changes) -> Result<(String, u64), String> {
    let mut table = main_table(lesson)?;
    let knobs = knobs(&table);
    if let Some(preset) = changes.preset {
        let preset = presets(lesson)
            .get(preset)
            .cloned()
            .ok_or("the lesson has no such variation")?;
        for (path, value) in preset.change {
            variation::apply(&mut table, &path, value)?;
        }
    }
    for (path, text) in &changes.values {
        let knob = knobs
            .iter()
            .find(|k| &k.path == path)
            .ok_or_else(|| format!("the scenario has no parameter {path}"))?;
        if knob.value != text.trim() {
            variation::apply(&mut table, path, read(knob, text)?)?;
        }
    }
    for (client, source) in &changes.programs {
        let original = lesson.programs.iter().find(|p| &p.client == client);
        if original.is_none_or(|p| &p.source != source) {
            variation::set_program(&mut table, client, source, true);
        }
    }
    let seed = table
        .get("seed")
        .and_then(toml::Value::as_integer)
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or(1);
    let text =
        toml::to_string(&table).map_err(|e| format!("the scenario cannot be written: {e}"))?;
    Ok((text, seed))
}

/// The "what if" panel's state: what was asked, the run under way in the
/// worker, and the comparison once it is back.
#[derive(Clone, Debug, Default)]
pub struct Panel {
    /// The changes of the last run asked for.
    pub changes: Changes,
    /// The worker request under way.
    pub running: Option<u64>,
    /// Why the last attempt did not run (a value that is not a number, a
    /// scenario the simulator refused).
    pub problem: Option<String>,
    /// The lesson's run and the changed one, side by side.
    pub comparison: Option<std::rc::Rc<super::compare::Comparison>>,
    /// How many what-if runs have come back (tests wait on it).
    pub runs: u64,
}

impl Panel {
    /// Turns `changes` into the text and seed to run as request `id`, or
    /// says why not (and nothing is under way then).
    pub fn start(
        &mut self,
        lesson: &Lesson,
        changes: Changes,
        id: u64,
    ) -> Result<(String, u64), String> {
        let built = scenario_text(lesson, &changes);
        self.changes = changes;
        match built {
            Ok(run) => {
                self.running = Some(id);
                self.problem = None;
                Ok(run)
            }
            Err(message) => {
                self.running = None;
                self.problem = Some(message.clone());
                Err(message)
            }
        }
    }

    /// The worker answered request `id`: compared with `before` (the
    /// lesson's run) when it is the one awaited. False for other answers.
    pub fn ran(
        &mut self,
        id: u64,
        result: Result<lockstep_sim::trace::Trace, String>,
        before: Option<&lockstep_sim::trace::Trace>,
    ) -> bool {
        if self.running != Some(id) {
            return false;
        }
        self.running = None;
        self.runs += 1;
        match (result, before) {
            (Ok(after), Some(before)) => {
                self.problem = None;
                self.comparison = Some(std::rc::Rc::new(super::compare::Comparison::new(
                    before, &after,
                )));
            }
            (Ok(_), None) => self.problem = Some("The lesson's own run is not here yet.".into()),
            (Err(message), _) => {
                self.problem = Some(format!("The changed scenario does not run: {message}"));
                self.comparison = None;
            }
        }
        true
    }

    /// The worker stopped while a run was under way.
    pub fn worker_failed(&mut self, message: &str) {
        if self.running.take().is_some() {
            self.problem = Some(format!("The run stopped: {message}. Run it again."));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::jobs::run_text;
    use crate::learn::catalogue::Catalogue;
    use lockstep_lessons::lesson::facts::verdicts;

    fn lesson(id: &str) -> std::rc::Rc<Lesson> {
        Catalogue::load().find(id).unwrap().lesson.clone()
    }

    fn held(trace: &lockstep_sim::trace::Trace, name: &str) -> bool {
        verdicts(trace)
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no verdict {name}"))
            .1
    }

    #[test]
    fn the_gc_pause_lesson_offers_the_pause_length_and_persistence() {
        let lesson = lesson("locks/gc-pause-past-the-ttl");
        let knobs = lesson_knobs(&lesson);
        let pause = knobs
            .iter()
            .find(|k| k.path == "fault[0].duration_ms")
            .unwrap();
        assert_eq!(pause.label, "pause client-1 · duration (ms)");
        assert_eq!(pause.kind, KnobKind::Whole);
        assert!(knobs.iter().any(|k| k.path == "node[0].persistence"));
        // Tables (a fault's `after`) are not knobs.
        assert!(!knobs.iter().any(|k| k.path.ends_with(".after")));
    }

    #[test]
    fn a_shorter_pause_than_the_ttl_keeps_the_lock_safe() {
        let lesson = lesson("locks/gc-pause-past-the-ttl");
        let (text, seed) = scenario_text(&lesson, &Changes::default()).unwrap();
        let original = run_text(&text, seed).unwrap();
        assert!(!held(&original, "mutual_exclusion(report)"));
        let mut changes = Changes::default();
        changes
            .values
            .insert("fault[0].duration_ms".into(), "5000".into());
        assert!(!changes.is_empty(&lesson));
        let (text, seed) = scenario_text(&lesson, &changes).unwrap();
        let changed = run_text(&text, seed).unwrap();
        assert!(held(&changed, "mutual_exclusion(report)"));
    }

    #[test]
    fn an_unchanged_form_runs_the_lessons_own_scenario() {
        let lesson = lesson("locks/gc-pause-past-the-ttl");
        let mut changes = Changes::default();
        for knob in lesson_knobs(&lesson) {
            changes.values.insert(knob.path.clone(), knob.value.clone());
        }
        assert!(changes.is_empty(&lesson));
        let (text, seed) = scenario_text(&lesson, &changes).unwrap();
        assert_eq!(
            run_text(&text, seed).unwrap(),
            lesson.run(Some(seed)).unwrap()
        );
    }

    #[test]
    fn a_value_that_is_not_a_number_is_refused_with_its_label() {
        let lesson = lesson("locks/gc-pause-past-the-ttl");
        let mut changes = Changes::default();
        changes
            .values
            .insert("fault[0].duration_ms".into(), "5 s".into());
        let error = scenario_text(&lesson, &changes).unwrap_err();
        assert!(error.contains("pause client-1 · duration (ms)"), "{error}");
        assert!(error.contains("not a whole number"), "{error}");
    }

    #[test]
    fn a_lessons_follow_up_is_a_preset_that_runs_as_check_expects() {
        let lesson = lesson("locks/gc-pause-past-the-ttl");
        let presets = presets(&lesson);
        assert!(!presets.is_empty());
        let follow_ups = &lesson.interview.as_ref().unwrap().follow_ups;
        let (index, follow_up) = follow_ups
            .iter()
            .filter(|f| f.scenario.is_empty() && !f.change.is_empty())
            .enumerate()
            .next()
            .unwrap();
        let changes = Changes {
            preset: Some(index),
            ..Changes::default()
        };
        let (text, seed) = scenario_text(&lesson, &changes).unwrap();
        let trace = run_text(&text, seed).unwrap();
        for (name, expected) in &follow_up.expect {
            assert_eq!(held(&trace, name), *expected, "{name}");
        }
    }

    #[test]
    fn every_lessons_variations_run_as_the_lesson_expects() {
        // Five Redlock nodes instead of four, AOF on, a fault added: each
        // follow-up on the main scenario, run through this panel's path.
        let mut presets_run = 0;
        for (name, parsed) in lockstep_lessons::lessons() {
            let lesson = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
            let follow_ups: Vec<_> = lesson
                .interview
                .iter()
                .flat_map(|i| &i.follow_ups)
                .filter(|f| f.scenario.is_empty() && !f.change.is_empty())
                .cloned()
                .collect();
            for (index, follow_up) in follow_ups.iter().enumerate() {
                let changes = Changes {
                    preset: Some(index),
                    ..Changes::default()
                };
                let (text, seed) = scenario_text(&lesson, &changes)
                    .unwrap_or_else(|e| panic!("{name} {}: {e}", follow_up.ask));
                let trace = run_text(&text, seed).unwrap();
                for (verdict, expected) in &follow_up.expect {
                    assert_eq!(
                        held(&trace, verdict),
                        *expected,
                        "{name}: {}",
                        follow_up.ask
                    );
                }
                presets_run += 1;
            }
        }
        assert!(presets_run > 10, "{presets_run}");
    }

    #[test]
    fn an_edited_client_program_is_run() {
        let lesson = lesson("locks/gc-pause-past-the-ttl");
        let mut changes = Changes::default();
        changes
            .programs
            .insert("client-1".into(), "error('stopped on purpose')".into());
        let (text, seed) = scenario_text(&lesson, &changes).unwrap();
        let trace = run_text(&text, seed).unwrap();
        let errors = crate::lab::verdicts::program_errors(&trace);
        assert!(errors.iter().any(|e| e.client == "client-1"), "{errors:?}");
    }

    #[test]
    fn the_panel_takes_only_the_answer_it_awaits() {
        let lesson = lesson("locks/gc-pause-past-the-ttl");
        let mut panel = Panel::default();
        let mut changes = Changes::default();
        changes
            .values
            .insert("fault[0].duration_ms".into(), "5000".into());
        let (text, seed) = panel.start(&lesson, changes, 9).unwrap();
        assert_eq!(panel.running, Some(9));
        let before = lesson.run(None).unwrap();
        let after = run_text(&text, seed).unwrap();
        assert!(!panel.ran(8, Ok(after.clone()), Some(&before)));
        assert!(panel.comparison.is_none());
        assert!(panel.ran(9, Ok(after), Some(&before)));
        assert_eq!(panel.runs, 1);
        assert!(panel.comparison.as_ref().unwrap().after.all_held());
        // A value that cannot be read starts nothing and says why.
        let mut bad = Changes::default();
        bad.values.insert("fault[0].duration_ms".into(), "x".into());
        assert!(panel.start(&lesson, bad, 10).is_err());
        assert_eq!(panel.running, None);
        assert!(panel
            .problem
            .as_deref()
            .unwrap()
            .contains("not a whole number"));
    }
}
