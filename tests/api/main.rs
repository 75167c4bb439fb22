//! The public API by subject, on loopback and Unix-domain sockets only: one module a subject
//! (TCP, UDP, message and batch I/O, Unix-domain sockets, the typed options, the raw options
//! and free functions, what goes beyond Chapel, edge values, and with the `audit` feature the
//! in-process record of syscalls), each listing its tests.
//!
//! Its own `main` (`support::trials`): a test whose program (python3, socat) is missing is
//! reported ignored, with the reason, or fails under `CI=true`. A test that counts this
//! process's descriptors or changes its SIGPIPE disposition runs in a child process of its
//! own (`support::run_in_child`).

mod support;

#[cfg(feature = "audit")]
mod audit;
mod beyond;
mod edges;
mod options;
mod sockopt;
mod tcp;
mod udp;
#[cfg(target_os = "linux")]
mod udp_msg;
mod unix;

fn main() {
    let mut tests =
        [tcp::TESTS, udp::TESTS, unix::TESTS, options::TESTS, sockopt::TESTS, beyond::TESTS, edges::TESTS].concat();
    #[cfg(target_os = "linux")]
    tests.extend_from_slice(udp_msg::TESTS);
    #[cfg(feature = "audit")]
    tests.extend_from_slice(audit::TESTS);
    support::trials::run(&tests);
}
