//! Myth blocks: a claim often repeated about Redis, what is true instead,
//! and a redis-cli transcript that shows it. The transcript's replies are
//! checked against the model here (`lockstep check`) and the commands are
//! replayed against a real redis-server by the differential suite.

use lockstep_engine::{Engine, Reply};
use serde::Deserialize;

#[derive(Clone, Debug, PartialEq)]
pub struct Myth {
    pub line: usize,
    pub claim: String,
    pub truth: String,
    pub steps: Vec<Step>,
}

/// One command typed at the prompt and the reply redis-cli prints.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The line of the command in the lesson file.
    pub line: usize,
    pub command: String,
    pub args: Vec<Vec<u8>>,
    pub reply: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MythToml {
    claim: String,
    truth: String,
    transcript: String,
}

/// Reads a myth block; `body_line` is the line of its first TOML line.
pub fn parse(text: &str, body_line: usize) -> Result<Myth, (usize, String)> {
    let t: MythToml = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| body_line + text[..s.start.min(text.len())].matches('\n').count())
            .unwrap_or(body_line);
        (line, format!("myth: {}", e.message().trim()))
    })?;
    // The transcript's first line: the line after `transcript = '''`.
    let transcript_line = text
        .lines()
        .position(|l| l.trim_start().starts_with("transcript"))
        .map(|i| body_line + i + 1)
        .unwrap_or(body_line);
    let steps = transcript(&t.transcript, transcript_line)?;
    if steps.is_empty() {
        return Err((
            body_line,
            "myth: the transcript has no `> COMMAND` line".into(),
        ));
    }
    Ok(Myth {
        line: body_line.saturating_sub(1),
        claim: t.claim,
        truth: t.truth,
        steps,
    })
}

/// `> COMMAND` lines, each followed by the reply's lines.
fn transcript(text: &str, first_line: usize) -> Result<Vec<Step>, (usize, String)> {
    let mut steps: Vec<Step> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = first_line + i;
        if let Some(command) = raw.strip_prefix("> ") {
            let args = lockstep_engine::inline::split_args(command.as_bytes())
                .ok()
                .filter(|a| !a.is_empty())
                .ok_or((
                    line,
                    format!("`{command}` is not a command (unbalanced quotes?)"),
                ))?;
            steps.push(Step {
                line,
                command: command.to_string(),
                args,
                reply: String::new(),
            });
        } else if let Some(step) = steps.last_mut() {
            if !step.reply.is_empty() {
                step.reply.push('\n');
            }
            step.reply.push_str(raw);
        } else if !raw.trim().is_empty() {
            return Err((
                line,
                "a transcript starts with a `> COMMAND` line".to_string(),
            ));
        }
    }
    for step in &mut steps {
        step.reply = step.reply.trim_end().to_string();
    }
    Ok(steps)
}

/// A mismatch between the transcript and the model.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    pub line: usize,
    pub command: String,
    pub written: String,
    pub model: String,
}

/// Replays the transcript on a fresh model node; every reply must read
/// exactly as written.
pub fn replay(myth: &Myth) -> Vec<Mismatch> {
    // A fixed clock: transcripts do not wait, so TTLs read as set.
    let now_ms = 1_700_000_000_000;
    let mut engine = Engine::new(now_ms);
    let id = engine.connect("127.0.0.1:40000", now_ms);
    let mut mismatches = Vec::new();
    for step in &myth.steps {
        let outcome = engine.execute(id, &step.args, now_ms);
        let model = redis_cli(&outcome.reply);
        if model != step.reply {
            mismatches.push(Mismatch {
                line: step.line,
                command: step.command.clone(),
                written: step.reply.clone(),
                model,
            });
        }
    }
    mismatches
}

/// A reply as redis-cli prints it on a terminal.
pub fn redis_cli(reply: &Reply) -> String {
    let mut out = String::new();
    write(reply, 0, &mut out);
    out
}

fn write(reply: &Reply, indent: usize, out: &mut String) {
    match reply {
        Reply::Status(s) => out.push_str(s),
        Reply::Error(e) => {
            out.push_str("(error) ");
            out.push_str(e);
        }
        Reply::Integer(i) => out.push_str(&format!("(integer) {i}")),
        Reply::Bulk(b) => out.push_str(&lockstep_sim::trace::quote(b)),
        Reply::Null | Reply::NullArray => out.push_str("(nil)"),
        // Transcripts are redis-cli sessions over RESP2, where a double is
        // a bulk string (ZSCORE "6000"), not RESP3's `(double) 6000`.
        Reply::Double(d) => out.push_str(&lockstep_sim::trace::quote(
            lockstep_engine::numbers::format_double_reply(*d).as_bytes(),
        )),
        Reply::Bool(b) => out.push_str(if *b { "(true)" } else { "(false)" }),
        Reply::Verbatim(s) => out.push_str(&lockstep_sim::trace::quote(s.as_bytes())),
        Reply::BigNumber(digits) => out.push_str(&format!("(big number) {digits}")),
        Reply::Attributed { reply, .. } => write(reply, indent, out),
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) | Reply::Many(items) => {
            if items.is_empty() {
                out.push_str("(empty array)");
            }
            let width = items.len().to_string().len();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent));
                }
                let label = format!("{:>width$}) ", i + 1);
                out.push_str(&label);
                write(item, indent + label.len(), out);
            }
        }
        Reply::Map(pairs) => {
            let flat: Vec<Reply> = pairs
                .iter()
                .flat_map(|(k, v)| [k.clone(), v.clone()])
                .collect();
            write(&Reply::Array(flat), indent, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn myth(transcript: &str) -> Myth {
        let text = format!("claim = \"c\"\ntruth = \"t\"\ntranscript = '''\n{transcript}'''\n");
        parse(&text, 10).unwrap()
    }

    #[test]
    fn a_true_transcript_matches_the_model() {
        let m = myth("> SET k v\nOK\n> UNLINK k\n(integer) 1\n> GET k\n(nil)\n> RPUSH l a b\n(integer) 2\n> LRANGE l 0 -1\n1) \"a\"\n2) \"b\"\n");
        assert_eq!(m.steps.len(), 5);
        assert_eq!(m.steps[0].line, 13);
        assert_eq!(replay(&m), vec![]);
    }

    #[test]
    fn a_score_reads_as_redis_cli_prints_it_over_resp2() {
        let m = myth("> ZADD lb 6000 alice\n(integer) 1\n> ZSCORE lb alice\n\"6000\"\n> ZINCRBY lb 0.5 alice\n\"6000.5\"\n");
        assert_eq!(replay(&m), vec![]);
    }

    #[test]
    fn a_wrong_reply_is_reported_at_its_line() {
        let m = myth("> SET k v\nOK\n> EXPIRE k 0\n(integer) 1\n> EXISTS k\n(integer) 1\n");
        let bad = replay(&m);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 17);
        assert_eq!(bad[0].model, "(integer) 0");
    }

    #[test]
    fn bad_transcripts_are_errors() {
        let text = "claim = \"c\"\ntruth = \"t\"\ntranscript = '''\nOK\n'''\n";
        assert!(parse(text, 1).unwrap_err().1.contains("starts with"));
        let text = "claim = \"c\"\ntruth = \"t\"\ntranscript = '''\n> SET \"k v\n'''\n";
        assert!(parse(text, 1).unwrap_err().1.contains("not a command"));
        assert!(parse("claim = 1", 1).is_err());
    }
}
