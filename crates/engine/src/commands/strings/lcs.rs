//! LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest
//! common subsequence of two strings, by Redis's dynamic programme.
//!
//! The table walk is Redis's own (ties move along the second string), so
//! when several subsequences are equally long the same one is reported,
//! and IDX lists the matching ranges from the end of the strings backwards,
//! as Redis does.

use crate::command::Ctx;
use crate::commands::keys::option_is;
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::value::Value;

use super::MAX_STRING_LEN;

/// The string at `key` for LCS: missing keys are empty strings.
fn operand(ctx: &mut Ctx, key: &[u8]) -> Result<Vec<u8>, Reply> {
    match ctx.db.get(key, ctx.now_ms).map(|e| &e.value) {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(Reply::error(
            "ERR The specified keys must contain string values",
        )),
    }
}

pub fn lcs(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (a, b) = match (operand(ctx, &args[1]), operand(ctx, &args[2])) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(reply), _) | (_, Err(reply)) => return reply,
    };
    let (mut get_len, mut get_idx, mut with_match_len) = (false, false, false);
    let mut min_match_len: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        if option_is(opt, "idx") {
            get_idx = true;
        } else if option_is(opt, "len") {
            get_len = true;
        } else if option_is(opt, "withmatchlen") {
            with_match_len = true;
        } else if option_is(opt, "minmatchlen") && j + 1 < args.len() {
            let Some(n) = parse_i64(&args[j + 1]) else {
                return Reply::not_integer();
            };
            min_match_len = n.max(0);
            j += 1;
        } else {
            return Reply::syntax_error();
        }
        j += 1;
    }
    if get_len && get_idx {
        return Reply::error("ERR If you want both the length and indexes, please just use IDX.");
    }
    let cells = (a.len() + 1).saturating_mul(b.len() + 1);
    if cells.saturating_mul(4) > MAX_STRING_LEN {
        return Reply::error(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        );
    }
    ctx.charge(cells);
    let table = Table::build(&a, &b);
    let total = table.at(a.len(), b.len());
    if get_len {
        return Reply::Integer(i64::from(total));
    }
    let (subsequence, ranges) = table.walk(&a, &b);
    if !get_idx {
        return Reply::Bulk(subsequence);
    }
    let matches = ranges
        .into_iter()
        .filter(|r| min_match_len == 0 || r.len() >= min_match_len)
        .map(|r| {
            let mut item = vec![
                Reply::Array(vec![Reply::Integer(r.a.0), Reply::Integer(r.a.1)]),
                Reply::Array(vec![Reply::Integer(r.b.0), Reply::Integer(r.b.1)]),
            ];
            if with_match_len {
                item.push(Reply::Integer(r.len()));
            }
            Reply::Array(item)
        })
        .collect();
    Reply::Map(vec![
        (Reply::bulk("matches"), Reply::Array(matches)),
        (Reply::bulk("len"), Reply::Integer(i64::from(total))),
    ])
}

/// A matching range: inclusive offsets in each string.
struct Range {
    a: (i64, i64),
    b: (i64, i64),
}

impl Range {
    fn len(&self) -> i64 {
        self.a.1 - self.a.0 + 1
    }
}

/// `LCS(i, j)`: the LCS length of the first i bytes of a and j bytes of b.
struct Table {
    width: usize,
    cells: Vec<u32>,
}

impl Table {
    fn build(a: &[u8], b: &[u8]) -> Table {
        let width = b.len() + 1;
        let mut cells = vec![0u32; (a.len() + 1) * width];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Table { width, cells }
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// Redis's backward walk: the subsequence and the ranges it emits.
    fn walk(&self, a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<Range>) {
        let mut subsequence = Vec::with_capacity(self.at(a.len(), b.len()) as usize);
        let mut ranges = Vec::new();
        let mut current: Option<Range> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                subsequence.push(a[i - 1]);
                let (ai, bj) = ((i - 1) as i64, (j - 1) as i64);
                match current.as_mut() {
                    None => {
                        current = Some(Range {
                            a: (ai, ai),
                            b: (bj, bj),
                        })
                    }
                    Some(r) if r.a.0 == ai + 1 && r.b.0 == bj + 1 => {
                        r.a.0 = ai;
                        r.b.0 = bj;
                    }
                    Some(_) => emit = true,
                }
                if current.as_ref().is_some_and(|r| r.a.0 == 0 || r.b.0 == 0) {
                    emit = true;
                }
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                if current.is_some() {
                    emit = true;
                }
            }
            if emit {
                if let Some(r) = current.take() {
                    ranges.push(r);
                }
            }
        }
        subsequence.reverse();
        (subsequence, ranges)
    }
}
