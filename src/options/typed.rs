//! [`SocketOptions`]: typed setters and getters for the common socket options, one
//! `setsockopt` or `getsockopt` each, on every socket type ([`AnySocket`]) through one
//! blanket implementation.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::set_with;
use crate::consts::{
    IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, IP_MULTICAST_IF, IP_MULTICAST_LOOP, IP_MULTICAST_TTL, IP_TTL, IPPROTO_IP,
    IPPROTO_IPV6, IPPROTO_TCP, IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_IF,
    IPV6_MULTICAST_LOOP, IPV6_UNICAST_HOPS, IPV6_V6ONLY, SO_BROADCAST, SO_KEEPALIVE, SO_LINGER, SO_RCVBUF, SO_SNDBUF,
    SOL_SOCKET, TCP_NODELAY, c_int,
};
use crate::error::{Cause, Error, Op, Result, Target};
use crate::socket::{AnySocket, fd_of};
use crate::sys;

/// The number of an option this platform lacks: refused as `Unsupported` before any syscall.
const MISSING: c_int = c_int::MIN;

#[cfg(has_so_reuseport)]
use crate::consts::SO_REUSEPORT;
#[cfg(not(has_so_reuseport))]
const SO_REUSEPORT: c_int = MISSING;
#[cfg(has_tcp_keepidle)]
use crate::consts::{TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL};
#[cfg(not(has_tcp_keepidle))]
const TCP_KEEPIDLE: c_int = MISSING;
#[cfg(not(has_tcp_keepidle))]
const TCP_KEEPINTVL: c_int = MISSING;
#[cfg(not(has_tcp_keepidle))]
const TCP_KEEPCNT: c_int = MISSING;

/// A typed option's value as the `int` the kernel takes, and back.
trait IntValue: Sized {
    /// The `int` to set; `Err(why)` for a value no `int` of the option can carry.
    fn to_c(self) -> std::result::Result<c_int, String>;
    /// The value of the `int` the kernel answered; `Err(why)` when it is not one.
    fn from_c(v: c_int) -> std::result::Result<Self, String>;
}

impl IntValue for bool {
    fn to_c(self) -> std::result::Result<c_int, String> {
        Ok(self.into())
    }
    fn from_c(v: c_int) -> std::result::Result<bool, String> {
        Ok(v != 0)
    }
}

impl IntValue for u32 {
    fn to_c(self) -> std::result::Result<c_int, String> {
        c_int::try_from(self).map_err(|_| format!("{self} is more than the option's int can hold ({})", c_int::MAX))
    }
    fn from_c(v: c_int) -> std::result::Result<u32, String> {
        u32::try_from(v).map_err(|_| format!("the kernel answered {v}, not a count"))
    }
}

/// Buffer sizes: more than an `int` holds is set as `i32::MAX` (the kernel caps it far lower).
impl IntValue for usize {
    fn to_c(self) -> std::result::Result<c_int, String> {
        Ok(c_int::try_from(self).unwrap_or(c_int::MAX))
    }
    fn from_c(v: c_int) -> std::result::Result<usize, String> {
        usize::try_from(v).map_err(|_| format!("the kernel answered {v}, not a size"))
    }
}

/// Whole seconds, a part of a second rounded up (so the kernel never waits less).
impl IntValue for Duration {
    fn to_c(self) -> std::result::Result<c_int, String> {
        let secs = self.as_secs().saturating_add(u64::from(self.subsec_nanos() > 0));
        c_int::try_from(secs).map_err(|_| format!("{self:?} is more seconds than the option's int can hold"))
    }
    fn from_c(v: c_int) -> std::result::Result<Duration, String> {
        u64::try_from(v).map(Duration::from_secs).map_err(|_| format!("the kernel answered {v}, not a duration"))
    }
}

/// The `InvalidInput` error of `op` on option (`level`, `name`), before any syscall.
fn invalid(op: Op, level: c_int, name: c_int) -> impl FnOnce(String) -> Error {
    move |why| Error::new(op, Target::Opt(level, name), Cause::Invalid(why))
}

/// The `Unsupported` error for an option this platform lacks.
fn missing(op: Op, what: &'static str) -> Error {
    Error::new(op, Target::None, Cause::Unsupported(what, None))
}

/// Sets `int` option (`level`, `name`) to `value`: one `setsockopt`; the value refused, the
/// socket closed or the option missing here, none.
fn set_value<S: AnySocket, T: IntValue>(s: &S, level: c_int, name: c_int, what: &'static str, value: T) -> Result<()> {
    let value = value.to_c().map_err(invalid(Op::SetSockOpt, level, name))?;
    if name == MISSING {
        return Err(missing(Op::SetSockOpt, what));
    }
    set_with(s, level, name, |fd| sys::opt::set_int(fd, level, name, value))
}

/// Reads `int` option (`level`, `name`): one `getsockopt`; none on a closed socket or for an
/// option missing here.
fn get_value<S: AnySocket, T: IntValue>(s: &S, level: c_int, name: c_int, what: &'static str) -> Result<T> {
    if name == MISSING {
        return Err(missing(Op::GetSockOpt, what));
    }
    let v = super::get_sock_opt(s, level, name)?;
    T::from_c(v).map_err(invalid(Op::GetSockOpt, level, name))
}

/// The link to a contract section of the typed options.
macro_rules! contract {
    (TYPED) => {
        "[contract](crate::syscalls#typed-socket-options)"
    };
    (MULTICAST) => {
        "[contract](crate::syscalls#multicast)"
    };
}

/// A setter and its getter for an `int` option: `$ty` the Rust type ([`IntValue`]),
/// `$contract` the contract's section (`TYPED` or `MULTICAST`), `[$man…]` the man pages beside `setsockopt(2)`, the
/// doc lines of each, what `# Errors` adds for the setter, and one example for both
/// (`example: udp(IPv4) […]`: after the lines that make `socket`, a UDP socket of that
/// family).
macro_rules! int_option {
    (
        $ty:ty, $set:ident, $get:ident, $level:ident, $name:ident, $contract:ident, [$($man:tt)*],
        set: [$($set_doc:literal),* $(,)?],
        get: [$($get_doc:literal),* $(,)?],
        errors: [$($errors:literal),* $(,)?],
        example: $(udp($family:ident))? [$($ex:literal),* $(,)?] $(,)?
    ) => {
        $(#[doc = $set_doc])*
        ///
        #[doc = concat!(
            "Syscalls (", contract!($contract), "): `setsockopt(", stringify!($level), ", ",
            stringify!($name), ")` — 1; none on a closed socket.",
        )]
        ///
        #[doc = man_links!(setsockopt(2), $($man)*)]
        ///
        /// # Errors
        #[doc = concat!(
            "A closed socket; ", $($errors, " ",)* "the kernel's error from `setsockopt` (`ENOPROTOOPT` or ",
            "`EOPNOTSUPP` from a socket without the option).",
        )]
        ///
        /// ```
        $(
            #[doc = "use chapel_socket::{IPFamily, SocketOptions, UdpSocket};"]
            #[doc = concat!("let socket = UdpSocket::new(IPFamily::", stringify!($family), ")?;")]
        )?
        $(#[doc = $ex])*
        /// # Ok::<(), chapel_socket::Error>(())
        /// ```
        fn $set(&self, value: $ty) -> Result<()> {
            set_value(self, $level, $name, stringify!($name), value)
        }

        $(#[doc = $get_doc])*
        ///
        #[doc = concat!(
            "Syscalls (", contract!($contract), "): `getsockopt(", stringify!($level), ", ",
            stringify!($name), ")` — 1; none on a closed socket.",
        )]
        ///
        #[doc = man_links!(getsockopt(2), $($man)*)]
        ///
        /// # Errors
        /// A closed socket; the kernel's error from `getsockopt` (`ENOPROTOOPT` or `EOPNOTSUPP`
        /// from a socket without the option).
        ///
        /// ```
        $(
            #[doc = "use chapel_socket::{IPFamily, SocketOptions, UdpSocket};"]
            #[doc = concat!("let socket = UdpSocket::new(IPFamily::", stringify!($family), ")?;")]
        )?
        $(#[doc = $ex])*
        /// # Ok::<(), chapel_socket::Error>(())
        /// ```
        fn $get(&self) -> Result<$ty> {
            get_value(self, $level, $name, stringify!($name))
        }
    };
}

/// Typed socket options: each setter is one `setsockopt`, each getter one `getsockopt`, and
/// what a setter sets its getter reads back. Implemented for every socket type of the crate
/// ([`AnySocket`]), so `use chapel_socket::SocketOptions;` brings them to all of them.
///
/// An option applies where its level does: `SOL_SOCKET` options to any socket, `IPPROTO_IP`
/// ones to IPv4 sockets (Linux also takes them on IPv6 sockets, for IPv4-mapped traffic),
/// `IPPROTO_IPV6` ones to IPv6 sockets, `IPPROTO_TCP` ones to TCP sockets, multicast to UDP
/// sockets. Elsewhere the kernel answers with its error (`ENOPROTOOPT`, `EOPNOTSUPP`), which
/// is returned as is, naming the option.
///
/// Not here, on purpose: read and write timeouts (every blocking call of the crate takes its
/// own; `SO_RCVTIMEO` through [`set_sock_opt`](crate::set_sock_opt) still works, see
/// there), and a second way to set `TCP_NODELAY` (that is Chapel's `set_nagle`, which
/// [`nagle`](SocketOptions::nagle) reads back). Any other option:
/// [`set_sock_opt`](crate::set_sock_opt) / [`get_sock_opt`](crate::get_sock_opt).
///
/// Contract: [typed socket options](crate::syscalls#typed-socket-options),
/// [multicast](crate::syscalls#multicast).
///
/// ```
/// use chapel_socket::{connect, listen, SocketOptions, INDEFINITE_TIMEOUT};
/// use std::time::Duration;
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
/// conn.set_keepalive(true)?;
/// conn.set_linger(Some(Duration::from_secs(2)))?;
/// conn.set_ttl(32)?;
/// assert!(conn.keepalive()?);
/// assert_eq!(conn.linger()?, Some(Duration::from_secs(2)));
/// assert_eq!(conn.ttl()?, 32);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub trait SocketOptions: AnySocket + Sized {
    int_option!(
        bool, set_keepalive, keepalive, SOL_SOCKET, SO_KEEPALIVE, TYPED, [socket(7), tcp(7)],
        set: ["Turns keep-alive probes on an idle connection on or off (`SO_KEEPALIVE`); their timing is",
              "[`set_keepalive_idle`](SocketOptions::set_keepalive_idle),",
              "[`set_keepalive_interval`](SocketOptions::set_keepalive_interval) and",
              "[`set_keepalive_count`](SocketOptions::set_keepalive_count). A listener passes it on",
              "to the connections it accepts."],
        get: ["Whether keep-alive probes are on (`SO_KEEPALIVE`)."],
        errors: [],
        example: [
            "use chapel_socket::{connect, listen, SocketOptions, INDEFINITE_TIMEOUT};",
            "let server = listen(&\"127.0.0.1:0\".parse()?, true, 16)?;",
            "let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;",
            "assert!(!conn.keepalive()?);",
            "conn.set_keepalive(true)?;",
            "assert!(conn.keepalive()?);",
        ],
    );

    int_option!(
        Duration, set_keepalive_idle, keepalive_idle, IPPROTO_TCP, TCP_KEEPIDLE, TYPED, [tcp(7)],
        set: ["How long a connection idles before the first keep-alive probe (`TCP_KEEPIDLE`), in whole",
              "seconds (a part of a second counts as one more); Linux takes 1 to 32767 s."],
        get: ["How long a connection idles before the first keep-alive probe (`TCP_KEEPIDLE`)."],
        errors: [
            "`InvalidInput`, with no syscall, for more seconds than an `int` holds;",
            "`Unsupported` where the platform has no `TCP_KEEPIDLE`;",
        ],
        example: [
            "use chapel_socket::{listen, SocketOptions};",
            "use std::time::Duration;",
            "let server = listen(&\"127.0.0.1:0\".parse()?, true, 16)?;",
            "server.set_keepalive_idle(Duration::from_secs(30))?;",
            "assert_eq!(server.keepalive_idle()?, Duration::from_secs(30));",
        ],
    );

    int_option!(
        Duration, set_keepalive_interval, keepalive_interval, IPPROTO_TCP, TCP_KEEPINTVL, TYPED,
        [tcp(7)],
        set: ["The time between keep-alive probes (`TCP_KEEPINTVL`), in whole seconds (a part of a",
              "second counts as one more); Linux takes 1 to 32767 s."],
        get: ["The time between keep-alive probes (`TCP_KEEPINTVL`)."],
        errors: [
            "`InvalidInput`, with no syscall, for more seconds than an `int` holds;",
            "`Unsupported` where the platform has no `TCP_KEEPINTVL`;",
        ],
        example: [
            "use chapel_socket::{listen, SocketOptions};",
            "use std::time::Duration;",
            "let server = listen(&\"127.0.0.1:0\".parse()?, true, 16)?;",
            "server.set_keepalive_interval(Duration::from_millis(4500))?;",
            "assert_eq!(server.keepalive_interval()?, Duration::from_secs(5));",
        ],
    );

    int_option!(
        u32, set_keepalive_count, keepalive_count, IPPROTO_TCP, TCP_KEEPCNT, TYPED, [tcp(7)],
        set: ["How many unanswered keep-alive probes end the connection (`TCP_KEEPCNT`); Linux takes 1",
              "to 127."],
        get: ["How many unanswered keep-alive probes end the connection (`TCP_KEEPCNT`)."],
        errors: [
            "`InvalidInput`, with no syscall, for a count above `i32::MAX`;",
            "`Unsupported` where the platform has no `TCP_KEEPCNT`;",
        ],
        example: [
            "use chapel_socket::{listen, SocketOptions};",
            "let server = listen(&\"127.0.0.1:0\".parse()?, true, 16)?;",
            "server.set_keepalive_count(4)?;",
            "assert_eq!(server.keepalive_count()?, 4);",
        ],
    );

    /// Whether Nagle's algorithm is on (`TCP_NODELAY` is 0): what Chapel's `set_nagle` sets
    /// ([`TcpConn::set_nagle`](crate::TcpConn::set_nagle)). `std`'s `nodelay()` is its
    /// negation.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_TCP, TCP_NODELAY)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(getsockopt(2), tcp(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt` (`EOPNOTSUPP` or `ENOPROTOOPT`
    /// from a socket that is not TCP).
    ///
    /// ```
    /// use chapel_socket::{connect, listen, SocketOptions, INDEFINITE_TIMEOUT};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
    /// assert!(conn.nagle()?);
    /// conn.set_nagle(false)?;
    /// assert!(!conn.nagle()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn nagle(&self) -> Result<bool> {
        get_value(self, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY").map(|nodelay: bool| !nodelay)
    }

    /// What `close` does with data not sent yet (`SO_LINGER`): `None` (the default) returns
    /// at once and the kernel sends it in the background; `Some(d)` makes `close` wait up to
    /// `d` for it to go, in whole seconds (a part of a second counts as one more);
    /// `Some(Duration::ZERO)` discards it and resets the connection (an RST, no `TIME_WAIT`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(SOL_SOCKET, SO_LINGER)` with a `struct linger` — 1; none on a closed socket
    /// or for a duration refused.
    ///
    #[doc = man_links!(setsockopt(2), socket(7))]
    ///
    /// # Errors
    /// `InvalidInput`, with no syscall, for more seconds than an `int` holds; a closed socket;
    /// the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// use std::time::Duration;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// assert_eq!(socket.linger()?, None);
    /// socket.set_linger(Some(Duration::from_millis(1500)))?;
    /// assert_eq!(socket.linger()?, Some(Duration::from_secs(2)));
    /// socket.set_linger(None)?;
    /// assert_eq!(socket.linger()?, None);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_linger(&self, linger: Option<Duration>) -> Result<()> {
        let seconds = linger.map(Duration::to_c).transpose().map_err(invalid(Op::SetSockOpt, SOL_SOCKET, SO_LINGER))?;
        set_with(self, SOL_SOCKET, SO_LINGER, |fd| sys::opt::set_linger(fd, seconds))
    }

    /// What `close` does with data not sent yet (`SO_LINGER`): `None` when it returns at once,
    /// `Some(d)` when it waits up to `d` (`Duration::ZERO`: it resets the connection).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(SOL_SOCKET, SO_LINGER)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(getsockopt(2), socket(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// use std::time::Duration;
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// socket.set_linger(Some(Duration::ZERO))?;
    /// assert_eq!(socket.linger()?, Some(Duration::ZERO));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn linger(&self) -> Result<Option<Duration>> {
        let fd = fd_of(self, Op::GetSockOpt)?;
        let seconds = sys::opt::linger(fd).map_err(Error::os(Op::GetSockOpt, &Target::Opt(SOL_SOCKET, SO_LINGER)))?;
        seconds.map(Duration::from_c).transpose().map_err(invalid(Op::GetSockOpt, SOL_SOCKET, SO_LINGER))
    }

    int_option!(
        usize, set_send_buffer_size, send_buffer_size, SOL_SOCKET, SO_SNDBUF, TYPED, [socket(7)],
        set: ["Asks for a send buffer of `bytes` (`SO_SNDBUF`). Linux doubles the value (the other half",
              "is its bookkeeping) and keeps it between a floor (4608) and twice `net.core.wmem_max`;",
              "a size beyond an `int` is asked as `i32::MAX`, which that cap then cuts."],
        get: ["The send buffer's size (`SO_SNDBUF`) as the kernel keeps it: on Linux twice what",
              "[`set_send_buffer_size`](SocketOptions::set_send_buffer_size) asked, within the floor and",
              "the cap (see there)."],
        errors: [],
        example: udp(IPv4) [
            "socket.set_send_buffer_size(64 * 1024)?;",
            "assert!(socket.send_buffer_size()? >= 64 * 1024); // 128 KiB on Linux",
        ],
    );

    int_option!(
        usize, set_recv_buffer_size, recv_buffer_size, SOL_SOCKET, SO_RCVBUF, TYPED, [socket(7)],
        set: ["Asks for a receive buffer of `bytes` (`SO_RCVBUF`). Linux doubles the value (the other",
              "half is its bookkeeping) and keeps it between a floor (2304) and twice",
              "`net.core.rmem_max`; a size beyond an `int` is asked as `i32::MAX`, which that cap then cuts."],
        get: ["The receive buffer's size (`SO_RCVBUF`) as the kernel keeps it: on Linux twice what",
              "[`set_recv_buffer_size`](SocketOptions::set_recv_buffer_size) asked, within the floor and",
              "the cap (see there)."],
        errors: [],
        example: udp(IPv6) [
            "socket.set_recv_buffer_size(64 * 1024)?;",
            "assert!(socket.recv_buffer_size()? >= 64 * 1024); // 128 KiB on Linux",
        ],
    );

    int_option!(
        bool, set_reuse_port, reuse_port, SOL_SOCKET, SO_REUSEPORT, TYPED, [socket(7)],
        set: ["Lets sockets of one user bind the same address and port, each with this on",
              "(`SO_REUSEPORT`): Linux spreads the connections or datagrams among them. Set it before",
              "`bind`."],
        get: ["Whether `SO_REUSEPORT` is on."],
        errors: [
            "`Unsupported` where the platform has no `SO_REUSEPORT`;",
        ],
        example: [
            "use chapel_socket::{bind, IPFamily, SocketOptions, UdpSocket};",
            "let (a, b) = (UdpSocket::new(IPFamily::IPv4)?, UdpSocket::new(IPFamily::IPv4)?);",
            "a.set_reuse_port(true)?;",
            "b.set_reuse_port(true)?;",
            "assert!(b.reuse_port()?);",
            "bind(&a, &\"127.0.0.1:0\".parse()?, false)?;",
            "bind(&b, &a.addr()?, false)?;",
        ],
    );

    int_option!(
        bool, set_broadcast, broadcast, SOL_SOCKET, SO_BROADCAST, TYPED, [socket(7)],
        set: ["Permits sending to broadcast addresses (`SO_BROADCAST`): a UDP socket's sends to",
              "`255.255.255.255` or a subnet's broadcast address are `EACCES` without it."],
        get: ["Whether sending to broadcast addresses is permitted (`SO_BROADCAST`)."],
        errors: [],
        example: udp(IPv4) [
            "socket.set_broadcast(true)?;",
            "assert!(socket.broadcast()?);",
        ],
    );

    int_option!(
        u32, set_ttl, ttl, IPPROTO_IP, IP_TTL, TYPED, [ip(7)],
        set: ["The TTL of the IPv4 packets the socket sends (`IP_TTL`), 1 to 255. On an IPv6 socket",
              "it is [`set_hop_limit_v6`](SocketOptions::set_hop_limit_v6) (Linux also takes this one",
              "there, for IPv4-mapped traffic)."],
        get: ["The TTL of the IPv4 packets the socket sends (`IP_TTL`): the system's default (64",
              "unless `net.ipv4.ip_default_ttl` says otherwise) until set."],
        errors: [
            "`InvalidInput`, with no syscall, for a value above `i32::MAX`;",
            "`EINVAL` from the kernel outside 1 to 255;",
        ],
        example: udp(IPv4) [
            "socket.set_ttl(5)?;",
            "assert_eq!(socket.ttl()?, 5);",
        ],
    );

    int_option!(
        u32, set_hop_limit_v6, hop_limit_v6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, TYPED, [ipv6(7)],
        set: ["The hop limit of the unicast IPv6 packets the socket sends (`IPV6_UNICAST_HOPS`), 1 to",
              "255; an IPv4 socket answers `ENOPROTOOPT`."],
        get: ["The hop limit of the unicast IPv6 packets the socket sends (`IPV6_UNICAST_HOPS`)."],
        errors: [
            "`InvalidInput`, with no syscall, for a value above `i32::MAX`;",
            "`EINVAL` from the kernel above 255;",
        ],
        example: udp(IPv6) [
            "socket.set_hop_limit_v6(7)?;",
            "assert_eq!(socket.hop_limit_v6()?, 7);",
        ],
    );

    int_option!(
        bool, set_only_v6, only_v6, IPPROTO_IPV6, IPV6_V6ONLY, TYPED, [ipv6(7)],
        set: ["Whether an IPv6 socket speaks only IPv6 (`IPV6_V6ONLY`), or IPv4 too through",
              "IPv4-mapped addresses (`::ffff:a.b.c.d`; Linux's default, `net.ipv6.bindv6only`). Set",
              "it before `bind`: a bound socket answers `EINVAL`."],
        get: ["Whether an IPv6 socket speaks only IPv6 (`IPV6_V6ONLY`)."],
        errors: [],
        example: udp(IPv6) [
            "socket.set_only_v6(true)?;",
            "assert!(socket.only_v6()?);",
        ],
    );

    /// Joins the IPv4 multicast group `group` on the interface that has address `interface`
    /// (`0.0.0.0`: the one the routing table picks for the group), as `IP_ADD_MEMBERSHIP`
    /// with a `struct ip_mreq`. Datagrams sent to the group reach the socket on its port.
    /// On Linux a socket bound to `0.0.0.0` also receives the groups its host joined for
    /// other sockets (`IP_MULTICAST_ALL`, on by default): bind to the group's address, or
    /// turn that off, to hear only your own.
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ip(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`: `EINVAL` for an address that is
    /// not multicast, `EADDRINUSE` when already joined there, `ENODEV` when no interface has
    /// `interface` (or no route leads to the group).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// use std::net::Ipv4Addr;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// let group = Ipv4Addr::new(239, 255, 1, 2);
    /// socket.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST)?;
    /// socket.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn join_multicast_v4(&self, group: &Ipv4Addr, interface: &Ipv4Addr) -> Result<()> {
        set_with(self, IPPROTO_IP, IP_ADD_MEMBERSHIP, |fd| sys::opt::set_membership_v4(fd, true, group, interface))
    }

    /// Leaves the IPv4 multicast group `group` joined on `interface` with
    /// [`join_multicast_v4`](SocketOptions::join_multicast_v4) (`IP_DROP_MEMBERSHIP`). Closing
    /// the socket leaves its groups too.
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ip(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`: `EADDRNOTAVAIL`
    /// (`AddrNotAvailable`) when the socket is not a member there.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// use std::io::ErrorKind;
    /// use std::net::Ipv4Addr;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// let err = socket.leave_multicast_v4(&Ipv4Addr::new(239, 255, 1, 2), &Ipv4Addr::LOCALHOST).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn leave_multicast_v4(&self, group: &Ipv4Addr, interface: &Ipv4Addr) -> Result<()> {
        set_with(self, IPPROTO_IP, IP_DROP_MEMBERSHIP, |fd| sys::opt::set_membership_v4(fd, false, group, interface))
    }

    /// Joins the IPv6 multicast group `group` on the interface of index `interface` (0: the
    /// one the routing table picks), as `IPV6_ADD_MEMBERSHIP` (`IPV6_JOIN_GROUP`) with a
    /// `struct ipv6_mreq`.
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ipv6(7), if_nametoindex(3))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`: `EINVAL` for an address that is
    /// not multicast, `EADDRINUSE` when already joined there, `ENODEV` for an index no
    /// interface has, `ENOPROTOOPT` on an IPv4 socket.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// let group = "ff15::1:2".parse()?;
    /// socket.join_multicast_v6(&group, 1)?; // index 1: the loopback interface on Linux
    /// socket.leave_multicast_v6(&group, 1)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn join_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> Result<()> {
        set_with(self, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, |fd| sys::opt::set_membership_v6(fd, true, group, interface))
    }

    /// Leaves the IPv6 multicast group `group` joined on interface `interface` with
    /// [`join_multicast_v6`](SocketOptions::join_multicast_v6) (`IPV6_DROP_MEMBERSHIP`).
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ipv6(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`: `EADDRNOTAVAIL`
    /// (`AddrNotAvailable`) when the socket is not a member there.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// use std::io::ErrorKind;
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// let err = socket.leave_multicast_v6(&"ff15::1:2".parse()?, 1).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn leave_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> Result<()> {
        set_with(self, IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, |fd| {
            sys::opt::set_membership_v6(fd, false, group, interface)
        })
    }

    int_option!(
        bool, set_multicast_loop_v4, multicast_loop_v4, IPPROTO_IP, IP_MULTICAST_LOOP, MULTICAST, [ip(7)],
        set: ["Whether IPv4 multicast the socket sends also reaches members on this host",
              "(`IP_MULTICAST_LOOP`; on by default)."],
        get: ["Whether IPv4 multicast the socket sends also reaches members on this host",
              "(`IP_MULTICAST_LOOP`)."],
        errors: [],
        example: udp(IPv4) [
            "assert!(socket.multicast_loop_v4()?);",
            "socket.set_multicast_loop_v4(false)?;",
            "assert!(!socket.multicast_loop_v4()?);",
        ],
    );

    int_option!(
        bool, set_multicast_loop_v6, multicast_loop_v6, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, MULTICAST, [ipv6(7)],
        set: ["Whether IPv6 multicast the socket sends also reaches members on this host",
              "(`IPV6_MULTICAST_LOOP`; on by default)."],
        get: ["Whether IPv6 multicast the socket sends also reaches members on this host",
              "(`IPV6_MULTICAST_LOOP`)."],
        errors: [],
        example: udp(IPv6) [
            "socket.set_multicast_loop_v6(false)?;",
            "assert!(!socket.multicast_loop_v6()?);",
        ],
    );

    int_option!(
        u32, set_multicast_ttl_v4, multicast_ttl_v4, IPPROTO_IP, IP_MULTICAST_TTL, MULTICAST, [ip(7)],
        set: ["The TTL of IPv4 multicast the socket sends (`IP_MULTICAST_TTL`), 0 to 255: 1 (the",
              "default) keeps it on the local network, 0 on this host."],
        get: ["The TTL of IPv4 multicast the socket sends (`IP_MULTICAST_TTL`)."],
        errors: [
            "`InvalidInput`, with no syscall, for a value above `i32::MAX`;",
            "`EINVAL` from the kernel above 255;",
        ],
        example: udp(IPv4) [
            "socket.set_multicast_ttl_v4(8)?;",
            "assert_eq!(socket.multicast_ttl_v4()?, 8);",
        ],
    );

    int_option!(
        u32, set_multicast_hop_limit_v6, multicast_hop_limit_v6, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, MULTICAST,
        [ipv6(7)],
        set: ["The hop limit of IPv6 multicast the socket sends (`IPV6_MULTICAST_HOPS`), 0 to 255 (1",
              "by default)."],
        get: ["The hop limit of IPv6 multicast the socket sends (`IPV6_MULTICAST_HOPS`)."],
        errors: [
            "`InvalidInput`, with no syscall, for a value above `i32::MAX`;",
            "`EINVAL` from the kernel above 255;",
        ],
        example: udp(IPv6) [
            "socket.set_multicast_hop_limit_v6(4)?;",
            "assert_eq!(socket.multicast_hop_limit_v6()?, 4);",
        ],
    );

    /// The interface IPv4 multicast leaves by: the one that has address `interface`
    /// (`IP_MULTICAST_IF` with a `struct in_addr`; `0.0.0.0`, the default, leaves the choice
    /// to the routing table).
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IP, IP_MULTICAST_IF)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ip(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt` (`EADDRNOTAVAIL` when no
    /// interface has that address).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// use std::net::Ipv4Addr;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// socket.set_multicast_if_v4(&Ipv4Addr::LOCALHOST)?;
    /// assert_eq!(socket.multicast_if_v4()?, Ipv4Addr::LOCALHOST);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_multicast_if_v4(&self, interface: &Ipv4Addr) -> Result<()> {
        set_with(self, IPPROTO_IP, IP_MULTICAST_IF, |fd| sys::opt::set_multicast_if_v4(fd, interface))
    }

    /// The address of the interface IPv4 multicast leaves by (`IP_MULTICAST_IF`);
    /// `0.0.0.0` when the routing table chooses.
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `getsockopt(IPPROTO_IP, IP_MULTICAST_IF)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(getsockopt(2), ip(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, SocketOptions, UdpSocket};
    /// use std::net::Ipv4Addr;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// assert_eq!(socket.multicast_if_v4()?, Ipv4Addr::UNSPECIFIED);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn multicast_if_v4(&self) -> Result<Ipv4Addr> {
        let fd = fd_of(self, Op::GetSockOpt)?;
        sys::opt::multicast_if_v4(fd).map_err(Error::os(Op::GetSockOpt, &Target::Opt(IPPROTO_IP, IP_MULTICAST_IF)))
    }

    int_option!(
        u32, set_multicast_if_v6, multicast_if_v6, IPPROTO_IPV6, IPV6_MULTICAST_IF, MULTICAST,
        [ipv6(7), if_nametoindex(3)],
        set: ["The interface IPv6 multicast leaves by, as its index (`IPV6_MULTICAST_IF`; 0, the",
              "default, leaves the choice to the routing table)."],
        get: ["The index of the interface IPv6 multicast leaves by (`IPV6_MULTICAST_IF`); 0 when the",
              "routing table chooses."],
        errors: [
            "`InvalidInput`, with no syscall, for an index above `i32::MAX`;",
            "`ENODEV` from the kernel for an index no interface has;",
        ],
        example: udp(IPv6) [
            "assert_eq!(socket.multicast_if_v6()?, 0);",
            "socket.set_multicast_if_v6(1)?; // the loopback interface on Linux",
            "assert_eq!(socket.multicast_if_v6()?, 1);",
        ],
    );
}

impl<S: AnySocket> SocketOptions for S {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_whole_seconds_rounded_up() {
        assert_eq!(Duration::ZERO.to_c(), Ok(0));
        assert_eq!(Duration::from_nanos(1).to_c(), Ok(1));
        assert_eq!(Duration::from_millis(1500).to_c(), Ok(2));
        assert_eq!(Duration::from_secs(c_int::MAX as u64).to_c(), Ok(c_int::MAX));
        assert!(Duration::from_secs(c_int::MAX as u64 + 1).to_c().is_err());
        assert!(Duration::MAX.to_c().is_err());
        assert_eq!(Duration::from_c(30), Ok(Duration::from_secs(30)));
        assert!(Duration::from_c(-1).is_err());
    }

    #[test]
    fn counts_and_sizes_fit_an_int() {
        assert_eq!(255u32.to_c(), Ok(255));
        assert!((c_int::MAX as u32 + 1).to_c().is_err());
        assert_eq!(usize::MAX.to_c(), Ok(c_int::MAX));
        assert!(u32::from_c(-1).is_err());
        assert!(usize::from_c(-1).is_err());
        assert_eq!(bool::from_c(2), Ok(true));
    }
}
