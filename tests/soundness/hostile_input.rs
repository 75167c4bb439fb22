//! Hostile input: arbitrary strings, bytes, option numbers, buffer lengths, flags and timeouts
//! fed to the public API give an error or a correct value, never a panic and never a
//! descriptor left open.
//!
//! Nothing here reaches beyond loopback: hosts are numeric loopback addresses, strings with
//! a NUL (rejected before any lookup), or names with a space, which glibc's resolver refuses
//! before asking any DNS server (a plain `.invalid` name would still be sent to one). Service
//! strings that are a port are left out, so a random port of some other program's loopback
//! listener is never dialled; those `getaddrinfo` would read as a number but are no port
//! (`"65616"`, `"-0"`, `" 80"`, `""`) are drawn on purpose: the crate refuses them before any
//! lookup, so they dial nothing either.
//!
//! Each test checks the process's descriptor count before and after: the binary runs its
//! tests one at a time, and each of these also holds one lock. `PROPTEST_CASES` lowers the case counts (the
//! memcheck run uses it).

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use crate::support;
use crate::support::serial;
use crate::support::trials::{Test, trial};
use chapel_socket::{
    AnySocket, IPFamily, IPPROTO_TCP, IpAddr, IpOptions, SO_LINGER, SO_RCVBUF, SOL_SOCKET, SockOptValue, SocketOptions,
    TcpOptions, TcpSocket, Timeout, UdpSocket, bind, connect, connect_host, get_sock_opt, get_sock_opt_bytes, listen,
    set_sock_opt, struct_timeval,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(ip_addr_create_is_total_and_round_trips),
    trial!(a_scope_id_by_the_loopback_interfaces_name_or_number),
    trial!(ip_addr_from_str_is_total_and_round_trips),
    trial!(nul_in_host_or_service_is_an_error_before_any_lookup),
    trial!(nul_in_host_is_not_a_truncated_lookup),
    trial!(arbitrary_services_on_loopback_never_panic),
    trial!(numeric_services_that_are_no_port_dial_nothing),
    trial!(invalid_names_fail_in_the_resolver),
    trial!(arbitrary_socket_options_give_an_answer_or_an_error),
    trial!(option_reads_take_any_buffer_length),
    trial!(any_f64_timeout_converts_and_behaves),
    trial!(any_timeval_timeout_converts_and_behaves),
    trial!(any_duration_timeout_behaves),
    trial!(any_receive_length_and_flags),
    trial!(impossible_buffer_lengths_cost_one_datagram),
    trial!(unusable_readiness_still_times_out),
    trial!(indefinite_waits_end_when_the_kernel_says_so),
    trial!(any_integer_timeout_converts_like_seconds),
    trial!(any_vectored_buffers_arrive_whole_and_in_order),
    trial!(any_address_for_bind_and_udp_connect),
    trial!(typed_options_take_any_value),
];

/// Checks `test` on `cases` inputs from `strategy` (fewer when `PROPTEST_CASES` says so).
fn check<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let cap = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok());
    let cases = cap.map_or(cases, |cap: u32| cases.min(cap));
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
}

fn family() -> impl Strategy<Value = IPFamily> {
    prop_oneof![Just(IPFamily::IPv4), Just(IPFamily::IPv6), Just(IPFamily::IPUnspec)]
}

/// Strings near the address grammar, where parser bugs hide, and anything at all.
fn address_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-fA-F:.%\\[\\]lo]{0,48}",
        "\\[?[0-9a-f:.]{0,40}(%[0-9a-z]{0,12})?\\]?:[-+0-9]{0,7}",
        "(25[0-9]|1?[0-9]{1,2}|[0-9]{4})(\\.[0-9]{1,4}){0,4}(:[0-9]{0,6})?",
        any::<String>(),
    ]
}

fn ip_addr_create_is_total_and_round_trips() {
    serial(|| {
        check(2000, (address_like(), any::<u16>(), family()), |(host, port, family)| {
            match IpAddr::create(&host, port, family) {
                Ok(a) => {
                    prop_assert_eq!(a.port(), port);
                    prop_assert!(family == IPFamily::IPUnspec || a.family() == family);
                    prop_assert_eq!(IpAddr::create(&a.host(), port, a.family()).unwrap(), a);
                    prop_assert_eq!(a.to_string().parse::<IpAddr>().unwrap(), a);
                }
                Err(e) => {
                    prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
                    prop_assert!(e.to_string().contains(&format!("{host:?}")), "{}", e);
                }
            }
            Ok(())
        })
    });
}

/// A scope id names an interface or gives its number: the loopback's name (whatever this
/// machine calls it) and its number make the same address, shown with the number.
fn a_scope_id_by_the_loopback_interfaces_name_or_number() {
    serial(|| {
        let name = support::loopback_interface();
        let c_name = std::ffi::CString::new(name.as_str()).unwrap();
        // SAFETY: `c_name` is a NUL-terminated string that outlives the call.
        let index = unsafe { libc::if_nametoindex(c_name.as_ptr()) };
        assert_ne!(index, 0, "if_nametoindex({name:?})");
        let by_name = IpAddr::create(&format!("fe80::1%{name}"), 7, IPFamily::IPv6).unwrap();
        assert_eq!(by_name.host(), format!("fe80::1%{index}"));
        let by_number = IpAddr::create(&format!("fe80::1%{index}"), 7, IPFamily::IPv6).unwrap();
        assert_eq!(by_number, by_name);
        assert_eq!(format!("[fe80::1%{name}]:7").parse::<IpAddr>().unwrap(), by_name);
    });
}

fn ip_addr_from_str_is_total_and_round_trips() {
    serial(|| {
        check(2000, address_like(), |text| {
            if let Ok(a) = text.parse::<IpAddr>() {
                prop_assert_eq!(a.to_string().parse::<IpAddr>().unwrap(), a);
                prop_assert_eq!(text.rsplit_once(':').unwrap().1.parse::<u16>().unwrap(), a.port());
            }
            Ok(())
        })
    });
}

fn nul_in_host_or_service_is_an_error_before_any_lookup() {
    serial(|| {
        let host_part = "[0-9a-z.:]{0,20}";
        check(500, (host_part, any::<String>(), any::<u16>(), family()), |(head, tail, port, family)| {
            let host = format!("{head}\0{tail}");
            let e = connect_host(&host, port, family, 1.0).unwrap_err();
            prop_assert_eq!((e.op(), e.kind(), e.gai_code()), ("connect", ErrorKind::InvalidInput, None));
            prop_assert!(e.to_string().contains("NUL"), "{}", e);
            let service = format!("{port}\0{tail}");
            let e = connect_host("127.0.0.1", service.as_str(), family, 1.0).unwrap_err();
            prop_assert!(e.to_string().contains("NUL"), "{}", e);
            Ok(())
        })
    });
}

/// "127.0.0.1\0evil.example" must not become a lookup of "127.0.0.1": a listener there
/// sees no connection.
fn nul_in_host_is_not_a_truncated_lookup() {
    serial(|| {
        let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 4).unwrap();
        let port = server.addr().unwrap().port();
        for host in ["127.0.0.1\0evil.example", "127.0.0.1\0", "localhost\0.invalid"] {
            let e = connect_host(host, port, IPFamily::IPUnspec, 1.0).unwrap_err();
            let shown = host.escape_debug();
            assert_eq!(e.to_string(), format!("connect {shown}:{port}: the host contains a NUL byte"));
        }
        let e = connect_host("127.0.0.1", &format!("{port}\0") as &str, IPFamily::IPv4, 1.0).unwrap_err();
        assert!(e.to_string().ends_with("the service contains a NUL byte"), "{e}");
        assert_eq!(server.accept(0.0).unwrap_err().kind(), ErrorKind::TimedOut, "something connected");
    });
}

/// Whether `getaddrinfo` would read `service` as a port number (`strtoul` consuming all of
/// it, the empty string included), keeping it modulo 65536.
fn numeric_for_getaddrinfo(service: &str) -> bool {
    let rest = service.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
    service.is_empty() || (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `service` is a port as the crate reads one: decimal digits only, 0 to 65535. Such a
/// service would dial a random loopback port, so the random tests leave it out.
fn plain_port(service: &str) -> bool {
    !service.is_empty() && service.bytes().all(|b| b.is_ascii_digit()) && service.parse::<u16>().is_ok()
}

fn loopback_host() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("127.0.0.1".to_string()),
        Just("::1".to_string()),
        Just("::ffff:127.0.0.1".to_string()),
        (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(a, b, c)| format!("127.{a}.{b}.{c}")),
    ]
}

fn arbitrary_services_on_loopback_never_panic() {
    serial(|| {
        let service = prop_oneof!["[a-z0-9+ -]{0,12}", any::<String>()];
        check(500, (loopback_host(), service, family()), |(host, service, family)| {
            prop_assume!(!plain_port(&service));
            match connect_host(&host, service.as_str(), family, 1.0) {
                Ok(conn) => prop_assert!(conn.addr().unwrap().port() != 0),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            Ok(())
        })
    });
}

/// Services `getaddrinfo` would read as a number that is no port — above 65535, signed, with
/// leading blanks, empty — are refused before any lookup, and nothing is dialled: a listener
/// on the port they would wrap to sees no connection.
fn numeric_services_that_are_no_port_dial_nothing() {
    serial(|| {
        let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 4).unwrap();
        let port = u64::from(server.addr().unwrap().port());
        let wrapping = prop_oneof![
            (1..=u64::MAX / 65536).prop_map(move |k| (port + 65536 * k).to_string()),
            (65536..=u64::MAX).prop_map(|n| n.to_string()),
            "[0-9]{20,40}",
            ("[ \t]{0,3}", "[-+]?", "[0-9]{1,8}").prop_map(|(blank, sign, n)| format!("{blank}{sign}{n}")),
            Just(String::new()),
        ];
        check(500, (wrapping, loopback_host(), family()), |(service, host, family)| {
            prop_assume!(!plain_port(&service));
            prop_assert!(numeric_for_getaddrinfo(&service), "{:?}", service);
            let e = connect_host(&host, service.as_str(), family, 1.0).unwrap_err();
            prop_assert_eq!((e.op(), e.kind(), e.gai_code()), ("connect", ErrorKind::InvalidInput, None));
            prop_assert!(e.to_string().contains("service"), "{}", e);
            prop_assert!(e.to_string().contains(&format!(":{}: ", service.escape_debug())), "{}", e);
            Ok(())
        });
        assert_eq!(server.accept(0.0).unwrap_err().kind(), ErrorKind::TimedOut, "something connected");
    });
}

/// Names that are no hostnames (a space in them) fail inside the resolver, which refuses
/// them before asking any DNS server, so no query leaves the machine.
fn invalid_names_fail_in_the_resolver() {
    serial(|| {
        check(64, ("[a-z0-9]{1,12} [a-z0-9-]{1,8}\\.invalid", family()), |(host, family)| {
            let e = connect_host(&host, 80, family, 1.0).unwrap_err();
            prop_assert!(e.gai_code().is_some(), "{}", e);
            prop_assert_eq!(e.op(), "getaddrinfo");
            Ok(())
        })
    });
}

/// Socket options that would make the kernel send multicast membership reports out of a
/// real interface: (level, name) pairs left out of the random option test.
fn joins_a_group(level: i32, name: i32) -> bool {
    match level {
        libc::IPPROTO_IP => (35..=48).contains(&name),
        libc::IPPROTO_IPV6 => matches!(name, 20 | 21 | 27 | 28) || (42..=48).contains(&name),
        _ => false,
    }
}

#[derive(Debug, Clone)]
enum Value {
    Int(i32),
    Bytes(Vec<u8>),
    Null(u32),
}

type Answers = (chapel_socket::Result<()>, chapel_socket::Result<i32>, chapel_socket::Result<Vec<u8>>);

/// Sets option (`level`, `name`) on `socket` to `value`, then reads it back both ways.
fn poke<S: AnySocket>(socket: &S, level: i32, name: i32, value: &Value, buflen: u16) -> Answers {
    let set = match value {
        Value::Int(v) => set_sock_opt(socket, level, name, *v),
        Value::Bytes(b) => set_sock_opt(socket, level, name, b),
        Value::Null(n) => set_sock_opt(socket, level, name, SockOptValue::Null(*n)),
    };
    (set, get_sock_opt(socket, level, name), get_sock_opt_bytes(socket, level, name, buflen))
}

fn arbitrary_socket_options_give_an_answer_or_an_error() {
    serial(|| {
        let level = prop_oneof![
            Just(libc::SOL_SOCKET),
            Just(libc::IPPROTO_IP),
            Just(libc::IPPROTO_IPV6),
            Just(libc::IPPROTO_TCP),
            Just(libc::IPPROTO_UDP),
            any::<i32>(),
        ];
        let name = prop_oneof![0..80i32, any::<i32>()];
        let value = prop_oneof![
            any::<i32>().prop_map(Value::Int),
            proptest::collection::vec(any::<u8>(), 0..64).prop_map(Value::Bytes),
            any::<u32>().prop_map(Value::Null),
        ];
        check(1500, (0..3u8, level, name, value, any::<u16>()), |(kind, level, name, value, buflen)| {
            prop_assume!(!joins_a_group(level, name));
            let (set, get, get_bytes) = match kind {
                0 => poke(&listen(&"127.0.0.1:0".parse().unwrap(), true, 1).unwrap(), level, name, &value, buflen),
                1 => poke(&UdpSocket::new(IPFamily::IPv4).unwrap(), level, name, &value, buflen),
                _ => poke(&UdpSocket::new(IPFamily::IPv6).unwrap(), level, name, &value, buflen),
            };
            // set_sock_opt refuses, before any syscall, bytes or a null value for an option not
            // known to take plain data, a length the option does not take, and any null value
            // with a length: InvalidInput with no OS error. An int always reaches the kernel.
            if let Some(e) = set.as_ref().err().filter(|e| e.raw_os_error().is_none()) {
                prop_assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{}", e);
                prop_assert!(!matches!(value, Value::Int(_)), "an int was refused: {}", e);
            }
            if matches!(value, Value::Null(1..)) {
                let refused = matches!(&set, Err(e) if e.raw_os_error().is_none());
                prop_assert!(refused, "a null value with a length reached the kernel: {:?}", set);
            }
            for e in [set.as_ref().err(), get.as_ref().err(), get_bytes.as_ref().err()].into_iter().flatten() {
                prop_assert!(e.to_string().contains(&format!("(level {level}, option {name})")), "{}", e);
            }
            // A getter's error is the kernel's, or the refusal, before any syscall, of an
            // option whose reading creates a descriptor (SO_PEERPIDFD is option 77).
            for e in [get.as_ref().err(), get_bytes.as_ref().err()].into_iter().flatten() {
                let refused = e.kind() == std::io::ErrorKind::InvalidInput
                    && e.raw_os_error().is_none()
                    && e.to_string().contains("create a descriptor");
                prop_assert!(e.raw_os_error().is_some() || refused, "{}", e);
            }
            if let Ok(bytes) = &get_bytes {
                prop_assert!(bytes.len() <= usize::from(buflen));
            }
            Ok(())
        })
    });
}

/// A short buffer gets the kernel's truncated answer, a long one exactly the option's size.
fn option_reads_take_any_buffer_length() {
    serial(|| {
        let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
        let rcvbuf = get_sock_opt(&socket, SOL_SOCKET, SO_RCVBUF).unwrap().to_ne_bytes();
        check(1000, any::<u16>(), |buflen| {
            let len = usize::from(buflen);
            prop_assert_eq!(get_sock_opt_bytes(&socket, SOL_SOCKET, SO_LINGER, buflen).unwrap(), vec![0; len.min(8)]);
            prop_assert_eq!(get_sock_opt_bytes(&socket, SOL_SOCKET, SO_RCVBUF, buflen).unwrap(), &rcvbuf[..len.min(4)]);
            prop_assert!(get_sock_opt_bytes(&socket, IPPROTO_TCP, libc::TCP_INFO, buflen).is_err());
            Ok(())
        })
    });
}

/// What a receive with `timeout` does on a socket with nothing to read: a finite timeout of
/// at most 5 ms is waited out in full; anything longer (or indefinite) is only tried with
/// a datagram already queued, which must come back at once. A NaN is refused by every call,
/// with the datagram left queued.
fn receive_with(timeout: Timeout) -> Result<(), TestCaseError> {
    let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
    bind(&socket, &"127.0.0.1:0".parse().unwrap(), true).unwrap();
    if timeout == Timeout::from(f64::NAN) {
        socket.send(b"ready", &socket.addr().unwrap(), 1.0).unwrap();
        let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 1).unwrap();
        let client = connect(&server.addr().unwrap(), 1.0).unwrap();
        let errors = [
            socket.recv(8, timeout).unwrap_err(),
            socket.recvfrom(8, timeout, 0).unwrap_err(),
            socket.send(b"x", &socket.addr().unwrap(), timeout).unwrap_err(),
            server.accept(timeout).unwrap_err(),
            connect(&server.addr().unwrap(), timeout).unwrap_err(),
            client.send(b"x", timeout).unwrap_err(),
            client.recv(&mut [0; 8], timeout).unwrap_err(),
            client.peek(&mut [0; 8], timeout).unwrap_err(),
            client.send_vectored(&[std::io::IoSlice::new(b"x")], timeout).unwrap_err(),
            client.recv_vectored(&mut [std::io::IoSliceMut::new(&mut [0; 8])], timeout).unwrap_err(),
            socket.send_connected(b"x", timeout).unwrap_err(),
            TcpSocket::v4().unwrap().connect(&server.addr().unwrap(), timeout).unwrap_err(),
        ];
        for e in errors {
            prop_assert_eq!(e.kind(), ErrorKind::InvalidInput, "{}", e);
            prop_assert!(e.to_string().contains("NaN"), "{}", e);
        }
        prop_assert_eq!(socket.recv(8, 0.0).unwrap(), b"ready");
        return Ok(());
    }
    match timeout.duration() {
        Some(d) if d <= Duration::from_millis(5) => {
            let start = Instant::now();
            let e = socket.recv(8, timeout).unwrap_err();
            prop_assert_eq!(e.kind(), ErrorKind::TimedOut);
            prop_assert!(start.elapsed() >= d);
        }
        _ => {
            socket.send(b"ready", &socket.addr().unwrap(), timeout).unwrap();
            prop_assert_eq!(socket.recv(8, timeout).unwrap(), b"ready");
            let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 1).unwrap();
            let client = connect(&server.addr().unwrap(), timeout).unwrap();
            let peer = server.accept(timeout).unwrap();
            prop_assert_eq!(client.send(b"ready", timeout).unwrap(), 5);
            prop_assert_eq!(peer.recv(&mut [0; 8], timeout).unwrap(), 5);
        }
    }
    Ok(())
}

fn any_f64_timeout_converts_and_behaves() {
    serial(|| {
        let special = prop_oneof![
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(f64::MAX),
            Just(f64::MIN_POSITIVE),
            Just(-0.0),
            Just(1e-10),
            Just(1.8446744073709552e19),
        ];
        let negative = prop_oneof![Just(-1.0), Just(-0.001), Just(-1e-300), -1e3..0.0f64, -0.005..0.0f64];
        check(400, prop_oneof![special, any::<f64>(), 0.0..0.005f64, -1e3..1e3f64, negative], |secs| {
            let t = Timeout::from(secs);
            // Only -1.0 and +inf wait for ever; any other negative is a deadline already
            // past; NaN is refused by the calls (receive_with checks).
            prop_assert_eq!(t.is_indefinite(), secs == -1.0 || secs == f64::INFINITY);
            if secs.is_nan() {
                prop_assert_eq!(t.duration(), None);
            } else if secs < 0.0 && secs != -1.0 {
                prop_assert_eq!(t.duration(), Some(Duration::ZERO));
            } else if let Some(d) = t.duration().filter(|&d| d < Duration::MAX) {
                // A Duration holds whole nanoseconds: equal to within one, and never zero
                // for a positive value.
                let d = d.as_secs_f64();
                prop_assert!(d >= secs * (1.0 - 1e-15) - 1e-9 && d <= secs * (1.0 + 1e-15) + 1e-9, "{} s", d);
                prop_assert_eq!(d > 0.0, secs > 0.0);
            }
            receive_with(t)
        })
    });
}

fn any_timeval_timeout_converts_and_behaves() {
    serial(|| {
        let field = prop_oneof![any::<i64>(), -2_000_000..2_000_000i64, Just(i64::MAX), Just(i64::MIN)];
        let sec = prop_oneof![Just(0i64), Just(-1i64), -3..0i64, field.clone()];
        let usec = prop_oneof![Just(0i64), field];
        check(300, (sec, usec), |(tv_sec, tv_usec)| {
            let t = Timeout::from(struct_timeval { tv_sec, tv_usec });
            // Only Chapel's indefiniteTimeout waits for ever; a negative total is zero.
            prop_assert_eq!(t.is_indefinite(), (tv_sec, tv_usec) == (-1, 0));
            if !t.is_indefinite() && i128::from(tv_sec) * 1_000_000 + i128::from(tv_usec) <= 0 {
                prop_assert_eq!(t.duration(), Some(Duration::ZERO));
            }
            receive_with(t)
        })
    });
}

fn any_duration_timeout_behaves() {
    serial(|| {
        let secs = prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()];
        check(200, (secs, 0..1_000_000_000u32), |(secs, nanos)| receive_with(Duration::new(secs, nanos).into()))
    });
}

/// Any buffer length against any datagram length: the datagram, or a truncation error
/// naming the buffer's length, whatever the flags (a `MSG_TRUNC` among them is not passed
/// on: the bytes kept are the ones the kernel says it wrote).
fn any_receive_length_and_flags() {
    serial(|| {
        let socket = UdpSocket::new(IPFamily::IPv6).unwrap();
        bind(&socket, &"[::1]:0".parse().unwrap(), true).unwrap();
        let to = socket.addr().unwrap();
        let flags = prop_oneof![Just(0), Just(libc::MSG_PEEK), any::<i32>()];
        let datagram = proptest::collection::vec(any::<u8>(), 0..1500);
        check(1000, (datagram, 0..2000usize, flags), |(datagram, len, flags)| {
            socket.send(&datagram, &to, 1.0).unwrap();
            match socket.recvfrom(len, 0.05, flags) {
                Ok((data, from)) => {
                    prop_assert_eq!(data, datagram.clone());
                    prop_assert_eq!(from, to);
                }
                Err(e) if len < datagram.len() && e.kind() == ErrorKind::InvalidData => {
                    let lengths = format!("datagram of more than {len} bytes truncated to the {len}-byte buffer");
                    prop_assert!(e.to_string().contains(&lengths), "{}", e);
                }
                Err(e) => prop_assert!(e.raw_os_error().is_some() || e.kind() == ErrorKind::TimedOut, "{}", e),
            }
            // Whatever the flags left queued goes, so the next case starts empty.
            while socket.recv(2000, 0.0).is_ok() {}
            Ok(())
        })
    });
}

/// Lengths no allocation could give cost one datagram's worth: a zero timeout times out at
/// once, and a queued datagram comes back whole.
fn impossible_buffer_lengths_cost_one_datagram() {
    serial(|| {
        let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
        bind(&socket, &"127.0.0.1:0".parse().unwrap(), true).unwrap();
        for len in [usize::MAX, isize::MAX as usize + 1, 1 << 31] {
            let start = Instant::now();
            assert_eq!(socket.recv(len, 0.0).unwrap_err().kind(), ErrorKind::TimedOut);
            assert_eq!(socket.recvfrom(len, 0.0, 0).unwrap_err().kind(), ErrorKind::TimedOut);
            assert!(start.elapsed() < Duration::from_secs(1), "{len}: {:?}", start.elapsed());
            socket.send(b"whole", &socket.addr().unwrap(), 1.0).unwrap();
            assert_eq!(socket.recvfrom(len, 1.0, 0).unwrap(), (b"whole".to_vec(), socket.addr().unwrap()));
        }
    });
}

/// Regression: a receive whose flags make it ignore the readiness poll reports (a normal
/// datagram is queued, but `MSG_ERRQUEUE` reads the empty error queue) used to spin for ever
/// whatever the timeout; it now times out on time. The receive runs on a thread of its own,
/// so a regression fails here after 10 s instead of hanging the run.
fn unusable_readiness_still_times_out() {
    serial(|| {
        let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
        bind(&socket, &"127.0.0.1:0".parse().unwrap(), true).unwrap();
        socket.send(b"normal", &socket.addr().unwrap(), 1.0).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let receiver = std::thread::spawn(move || {
            for timeout in [0.0, 0.001, 0.05] {
                let start = Instant::now();
                let e = socket.recvfrom(64, timeout, libc::MSG_ERRQUEUE).unwrap_err();
                tx.send((timeout, e.kind(), start.elapsed())).unwrap();
            }
            assert_eq!(socket.recv(64, 0.0).unwrap(), b"normal");
        });
        for _ in 0..3 {
            let (timeout, kind, elapsed) = rx.recv_timeout(Duration::from_secs(10)).expect("the receive spins");
            assert_eq!(kind, ErrorKind::TimedOut);
            assert!(elapsed.as_secs_f64() >= timeout && elapsed < Duration::from_secs(3), "{elapsed:?}");
        }
        receiver.join().unwrap();
    });
}

/// With an indefinite timeout the call blocks in the kernel, so what ends it there is the
/// answer: an empty error queue (`MSG_ERRQUEUE` never blocks) and a socket's own
/// `SO_RCVTIMEO` both come back as `EAGAIN`, never as a wait for ever.
fn indefinite_waits_end_when_the_kernel_says_so() {
    serial(|| {
        let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
        bind(&socket, &"127.0.0.1:0".parse().unwrap(), true).unwrap();
        socket.send(b"normal", &socket.addr().unwrap(), 1.0).unwrap();
        let listener = listen(&"127.0.0.1:0".parse().unwrap(), true, 4).unwrap();
        let client = connect(&listener.addr().unwrap(), 1.0).unwrap();
        let server = listener.accept(1.0).unwrap();
        let tv = struct_timeval { tv_sec: 0, tv_usec: 150_000 };
        let rcvtimeo = [&tv.tv_sec.to_ne_bytes()[..], &tv.tv_usec.to_ne_bytes()[..]].concat();
        set_sock_opt(&socket, SOL_SOCKET, libc::SO_RCVTIMEO, &rcvtimeo[..]).unwrap();
        set_sock_opt(&server, SOL_SOCKET, libc::SO_RCVTIMEO, &rcvtimeo[..]).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let receiver = std::thread::spawn(move || {
            let e = socket.recvfrom(64, Timeout::INDEFINITE, libc::MSG_ERRQUEUE).unwrap_err();
            tx.send(("errqueue", e.raw_os_error(), Duration::ZERO)).unwrap();
            let start = Instant::now();
            let e = server.recv(&mut [0; 8], Timeout::INDEFINITE).unwrap_err();
            tx.send(("tcp", e.raw_os_error(), start.elapsed())).unwrap();
            assert_eq!(socket.recv(64, 0.0).unwrap(), b"normal");
            let start = Instant::now();
            let e = socket.recv(64, Timeout::INDEFINITE).unwrap_err();
            tx.send(("udp", e.raw_os_error(), start.elapsed())).unwrap();
        });
        for _ in 0..3 {
            let (name, errno, elapsed) = rx.recv_timeout(Duration::from_secs(10)).expect("an indefinite wait hangs");
            assert_eq!(errno, Some(libc::EAGAIN), "{name}");
            assert!(elapsed < Duration::from_secs(5), "{name}: {elapsed:?}");
            if name != "errqueue" {
                assert!(elapsed >= Duration::from_millis(140), "{name}: SO_RCVTIMEO ended after {elapsed:?}");
            }
        }
        receiver.join().unwrap();
        drop(client);
    });
}

/// Integer seconds follow the `f64` rules: `-1` waits for ever, any other negative value is a
/// deadline already past, and a non-negative one is that many seconds.
fn any_integer_timeout_converts_like_seconds() {
    serial(|| {
        let small = prop_oneof![Just(-1i64), Just(0i64), Just(i64::MIN), Just(i64::MAX), -3..3i64, any::<i64>()];
        check(1000, (small, any::<i32>(), any::<u32>(), any::<u64>()), |(wide, narrow, unsigned, long)| {
            for secs in [wide, i64::from(narrow)] {
                let t = Timeout::from(secs);
                prop_assert_eq!(t.is_indefinite(), secs == -1);
                if secs != -1 {
                    let want = Duration::from_secs(u64::try_from(secs).unwrap_or(0));
                    prop_assert_eq!(t.duration(), Some(want));
                }
                if secs.unsigned_abs() < 1 << 53 {
                    prop_assert_eq!(t, Timeout::from(secs as f64), "as the same number of seconds in an f64");
                }
            }
            prop_assert_eq!(Timeout::from(narrow), Timeout::from(i64::from(narrow)));
            prop_assert_eq!(Timeout::from(unsigned).duration(), Some(Duration::from_secs(unsigned.into())));
            prop_assert_eq!(Timeout::from(long).duration(), Some(Duration::from_secs(long)));
            if (-3..=0).contains(&wide) {
                // Past deadlines and zero try once, at once.
                receive_with(Timeout::from(wide))?;
            }
            Ok(())
        })
    });
}

/// Any number and shape of buffers, empty ones included, through one vectored send and
/// vectored receives: the bytes arrive whole and in order.
fn any_vectored_buffers_arrive_whole_and_in_order() {
    serial(|| {
        let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 1).unwrap();
        let client = connect(&server.addr().unwrap(), 1.0).unwrap();
        let peer = server.accept(1.0).unwrap();
        let parts = proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..40);
        let shape = proptest::collection::vec(0..200usize, 0..12);
        check(300, (parts, shape), |(parts, shape)| {
            let slices: Vec<_> = parts.iter().map(|p| std::io::IoSlice::new(p)).collect();
            let sent: Vec<u8> = parts.concat();
            prop_assert_eq!(client.send_vectored(&slices, 1.0).unwrap(), sent.len());
            let mut got = Vec::new();
            let mut stores: Vec<Vec<u8>> = shape.iter().map(|&n| vec![0; n]).collect();
            if stores.iter().all(Vec::is_empty) {
                stores.push(vec![0; 64]);
            }
            for _ in 0..10_000 {
                if got.len() == sent.len() {
                    break;
                }
                let mut bufs: Vec<_> = stores.iter_mut().map(|s| std::io::IoSliceMut::new(s)).collect();
                let n = peer.recv_vectored(&mut bufs, 1.0).unwrap();
                prop_assert!(n > 0);
                let mut left = n;
                for store in &stores {
                    let take = left.min(store.len());
                    got.extend_from_slice(&store[..take]);
                    left -= take;
                }
            }
            prop_assert_eq!(got, sent);
            Ok(())
        })
    });
}

/// Any address for an unbound TCP socket's bind and a UDP socket's connect (neither sends
/// anything): a result or an error, no panic, no descriptor left open.
fn any_address_for_bind_and_udp_connect() {
    serial(|| {
        let port_zero = UdpSocket::new(IPFamily::IPv4).unwrap();
        port_zero.connect(&"127.0.0.1:0".parse().unwrap()).unwrap();
        assert_eq!(port_zero.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        check(500, address_like(), |text| {
            let Ok(address) = text.parse::<IpAddr>() else { return Ok(()) };
            let mut socket = TcpSocket::new(address.family()).unwrap();
            if socket.bind(&address).is_ok() {
                prop_assert_eq!(socket.local_addr().unwrap().family(), address.family());
            }
            let udp = UdpSocket::new(address.family()).unwrap();
            if udp.connect(&address).is_ok() {
                match address.port() {
                    // Linux takes a UDP connect to port 0 and then names no peer (`getpeername`:
                    // `ENOTCONN`), as std's `UdpSocket` reports it too.
                    0 => prop_assert_eq!(udp.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected),
                    port => prop_assert_eq!(udp.peer_addr().unwrap().port(), port),
                }
            }
            Ok(())
        })
    });
}

/// What a typed setter did with a value: set it, so the getter reads `expected` back; refused
/// it before any syscall (`InvalidInput`, no errno) exactly when `fits` is false; or passed
/// the kernel's refusal on, with its errno.
fn typed<T: PartialEq + std::fmt::Debug>(
    set: chapel_socket::Result<()>,
    fits: bool,
    get: impl FnOnce() -> chapel_socket::Result<T>,
    expected: Option<T>,
) -> Result<(), TestCaseError> {
    match set {
        Ok(()) => {
            prop_assert!(fits, "a value no int holds was set");
            if let Some(expected) = expected {
                prop_assert_eq!(get().unwrap(), expected);
            }
        }
        Err(e) if !fits => prop_assert_eq!((e.kind(), e.raw_os_error()), (ErrorKind::InvalidInput, None), "{}", e),
        Err(e) => prop_assert!(e.raw_os_error().is_some(), "refused without the kernel: {}", e),
    }
    Ok(())
}

/// Any count, duration, size or interface index given to the typed options: set and read
/// back, refused before the kernel when no `int` can carry it, or the kernel's error.
/// Multicast groups are joined on the loopback interface only.
fn typed_options_take_any_value() {
    serial(|| {
        let (v4, v6) = (UdpSocket::new(IPFamily::IPv4).unwrap(), UdpSocket::new(IPFamily::IPv6).unwrap());
        let server = listen(&"127.0.0.1:0".parse().unwrap(), true, 1).unwrap();
        let int = |v: u64| v <= i32::MAX as u64;
        let secs = |d: Duration| d.as_secs() + u64::from(d.subsec_nanos() > 0);
        let count = prop_oneof![0..300u32, any::<u32>()];
        let duration = prop_oneof![
            (0..40_000u64, 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n)),
            (any::<u64>(), 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n)),
        ];
        let values = (count.clone(), count, duration.clone(), duration, any::<usize>(), any::<[u8; 4]>());
        check(500, values, |(a, b, d, linger, size, group)| {
            let small = |v: u32| (1..=255).contains(&v).then_some(v);
            typed(v4.set_ttl(a), int(a.into()), || v4.ttl(), small(a))?;
            typed(v6.set_hop_limit_v6(b), int(b.into()), || v6.hop_limit_v6(), small(b))?;
            typed(v4.set_multicast_ttl_v4(a), int(a.into()), || v4.multicast_ttl_v4(), (a <= 255).then_some(a))?;
            typed(v6.set_multicast_hop_limit_v6(b), int(b.into()), || v6.multicast_hop_limit_v6(), small(b))?;
            typed(v6.set_multicast_if_v6(a), int(a.into()), || v6.multicast_if_v6(), (a <= 1).then_some(a))?;
            let in_range = (1..=32767).contains(&secs(d)).then(|| Duration::from_secs(secs(d)));
            typed(server.set_keepalive_idle(d), int(secs(d)), || server.keepalive_idle(), in_range)?;
            typed(server.set_keepalive_interval(d), int(secs(d)), || server.keepalive_interval(), in_range)?;
            typed(
                server.set_keepalive_count(b),
                int(b.into()),
                || server.keepalive_count(),
                small(b).filter(|c| *c < 128),
            )?;
            let whole = Some(Duration::from_secs(secs(linger)));
            typed(v4.set_linger(Some(linger)), int(secs(linger)), || v4.linger(), Some(whole))?;
            typed(v4.set_send_buffer_size(size), true, || v4.send_buffer_size().map(|n| n > 0), Some(true))?;
            let group = std::net::Ipv4Addr::from(group);
            match v4.join_multicast_v4(&group, &std::net::Ipv4Addr::LOCALHOST) {
                Ok(()) => {
                    prop_assert!(group.is_multicast(), "joined {}", group);
                    v4.leave_multicast_v4(&group, &std::net::Ipv4Addr::LOCALHOST).unwrap();
                }
                Err(e) => prop_assert!(
                    e.raw_os_error().is_some() && !group.is_multicast() || e.kind() == ErrorKind::AddrInUse,
                    "{}: {}",
                    group,
                    e
                ),
            }
            Ok(())
        })
    });
}
