//! [`Args`], the cursor a handler reads its arguments with.

use crate::numbers::{parse_f64, parse_i64};
use crate::reply::Reply;

/// A cursor over one call's arguments that turns every way of reading them
/// wrong into the error Redis gives for it, so a handler states what it
/// expects and never spells an error out (the model is mini-redis's
/// `Parse` over a frame).
///
/// | reading                          | fails with                                              |
/// |----------------------------------|---------------------------------------------------------|
/// | a required argument is missing   | `ERR wrong number of arguments for 'lpop' command`      |
/// | [`next_int`](Args::next_int)     | `ERR value is not an integer or out of range` (`string2ll`) |
/// | [`next_f64`](Args::next_f64)     | `ERR value is not a valid float` (`string2d`)           |
/// | [`option_value`](Args::option_value) missing | `ERR syntax error`                          |
/// | [`finish`](Args::finish) with arguments left | `ERR syntax error`                          |
/// | [`finish_arity`](Args::finish_arity) with arguments left | the wrong-arity error          |
///
/// The dispatcher has already checked the table's arity, so "missing"
/// only happens for the arguments a variable-arity command reads past its
/// minimum. Errors come out in the order the handler reads, which is how a
/// handler keeps Redis's order of checks (LINDEX looks at the key before it
/// parses the index: read the key, look it up, then call `next_int`).
///
/// A new command reads its arguments like this. [`Args::handle`] gives
/// the handler's body a cursor and lets it use `?`: an error read from the
/// arguments (or returned by the body) is the command's reply.
///
/// ```
/// use lockstep_engine::command::{Args, Ctx};
/// use lockstep_engine::Reply;
///
/// /// EXAMPLE key count [WITHSCORES]
/// fn example(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
///     Args::handle(args, |args| {
///         let key = args.next_bytes()?;
///         let count = args.next_int()?;
///         let with_scores = args.next_keyword("withscores");
///         args.finish()?;
///         // ... look `key` up through the context ...
///         Ok(Reply::Array(vec![
///             Reply::bulk(key),
///             Reply::Integer(count),
///             Reply::Bool(with_scores),
///         ]))
///     })
/// }
/// # let _ = example;
///
/// // What the cursor answers for each way of calling it wrong:
/// let argv = |words: &[&str]| -> Vec<Vec<u8>> {
///     words.iter().map(|w| w.as_bytes().to_vec()).collect()
/// };
/// let parse = |args: &mut Args| -> Result<(), Reply> {
///     args.next_bytes()?;
///     args.next_int()?;
///     args.next_keyword("withscores");
///     args.finish()
/// };
/// let call = |words: &[&str]| parse(&mut Args::new(&argv(words)));
/// assert_eq!(call(&["EXAMPLE", "k", "2", "WITHSCORES"]), Ok(()));
/// assert_eq!(
///     call(&["EXAMPLE", "k", "two"]),
///     Err(Reply::error("ERR value is not an integer or out of range"))
/// );
/// assert_eq!(
///     call(&["EXAMPLE", "k"]),
///     Err(Reply::error("ERR wrong number of arguments for 'example' command"))
/// );
/// assert_eq!(call(&["EXAMPLE", "k", "2", "x"]), Err(Reply::syntax_error()));
/// ```
#[derive(Clone, Debug)]
pub struct Args<'a> {
    /// The command's name for errors: `lpop`, or `config|get` for a
    /// subcommand, as Redis names them.
    name: String,
    rest: &'a [Vec<u8>],
}

impl<'a> Args<'a> {
    /// The arguments after the command name (`args[0]`).
    pub fn new(args: &'a [Vec<u8>]) -> Args<'a> {
        let name = args.first().map_or_else(String::new, |n| lower(n));
        Args {
            name,
            rest: args.get(1..).unwrap_or_default(),
        }
    }

    /// Runs a handler's body over a cursor on `args` (after the command
    /// name); an `Err` is the reply as well, so the body can use `?`.
    pub fn handle(
        args: &'a [Vec<u8>],
        body: impl FnOnce(&mut Args<'a>) -> Result<Reply, Reply>,
    ) -> Reply {
        match body(&mut Args::new(args)) {
            Ok(reply) | Err(reply) => reply,
        }
    }

    /// The arguments after a container's name and its subcommand
    /// (`CONFIG GET ...`); errors name the command `config|get`.
    pub fn subcommand(args: &'a [Vec<u8>]) -> Args<'a> {
        let name = match args {
            [container, sub, ..] => format!("{}|{}", lower(container), lower(sub)),
            _ => args.first().map_or_else(String::new, |n| lower(n)),
        };
        Args {
            name,
            rest: args.get(2..).unwrap_or_default(),
        }
    }

    /// The next argument, which the command requires.
    pub fn next_bytes(&mut self) -> Result<&'a [u8], Reply> {
        self.next_optional()
            .ok_or_else(|| Reply::wrong_arity(&self.name))
    }

    /// The next argument as Redis's `string2ll` reads an integer.
    pub fn next_int(&mut self) -> Result<i64, Reply> {
        parse_i64(self.next_bytes()?).ok_or_else(Reply::not_integer)
    }

    /// The next argument as Redis's `string2d` reads a double (no NaN, no
    /// leading space, no overflow).
    pub fn next_f64(&mut self) -> Result<f64, Reply> {
        parse_f64(self.next_bytes()?).ok_or_else(Reply::not_float)
    }

    /// The next argument if there is one (an optional trailing argument,
    /// as PING's message or LPOP's count).
    pub fn next_optional(&mut self) -> Option<&'a [u8]> {
        let (first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(first)
    }

    /// The next argument without taking it.
    pub fn peek(&self) -> Option<&'a [u8]> {
        self.rest.first().map(Vec::as_slice)
    }

    /// Takes the next argument if it is `keyword` (case-insensitively), as
    /// Redis matches its option words; says whether it did.
    pub fn next_keyword(&mut self, keyword: &str) -> bool {
        let matches = self
            .peek()
            .is_some_and(|arg| arg.eq_ignore_ascii_case(keyword.as_bytes()));
        if matches {
            self.rest = &self.rest[1..];
        }
        matches
    }

    /// The value an option word takes (`EX 10`, `COUNT 5`): missing is a
    /// syntax error in Redis, not an arity error.
    pub fn option_value(&mut self) -> Result<&'a [u8], Reply> {
        self.next_optional().ok_or_else(Reply::syntax_error)
    }

    /// The arguments not read yet.
    pub fn remaining(&self) -> &'a [Vec<u8>] {
        self.rest
    }

    /// Ends the reading: arguments left over are a syntax error (a command
    /// that parses options, as SET).
    pub fn finish(&self) -> Result<(), Reply> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Reply::syntax_error())
        }
    }

    /// Ends the reading: arguments left over are the wrong-arity error (a
    /// command whose arguments are all positional, as PING or LPOP).
    pub fn finish_arity(&self) -> Result<(), Reply> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Reply::wrong_arity(&self.name))
        }
    }
}

fn lower(name: &[u8]) -> String {
    String::from_utf8_lossy(name).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn missing_required_argument_is_redis_arity_error() {
        let args = argv(&["LPOS", "k"]);
        let mut cursor = Args::new(&args);
        assert_eq!(cursor.next_bytes(), Ok(&b"k"[..]));
        assert_eq!(
            cursor.next_bytes(),
            Err(Reply::error(
                "ERR wrong number of arguments for 'lpos' command"
            ))
        );
    }

    #[test]
    fn subcommand_errors_name_container_and_subcommand() {
        let args = argv(&["CONFIG", "Get"]);
        let mut cursor = Args::subcommand(&args);
        assert_eq!(
            cursor.next_bytes(),
            Err(Reply::error(
                "ERR wrong number of arguments for 'config|get' command"
            ))
        );
    }

    #[test]
    fn numbers_follow_string2ll_and_string2d() {
        let args = argv(&["x", "12", "+1", "1.5", "nan", "1e400"]);
        let mut cursor = Args::new(&args);
        assert_eq!(cursor.next_int(), Ok(12));
        assert_eq!(cursor.next_int(), Err(Reply::not_integer()));
        assert_eq!(cursor.next_f64(), Ok(1.5));
        assert_eq!(cursor.next_f64(), Err(Reply::not_float()));
        assert_eq!(cursor.next_f64(), Err(Reply::not_float()));
        assert_eq!(cursor.finish(), Ok(()));
    }

    #[test]
    fn optional_tokens_and_leftovers() {
        let args = argv(&["x", "WithScores", "EX"]);
        let mut cursor = Args::new(&args);
        assert!(!cursor.next_keyword("limit"));
        assert!(cursor.next_keyword("withscores"));
        assert_eq!(cursor.peek(), Some(&b"EX"[..]));
        assert_eq!(cursor.finish(), Err(Reply::syntax_error()));
        assert_eq!(
            cursor.finish_arity(),
            Err(Reply::error(
                "ERR wrong number of arguments for 'x' command"
            ))
        );
        assert!(cursor.next_keyword("ex"));
        assert_eq!(cursor.option_value(), Err(Reply::syntax_error()));
        assert_eq!(cursor.next_optional(), None);
        assert_eq!(cursor.remaining().len(), 0);
    }
}
