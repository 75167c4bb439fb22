//! The typed options ([`SocketOptions`], [`IpOptions`], [`TcpOptions`] and `UdpSocket`'s
//! multicast) on loopback, IPv4 and IPv6: which socket types have which level, each option
//! set and read back on the types that have it, the kernel's own error where the level does
//! not apply (the other family; raw options of a level the type lacks), values refused
//! before any syscall, closed sockets, and multicast membership on the loopback interface. Delivery to a multicast group is in `tests/namespaces/multicast.rs`, inside a
//! network namespace of its own.

use std::io::ErrorKind;
use std::marker::PhantomData;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::support;
use crate::support::trials::{Test, trial};
use crate::support::{loopbacks, pair};
use chapel_socket::{
    EINVAL, ENOPROTOOPT, EOPNOTSUPP, IP_TTL, IPFamily, IPPROTO_IP, IPPROTO_TCP, IpAddr, IpOptions, SOL_SOCKET,
    SocketOptions, TCP_NODELAY, TcpConn, TcpListener, TcpOptions, TcpSocket, UdpSocket, UnixDatagram, UnixListener,
    UnixStream, bind, get_sock_opt, set_sock_opt,
};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(each_level_is_on_the_types_it_applies_to_only),
    trial!(every_option_reads_back_what_was_set_on_tcp_sockets),
    trial!(every_option_reads_back_what_was_set_on_udp_sockets),
    trial!(an_unbound_tcp_socket_has_the_tcp_options_and_set_nagle),
    trial!(unix_sockets_have_the_socket_level_options),
    trial!(options_a_socket_lacks_are_the_kernels_error),
    trial!(values_no_int_can_carry_are_refused_before_the_kernel),
    trial!(a_closed_socket_refuses_every_option_without_a_syscall),
    trial!(multicast_membership_on_the_loopback_interface),
    trial!(tos_tclass_user_timeout_cork_mss_and_passcred_set_read_back_and_act),
];

/// Whether `T` has each option level, asked at compile time: a method of `Probe<T>`'s
/// inherent impl bounded by a level's trait is a candidate only when `T` implements that
/// trait, and then wins over the `Lacks` trait's method of the same name, which says no.
struct Probe<T>(PhantomData<T>);

trait Lacks {
    fn socket(&self) -> bool {
        false
    }
    fn ip(&self) -> bool {
        false
    }
    fn tcp(&self) -> bool {
        false
    }
}

impl<T> Lacks for Probe<T> {}

impl<T: SocketOptions> Probe<T> {
    fn socket(&self) -> bool {
        true
    }
}

impl<T: IpOptions> Probe<T> {
    fn ip(&self) -> bool {
        true
    }
}

impl<T: TcpOptions> Probe<T> {
    fn tcp(&self) -> bool {
        true
    }
}

/// `(SOL_SOCKET, IP, TCP)`: which levels of typed options `$ty` has.
macro_rules! levels {
    ($ty:ty) => {
        (Probe::<$ty>(PhantomData).socket(), Probe::<$ty>(PhantomData).ip(), Probe::<$ty>(PhantomData).tcp())
    };
}

/// The loopback interface's index for IPv6 multicast.
fn loopback_index() -> u32 {
    let name = std::ffi::CString::new(support::loopback_interface()).unwrap();
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    assert_ne!(index, 0, "no index for the loopback interface");
    index
}

fn udp(any: &IpAddr) -> UdpSocket {
    let socket = UdpSocket::new(any.family()).unwrap();
    bind(&socket, any, true).unwrap();
    socket
}

/// The options every socket has (`SOL_SOCKET`), set and read back on `socket`;
/// `SO_REUSEPORT` only on an IP socket (a Unix one refuses to turn it on: `EOPNOTSUPP`).
fn socket_level<S: SocketOptions>(socket: &S, ip: bool) {
    for on in [true, false] {
        socket.set_keepalive(on).unwrap();
        assert_eq!(socket.keepalive().unwrap(), on);
        socket.set_broadcast(on).unwrap();
        assert_eq!(socket.broadcast().unwrap(), on);
        if ip {
            socket.set_reuse_port(on).unwrap();
            assert_eq!(socket.reuse_port().unwrap(), on);
        }
    }
    if !ip {
        assert_eq!(socket.set_reuse_port(true).unwrap_err().raw_os_error(), Some(EOPNOTSUPP));
        assert!(!socket.reuse_port().unwrap());
    }
    for linger in [Some(Duration::from_secs(3)), Some(Duration::ZERO), None] {
        socket.set_linger(linger).unwrap();
        assert_eq!(socket.linger().unwrap(), linger);
    }
    socket.set_linger(Some(Duration::from_millis(2001))).unwrap();
    assert_eq!(socket.linger().unwrap(), Some(Duration::from_secs(3)), "a part of a second counts as one more");
    socket.set_send_buffer_size(64 * 1024).unwrap();
    socket.set_recv_buffer_size(96 * 1024).unwrap();
    let (send, recv) = (socket.send_buffer_size().unwrap(), socket.recv_buffer_size().unwrap());
    assert!(send >= 64 * 1024 && recv >= 96 * 1024, "{send}, {recv}");
    #[cfg(has_linux_sockopts)]
    assert_eq!((send, recv), (128 * 1024, 192 * 1024), "Linux keeps twice what was asked");
}

/// The IP-level options of `family`'s sockets, set and read back.
fn ip_level<S: IpOptions>(socket: &S, family: IPFamily) {
    match family {
        IPFamily::IPv4 => {
            socket.set_ttl(17).unwrap();
            assert_eq!(socket.ttl().unwrap(), 17);
            assert_eq!(get_sock_opt(socket, IPPROTO_IP, chapel_socket::IP_TTL).unwrap(), 17);
        }
        _ => {
            socket.set_hop_limit_v6(18).unwrap();
            assert_eq!(socket.hop_limit_v6().unwrap(), 18);
            let only = socket.only_v6().unwrap();
            // A bound socket keeps what it was bound with.
            let e = socket.set_only_v6(!only).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(EINVAL), "{e}");
        }
    }
}

fn each_level_is_on_the_types_it_applies_to_only() {
    assert_eq!(levels!(TcpSocket), (true, true, true));
    assert_eq!(levels!(TcpListener), (true, true, true));
    assert_eq!(levels!(TcpConn), (true, true, true));
    assert_eq!(levels!(UdpSocket), (true, true, false), "UDP has no TCP options");
    for (name, levels) in [
        ("UnixListener", levels!(UnixListener)),
        ("UnixStream", levels!(UnixStream)),
        ("UnixDatagram", levels!(UnixDatagram)),
    ] {
        assert_eq!(levels, (true, false, false), "{name} speaks no IP");
    }
    // The probe can say no: a type that is no socket has no level.
    assert_eq!(levels!(u8), (false, false, false));
}

fn every_option_reads_back_what_was_set_on_tcp_sockets() {
    for any in loopbacks() {
        let (listener, conn, accepted) = pair(&any);
        for tcp in [&conn, &accepted] {
            socket_level(tcp, true);
            ip_level(tcp, any.family());
            tcp.set_keepalive_idle(Duration::from_secs(45)).unwrap();
            assert_eq!(tcp.keepalive_idle().unwrap(), Duration::from_secs(45));
            tcp.set_keepalive_interval(Duration::from_millis(2500)).unwrap();
            assert_eq!(tcp.keepalive_interval().unwrap(), Duration::from_secs(3));
            tcp.set_keepalive_count(6).unwrap();
            assert_eq!(tcp.keepalive_count().unwrap(), 6);
            for nagle in [false, true] {
                tcp.set_nagle(nagle).unwrap();
                assert_eq!(tcp.nagle().unwrap(), nagle);
                assert_eq!(get_sock_opt(tcp, IPPROTO_TCP, TCP_NODELAY).unwrap(), i32::from(!nagle));
            }
        }
        socket_level(&listener, true);
        ip_level(&listener, any.family());
        listener.set_keepalive_count(3).unwrap();
        assert_eq!(listener.keepalive_count().unwrap(), 3);
        listener.set_nagle(false).unwrap();
        assert!(!listener.nagle().unwrap());
    }
}

fn every_option_reads_back_what_was_set_on_udp_sockets() {
    let index = loopback_index();
    for any in loopbacks() {
        let socket = udp(&any);
        socket_level(&socket, true);
        ip_level(&socket, any.family());
        match any.family() {
            IPFamily::IPv4 => {
                assert!(socket.multicast_loop_v4().unwrap());
                socket.set_multicast_loop_v4(false).unwrap();
                assert!(!socket.multicast_loop_v4().unwrap());
                assert_eq!(socket.multicast_ttl_v4().unwrap(), 1);
                socket.set_multicast_ttl_v4(0).unwrap();
                assert_eq!(socket.multicast_ttl_v4().unwrap(), 0);
                assert_eq!(socket.multicast_if_v4().unwrap(), Ipv4Addr::UNSPECIFIED);
                socket.set_multicast_if_v4(&Ipv4Addr::LOCALHOST).unwrap();
                assert_eq!(socket.multicast_if_v4().unwrap(), Ipv4Addr::LOCALHOST);
                socket.set_multicast_if_v4(&Ipv4Addr::UNSPECIFIED).unwrap();
                assert_eq!(socket.multicast_if_v4().unwrap(), Ipv4Addr::UNSPECIFIED);
            }
            _ => {
                assert!(socket.multicast_loop_v6().unwrap());
                socket.set_multicast_loop_v6(false).unwrap();
                assert!(!socket.multicast_loop_v6().unwrap());
                assert_eq!(socket.multicast_hop_limit_v6().unwrap(), 1);
                socket.set_multicast_hop_limit_v6(9).unwrap();
                assert_eq!(socket.multicast_hop_limit_v6().unwrap(), 9);
                assert_eq!(socket.multicast_if_v6().unwrap(), 0);
                socket.set_multicast_if_v6(index).unwrap();
                assert_eq!(socket.multicast_if_v6().unwrap(), index);
            }
        }
    }
    // IPV6_V6ONLY before bind, both ways, and what it means for binding.
    for only in [true, false] {
        let socket = UdpSocket::new(IPFamily::IPv6).unwrap();
        socket.set_only_v6(only).unwrap();
        assert_eq!(socket.only_v6().unwrap(), only);
        let mapped = bind(&socket, &"[::ffff:127.0.0.1]:0".parse().unwrap(), true);
        assert_eq!(mapped.is_ok(), !only, "{mapped:?}");
    }
}

fn an_unbound_tcp_socket_has_the_tcp_options_and_set_nagle() {
    for family in [IPFamily::IPv4, IPFamily::IPv6] {
        let socket = TcpSocket::new(family).unwrap();
        assert!(socket.nagle().unwrap(), "Nagle is on by default");
        for nagle in [false, true, false] {
            socket.set_nagle(nagle).unwrap();
            assert_eq!(socket.nagle().unwrap(), nagle);
            assert_eq!(get_sock_opt(&socket, IPPROTO_TCP, TCP_NODELAY).unwrap(), i32::from(!nagle));
        }
        socket.set_keepalive_idle(Duration::from_secs(40)).unwrap();
        assert_eq!(socket.keepalive_idle().unwrap(), Duration::from_secs(40));
        socket.set_keepalive_count(5).unwrap();
        assert_eq!(socket.keepalive_count().unwrap(), 5);
        socket_level(&socket, true);
        if family == IPFamily::IPv4 {
            socket.set_ttl(21).unwrap();
            assert_eq!(socket.ttl().unwrap(), 21);
        } else {
            socket.set_hop_limit_v6(22).unwrap();
            assert_eq!(socket.hop_limit_v6().unwrap(), 22);
            socket.set_only_v6(true).unwrap();
            assert!(socket.only_v6().unwrap());
        }
        // What was set before listening is the listener's, and its connections'.
        let mut socket = socket;
        let any: IpAddr = if family == IPFamily::IPv4 { "127.0.0.1:0" } else { "[::1]:0" }.parse().unwrap();
        socket.bind(&any).unwrap();
        let listener = socket.listen(4).unwrap();
        assert!(!listener.nagle().unwrap());
        assert_eq!(listener.keepalive_idle().unwrap(), Duration::from_secs(40));
        let client = TcpSocket::new(family).unwrap();
        client.set_nagle(false).unwrap();
        let conn = client.connect(&listener.addr().unwrap(), support::PATIENCE).unwrap();
        assert!(!conn.nagle().unwrap());
    }
}

fn unix_sockets_have_the_socket_level_options() {
    let dir = std::env::temp_dir().join(format!("chapel-socket-options-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let name = chapel_socket::UnixAddr::from_path(dir.join("l.sock")).unwrap();
    let listener = UnixListener::bind(&name, 4).unwrap();
    let (a, _b) = UnixStream::pair().unwrap();
    let (d, _e) = UnixDatagram::pair().unwrap();
    socket_level(&a, false);
    socket_level(&d, false);
    listener.set_send_buffer_size(32 * 1024).unwrap();
    assert!(listener.send_buffer_size().unwrap() >= 32 * 1024);
    // IP and TCP options are not theirs (the types have no `IpOptions`, `TcpOptions`): asked
    // raw, they are the kernel's error, naming the option.
    let e = set_sock_opt(&a, IPPROTO_IP, IP_TTL, 5).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(EOPNOTSUPP), "{e}");
    assert!(e.to_string().contains(&format!("(level {IPPROTO_IP}, option {IP_TTL})")), "{e}");
    assert_eq!(get_sock_opt(&a, IPPROTO_TCP, TCP_NODELAY).unwrap_err().raw_os_error(), Some(EOPNOTSUPP));
    drop(listener);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn options_a_socket_lacks_are_the_kernels_error() {
    let v4 = UdpSocket::new(IPFamily::IPv4).unwrap();
    let tcp4 = TcpSocket::v4().unwrap();
    for e in [
        v4.set_hop_limit_v6(5).unwrap_err(),
        v4.set_multicast_loop_v6(true).unwrap_err(),
        v4.join_multicast_v6(&"ff15::9".parse().unwrap(), 0).unwrap_err(),
        tcp4.set_hop_limit_v6(5).unwrap_err(),
        tcp4.set_only_v6(true).unwrap_err(),
    ] {
        assert_eq!(e.raw_os_error(), Some(ENOPROTOOPT), "{e}");
        assert!(e.to_string().starts_with("setsockopt (level "), "{e}");
    }
    // A TCP option on UDP is no method of `UdpSocket`; asked raw, it is the kernel's error.
    let e = get_sock_opt(&v4, IPPROTO_TCP, TCP_NODELAY).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(EOPNOTSUPP), "{e}");
    assert!(e.to_string().starts_with(&format!("getsockopt (level {IPPROTO_TCP}, option {TCP_NODELAY}): ")), "{e}");
    // Values out of the option's range: the kernel's EINVAL.
    for e in [
        v4.set_ttl(0).unwrap_err(),
        v4.set_ttl(256).unwrap_err(),
        v4.set_multicast_ttl_v4(256).unwrap_err(),
        v4.join_multicast_v4(&Ipv4Addr::new(10, 0, 0, 1), &Ipv4Addr::LOCALHOST).unwrap_err(),
    ] {
        assert_eq!(e.raw_os_error(), Some(EINVAL), "{e}");
    }
    let (_listener, conn, _accepted) = pair(&"127.0.0.1:0".parse().unwrap());
    for e in [conn.set_keepalive_idle(Duration::ZERO).unwrap_err(), conn.set_keepalive_count(0).unwrap_err()] {
        assert_eq!(e.raw_os_error(), Some(EINVAL), "{e}");
    }
}

fn values_no_int_can_carry_are_refused_before_the_kernel() {
    let socket = UdpSocket::new(IPFamily::IPv6).unwrap();
    let tcp = TcpSocket::v6().unwrap();
    let huge = u32::try_from(i32::MAX).unwrap() + 1;
    for e in [
        socket.set_ttl(huge).unwrap_err(),
        socket.set_hop_limit_v6(u32::MAX).unwrap_err(),
        tcp.set_keepalive_idle(Duration::MAX).unwrap_err(),
        tcp.set_keepalive_interval(Duration::from_secs(u64::from(huge))).unwrap_err(),
        tcp.set_keepalive_count(huge).unwrap_err(),
        socket.set_linger(Some(Duration::MAX)).unwrap_err(),
        socket.set_multicast_if_v6(u32::MAX).unwrap_err(),
        socket.set_multicast_hop_limit_v6(huge).unwrap_err(),
    ] {
        assert_eq!((e.kind(), e.raw_os_error()), (ErrorKind::InvalidInput, None), "{e}");
        assert_eq!(e.op(), "setsockopt");
    }
    // What was set before stays.
    assert_eq!(socket.linger().unwrap(), None);
    assert!(tcp.keepalive_count().unwrap() < huge);
    // A buffer size beyond an int is asked as i32::MAX, which the kernel caps.
    socket.set_send_buffer_size(usize::MAX).unwrap();
    assert!(socket.send_buffer_size().unwrap() > 0);
}

fn a_closed_socket_refuses_every_option_without_a_syscall() {
    let mut socket = UdpSocket::new(IPFamily::IPv4).unwrap();
    socket.close().unwrap();
    let group = Ipv4Addr::new(239, 255, 0, 1);
    let group6: Ipv6Addr = "ff15::1".parse().unwrap();
    let (_listener, mut conn, _accepted) = pair(&"127.0.0.1:0".parse().unwrap());
    conn.close().unwrap();
    let errors = [
        socket.set_keepalive(true).err(),
        socket.keepalive().err(),
        conn.set_keepalive_idle(Duration::from_secs(1)).err(),
        conn.keepalive_interval().err(),
        conn.set_keepalive_count(1).err(),
        conn.nagle().err(),
        conn.set_nagle(false).err(),
        conn.set_delay_ack(false).err(),
        conn.set_ttl(1).err(),
        socket.set_linger(None).err(),
        socket.linger().err(),
        socket.set_send_buffer_size(1).err(),
        socket.recv_buffer_size().err(),
        socket.set_reuse_port(true).err(),
        socket.broadcast().err(),
        socket.set_ttl(1).err(),
        socket.hop_limit_v6().err(),
        socket.set_only_v6(true).err(),
        socket.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST).err(),
        socket.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST).err(),
        socket.join_multicast_v6(&group6, 1).err(),
        socket.leave_multicast_v6(&group6, 1).err(),
        socket.set_multicast_loop_v4(true).err(),
        socket.multicast_ttl_v4().err(),
        socket.set_multicast_if_v4(&Ipv4Addr::LOCALHOST).err(),
        socket.multicast_if_v4().err(),
        socket.multicast_if_v6().err(),
    ];
    for (i, e) in errors.into_iter().enumerate() {
        let e = e.unwrap_or_else(|| panic!("option {i} worked on a closed socket"));
        assert!(e.is_closed(), "{i}: {e}");
    }
}

fn multicast_membership_on_the_loopback_interface() {
    let v4 = UdpSocket::new(IPFamily::IPv4).unwrap();
    let group = Ipv4Addr::new(239, 255, 77, 1);
    v4.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST).unwrap();
    let e = v4.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrInUse, "joined twice: {e}");
    v4.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST).unwrap();
    let e = v4.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrNotAvailable, "left twice: {e}");
    assert!(e.to_string().starts_with(&format!("setsockopt (level {IPPROTO_IP}, ")), "{e}");

    let index = loopback_index();
    let v6 = UdpSocket::new(IPFamily::IPv6).unwrap();
    let group: Ipv6Addr = "ff15::77:1".parse().unwrap();
    v6.join_multicast_v6(&group, index).unwrap();
    assert_eq!(v6.join_multicast_v6(&group, index).unwrap_err().kind(), ErrorKind::AddrInUse);
    v6.leave_multicast_v6(&group, index).unwrap();
    assert_eq!(v6.leave_multicast_v6(&group, index).unwrap_err().kind(), ErrorKind::AddrNotAvailable);
    // Not a multicast address.
    let e = v6.join_multicast_v6(&Ipv6Addr::LOCALHOST, index).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(EINVAL), "{e}");
    // SOL_SOCKET options take the same path as the others: the level is in the message.
    let e = v6.set_linger(Some(Duration::MAX)).unwrap_err();
    assert!(e.to_string().contains(&format!("(level {SOL_SOCKET}, ")), "{e}");
}

/// The options std's and socket2's users set through raw numbers until now: each reads back
/// what was set, the kernel's refusals stay its own, values no `int` carries are refused
/// first, and the ones a peer can see act: a datagram carries the TOS byte or traffic class
/// set on its sender, a connection made with a smaller MSS sends no larger segments, and a
/// Unix socket with `SO_PASSCRED` gets its peer's credentials.
fn tos_tclass_user_timeout_cork_mss_and_passcred_set_read_back_and_act() {
    // TOS / traffic class, read back and carried by a datagram.
    let v4 = UdpSocket::new(IPFamily::IPv4).unwrap();
    bind(&v4, &"127.0.0.1:0".parse().unwrap(), true).unwrap();
    assert_eq!(v4.tos().unwrap(), 0);
    v4.set_tos(0xb8).unwrap();
    assert_eq!(v4.tos().unwrap(), 0xb8);
    let err = v4.set_tclass_v6(0x28).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(ENOPROTOOPT), "{err}");
    assert_eq!(v4.set_tos(u32::MAX).unwrap_err().kind(), ErrorKind::InvalidInput);
    let v6 = UdpSocket::new(IPFamily::IPv6).unwrap();
    bind(&v6, &"[::1]:0".parse().unwrap(), true).unwrap();
    v6.set_tclass_v6(0x28).unwrap();
    assert_eq!(v6.tclass_v6().unwrap(), 0x28);
    assert_eq!(v6.set_tclass_v6(256).unwrap_err().raw_os_error(), Some(EINVAL));
    #[cfg(target_os = "linux")]
    for (sender, receiver) in [(&v4, bound_udp("127.0.0.1:0")), (&v6, bound_udp("[::1]:0"))] {
        receiver.set_recv_tos(true).unwrap();
        sender.send(b"marked", &receiver.addr().unwrap(), support::PATIENCE).unwrap();
        let meta = receiver.recv_msg(&mut [0; 8], &mut [0; 128], support::PATIENCE).unwrap();
        let want = if sender.addr().unwrap().family() == IPFamily::IPv4 { 0xb8 } else { 0x28 };
        assert_eq!(meta.tos(), Some(want), "the datagram's TOS byte or traffic class");
    }

    // TCP user timeout, cork, MSS.
    let socket = TcpSocket::v4().unwrap();
    assert_eq!(socket.tcp_user_timeout().unwrap(), None);
    socket.set_tcp_user_timeout(Some(Duration::from_micros(2_500_100))).unwrap();
    assert_eq!(socket.tcp_user_timeout().unwrap(), Some(Duration::from_millis(2501)), "rounded up");
    socket.set_tcp_user_timeout(None).unwrap();
    assert_eq!(socket.tcp_user_timeout().unwrap(), None);
    let err = socket.set_tcp_user_timeout(Some(Duration::from_secs(u64::MAX))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(!socket.tcp_cork().unwrap());
    socket.set_tcp_cork(true).unwrap();
    assert!(socket.tcp_cork().unwrap());
    socket.set_mss(1000).unwrap();
    assert_eq!(socket.mss().unwrap(), 1000);
    assert_eq!(socket.set_mss(10).unwrap_err().raw_os_error(), Some(EINVAL), "below the kernel's minimum");
    let server = chapel_socket::listen(&"127.0.0.1:0".parse().unwrap(), true, 4).unwrap();
    socket.set_tcp_cork(false).unwrap();
    let conn = socket.connect(&server.addr().unwrap(), support::PATIENCE).unwrap();
    assert!(conn.mss().unwrap() <= 1000, "a connection made with MSS 1000 sends {}", conn.mss().unwrap());

    // SO_PASSCRED: the peer's credentials come with each message.
    let (a, b) = UnixDatagram::pair().unwrap();
    assert!(!b.passcred().unwrap());
    b.set_passcred(true).unwrap();
    assert!(b.passcred().unwrap());
    a.send(b"who", support::PATIENCE).unwrap();
    let got = b.recv_with_fds(&mut [0; 8], 0, support::PATIENCE).unwrap();
    let creds = got.credentials.expect("credentials with SO_PASSCRED on");
    assert_eq!(creds.pid, std::process::id() as i32);
}

fn bound_udp(at: &str) -> UdpSocket {
    let socket = UdpSocket::new(if at.starts_with('[') { IPFamily::IPv6 } else { IPFamily::IPv4 }).unwrap();
    bind(&socket, &at.parse().unwrap(), true).unwrap();
    socket
}
