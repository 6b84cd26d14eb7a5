//! Reading a metric: `count(client-* send text="SET")`,
//! `p99(latency, client-1)`, `rate(db query, per=1s)`, `first(violation)`.
//! Every error says what was expected and where.

use super::{Filter, Func, Metric, Quantity};
use crate::trace::EVENT_TYPES;

/// What went wrong reading a metric, in words that say how to fix it.
pub type ParseError = String;

const FUNCS: &str = "count, retries, first, last, rate, p50, p90, p95, p99, max, min, mean, sum";
const QUANTITIES: &str = "latency, wait, sleep, memory";

impl Metric {
    /// Reads one metric expression.
    pub fn parse(source: &str) -> Result<Metric, ParseError> {
        let place = |m: String| format!("metric `{source}`: {m}");
        let fail = |m: String| Err(place(m));
        let text = source.trim();
        let Some(open) = text.find('(') else {
            return fail(format!("expected FUNCTION(...), one of {FUNCS}"));
        };
        if !text.ends_with(')') {
            return fail("expected a closing `)` at the end".into());
        }
        let name = text[..open].trim();
        let inner = &text[open + 1..text.len() - 1];
        let args = split_args(inner).map_err(place)?;
        let func = match name {
            "count" => Func::Count,
            "retries" => Func::Retries,
            "first" => Func::First,
            "last" => Func::Last,
            "rate" => Func::Rate { per_us: 1_000_000 },
            "p50" => Func::Percentile(50.0),
            "p90" => Func::Percentile(90.0),
            "p95" => Func::Percentile(95.0),
            "p99" => Func::Percentile(99.0),
            "max" => Func::Max,
            "min" => Func::Min,
            "mean" => Func::Mean,
            "sum" => Func::Sum,
            other => return fail(format!("unknown function `{other}`; functions: {FUNCS}")),
        };
        let (quantity, filter_args) = if func.takes_quantity() {
            let Some(first) = args.first() else {
                return fail(format!(
                    "{name}(...) wants a quantity first ({QUANTITIES}), then an optional filter"
                ));
            };
            let quantity = match first.trim() {
                "latency" => Quantity::Latency,
                "wait" => Quantity::Wait,
                "sleep" => Quantity::Sleep,
                "memory" => Quantity::Memory,
                other => {
                    return fail(format!(
                        "`{other}` is not a quantity; {name}(...) measures one of {QUANTITIES}"
                    ))
                }
            };
            (Some(quantity), &args[1..])
        } else {
            (None, &args[..])
        };
        let mut func = func;
        let mut filter_text = None;
        for arg in filter_args {
            let arg = arg.trim();
            if let Some(per) = arg.strip_prefix("per=") {
                match &mut func {
                    Func::Rate { per_us } => {
                        *per_us = duration_us(per).map_err(place)?;
                    }
                    _ => return fail(format!("`per=` belongs to rate(...), not {name}(...)")),
                }
            } else if filter_text.is_none() {
                filter_text = Some(arg);
            } else {
                return fail(format!("unexpected argument `{arg}`: give one filter"));
            }
        }
        let filter = Filter::parse(filter_text.unwrap_or("")).map_err(place)?;
        if quantity == Some(Quantity::Memory)
            && (filter.kind.is_some()
                || filter.text.is_some()
                || filter.to.is_some()
                || filter.from.is_some())
        {
            return fail(format!(
                "{name}(memory, ...) reads the nodes' keys, not events: \
                 give a node and `key=` (a glob) only"
            ));
        }
        if let (Some(implied), Some(kind)) = (quantity.and_then(|q| q.event_type()), &filter.kind) {
            if kind != implied {
                return fail(format!(
                    "{name}(...) reads its quantity from `{implied}` events, not `{kind}`"
                ));
            }
        }
        Ok(Metric {
            source: text.to_string(),
            func,
            quantity,
            filter,
        })
    }
}

impl Filter {
    /// Reads a filter: an actor (glob with `*`), an event type, and
    /// `field=value` pairs, in any order; empty matches every event.
    pub fn parse(source: &str) -> Result<Filter, ParseError> {
        let mut filter = Filter::default();
        for word in words(source)? {
            match word.split_once('=') {
                Some((field, value)) => {
                    let value = value.to_string();
                    match field {
                        "actor" => filter.actor = Some(value),
                        "type" => filter.kind = Some(event_type(&value)?),
                        "text" => filter.text = Some(value),
                        "key" => filter.key = Some(value),
                        "to" => filter.to = Some(value),
                        "from" => filter.from = Some(value),
                        other => {
                            return Err(format!(
                                "unknown field `{other}=`; fields: actor, type, text, key, to, from"
                            ))
                        }
                    }
                }
                None if word == "any" => {}
                None => match event_type(&word) {
                    Ok(kind) if filter.kind.is_none() => filter.kind = Some(kind),
                    Ok(_) => return Err(format!("two event types (`{word}`)")),
                    Err(_) if filter.actor.is_none() => filter.actor = Some(word),
                    Err(_) => {
                        return Err(format!(
                            "`{word}` is neither an event type nor the only actor; \
                             event types: {}",
                            EVENT_TYPES.join(", ")
                        ))
                    }
                },
            }
        }
        Ok(filter)
    }
}

/// An event type by its trace name, or its plural (`queries`, `sends`).
fn event_type(word: &str) -> Result<String, ParseError> {
    let singular = [
        word.to_string(),
        word.strip_suffix("ies")
            .map(|w| format!("{w}y"))
            .unwrap_or_default(),
        word.strip_suffix('s').unwrap_or_default().to_string(),
    ];
    singular
        .into_iter()
        .find(|w| EVENT_TYPES.contains(&w.as_str()))
        .ok_or_else(|| format!("`{word}` is not an event type"))
}

/// `1s`, `250ms`, `100` (ms).
fn duration_us(text: &str) -> Result<u64, ParseError> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1_000.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000_000.0)
    } else {
        (text, 1_000.0)
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 && n * scale >= 1.0 => Ok((n * scale).round() as u64),
        _ => Err(format!(
            "`per={text}` wants a duration above 0 such as 1s or 250ms"
        )),
    }
}

/// Splits on top-level commas (not inside quotes).
fn split_args(inner: &str) -> Result<Vec<String>, ParseError> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in inner.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => args.push(std::mem::take(&mut current)),
            '(' | ')' if !quoted => return Err(format!("unexpected `{c}` inside the arguments")),
            c => current.push(c),
        }
    }
    if quoted {
        return Err("unbalanced quote".into());
    }
    if !current.trim().is_empty() || !args.is_empty() {
        args.push(current);
    }
    if args.iter().any(|a| a.trim().is_empty()) {
        return Err("an empty argument (two commas, or a comma at an end)".into());
    }
    Ok(args)
}

/// Splits on whitespace, keeping `"quoted text"` whole (quotes removed).
fn words(source: &str) -> Result<Vec<String>, ParseError> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in source.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if quoted {
        return Err("unbalanced quote".into());
    }
    if !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}
