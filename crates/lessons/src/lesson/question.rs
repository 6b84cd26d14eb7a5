//! The question kinds and how a ```` ```question ```` block's TOML becomes
//! one. Every kind carries a model answer in the words an interviewer
//! wants to hear.

use serde::Deserialize;

use super::selector::Selector;

#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    pub id: String,
    /// The line of the block's opening fence.
    pub line: usize,
    pub prompt: String,
    pub model_answer: String,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Choice {
        multiple: bool,
        options: Vec<ChoiceOption>,
    },
    Predict {
        at: Selector,
        ask: Ask,
        /// Shown as choices when given; the learner may also type.
        options: Vec<String>,
        /// The author's stated answer, checked against the run.
        answer: Option<String>,
    },
    Numeric {
        query: Query,
        /// How far off an answer may be and still count.
        tolerance: f64,
        unit: String,
        answer: Option<f64>,
    },
    Order {
        items: Vec<OrderItem>,
    },
    Fix(Fix),
    Explain {
        rubric: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    pub text: String,
    #[serde(default)]
    pub correct: bool,
    pub feedback: String,
}

/// What a predict question asks about the world at its step.
#[derive(Clone, Debug, PartialEq)]
pub enum Ask {
    /// The reply the event shows (a received reply, a node's answer, a
    /// resource's verdict on a write).
    Reply,
    /// Who is inside the critical section (`nobody` when empty).
    Holder { section: String },
    /// A key's value on a node (`(nil)` when the key does not exist).
    Value { node: String, key: String },
}

/// A number read from the run.
#[derive(Clone, Debug, PartialEq)]
pub enum Query {
    /// How many events match (the position is ignored).
    Count(Selector),
    /// Global milliseconds from the first event to the second.
    MsBetween(Selector, Selector),
    /// The global time of the event, in ms.
    AtMs(Selector),
    /// A measurement in the simulator's metric language
    /// (`p99(latency, client-1)`, `count(db query)`).
    Metric(lockstep_sim::metric::Metric),
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderItem {
    pub label: String,
    pub at: Selector,
}

/// A "fix it": the learner edits a client's program (or a library) so
/// that the explorer finds no violation within the budget and the work
/// still gets done.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    /// The client whose program is edited, or `None` with `library`.
    pub client: Option<String>,
    pub library: Option<String>,
    /// The scenario to grade in (`""`: the lesson's main one).
    pub scenario: String,
    /// The explorer's budget as `lockstep explore --budget` takes it.
    pub budget: String,
    /// The starting code; defaults to the client's ```` ```lua ```` block.
    pub start: Option<String>,
    /// Code that passes.
    pub model: String,
}

/// What went wrong reading a question, with the line within the block
/// when TOML knows it.
pub type ReadError = String;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceToml {
    #[serde(default)]
    multiple: bool,
    options: Vec<ChoiceOption>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PredictToml {
    at: String,
    ask: String,
    section: Option<String>,
    node: Option<String>,
    key: Option<String>,
    #[serde(default)]
    options: Vec<String>,
    answer: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumericToml {
    count: Option<String>,
    ms_between: Option<[String; 2]>,
    at_ms: Option<String>,
    metric: Option<String>,
    #[serde(default)]
    tolerance: f64,
    #[serde(default)]
    unit: String,
    answer: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderItemToml {
    label: String,
    at: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderToml {
    items: Vec<OrderItemToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixToml {
    client: Option<String>,
    library: Option<String>,
    #[serde(default)]
    scenario: String,
    #[serde(default)]
    budget: String,
    start: Option<String>,
    model: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplainToml {
    rubric: Vec<String>,
}

const KINDS: &str = "choice, predict, numeric, order, fix, explain";

fn take_string(table: &mut toml::Table, field: &str) -> Result<String, ReadError> {
    match table.remove(field) {
        Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(format!("`{field}` must be a non-empty string")),
        None => Err(format!("a question needs `{field}`")),
    }
}

fn rest<T: for<'de> Deserialize<'de>>(table: toml::Table, kind: &str) -> Result<T, ReadError> {
    toml::Value::Table(table)
        .try_into()
        .map_err(|e| format!("{kind} question: {}", e.to_string().trim()))
}

fn selector(source: &str) -> Result<Selector, ReadError> {
    Selector::parse(source)
}

/// Reads one question block's TOML (`line` is the fence's line).
pub fn parse(text: &str, line: usize) -> Result<Question, ReadError> {
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| e.message().trim().to_string())?;
    let kind = take_string(&mut table, "kind")?;
    let id = take_string(&mut table, "id")?;
    let prompt = take_string(&mut table, "prompt")?;
    let model_answer = take_string(&mut table, "model_answer")?;
    let body = match kind.as_str() {
        "choice" => {
            let t: ChoiceToml = rest(table, "choice")?;
            let correct = t.options.iter().filter(|o| o.correct).count();
            if t.options.len() < 2 {
                return Err("a choice question needs at least two options".into());
            }
            if correct == 0 {
                return Err("no option is marked `correct = true`".into());
            }
            if !t.multiple && correct > 1 {
                return Err(format!(
                    "{correct} options are correct: set `multiple = true` or mark one"
                ));
            }
            Body::Choice {
                multiple: t.multiple,
                options: t.options,
            }
        }
        "predict" => {
            let t: PredictToml = rest(table, "predict")?;
            let ask = match (t.ask.as_str(), t.section, t.key) {
                ("reply", None, None) => Ask::Reply,
                ("holder", Some(section), None) => Ask::Holder { section },
                ("value", None, Some(key)) => Ask::Value {
                    node: t.node.clone().unwrap_or_default(),
                    key,
                },
                (ask, ..) => {
                    return Err(format!(
                        "predict: `ask = \"{ask}\"` wants: \"reply\" alone, \"holder\" with \
                         `section`, or \"value\" with `key` (and `node`)"
                    ))
                }
            };
            Body::Predict {
                at: selector(&t.at)?,
                ask,
                options: t.options,
                answer: t.answer,
            }
        }
        "numeric" => {
            let t: NumericToml = rest(table, "numeric")?;
            let query = match (t.count, t.ms_between, t.at_ms, t.metric) {
                (Some(s), None, None, None) => Query::Count(selector(&s)?),
                (None, Some([a, b]), None, None) => Query::MsBetween(selector(&a)?, selector(&b)?),
                (None, None, Some(s), None) => Query::AtMs(selector(&s)?),
                (None, None, None, Some(m)) => {
                    Query::Metric(lockstep_sim::metric::Metric::parse(&m)?)
                }
                _ => {
                    return Err("numeric: give exactly one of `count = SELECTOR`, \
                                `ms_between = [SELECTOR, SELECTOR]`, `at_ms = SELECTOR`, \
                                `metric = METRIC`"
                        .into())
                }
            };
            if !(t.tolerance >= 0.0 && t.tolerance.is_finite()) {
                return Err("numeric: `tolerance` must be 0 or more".into());
            }
            Body::Numeric {
                query,
                tolerance: t.tolerance,
                unit: t.unit,
                answer: t.answer,
            }
        }
        "order" => {
            let t: OrderToml = rest(table, "order")?;
            if t.items.len() < 2 || t.items.len() > 26 {
                return Err("an order question needs 2 to 26 items".into());
            }
            let items = t
                .items
                .into_iter()
                .map(|i| {
                    Ok(OrderItem {
                        label: i.label,
                        at: selector(&i.at)?,
                    })
                })
                .collect::<Result<Vec<_>, ReadError>>()?;
            Body::Order { items }
        }
        "fix" => {
            let t: FixToml = rest(table, "fix")?;
            if t.client.is_some() == t.library.is_some() {
                return Err(
                    "fix: name exactly one of `client` (whose program is edited) \
                            or `library`"
                        .into(),
                );
            }
            Body::Fix(Fix {
                client: t.client,
                library: t.library,
                scenario: t.scenario,
                budget: t.budget,
                start: t.start,
                model: t.model,
            })
        }
        "explain" => {
            let t: ExplainToml = rest(table, "explain")?;
            if t.rubric.is_empty() {
                return Err("an explain question needs a `rubric` of key points".into());
            }
            Body::Explain { rubric: t.rubric }
        }
        other => return Err(format!("unknown question kind `{other}` (kinds: {KINDS})")),
    };
    Ok(Question {
        id,
        line,
        prompt,
        model_answer,
        body,
    })
}

impl Question {
    pub fn kind(&self) -> &'static str {
        match self.body {
            Body::Choice { .. } => "choice",
            Body::Predict { .. } => "predict",
            Body::Numeric { .. } => "numeric",
            Body::Order { .. } => "order",
            Body::Fix(_) => "fix",
            Body::Explain { .. } => "explain",
        }
    }
}
