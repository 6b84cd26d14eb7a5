//! One console session: connections to an engine, the transcript shown on
//! screen and the line history.
//!
//! The console has [`CONNECTIONS`] connections, so that a learner can block
//! one (BLPOP) and serve it from the other (LPUSH). Lines go to the active
//! connection; a blocked connection takes no new line until it is served,
//! times out (the component calls [`Console::tick`] at
//! [`Console::next_timeout_ms`]) or is cancelled, which closes and reopens
//! it as interrupting redis-cli would.
//!
//! It lives here, apart from the component, so that everything a learner can
//! do in the console is plain Rust and tested natively; the component only
//! passes in lines, key presses and the page's clock.

use lockstep_engine::inline::{split_args, UnbalancedQuotes};
use lockstep_engine::{ClientId, Engine, Reply, Unblocked};

use super::format::format_reply;
use super::history::History;

/// The console's address as the engine sees it (CLIENT LIST, MONITOR): a
/// loopback client, as redis-cli on the same machine would be.
pub const CONSOLE_ADDR: &str = "127.0.0.1:50000";

/// The prompt shown before each command.
pub const PROMPT: &str = "lockstep>";

/// How many connections the console has.
pub const CONNECTIONS: usize = 2;

/// The prompt of connection `conn` (1-based): `lockstep:2>`.
pub fn prompt(conn: usize) -> String {
    format!("lockstep:{conn}>")
}

/// What redis-cli prints for a line it cannot split (and sends nothing).
pub const INVALID_ARGUMENTS: &str = "Invalid argument(s)";

/// Most Lua instructions one script typed into the console may run (about
/// two simulated seconds). Redis would run `while true do end` until SCRIPT
/// KILL; the console has nobody to send it, so it stops the script and says
/// so rather than freezing the page.
pub const SCRIPT_INSTRUCTION_LIMIT: u64 = 20_000_000;

/// Older transcript entries are dropped past this many, so that a long
/// session does not slow the page down.
pub const MAX_TRANSCRIPT: usize = 1000;

/// Shown by `help`, which the console answers itself, as redis-cli does.
pub const HELP: &str = "\
This console talks to a model of Redis 7 that runs inside this page; \
nothing leaves your browser.
Type commands as you would in redis-cli, e.g. SET lock:1 me NX PX 3000
Quote arguments that contain spaces: EVAL \"return 1+1\" 0
Up/Down browse your history; `clear` or Ctrl+L clears the screen.
Two connections: BLPOP jobs 0 on connection 1 waits; switch to
connection 2 and LPUSH jobs j1 to serve it.
Commands the model does not have yet answer with Redis's own
unknown-command error.";

/// How a line of output should look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// A reply from the engine.
    Reply,
    /// An error reply, or a line the console could not send.
    Error,
    /// The console speaking for itself (greeting, help, reconnects).
    Note,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A line the learner typed, shown after the prompt.
    Command(String),
    Output {
        text: String,
        tone: Tone,
    },
}

/// One block of the transcript. `id` is unique within a session, so the UI
/// can key its list items by it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: u64,
    pub kind: EntryKind,
    /// The connection (1-based) the command was typed on or the output
    /// belongs to.
    pub conn: usize,
}

/// One of the console's connections.
#[derive(Default)]
struct Connection {
    /// `None` after the server closed the connection (QUIT); the next
    /// command opens a new one.
    client: Option<ClientId>,
    /// The blocking command it waits in, as typed.
    waiting: Option<String>,
}

pub struct Console {
    engine: Engine,
    connections: Vec<Connection>,
    /// Index into `connections` of the one typed lines go to.
    active: usize,
    transcript: Vec<Entry>,
    next_id: u64,
    history: History,
}

impl Console {
    pub fn new(now_ms: i64) -> Self {
        Console::with_engine(
            Engine::new(now_ms),
            now_ms,
            "Connected to a Redis 7 model running in this page. Type help for tips.",
        )
    }

    /// A console on an engine prepared elsewhere (a node of a run, forked
    /// at a step), greeting with `greeting`.
    pub fn with_engine(mut engine: Engine, now_ms: i64, greeting: &str) -> Self {
        engine.set_script_instruction_limit(Some(SCRIPT_INSTRUCTION_LIMIT));
        let connections = (0..CONNECTIONS)
            .map(|_| Connection {
                client: Some(engine.connect(CONSOLE_ADDR, now_ms)),
                waiting: None,
            })
            .collect();
        let mut console = Console {
            engine,
            connections,
            active: 0,
            transcript: Vec::new(),
            next_id: 0,
            history: History::new(),
        };
        console.note(greeting);
        console
    }

    pub fn transcript(&self) -> &[Entry] {
        &self.transcript
    }

    /// Runs one typed line at `now_ms` (the engine's clock for this command).
    pub fn submit(&mut self, line: &str, now_ms: i64) {
        let args = split_args(line.as_bytes());
        if matches!(&args, Ok(a) if a.is_empty()) {
            return;
        }
        self.history.push(line);
        self.push(EntryKind::Command(line.to_string()));
        match args {
            Err(UnbalancedQuotes) => self.output(INVALID_ARGUMENTS, Tone::Error),
            Ok(args) => match local_command(&args) {
                Some(LocalCommand::Clear) => self.clear(),
                Some(LocalCommand::Help) => self.note(HELP),
                None => match self.waiting(self.active()) {
                    Some(command) => {
                        let text = format!(
                            "Connection {} is waiting in {command}: serve it from another connection, or cancel it.",
                            self.active()
                        );
                        self.output(&text, Tone::Error);
                    }
                    None => self.send(&args, line, now_ms),
                },
            },
        }
    }

    /// The connection typed lines go to (1-based).
    pub fn active(&self) -> usize {
        self.active + 1
    }

    /// Makes connection `conn` (1-based) the one typed lines go to.
    pub fn select(&mut self, conn: usize) {
        if (1..=self.connections.len()).contains(&conn) {
            self.active = conn - 1;
        }
    }

    /// The blocking command connection `conn` (1-based) waits in, as typed.
    pub fn waiting(&self, conn: usize) -> Option<&str> {
        self.connections
            .get(conn.wrapping_sub(1))
            .and_then(|c| c.waiting.as_deref())
    }

    /// When a waiting connection times out: call [`Console::tick`] then.
    pub fn next_timeout_ms(&self) -> Option<i64> {
        self.engine.next_block_timeout_ms()
    }

    /// Ends the waits whose timeout has passed at `now_ms`.
    pub fn tick(&mut self, now_ms: i64) {
        let timed_out = self.engine.unblock_timed_out(now_ms);
        self.deliver(timed_out);
    }

    /// Gives up connection `conn`'s wait: the connection is closed (the
    /// engine forgets the wait) and a new one opened, as when redis-cli is
    /// interrupted and started again.
    pub fn cancel(&mut self, conn: usize, now_ms: i64) {
        let Some(connection) = self.connections.get_mut(conn.wrapping_sub(1)) else {
            return;
        };
        let Some(command) = connection.waiting.take() else {
            return;
        };
        if let Some(old) = connection.client.take() {
            self.engine.disconnect(old);
        }
        let id = self.engine.connect(CONSOLE_ADDR, now_ms);
        connection.client = Some(id);
        self.push_for(
            conn,
            EntryKind::Output {
                text: format!("Cancelled {command}: connection {conn} reopened (client id {id})."),
                tone: Tone::Note,
            },
        );
    }

    /// Empties the screen; the connection, data and history stay.
    pub fn clear(&mut self) {
        self.transcript.clear();
    }

    /// Arrow up: the previous history line, given what the input holds now.
    pub fn recall_previous(&mut self, current: &str) -> Option<String> {
        self.history.older(current).map(str::to_string)
    }

    /// Arrow down: the next history line, or the line being typed before.
    pub fn recall_next(&mut self) -> Option<String> {
        self.history.newer().map(str::to_string)
    }

    fn send(&mut self, args: &[Vec<u8>], line: &str, now_ms: i64) {
        let id = match self.connections[self.active].client {
            Some(id) => id,
            None => {
                let id = self.engine.connect(CONSOLE_ADDR, now_ms);
                self.connections[self.active].client = Some(id);
                self.note(&format!("Reconnected (client id {id})."));
                id
            }
        };
        // Redis's active expiry runs ten times a second and removes expired
        // keys within moments; a person types far slower than that, so the
        // cycle is run to completion before each command.
        self.engine.active_expire(now_ms);
        let outcome = self.engine.execute(id, args, now_ms);
        // What scripts wrote with redis.log goes to the node's log; show it
        // where the learner is looking, before the script's reply.
        for line in self.engine.drain_script_log() {
            let level = ["debug", "verbose", "notice", "warning"]
                .get(usize::from(line.level))
                .copied()
                .unwrap_or("notice");
            self.note(&format!("[node log, {level}] {}", line.text));
        }
        // HELLO 3 answers in the protocol it switches to, so read it after.
        let protocol = self.engine.protocol(id);
        if outcome.blocked {
            self.connections[self.active].waiting = Some(line.to_string());
            self.note(&format!(
                "Waiting\u{2026} connection {} is blocked until another connection serves it or its timeout passes.",
                self.active()
            ));
        } else {
            self.reply(&outcome.reply, protocol);
        }
        for push in self.engine.take_pushes(id) {
            self.reply(&push, protocol);
        }
        if outcome.close {
            self.engine.disconnect(id);
            self.connections[self.active].client = None;
            self.note("Connection closed by the server. The next command opens a new one.");
        }
        let served = self.engine.take_unblocked();
        self.deliver(served);
    }

    /// Shows the replies of connections whose wait ended, each under a line
    /// saying which command it answers.
    fn deliver(&mut self, unblocked: Vec<Unblocked>) {
        for Unblocked { client, reply } in unblocked {
            let Some(index) = self
                .connections
                .iter()
                .position(|c| c.client == Some(client))
            else {
                continue;
            };
            let command = self.connections[index].waiting.take().unwrap_or_default();
            let conn = index + 1;
            let protocol = self.engine.protocol(client);
            self.push_for(
                conn,
                EntryKind::Output {
                    text: format!("Connection {conn}, {command}:"),
                    tone: Tone::Note,
                },
            );
            let text = format_reply(&reply, protocol);
            let tone = if reply.is_error() {
                Tone::Error
            } else {
                Tone::Reply
            };
            self.push_for(conn, EntryKind::Output { text, tone });
        }
    }

    fn reply(&mut self, reply: &Reply, protocol: lockstep_engine::Protocol) {
        let text = format_reply(reply, protocol);
        if text.is_empty() {
            return;
        }
        let tone = if reply.is_error() {
            Tone::Error
        } else {
            Tone::Reply
        };
        self.output(&text, tone);
    }

    fn note(&mut self, text: &str) {
        self.output(text, Tone::Note);
    }

    fn output(&mut self, text: &str, tone: Tone) {
        self.push(EntryKind::Output {
            text: text.to_string(),
            tone,
        });
    }

    fn push(&mut self, kind: EntryKind) {
        self.push_for(self.active(), kind);
    }

    fn push_for(&mut self, conn: usize, kind: EntryKind) {
        if self.transcript.len() == MAX_TRANSCRIPT {
            self.transcript.remove(0);
        }
        self.transcript.push(Entry {
            id: self.next_id,
            kind,
            conn,
        });
        self.next_id += 1;
    }
}

/// Lines redis-cli answers itself instead of sending them.
enum LocalCommand {
    Clear,
    Help,
}

fn local_command(args: &[Vec<u8>]) -> Option<LocalCommand> {
    match args {
        [only] if only.eq_ignore_ascii_case(b"clear") => Some(LocalCommand::Clear),
        [only] if only.eq_ignore_ascii_case(b"help") => Some(LocalCommand::Help),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000;

    /// The outputs (not the echoed commands) after the greeting.
    fn outputs(console: &Console) -> Vec<(String, Tone)> {
        console
            .transcript()
            .iter()
            .skip(1)
            .filter_map(|e| match &e.kind {
                EntryKind::Output { text, tone } => Some((text.clone(), *tone)),
                EntryKind::Command(_) => None,
            })
            .collect()
    }

    fn run(line: &str) -> Vec<(String, Tone)> {
        let mut console = Console::new(T0);
        console.submit(line, T0);
        outputs(&console)
    }

    #[test]
    fn an_endless_script_is_stopped_and_the_console_goes_on() {
        let mut console = Console::new(T0);
        console.submit("EVAL \"while true do end\" 0", T0);
        console.submit("EVAL \"return 1+1\" 0", T0);
        let out = outputs(&console);
        assert_eq!(out[0].1, Tone::Error);
        assert!(
            out[0]
                .0
                .contains("Script stopped after 20000000 Lua instructions"),
            "{}",
            out[0].0
        );
        assert_eq!(out[1], ("(integer) 2".to_string(), Tone::Reply));
    }

    #[test]
    fn redis_log_lines_show_before_the_reply() {
        let out = run("EVAL \"redis.log(redis.LOG_WARNING, 'lock', 'lost') return 1\" 0");
        assert_eq!(
            out,
            vec![
                ("[node log, warning] lock lost".to_string(), Tone::Note),
                ("(integer) 1".to_string(), Tone::Reply),
            ]
        );
    }

    #[test]
    fn greets_and_echoes_commands() {
        let mut console = Console::new(T0);
        assert!(matches!(
            &console.transcript()[0].kind,
            EntryKind::Output {
                tone: Tone::Note,
                ..
            }
        ));
        console.submit("PING", T0);
        assert_eq!(
            console.transcript()[1].kind,
            EntryKind::Command("PING".into())
        );
        assert_eq!(outputs(&console), [("PONG".to_string(), Tone::Reply)]);
    }

    #[test]
    fn quoted_arguments_reach_the_engine_whole() {
        assert_eq!(
            run(r#"ECHO "hello world""#),
            [("\"hello world\"".to_string(), Tone::Reply)]
        );
    }

    #[test]
    fn errors_are_marked_as_errors() {
        assert_eq!(
            run("ECHO"),
            [(
                "(error) ERR wrong number of arguments for 'echo' command".to_string(),
                Tone::Error
            )]
        );
    }

    #[test]
    fn unbalanced_quotes_are_refused_without_sending() {
        assert_eq!(
            run(r#"ECHO "abc"#),
            [("Invalid argument(s)".to_string(), Tone::Error)]
        );
    }

    #[test]
    fn blank_lines_do_nothing() {
        let mut console = Console::new(T0);
        console.submit("   ", T0);
        assert_eq!(console.transcript().len(), 1);
        assert_eq!(console.recall_previous(""), None);
    }

    #[test]
    fn clear_and_help_are_answered_locally() {
        let mut console = Console::new(T0);
        console.submit("PING", T0);
        console.submit("clear", T0);
        assert!(console.transcript().is_empty());
        console.submit("HELP", T0);
        assert!(matches!(
            &console.transcript()[1].kind,
            EntryKind::Output { text, tone: Tone::Note } if text.contains("redis-cli")
        ));
        // `help` with arguments is not the console's: it goes to the engine.
        console.submit("help me", T0);
        let last = console.transcript().last().expect("an entry");
        assert!(matches!(
            &last.kind,
            EntryKind::Output {
                tone: Tone::Error,
                ..
            }
        ));
    }

    #[test]
    fn history_remembers_invalid_lines_too() {
        let mut console = Console::new(T0);
        console.submit("PING", T0);
        console.submit("ECHO 'x", T0);
        assert_eq!(console.recall_previous("draft").as_deref(), Some("ECHO 'x"));
        assert_eq!(console.recall_previous("").as_deref(), Some("PING"));
        assert_eq!(console.recall_next().as_deref(), Some("ECHO 'x"));
        assert_eq!(console.recall_next().as_deref(), Some("draft"));
    }

    #[test]
    fn entry_ids_stay_unique_after_clear() {
        let mut console = Console::new(T0);
        console.submit("PING", T0);
        let before = console.transcript().last().map(|e| e.id);
        console.clear();
        console.submit("PING", T0);
        let after = console.transcript().first().map(|e| e.id);
        assert!(after > before);
    }

    #[test]
    fn quit_closes_the_connection_and_the_next_command_reconnects() {
        let mut console = Console::new(T0);
        console.submit("QUIT", T0);
        console.submit("PING", T0);
        let texts: Vec<String> = outputs(&console)
            .into_iter()
            .map(|(text, _)| text)
            .collect();
        assert_eq!(texts[0], "OK");
        assert!(texts[1].starts_with("Connection closed"), "{texts:?}");
        assert!(texts[2].starts_with("Reconnected"), "{texts:?}");
        assert_eq!(texts[3], "PONG");
    }

    #[test]
    fn hello_3_switches_the_display_to_resp3() {
        let mut console = Console::new(T0);
        console.submit("HELLO 3", T0);
        let (hello, _) = outputs(&console).pop().expect("a reply");
        assert!(hello.starts_with("1# \"server\" => \"redis\""), "{hello}");
        console.submit("GET nosuchkey", T0);
        assert_eq!(
            outputs(&console).pop().map(|(text, _)| text).as_deref(),
            Some("(nil)")
        );
    }

    #[test]
    fn expired_keys_are_gone_when_time_has_passed() {
        let mut console = Console::new(T0);
        console.submit("SET lock:1 me NX PX 3000", T0);
        console.submit("SET lock:1 you NX PX 3000", T0 + 1000);
        console.submit("SET lock:1 you NX PX 3000", T0 + 3001);
        let texts: Vec<String> = outputs(&console)
            .into_iter()
            .map(|(text, _)| text)
            .collect();
        assert_eq!(texts, ["OK", "(nil)", "OK"]);
    }

    fn texts(console: &Console) -> Vec<String> {
        outputs(console).into_iter().map(|(text, _)| text).collect()
    }

    #[test]
    fn a_blpop_on_one_connection_is_served_by_an_lpush_on_the_other() {
        let mut console = Console::new(T0);
        console.submit("BLPOP jobs 0", T0);
        assert_eq!(console.waiting(1), Some("BLPOP jobs 0"));
        assert!(
            texts(&console)[0].starts_with("Waiting"),
            "{:?}",
            texts(&console)
        );
        // The waiting connection takes no new line.
        console.submit("PING", T0);
        assert_eq!(outputs(&console).last().map(|o| o.1), Some(Tone::Error));
        console.select(2);
        assert_eq!(console.active(), 2);
        console.submit("LPUSH jobs j1", T0 + 500);
        assert_eq!(console.waiting(1), None);
        let out = texts(&console);
        assert_eq!(
            out[out.len() - 3..],
            [
                "(integer) 1".to_string(),
                "Connection 1, BLPOP jobs 0:".to_string(),
                "1) \"jobs\"\n2) \"j1\"".to_string(),
            ]
        );
        let last = console.transcript().last().expect("an entry");
        assert_eq!(last.conn, 1, "the served reply belongs to connection 1");
        console.select(1);
        console.submit("LLEN jobs", T0 + 600);
        assert_eq!(
            texts(&console).last().map(String::as_str),
            Some("(integer) 0")
        );
    }

    #[test]
    fn a_wait_ends_at_its_timeout() {
        let mut console = Console::new(T0);
        console.submit("BLPOP jobs 1.5", T0);
        assert_eq!(console.next_timeout_ms(), Some(T0 + 1_501));
        console.tick(T0 + 1_000);
        assert_eq!(console.waiting(1), Some("BLPOP jobs 1.5"));
        console.tick(T0 + 1_501);
        assert_eq!(console.waiting(1), None);
        assert_eq!(texts(&console).last().map(String::as_str), Some("(nil)"));
        assert_eq!(console.next_timeout_ms(), None);
    }

    #[test]
    fn cancelling_a_wait_reopens_the_connection() {
        let mut console = Console::new(T0);
        console.submit("BRPOP jobs 0", T0);
        console.cancel(1, T0 + 10);
        assert_eq!(console.waiting(1), None);
        assert!(texts(&console)
            .last()
            .is_some_and(|t| t.starts_with("Cancelled BRPOP jobs 0")));
        // The cancelled wait takes nothing: the element stays in the list.
        console.submit("LPUSH jobs j1", T0 + 20);
        console.submit("LLEN jobs", T0 + 30);
        assert_eq!(
            texts(&console).last().map(String::as_str),
            Some("(integer) 1")
        );
    }

    #[test]
    fn the_transcript_is_bounded() {
        let mut console = Console::new(T0);
        for _ in 0..MAX_TRANSCRIPT {
            console.submit("PING", T0);
        }
        assert_eq!(console.transcript().len(), MAX_TRANSCRIPT);
    }
}
