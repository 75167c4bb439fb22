//! Reliability: timeouts never shorter than asked, under signals and on every form a timeout
//! takes (`timeouts`); the waits timed by `SO_RCVTIMEO`, shared by threads (`waits`); connects
//! that keep their deadline under signals and `EINTR` (`connects`); one socket held by many
//! (`dup`, `fork`, hand-over: `holders`); and thousands of connections and datagrams at once
//! (`load`).
//!
//! Its own `main` (`support::trials`): a test that needs strace is reported ignored without
//! it, with the reason, or fails under `CI=true`. A test that forks, installs a signal handler
//! whose effect it measures, or whose regression would hang, runs in a child process of its
//! own (`support::run_in_child`, `run_in_child_within`).

mod support;

mod connects;
mod holders;
mod load;
mod timeouts;
mod waits;

fn main() {
    support::trials::run(&[timeouts::TESTS, waits::TESTS, connects::TESTS, holders::TESTS, load::TESTS].concat());
}
