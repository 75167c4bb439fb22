//! Chapel's `setSockOpt` / `getSockOpt`: raw `(level, optname, value)` access to socket
//! options, and [`set_with`], the one `setsockopt` error path every typed option shares.

use std::os::fd::BorrowedFd;

use crate::consts::{SO_RCVTIMEO, SOL_SOCKET, c_int, socklen_t};
use crate::error::{Cause, Error, Op, Result, Target};
use crate::socket::{AnySocket, fd_of, sock_of};
use crate::sys;

/// A value for [`set_sock_opt`]: the three forms of Chapel's `setSockOpt` overloads.
///
/// `Int` goes to any option. `Bytes` and `Null(0)` go only to the plain-data options listed
/// in [`set_sock_opt`]'s table; `Null` with a non-zero length goes to none (the kernel would
/// read from address 0). Anything else is refused before any syscall;
/// [`set_sock_opt_unchecked`], whose caller vouches for the
/// bytes, takes any option's.
///
/// ```
/// use chapel_socket::SockOptValue;
/// assert_eq!(SockOptValue::from(1), SockOptValue::Int(1));
/// assert_eq!(SockOptValue::from(&[1u8, 0, 0, 0][..]), SockOptValue::Bytes(&[1, 0, 0, 0]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockOptValue<'a> {
    /// An `int` option (`setSockOpt(…, value: c_int)`), for any option.
    Int(c_int),
    /// A C struct's bytes, such as a `struct linger` or a `struct_timeval`
    /// (`setSockOpt(…, value: bytes)`), for a plain-data option, of a length that option
    /// takes; making the bytes right is the caller's job.
    Bytes(&'a [u8]),
    /// A null `optval` with this `optlen` (`setSockOpt(…, value: nothing, optlen)`): length 0
    /// for a plain-data option; any other length is refused.
    Null(socklen_t),
}
impl From<c_int> for SockOptValue<'_> {
    fn from(v: c_int) -> Self {
        SockOptValue::Int(v)
    }
}

impl<'a> From<&'a [u8]> for SockOptValue<'a> {
    fn from(v: &'a [u8]) -> Self {
        SockOptValue::Bytes(v)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for SockOptValue<'a> {
    fn from(v: &'a [u8; N]) -> Self {
        SockOptValue::Bytes(v)
    }
}

impl<'a> From<&'a Vec<u8>> for SockOptValue<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        SockOptValue::Bytes(v)
    }
}

/// Chapel's `setSockOpt` (all three overloads): `setsockopt(2)` with an `int`, bytes, or a
/// null pointer, for the options whose value cannot make the kernel write to our memory.
/// Syscalls ([contract](crate::syscalls#set_sock_opt)): `setsockopt` — 1; none when the
/// value is refused.
///
/// An [`Int`](SockOptValue::Int) goes to any option. Bytes go only to the options below,
/// whose value is plain data: the kernel copies it and follows no pointer in it. Another
/// option's value may hold a user pointer the kernel writes through (`IPT_SO_SET_REPLACE`
/// writes its counters to one; `XDP_UMEM_REG` keeps one for the socket's life), which a safe
/// function must not allow: set those with
/// [`set_sock_opt_unchecked`], whose caller vouches for them. [`Null`](SockOptValue::Null)
/// passes a null pointer with length 0 to the same options (the kernel reads nothing).
///
/// | Level | Options | Bytes |
/// |---|---|---|
/// | `SOL_SOCKET` | `SO_DEBUG`, `SO_REUSEADDR`, `SO_KEEPALIVE`, `SO_DONTROUTE`, `SO_BROADCAST`, `SO_SNDBUF`, `SO_RCVBUF`, `SO_OOBINLINE`, `SO_RCVLOWAT`, `SO_SNDLOWAT`; Linux: `SO_REUSEPORT`, `SO_PRIORITY`, `SO_NO_CHECK`, `SO_PASSCRED`, `SO_TIMESTAMP`, `SO_TIMESTAMPNS`, `SO_MARK`, `SO_RXQ_OVFL`, `SO_PEEK_OFF`, `SO_BUSY_POLL`, `SO_INCOMING_CPU`, `SO_ZEROCOPY`, `SO_SNDBUFFORCE`, `SO_RCVBUFFORCE` | an `int`: 4 |
/// | `SOL_SOCKET` | `SO_LINGER` | a `struct linger`: 8 |
/// | `SOL_SOCKET` | `SO_RCVTIMEO`, `SO_SNDTIMEO` | a [`struct_timeval`](crate::struct_timeval): 16 on 64-bit platforms |
/// | `SOL_SOCKET` | Linux: `SO_BINDTODEVICE` | an interface name: 0 to `IFNAMSIZ` (16) |
/// | `IPPROTO_IP` | `IP_TOS`, `IP_TTL`, `IP_HDRINCL`, `IP_MULTICAST_TTL`, `IP_MULTICAST_LOOP`; Linux: `IP_RECVTOS`, `IP_RECVTTL`, `IP_PKTINFO`, `IP_RECVERR`, `IP_MTU_DISCOVER`, `IP_FREEBIND`, `IP_TRANSPARENT`, `IP_BIND_ADDRESS_NO_PORT`, `IP_RECVORIGDSTADDR`, `IP_MINTTL`, `IP_MULTICAST_ALL` | an `int`, or the one byte the kernel also takes: 1 to 4 |
/// | `IPPROTO_IP` | `IP_OPTIONS` | IP header options: 0 to 40 |
/// | `IPPROTO_IP` | `IP_MULTICAST_IF` | a `struct in_addr`, `ip_mreq` or `ip_mreqn`: 4 to 12 |
/// | `IPPROTO_IP` | `IP_ADD_MEMBERSHIP`, `IP_DROP_MEMBERSHIP` | a `struct ip_mreq` or `ip_mreqn`: 8 to 12 |
/// | `IPPROTO_IP` | Linux: `IP_ADD_SOURCE_MEMBERSHIP`, `IP_DROP_SOURCE_MEMBERSHIP`, `IP_BLOCK_SOURCE`, `IP_UNBLOCK_SOURCE` | a `struct ip_mreq_source`: 12 |
/// | `IPPROTO_IPV6` | `IPV6_V6ONLY`, `IPV6_UNICAST_HOPS`, `IPV6_MULTICAST_HOPS`, `IPV6_MULTICAST_LOOP`, `IPV6_MULTICAST_IF`; Linux: `IPV6_RECVPKTINFO`, `IPV6_RECVHOPLIMIT`, `IPV6_RECVTCLASS`, `IPV6_TCLASS`, `IPV6_MTU_DISCOVER`, `IPV6_MTU`, `IPV6_RECVERR`, `IPV6_DONTFRAG`, `IPV6_TRANSPARENT`, `IPV6_MULTICAST_ALL` | an `int`: 4 |
/// | `IPPROTO_IPV6` | `IPV6_ADD_MEMBERSHIP`, `IPV6_DROP_MEMBERSHIP` | a `struct ipv6_mreq`: 20 |
/// | `IPPROTO_IPV6` | Linux: `IPV6_PKTINFO` | a `struct in6_pktinfo`: 20 |
/// | `IPPROTO_TCP` | `TCP_NODELAY`, `TCP_MAXSEG`; Linux: `TCP_CORK`, `TCP_KEEPIDLE`, `TCP_KEEPINTVL`, `TCP_KEEPCNT`, `TCP_SYNCNT`, `TCP_LINGER2`, `TCP_DEFER_ACCEPT`, `TCP_WINDOW_CLAMP`, `TCP_QUICKACK`, `TCP_USER_TIMEOUT`, `TCP_FASTOPEN`, `TCP_FASTOPEN_CONNECT`, `TCP_NOTSENT_LOWAT` | an `int`: 4 |
/// | `IPPROTO_TCP` | Linux: `TCP_CONGESTION` | an algorithm's name: 0 to 16 |
/// | `IPPROTO_UDP` | Linux: `UDP_CORK`, `UDP_SEGMENT`, `UDP_GRO` | an `int`: 4 |
///
/// # Errors
///
/// An `InvalidInput` error, with no OS error and no syscall made, for bytes or a null value
/// given to an option not in the table, bytes of a length the option does not take, or a
/// null value with a non-zero length; the "socket is closed" error on a closed socket; any
/// error of `setsockopt` with its errno. Every error names the level and the option.
///
/// # Examples
///
/// ```
/// use chapel_socket::{
///     get_sock_opt, set_sock_opt, IPFamily, SockOptValue, UdpSocket, IPPROTO_IP, SOL_SOCKET, SO_BROADCAST,
/// };
/// use std::io::ErrorKind;
/// let socket = UdpSocket::new(IPFamily::IPv4)?;
/// set_sock_opt(&socket, SOL_SOCKET, SO_BROADCAST, 1)?;
/// assert_eq!(get_sock_opt(&socket, SOL_SOCKET, SO_BROADCAST)?, 1);
/// set_sock_opt(&socket, SOL_SOCKET, SO_BROADCAST, &0i32.to_ne_bytes())?;
/// assert_eq!(get_sock_opt(&socket, SOL_SOCKET, SO_BROADCAST)?, 0);
/// // A null value with a length would have the kernel read address 0: refused, no syscall.
/// let err = set_sock_opt(&socket, SOL_SOCKET, SO_BROADCAST, SockOptValue::Null(4)).unwrap_err();
/// assert_eq!((err.kind(), err.raw_os_error()), (ErrorKind::InvalidInput, None));
/// // IPT_SO_SET_REPLACE (IPPROTO_IP, 64) takes a pointer the kernel writes to: refused.
/// let err = set_sock_opt(&socket, IPPROTO_IP, 64, &[0u8; 96]).unwrap_err();
/// assert_eq!((err.kind(), err.raw_os_error()), (ErrorKind::InvalidInput, None));
/// assert!(err.to_string().contains("set_sock_opt_unchecked"));
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn set_sock_opt<'a, S: AnySocket>(
    socket: &S,
    level: c_int,
    optname: c_int,
    value: impl Into<SockOptValue<'a>>,
) -> Result<()> {
    let value = value.into();
    refuse_unsound(level, optname, value)?;
    let set = |fd: BorrowedFd<'_>| match value {
        SockOptValue::Int(v) => sys::opt::set_int(fd, level, optname, v),
        SockOptValue::Bytes(b) => sys::opt::set_plain(fd, level, optname, b),
        SockOptValue::Null(_) => sys::opt::set_null(fd, level, optname),
    };
    match value {
        // The crate times receives with SO_RCVTIMEO itself: the user's value is kept apart,
        // for the indefinite calls it bounds (see `recv_timer`).
        SockOptValue::Bytes(b) if (level, optname) == (SOL_SOCKET, SO_RCVTIMEO) => {
            match sys::opt::timeval_from_bytes(b) {
                Some(user) => {
                    set_with(socket, level, optname, |fd| sock_of(socket).timer.record().set_user(user, || set(fd)))
                }
                None => set_with(socket, level, optname, set),
            }
        }
        _ => set_with(socket, level, optname, set),
    }
}

/// `setsockopt(2)` with any bytes, for any option: the escape hatch for the options that
/// [`set_sock_opt`] refuses because their value may hold a pointer.
/// Errors name the level and the option.
/// Syscalls ([contract](crate::syscalls#set_sock_opt)): `setsockopt` — 1, as for
/// `set_sock_opt`; no syscall on a closed socket.
///
/// # Safety
///
/// The caller guarantees, for the option (`level`, `optname`) on this socket, one of:
///
/// - `value` holds no pointer that the kernel will dereference (the option's value is plain
///   data, as for every option the safe `set_sock_opt` takes); or
/// - every pointer in `value` that the kernel will dereference points to memory that is valid
///   for the reads and writes the kernel makes through it, and stays valid, and is neither
///   read nor written by anything else, for as long as the kernel may use it: until the call
///   returns for a pointer used only during the call (`IPT_SO_SET_REPLACE`'s `counters`,
///   written before it returns), and for the socket's whole life, or until the option is
///   undone, for one the kernel keeps (`XDP_UMEM_REG`'s umem area).
///
/// # Errors
///
/// A closed socket is the "socket is closed" error; any error of `setsockopt` is returned
/// with its errno, naming the level and the option.
///
/// # Examples
///
/// ```
/// use chapel_socket::{get_sock_opt_bytes, set_sock_opt_unchecked, IPFamily, UdpSocket, SOL_SOCKET, SO_LINGER};
/// let socket = UdpSocket::new(IPFamily::IPv4)?;
/// // struct linger { l_onoff: 1, l_linger: 5 }: two ints, no pointer.
/// let linger = [1i32.to_ne_bytes(), 5i32.to_ne_bytes()].concat();
/// // SAFETY: a struct linger is plain data; the kernel follows no pointer in it.
/// unsafe { set_sock_opt_unchecked(&socket, SOL_SOCKET, SO_LINGER, &linger)? };
/// assert_eq!(get_sock_opt_bytes(&socket, SOL_SOCKET, SO_LINGER, 64)?, linger);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
///
/// Outside `unsafe`, the call does not compile:
///
/// ```compile_fail,E0133
/// # use chapel_socket::{set_sock_opt_unchecked, IPFamily, UdpSocket, SOL_SOCKET, SO_LINGER};
/// # let socket = UdpSocket::new(IPFamily::IPv4).unwrap();
/// set_sock_opt_unchecked(&socket, SOL_SOCKET, SO_LINGER, &[0; 8]);
/// ```
#[allow(unsafe_code)]
pub unsafe fn set_sock_opt_unchecked<S: AnySocket>(
    socket: &S,
    level: c_int,
    optname: c_int,
    value: &[u8],
) -> Result<()> {
    set_with(socket, level, optname, |fd| {
        // SAFETY: what the kernel does with any pointer in `value` is covered by this
        // function's contract, which the caller upholds.
        unsafe { sys::opt::set_bytes_unchecked(fd, level, optname, value) }
    })
}

/// The `InvalidInput` error, before any syscall, for a value that could make the kernel read
/// or write memory it must not: bytes or a null value for an option not known to take plain
/// data, bytes of a length the option does not take, a null value with a length.
fn refuse_unsound(level: c_int, optname: c_int, value: SockOptValue<'_>) -> Result<()> {
    let why = match (value, sys::opt::plain(level, optname)) {
        (SockOptValue::Int(_), _) => return Ok(()),
        (SockOptValue::Null(len @ 1..), _) => {
            format!("a null value of length {len} would have the kernel read from address 0; only length 0 is passed")
        }
        (_, None) => "bytes and null values go only to the plain-data options of set_sock_opt's table, \
                      as this option's value may hold a pointer the kernel writes through; \
                      set_sock_opt_unchecked, whose caller vouches for the bytes, sets it"
            .to_owned(),
        (SockOptValue::Bytes(b), Some(p)) if !p.fits(b.len()) => {
            let takes = if p.min == p.max { p.min.to_string() } else { format!("{} to {}", p.min, p.max) };
            format!("{} takes {takes} bytes, not {}", p.name, b.len())
        }
        _ => return Ok(()),
    };
    Err(Error::new(Op::SetSockOpt, Target::Opt(level, optname), Cause::Invalid(why)))
}

/// `set` on the socket's descriptor, its OS error named after `setsockopt` and the option;
/// the "closed" error, with no syscall, on a closed socket.
pub(crate) fn set_with<S: AnySocket>(
    socket: &S,
    level: c_int,
    optname: c_int,
    set: impl FnOnce(BorrowedFd<'_>) -> std::io::Result<()>,
) -> Result<()> {
    let fd = fd_of(socket, Op::SetSockOpt)?;
    set(fd).map_err(Error::os(Op::SetSockOpt, &Target::Opt(level, optname)))
}

/// Chapel's `getSockOpt(socket, level, optname)`: an `int` option.
/// Syscalls ([contract](crate::syscalls#get_sock_opt)): `getsockopt` — 1.
///
#[doc = man_links!(getsockopt(2), socket(7))]
///
/// # Errors
/// A closed socket; the kernel's error (`ENOPROTOOPT` for an unknown option); `EINVAL` when the
/// option is not an `int`. `InvalidInput`, before any syscall, for an option whose reading
/// creates a descriptor, which an `int` cannot own: `SO_PEERPIDFD` (Linux 6.5),
/// `SCTP_SOCKOPT_PEELOFF` and `SCTP_SOCKOPT_PEELOFF_FLAGS`.
///
/// ```
/// use chapel_socket::{get_sock_opt, listen, SOL_SOCKET, SO_ACCEPTCONN};
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// assert_eq!(get_sock_opt(&server, SOL_SOCKET, SO_ACCEPTCONN)?, 1);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn get_sock_opt<S: AnySocket>(socket: &S, level: c_int, optname: c_int) -> Result<c_int> {
    let fd = fd_of(socket, Op::GetSockOpt)?;
    sys::opt::get_int(fd, level, optname).map_err(get_error(level, optname))
}

/// The error of a `getsockopt`: the kernel's, or, for an error with no errno (the refusal of
/// an option that creates a descriptor, before any syscall), bad input.
fn get_error(level: c_int, optname: c_int) -> impl FnOnce(std::io::Error) -> Error {
    move |e| {
        let cause = if e.raw_os_error().is_none() { Cause::Invalid(e.to_string()) } else { Cause::Os(e) };
        Error::new(Op::GetSockOpt, Target::Opt(level, optname), cause)
    }
}

/// Chapel's `getSockOpt(socket, level, optname, buflen)`: up to `buflen` bytes of an option,
/// exactly as many as the kernel wrote (a short `buflen` gives the kernel's truncated
/// answer). Syscalls ([contract](crate::syscalls#get_sock_opt)): `getsockopt` — 1.
///
#[doc = man_links!(getsockopt(2), socket(7))]
///
/// # Errors
/// A closed socket; the kernel's error (`ENOPROTOOPT` for an unknown option). `InvalidInput`,
/// before any syscall, for the options whose reading creates a descriptor, as for
/// [`get_sock_opt`].
///
/// ```
/// use chapel_socket::{get_sock_opt_bytes, IPFamily, UdpSocket, SOL_SOCKET, SO_LINGER};
/// let socket = UdpSocket::new(IPFamily::IPv4)?;
/// assert_eq!(get_sock_opt_bytes(&socket, SOL_SOCKET, SO_LINGER, 64)?, vec![0; 8]);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub fn get_sock_opt_bytes<S: AnySocket>(socket: &S, level: c_int, optname: c_int, buflen: u16) -> Result<Vec<u8>> {
    let fd = fd_of(socket, Op::GetSockOpt)?;
    let timer = &sock_of(socket).timer;
    if (level, optname) == (SOL_SOCKET, SO_RCVTIMEO) && timer.crate_armed() {
        // The kernel holds a value the crate armed for its own timed calls: report the user's.
        if let Some(user) = timer.user_value() {
            let mut bytes = sys::opt::timeval_bytes(user);
            bytes.truncate(buflen.into());
            return Ok(bytes);
        }
    }
    sys::opt::get_bytes(fd, level, optname, buflen.into()).map_err(get_error(level, optname))
}
