//! The `sockcat` binary, run as a user would: its demo, its command line, and each of its nc
//! flags against a peer nobody here wrote (OpenBSD nc, Python, curl, socat) or the library,
//! over loopback and Unix-domain sockets (in a temporary directory of each test's own) only.
//! A test whose peer program (OpenBSD nc, socat, python3, curl, prlimit) is missing is
//! reported ignored, with the reason, and fails instead under `CI=true` (`support::trials`).

mod support;

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chapel_socket::{
    BACKLOG_DEFAULT, IPFamily, IpAddr, TcpConn, TcpSocket, UdpSocket, UnixAddr, UnixListener, UnixStream, bind,
    connect, listen,
};
use support::program::{Finished, Program};
use support::trials::{CURL, OPENBSD_NC, PRLIMIT, PYTHON3, SOCAT, trial};

/// The tests, each with what it needs beyond the crate (`support::trials`): without it, a
/// test is ignored, with the reason, or fails under `CI=true`.
fn main() {
    support::trials::run(&[
        trial!(demo_runs_every_step_and_exits_0),
        trial!(help_lists_the_flags_and_each_topic_has_its_own),
        trial!(odd_arguments_exit_2_with_one_line_never_a_panic),
        trial!(listen_p_receives_a_python_clients_bytes, PYTHON3),
        trial!(printf_into_sockcat_n_delivers_and_a_python_server_sees_the_end, PYTHON3),
        trial!(without_n_the_peer_gets_no_end_until_q),
        trial!(q_0_quits_at_the_end_of_stdin),
        trial!(w_ends_a_session_idle_both_ways_though_stdin_stays_open),
        trial!(w_counts_traffic_as_activity),
        trial!(v_says_when_w_ends_an_idle_session),
        trial!(a_closed_stdout_ends_the_session_at_once_and_quietly, PYTHON3),
        trial!(a_peer_reset_ends_the_session_at_once_with_one_line, PYTHON3),
        trial!(four_and_six_pick_the_family),
        trial!(bracketed_ipv6_is_taken_as_printed),
        trial!(n_refuses_names_and_takes_numbers),
        trial!(connect_to_a_closed_port_fails_with_one_line_naming_the_address),
        trial!(trace_prints_the_crates_syscalls_as_strace_does_or_says_how_to_get_them),
        trial!(an_unresolvable_host_is_a_resolver_error),
        trial!(listen_on_a_taken_port_fails),
        trial!(s_and_p_set_the_source_a_python_server_sees, PYTHON3),
        trial!(zv_from_a_fixed_source_port_probes_again_at_once),
        trial!(a_source_of_the_wrong_family_is_a_usage_error_and_one_not_here_a_runtime_one),
        trial!(z_exits_0_for_an_open_port_and_1_for_a_closed_one_within_a_second),
        trial!(z_does_not_wait_for_a_server_that_never_closes),
        trial!(zv_over_a_range_reports_each_port),
        trial!(z_takes_several_ports_and_service_names_as_nc_does),
        trial!(k_serves_nc_clients_one_after_another, OPENBSD_NC),
        trial!(k_at_a_descriptor_limit_of_12_serves_20_clients_and_the_next, PRLIMIT),
        trial!(echo_at_a_descriptor_limit_outlives_emfile_and_keeps_live_clients, PRLIMIT),
        trial!(echo_serves_connections_at_once),
        trial!(nc_client_and_sockcat_listener_exchange_binary_both_ways, OPENBSD_NC),
        trial!(sockcat_client_and_nc_listener_exchange_binary_both_ways, OPENBSD_NC),
        trial!(z_agrees_with_nc_z, OPENBSD_NC),
        trial!(udp_w_delivers_a_datagram_to_nc_and_ends_idle, OPENBSD_NC),
        trial!(nc_udp_client_and_sockcat_udp_listener_talk_both_ways, OPENBSD_NC),
        trial!(curl_fetches_a_page_sockcat_l_serves_from_stdin, CURL),
        trial!(socat_clients_one_after_another_to_sockcat_lk, SOCAT),
        trial!(udp_s_and_p_set_the_source_a_python_receiver_sees, PYTHON3),
        trial!(udp_lk_hears_every_sender),
        trial!(unix_listener_and_a_python_client_exchange_binary_both_ways, PYTHON3),
        trial!(unix_client_and_a_python_server_exchange_binary_both_ways, PYTHON3),
        trial!(l_u_fails_on_a_file_already_there_and_removes_nothing),
        trial!(unix_connect_to_nobody_fails_with_one_line_naming_the_path),
        trial!(unix_w_q_and_n_end_sessions_as_over_tcp),
        trial!(unix_closed_stdout_ends_the_session_at_once_and_quietly),
        trial!(l_k_u_serves_clients_one_after_another),
        trial!(unix_datagrams_with_a_python_peer_both_ways, PYTHON3),
        trial!(nc_unix_client_and_sockcat_unix_listener_exchange_binary_both_ways, OPENBSD_NC),
        trial!(sockcat_unix_client_and_nc_unix_listener_exchange_binary_both_ways, OPENBSD_NC),
        trial!(unix_datagrams_with_nc_both_ways, OPENBSD_NC),
        trial!(a_non_blocking_stdout_is_waited_for),
        trial!(a_non_blocking_stdin_is_waited_for),
    ]);
}

/// The longest any one program may run before the test kills it and fails.
const LIMIT: Duration = Duration::from_secs(20);

/// How much later than asked a timed end may come on a loaded machine.
const SLACK: Duration = Duration::from_secs(2);

/// Every library wait on a peer, in seconds.
const PATIENCE: f64 = 10.0;

const SOCKCAT: &str = env!("CARGO_BIN_EXE_sockcat");

/// Starts `sockcat args…` with `input` as its whole stdin.
fn sockcat(args: &[&str], input: &[u8]) -> Program {
    Program::start(SOCKCAT, args, input.to_vec(), LIMIT)
}

fn start(program: &str, args: &[&str], input: &[u8]) -> Program {
    Program::start(program, args, input.to_vec(), LIMIT)
}

fn run(args: &[&str]) -> Finished {
    sockcat(args, b"").finish()
}

/// The port at the end of `program`'s next stderr line holding `needle` (`ADDR:PORT` as sockcat
/// prints it, `HOST PORT` as nc does).
fn port_of(program: &Program, needle: &str) -> String {
    let line = program.line_with(needle);
    let port = line.rsplit([' ', ':']).find(|word| word.parse::<u16>().is_ok());
    port.unwrap_or_else(|| panic!("no port in {line:?}")).to_string()
}

/// A port nobody listens on, held (bound, not listening) while the holder lives.
fn closed_port() -> (support::ClosedPort, u16) {
    let closed = support::closed_port(&"127.0.0.1:0".parse().unwrap());
    let port = closed.addr.port();
    (closed, port)
}

/// A library listener on loopback of `family`, and its port as text.
fn library_listener(host: &str) -> (chapel_socket::TcpListener, String) {
    let listener = listen(&IpAddr::create(host, 0, IPFamily::IPUnspec).unwrap(), true, BACKLOG_DEFAULT).unwrap();
    let port = listener.addr().unwrap().port().to_string();
    (listener, port)
}

/// Every byte value, twice, and a tail: binary data must pass untouched.
fn binary() -> Vec<u8> {
    (0..=255u8).chain(0..=255u8).chain(*b"\r\n\0end").collect()
}

/// Binary data both ways between sockcat, sending [`binary`], and a peer sending it reversed.
/// `server` starts the listening side with the stdin it is given; then `client`, given the
/// server to wait for its lines, starts the connecting side with its own. Each must receive
/// all the other sent, and both exit 0: returns the server's end and the client's.
fn exchange_binary(
    sockcat_listens: bool,
    server: impl FnOnce(&[u8]) -> Program,
    client: impl FnOnce(&Program, &[u8]) -> Program,
) -> (Finished, Finished) {
    let (sockcat_sends, peer_sends) = (binary(), binary().into_iter().rev().collect());
    let (server_sends, client_sends) =
        if sockcat_listens { (sockcat_sends, peer_sends) } else { (peer_sends, sockcat_sends) };
    let server = server(&server_sends);
    let client = client(&server, &client_sends).succeed();
    let server = server.succeed();
    assert_eq!(server.stdout, client_sends);
    assert_eq!(client.stdout, server_sends);
    (server, client)
}

/// Starts Python's `script`, a server that prints `port:N` on stderr once it listens: the
/// program and N.
fn python_server(script: &str) -> (Program, String) {
    let python = start("python3", &["-c", script], b"");
    let port = port_of(&python, "port:");
    (python, port)
}

/// `sockcat -w 1 args…` with stdin held open, against a server that says nothing (`accept`
/// takes its connection): it ends quietly 1 s later. Returns the server's connection.
fn w_1_ends_a_silent_session<C>(args: &[&str], accept: impl FnOnce() -> C) -> C {
    let started = Instant::now();
    let mut held = Held::start(&[&["-w", "1"][..], args].concat());
    let conn = accept();
    let (status, stderr, took) = held.wait(started);
    assert!(status.success() && stderr.is_empty(), "{status} {stderr}");
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(1) + SLACK, "{took:?}");
    conn
}

/// `sockcat -q 0.3 args…` sending `abc` (no -N): the server (`accept` takes its connection)
/// has the bytes, and sockcat quits 0.3 s after the end of its stdin. Returns the server's
/// connection and sockcat's end.
fn q_quits_after_the_end_of_stdin<C>(args: &[&str], accept: impl FnOnce() -> C) -> (C, Finished)
where
    for<'a> &'a C: Read,
{
    let started = Instant::now();
    let client = sockcat(&[&["-q", "0.3"][..], args].concat(), b"abc");
    let conn = accept();
    let mut got = [0; 3];
    (&conn).read_exact(&mut got).unwrap();
    assert_eq!(&got, b"abc");
    let done = client.succeed();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300) && took < Duration::from_millis(300) + SLACK, "{took:?}");
    (conn, done)
}

/// A sockcat whose stdin stays open (held by the test) and whose stdout the test reads.
struct Held {
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Option<JoinHandle<String>>,
}

impl Held {
    fn start(args: &[&str]) -> Held {
        let mut child = Command::new(SOCKCAT)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let mut err = child.stderr.take().unwrap();
        let stderr = Some(thread::spawn(move || {
            let mut text = String::new();
            drop(err.read_to_string(&mut text));
            text
        }));
        Held { child, stdin, stderr }
    }

    /// Waits (bounded) for the exit: its status, stderr, and how long since `since`.
    fn wait(&mut self, since: Instant) -> (ExitStatus, String, Duration) {
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let took = since.elapsed();
                return (status, self.stderr.take().unwrap().join().unwrap(), took);
            }
            assert!(since.elapsed() < LIMIT, "sockcat still running after {LIMIT:?}");
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Reads the session's first 10 bytes (a flood of `y`), then closes sockcat's stdout:
    /// sockcat must end at once, quietly.
    fn ends_when_stdout_closes(&mut self) {
        let mut head = [0; 10];
        self.child.stdout.as_mut().unwrap().read_exact(&mut head).unwrap();
        assert_eq!(&head, b"yyyyyyyyyy");
        let closed = Instant::now();
        drop(self.child.stdout.take());
        let (status, stderr, took) = self.wait(closed);
        assert!(took < Duration::from_secs(1) + SLACK, "{took:?}");
        assert!(status.success() && stderr.is_empty(), "{status} {stderr:?}");
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        drop(self.child.kill());
        drop(self.child.wait());
        drop(self.stdin.take());
    }
}

// ---- the demo and the command line ----

fn demo_runs_every_step_and_exits_0() {
    let started = Instant::now();
    let done = run(&["demo"]);
    let out = String::from_utf8(done.stdout).unwrap();
    assert!(done.status.success(), "{out}\n{:?}", done.stderr);
    for step in ["listen", "connect", "TCP round trip", "timeout", "TCP close", "bind UDP", "UDP round trip", "done"] {
        assert!(out.lines().any(|l| l.split("  ").any(|field| field.trim() == step)), "no {step:?} step in\n{out}");
    }
    assert!(out.contains("timed out after 250ms"), "{out}");
    assert!(done.stderr.is_empty(), "{:?}", done.stderr);
    // The demo waits 250 ms on purpose; anything faster skipped its timeout.
    assert!(started.elapsed() >= Duration::from_millis(250));
}

fn help_lists_the_flags_and_each_topic_has_its_own() {
    for (args, first) in [
        (&["--help"][..], "usage: sockcat [-46klNnuvz]"),
        (&["-h"], "usage: sockcat [-46klNnuvz]"),
        (&["-lvh"], "usage: sockcat [-46klNnuvz]"),
        (&["demo", "--help"], "usage: sockcat demo"),
        (&["-l", "--echo", "-h"], "usage: sockcat -l --echo"),
    ] {
        let done = run(args);
        assert!(done.status.success(), "{args:?}");
        let out = String::from_utf8(done.stdout).unwrap();
        assert!(out.starts_with(first), "{args:?}: {out}");
        assert!(done.stderr.is_empty());
    }
    let out = String::from_utf8(run(&["-h"]).stdout).unwrap();
    for flag in
        ["-l", "-k", "-u", "-U", "-z", "-w SECS", "-q SECS", "-N", "-s ADDR", "-4, -6", "-n", "-v", "--echo", "demo"]
    {
        assert!(out.contains(&format!("\n  {flag} ")), "{flag} missing from\n{out}");
    }
}

/// Runs sockcat with raw (possibly non-UTF-8) arguments.
fn run_raw(args: &[&[u8]]) -> std::process::Output {
    Command::new(SOCKCAT).args(args.iter().map(|a| OsStr::from_bytes(a))).stdin(Stdio::null()).output().unwrap()
}

fn odd_arguments_exit_2_with_one_line_never_a_panic() {
    for (args, reason) in [
        (&[&b"-l"[..], b"9\xff"][..], "argument 2 (\"9\\xFF\") is not valid UTF-8"),
        (&[b"\xc3\x28", b"80"], "argument 1 (\"\\xC3(\") is not valid UTF-8"),
        (&[b"-l", b"-p", b"-1"], "\"-p -1\" is not a port (0 to 65535)"),
        (&[b"-l", b"99999"], "\"99999\" is not a port (0 to 65535)"),
        (&[b"127.0.0.1", b"99999"], "\"99999\" is not a port (1 to 65535)"),
        (&[b"-z"], "HOST and PORT are needed (or -l to listen)"),
        (&[b"-Y", b"127.0.0.1", b"80"], "unknown option -Y"),
        (&[b"--timeout", b"1"], "unknown option --timeout"),
        (&[b"-x", b"proxy", b"h", b"80"], "nc's option -x is not supported by sockcat"),
        (&[b"127.0.0.1", b"8080", b"9090"], "unexpected argument \"9090\" (one PORT; several with -z)"),
        (
            &[b"-l", b"localhost.localdomain", b"9000"],
            "\"localhost.localdomain\" is not a numeric address (names are resolved only as the HOST of a TCP connect, and never with -n)",
        ),
        (&[b"-w", b"-3", b"h", b"1"], "-w needs seconds above 0, not \"-3\""),
        (&[b"-k", b"h", b"1"], "-k needs -l"),
        (&[b"-4", b"-s", b"::1", b"127.0.0.1", b"80"], "\"::1\" is not a numeric IPv4 address"),
        (&[b"-p", b"5000", b"localhost", b"http"], "-s and -p need a numeric PORT, not \"http\""),
        (&[b"demo", b"now"], "demo takes no options or arguments"),
        (&[b"-l", b"-U"], "-U needs a PATH (or @NAME, an abstract name)"),
        (&[b"-z", b"-U", b"/tmp/s"], "-z probes TCP ports; it cannot be used with -U"),
        (&[b"-U", b"-p", b"1", b"/tmp/s"], "-p has no meaning with -U (a Unix socket has a PATH, no port)"),
        (&[], "HOST and PORT are needed (or -l to listen)"),
    ] {
        let out = run_raw(args);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr, format!("sockcat: {reason}; try 'sockcat --help'\n"), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

// ---- TCP: connect, listen, -N, -q, -w, -4/-6, -n ----

fn listen_p_receives_a_python_clients_bytes() {
    let listener = sockcat(&["-l", "-v", "-p", "0"], b"");
    let port = port_of(&listener, "listening on 127.0.0.1:");
    let script = "import socket,sys\nc=socket.create_connection(('127.0.0.1',int(sys.argv[1])),timeout=10)\nc.sendall(bytes(range(256))*64)\nc.close()";
    start("python3", &["-c", script, &port], b"").succeed();
    let done = listener.succeed();
    assert_eq!(done.stdout, (0..=255u8).collect::<Vec<_>>().repeat(64));
    assert!(done.stderr.iter().any(|l| l.starts_with("connection from 127.0.0.1:")), "{:?}", done.stderr);
}

fn printf_into_sockcat_n_delivers_and_a_python_server_sees_the_end() {
    let script = "import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(1)\ns.settimeout(10)\nprint('port:%d'%s.getsockname()[1],file=sys.stderr,flush=True)\nc,_=s.accept()\nc.settimeout(10)\ndata=b''\nwhile True:\n  b=c.recv(65536)\n  if not b: break\n  data+=b\nc.sendall(b'python saw the end after %r' % data)\nc.close()";
    let (python, port) = python_server(script);
    let done = sockcat(&["-N", "127.0.0.1", &port], b"x").succeed();
    python.succeed();
    assert_eq!(done.stdout, b"python saw the end after b'x'");
    assert!(done.stderr.is_empty(), "{:?}", done.stderr);
}

fn without_n_the_peer_gets_no_end_until_q() {
    // -q 0.3: sockcat quits 0.3 s after its stdin ends; without -N the peer saw no end before.
    let (listener, port) = library_listener("127.0.0.1");
    let (conn, done) = q_quits_after_the_end_of_stdin(&["127.0.0.1", &port], || listener.accept(PATIENCE).unwrap());
    assert_eq!(conn.recv(&mut [0; 8], PATIENCE).unwrap(), 0);
    assert!(done.stderr.is_empty());
}

fn q_0_quits_at_the_end_of_stdin() {
    let (listener, port) = library_listener("127.0.0.1");
    let (done, took) = support::timed(|| sockcat(&["-q", "0", "127.0.0.1", &port], b"bye").succeed());
    assert!(took < SLACK, "{took:?}");
    let conn = listener.accept(PATIENCE).unwrap();
    assert_eq!(support::read_all(|buf| conn.recv(buf, PATIENCE)), b"bye");
    assert!(done.stdout.is_empty());
}

fn w_ends_a_session_idle_both_ways_though_stdin_stays_open() {
    // `sleep 8 | sockcat -w 1 HOST P` against a server that accepts and says nothing.
    let (listener, port) = library_listener("127.0.0.1");
    let conn = w_1_ends_a_silent_session(&["127.0.0.1", &port], || listener.accept(PATIENCE).unwrap());
    // The session was closed, not abandoned.
    assert_eq!(conn.recv(&mut [0; 8], PATIENCE).unwrap(), 0);
}

fn v_says_when_w_ends_an_idle_session() {
    let (listener, port) = library_listener("127.0.0.1");
    let started = Instant::now();
    let mut held = Held::start(&["-v", "-w", "0.5", "127.0.0.1", &port]);
    let _conn = listener.accept(PATIENCE).unwrap();
    let (status, stderr, took) = held.wait(started);
    assert!(status.success(), "{status} {stderr}");
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(stderr.contains("sockcat: no byte either way for 0.5 s (-w); ending the session"), "{stderr:?}");
}

fn w_counts_traffic_as_activity() {
    // The server talks every 0.3 s for 1.5 s, then goes quiet: -w 1 ends about 1 s later.
    let (listener, port) = library_listener("127.0.0.1");
    let started = Instant::now();
    let mut held = Held::start(&["-w", "1", "127.0.0.1", &port]);
    let conn = listener.accept(PATIENCE).unwrap();
    for _ in 0..5 {
        thread::sleep(Duration::from_millis(300));
        (&conn).write_all(b".").unwrap();
    }
    let (status, _, took) = held.wait(started);
    assert!(status.success());
    assert!(took >= Duration::from_millis(2500) && took < Duration::from_millis(2500) + SLACK, "{took:?}");
}

fn a_closed_stdout_ends_the_session_at_once_and_quietly() {
    // `sockcat HOST P | head -c 10` against a flooding server, stdin left open.
    let script = "import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(1)\ns.settimeout(10)\nprint('port:%d'%s.getsockname()[1],file=sys.stderr,flush=True)\nc,_=s.accept()\ntry:\n  while True: c.sendall(b'y'*65536)\nexcept OSError:\n  print('flood ended',file=sys.stderr,flush=True)";
    let (python, port) = python_server(script);
    let mut held = Held::start(&["127.0.0.1", &port]);
    held.ends_when_stdout_closes();
    python.line_with("flood ended");
}

fn a_peer_reset_ends_the_session_at_once_with_one_line() {
    let script = "import socket,struct,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(1)\ns.settimeout(10)\nprint('port:%d'%s.getsockname()[1],file=sys.stderr,flush=True)\nc,_=s.accept()\nc.setsockopt(socket.SOL_SOCKET,socket.SO_LINGER,struct.pack('ii',1,0))\nc.close()";
    let (python, port) = python_server(script);
    let started = Instant::now();
    let mut held = Held::start(&["127.0.0.1", &port]);
    let (status, stderr, took) = held.wait(started);
    python.succeed();
    assert!(took < SLACK, "{took:?}");
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        stderr,
        format!("sockcat: recv on 127.0.0.1:{port}: {}\n", std::io::Error::from_raw_os_error(libc::ECONNRESET))
    );
}

fn four_and_six_pick_the_family() {
    // localhost is 127.0.0.1 everywhere (not every /etc/hosts gives it ::1).
    for (flags, host, listening) in [(&["-4"][..], "localhost", "127.0.0.1"), (&["-6"], "::1", "::1")] {
        let (listener, port) = library_listener(listening);
        let client = sockcat(&[flags, &["-v", "-N", host, &port]].concat(), b"hi");
        let conn = listener.accept(PATIENCE).unwrap();
        assert_eq!(support::read_all(|buf| conn.recv(buf, PATIENCE)), b"hi");
        drop(conn);
        let done = client.succeed();
        let at = IpAddr::create(listening, port.parse().unwrap(), IPFamily::IPUnspec).unwrap();
        assert_eq!(done.stderr, [format!("connected to {at}")]);
    }
    // -6 with no HOST listens on ::1; an IPv4 HOST under -6 is refused.
    let listener = sockcat(&["-l", "-6", "-v", "0"], b"");
    listener.line_starting("listening on [::1]:");
    drop(listener);
    let done = run(&["-6", "127.0.0.1", "80"]);
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(done.stderr.len(), 1, "{:?}", done.stderr);
}

fn bracketed_ipv6_is_taken_as_printed() {
    let listener = sockcat(&["-l", "-v", "[::1]", "0"], b"");
    let line = listener.line_starting("listening on ");
    let printed = line.strip_prefix("listening on ").unwrap().to_string();
    assert!(printed.starts_with("[::1]:"), "{printed}");
    let (host, port) = printed.rsplit_once(':').unwrap();
    sockcat(&["-N", host, port], b"bracketed").succeed();
    assert_eq!(listener.succeed().stdout, b"bracketed");
}

fn n_refuses_names_and_takes_numbers() {
    let done = run(&["-n", "localhost", "80"]);
    assert_eq!(done.status.code(), Some(2));
    let (listener, port) = library_listener("127.0.0.1");
    let client = sockcat(&["-n", "-N", "127.0.0.1", &port], b"numeric");
    let conn = listener.accept(PATIENCE).unwrap();
    assert_eq!(support::read_all(|buf| conn.recv(buf, PATIENCE)), b"numeric");
    drop(conn);
    client.succeed();
}

fn connect_to_a_closed_port_fails_with_one_line_naming_the_address() {
    let (_held, port) = closed_port();
    let port = port.to_string();
    for extra in [&[][..], &["-w", "2.5"]] {
        let done = run(&[extra, &["127.0.0.1", &port]].concat());
        assert_eq!(done.status.code(), Some(1));
        assert_eq!(
            done.stderr,
            [format!(
                "sockcat: connect to 127.0.0.1:{port}: {}",
                std::io::Error::from_raw_os_error(libc::ECONNREFUSED)
            )]
        );
        assert!(done.stdout.is_empty());
    }
}

/// `--trace` (built with `--features audit`): each call the crate makes on stderr, in
/// `strace`'s syntax, before sockcat's own line; without the feature, a usage error saying
/// how to get it.
fn trace_prints_the_crates_syscalls_as_strace_does_or_says_how_to_get_them() {
    let (_held, port) = closed_port();
    let port = port.to_string();
    let done = run(&["--trace", "-n", "127.0.0.1", &port]);
    if cfg!(feature = "audit") {
        assert_eq!(done.status.code(), Some(1), "{:?}", done.stderr);
        let expected = [
            "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 3".to_string(),
            format!(
                "connect(3, {{sa_family=AF_INET, sin_port=htons({port}), sin_addr=inet_addr(\"127.0.0.1\")}}, 16) = -1 ECONNREFUSED"
            ),
            "close(3) = 0".to_string(),
            format!("sockcat: connect to 127.0.0.1:{port}: "),
        ];
        assert_eq!(done.stderr.len(), expected.len(), "{:?}", done.stderr);
        for (line, start) in done.stderr.iter().zip(&expected) {
            assert!(line.starts_with(start.as_str()), "{line:?} is not {start:?}…; stderr: {:?}", done.stderr);
        }
    } else {
        assert_eq!(done.status.code(), Some(2));
        assert_eq!(done.stderr.len(), 1, "{:?}", done.stderr);
        assert!(done.stderr[0].contains("--features audit"), "{:?}", done.stderr);
    }
}

fn an_unresolvable_host_is_a_resolver_error() {
    // A name with a space fails inside glibc's resolver: no DNS query leaves the machine.
    let done = run(&["no such host.invalid", "80"]);
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(done.stderr.len(), 1, "{:?}", done.stderr);
    assert!(done.stderr[0].starts_with("sockcat: getaddrinfo no such host.invalid:80: "), "{:?}", done.stderr);
}

fn listen_on_a_taken_port_fails() {
    let (_taken, port) = library_listener("127.0.0.1");
    let done = run(&["-l", "127.0.0.1", &port]);
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(
        done.stderr,
        [format!("sockcat: bind to 127.0.0.1:{port}: {}", std::io::Error::from_raw_os_error(libc::EADDRINUSE))]
    );
}

// ---- -s, -p: the source of a TCP connect ----

/// A Python TCP server for one connection: prints the client's address, its port and what it
/// sent (to its end), one line.
const PY_TCP_SOURCE: &str = "import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(1)\ns.settimeout(10)\nprint('port:%d'%s.getsockname()[1],file=sys.stderr,flush=True)\nc,peer=s.accept()\nc.settimeout(10)\ndata=b''\nwhile True:\n  b=c.recv(65536)\n  if not b: break\n  data+=b\nprint('%s %d %s'%(peer[0],peer[1],data.decode()),flush=True)";

/// A TCP port free on every IPv4 address just now: bound (port 0), read, released. Another
/// program may take it before sockcat binds it; callers retry then.
fn free_tcp_port() -> String {
    let mut socket = TcpSocket::v4().unwrap();
    socket.bind(&"0.0.0.0:0".parse().unwrap()).unwrap();
    socket.local_addr().unwrap().port().to_string()
}

/// Whether sockcat failed only because the free port was taken between its release and the
/// bind (a rare race with other programs): then the caller tries another port.
fn port_was_taken(done: &Finished) -> bool {
    done.status.code() == Some(1) && done.stderr.iter().any(|l| l.contains("Address already in use"))
}

/// What the Python server saw of `sockcat -N flags… HOST PORT` sending "src", with `{P}` in
/// `flags` replaced by a free port (another one, a few times, when it was taken meanwhile):
/// the line it printed, and that port.
fn python_sees(flags: &[&str], host: &str) -> (String, String) {
    for _ in 0..5 {
        let (python, port) = python_server(PY_TCP_SOURCE);
        let source = free_tcp_port();
        let args: Vec<&str> = flags.iter().map(|f| if *f == "{P}" { source.as_str() } else { f }).collect();
        let done = sockcat(&[&["-N"][..], &args, &[host, &port]].concat(), b"src").finish();
        if port_was_taken(&done) {
            continue;
        }
        assert!(done.status.success(), "{flags:?}: {:?}", done.stderr);
        assert!(done.stderr.is_empty(), "{:?}", done.stderr);
        let seen = String::from_utf8(python.succeed().stdout).unwrap();
        return (seen.trim_end().to_string(), source);
    }
    panic!("5 free ports in a row were taken before sockcat bound them");
}

fn s_and_p_set_the_source_a_python_server_sees() {
    // The whole of 127/8 is this host's on Linux: 127.0.0.2 is a source loopback reaches.
    let (seen, port) = python_sees(&["-s", "127.0.0.2", "-p", "{P}"], "127.0.0.1");
    assert_eq!(seen, format!("127.0.0.2 {port} src"));
    // -s alone: that address, a port of the kernel's; by name, only IPv4 addresses are tried.
    let (seen, _) = python_sees(&["-s", "127.0.0.2"], "localhost");
    let (host, rest) = seen.split_once(' ').unwrap();
    assert_eq!(host, "127.0.0.2");
    assert!(rest.ends_with(" src") && rest.split(' ').next().unwrap().parse::<u16>().unwrap() != 0, "{seen}");
    // -p alone: that port, from the address the route gives (loopback's own).
    let (seen, port) = python_sees(&["-p", "{P}"], "localhost");
    assert_eq!(seen, format!("127.0.0.1 {port} src"));
}

fn zv_from_a_fixed_source_port_probes_again_at_once() {
    // Two probes in a row from one source port, to two listeners: the second binds the port
    // the first connection still holds (TIME_WAIT), as nc does, with SO_REUSEADDR.
    let (first, first_port) = library_listener("127.0.0.1");
    let (second, second_port) = library_listener("127.0.0.1");
    for _ in 0..5 {
        let source = free_tcp_port();
        let done = run(&["-zv", "-s", "127.0.0.2", "-p", &source, "127.0.0.1", &first_port]);
        if port_was_taken(&done) {
            continue;
        }
        assert!(done.status.success(), "{:?}", done.stderr);
        let seen = first.accept(PATIENCE).unwrap().addr().unwrap();
        assert_eq!(seen.to_string(), format!("127.0.0.2:{source}"));
        let again = run(&["-zv", "-s", "127.0.0.2", "-p", &source, "127.0.0.1", &second_port]);
        assert!(again.status.success(), "{:?}", again.stderr);
        assert_eq!(again.stderr, [format!("connection to 127.0.0.1:{second_port} succeeded")]);
        assert_eq!(second.accept(PATIENCE).unwrap().addr().unwrap(), seen);
        return;
    }
    panic!("5 free ports in a row were taken before sockcat bound them");
}

fn a_source_of_the_wrong_family_is_a_usage_error_and_one_not_here_a_runtime_one() {
    for (args, reason) in [
        (&["-4", "-s", "::1", "127.0.0.1", "80"][..], "\"::1\" is not a numeric IPv4 address"),
        (&["-6", "-s", "127.0.0.1", "::1", "80"], "\"127.0.0.1\" is not a numeric IPv6 address"),
        (&["-s", "::1", "127.0.0.1", "80"], "-s ::1 and 127.0.0.1 are not of one family"),
        (&["-z", "-s", "127.0.0.1", "::1", "80"], "-s 127.0.0.1 and ::1 are not of one family"),
        (
            &["-n", "-s", "localhost", "127.0.0.1", "80"],
            "\"localhost\" is not a numeric address (names are resolved only as the HOST of a TCP connect, and never with -n)",
        ),
    ] {
        let done = run(args);
        assert_eq!(done.status.code(), Some(2), "{args:?}: {:?}", done.stderr);
        assert_eq!(done.stderr, [format!("sockcat: {reason}; try 'sockcat --help'")], "{args:?}");
    }
    // 192.0.2.1 (TEST-NET-1) is no address of this host: bind fails, exit 1, one line.
    let (_listener, port) = library_listener("127.0.0.1");
    let done = run(&["-s", "192.0.2.1", "127.0.0.1", &port]);
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(
        done.stderr,
        [format!("sockcat: bind to 192.0.2.1:0: {}", std::io::Error::from_raw_os_error(libc::EADDRNOTAVAIL))]
    );
}

// ---- -z ----

fn z_exits_0_for_an_open_port_and_1_for_a_closed_one_within_a_second() {
    let (_listener, open) = library_listener("127.0.0.1");
    let (_held, closed) = closed_port();
    let closed = closed.to_string();
    for (port, code) in [(&open, 0), (&closed, 1)] {
        let (done, took) = support::timed(|| run(&["-z", "-w", "1", "127.0.0.1", port]));
        assert_eq!(done.status.code(), Some(code), "port {port}: {:?}", done.stderr);
        assert!(took < Duration::from_secs(1) + SLACK, "{took:?}");
        assert!(done.stderr.is_empty() && done.stdout.is_empty(), "{:?}", done.stderr);
    }
}

fn z_does_not_wait_for_a_server_that_never_closes() {
    // A port check: a server that accepts and keeps the connection open.
    let (listener, port) = library_listener("127.0.0.1");
    let (done, took) = support::timed(|| run(&["-z", "-w", "0.5", "127.0.0.1", &port]));
    assert!(done.status.success());
    assert!(took < SLACK, "{took:?}");
    drop(listener);
}

fn zv_over_a_range_reports_each_port() {
    // Two adjacent ports, one open: a listener on the first free pair found.
    let (listener, first) = (0..50)
        .find_map(|_| {
            let (listener, port) = library_listener("127.0.0.1");
            let next = port.parse::<u16>().ok()?.checked_add(1)?;
            let probe = listen(&format!("127.0.0.1:{next}").parse().unwrap(), false, 1).ok()?;
            drop(probe);
            Some((listener, port.parse::<u16>().unwrap()))
        })
        .unwrap();
    let range = format!("{first}-{}", first + 1);
    let done = run(&["-zv", "-w", "1", "127.0.0.1", &range]);
    assert!(done.status.success(), "{:?}", done.stderr);
    assert_eq!(done.stderr[0], format!("connection to 127.0.0.1:{first} succeeded"));
    assert!(done.stderr[1].starts_with(&format!("sockcat: connect to 127.0.0.1:{}: ", first + 1)), "{:?}", done.stderr);
    drop(listener);
}

/// nc takes several port arguments and service names: `-z HOST http`, `-z HOST 9010 9012`.
/// Each is probed in order; a service name is looked up in the services database only
/// (`/etc/services`: http is port 80), never as a host.
fn z_takes_several_ports_and_service_names_as_nc_does() {
    let (_listener, open) = library_listener("127.0.0.1");
    let (_held, closed) = closed_port();
    let closed = closed.to_string();
    let done = run(&["-zv", "-w", "1", "127.0.0.1", &closed, &open, "http"]);
    assert!(done.status.success(), "{:?}", done.stderr);
    assert!(done.stderr[0].starts_with(&format!("sockcat: connect to 127.0.0.1:{closed}: ")), "{:?}", done.stderr);
    assert_eq!(done.stderr[1], format!("connection to 127.0.0.1:{open} succeeded"));
    assert!(done.stderr[2].contains("127.0.0.1:80"), "http is port 80: {:?}", done.stderr);
    assert_eq!(done.stderr.len(), 3, "{:?}", done.stderr);
    let done = run(&["-z", "-w", "1", "127.0.0.1", &closed, &closed]);
    assert_eq!(done.status.code(), Some(1), "two closed ports: {:?}", done.stderr);
}

// ---- -k, --echo, and a bad day ----

fn k_serves_nc_clients_one_after_another() {
    let mut listener = sockcat(&["-l", "-k", "-v", "::1", "0"], b"");
    let port = port_of(&listener, "listening on [::1]:");
    for i in 0..3 {
        start("nc", &["-N", "::1", &port], format!("nc {i}\n").as_bytes()).succeed();
    }
    let conn = connect(&format!("[::1]:{port}").parse().unwrap(), PATIENCE).unwrap();
    (&conn).write_all(b"library\n").unwrap();
    conn.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(support::read_all(|buf| conn.recv(buf, PATIENCE)), b"");
    listener.kill();
    let done = listener.finish();
    assert_eq!(String::from_utf8(done.stdout).unwrap(), "nc 0\nnc 1\nnc 2\nlibrary\n");
}

/// `prlimit --nofile=12 sockcat args…`.
fn limited(args: &[&str]) -> Program {
    start("prlimit", &[&["--nofile=12", SOCKCAT][..], args].concat(), b"")
}

fn k_at_a_descriptor_limit_of_12_serves_20_clients_and_the_next() {
    let mut server = limited(&["-l", "-k", "-v", "127.0.0.1", "0"]);
    let at: IpAddr = format!("127.0.0.1:{}", port_of(&server, "listening on ")).parse().unwrap();
    let clients: Vec<TcpConn> = (0..20).map(|_| connect(&at, PATIENCE).unwrap()).collect();
    for (i, conn) in clients.iter().enumerate() {
        conn.send(format!("client {i:02}\n").as_bytes(), PATIENCE).unwrap();
        conn.shutdown(std::net::Shutdown::Write).unwrap();
    }
    for conn in &clients {
        assert_eq!(support::read_all(|buf| conn.recv(buf, PATIENCE)), b"");
    }
    let next = connect(&at, PATIENCE).unwrap();
    next.send(b"the next one\n", PATIENCE).unwrap();
    next.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(support::read_all(|buf| next.recv(buf, PATIENCE)), b"");
    server.kill();
    let out = String::from_utf8(server.finish().stdout).unwrap();
    let expected: String = (0..20).map(|i| format!("client {i:02}\n")).collect::<String>() + "the next one\n";
    assert_eq!(out, expected);
}

fn echo_at_a_descriptor_limit_outlives_emfile_and_keeps_live_clients() {
    let server = limited(&["-l", "-k", "--echo", "-v", "127.0.0.1", "0"]);
    let at: IpAddr = format!("127.0.0.1:{}", port_of(&server, "listening on ")).parse().unwrap();
    // 20 clients at once: the server can hold only a few; the rest wait in its backlog.
    let clients: Vec<TcpConn> = (0..20).map(|_| connect(&at, PATIENCE).unwrap()).collect();
    for conn in &clients {
        conn.send(b"ping", PATIENCE).unwrap();
    }
    server.line_with("Too many open files");
    // The first ones are live and echo; closing each frees a descriptor for a waiting one.
    for (i, conn) in clients.iter().enumerate() {
        let mut back = [0; 4];
        (&*conn).read_exact(&mut back).unwrap_or_else(|e| panic!("client {i}: {e}"));
        assert_eq!(&back, b"ping");
        conn.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(support::read_all(|buf| conn.recv(buf, PATIENCE)), b"");
    }
    drop(clients);
    let next = connect(&at, PATIENCE).unwrap();
    (&next).write_all(b"next").unwrap();
    next.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(support::read_all(|buf| next.recv(buf, PATIENCE)), b"next");
}

fn echo_serves_connections_at_once() {
    let server = sockcat(&["-l", "-k", "--echo", "-v", "0"], b"");
    let at: IpAddr = format!("127.0.0.1:{}", port_of(&server, "listening on ")).parse().unwrap();
    let conns: Vec<_> = (0..3).map(|_| connect(&at, PATIENCE).unwrap()).collect();
    for (i, mut conn) in conns.into_iter().enumerate().rev() {
        let message = format!("echo {i}").repeat(1000);
        conn.write_all(message.as_bytes()).unwrap();
        conn.shutdown(std::net::Shutdown::Write).unwrap();
        let mut back = String::new();
        conn.read_to_string(&mut back).unwrap();
        assert_eq!(back, message);
        assert!(server.line_starting("127.0.0.1:").ends_with(&format!(": echoed {} bytes", message.len())));
    }
}

// ---- OpenBSD nc as the peer, both ways ----

fn nc_client_and_sockcat_listener_exchange_binary_both_ways() {
    // Only nc half-closes: see the next test.
    exchange_binary(
        true,
        |input| sockcat(&["-l", "-v", "127.0.0.1", "0"], input),
        |listener, input| start("nc", &["-N", "127.0.0.1", &port_of(listener, "listening on ")], input),
    );
}

fn sockcat_client_and_nc_listener_exchange_binary_both_ways() {
    // nc half-closes (-N); sockcat does not: seen here, an nc that had the peer's end of
    // stream and its own stdin's sometimes quit before sending all it had read.
    exchange_binary(
        false,
        |input| start("nc", &["-l", "-v", "-N", "::1", "0"], input),
        |nc, input| sockcat(&["-6", "-w", "5", "::1", &port_of(nc, "Listening on")], input),
    );
}

fn z_agrees_with_nc_z() {
    // -k: nc's probe and ours each take a connection.
    let nc = start("nc", &["-l", "-k", "-v", "127.0.0.1", "0"], b"");
    let open = port_of(&nc, "Listening on");
    let (_held, closed) = closed_port();
    let closed = closed.to_string();
    for port in [&closed, &open] {
        let theirs = start("nc", &["-z", "-w", "1", "127.0.0.1", port], b"").finish().status.code();
        let ours = run(&["-z", "-w", "1", "127.0.0.1", port]).status.code();
        assert_eq!(ours, theirs, "port {port}");
    }
}

fn udp_w_delivers_a_datagram_to_nc_and_ends_idle() {
    let nc = start("nc", &["-u", "-l", "-v", "127.0.0.1", "0"], b"");
    let port = port_of(&nc, "Bound on");
    let started = Instant::now();
    let done = sockcat(&["-u", "-w", "1", "127.0.0.1", &port], b"datagram\0\xff").succeed();
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(1) + SLACK, "{took:?}");
    assert!(done.stderr.is_empty(), "{:?}", done.stderr);
    let mut nc = nc;
    nc.kill();
    assert_eq!(nc.finish().stdout, b"datagram\0\xff");
}

fn nc_udp_client_and_sockcat_udp_listener_talk_both_ways() {
    // The listener's stdin is read once the first datagram has made nc its peer.
    let listener = sockcat(&["-u", "-l", "-v", "-w", "1", "127.0.0.1", "0"], b"reply\0\xff");
    let port = port_of(&listener, "listening on ");
    let nc = start("nc", &["-u", "-w", "2", "127.0.0.1", &port], b"hello sockcat\n");
    listener.line_with("connection from 127.0.0.1:");
    let done = listener.succeed();
    assert_eq!(done.stdout, b"hello sockcat\n");
    assert_eq!(nc.finish().stdout, b"reply\0\xff");
}

// ---- curl, socat and python as peers of the other flags ----

fn curl_fetches_a_page_sockcat_l_serves_from_stdin() {
    let page = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nhello, curl!\n";
    let server = sockcat(&["-l", "-v", "127.0.0.1", "0"], page);
    let url = format!("http://127.0.0.1:{}/from-sockcat", port_of(&server, "listening on "));
    let curl = start("curl", &["-sS", "--max-time", "10", &url], b"").succeed();
    assert_eq!(curl.stdout, b"hello, curl!\n");
    let request = String::from_utf8(server.succeed().stdout).unwrap();
    assert!(request.starts_with("GET /from-sockcat HTTP/1.1\r\n"), "{request}");
    assert!(request.contains("User-Agent: curl/") && request.ends_with("\r\n\r\n"), "{request}");
}

fn socat_clients_one_after_another_to_sockcat_lk() {
    let mut server = sockcat(&["-lk", "-v", "0"], b"");
    let target = format!("TCP:127.0.0.1:{}", port_of(&server, "listening on "));
    for i in 0..2 {
        start("socat", &["-u", "STDIN", &target], format!("socat {i}\n").as_bytes()).succeed();
        server.line_with("connection from");
    }
    // The second session is over once a third connection is accepted.
    let third = connect(&format!("127.0.0.1:{}", target.rsplit(':').next().unwrap()).parse().unwrap(), PATIENCE);
    server.line_with("connection from");
    drop(third);
    server.kill();
    assert_eq!(server.finish().stdout, b"socat 0\nsocat 1\n");
}

/// A Python UDP receiver: prints the port of the first datagram's sender and its payload
/// (hex), then answers it.
const PY_UDP_RECEIVER: &str = "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(10)\ns.bind(('127.0.0.1',0))\nprint('port:%d'%s.getsockname()[1],file=sys.stderr,flush=True)\nd,peer=s.recvfrom(65536)\nprint('%d %s'%(peer[1],d.hex()),flush=True)\ns.sendto(b'answer',peer)";

fn udp_s_and_p_set_the_source_a_python_receiver_sees() {
    let (python, port) = python_server(PY_UDP_RECEIVER);
    // A free UDP port for the source: bound by the library, then released.
    let source = {
        let probe = UdpSocket::new(IPFamily::IPv4).unwrap();
        bind(&probe, &"127.0.0.1:0".parse().unwrap(), false).unwrap();
        probe.addr().unwrap().port().to_string()
    };
    let done = sockcat(&["-u", "-w", "1", "-s", "127.0.0.1", "-p", &source, "127.0.0.1", &port], b"\x00src").succeed();
    assert_eq!(String::from_utf8(python.succeed().stdout).unwrap(), format!("{source} 00737263\n"));
    assert_eq!(done.stdout, b"answer");
}

fn udp_lk_hears_every_sender() {
    let server = sockcat(&["-u", "-l", "-k", "-v", "-w", "1", "127.0.0.1", "0"], b"");
    let at: IpAddr = format!("127.0.0.1:{}", port_of(&server, "listening on ")).parse().unwrap();
    for i in 0..3u8 {
        let sender = UdpSocket::new(IPFamily::IPv4).unwrap();
        sender.send(&[b'a' + i, b'\n'], &at, PATIENCE).unwrap();
        thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.succeed().stdout, b"a\nb\nc\n");
}

// ---- Unix-domain sockets: -U, -l -U, -u -U ----

/// A directory of the test's own under the system's temporary directory, removed (with
/// whatever sockets are left in it) when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let n = MADE.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("sockcat-test-{}-{n}", std::process::id()));
        std::fs::create_dir(&dir).unwrap();
        Scratch(dir)
    }

    /// `name` in the directory, as text (sockcat takes its arguments as UTF-8).
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        drop(std::fs::remove_dir_all(&self.0));
    }
}

/// An abstract name no other test or run uses.
fn abstract_name(what: &str) -> String {
    static MADE: AtomicUsize = AtomicUsize::new(0);
    format!("@sockcat-test-{}-{what}-{}", std::process::id(), MADE.fetch_add(1, Ordering::Relaxed))
}

fn is_socket(path: &str) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// A Python AF_UNIX stream client of `sys.argv[1]` (`@name`: abstract): sends its stdin,
/// shuts down its sending side, and writes all it received to stdout.
const PY_UNIX_CLIENT: &str = "import socket,sys\na=sys.argv[1]\na='\\0'+a[1:] if a.startswith('@') else a\nc=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM)\nc.settimeout(10)\nc.connect(a)\nc.sendall(sys.stdin.buffer.read())\nc.shutdown(socket.SHUT_WR)\ngot=b''\nwhile True:\n  b=c.recv(65536)\n  if not b: break\n  got+=b\nsys.stdout.buffer.write(got)";

/// A Python AF_UNIX stream server at `sys.argv[1]` (`@name`: abstract): says `ready` on
/// stderr, accepts one connection, sends its stdin, reads to the end, writes what it read to
/// stdout, and removes its socket file.
const PY_UNIX_SERVER: &str = "import os,socket,sys\na=sys.argv[1]\nab=a.startswith('@')\ns=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM)\ns.bind('\\0'+a[1:] if ab else a)\ns.listen(1)\ns.settimeout(10)\nprint('ready',file=sys.stderr,flush=True)\nc,_=s.accept()\nc.settimeout(10)\nc.sendall(sys.stdin.buffer.read())\ngot=b''\nwhile True:\n  b=c.recv(65536)\n  if not b: break\n  got+=b\nc.close()\nsys.stdout.buffer.write(got)\nif not ab: os.unlink(a)";

fn unix_listener_and_a_python_client_exchange_binary_both_ways() {
    let dir = Scratch::new();
    for at in [dir.path("listen.sock"), abstract_name("listen")] {
        let (done, _) = exchange_binary(
            true,
            |input| sockcat(&["-l", "-v", "-U", &at], input),
            |listener, input| {
                assert_eq!(listener.line_starting("listening on "), format!("listening on {at}"));
                start("python3", &["-c", PY_UNIX_CLIENT, &at], input)
            },
        );
        assert_eq!(done.stderr.len(), 1, "{:?}", done.stderr);
        assert!(done.stderr[0].starts_with(&format!("connection on {at} from pid ")), "{:?}", done.stderr);
    }
    // As Debian's nc: the socket file the listener made is left where it was.
    assert!(is_socket(&dir.path("listen.sock")));
}

fn unix_client_and_a_python_server_exchange_binary_both_ways() {
    let dir = Scratch::new();
    for at in [dir.path("server.sock"), abstract_name("server")] {
        let (_, done) = exchange_binary(
            false,
            |input| start("python3", &["-c", PY_UNIX_SERVER, &at], input),
            |python, input| {
                python.line_with("ready");
                sockcat(&["-N", "-v", "-U", &at], input)
            },
        );
        assert_eq!(done.stderr, [format!("connected to {at}")]);
    }
}

fn l_u_fails_on_a_file_already_there_and_removes_nothing() {
    let dir = Scratch::new();
    let stale = dir.path("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let regular = dir.path("regular");
    std::fs::write(&regular, b"keep me").unwrap();
    for (path, udp) in [(&stale, false), (&regular, false), (&stale, true)] {
        let args = if udp { vec!["-l", "-u", "-U", path] } else { vec!["-l", "-U", path] };
        let done = run(&args);
        assert_eq!(done.status.code(), Some(1), "{path}");
        assert_eq!(
            done.stderr,
            [format!(
                "sockcat: bind to {path}: {} (sockcat never removes a socket file: remove it if it is stale, or use @NAME)",
                std::io::Error::from_raw_os_error(libc::EADDRINUSE)
            )]
        );
    }
    assert!(is_socket(&stale));
    assert_eq!(std::fs::read(&regular).unwrap(), b"keep me");
    // A name already taken is refused too, and says no more.
    let name = abstract_name("taken");
    let _taken = UnixListener::bind(&name.parse().unwrap(), 1).unwrap();
    let done = run(&["-l", "-U", &name]);
    assert_eq!(
        done.stderr,
        [format!("sockcat: bind to {name}: {}", std::io::Error::from_raw_os_error(libc::EADDRINUSE))]
    );
}

fn unix_connect_to_nobody_fails_with_one_line_naming_the_path() {
    let dir = Scratch::new();
    let missing = dir.path("missing.sock");
    let done = run(&["-U", &missing]);
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(
        done.stderr,
        [format!("sockcat: connect to {missing}: {}", std::io::Error::from_raw_os_error(libc::ENOENT))]
    );
}

/// A library listener on a fresh abstract name, and the name.
fn unix_listener() -> (UnixListener, String) {
    let name = abstract_name("library");
    (UnixListener::bind(&name.parse::<UnixAddr>().unwrap(), 4).unwrap(), name)
}

fn unix_w_q_and_n_end_sessions_as_over_tcp() {
    // -w 1 with stdin open and a silent server: ends at 1 s, and closes the connection.
    let (listener, name) = unix_listener();
    let conn = w_1_ends_a_silent_session(&["-U", &name], || listener.accept(PATIENCE).unwrap());
    assert_eq!(conn.recv(&mut [0; 8], PATIENCE).unwrap(), 0);
    // -q 0.3 without -N: the peer has the bytes, and no end until sockcat quits.
    let (conn, _) = q_quits_after_the_end_of_stdin(&["-U", &name], || listener.accept(PATIENCE).unwrap());
    assert_eq!(conn.recv(&mut [0; 8], PATIENCE).unwrap(), 0);
    // -N: the end of stdin is the peer's end of stream; sockcat ends when the peer closes.
    let client = sockcat(&["-N", "-U", &name], b"half");
    let conn = listener.accept(PATIENCE).unwrap();
    assert_eq!(support::read_all(|buf| conn.recv(buf, PATIENCE)), b"half");
    (&conn).write_all(b"after your end").unwrap();
    drop(conn);
    assert_eq!(client.succeed().stdout, b"after your end");
}

fn unix_closed_stdout_ends_the_session_at_once_and_quietly() {
    let (listener, name) = unix_listener();
    let mut held = Held::start(&["-U", &name]);
    let conn = listener.accept(PATIENCE).unwrap();
    let flood = thread::spawn(move || {
        // Bounded: a flood that nobody stops is a failure at the limit.
        let started = Instant::now();
        while started.elapsed() < LIMIT {
            if conn.send(&[b'y'; 65536], PATIENCE).is_err() {
                return true;
            }
        }
        false
    });
    held.ends_when_stdout_closes();
    assert!(flood.join().unwrap(), "the flood never ended");
}

fn l_k_u_serves_clients_one_after_another() {
    let name = abstract_name("lk");
    let mut server = sockcat(&["-l", "-k", "-v", "-U", &name], b"");
    server.line_starting("listening on ");
    let addr: UnixAddr = name.parse().unwrap();
    for i in 0..3 {
        let conn = UnixStream::connect(&addr, PATIENCE).unwrap();
        (&conn).write_all(format!("client {i}\n").as_bytes()).unwrap();
        conn.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(support::read_all(|buf| conn.recv(buf, PATIENCE)), b"");
        server.line_starting("connection on ");
    }
    server.kill();
    assert_eq!(server.finish().stdout, b"client 0\nclient 1\nclient 2\n");
}

/// A Python AF_UNIX datagram socket bound at `sys.argv[1]` that sends its stdin as one
/// datagram to `sys.argv[2]` and writes the one datagram it gets back to stdout.
const PY_UNIX_DATAGRAM_CLIENT: &str = "import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.settimeout(10)\ns.bind(sys.argv[1])\ns.sendto(sys.stdin.buffer.read(),sys.argv[2])\nsys.stdout.buffer.write(s.recv(65536))";

/// A Python AF_UNIX datagram socket bound at `sys.argv[1]`: says `ready` on stderr, writes the
/// first datagram to stdout, and answers its sender with its stdin.
const PY_UNIX_DATAGRAM_SERVER: &str = "import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.settimeout(10)\ns.bind(sys.argv[1])\nprint('ready',file=sys.stderr,flush=True)\nd,peer=s.recvfrom(65536)\nsys.stdout.buffer.write(d)\nsys.stdout.flush()\ns.sendto(sys.stdin.buffer.read(),peer)";

fn unix_datagrams_with_a_python_peer_both_ways() {
    let dir = Scratch::new();
    // sockcat -l -u -U: the first sender is the peer, and gets stdin back.
    let at = dir.path("dgram.sock");
    let listener = sockcat(&["-l", "-u", "-v", "-w", "1", "-U", &at], b"reply\0\xff");
    listener.line_starting("listening on ");
    let client = dir.path("python.sock");
    let python = start("python3", &["-c", PY_UNIX_DATAGRAM_CLIENT, &client, &at], b"hello\0dgram");
    assert_eq!(listener.line_starting("connection from "), format!("connection from {client}"));
    assert_eq!(listener.succeed().stdout, b"hello\0dgram");
    assert_eq!(python.succeed().stdout, b"reply\0\xff");
    // sockcat -u -U: sends from an abstract name of its own, so that the answer comes back.
    let at = dir.path("python-server.sock");
    let python = start("python3", &["-c", PY_UNIX_DATAGRAM_SERVER, &at], b"answer");
    python.line_with("ready");
    let done = sockcat(&["-u", "-w", "1", "-U", &at], b"question").succeed();
    assert_eq!(python.succeed().stdout, b"question");
    assert_eq!(done.stdout, b"answer");
    assert!(done.stderr.is_empty(), "{:?}", done.stderr);
}

fn nc_unix_client_and_sockcat_unix_listener_exchange_binary_both_ways() {
    let dir = Scratch::new();
    let at = dir.path("s.sock");
    exchange_binary(
        true,
        |input| sockcat(&["-l", "-v", "-U", &at], input),
        |listener, input| {
            listener.line_starting("listening on ");
            start("nc", &["-N", "-U", &at], input)
        },
    );
}

fn sockcat_unix_client_and_nc_unix_listener_exchange_binary_both_ways() {
    let dir = Scratch::new();
    let at = dir.path("nc.sock");
    // As over TCP: nc half-closes (-N), sockcat ends at -w when nc has gone.
    exchange_binary(
        false,
        |input| start("nc", &["-l", "-v", "-N", "-U", &at], input),
        |nc, input| {
            nc.line_with("Listening on");
            sockcat(&["-w", "5", "-U", &at], input)
        },
    );
}

fn unix_datagrams_with_nc_both_ways() {
    let dir = Scratch::new();
    // nc -u -U (from a socket file of its own) to sockcat -l -u -U, and the reply back.
    let at = dir.path("sockcat-dgram.sock");
    let listener = sockcat(&["-l", "-u", "-v", "-w", "1", "-U", &at], b"reply\0\xff");
    listener.line_starting("listening on ");
    let nc = start("nc", &["-u", "-w", "2", "-U", &at], b"hello sockcat\n");
    listener.line_with("connection from ");
    assert_eq!(listener.succeed().stdout, b"hello sockcat\n");
    assert_eq!(nc.finish().stdout, b"reply\0\xff");
    // sockcat -u -U to nc -l -u -U.
    let at = dir.path("nc-dgram.sock");
    let mut nc = start("nc", &["-l", "-u", "-v", "-U", &at], b"");
    nc.line_with("Bound on");
    let done = sockcat(&["-u", "-w", "1", "-U", &at], b"datagram\0\xff").succeed();
    assert!(done.stderr.is_empty(), "{:?}", done.stderr);
    nc.kill();
    assert_eq!(nc.finish().stdout, b"datagram\0\xff");
}

/// 256 KiB, four times a pipe's buffer, in a pattern no shift or repeat leaves unchanged.
fn pipe_load() -> Vec<u8> {
    (0..256 * 1024u32).map(|i| (i % 251) as u8 ^ (i >> 10) as u8).collect()
}

/// Sets `O_NONBLOCK` on `fd`'s open file, as a parent that hands its pipe on non-blocking
/// does.
fn make_nonblocking(fd: &impl std::os::fd::AsFd) {
    socket2::SockRef::from(fd).set_nonblocking(true).unwrap();
}

/// Waits (bounded by `LIMIT`) for `child` to end: how it ended and its stderr.
fn ended(mut child: Child) -> (ExitStatus, String) {
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > LIMIT {
            child.kill().unwrap();
            panic!("sockcat still ran after {LIMIT:?}; killed");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    (status, stderr)
}

fn a_non_blocking_stdout_is_waited_for() {
    // `sockcat HOST P > pipe` where the parent made the pipe non-blocking and reads it slowly:
    // sockcat waits for room each time the pipe is full, and every byte arrives once.
    let (listener, port) = library_listener("127.0.0.1");
    let (mut reader, writer) = support::pipe();
    make_nonblocking(&writer);
    let child = Command::new(SOCKCAT)
        .args(["127.0.0.1", &port])
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sent = pipe_load();
    let server = {
        let data = sent.clone();
        thread::spawn(move || (&listener.accept(PATIENCE).unwrap()).write_all(&data).unwrap())
    };
    let deadline = Instant::now() + LIMIT;
    let (mut got, mut buf) = (Vec::new(), [0; 4096]);
    loop {
        chapel_socket::wait_readable(&reader, deadline.saturating_duration_since(Instant::now())).unwrap();
        match reader.read(&mut buf).unwrap() {
            0 => break,
            n => got.extend_from_slice(&buf[..n]),
        }
        // A slow reader: the pipe fills, and sockcat's writes find it full.
        thread::sleep(Duration::from_micros(500));
    }
    server.join().unwrap();
    let (status, stderr) = ended(child);
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(got.len(), sent.len());
    assert!(got == sent, "the bytes differ");
}

fn a_non_blocking_stdin_is_waited_for() {
    // `slow-writer | sockcat -N HOST P` where the parent made the pipe non-blocking: sockcat
    // waits for data each time the pipe is empty, and the peer gets every byte, then the end.
    let (listener, port) = library_listener("127.0.0.1");
    let (reader, mut writer) = support::pipe();
    make_nonblocking(&reader);
    let child = Command::new(SOCKCAT)
        .args(["-N", "127.0.0.1", &port])
        .stdin(reader)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sent = pipe_load();
    let feeder = {
        let data = sent.clone();
        thread::spawn(move || {
            for chunk in data.chunks(4096) {
                writer.write_all(chunk).unwrap();
                thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let conn = listener.accept(PATIENCE).unwrap();
    let got = support::read_all(|buf| conn.recv(buf, PATIENCE));
    feeder.join().unwrap();
    drop(conn);
    let (status, stderr) = ended(child);
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(got.len(), sent.len());
    assert!(got == sent, "the bytes differ");
}
