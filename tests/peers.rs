//! The library and `sockcat` against programs nobody here wrote: Python's `socket` module
//! (TCP and UDP, IPv4 and IPv6), `curl` and `socat`, over loopback only. Each test bounds its
//! children's run time and kills them when it ends, whatever its outcome. A test whose
//! program is not installed is reported ignored, with the reason, except under `CI=true`,
//! where it fails (`support::trials`).

mod support;

use std::io::{ErrorKind, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use chapel_socket::{BACKLOG_DEFAULT, IPFamily, IpAddr, UdpSocket, bind, connect, get_sock_name, listen};
use support::program::Program;
use support::trials::{CURL, PYTHON3, SOCAT, trial};

/// The tests, each with what it needs beyond the crate (`support::trials`): without it, a
/// test is ignored, with the reason, or fails under `CI=true`.
fn main() {
    support::trials::run(&[
        trial!(library_client_against_python_tcp_server, PYTHON3),
        trial!(library_sees_a_python_reset_as_connection_reset, PYTHON3),
        trial!(python_client_against_library_tcp_server, PYTHON3),
        trial!(udp_both_ways_with_python, PYTHON3),
        trial!(curl_fetches_from_a_library_http_responder, CURL),
        trial!(curl_posts_a_body_the_responder_checksums, CURL),
        trial!(curl_reports_an_empty_reply_when_the_responder_closes, CURL),
        trial!(sockcat_connect_sends_8_mib_to_a_socat_listener, SOCAT),
        trial!(socat_client_sends_8_mib_to_sockcat_listen, SOCAT),
        trial!(sockcat_and_socat_exchange_8_mib_each_way_at_once_over_ipv6, SOCAT),
    ]);
}

/// The longest any child may run before the test kills it and fails.
const LIMIT: Duration = Duration::from_secs(30);

/// The timeout, in seconds, of every library call that waits for a peer.
const PATIENCE: f64 = 10.0;

/// Starts `program args…` with `input` as its whole stdin; `program` is found on `PATH`, or
/// is sockcat's path.
fn start(program: &str, args: &[&str], input: Vec<u8>) -> Program {
    Program::start(program, args, input, LIMIT)
}

/// Runs `script` with `python3`.
fn python(script: &str, args: &[&str]) -> Program {
    start("python3", &[&["-c", script][..], args].concat(), Vec::new())
}

fn sockcat(args: &[&str], input: Vec<u8>) -> Program {
    start(env!("CARGO_BIN_EXE_sockcat"), args, input)
}

/// Loopback of `family`, with `port`.
fn loopback(family: IPFamily, port: u16) -> IpAddr {
    let host = if family == IPFamily::IPv6 { "::1" } else { "127.0.0.1" };
    IpAddr::create(host, port, family).unwrap()
}

/// The Python argument naming `family`.
fn py_family(family: IPFamily) -> &'static str {
    if family == IPFamily::IPv6 { "6" } else { "4" }
}

/// Python's prelude: the family and loopback host from argv[1] (and, added by [`script`],
/// [`support::PY_RECV_ALL`]).
const PY_PRELUDE: &str = r#"
import socket, struct, sys
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
host = "::1" if sys.argv[1] == "6" else "127.0.0.1"
"#;

/// A Python TCP server: accepts one connection, reads to its end, answers with what it got
/// (reversed) and closes; with argv[2] == "reset" it resets the connection after one byte.
const PY_TCP_SERVER: &str = r#"
srv = socket.socket(fam, socket.SOCK_STREAM)
srv.settimeout(10)
srv.bind((host, 0))
srv.listen(1)
print("port:%d" % srv.getsockname()[1], file=sys.stderr, flush=True)
conn, peer = srv.accept()
conn.settimeout(10)
if sys.argv[2] == "reset":
    conn.recv(1)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    sys.exit(0)
data = recv_all(conn)
conn.sendall(b"python got %d bytes from port %d: " % (len(data), peer[1]) + data[::-1])
conn.close()
"#;

/// A Python TCP client of the port in argv[2]: sends a greeting, half-closes, prints the reply.
const PY_TCP_CLIENT: &str = r#"
c = socket.create_connection((host, int(sys.argv[2])), timeout=10)
print("client port:%d" % c.getsockname()[1], file=sys.stderr, flush=True)
c.sendall(b"hello from python")
c.shutdown(socket.SHUT_WR)
sys.stdout.write(recv_all(c).decode())
"#;

/// A Python UDP peer of the library socket at port argv[2]: upper-cases the library's
/// datagram back to it, then sends it a 100-byte datagram and a short one, and prints the
/// library's answer.
const PY_UDP_PEER: &str = r#"
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(10)
s.bind((host, 0))
print("port:%d" % s.getsockname()[1], file=sys.stderr, flush=True)
lib = (host, int(sys.argv[2]))
data, peer = s.recvfrom(65536)
assert peer[1] == lib[1], (peer, lib)
s.sendto(data.upper(), peer)
s.sendto(b"x" * 100, lib)
s.sendto(b"short", lib)
answer, peer = s.recvfrom(65536)
sys.stdout.write("%s from port %d" % (answer.decode(), peer[1]))
"#;

fn script(body: &str) -> String {
    format!("{PY_PRELUDE}{}{body}", support::PY_RECV_ALL)
}

fn library_client_against_python_tcp_server() {
    for family in [IPFamily::IPv4, IPFamily::IPv6] {
        let server = python(&script(PY_TCP_SERVER), &[py_family(family), "answer"]);
        let port = server.port_after("port:");
        let conn = connect(&loopback(family, port), PATIENCE).unwrap();
        let message: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut rest = &message[..];
        while !rest.is_empty() {
            rest = &rest[conn.send(rest, PATIENCE).unwrap()..];
        }
        conn.shutdown(Shutdown::Write).unwrap();
        let reply = support::read_all(|buf| conn.recv(buf, PATIENCE));
        let local = get_sock_name(&conn).unwrap();
        let header = format!("python got {} bytes from port {}: ", message.len(), local.port());
        assert_eq!(&reply[..header.len()], header.as_bytes(), "{family}");
        assert!(reply[header.len()..].iter().eq(message.iter().rev()), "{family}");
        server.succeed();
    }
}

fn library_sees_a_python_reset_as_connection_reset() {
    for family in [IPFamily::IPv4, IPFamily::IPv6] {
        let server = python(&script(PY_TCP_SERVER), &[py_family(family), "reset"]);
        let at = loopback(family, server.port_after("port:"));
        let conn = connect(&at, PATIENCE).unwrap();
        conn.send(b"x", PATIENCE).unwrap();
        let err = conn.recv(&mut [0; 16], PATIENCE).unwrap_err();
        assert_eq!((err.kind(), err.raw_os_error()), (ErrorKind::ConnectionReset, Some(libc::ECONNRESET)), "{err}");
        assert_eq!(err.to_string(), format!("recv on {at}: {}", std::io::Error::from_raw_os_error(libc::ECONNRESET)));
        server.succeed();
    }
}

fn python_client_against_library_tcp_server() {
    for family in [IPFamily::IPv4, IPFamily::IPv6] {
        let server = listen(&loopback(family, 0), true, BACKLOG_DEFAULT).unwrap();
        let port = server.addr().unwrap().port().to_string();
        let client = python(&script(PY_TCP_CLIENT), &[py_family(family), &port]);
        let conn = server.accept(PATIENCE).unwrap();
        let peer = conn.addr().unwrap();
        assert_eq!(peer.port(), client.port_after("client port:"), "{family}");
        assert_eq!(peer.family(), family);
        support::answer_python_client(conn, |conn, buf| conn.recv(buf, PATIENCE), client, &peer.to_string());
    }
}

fn udp_both_ways_with_python() {
    for family in [IPFamily::IPv4, IPFamily::IPv6] {
        let socket = UdpSocket::new(family).unwrap();
        bind(&socket, &loopback(family, 0), true).unwrap();
        let lib_port = socket.addr().unwrap().port().to_string();
        let python = python(&script(PY_UDP_PEER), &[py_family(family), &lib_port]);
        let py_at = loopback(family, python.port_after("port:"));
        socket.send(b"hello python", &py_at, PATIENCE).unwrap();
        assert_eq!(socket.recvfrom(64, PATIENCE, 0).unwrap(), (b"HELLO PYTHON".to_vec(), py_at));
        // Python's 100-byte datagram does not fit 40 bytes: an error naming the sender.
        let mut small = [0; 40];
        let err = socket.recv_from_into(&mut small, PATIENCE, 0).unwrap_err();
        assert_eq!((err.kind(), err.address()), (ErrorKind::InvalidData, Some(py_at)), "{err}");
        assert_eq!(small, [b'x'; 40]);
        let (short, from) = socket.recvfrom(64, PATIENCE, 0).unwrap();
        assert_eq!((short.as_slice(), from), (&b"short"[..], py_at));
        socket.send(b"thanks", &from, PATIENCE).unwrap();
        let done = python.succeed();
        assert_eq!(String::from_utf8(done.stdout).unwrap(), format!("thanks from port {lib_port}"));
    }
}

/// A tiny HTTP/1.0 responder on the library: serves one request on `server`, answering with
/// `respond(request, body)` (`None`: close without a word), and returns the request head.
fn serve_http(server: &chapel_socket::TcpListener, respond: fn(&str, &[u8]) -> Option<String>) -> String {
    let conn = server.accept(PATIENCE).unwrap();
    let mut request = Vec::new();
    let mut buf = [0; 65536];
    let head_end = loop {
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        assert!(request.len() < 1 << 20, "no end of the request head");
        let n = conn.recv(&mut buf, PATIENCE).unwrap();
        assert_ne!(n, 0, "curl closed before the end of its request head");
        request.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8(request[..head_end].to_vec()).unwrap();
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    while request.len() < head_end + length {
        let n = conn.recv(&mut buf, PATIENCE).unwrap();
        assert_ne!(n, 0, "curl closed before the end of its body");
        request.extend_from_slice(&buf[..n]);
    }
    if let Some(response) = respond(&head, &request[head_end..]) {
        (&conn).write_all(response.as_bytes()).unwrap();
    }
    head
}

/// FNV-1a, 64 bits: a checksum written here, compared on both ends of a transfer.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn answer_http(_head: &str, body: &[u8]) -> Option<String> {
    let text = format!("hello curl; body of {} bytes, fnv1a {:016x}\n", body.len(), fnv1a(body));
    Some(format!("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{text}", text.len()))
}

fn curl_fetches_from_a_library_http_responder() {
    for family in [IPFamily::IPv4, IPFamily::IPv6] {
        let server = listen(&loopback(family, 0), true, BACKLOG_DEFAULT).unwrap();
        let url = format!("http://{}/hello", server.addr().unwrap());
        let curl = start("curl", &["-sS", "-g", "--max-time", "10", &url], Vec::new());
        let head = serve_http(&server, answer_http);
        assert!(head.starts_with("GET /hello HTTP/1."), "{head}");
        assert!(head.contains(&format!("Host: {}\r\n", server.addr().unwrap())), "{head}");
        assert!(head.contains("User-Agent: curl/"), "{head}");
        let done = curl.succeed();
        assert_eq!(
            String::from_utf8(done.stdout).unwrap(),
            format!("hello curl; body of 0 bytes, fnv1a {:016x}\n", fnv1a(b""))
        );
    }
}

fn curl_posts_a_body_the_responder_checksums() {
    let server = listen(&loopback(IPFamily::IPv4, 0), true, BACKLOG_DEFAULT).unwrap();
    let url = format!("http://{}/upload", server.addr().unwrap());
    let body = pattern(3 << 20, 7);
    let args = ["-sS", "--max-time", "10", "-H", "Expect:", "--data-binary", "@-", &url];
    let curl = start("curl", &args, body.clone());
    let head = serve_http(&server, answer_http);
    assert!(head.starts_with("POST /upload HTTP/1."), "{head}");
    let done = curl.succeed();
    let expected = format!("hello curl; body of {} bytes, fnv1a {:016x}\n", body.len(), fnv1a(&body));
    assert_eq!(String::from_utf8(done.stdout).unwrap(), expected);
}

fn curl_reports_an_empty_reply_when_the_responder_closes() {
    let server = listen(&loopback(IPFamily::IPv4, 0), true, BACKLOG_DEFAULT).unwrap();
    let url = format!("http://{}/", server.addr().unwrap());
    let curl = start("curl", &["-sS", "--max-time", "10", &url], Vec::new());
    serve_http(&server, |_, _| None);
    let done = curl.finish();
    // curl's exit status 52: "the server did not reply anything".
    assert_eq!(done.status.code(), Some(52), "{:?}", done.stderr);
    assert!(done.stdout.is_empty());
}

/// `len` pseudo-random bytes (xorshift64 from `seed`): no two transfers carry the same data.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

/// 8 MiB and an odd tail, so no chunk size divides it.
const TRANSFER: usize = (8 << 20) + 12_345;

/// Checks a transfer byte for byte: length and checksum, then where the first difference is.
fn assert_same(got: &[u8], sent: &[u8], what: &str) {
    let first_difference = got.iter().zip(sent).position(|(a, b)| a != b);
    assert_eq!(
        (got.len(), fnv1a(got), first_difference),
        (sent.len(), fnv1a(sent), None),
        "{what}: received (len, fnv1a, first difference) vs sent"
    );
}

fn sockcat_connect_sends_8_mib_to_a_socat_listener() {
    let data = pattern(TRANSFER, 1);
    let socat = start("socat", &["-d", "-d", "-u", "TCP-LISTEN:0,bind=127.0.0.1", "STDOUT"], Vec::new());
    let port = socat.port_after("listening on").to_string();
    let started = Instant::now();
    let sockcat = sockcat(&["-N", "-w", "5", "127.0.0.1", &port], data.clone());
    let (c, s) = (sockcat.succeed(), socat.succeed());
    support::trials::note!("sockcat connect -> socat: {} bytes in {:?}", data.len(), started.elapsed());
    assert_same(&s.stdout, &data, "socat's stdout");
    assert!(c.stdout.is_empty());
}

fn socat_client_sends_8_mib_to_sockcat_listen() {
    let data = pattern(TRANSFER, 2);
    let sockcat = sockcat(&["-l", "-v", "0"], Vec::new());
    let target = format!("TCP:127.0.0.1:{}", sockcat.port_after("listening on"));
    let started = Instant::now();
    let socat = start("socat", &["-u", "STDIN", &target], data.clone());
    let (s, c) = (socat.succeed(), sockcat.succeed());
    support::trials::note!("socat -> sockcat listen: {} bytes in {:?}", data.len(), started.elapsed());
    assert_same(&c.stdout, &data, "sockcat's stdout");
    assert!(s.stdout.is_empty());
}

fn sockcat_and_socat_exchange_8_mib_each_way_at_once_over_ipv6() {
    let (to_socat, to_sockcat) = (pattern(TRANSFER, 3), pattern(TRANSFER, 4));
    // -t 10: after sockcat's end of stream, socat keeps sending what it has left.
    let socat = start("socat", &["-d", "-d", "-t", "10", "TCP6-LISTEN:0,bind=[::1]", "STDIO"], to_sockcat.clone());
    let port = socat.port_after("listening on").to_string();
    let started = Instant::now();
    let sockcat = sockcat(&["-N", "-6", "::1", &port], to_socat.clone());
    let (c, s) = (sockcat.succeed(), socat.succeed());
    support::trials::note!("sockcat <-> socat over ::1: {} bytes each way in {:?}", TRANSFER, started.elapsed());
    assert_same(&s.stdout, &to_socat, "socat's stdout");
    assert_same(&c.stdout, &to_sockcat, "sockcat's stdout");
}
