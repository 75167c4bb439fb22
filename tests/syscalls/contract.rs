//! The rows of `docs/SYSCALLS.md`, and matching a trace against one.

use std::collections::HashMap;

use crate::call::{self, Call};

/// The document, compiled in so the tests and the contract cannot disagree.
pub const DOCUMENT: &str = include_str!("../../docs/SYSCALLS.md");

/// One row of a contract table.
#[derive(Debug)]
pub struct Row {
    pub id: String,
    /// A `strace -e inject=` argument, if the row injects a fault.
    pub inject: Option<String>,
    pub steps: Vec<Step>,
    /// The driver's `outcome` line, without the word.
    pub result: String,
    pub fds: i64,
}

/// An expected call, a call that may be absent (`?call`), or `…`: any number of calls.
#[derive(Debug)]
pub enum Step {
    Call(Call),
    Maybe(Call),
    Any,
}

/// Every row of every table whose first cell is a code span.
pub fn rows(doc: &str) -> Result<Vec<Row>, String> {
    let mut rows: Vec<Row> = Vec::new();
    for line in doc.lines().filter(|l| l.starts_with('|')) {
        let cells = cells(line);
        let Some(id) = cells.first().and_then(|c| code_spans(c).ok()).and_then(|s| s.into_iter().next()) else {
            continue;
        };
        let row = parse_row(&id, &cells).map_err(|e| format!("row {id}: {e}"))?;
        if rows.iter().any(|r| r.id == row.id) {
            return Err(format!("row {id} appears twice"));
        }
        rows.push(row);
    }
    Ok(rows)
}

fn parse_row(id: &str, cells: &[String]) -> Result<Row, String> {
    let [_, _, inject, syscalls, result, fds] = cells else {
        return Err(format!("{} cells, not 6", cells.len()));
    };
    let inject = match code_spans(inject)?.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        _ => return Err("more than one injection".into()),
    };
    let steps = if syscalls.trim() == "(none)" {
        Vec::new()
    } else {
        let spans = code_spans(syscalls)?;
        let between = spans.iter().fold(syscalls.clone(), |rest, s| rest.replacen(&format!("`{s}`"), "", 1));
        if spans.is_empty() || between.chars().any(|c| !c.is_whitespace() && c != '→') {
            return Err(format!("the Syscalls cell must be `calls` joined by →, or (none): {syscalls:?}"));
        }
        spans.iter().map(|s| step(s)).collect::<Result<_, _>>()?
    };
    let fds = fds.trim().trim_start_matches('+').parse().map_err(|_| format!("bad Fds {fds:?}"))?;
    Ok(Row { id: id.to_string(), inject, steps, result: result.trim().to_string(), fds })
}

fn step(text: &str) -> Result<Step, String> {
    match text {
        "…" => Ok(Step::Any),
        _ => match text.strip_prefix('?') {
            Some(call) => call::parse(call).map(Step::Maybe),
            None => call::parse(text).map(Step::Call),
        },
    }
}

/// A table line's cells, split at the `|`s that are not escaped as `\|`.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => cells.last_mut().unwrap().push(chars.next().unwrap()),
            '|' => cells.push(String::new()),
            _ => cells.last_mut().unwrap().push(c),
        }
    }
    cells.iter().map(|c| c.trim().to_string()).collect()
}

fn code_spans(cell: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = cell.split('`').collect();
    if parts.len() % 2 == 0 {
        return Err(format!("unbalanced backticks in {cell:?}"));
    }
    Ok(parts.iter().skip(1).step_by(2).map(|s| s.to_string()).collect())
}

/// Checks that `actual` is exactly the calls `expected` describes: the same calls in the
/// same order, nothing more and nothing less.
pub fn check(expected: &[Step], actual: &[Call]) -> Result<(), String> {
    if matches(expected, actual, &HashMap::new()) {
        return Ok(());
    }
    let want: Vec<String> = expected
        .iter()
        .map(|s| match s {
            Step::Call(c) => format!("  {c}"),
            Step::Maybe(c) => format!("  ?{c}"),
            Step::Any => "  …".into(),
        })
        .collect();
    let got: Vec<String> = actual.iter().map(|c| format!("  {c}")).collect();
    Err(format!("expected:\n{}\ntraced:\n{}", want.join("\n"), got.join("\n")))
}

type Names = HashMap<String, String>;

fn matches(expected: &[Step], actual: &[Call], names: &Names) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((Step::Any, rest)) => (0..=actual.len()).any(|skip| matches(rest, &actual[skip..], names)),
        Some((Step::Call(want), rest)) => one_call(want, rest, actual, names),
        Some((Step::Maybe(want), rest)) => matches(rest, actual, names) || one_call(want, rest, actual, names),
    }
}

/// Whether `actual` starts with `want` and its tail matches `rest`.
fn one_call(want: &Call, rest: &[Step], actual: &[Call], names: &Names) -> bool {
    let Some((got, tail)) = actual.split_first() else { return false };
    let mut names = names.clone();
    call_matches(want, got, &mut names) && matches(rest, tail, &names)
}

fn call_matches(want: &Call, got: &Call, names: &mut Names) -> bool {
    want.name == got.name
        && want.args.len() == got.args.len()
        && want.args.iter().zip(&got.args).all(|(w, g)| value_matches(w, g, names))
        && value_matches(&want.ret.value, &got.ret.value, names)
        && want.ret.errno == got.ret.errno
        && want.ret.injected == got.ret.injected
}

/// One argument or result: `_`, a descriptor name, a range `a..=b`, a set of flags, or
/// `strace`'s exact text.
fn value_matches(want: &str, got: &str, names: &mut Names) -> bool {
    if want == "_" {
        return true;
    }
    if is_name(want) {
        if got.parse::<u32>().is_err() {
            return false;
        }
        return match names.get(want) {
            Some(bound) => bound == got,
            None if names.values().any(|v| v == got) => false,
            None => {
                names.insert(want.to_string(), got.to_string());
                true
            }
        };
    }
    if let Some((lo, hi)) = want.split_once("..=") {
        return match (lo.parse::<i64>(), hi.parse::<i64>(), got.parse::<i64>()) {
            (Ok(lo), Ok(hi), Ok(n)) => (lo..=hi).contains(&n),
            _ => false,
        };
    }
    if is_flags(want) || is_flags(got) {
        return flag_set(want) == flag_set(got);
    }
    want == got
}

fn flag_set(s: &str) -> Vec<&str> {
    let mut flags: Vec<&str> = s.split('|').map(str::trim).collect();
    flags.sort_unstable();
    flags
}

fn is_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase()) && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn is_flags(s: &str) -> bool {
    s.contains('|') && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '|')
}
