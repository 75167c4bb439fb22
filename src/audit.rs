//! An in-process record of every syscall the crate makes, for auditing a program without
//! `strace` or ptrace (feature `audit`, off by default; off, the crate compiles to the same
//! code as without this module). Beyond Chapel: see the README's "Auditing without strace".
//!
//! Every syscall the crate makes goes through its one FFI layer, which reports each call here
//! once it has returned, with its arguments decoded as `strace` decodes them where it matters
//! to an auditor (descriptors, flags by name, socket addresses, lengths, timeouts; buffers as
//! a bounded prefix, as `strace -s 32`) and its result. Calls the C library wraps count as
//! one: `getaddrinfo` (whose file reads and DNS traffic `strace` would show one by one) and
//! `if_nametoindex`. Calls made by the Rust runtime or by your own code are not the crate's
//! and are not recorded.
//!
//! [`record`] collects the calls of the thread that runs its closure (another thread's calls
//! meanwhile are not in its [`Trace`]); [`set_sink`] sees every thread's calls as they
//! happen. Each [`Call`] prints as `strace` prints it. The calls of each operation, path by
//! path, are the [syscall contract](crate::syscalls), which `cargo test --features audit`
//! checks both under `strace` and with this record.
//!
//! ```
//! use chapel_socket::{audit, connect, listen};
//!
//! let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
//! let addr = server.addr()?;
//! let (result, trace) = audit::record(|| connect(&addr, 2.0)); // this thread's calls
//! let _conn = result?;
//! assert_eq!(trace.names(), ["socket", "connect", "ppoll", "ioctl"]);
//! for call in trace.calls() {
//!     println!("{call}"); // connect(3, {sa_family=AF_INET, …}, 16) = -1 EINPROGRESS (Operation now in progress)
//!     let _: &str = call.name();
//!     let _: Result<i64, i32> = call.result(); // the return value, or the errno
//! }
//! println!("{trace}"); // one line per call
//! audit::set_sink(Some(|call: &audit::Call| eprintln!("{call}"))); // every thread, as they happen
//! # audit::set_sink(None::<fn(&audit::Call)>);
//! # Ok::<(), chapel_socket::Error>(())
//! ```
//!
//! A test of your own program (the README's):
//!
//! ```
//! use chapel_socket::{audit, connect, listen};
//!
//! # fn main() { connecting_makes_four_syscalls_and_leaves_the_socket_blocking() }
//! fn connecting_makes_four_syscalls_and_leaves_the_socket_blocking() {
//!     let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 16).unwrap();
//!     let addr = server.addr().unwrap();
//!     let (conn, trace) = audit::record(|| connect(&addr, 2.0));
//!     conn.unwrap();
//!     assert_eq!(trace.names(), ["socket", "connect", "ppoll", "ioctl"], "{trace}");
//!     let last = &trace.calls()[3];
//!     assert!(last.to_string().starts_with("ioctl("), "{last}");
//!     assert_eq!(last.result(), Ok(0));
//! }
//! ```

use std::fmt;
use std::sync::Arc;

use crate::sys::audit as sys;

/// Runs `f` and returns its value with the syscalls the crate made on this thread meanwhile,
/// in order. Records nest: an outer record holds an inner one's calls too. A call another
/// thread makes meanwhile is not in the trace (a [sink](set_sink) sees it).
///
/// ```
/// use chapel_socket::{audit, listen};
///
/// let (server, trace) = audit::record(|| listen(&"127.0.0.1:0".parse()?, true, 16));
/// assert!(server.is_ok());
/// assert_eq!(trace.names(), ["socket", "setsockopt", "bind", "listen"]);
/// assert!(trace.calls()[2].to_string().starts_with("bind("));
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn record<T>(f: impl FnOnce() -> T) -> (T, Trace) {
    let (value, calls) = sys::record(f);
    (value, Trace { calls: calls.into_iter().map(Call).collect() })
}

/// Sets the sink every thread's calls go to as they are made (and are recorded too), or with
/// `None` removes it (`set_sink(None::<fn(&audit::Call)>)`). Calls the sink itself makes
/// through the crate do not reach it again.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use chapel_socket::{audit, UdpSocket, IPFamily};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// audit::set_sink(Some(move |call: &audit::Call| log.lock().unwrap().push(call.to_string())));
/// std::thread::spawn(|| UdpSocket::new(IPFamily::IPv4)).join().unwrap()?;
/// audit::set_sink(None::<fn(&audit::Call)>);
/// let seen = seen.lock().unwrap();
/// assert!(seen.iter().any(|line| line.starts_with("socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = ")));
/// assert!(seen.iter().any(|line| line.starts_with("close(")), "the drop's close too");
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn set_sink<F: Fn(&Call) + Send + Sync + 'static>(sink: Option<F>) {
    sys::set_sink(sink.map(|f| -> Arc<dyn Fn(sys::Record) + Send + Sync> { Arc::new(move |r| f(&Call(r))) }));
}

/// The syscalls of one [`record`], in the order they were made. Prints one call a line.
///
/// ```
/// use chapel_socket::{audit, UnixStream};
///
/// let (pair, trace) = audit::record(UnixStream::pair);
/// let (a, _b) = pair?;
/// assert_eq!(trace.names(), ["socketpair"]);
/// assert!(trace.to_string().starts_with("socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, ["));
/// let (_, trace) = audit::record(|| drop(a));
/// assert_eq!(trace.calls().len(), 1);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    calls: Vec<Call>,
}

impl Trace {
    /// The calls, in order.
    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    /// The calls' names, in order (`["socket", "connect", …]`).
    pub fn names(&self) -> Vec<&str> {
        self.calls.iter().map(Call::name).collect()
    }
}

impl fmt::Display for Trace {
    /// One call a line, as `strace` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.calls.iter().try_for_each(|call| writeln!(f, "{call}"))
    }
}

/// One syscall the crate made (or one C library call: `getaddrinfo`, `if_nametoindex`). Prints
/// as `strace` prints it: `recvfrom(3, "hello", 16, MSG_DONTWAIT, NULL, NULL) = 5`.
///
/// ```
/// use std::io::ErrorKind;
/// use chapel_socket::{audit, connect, listen, INDEFINITE_TIMEOUT};
///
/// // A port nobody listens on: the listener is gone.
/// let addr = listen(&"127.0.0.1:0".parse()?, true, 16)?.addr()?;
/// let (result, trace) = audit::record(|| connect(&addr, INDEFINITE_TIMEOUT));
/// assert!(result.is_err());
/// let refused = trace.calls().iter().find(|call| call.name() == "connect").unwrap();
/// let errno = refused.result().unwrap_err();
/// assert_eq!(std::io::Error::from_raw_os_error(errno).kind(), ErrorKind::ConnectionRefused);
/// assert!(refused.to_string().ends_with("= -1 ECONNREFUSED (Connection refused)"));
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call(sys::Record);

impl Call {
    /// The call's name, as `strace` names it (`accept4`, `recvfrom`, `ppoll`…).
    pub fn name(&self) -> &str {
        self.0.name
    }

    /// The arguments, as `strace` prints them (`3, {sa_family=AF_INET, …}, 16`).
    pub fn args(&self) -> &str {
        &self.0.args
    }

    /// What the call returned, or the `errno` it failed with. (`getaddrinfo` returns its
    /// `EAI_*` code, 0 on success.)
    pub fn result(&self) -> Result<i64, i32> {
        self.0.result
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
