//! Reading `strace -f -o FILE`: the calls of the thread that wrote the BEGIN marker, between
//! its BEGIN and END markers.

use std::collections::HashMap;

use crate::call::{self, Call};

/// The acting thread's calls between `write(-1, "BEGIN <row>")` and `write(-1, "END <row>")`,
/// in the contract's spelling. Calls another thread interrupted (`<unfinished ...>` …
/// `<... name resumed>`) are joined back together first.
pub fn region(trace: &str, row: &str) -> Result<Vec<Call>, String> {
    let (begin, end) = (format!("write(-1, \"BEGIN {row}\""), format!("write(-1, \"END {row}\""));
    let mut pending: HashMap<&str, String> = HashMap::new();
    let mut actor: Option<&str> = None;
    let mut calls = Vec::new();
    for line in trace.lines() {
        let (tid, text) = split_tid(line);
        let whole = if let Some(head) = text.strip_suffix(" <unfinished ...>") {
            pending.insert(tid, head.to_string());
            continue;
        } else if let Some(rest) = text.strip_prefix("<... ") {
            let Some(head) = pending.remove(tid) else { continue };
            let tail = rest.split_once("resumed>").map_or("", |(_, tail)| tail);
            head + tail
        } else {
            text.to_string()
        };
        match actor {
            None if whole.starts_with(&begin) => actor = Some(tid),
            Some(a) if a == tid && whole.starts_with(&end) => return Ok(calls),
            Some(a) if a == tid && !is_allocators(&whole) => calls.push(call::canonical(call::parse(&whole)?)),
            _ => {}
        }
    }
    Err(match actor {
        None => format!("no BEGIN marker for {row} in the trace"),
        Some(_) => format!("no END marker for {row} in the trace"),
    })
}

/// Whether `line` is a call the allocator or std's locks make on their own, never the crate:
/// a `futex` when another thread holds malloc's arena lock or a lock of std's at that moment,
/// memory the allocator maps or returns. They come and go with what other threads do, so no
/// row lists them (docs/SYSCALLS.md, "How to read a row").
fn is_allocators(line: &str) -> bool {
    ["futex(", "brk(", "mmap(", "munmap(", "madvise(", "mprotect("].iter().any(|name| line.starts_with(name))
}

/// `12345 socket(…)` → (`12345`, `socket(…)`); a line without a pid has the empty one.
fn split_tid(line: &str) -> (&str, &str) {
    match line.split_once(' ') {
        Some((tid, rest)) if !tid.is_empty() && tid.bytes().all(|b| b.is_ascii_digit()) => (tid, rest.trim_start()),
        _ => ("", line),
    }
}

/// A test (run by `main`): the region is the acting thread's calls between its markers.
pub fn cuts_the_acting_threads_region() {
    let trace = "\
7 poll([{fd=0, events=0}], 3, 0) = 0 (Timeout)
7 write(-1, \"BEGIN accept/wait\", 17 <unfinished ...>
8 clock_nanosleep(CLOCK_MONOTONIC, 0, {tv_sec=0, tv_nsec=100000000}, 0x7f) = 0
7 <... write resumed>) = -1 EBADF (Bad file descriptor)
7 accept4(3,  <unfinished ...>
8 connect(4, {sa_family=AF_INET}, 16) = 0
7 <... accept4 resumed>0x7ff, [128], SOCK_CLOEXEC) = -1 EAGAIN (Resource temporarily unavailable)
7 futex(0x7fcae1859c60, FUTEX_WAKE_PRIVATE, 1) = 0
7 mmap(NULL, 135168, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f12
7 poll([{fd=3, events=POLLIN}], 1, 4000) = 1 ([{fd=3, revents=POLLIN}])
7 write(-1, \"END accept/wait\", 15) = -1 EBADF (Bad file descriptor)
7 close(3) = 0
";
    let calls = region(trace, "accept/wait").unwrap();
    let names: Vec<_> = calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["accept4", "poll"]);
    assert_eq!(calls[0].args, ["3", "0x7ff", "[128]", "SOCK_CLOEXEC"]);
    assert_eq!(calls[1].args, ["3", "POLLIN", "4000"]);
    assert!(region(trace, "accept/queued").unwrap_err().contains("no BEGIN"));
    assert!(region(&trace.replace("END", "FIN"), "accept/wait").unwrap_err().contains("no END"));
}
