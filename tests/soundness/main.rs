//! Soundness of the whole process: no descriptor leaked on any path (`fd_leaks`) or inherited
//! by a child (`cloexec`), no SIGPIPE (`sigpipe`), no panic and no leak on hostile input
//! (`hostile_input`), no byte handed out that the kernel did not write and no descriptor it
//! installs left unowned (`receive`), no option value that lets the kernel write through a
//! user pointer (`user_pointers`).
//!
//! The evidence is the process itself (its open descriptors, its signal dispositions), which a
//! test running beside another would disturb, so this binary runs its tests one at a time
//! (`support::trials::run_one_at_a_time`), whatever `--test-threads` says; the SIGPIPE cases
//! run in a child process each (`support::run_in_child`). `receive` and `user_pointers`
//! forbid `unsafe` code: their reproductions use the crate's safe API and std only.

mod support;

mod cloexec;
mod fd_leaks;
mod hostile_input;
mod receive;
mod sigpipe;
mod user_pointers;

fn main() {
    support::trials::run_one_at_a_time(
        &[fd_leaks::TESTS, cloexec::TESTS, sigpipe::TESTS, hostile_input::TESTS, receive::TESTS, user_pointers::TESTS]
            .concat(),
    );
}
