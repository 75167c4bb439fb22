//! Socket options and the free functions over loopback, IPv4 and IPv6: `int` and
//! byte-struct options on all three socket kinds, short buffers, unknown options, the null
//! form, `bind`, `get_sock_name` and `get_peer_name`, and their errors.

use std::io::ErrorKind;
use std::os::fd::OwnedFd;

use crate::support::trials::{Test, trial};
use crate::support::{PATIENCE, loopbacks, pair};
use chapel_socket::{
    AnySocket, IPPROTO_TCP, IpAddr, SO_ACCEPTCONN, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_RCVTIMEO, SO_REUSEADDR,
    SO_SNDBUF, SOL_SOCKET, SockOptValue, TCP_NODELAY, TcpConn, UdpSocket, bind, c_int, get_peer_name, get_sock_name,
    get_sock_opt, get_sock_opt_bytes, listen, set_sock_opt, struct_timeval,
};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(int_options_round_trip_on_every_socket_kind),
    trial!(tcp_nodelay_round_trips_on_tcp_and_is_refused_on_udp),
    trial!(struct_options_round_trip_as_bytes),
    trial!(short_and_empty_buffers_give_what_the_kernel_wrote),
    trial!(an_unknown_option_is_enoprotoopt_naming_level_and_option),
    trial!(the_null_form_reaches_the_kernel),
    trial!(binding_a_taken_port_without_reuse_is_addr_in_use),
    trial!(reuse_addr_lets_udp_sockets_share_a_port),
    trial!(free_functions_on_closed_sockets_are_closed_errors),
    trial!(get_sock_name_and_get_peer_name_on_connected_sockets),
    trial!(get_peer_name_after_a_reset_or_without_a_peer_is_not_connected),
    trial!(the_unchecked_hatch_passes_any_bytes_to_the_kernel),
];

/// The three socket kinds on `any`: a listener, a connection, a bound UDP socket; the
/// listener's peer end is kept open with them.
struct Kinds {
    listener: chapel_socket::TcpListener,
    conn: TcpConn,
    _accepted: TcpConn,
    udp: UdpSocket,
}

fn kinds(any: &IpAddr) -> Kinds {
    let (listener, conn, accepted) = pair(any);
    let udp = UdpSocket::new(any.family()).unwrap();
    bind(&udp, any, false).unwrap();
    Kinds { listener, conn, _accepted: accepted, udp }
}

/// Runs the generic function `check` on each socket kind of both loopback families.
macro_rules! on_every_kind {
    ($check:ident) => {
        for any in loopbacks() {
            let k = kinds(&any);
            $check(&k.listener);
            $check(&k.conn);
            $check(&k.udp);
        }
    };
}

fn int_options_round_trip_on_every_socket_kind() {
    fn check<S: AnySocket>(socket: &S) {
        for option in [SO_REUSEADDR, SO_KEEPALIVE] {
            for value in [1, 0, 1] {
                set_sock_opt(socket, SOL_SOCKET, option, value).unwrap();
                assert_eq!(get_sock_opt(socket, SOL_SOCKET, option).unwrap(), value, "option {option}");
            }
        }
        // Linux doubles a buffer size for its bookkeeping; never less than asked.
        for (option, size) in [(SO_RCVBUF, 8192), (SO_SNDBUF, 16384)] {
            set_sock_opt(socket, SOL_SOCKET, option, size).unwrap();
            let got = get_sock_opt(socket, SOL_SOCKET, option).unwrap();
            assert!(got >= size, "option {option}: asked {size}, got {got}");
        }
        // The same option as bytes, both ways.
        set_sock_opt(socket, SOL_SOCKET, SO_KEEPALIVE, SockOptValue::Bytes(&1i32.to_ne_bytes())).unwrap();
        assert_eq!(get_sock_opt_bytes(socket, SOL_SOCKET, SO_KEEPALIVE, 64).unwrap(), 1i32.to_ne_bytes());
    }
    on_every_kind!(check);
}

fn tcp_nodelay_round_trips_on_tcp_and_is_refused_on_udp() {
    for any in loopbacks() {
        let k = kinds(&any);
        for value in [1, 0] {
            set_sock_opt(&k.conn, IPPROTO_TCP, TCP_NODELAY, value).unwrap();
            assert_eq!(get_sock_opt(&k.conn, IPPROTO_TCP, TCP_NODELAY).unwrap(), value);
            set_sock_opt(&k.listener, IPPROTO_TCP, TCP_NODELAY, value).unwrap();
            assert_eq!(get_sock_opt(&k.listener, IPPROTO_TCP, TCP_NODELAY).unwrap(), value);
        }
        let err = set_sock_opt(&k.udp, IPPROTO_TCP, TCP_NODELAY, 1).unwrap_err();
        assert_eq!(err.op(), "setsockopt");
        assert_eq!(err.raw_os_error(), Some(libc::ENOPROTOOPT), "{err}");
        // Linux answers a TCP option read on a UDP socket with EOPNOTSUPP (IPv4) or
        // ENOPROTOOPT (IPv6).
        let err = get_sock_opt(&k.udp, IPPROTO_TCP, TCP_NODELAY).unwrap_err();
        assert!(matches!(err.raw_os_error(), Some(libc::EOPNOTSUPP | libc::ENOPROTOOPT)), "{err}");
        assert_eq!(get_sock_opt(&k.listener, SOL_SOCKET, SO_ACCEPTCONN).unwrap(), 1);
        assert_eq!(get_sock_opt(&k.conn, SOL_SOCKET, SO_ACCEPTCONN).unwrap(), 0);
    }
}

/// C's `struct linger` as the kernel reads it: two native-endian `int`s.
fn linger(on: c_int, seconds: c_int) -> Vec<u8> {
    [on.to_ne_bytes(), seconds.to_ne_bytes()].concat()
}

/// A `struct_timeval`'s bytes, field by field in the platform's own types.
fn timeval_bytes(tv: struct_timeval) -> Vec<u8> {
    let bytes = [&tv.tv_sec.to_ne_bytes()[..], &tv.tv_usec.to_ne_bytes()[..]].concat();
    assert_eq!(bytes.len(), std::mem::size_of::<struct_timeval>(), "struct timeval has padding here");
    bytes
}

fn struct_options_round_trip_as_bytes() {
    fn check<S: AnySocket>(socket: &S) {
        assert_eq!(
            get_sock_opt_bytes(socket, SOL_SOCKET, SO_LINGER, 64).unwrap(),
            linger(0, 0),
            "linger is off by default"
        );
        let on = linger(1, 7);
        set_sock_opt(socket, SOL_SOCKET, SO_LINGER, SockOptValue::from(&on)).unwrap();
        assert_eq!(get_sock_opt_bytes(socket, SOL_SOCKET, SO_LINGER, 64).unwrap(), on);

        let timeout = timeval_bytes(struct_timeval { tv_sec: 2, tv_usec: 500_000 });
        set_sock_opt(socket, SOL_SOCKET, SO_RCVTIMEO, SockOptValue::from(&timeout)).unwrap();
        assert_eq!(get_sock_opt_bytes(socket, SOL_SOCKET, SO_RCVTIMEO, 64).unwrap(), timeout);

        // A struct too short for the option is refused before the syscall, not misread.
        let err = set_sock_opt(socket, SOL_SOCKET, SO_LINGER, SockOptValue::Bytes(&[1, 0])).unwrap_err();
        assert_eq!((err.kind(), err.raw_os_error()), (std::io::ErrorKind::InvalidInput, None), "{err}");
    }
    on_every_kind!(check);
}

fn short_and_empty_buffers_give_what_the_kernel_wrote() {
    fn check<S: AnySocket>(socket: &S) {
        let on = linger(1, 3);
        set_sock_opt(socket, SOL_SOCKET, SO_LINGER, SockOptValue::from(&on)).unwrap();
        assert_eq!(get_sock_opt_bytes(socket, SOL_SOCKET, SO_LINGER, 3).unwrap(), on[..3], "cut to the 3-byte buffer");
        assert_eq!(get_sock_opt_bytes(socket, SOL_SOCKET, SO_LINGER, 0).unwrap(), Vec::<u8>::new());
        assert_eq!(
            get_sock_opt_bytes(socket, SOL_SOCKET, SO_LINGER, u16::MAX).unwrap(),
            on,
            "a large buffer is cut to fit"
        );
    }
    on_every_kind!(check);
}

fn an_unknown_option_is_enoprotoopt_naming_level_and_option() {
    const UNKNOWN: c_int = 12345;
    fn check<S: AnySocket>(socket: &S) {
        let errors = [
            get_sock_opt(socket, SOL_SOCKET, UNKNOWN).unwrap_err(),
            get_sock_opt_bytes(socket, SOL_SOCKET, UNKNOWN, 16).unwrap_err(),
            set_sock_opt(socket, SOL_SOCKET, UNKNOWN, 1).unwrap_err(),
        ];
        for err in errors {
            assert_eq!(err.raw_os_error(), Some(libc::ENOPROTOOPT), "{err}");
            assert!(err.to_string().contains(&format!("level {SOL_SOCKET}, option {UNKNOWN}")), "{err}");
            assert!(matches!(err.op(), "getsockopt" | "setsockopt"));
        }
    }
    on_every_kind!(check);
}

fn the_null_form_reaches_the_kernel() {
    fn check<S: AnySocket>(socket: &S) {
        // An int option with optlen 0 is too short: the kernel answers EINVAL.
        let err = set_sock_opt(socket, SOL_SOCKET, SO_REUSEADDR, SockOptValue::Null(0)).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
        // A non-zero length would make the kernel read from address 0: refused, no syscall.
        let err = set_sock_opt(socket, SOL_SOCKET, SO_REUSEADDR, SockOptValue::Null(4)).unwrap_err();
        assert_eq!((err.kind(), err.raw_os_error()), (std::io::ErrorKind::InvalidInput, None), "{err}");
        // SO_BINDTODEVICE with no name and length 0 means "bound to no device": it succeeds.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        set_sock_opt(socket, SOL_SOCKET, libc::SO_BINDTODEVICE, SockOptValue::Null(0)).unwrap();
    }
    on_every_kind!(check);
}

fn binding_a_taken_port_without_reuse_is_addr_in_use() {
    for any in loopbacks() {
        let first = UdpSocket::new(any.family()).unwrap();
        bind(&first, &any, false).unwrap();
        let taken = first.addr().unwrap();
        let second = UdpSocket::new(any.family()).unwrap();
        let err = bind(&second, &taken, false).unwrap_err();
        assert_eq!((err.kind(), err.op(), err.address()), (ErrorKind::AddrInUse, "bind", Some(taken)), "{err}");
        assert!(err.to_string().contains(&taken.to_string()), "{err}");
        // The socket is still usable: bind it elsewhere.
        bind(&second, &any, false).unwrap();
        assert_ne!(second.addr().unwrap(), taken);
        // Bound once, a socket cannot be bound again.
        assert_eq!(bind(&second, &any, false).unwrap_err().kind(), ErrorKind::InvalidInput);

        let server = listen(&any, false, 4).unwrap();
        let err = listen(&server.addr().unwrap(), false, 4).unwrap_err();
        assert_eq!((err.kind(), err.op()), (ErrorKind::AddrInUse, "bind"), "{err}");
        assert!(err.to_string().contains(&server.addr().unwrap().to_string()), "{err}");
    }
}

fn reuse_addr_lets_udp_sockets_share_a_port() {
    for any in loopbacks() {
        let first = UdpSocket::new(any.family()).unwrap();
        bind(&first, &any, true).unwrap();
        let second = UdpSocket::new(any.family()).unwrap();
        bind(&second, &first.addr().unwrap(), true).unwrap();
        assert_eq!(get_sock_opt(&second, SOL_SOCKET, SO_REUSEADDR).unwrap(), 1);
        assert_eq!(second.addr().unwrap(), first.addr().unwrap());
    }
}

fn free_functions_on_closed_sockets_are_closed_errors() {
    for any in loopbacks() {
        let mut k = kinds(&any);
        k.udp.close().unwrap();
        k.conn.close().unwrap();
        k.listener.close().unwrap();
        let errors = [
            bind(&k.udp, &any, true).unwrap_err(),
            get_sock_name(&k.udp).unwrap_err(),
            get_sock_name(&k.conn).unwrap_err(),
            get_sock_name(&k.listener).unwrap_err(),
            get_peer_name(&k.conn).unwrap_err(),
            set_sock_opt(&k.udp, SOL_SOCKET, SO_REUSEADDR, 1).unwrap_err(),
            get_sock_opt(&k.listener, SOL_SOCKET, SO_REUSEADDR).unwrap_err(),
            get_sock_opt_bytes(&k.conn, SOL_SOCKET, SO_LINGER, 8).unwrap_err(),
        ];
        for err in errors {
            assert!(err.is_closed(), "{err}");
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        }
    }
}

fn get_sock_name_and_get_peer_name_on_connected_sockets() {
    for any in loopbacks() {
        let (server, client, accepted) = pair(&any);
        let server_addr = server.addr().unwrap();
        assert_eq!(get_sock_name(&server).unwrap(), server_addr);
        assert_eq!(get_peer_name(&client).unwrap(), server_addr);
        assert_eq!(get_sock_name(&accepted).unwrap(), server_addr);
        assert_eq!(get_peer_name(&accepted).unwrap(), get_sock_name(&client).unwrap());
        assert_eq!(get_sock_name(&client).unwrap().host(), any.host());
    }
}

fn get_peer_name_after_a_reset_or_without_a_peer_is_not_connected() {
    for any in loopbacks() {
        let (_server, client, accepted) = pair(&any);
        // Linger on with 0 seconds: closing aborts the connection with a reset.
        set_sock_opt(&accepted, SOL_SOCKET, SO_LINGER, &linger(1, 0)).unwrap();
        drop(accepted);
        let err = client.recv(&mut [0; 8], PATIENCE).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        let err = get_peer_name(&client).unwrap_err();
        assert_eq!((err.kind(), err.op()), (ErrorKind::NotConnected, "getpeername"), "{err}");

        // A socket that never connected, adopted as a connection.
        let domain = match any.family() {
            chapel_socket::IPFamily::IPv6 => socket2::Domain::IPV6,
            _ => socket2::Domain::IPV4,
        };
        let unconnected =
            TcpConn::try_from(OwnedFd::from(socket2::Socket::new(domain, socket2::Type::STREAM, None).unwrap()))
                .unwrap();
        assert_eq!(get_peer_name(&unconnected).unwrap_err().kind(), ErrorKind::NotConnected);
        assert_eq!(unconnected.addr().unwrap_err().kind(), ErrorKind::NotConnected);
        assert_eq!(get_sock_name(&unconnected).unwrap().port(), 0);
    }
}

/// `set_sock_opt_unchecked` applies no rule of its own: plain bytes reach the kernel, whose
/// answer (a short `struct linger`, an unknown option) is the error, naming the option; a
/// closed socket is still refused before any syscall.
fn the_unchecked_hatch_passes_any_bytes_to_the_kernel() {
    use chapel_socket::{IPFamily, set_sock_opt_unchecked};
    let mut socket = UdpSocket::new(IPFamily::IPv4).unwrap();
    let linger = [1i32.to_ne_bytes(), 3i32.to_ne_bytes()].concat();
    // SAFETY (all four calls): struct linger is two ints, and the other values are plain
    // bytes for options that take none or refuse them; the kernel follows no pointer.
    unsafe { set_sock_opt_unchecked(&socket, SOL_SOCKET, SO_LINGER, &linger) }.unwrap();
    assert_eq!(get_sock_opt_bytes(&socket, SOL_SOCKET, SO_LINGER, 64).unwrap(), linger);
    // No length rule here: a short struct linger is the kernel's EINVAL.
    let err = unsafe { set_sock_opt_unchecked(&socket, SOL_SOCKET, SO_LINGER, &[1, 0]) }.unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
    let err = unsafe { set_sock_opt_unchecked(&socket, SOL_SOCKET, 12345, &[0; 4]) }.unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOPROTOOPT), "{err}");
    assert!(err.to_string().starts_with(&format!("setsockopt (level {SOL_SOCKET}, option 12345): ")));
    socket.close().unwrap();
    let err = unsafe { set_sock_opt_unchecked(&socket, SOL_SOCKET, SO_LINGER, &linger) }.unwrap_err();
    assert!(err.is_closed(), "{err}");
}
