//! Which sockets this process may still call its own: a count of the process's forks.
//!
//! `SO_RCVTIMEO` and the file mode belong to the open file description, which a `fork`
//! shares between parent and child. A socket the crate made remembers the count it was made
//! under; once a fork has happened (the count moved), the other process may change that
//! state, so neither side relies on what it remembers of it. The count is bumped by a
//! `pthread_atfork` handler that runs in the forking thread just before the fork, so parent
//! and child both see the new value. `posix_spawn` (which `std::process::Command` uses where
//! it can) and a raw `clone` run no handlers; the crate's descriptors are close-on-exec, so a
//! spawned program never holds them.

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

static FORKS: AtomicU64 = AtomicU64::new(0);
static WATCH: Once = Once::new();

/// Runs in the forking thread before `fork`: an atomic add, which is async-signal-safe.
extern "C" fn bump() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// The process's fork count, first making sure forks are counted from now on (a
/// `pthread_atfork` registration, once per process). Called when a socket is made.
pub(crate) fn watched_epoch() -> u64 {
    WATCH.call_once(|| {
        // SAFETY: registers a handler that only touches an atomic; it stays registered for
        // the life of the process, as `bump` (a plain fn) does. Its error (ENOMEM) cannot be
        // answered here: counting would then be off, so the count is made to move instead,
        // and every socket takes the path that relies on nothing.
        if unsafe { libc::pthread_atfork(Some(bump), None, None) } != 0 {
            bump();
        }
    });
    epoch()
}

/// The fork count now: one relaxed load.
#[inline]
pub(crate) fn epoch() -> u64 {
    FORKS.load(Ordering::Relaxed)
}

/// For the unit tests of the layers above: forks, runs `check` in the child and ends it with
/// `_exit`, and returns what `check` said there. The child of a threaded process may only do
/// what is async-signal-safe, so `check` must not allocate or lock (another test thread may
/// hold malloc's locks): reading atomics and plain fields is what it is for.
#[cfg(test)]
pub(crate) fn in_child(check: impl FnOnce() -> bool) -> bool {
    // SAFETY: the child runs only `check` (which, as said above, reads and computes) and
    // `_exit`; the parent goes on as before.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = if check() { 0 } else { 1 };
        // SAFETY: ends the child at once, running nothing of the parent's.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for the child just made, writing its status to a live local.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fork_moves_the_count_in_parent_and_child() {
        let before = watched_epoch();
        assert!(in_child(|| epoch() > before), "the child saw the old count");
        assert!(epoch() > before, "the parent saw the old count");
    }
}
