//! No safe call hands out bytes the kernel did not write, and no descriptor the kernel
//! installs goes unowned: with no `unsafe` anywhere here (this module forbids it), each
//! way a receive could do either, reproduced as a test. Where memory is the evidence, a freed allocation full of
//! the sentinel `0x5a` sits where the receive's fresh buffer will be: a byte the kernel did
//! not write would show up as `0x5a`. Descriptor counts are the evidence elsewhere: the binary
//! runs its tests one at a time, and each of these also holds [`serial`]'s lock.
#![forbid(unsafe_code)]

use std::io::ErrorKind;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::support::trials::{Test, trial};
use crate::support::{open_fds, serial};
use chapel_socket::{
    Error, IPFamily, IpAddr, RECV_BATCH_MAX, RecvBatch, SOL_SOCKET, TcpConn, TcpListener, TcpSocket, UdpSocket,
    UnixDatagram, UnixListener, UnixStream, bind, connect, get_sock_opt, get_sock_opt_bytes, listen, set_sock_opt,
};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(a_peek_offset_never_exposes_bytes_the_kernel_did_not_copy),
    trial!(a_stream_is_never_adopted_as_a_udp_socket),
    trial!(every_adoption_checks_the_kind_of_socket),
    trial!(descriptors_passed_to_a_would_be_udp_socket_are_never_installed),
    trial!(options_that_create_descriptors_are_refused),
    trial!(a_batch_larger_than_one_call_is_refused_before_allocating),
    trial!(a_reused_batch_shows_only_each_datagrams_own_bytes),
];

/// A generous bound for calls that should succeed at once.
const PATIENCE: f64 = 10.0;

/// `127.0.0.1:0` and `[::1]:0`.
fn loopbacks() -> [IpAddr; 2] {
    ["127.0.0.1:0".parse().unwrap(), "[::1]:0".parse().unwrap()]
}

/// A connected pair on `any`: (listener, client end, server end).
fn pair(any: &IpAddr) -> (TcpListener, TcpConn, TcpConn) {
    let server = listen(any, true, 1).unwrap();
    let client = connect(&server.addr().unwrap(), PATIENCE).unwrap();
    let accepted = server.accept(PATIENCE).unwrap();
    (server, client, accepted)
}

/// The sentinel a freed allocation is filled with.
const SENTINEL: u8 = 0x5a;

/// Frees a `len`-byte allocation full of [`SENTINEL`], so the next allocation of that size
/// is likely to reuse it as it is.
fn free_sentinel(len: usize) {
    drop(std::hint::black_box(vec![SENTINEL; len]));
}

fn udp_bound(any: &IpAddr) -> UdpSocket {
    let socket = UdpSocket::new(any.family()).unwrap();
    bind(&socket, any, false).unwrap();
    socket
}

/// Finding 1: with a peek offset of 32, `MSG_PEEK` copies only the 32 bytes past it, while
/// `MSG_TRUNC` would report all 64. The 64-byte receive keeps exactly the 32 copied bytes, in
/// both families, whether or not the caller adds `MSG_TRUNC` itself; a receive into the
/// caller's buffer says 32.
fn a_peek_offset_never_exposes_bytes_the_kernel_did_not_copy() {
    serial(|| {
        for any in loopbacks() {
            for flags in [libc::MSG_PEEK, libc::MSG_PEEK | libc::MSG_TRUNC] {
                let socket = udp_bound(&any);
                set_sock_opt(&socket, SOL_SOCKET, libc::SO_PEEK_OFF, 32).unwrap();
                socket.send(&[0x11; 64], &socket.addr().unwrap(), PATIENCE).unwrap();
                // The receive asks for 65 bytes (64 and the probe byte).
                free_sentinel(65);
                let (got, from) = socket.recvfrom(64, PATIENCE, flags).unwrap();
                assert_eq!(from, socket.addr().unwrap());
                assert!(!got.contains(&SENTINEL), "{any}, flags {flags:#x}: bytes the kernel did not write: {got:x?}");
                assert_eq!(got, [0x11; 32], "{any}, flags {flags:#x}");
                // Into a caller's buffer: the length returned is of the bytes written, not
                // the whole datagram's (the peek moved the offset on by 32; set it back).
                set_sock_opt(&socket, SOL_SOCKET, libc::SO_PEEK_OFF, 32).unwrap();
                let mut buf = [SENTINEL; 64];
                let (n, _) = socket.recv_from_into(&mut buf, PATIENCE, flags).unwrap();
                assert_eq!((n, &buf[..n]), (32, &[0x11; 32][..]), "{any}, flags {flags:#x}");
                // A buffer shorter than what lies past the offset: a truncation, not a cut.
                set_sock_opt(&socket, SOL_SOCKET, libc::SO_PEEK_OFF, 32).unwrap();
                let err = socket.recv_from_into(&mut [0; 16], PATIENCE, flags).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
                assert!(err.to_string().ends_with("datagram of more than 16 bytes truncated to the 16-byte buffer"));
                // The datagram is still queued: an ordinary receive gets all of it.
                assert_eq!(socket.recv(64, PATIENCE).unwrap(), [0x11; 64]);
            }
        }
    });
}

/// Finding 2: a TCP connection's descriptor cannot become a `UdpSocket` (whose receives add
/// `MSG_TRUNC`, which on TCP discards the bytes without copying them and still counts them):
/// the adoption is refused, naming what the descriptor is, and closes it.
fn a_stream_is_never_adopted_as_a_udp_socket() {
    serial(|| {
        for any in loopbacks() {
            let (_listener, mut client, accepted) = pair(&any);
            std::io::Write::write_all(&mut client, &[0x22; 200]).unwrap();
            free_sentinel(201);
            let err = UdpSocket::try_from(OwnedFd::try_from(accepted).unwrap()).unwrap_err();
            assert_refused(&err, "type SOCK_STREAM", "not a UDP socket");
            assert!(err.to_string().contains("protocol IPPROTO_TCP"), "{err}");
            // std's TcpStream (whose own From<OwnedFd> takes anything) the same.
            let std_listener = std::net::TcpListener::bind(std::net::SocketAddr::from(any)).unwrap();
            let stream = std::net::TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
            let err = UdpSocket::try_from(OwnedFd::from(stream)).unwrap_err();
            assert_refused(&err, "type SOCK_STREAM", "not a UDP socket");
        }
    });
}

/// An adoption refusal: `InvalidInput` with no OS error, from "from fd", saying what the
/// descriptor is and what it is not.
fn assert_refused(err: &Error, is: &str, is_not: &str) {
    assert_eq!((err.kind(), err.raw_os_error(), err.op()), (ErrorKind::InvalidInput, None, "from fd"), "{err}");
    let text = err.to_string();
    assert!(text.contains(is) && text.ends_with(is_not), "{text}");
}

/// Every type adopts its own kind of socket and refuses the others, and a descriptor that is
/// no socket at all.
fn every_adoption_checks_the_kind_of_socket() {
    serial(|| {
        let tcp = || OwnedFd::from(std::net::TcpListener::bind("127.0.0.1:0").unwrap());
        let tcp6 = || OwnedFd::from(std::net::TcpListener::bind("[::1]:0").unwrap());
        let udp = || OwnedFd::from(std::net::UdpSocket::bind("127.0.0.1:0").unwrap());
        let unix_stream = || OwnedFd::from(std::os::unix::net::UnixStream::pair().unwrap().0);
        let unix_dgram = || OwnedFd::from(std::os::unix::net::UnixDatagram::unbound().unwrap());
        let file = || OwnedFd::from(std::fs::File::open("/proc/self/stat").unwrap());
        type Adopt = fn(OwnedFd) -> Result<(), Error>;
        let adopters: [(&str, Adopt, &[usize]); 7] = [
            ("a UDP socket", |fd| UdpSocket::try_from(fd).map(drop), &[2]),
            ("a TCP socket", |fd| TcpConn::try_from(fd).map(drop), &[0, 1]),
            ("a TCP socket", |fd| TcpListener::try_from(fd).map(drop), &[0, 1]),
            ("a TCP socket", |fd| TcpSocket::try_from(fd).map(drop), &[0, 1]),
            ("a Unix stream socket", |fd| UnixStream::try_from(fd).map(drop), &[3]),
            ("a Unix stream socket", |fd| UnixListener::try_from(fd).map(drop), &[3]),
            ("a Unix datagram socket", |fd| UnixDatagram::try_from(fd).map(drop), &[4]),
        ];
        let makers: [&dyn Fn() -> OwnedFd; 6] = [&tcp, &tcp6, &udp, &unix_stream, &unix_dgram, &file];
        for (name, adopt, takes) in adopters {
            for (i, make) in makers.iter().enumerate() {
                match adopt(make()) {
                    Ok(()) => assert!(takes.contains(&i), "{name} adopted descriptor kind {i}"),
                    Err(err) => {
                        assert!(!takes.contains(&i), "{name} refused descriptor kind {i}: {err}");
                        let is = if i == 5 { "no socket at all" } else { "the descriptor is a socket of family" };
                        assert_refused(&err, is, &format!("not {name}"));
                    }
                }
            }
        }
        // std's types go through the same check.
        assert!(UdpSocket::try_from(std::net::UdpSocket::bind("[::1]:0").unwrap()).is_ok());
        assert!(TcpConn::try_from(std::net::TcpStream::from(udp())).is_err());
        assert!(UnixStream::try_from(std::os::unix::net::UnixStream::from(unix_dgram())).is_err());
        assert!(UnixDatagram::try_from(std::os::unix::net::UnixDatagram::from(udp())).is_err());
    });
}

/// Finding 3: a Unix datagram socket, through which any sender can pass descriptors, cannot
/// become a `UdpSocket` (whose `recv_msg` and `recv_batch` give the kernel control space).
/// The reproduction's ten passes of four descriptors leave the count of open descriptors as
/// it was. (That those receives own and close whatever arrives, with `MSG_CMSG_CLOEXEC`, is
/// the sys layer's unit tests' to show: no safe way leads a descriptor to them.)
fn descriptors_passed_to_a_would_be_udp_socket_are_never_installed() {
    serial(|| {
        let before = open_fds();
        for _ in 0..10 {
            let (ours, peer) = UnixDatagram::pair().unwrap();
            let err = UdpSocket::try_from(OwnedFd::try_from(ours).unwrap()).unwrap_err();
            assert_refused(&err, "family AF_UNIX, type SOCK_DGRAM", "not a UDP socket");
            let passed = OwnedFd::try_from(UnixDatagram::unbound().unwrap()).unwrap();
            // The refused end was closed: nobody receives, and nothing is installed.
            let sent = peer.send_with_fds(b"x", &[passed.as_fd(); 4], None, PATIENCE);
            assert!(sent.is_err(), "{sent:?}");
        }
        assert_eq!(open_fds(), before);
    });
}

/// `SO_PEERPIDFD` (Linux 6.5), whose reading creates a pidfd.
const SO_PEERPIDFD: i32 = libc::SO_PEERPIDFD;
/// `SOL_SCTP` and the SCTP options whose reading peels an association off into a new socket.
const SOL_SCTP: i32 = 132;
const SCTP_SOCKOPT_PEELOFF: i32 = 102;
const SCTP_SOCKOPT_PEELOFF_FLAGS: i32 = 122;

/// Finding 4: reading an option that creates a descriptor is refused before any syscall, by
/// both getters, so 100 reads leave the count of open descriptors as it was.
fn options_that_create_descriptors_are_refused() {
    serial(|| {
        let (ours, _peer) = UnixStream::pair().unwrap();
        let udp = UdpSocket::new(IPFamily::IPv4).unwrap();
        let before = open_fds();
        for _ in 0..100 {
            for (level, option) in
                [(SOL_SOCKET, SO_PEERPIDFD), (SOL_SCTP, SCTP_SOCKOPT_PEELOFF), (SOL_SCTP, SCTP_SOCKOPT_PEELOFF_FLAGS)]
            {
                for err in [
                    get_sock_opt(&ours, level, option).unwrap_err(),
                    get_sock_opt_bytes(&ours, level, option, 64).unwrap_err(),
                    get_sock_opt(&udp, level, option).unwrap_err(),
                    get_sock_opt_bytes(&udp, level, option, 8).unwrap_err(),
                ] {
                    assert_eq!(
                        (err.kind(), err.raw_os_error(), err.op()),
                        (ErrorKind::InvalidInput, None, "getsockopt")
                    );
                    assert!(err.to_string().contains(&format!("(level {level}, option {option})")), "{err}");
                    assert!(err.to_string().contains("create a descriptor"), "{err}");
                }
            }
        }
        assert_eq!(open_fds(), before);
        // Options next to them are still read: SO_PEERCRED (17) is a struct ucred.
        assert_eq!(get_sock_opt_bytes(&ours, SOL_SOCKET, libc::SO_PEERCRED, 64).unwrap().len(), 12);
    });
}

/// Finding 5: a batch larger than one `recvmmsg` can fill is refused at once, before any
/// allocation (1,000,000 × 1,500 bytes was 1.8 GB zero-filled in 2.5 s); the largest one
/// that can be filled is made.
fn a_batch_larger_than_one_call_is_refused_before_allocating() {
    serial(|| {
        let start = Instant::now();
        for capacity in [RECV_BATCH_MAX + 1, 1_000_000, usize::MAX] {
            let err = RecvBatch::new(capacity, 1500).unwrap_err();
            assert_eq!((err.kind(), err.raw_os_error()), (ErrorKind::InvalidInput, None), "{err}");
            assert!(err.to_string().contains("at most 1024"), "{err}");
        }
        assert!(start.elapsed() < Duration::from_millis(500), "took {:?}", start.elapsed());
        assert_eq!(RecvBatch::new(RECV_BATCH_MAX, 1500).unwrap().capacity(), RECV_BATCH_MAX);
        assert_eq!(RecvBatch::with_control_len(RECV_BATCH_MAX, 0, 0).unwrap().capacity(), 1024);
    });
}

/// Finding 1 again, for the batch: every slot of a reused batch holds the bytes of its own
/// datagram and no more, though the previous receive filled the slots with longer ones.
fn a_reused_batch_shows_only_each_datagrams_own_bytes() {
    serial(|| {
        for any in loopbacks() {
            let socket = udp_bound(&any);
            let me = socket.addr().unwrap();
            let mut batch = RecvBatch::new(4, 64).unwrap();
            for round in [64usize, 3] {
                for _ in 0..4 {
                    socket.send(&vec![round as u8; round], &me, PATIENCE).unwrap();
                }
                // Each call takes at least one datagram: at most four calls.
                let mut got = 0;
                while got < 4 {
                    got += socket.recv_batch(&mut batch, PATIENCE).unwrap();
                    for d in batch.iter() {
                        assert_eq!(d.data(), &vec![round as u8; round][..], "{any}, round {round}");
                        assert!(!d.meta().is_truncated());
                    }
                }
            }
        }
    });
}
