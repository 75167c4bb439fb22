//! Unix-domain sockets: streams and datagrams over paths (in temp directories), abstract
//! names (random suffixes) and pairs; hostile names; timeouts; close-on-exec; no SIGPIPE;
//! descriptor passing without leaks; peer credentials; and real peers — Python's `AF_UNIX`
//! sockets (stream and datagram, descriptors there and back) and socat's `UNIX-LISTEN` /
//! `UNIX-CONNECT` in both directions.

use std::io::{ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support;
use crate::support::program::Program;
use crate::support::trials::{PYTHON3, SOCAT, Test, trial};
use crate::support::{PATIENCE, assert_waited, child_outcome, is_child, open_fds, run_in_child, timed};
use chapel_socket::{
    Credentials, INDEFINITE_TIMEOUT, SO_PASSCRED, SOL_SOCKET, UnixAddr, UnixDatagram, UnixListener, UnixStream,
    get_sock_opt_bytes, set_sock_opt,
};

/// The tests, each with what it needs beyond the crate (`support::trials`): without it, a
/// test is ignored, with the reason, or fails under `CI=true`.
pub const TESTS: &[Test] = &[
    trial!(streams_over_a_path_and_an_abstract_name),
    trial!(a_stale_socket_file_stays_and_makes_bind_fail_until_removed),
    trial!(hostile_names_are_errors_before_any_syscall),
    trial!(a_sender_with_a_108_byte_path_is_a_name_like_any_other),
    trial!(timeouts_are_kept_and_never_end_early),
    trial!(a_non_blocking_listener_and_incoming),
    trial!(connect_to_a_full_queue_waits_in_the_kernel_for_the_time_left),
    trial!(datagrams_name_their_sender_and_never_cut_silently),
    trial!(peer_credentials_are_this_process),
    trial!(descriptors_pass_close_on_exec_and_keep_working),
    trial!(passed_descriptors_are_closed_exactly_once),
    trial!(no_sigpipe_on_unix_sockets),
    trial!(conversions_with_std_and_owned_fds),
    trial!(library_client_against_a_python_unix_stream_server, PYTHON3),
    trial!(python_unix_stream_client_against_a_library_server, PYTHON3),
    trial!(datagrams_both_ways_with_python, PYTHON3),
    trial!(a_descriptor_passed_to_python_and_back_stays_usable, PYTHON3),
    trial!(socat_unix_listen_receives_from_the_library, SOCAT),
    trial!(socat_unix_connect_sends_to_the_library, SOCAT),
    trial!(paths_are_relative_to_the_working_directory_as_the_kernel_resolves_them),
    trial!(unix_stream_peek_leaves_the_bytes),
    trial!(unix_vectored_io_moves_every_buffer_in_one_call),
    trial!(unix_send_all_sends_everything_within_one_deadline),
    trial!(unix_datagram_peeks_leave_the_datagram_and_count_what_was_copied),
    trial!(credentials_sent_explicitly_arrive_and_bad_ones_are_refused),
    trial!(credentials_of_another_process_are_refused_without_privilege),
];

/// The longest any child program may run before the test kills it and fails.
const LIMIT: Duration = Duration::from_secs(30);

/// A directory of its own for one test's socket files, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("chapel-unix-{}-{tag}-{}", std::process::id(), suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn addr(&self, name: &str) -> UnixAddr {
        UnixAddr::from_path(self.path(name)).unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A suffix no other run (or test) uses: the clock's nanoseconds and a counter.
fn suffix() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{nanos:x}-{}", COUNT.fetch_add(1, Ordering::Relaxed))
}

/// An abstract name no other run uses.
fn abstract_name(tag: &str) -> UnixAddr {
    UnixAddr::from_abstract(format!("chapel-test-{}-{tag}-{}", std::process::id(), suffix())).unwrap()
}

fn cloexec(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(flags >= 0, "fd {fd} is not open");
    flags & libc::FD_CLOEXEC != 0
}

fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags; a closed number answers EBADF.
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}

fn streams_over_a_path_and_an_abstract_name() {
    let dir = TempDir::new("streams");
    for addr in [dir.addr("s"), abstract_name("streams")] {
        let server = UnixListener::bind(&addr, 16).unwrap();
        assert_eq!(server.local_addr().unwrap(), addr);
        let mut client = UnixStream::connect(&addr, PATIENCE).unwrap();
        let conn = server.accept(PATIENCE).unwrap();
        assert_eq!(client.peer_addr().unwrap(), addr);
        assert!(client.local_addr().unwrap().is_unnamed());
        assert_eq!(conn.local_addr().unwrap(), addr);
        assert!(conn.peer_addr().unwrap().is_unnamed());
        client.write_all(b"hello over unix").unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        assert_eq!(support::read_all(|buf| conn.recv(buf, PATIENCE)), b"hello over unix");
        (&conn).write_all(b"bye").unwrap();
        drop(conn);
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"bye");
        for fd in [server.as_raw_fd(), client.as_raw_fd()] {
            assert!(cloexec(fd), "{addr}");
        }
    }
}

fn a_stale_socket_file_stays_and_makes_bind_fail_until_removed() {
    let dir = TempDir::new("stale");
    let addr = dir.addr("s");
    let mut server = UnixListener::bind(&addr, 1).unwrap();
    server.close().unwrap();
    assert!(dir.path("s").exists(), "close leaves the socket file");
    let err = UnixListener::bind(&addr, 1).unwrap_err();
    assert_eq!((err.kind(), err.op(), err.unix_address()), (ErrorKind::AddrInUse, "bind", Some(&addr)));
    assert_eq!(err.to_string(), format!("bind to {addr}: {}", std::io::Error::from_raw_os_error(libc::EADDRINUSE)));
    // Nobody listens on a stale file: connecting is refused, naming the path.
    let err = once_forks_are_done(|| UnixStream::connect(&addr, PATIENCE).err().ok_or("connected")).unwrap();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    std::fs::remove_file(dir.path("s")).unwrap();
    drop(UnixListener::bind(&addr, 1).unwrap());
    // An abstract name is free again as soon as its socket closes.
    let name = abstract_name("reuse");
    drop(UnixListener::bind(&name, 1).unwrap());
    drop(once_forks_are_done(|| UnixListener::bind(&name, 1)).unwrap());
}

/// `attempt`, retried (at most 50 times, 20 ms apart) while it fails: a socket closed here
/// lives on for a moment in a child another test thread is forking, until the child's `exec`
/// closes its copy (every descriptor is close-on-exec), so what needs the socket gone may
/// find it there once.
fn once_forks_are_done<T, E>(mut attempt: impl FnMut() -> Result<T, E>) -> Result<T, E> {
    for _ in 0..49 {
        if let Ok(done) = attempt() {
            return Ok(done);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    attempt()
}

fn hostile_names_are_errors_before_any_syscall() {
    let max = 108;
    // A path that fills sun_path (Linux needs no NUL after it) fits; one more byte does not,
    // and the error says so.
    let dir = TempDir::new("long");
    let base = dir.0.to_str().unwrap().len() + 1;
    assert!(base < max, "the temp dir's path is too long for this test");
    let fits = dir.path(&"f".repeat(max - base));
    assert_eq!(fits.as_os_str().len(), max);
    let server = UnixListener::bind(&UnixAddr::from_path(&fits).unwrap(), 1).unwrap();
    assert_eq!(server.local_addr().unwrap().as_pathname(), Some(fits.as_path()));
    let long = dir.path(&"f".repeat(max - base + 1));
    let err = UnixAddr::from_path(&long).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains(&format!("is {} bytes long; sun_path takes at most {max}", max + 1)), "{err}");
    for huge in [4096, 1 << 20] {
        let err = UnixAddr::from_path("/".repeat(huge)).unwrap_err();
        assert!(err.to_string().contains(&format!("{huge} bytes")), "{err}");
    }
    let err = UnixAddr::from_path("/tmp/evil\0/../../etc/passwd").unwrap_err();
    assert!(err.to_string().contains("NUL byte at offset 9"), "{err}");
    assert!(UnixAddr::from_path("").is_err());
    assert!(UnixAddr::from_abstract(vec![7u8; max]).is_err());
    // The longest abstract name (sun_path less its leading NUL), NULs and all, binds and
    // reads back as it was.
    let mut name = format!("\0chapel-test-{}-{}", std::process::id(), suffix()).into_bytes();
    name.resize(max - 1, 1);
    let addr = UnixAddr::from_abstract(&name).unwrap();
    let socket = UnixDatagram::bind(&addr).unwrap();
    assert_eq!(socket.local_addr().unwrap().as_abstract_name(), Some(&name[..]));
    // Printing never hides a byte: control bytes and backslashes are escaped, and it parses back.
    let shown = addr.to_string();
    assert!(shown.starts_with("@\\x00") && !shown.contains('\0'), "{shown}");
    assert_eq!(shown.parse::<UnixAddr>().unwrap(), addr);
    let tricky = UnixAddr::from_abstract("a\nb\\x41").unwrap();
    assert_eq!(tricky.to_string(), "@a\\x0ab\\\\x41");
    assert_ne!(tricky.to_string(), UnixAddr::from_abstract("a\nbA").unwrap().to_string());
}

/// A peer bound to a path that fills all 108 bytes of sun_path (no NUL, which Linux takes)
/// comes back from `recv_from` as that path: a `UnixAddr` the crate can hold, print, parse
/// back and send to. One limit for names made here and names the kernel reports.
fn a_sender_with_a_108_byte_path_is_a_name_like_any_other() {
    let dir = TempDir::new("full");
    let base = dir.0.to_str().unwrap().len() + 1;
    let full = dir.path(&"s".repeat(108 - base));
    assert_eq!(full.as_os_str().len(), 108);
    let receiver = UnixDatagram::bind(&UnixAddr::from_path(dir.path("r")).unwrap()).unwrap();
    let sender = UnixDatagram::bind(&UnixAddr::from_path(&full).unwrap()).unwrap();
    assert_eq!(sender.local_addr().unwrap().as_pathname(), Some(full.as_path()));
    sender.send_to(b"hi", &receiver.local_addr().unwrap(), PATIENCE).unwrap();
    let mut buf = [0; 8];
    let (n, from) = receiver.recv_from(&mut buf, PATIENCE).unwrap();
    assert_eq!((&buf[..n], from.as_pathname()), (&b"hi"[..], Some(full.as_path())));
    assert_eq!(from.to_string().parse::<UnixAddr>().unwrap(), from);
    receiver.send_to(b"back", &from, PATIENCE).unwrap();
    assert_eq!(sender.recv(&mut buf, PATIENCE).unwrap(), 4);
}

/// As std's `UnixListener::set_nonblocking` and `incoming`: non-blocking, an indefinite
/// accept is `WouldBlock` at once and a timed one waits its whole timeout; `incoming` yields
/// the queued connections in order.
fn a_non_blocking_listener_and_incoming() {
    let name = abstract_name("nonblocking");
    let server = UnixListener::bind(&name, 16).unwrap();
    server.set_nonblocking(true).unwrap();
    assert!(support::is_nonblocking(server.try_as_fd().unwrap()));
    let err = server.accept(INDEFINITE_TIMEOUT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
    let timeout = Duration::from_millis(120);
    let (err, took) = timed(|| server.accept(timeout).unwrap_err());
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(took, timeout, "a timed accept on a non-blocking Unix listener");
    let mut clients: Vec<UnixStream> = (0..3).map(|_| UnixStream::connect(&name, PATIENCE).unwrap()).collect();
    for (i, conn) in server.incoming().take(3).enumerate() {
        conn.unwrap().send(&[i as u8], PATIENCE).unwrap();
    }
    for (i, client) in clients.iter_mut().enumerate() {
        let mut byte = [0xff];
        assert_eq!(client.recv(&mut byte, PATIENCE).unwrap(), 1);
        assert_eq!(byte[0], i as u8, "incoming took the connections out of order");
    }
    server.set_nonblocking(false).unwrap();
    assert!(!support::is_nonblocking(server.try_as_fd().unwrap()));
}

fn timeouts_are_kept_and_never_end_early() {
    let name = abstract_name("timeouts");
    let server = UnixListener::bind(&name, 16).unwrap();
    let timeout = Duration::from_millis(150);
    let (err, took) = timed(|| server.accept(timeout).unwrap_err());
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_eq!(err.to_string(), format!("accept on {name}: timed out after 150ms"));
    assert_waited(took, timeout, "accept");
    let (a, _b) = UnixStream::pair().unwrap();
    let (err, took) = timed(|| a.recv(&mut [0; 8], timeout).unwrap_err());
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_waited(took, timeout, "recv");
    let (d, _e) = UnixDatagram::pair().unwrap();
    let (err, took) = timed(|| d.recv(&mut [0; 8], timeout).unwrap_err());
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_waited(took, timeout, "datagram recv");
}

fn connect_to_a_full_queue_waits_in_the_kernel_for_the_time_left() {
    // A backlog of 0 holds one pending connection; the next connect finds the queue full.
    let name = abstract_name("full");
    let server = UnixListener::bind(&name, 0).unwrap();
    let _queued = UnixStream::connect(&name, PATIENCE).unwrap();
    let timeout = Duration::from_millis(200);
    let (err, took) = timed(|| UnixStream::connect(&name, timeout).unwrap_err());
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(took, timeout, "connect to a full queue");
    // An indefinite connect on a full queue waits too; an accept makes room.
    let waiting = std::thread::spawn({
        let name = name.clone();
        move || UnixStream::connect(&name, PATIENCE)
    });
    std::thread::sleep(Duration::from_millis(100));
    let _first = server.accept(PATIENCE).unwrap();
    let conn = waiting.join().unwrap().unwrap();
    // The wait's SO_SNDTIMEO is cleared, so later sends wait as long as they are told to.
    let sndtimeo = get_sock_opt_bytes(&conn, SOL_SOCKET, libc::SO_SNDTIMEO, 64).unwrap();
    assert!(sndtimeo.iter().all(|&b| b == 0), "{sndtimeo:?}");
    assert_eq!(conn.send(b"x", 1.0).unwrap(), 1);
}

fn datagrams_name_their_sender_and_never_cut_silently() {
    let dir = TempDir::new("dgram");
    let (a_addr, b_addr) = (dir.addr("a"), abstract_name("dgram"));
    let a = UnixDatagram::bind(&a_addr).unwrap();
    let b = UnixDatagram::bind(&b_addr).unwrap();
    assert!(cloexec(a.as_raw_fd()));
    a.send_to(b"from a", &b_addr, PATIENCE).unwrap();
    let mut buf = [0; 64];
    assert_eq!(b.recv_from(&mut buf, PATIENCE).unwrap(), (6, a_addr.clone()));
    b.send_to(&[9; 100], &a_addr, PATIENCE).unwrap();
    let mut small = [0; 10];
    let err = a.recv_from(&mut small, PATIENCE).unwrap_err();
    assert_eq!((err.kind(), err.unix_address()), (ErrorKind::InvalidData, Some(&b_addr)));
    assert!(err.to_string().ends_with("datagram of 100 bytes truncated to the 10-byte buffer"), "{err}");
    assert_eq!(small, [9; 10]);
    // An unbound sender is unnamed; a connected socket sends without an address.
    let anon = UnixDatagram::unbound().unwrap();
    anon.connect(&b_addr).unwrap();
    anon.send(b"anon", PATIENCE).unwrap();
    let (n, from) = b.recv_from(&mut buf, PATIENCE).unwrap();
    assert_eq!((&buf[..n], from.is_unnamed()), (&b"anon"[..], true));
    assert_eq!(anon.peer_addr().unwrap(), b_addr);
    let err = anon.send_to(b"x", &abstract_name("nobody"), PATIENCE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

fn peer_credentials_are_this_process() {
    // SAFETY: getuid/getgid read the process's ids and cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let me = chapel_socket::Credentials { pid: std::process::id() as i32, uid, gid };
    let name = abstract_name("cred");
    let server = UnixListener::bind(&name, 1).unwrap();
    let client = UnixStream::connect(&name, PATIENCE).unwrap();
    let conn = server.accept(PATIENCE).unwrap();
    assert_eq!(client.peer_credentials().unwrap(), me);
    assert_eq!(conn.peer_credentials().unwrap(), me);
    assert_eq!(UnixDatagram::pair().unwrap().0.peer_credentials().unwrap(), me);
    // With SO_PASSCRED, every message carries the sender's credentials.
    let (a, b) = UnixDatagram::pair().unwrap();
    set_sock_opt(&b, SOL_SOCKET, libc::SO_PASSCRED, 1).unwrap();
    a.send(b"who", PATIENCE).unwrap();
    let got = b.recv_with_fds(&mut [0; 8], 0, PATIENCE).unwrap();
    assert_eq!((got.len, got.credentials), (3, Some(me)));
}

fn descriptors_pass_close_on_exec_and_keep_working() {
    let (a, b) = UnixStream::pair().unwrap();
    let (mut mine, theirs) = UnixStream::pair().unwrap();
    let theirs = OwnedFd::try_from(theirs).unwrap();
    let file = std::fs::File::open("/dev/null").unwrap();
    let fds: [BorrowedFd<'_>; 2] = [theirs.as_fd(), file.as_fd()];
    assert_eq!(a.send_with_fds(b"two fds", &fds, PATIENCE).unwrap(), 7);
    let mut buf = [0; 16];
    let got = b.recv_with_fds(&mut buf, 2, PATIENCE).unwrap();
    assert_eq!((&buf[..got.len], got.fds.len(), got.fds_truncated), (&b"two fds"[..], 2, false));
    for fd in &got.fds {
        assert!(cloexec(fd.as_raw_fd()));
        assert_ne!(fd.as_raw_fd(), theirs.as_raw_fd(), "the receiver gets its own descriptor");
    }
    let mut fds = got.fds.into_iter();
    let mut passed = UnixStream::try_from(fds.next().unwrap()).unwrap();
    passed.write_all(b"through the passed end").unwrap();
    let mut echo = [0; 22];
    mine.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"through the passed end");
    // Too many for the room: the extra ones are closed, and the receiver is told.
    let files: Vec<_> = (0..5).map(|_| std::fs::File::open("/dev/null").unwrap()).collect();
    let fds: Vec<_> = files.iter().map(AsFd::as_fd).collect();
    a.send_with_fds(b"five", &fds, PATIENCE).unwrap();
    let got = b.recv_with_fds(&mut buf, 2, PATIENCE).unwrap();
    assert_eq!((got.len, got.fds.len(), got.fds_truncated), (4, 2, true));
    // More than one message may carry is refused before any syscall.
    let many = vec![file.as_fd(); chapel_socket::MAX_FDS + 1];
    let err = a.send_with_fds(b"x", &many, PATIENCE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

/// Whether the descriptors passed in each case end up closed, exactly once: in a child, so
/// counting `/proc/self/fd` sees no other test's sockets.
fn passed_descriptors_are_closed_exactly_once() {
    const TEST: &str = "unix::passed_descriptors_are_closed_exactly_once";
    if !is_child(TEST) {
        return run_in_child(TEST);
    }
    let (sa, sb) = UnixStream::pair().unwrap();
    let (da, db) = UnixDatagram::pair().unwrap();
    let before = open_fds();
    for round in 0..200 {
        let file = std::fs::File::open("/dev/null").unwrap();
        let fds = [file.as_fd(), file.as_fd(), file.as_fd()];
        // Received and dropped by the caller: each closed by its OwnedFd, once.
        sa.send_with_fds(b"s", &fds, PATIENCE).unwrap();
        let got = sb.recv_with_fds(&mut [0; 4], 3, PATIENCE).unwrap();
        let numbers: Vec<RawFd> = got.fds.iter().map(AsRawFd::as_raw_fd).collect();
        drop(got);
        assert!(numbers.iter().all(|&fd| !is_open(fd)), "round {round}");
        // A datagram too long for the buffer: an error, and its descriptors closed.
        da.send_with_fds(&[1; 100], &fds, None, PATIENCE).unwrap();
        let err = db.recv_with_fds(&mut [0; 10], 3, PATIENCE).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        // No room at all: the kernel closes them all.
        da.send_with_fds(b"d", &fds, None, PATIENCE).unwrap();
        let got = db.recv_with_fds(&mut [0; 10], 0, PATIENCE).unwrap();
        assert_eq!((got.fds.len(), got.fds_truncated), (0, true));
        // Handed over (a Unix stream, which is what a UnixStream adopts) and closed by the
        // caller's own code.
        let (passed, other_end) = std::os::unix::net::UnixStream::pair().unwrap();
        sa.send_with_fds(b"s", &[passed.as_fd()], PATIENCE).unwrap();
        let got = sb.recv_with_fds(&mut [0; 4], 1, PATIENCE).unwrap();
        let mut stream = UnixStream::try_from(got.fds.into_iter().next().unwrap()).unwrap();
        stream.close().unwrap();
        drop((file, passed, other_end));
        assert_eq!(open_fds(), before, "round {round}");
    }
}

/// Sends to a closed peer with SIGPIPE at its default action, in a child: errors, no signal.
fn no_sigpipe_on_unix_sockets() {
    const TEST: &str = "unix::no_sigpipe_on_unix_sockets";
    if !is_child(TEST) {
        let (status, out) = child_outcome(TEST);
        assert_eq!(status.signal(), None, "killed by a signal:\n{out}");
        assert!(status.success(), "{out}");
        assert!(out.contains("1 passed"), "the child did not run {TEST}:\n{out}");
        return;
    }
    // SAFETY: restores the default disposition of SIGPIPE; no handler is involved.
    assert_ne!(unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) }, libc::SIG_ERR);
    let (mut a, b) = UnixStream::pair().unwrap();
    drop(b);
    assert_eq!(a.send(b"x", 1.0).unwrap_err().kind(), ErrorKind::BrokenPipe);
    assert_eq!(a.send(b"x", INDEFINITE_TIMEOUT).unwrap_err().kind(), ErrorKind::BrokenPipe);
    assert_eq!(a.write(b"x").unwrap_err().kind(), ErrorKind::BrokenPipe);
    let file = std::fs::File::open("/dev/null").unwrap();
    assert_eq!(a.send_with_fds(b"x", &[file.as_fd()], 1.0).unwrap_err().kind(), ErrorKind::BrokenPipe);
    let (d, e) = UnixDatagram::pair().unwrap();
    d.shutdown(Shutdown::Write).unwrap();
    drop(e);
    assert!(d.send(b"x", 1.0).is_err());
}

fn conversions_with_std_and_owned_fds() {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let ours = UnixStream::try_from(a).unwrap();
    ours.send(b"std", PATIENCE).unwrap();
    let mut theirs = b;
    let mut got = [0; 3];
    theirs.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"std");
    let back = std::os::unix::net::UnixStream::try_from(ours).unwrap();
    assert!(back.peer_addr().unwrap().is_unnamed());
    let name = abstract_name("conv");
    let std_addr = std::os::unix::net::SocketAddr::try_from(&name).unwrap();
    let std_listener = std::os::unix::net::UnixListener::bind_addr(&std_addr).unwrap();
    let listener = UnixListener::try_from(std_listener).unwrap();
    let _client = UnixStream::connect(&name, PATIENCE).unwrap();
    let conn = listener.accept(PATIENCE).unwrap();
    assert_eq!(conn.local_addr().unwrap(), name);
    let mut closed = UnixStream::pair().unwrap().0;
    closed.close().unwrap();
    assert!(OwnedFd::try_from(closed).unwrap_err().is_closed());
    let dgram = UnixDatagram::try_from(std::os::unix::net::UnixDatagram::unbound().unwrap()).unwrap();
    assert!(std::os::unix::net::UnixDatagram::try_from(dgram).is_ok());
}

// ---- real peers ----

/// Runs Python's `script`, after [`PY_PRELUDE`] and [`support::PY_RECV_ALL`].
fn python(script: &str, args: &[&str]) -> Program {
    let script = format!("{PY_PRELUDE}{}{script}", support::PY_RECV_ALL);
    Program::start("python3", &[&["-c", &script][..], args].concat(), Vec::new(), LIMIT)
}

/// Python's `script` with the path `name` in `dir` as argv[1], once it has said `ready` on
/// stderr: the program and the path.
fn python_ready_at(script: &str, dir: &TempDir, name: &str) -> (Program, PathBuf) {
    let path = dir.path(name);
    let peer = python(script, &[path.to_str().unwrap()]);
    peer.line_starting("ready");
    (peer, path)
}

/// Python's prelude: a stream server's accept of one connection.
const PY_PRELUDE: &str = r#"
import socket, sys
def accept_one(path):
    """Listens at path, says ready on stderr, accepts one connection: the listener and it."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.settimeout(10)
    srv.bind(path)
    srv.listen(1)
    print("ready", file=sys.stderr, flush=True)
    conn, _ = srv.accept()
    conn.settimeout(10)
    return srv, conn
"#;

/// Python's stream server at argv[1]: reads to the end, answers with the bytes reversed.
const PY_STREAM_SERVER: &str = r#"
srv, conn = accept_one(sys.argv[1])
data = recv_all(conn)
conn.sendall(b"python got %d bytes: " % len(data) + data[::-1])
conn.close()
"#;

/// Python's stream client of argv[1] (a path, or `@name` for an abstract name).
const PY_STREAM_CLIENT: &str = r#"
at = sys.argv[1]
at = "\0" + at[1:] if at.startswith("@") else at
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.settimeout(10)
c.connect(at)
c.sendall(b"hello from python")
c.shutdown(socket.SHUT_WR)
sys.stdout.write(recv_all(c).decode())
"#;

/// Python's datagram peer bound at argv[1]: upper-cases one datagram back to its sender.
const PY_DGRAM_PEER: &str = r#"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.settimeout(10)
s.bind(sys.argv[1])
print("ready", file=sys.stderr, flush=True)
data, peer = s.recvfrom(65536)
s.sendto(data.upper(), peer)
sys.stdout.write(peer)
"#;

/// Python at argv[1]: receives a descriptor, writes through it, and sends it back.
const PY_FD_PEER: &str = r#"
srv, conn = accept_one(sys.argv[1])
msg, fds, flags, _ = socket.recv_fds(conn, 64, 4)
assert len(fds) == 1, fds
passed = socket.socket(fileno=fds[0])
passed.sendall(b"python wrote this through " + msg)
socket.send_fds(conn, [b"back"], [passed.fileno()])
passed.close()
conn.close()
"#;

fn library_client_against_a_python_unix_stream_server() {
    let dir = TempDir::new("py-server");
    let (server, path) = python_ready_at(PY_STREAM_SERVER, &dir, "py.sock");
    let conn = UnixStream::connect(&UnixAddr::from_path(&path).unwrap(), PATIENCE).unwrap();
    let message: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    (&conn).write_all(&message).unwrap();
    conn.shutdown(Shutdown::Write).unwrap();
    let reply = support::read_all(|buf| conn.recv(buf, PATIENCE));
    let header = format!("python got {} bytes: ", message.len());
    assert_eq!(&reply[..header.len()], header.as_bytes());
    assert!(reply[header.len()..].iter().eq(message.iter().rev()));
    server.succeed();
}

fn python_unix_stream_client_against_a_library_server() {
    let dir = TempDir::new("py-client");
    for addr in [dir.addr("lib.sock"), abstract_name("py-client")] {
        let server = UnixListener::bind(&addr, 4).unwrap();
        let client = python(PY_STREAM_CLIENT, &[&addr.to_string()]);
        let conn = server.accept(PATIENCE).unwrap();
        support::answer_python_client(conn, |conn, buf| conn.recv(buf, PATIENCE), client, &addr.to_string());
    }
}

fn datagrams_both_ways_with_python() {
    let dir = TempDir::new("py-dgram");
    let (peer, py_path) = python_ready_at(PY_DGRAM_PEER, &dir, "py.dgram");
    let lib_addr = dir.addr("lib.dgram");
    let socket = UnixDatagram::bind(&lib_addr).unwrap();
    let py_addr = UnixAddr::from_path(&py_path).unwrap();
    socket.send_to(b"hello python", &py_addr, PATIENCE).unwrap();
    let mut buf = [0; 64];
    let (n, from) = socket.recv_from(&mut buf, PATIENCE).unwrap();
    assert_eq!((&buf[..n], from), (&b"HELLO PYTHON"[..], py_addr));
    let done = peer.succeed();
    assert_eq!(String::from_utf8(done.stdout).unwrap(), lib_addr.to_string());
}

fn a_descriptor_passed_to_python_and_back_stays_usable() {
    let dir = TempDir::new("py-fd");
    let (peer, path) = python_ready_at(PY_FD_PEER, &dir, "fd.sock");
    let conn = UnixStream::connect(&UnixAddr::from_path(&path).unwrap(), PATIENCE).unwrap();
    let (mine, theirs) = UnixStream::pair().unwrap();
    let theirs = OwnedFd::try_from(theirs).unwrap();
    conn.send_with_fds(b"a passed fd", &[theirs.as_fd()], PATIENCE).unwrap();
    drop(theirs);
    let mut buf = [0; 64];
    let n = mine.recv(&mut buf, PATIENCE).unwrap();
    assert_eq!(&buf[..n], b"python wrote this through a passed fd");
    let got = conn.recv_with_fds(&mut buf, 4, PATIENCE).unwrap();
    assert_eq!((&buf[..got.len], got.fds.len()), (&b"back"[..], 1));
    assert!(cloexec(got.fds[0].as_raw_fd()));
    let back = UnixStream::try_from(got.fds.into_iter().next().unwrap()).unwrap();
    back.send(b"and back again", PATIENCE).unwrap();
    let n = mine.recv(&mut buf, PATIENCE).unwrap();
    assert_eq!(&buf[..n], b"and back again");
    peer.succeed();
}

fn socat_unix_listen_receives_from_the_library() {
    let dir = TempDir::new("socat-listen");
    let path = dir.path("socat.sock");
    let listen = format!("UNIX-LISTEN:{}", path.display());
    let program = Program::start("socat", &["-d", "-d", "-u", &listen, "STDOUT"], Vec::new(), LIMIT);
    program.line_with("listening on");
    let data: Vec<u8> = (0..(1u32 << 20) + 17).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let conn = UnixStream::connect(&UnixAddr::from_path(&path).unwrap(), PATIENCE).unwrap();
    (&conn).write_all(&data).unwrap();
    drop(conn);
    let done = program.succeed();
    assert!(done.stdout == data, "socat received {} bytes of {}", done.stdout.len(), data.len());
}

fn socat_unix_connect_sends_to_the_library() {
    let dir = TempDir::new("socat-connect");
    let addr = dir.addr("lib.sock");
    let server = UnixListener::bind(&addr, 1).unwrap();
    let data: Vec<u8> = (0..(1u32 << 20) + 5).map(|i| (i % 253) as u8).collect();
    let target = format!("UNIX-CONNECT:{addr}");
    let program = Program::start("socat", &["-u", "STDIN", &target], data.clone(), LIMIT);
    let conn = server.accept(PATIENCE).unwrap();
    let got = support::read_all(|buf| conn.recv(buf, PATIENCE));
    assert!(got == data, "received {} bytes of {}", got.len(), data.len());
    program.succeed();
    // socat's abstract names: `ABSTRACT-CONNECT`, the name without the `@`.
    let name = abstract_name("socat");
    let server = UnixListener::bind(&name, 1).unwrap();
    let target = format!("ABSTRACT-CONNECT:{}", String::from_utf8_lossy(name.as_abstract_name().unwrap()));
    let program = Program::start("socat", &["-u", "STDIN", &target], b"abstract hello".to_vec(), LIMIT);
    let conn = server.accept(PATIENCE).unwrap();
    assert_eq!(support::read_all(|buf| conn.recv(buf, PATIENCE)), b"abstract hello");
    program.succeed();
}

fn paths_are_relative_to_the_working_directory_as_the_kernel_resolves_them() {
    let addr = UnixAddr::from_path("relative.sock").unwrap();
    assert_eq!(addr.as_pathname(), Some(Path::new("relative.sock")));
    assert_eq!(addr.to_string(), "relative.sock");
}

/// std's `test_unix_stream_peek`, with timeouts: a peek waits for data and leaves it for the
/// next read, and sees the end of the stream.
fn unix_stream_peek_leaves_the_bytes() {
    let (mut a, b) = UnixStream::pair().unwrap();
    let mut buf = [0; 16];
    let (got, waited) = timed(|| b.peek(&mut buf, 0.1));
    assert_eq!(got.unwrap_err().kind(), ErrorKind::TimedOut);
    assert_waited(waited, Duration::from_millis(100), "peek");
    a.write_all(b"hello").unwrap();
    assert_eq!(b.peek(&mut buf, PATIENCE).unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");
    assert_eq!(b.peek(&mut buf[..2], PATIENCE).unwrap(), 2);
    let mut read = [0; 16];
    assert_eq!(b.recv(&mut read, PATIENCE).unwrap(), 5);
    assert_eq!(&read[..5], b"hello");
    b.set_nonblocking(true).unwrap();
    assert_eq!(b.peek(&mut buf, INDEFINITE_TIMEOUT).unwrap_err().kind(), ErrorKind::WouldBlock);
    b.set_nonblocking(false).unwrap();
    a.shutdown(Shutdown::Write).unwrap();
    assert_eq!(b.peek(&mut buf, PATIENCE).unwrap(), 0, "end of stream");
    let mut closed = b;
    closed.close().unwrap();
    assert!(closed.peek(&mut buf, PATIENCE).unwrap_err().is_closed());
}

/// std's `test_write_vectored` and `test_read_vectored`: every buffer in one call (12 bytes
/// for "hello", " ", "world!", where a default `write_vectored` writes only the first), and
/// the timed forms' waits and errors.
fn unix_vectored_io_moves_every_buffer_in_one_call() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let parts = [IoSlice::new(b"hello"), IoSlice::new(b" "), IoSlice::new(b""), IoSlice::new(b"world!")];
    assert_eq!(a.write_vectored(&parts).unwrap(), 12);
    let (mut x, mut y, mut z) = ([0; 3], [0; 0], [0; 16]);
    let mut bufs = [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y), IoSliceMut::new(&mut z)];
    assert_eq!(b.read_vectored(&mut bufs).unwrap(), 12);
    assert_eq!((&x, &z[..9]), (b"hel", &b"lo world!"[..]));
    // Through `&UnixStream` as well, and the timed forms.
    assert_eq!((&a).write_vectored(&[IoSlice::new(b"ab")]).unwrap(), 2);
    assert_eq!(a.send_vectored(&[IoSlice::new(b"c"), IoSlice::new(b"de")], PATIENCE).unwrap(), 3);
    let (mut one, mut four) = ([0; 1], [0; 4]);
    let got = b.recv_vectored(&mut [IoSliceMut::new(&mut one), IoSliceMut::new(&mut four)], PATIENCE).unwrap();
    assert_eq!((got, &one, &four), (5, b"a", b"bcde"));
    assert_eq!(a.send_vectored(&[], PATIENCE).unwrap(), 0);
    let (got, waited) = timed(|| b.recv_vectored(&mut [IoSliceMut::new(&mut four)], 0.1));
    let err = got.unwrap_err();
    assert_eq!((err.kind(), err.op()), (ErrorKind::TimedOut, "recvmsg"));
    assert_waited(waited, Duration::from_millis(100), "recv_vectored");
    // A closed peer: EPIPE, never SIGPIPE; end of stream on the other side.
    drop(b);
    let err = a.send_vectored(&[IoSlice::new(b"late")], PATIENCE).unwrap_err();
    assert_eq!((err.kind(), err.op()), (ErrorKind::BrokenPipe, "sendmsg"));
    a.close().unwrap();
    assert!(a.recv_vectored(&mut [IoSliceMut::new(&mut four)], PATIENCE).unwrap_err().is_closed());
    assert!(a.send_vectored(&[IoSlice::new(b"x")], PATIENCE).unwrap_err().is_closed());
}

/// `send_all` sends more than the buffers hold to a reader, in order; to nobody, it times out
/// no earlier than its one deadline and says how much went; it fails on a closed peer.
fn unix_send_all_sends_everything_within_one_deadline() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let data: Vec<u8> = (0..(8 << 20)).map(|i| (i % 251) as u8).collect();
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        b.read_to_end(&mut got).unwrap();
        got
    });
    a.send_all(&data, PATIENCE).unwrap();
    a.send_all(&[], 0).unwrap();
    drop(a);
    assert!(reader.join().unwrap() == data, "the bytes arrived whole and in order");

    let (a, _b) = UnixStream::pair().unwrap();
    let (got, waited) = timed(|| a.send_all(&data, 0.2));
    let err = got.unwrap_err();
    assert_eq!((err.kind(), err.op()), (ErrorKind::TimedOut, "send"));
    assert_waited(waited, Duration::from_millis(200), "send_all");
    let message = err.to_string();
    let sent: usize = message
        .strip_suffix(" of 8388608 bytes were sent")
        .and_then(|m| m.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {message:?}"));
    assert!(sent > 0 && sent < data.len(), "{message}");
    assert!(message.contains("timed out after 200ms"), "the whole timeout: {message}");
    // A zero timeout sends what fits and never waits.
    let (a, _b) = UnixStream::pair().unwrap();
    let (got, took) = timed(|| a.send_all(&data, 0));
    assert_eq!(got.unwrap_err().kind(), ErrorKind::TimedOut);
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(a.send_all(b"x", f64::NAN).unwrap_err().kind(), ErrorKind::InvalidInput);

    let (mut a, b) = UnixStream::pair().unwrap();
    drop(b);
    let err = a.send_all(b"hello", PATIENCE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    assert!(err.to_string().ends_with("; 0 of 5 bytes were sent"), "{err}");
    a.close().unwrap();
    assert!(a.send_all(b"hello", PATIENCE).unwrap_err().is_closed());
}

/// `peek` and `peek_from` leave the datagram queued, report a longer one as an error (still
/// queued), time out never early, and count what the kernel copied: from a peek offset,
/// fewer bytes than the datagram has.
fn unix_datagram_peeks_leave_the_datagram_and_count_what_was_copied() {
    let dir = TempDir::new("peek");
    let (a, b) = (UnixDatagram::bind(&dir.addr("a")).unwrap(), UnixDatagram::bind(&dir.addr("b")).unwrap());
    let mut buf = [0; 32];
    let (got, waited) = timed(|| b.peek(&mut buf, 0.1));
    assert_eq!(got.unwrap_err().kind(), ErrorKind::TimedOut);
    assert_waited(waited, Duration::from_millis(100), "peek");
    a.send_to(b"hello world", &dir.addr("b"), PATIENCE).unwrap();
    assert_eq!(b.peek(&mut buf, PATIENCE).unwrap(), 11);
    assert_eq!(b.peek_from(&mut buf, PATIENCE).unwrap(), (11, dir.addr("a")));
    let mut small = [0; 4];
    let err = b.peek_from(&mut small, PATIENCE).unwrap_err();
    assert_eq!((err.kind(), err.op()), (ErrorKind::InvalidData, "recv(MSG_PEEK)"));
    assert_eq!(err.unix_address(), Some(&dir.addr("a")), "names the sender");
    assert_eq!(&small, b"hell");
    assert_eq!(b.recv_from(&mut buf, PATIENCE).unwrap(), (11, dir.addr("a")), "still queued");
    // With a peek offset the kernel copies from the offset on: 11 - 6 bytes, not 11.
    set_sock_opt(&b, SOL_SOCKET, libc::SO_PEEK_OFF, 6).unwrap();
    a.send_to(b"hello world", &dir.addr("b"), PATIENCE).unwrap();
    let mut seen = [0x5a; 32];
    assert_eq!(b.peek(&mut seen, PATIENCE).unwrap(), 5);
    assert_eq!(&seen[..5], b"world");
    assert!(seen[5..].iter().all(|&x| x == 0x5a), "nothing written past what was counted");
    let mut closed = b;
    closed.close().unwrap();
    assert!(closed.peek(&mut buf, PATIENCE).unwrap_err().is_closed());
    assert!(closed.peek_from(&mut buf, PATIENCE).unwrap_err().is_closed());
}

/// std's `add_creds`: credentials a sender claims arrive at a receiver that set
/// `SO_PASSCRED`, on a stream and a datagram socket; an id that is no id is `EINVAL`.
fn credentials_sent_explicitly_arrive_and_bad_ones_are_refused() {
    let (sa, sb) = UnixStream::pair().unwrap();
    set_sock_opt(&sb, SOL_SOCKET, SO_PASSCRED, 1).unwrap();
    let me = sa.peer_credentials().unwrap();
    assert_eq!(sa.send_with_credentials(b"who", &me, PATIENCE).unwrap(), 3);
    let mut buf = [0; 8];
    let got = sb.recv_with_fds(&mut buf, 0, PATIENCE).unwrap();
    assert_eq!((got.len, got.credentials), (3, Some(me)));
    let err = sa.send_with_credentials(b"x", &Credentials { uid: u32::MAX, ..me }, PATIENCE).unwrap_err();
    assert_eq!((err.kind(), err.raw_os_error(), err.op()), (ErrorKind::InvalidInput, Some(libc::EINVAL), "sendmsg"));

    let dir = TempDir::new("creds");
    let (da, db) = (UnixDatagram::unbound().unwrap(), UnixDatagram::bind(&dir.addr("d")).unwrap());
    set_sock_opt(&db, SOL_SOCKET, SO_PASSCRED, 1).unwrap();
    assert_eq!(da.send_with_credentials(b"me", &me, Some(&dir.addr("d")), PATIENCE).unwrap(), 2);
    assert_eq!(db.recv_with_fds(&mut buf, 0, PATIENCE).unwrap().credentials, Some(me));
    let (pa, _pb) = UnixDatagram::pair().unwrap();
    let err = pa.send_with_credentials(b"x", &Credentials { gid: u32::MAX, ..me }, None, PATIENCE).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    let mut closed = sa;
    closed.close().unwrap();
    assert!(closed.send_with_credentials(b"x", &me, PATIENCE).unwrap_err().is_closed());
}

/// Claiming another process's pid without the privilege is `EPERM`: in a child, which gives
/// up root first when it has it (root may claim any pid).
fn credentials_of_another_process_are_refused_without_privilege() {
    const TEST: &str = "unix::credentials_of_another_process_are_refused_without_privilege";
    if !is_child(TEST) {
        return run_in_child(TEST);
    }
    // SAFETY: this child process is single-purpose; dropping to `nobody` affects it alone.
    if unsafe { libc::geteuid() } == 0 {
        // SAFETY: plain integer arguments; each result is checked.
        unsafe {
            assert_eq!(libc::setgroups(0, std::ptr::null()), 0);
            assert_eq!(libc::setgid(65534), 0);
            assert_eq!(libc::setuid(65534), 0);
        }
    }
    let (a, b) = UnixStream::pair().unwrap();
    set_sock_opt(&b, SOL_SOCKET, SO_PASSCRED, 1).unwrap();
    let me = a.peer_credentials().unwrap();
    assert_ne!(me.pid, 1);
    let err = a.send_with_credentials(b"x", &Credentials { pid: 1, ..me }, PATIENCE).unwrap_err();
    assert_eq!((err.kind(), err.raw_os_error()), (ErrorKind::PermissionDenied, Some(libc::EPERM)));
    // Nothing was sent: the peer has nothing to read.
    assert_eq!(b.recv_with_fds(&mut [0; 4], 0, 0).unwrap_err().kind(), ErrorKind::TimedOut);
}
