//! The in-process record of the crate's syscalls (feature `audit`). Every call site in
//! `sys/` reports its call through `audit!` (below) once it has returned and its result (with
//! `errno`) is in hand, so nothing here can change what the caller sees. With the feature, a
//! call is kept when this thread has an open record or a sink is set (`record.rs`), its
//! arguments decoded, after the call, the way `strace` prints them, so a record reads as a
//! line of `strace` (and `tests/syscalls` parses both with one parser). Without it, `audit!`
//! expands to nothing: each call site is the bare libc call, with no branch and no
//! thread-local.
//!
//! The public face is `crate::audit` (`Trace`, `Call`, `record`, `set_sink`), which wraps the
//! crate-private `Record` (`record.rs`).

/// Reports a call just made: `audit!("name", &result, |a| a.raw(fd)…)`, right after the call,
/// with its `io::Result` (its `errno` already read) and a closure writing its arguments, run
/// only when someone records.
#[cfg(feature = "audit")]
macro_rules! audit {
    ($name:literal, $result:expr, |$a:ident| $args:expr) => {
        if $crate::sys::audit::wanted() {
            $crate::sys::audit::made(
                $name,
                $crate::sys::audit::result_of($result),
                |$a: &mut $crate::sys::audit::Args| {
                    $args;
                },
            );
        }
    };
}

/// Without the `audit` feature: nothing.
#[cfg(not(feature = "audit"))]
macro_rules! audit {
    ($($call:tt)*) => {};
}

#[cfg(feature = "audit")]
mod record;
#[cfg(all(feature = "audit", has_accept4))]
pub(crate) use record::accept_flags;
#[cfg(feature = "audit")]
pub(crate) use record::{Args, Record, errno_name, gai_name, in_out, made, record, result_of, set_sink, wanted};
