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
    if matches(expected, actual, &HashMap::new()) { Ok(()) } else { Err(diff(expected, actual)) }
}

/// What was expected and what was seen, a call a line.
fn diff(expected: &[Step], actual: &[Call]) -> String {
    let want: Vec<String> = expected
        .iter()
        .map(|s| match s {
            Step::Call(c) => format!("  {c}"),
            Step::Maybe(c) => format!("  ?{c}"),
            Step::Any => "  …".into(),
        })
        .collect();
    let got: Vec<String> = actual.iter().map(|c| format!("  {c}")).collect();
    format!("expected:\n{}\nseen:\n{}", want.join("\n"), got.join("\n"))
}

/// The C library calls the in-process record (`chapel_socket::audit`) shows as one entry
/// each, with the syscalls of theirs a row may name: the resolver's are written `…`, and
/// `if_nametoindex` asks the kernel through a socket of its own.
pub const LIBRARY: &[(&str, &[&str])] = &[("getaddrinfo", &[]), ("if_nametoindex", &["socket", "ioctl", "close"])];

/// The syscalls a library entry stands for, if `name` is one.
pub fn library(name: &str) -> Option<&'static [&'static str]> {
    LIBRARY.iter().find(|(n, _)| *n == name).map(|(_, inside)| *inside)
}

/// [`check`] for the calls the in-process record kept: a library entry ([`LIBRARY`]) stands
/// for the steps of the row it makes itself (`…`, or its own syscalls), which the record
/// cannot see; `…` matches library entries only; and an error `strace` injected is an error
/// like any other (the record cannot tell who made it).
pub fn check_recorded(expected: &[Step], actual: &[Call]) -> Result<(), String> {
    if matches_recorded(expected, actual, &HashMap::new()) { Ok(()) } else { Err(diff(expected, actual)) }
}

fn matches_recorded(expected: &[Step], actual: &[Call], names: &Names) -> bool {
    let entry = actual.split_first().and_then(|(head, tail)| Some((library(&head.name)?, tail)));
    if let Some((inside, tail)) = entry {
        // The entry stands for the next `k` steps, each `…` or one of its own syscalls.
        let absorbable = |s: &Step| match s {
            Step::Any => true,
            Step::Call(c) | Step::Maybe(c) => inside.contains(&c.name.as_str()),
        };
        let most = expected.iter().take_while(|s| absorbable(s)).count();
        return (0..=most).any(|k| matches_recorded(&expected[k..], tail, names));
    }
    match expected.split_first() {
        None => actual.is_empty(),
        Some((Step::Any, rest)) => matches_recorded(rest, actual, names),
        Some((Step::Call(want), rest)) => one_call_recorded(want, rest, actual, names),
        Some((Step::Maybe(want), rest)) => {
            matches_recorded(rest, actual, names) || one_call_recorded(want, rest, actual, names)
        }
    }
}

fn one_call_recorded(want: &Call, rest: &[Step], actual: &[Call], names: &Names) -> bool {
    let Some((got, tail)) = actual.split_first() else { return false };
    let mut names = names.clone();
    call_matches(want, got, &mut names, false) && matches_recorded(rest, tail, &names)
}

/// Whether the in-process record and `strace` saw the same calls of the acting thread in the
/// same order: the same names one for one, but for a library entry of the record, which
/// stands for any run of `strace`'s calls (`getaddrinfo`: any; the others: their own
/// syscalls).
pub fn same_calls(traced: &[Call], recorded: &[Call]) -> Result<(), String> {
    fn aligned(traced: &[Call], recorded: &[Call]) -> bool {
        match recorded.split_first() {
            None => traced.is_empty(),
            Some((head, rest)) => match library(&head.name) {
                Some(inside) => {
                    let most = if inside.is_empty() {
                        traced.len()
                    } else {
                        traced.iter().take_while(|c| inside.contains(&c.name.as_str())).count()
                    };
                    (0..=most).any(|k| aligned(&traced[k..], rest))
                }
                None => traced.first().is_some_and(|t| t.name == head.name) && aligned(&traced[1..], rest),
            },
        }
    }
    if aligned(traced, recorded) {
        return Ok(());
    }
    let lines = |calls: &[Call]| calls.iter().map(|c| format!("  {c}")).collect::<Vec<_>>().join("\n");
    Err(format!("strace saw:\n{}\nthe in-process record kept:\n{}", lines(traced), lines(recorded)))
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
    call_matches(want, got, &mut names, true) && matches(rest, tail, &names)
}

/// Whether `got` is the call `want` describes; `injected`: whether `strace`'s `(INJECTED)`
/// mark must agree too.
fn call_matches(want: &Call, got: &Call, names: &mut Names, injected: bool) -> bool {
    want.name == got.name
        && want.args.len() == got.args.len()
        && want.args.iter().zip(&got.args).all(|(w, g)| value_matches(w, g, names))
        && value_matches(&want.ret.value, &got.ret.value, names)
        && want.ret.errno == got.ret.errno
        && (!injected || want.ret.injected == got.ret.injected)
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

/// A test (run by `main` with the `audit` feature): the record's matcher takes a library
/// entry for the steps it stands for and nothing else, ignores `(INJECTED)`, and
/// [`same_calls`] wants strace's names one for one.
#[cfg(feature = "audit")]
pub fn recorded_calls_match_as_the_row_says() {
    let calls =
        |lines: &[&str]| -> Vec<Call> { lines.iter().map(|l| call::canonical(call::parse(l).unwrap())).collect() };
    let row = |cell: &str| rows(&format!("| `x` | path | | {cell} | ok | 0 |\n")).unwrap().remove(0).steps;
    let resolved = row("`…` → `socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = fd` → `close(fd) = 0`");
    let gai = r#"getaddrinfo("localhost", "80", {ai_flags=0}, [{sa_family=AF_INET}]) = 0"#;
    let socket = "socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3";
    check_recorded(&resolved, &calls(&[gai, socket, "close(3) = 0"])).unwrap();
    check_recorded(&resolved, &calls(&[socket, "close(3) = 0"])).unwrap();
    assert!(check_recorded(&resolved, &calls(&[gai, "close(3) = 0"])).is_err(), "getaddrinfo took the socket");
    assert!(
        check_recorded(&resolved, &calls(&["listen(3, 1) = 0", socket, "close(3) = 0"])).is_err(),
        "… took a crate call"
    );
    // A numeric lookup: strace sees nothing of it, the record one entry.
    let numeric = row("`socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = fd`");
    check_recorded(&numeric, &calls(&[gai, socket])).unwrap();
    let scoped =
        row("`socket(AF_UNIX, SOCK_DGRAM, 0) = fd` → `ioctl(fd, SIOCGIFINDEX, _) = -1 ENODEV` → `close(fd) = 0`");
    check_recorded(&scoped, &calls(&[r#"if_nametoindex("bogus") = 0"#])).unwrap();
    assert!(check_recorded(&scoped, &calls(&[gai])).is_err(), "getaddrinfo does not stand for an ioctl");
    let injected = row("`recvfrom(fd, _, 16, 0, NULL, NULL) = -1 EINTR (INJECTED)`");
    check_recorded(&injected, &calls(&["recvfrom(3, 0x7ff0, 16, 0, NULL, NULL) = -1 EINTR (Interrupted system call)"]))
        .unwrap();
    let traced = calls(&["openat(AT_FDCWD, \"/etc/hosts\", O_RDONLY) = 4", "close(4) = 0", socket]);
    same_calls(&traced, &calls(&[gai, socket])).unwrap();
    assert!(same_calls(&traced, &calls(&[socket])).is_err(), "strace saw more");
    assert!(same_calls(&traced[2..], &calls(&[socket, "close(3) = 0"])).is_err(), "the record kept more");
    assert!(
        same_calls(&calls(&["listen(3, 1) = 0", socket]), &calls(&[socket, "listen(3, 1) = 0"])).is_err(),
        "reordered"
    );
}
