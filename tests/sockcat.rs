//! The `sockcat` binary, run as a user would: its demo, its command line, and its commands
//! against each other and against the library, over loopback only.

mod support;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use chapel_socket::{BACKLOG_DEFAULT, IpAddr, connect, listen};
use support::program::{Finished, Program};

/// The longest any one sockcat run may take before the test kills it and fails.
const LIMIT: Duration = Duration::from_secs(20);

/// Starts `sockcat args…` with `input` as its whole stdin.
fn sockcat(args: &[&str], input: &[u8]) -> Program {
    Program::start(env!("CARGO_BIN_EXE_sockcat"), args, input.to_vec(), LIMIT)
}

/// The address from sockcat's "listening on ADDR" line.
fn listening_on(sockcat: &Program) -> IpAddr {
    let line = sockcat.line_starting("listening on ");
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

fn run(args: &[&str]) -> Finished {
    sockcat(args, b"").finish()
}

#[test]
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

#[test]
fn help_prints_usage_and_exits_0() {
    for flag in ["--help", "-h"] {
        let done = run(&[flag]);
        assert!(done.status.success());
        let out = String::from_utf8(done.stdout).unwrap();
        assert!(out.starts_with("usage: sockcat COMMAND"), "{out}");
        for command in ["demo", "listen", "connect", "udp-send", "udp-recv", "echo"] {
            assert!(out.contains(&format!("\n  {command} ")), "{command} missing from\n{out}");
        }
        assert!(done.stderr.is_empty());
    }
}

#[test]
fn bad_arguments_print_the_reason_and_usage_and_exit_2() {
    for (args, reason) in [
        (&[][..], "sockcat: no command given"),
        (&["bogus"], "sockcat: unknown command \"bogus\""),
        (&["listen"], "sockcat: PORT is missing"),
        (&["listen", "99999"], "sockcat: \"99999\" is not a port (0 to 65535)"),
        (&["connect", "127.0.0.1", "1", "--timeout", "soon"], "sockcat: --timeout needs seconds >= 0, not \"soon\""),
        (&["udp-recv", "0", "--count"], "sockcat: --count needs a value"),
        (&["echo", "0", "--family", "4"], "sockcat: this command does not take --family"),
    ] {
        let done = run(args);
        assert_eq!(done.status.code(), Some(2), "{args:?}");
        assert_eq!(done.stderr.first().map(String::as_str), Some(reason), "{args:?}");
        assert!(done.stderr.iter().any(|l| l.starts_with("usage: sockcat")), "{args:?}");
        assert!(done.stdout.is_empty());
    }
}

/// A port nobody listens on: a socket bound to it (so no one else takes it) but not listening.
fn closed_port() -> (socket2::Socket, u16) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into()).unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    (socket, port)
}

#[test]
fn connect_to_a_closed_port_fails_with_one_line_naming_the_address() {
    let (_reserved, port) = closed_port();
    let service = port.to_string();
    for extra in [&[][..], &["--timeout", "2.5"]] {
        let done = run(&[&["connect", "127.0.0.1", &service][..], extra].concat());
        assert_eq!(done.status.code(), Some(1));
        assert_eq!(done.stderr.len(), 1, "{:?}", done.stderr);
        let line = &done.stderr[0];
        assert!(line.starts_with(&format!("sockcat: connect to 127.0.0.1:{port}: ")), "{line}");
        assert!(line.contains(&format!("(os error {})", libc::ECONNREFUSED)), "{line}");
        assert!(done.stdout.is_empty());
    }
}

#[test]
fn an_unresolvable_host_is_a_resolver_error() {
    // A name with a space fails inside glibc's resolver: no DNS query leaves the machine.
    let done = run(&["connect", "no such host.invalid", "80"]);
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(done.stderr.len(), 1, "{:?}", done.stderr);
    assert!(done.stderr[0].starts_with("sockcat: getaddrinfo no such host.invalid:80: "), "{:?}", done.stderr);
}

#[test]
fn timeouts_expire_with_an_error_never_early() {
    for (args, message) in [
        (&["listen", "0", "--timeout", "0.2"][..], "sockcat: accept on 127.0.0.1:"),
        (&["udp-recv", "::1", "0", "--timeout", "0.2"][..], "sockcat: recvfrom on [::1]:"),
    ] {
        let started = Instant::now();
        let done = run(args);
        assert!(started.elapsed() >= Duration::from_millis(200), "{args:?}");
        assert_eq!(done.status.code(), Some(1), "{args:?}");
        let last = done.stderr.last().unwrap();
        assert!(last.starts_with(message) && last.ends_with("timed out after 200ms"), "{last}");
    }
}

#[test]
fn listen_and_connect_pair_copies_both_ways() {
    let listener = sockcat(&["listen", "0"], b"from the listener\n");
    let at = listening_on(&listener);
    assert_eq!(at.host(), "127.0.0.1");
    let port = at.port().to_string();
    let connector =
        sockcat(&["connect", "localhost", &port, "--family", "4", "--timeout", "5"], b"from the connector\n");
    let (c, l) = (connector.finish(), listener.finish());
    assert!(c.status.success() && l.status.success(), "{:?} {:?}", c.stderr, l.stderr);
    assert_eq!(c.stdout, b"from the listener\n");
    assert_eq!(l.stdout, b"from the connector\n");
    assert_eq!(c.stderr, [format!("connected to 127.0.0.1:{port}")]);
    assert!(l.stderr.iter().any(|line| line.starts_with("connection from 127.0.0.1:")), "{:?}", l.stderr);
}

#[test]
fn listen_keep_serves_connections_one_after_another() {
    let mut listener = sockcat(&["listen", "::1", "0", "--keep"], b"");
    let at = listening_on(&listener);
    assert_eq!(at.host(), "::1");
    for i in 0..3 {
        let mut conn = connect(&at, 5.0).unwrap();
        conn.write_all(format!("connection {i}\n").as_bytes()).unwrap();
        conn.shutdown(std::net::Shutdown::Write).unwrap();
        // The listener's stdin is empty, so each connection gets its end of stream at once.
        assert_eq!(conn.recv(&mut [0; 16], 5.0).unwrap(), 0);
    }
    // Still serving: the fourth gets accepted too, then the listener is killed.
    let conn = connect(&at, 5.0).unwrap();
    assert_eq!(conn.recv(&mut [0; 16], 5.0).unwrap(), 0);
    listener.kill();
    let done = listener.finish();
    assert_eq!(String::from_utf8(done.stdout).unwrap(), "connection 0\nconnection 1\nconnection 2\n");
}

#[test]
fn udp_send_to_udp_recv_count() {
    let receiver = sockcat(&["udp-recv", "0", "--count", "3", "--timeout", "10"], b"");
    let at = listening_on(&receiver);
    let port = at.port().to_string();
    let sender = sockcat(&["udp-send", "127.0.0.1", &port, "--timeout", "5"], b"one\ntwo two\nthree\nnot read\n");
    let (s, r) = (sender.finish(), receiver.finish());
    assert!(s.status.success(), "{:?}", s.stderr);
    assert_eq!(s.stderr, [format!("sent 4 datagrams to {at}")]);
    assert!(r.status.success(), "{:?}", r.stderr);
    let out = String::from_utf8(r.stdout).unwrap();
    let lines: Vec<(&str, &str)> = out.lines().map(|l| l.split_once(' ').unwrap()).collect();
    assert_eq!(lines.iter().map(|(_, payload)| *payload).collect::<Vec<_>>(), ["one", "two two", "three"]);
    // One socket sent them all, from the port its first send bound.
    let from: IpAddr = lines[0].0.parse().unwrap();
    assert!(from.port() != 0 && lines.iter().all(|(sender, _)| *sender == lines[0].0), "{out}");
}

#[test]
fn udp_send_to_a_bad_host_fails() {
    let done = run(&["udp-send", "localhost", "9"]);
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(done.stderr.len(), 1);
    assert!(done.stderr[0].starts_with("sockcat: parse address \"localhost\""), "{:?}", done.stderr);
}

#[test]
fn echo_server_echoes_each_connection() {
    let server = sockcat(&["echo", "0"], b"");
    let at = listening_on(&server);
    let conns: Vec<_> = (0..3).map(|_| connect(&at, 5.0).unwrap()).collect();
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

#[test]
fn listen_on_a_taken_port_fails() {
    let taken = listen(&"127.0.0.1:0".parse().unwrap(), false, BACKLOG_DEFAULT).unwrap();
    let port = taken.addr().unwrap().port().to_string();
    let done = run(&["listen", "127.0.0.1", &port]);
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(
        done.stderr,
        [format!("sockcat: bind to 127.0.0.1:{port}: {}", std::io::Error::from_raw_os_error(libc::EADDRINUSE))]
    );
}
