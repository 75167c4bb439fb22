//! [`IpOptions`]: the IP-level options (`IPPROTO_IP`, `IPPROTO_IPV6`) but multicast, for the
//! socket types that speak IP. The types name themselves in their own rooms
//! (`impl IpOptions for TcpConn {}` in `tcp/options.rs`, `UdpSocket`'s in `udp/options.rs`);
//! multicast is `UdpSocket`'s own (`udp/options.rs`). References: `setsockopt(2)`, `ip(7)`,
//! `ipv6(7)` (linked from the trait's page); the contract's section is
//! [typed socket options](crate::syscalls#typed-socket-options).

use super::value::{get_value, set_value};
use crate::consts::{IP_TOS, IP_TTL, IPPROTO_IP, IPPROTO_IPV6, IPV6_UNICAST_HOPS, IPV6_V6ONLY};

#[cfg(has_linux_sockopts)]
use crate::consts::IPV6_TCLASS;
#[cfg(not(has_linux_sockopts))]
const IPV6_TCLASS: crate::consts::c_int = super::value::MISSING;
use crate::error::Result;
use crate::socket::AnySocket;

/// The IP-level options (`IPPROTO_IP` for IPv4, `IPPROTO_IPV6` for IPv6) of the sockets that
/// speak IP: [`TcpSocket`](crate::TcpSocket), [`TcpListener`](crate::TcpListener),
/// [`TcpConn`](crate::TcpConn) and [`UdpSocket`](crate::UdpSocket). Each setter is one
/// `setsockopt` and each getter one `getsockopt`, and what a setter sets its getter reads
/// back. An `IPPROTO_IP` option applies to IPv4 sockets (Linux also takes it on IPv6 sockets,
/// for IPv4-mapped traffic), an `IPPROTO_IPV6` one to IPv6 sockets; elsewhere the kernel
/// answers with its error (`ENOPROTOOPT`), returned as is, naming the option.
///
/// Multicast is not here: it is [`UdpSocket`](crate::UdpSocket)'s own
/// ([`join_multicast_v4`](crate::UdpSocket::join_multicast_v4) and the rest).
///
/// Sealed: it needs [`AnySocket`], which no type outside the crate can implement.
///
/// Contract: [typed socket options](crate::syscalls#typed-socket-options).
///
#[doc = man_links!(setsockopt(2), getsockopt(2), ip(7), ipv6(7))]
///
/// ```
/// use chapel_socket::{connect, listen, IpOptions, INDEFINITE_TIMEOUT};
/// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
/// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
/// conn.set_ttl(32)?;
/// assert_eq!(conn.ttl()?, 32);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
///
/// A Unix-domain socket speaks no IP, so it has none of these:
///
/// ```compile_fail,E0599
/// use chapel_socket::{IpOptions, UnixStream};
/// let (a, _b) = UnixStream::pair()?;
/// a.set_ttl(5)?;
/// # Ok::<(), chapel_socket::Error>(())
/// ```
///
/// Nor can a type outside the crate have them:
///
/// ```compile_fail,E0277
/// struct Mine;
/// impl chapel_socket::IpOptions for Mine {}
/// ```
pub trait IpOptions: AnySocket + Sized {
    /// The TTL of the IPv4 packets the socket sends (`IP_TTL`), 1 to 255. On an IPv6 socket it
    /// is [`set_hop_limit_v6`](IpOptions::set_hop_limit_v6) (Linux also takes this one there,
    /// for IPv4-mapped traffic).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(IPPROTO_IP, IP_TTL)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `InvalidInput`, with no syscall, for a value above `i32::MAX`;
    /// `EINVAL` from the kernel outside 1 to 255; the kernel's other errors from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, IpOptions, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// socket.set_ttl(5)?;
    /// assert_eq!(socket.ttl()?, 5);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_ttl(&self, ttl: u32) -> Result<()> {
        set_value(self, IPPROTO_IP, IP_TTL, "IP_TTL", ttl)
    }

    /// The TTL of the IPv4 packets the socket sends (`IP_TTL`): the system's default (64
    /// unless `net.ipv4.ip_default_ttl` says otherwise) until set.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_IP, IP_TTL)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, IpOptions, TcpSocket};
    /// assert!(TcpSocket::new(IPFamily::IPv4)?.ttl()? > 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn ttl(&self) -> Result<u32> {
        get_value(self, IPPROTO_IP, IP_TTL, "IP_TTL")
    }

    /// The hop limit of the unicast IPv6 packets the socket sends (`IPV6_UNICAST_HOPS`), 1 to
    /// 255; an IPv4 socket answers `ENOPROTOOPT`.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `InvalidInput`, with no syscall, for a value above `i32::MAX`;
    /// `EINVAL` from the kernel above 255; `ENOPROTOOPT` from an IPv4 socket.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, IpOptions, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// socket.set_hop_limit_v6(7)?;
    /// assert_eq!(socket.hop_limit_v6()?, 7);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_hop_limit_v6(&self, hops: u32) -> Result<()> {
        set_value(self, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS", hops)
    }

    /// The hop limit of the unicast IPv6 packets the socket sends (`IPV6_UNICAST_HOPS`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt` (`ENOPROTOOPT` from an IPv4
    /// socket).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, IpOptions, TcpSocket};
    /// assert!(TcpSocket::new(IPFamily::IPv6)?.hop_limit_v6()? > 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn hop_limit_v6(&self) -> Result<u32> {
        get_value(self, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS")
    }

    /// Whether an IPv6 socket speaks only IPv6 (`IPV6_V6ONLY`), or IPv4 too through
    /// IPv4-mapped addresses (`::ffff:a.b.c.d`; Linux's default, `net.ipv6.bindv6only`). Set
    /// it before `bind`: a bound socket answers `EINVAL`.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(IPPROTO_IPV6, IPV6_V6ONLY)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt` (`EINVAL` once bound,
    /// `ENOPROTOOPT` from an IPv4 socket).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, IpOptions, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// socket.set_only_v6(true)?;
    /// assert!(socket.only_v6()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_only_v6(&self, only: bool) -> Result<()> {
        set_value(self, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", only)
    }

    /// Whether an IPv6 socket speaks only IPv6 (`IPV6_V6ONLY`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_IPV6, IPV6_V6ONLY)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt` (`ENOPROTOOPT` from an IPv4
    /// socket).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, IpOptions, TcpSocket};
    /// let socket = TcpSocket::new(IPFamily::IPv6)?;
    /// socket.set_only_v6(false)?;
    /// assert!(!socket.only_v6()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn only_v6(&self) -> Result<bool> {
        get_value(self, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY")
    }

    /// The type-of-service byte of the IPv4 packets the socket sends (`IP_TOS`): DSCP in the
    /// upper six bits, ECN in the lower two (which the kernel keeps for itself on TCP) —
    /// socket2's `set_tos`. On an IPv6 socket it is
    /// [`set_tclass_v6`](IpOptions::set_tclass_v6).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(IPPROTO_IP, IP_TOS)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `InvalidInput`, with no syscall, for a value above `i32::MAX`; the
    /// kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, IpOptions, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// socket.set_tos(0xb8)?; // DSCP EF
    /// assert_eq!(socket.tos()?, 0xb8);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_tos(&self, tos: u32) -> Result<()> {
        set_value(self, IPPROTO_IP, IP_TOS, "IP_TOS", tos)
    }

    /// The type-of-service byte of the IPv4 packets the socket sends (`IP_TOS`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_IP, IP_TOS)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, IpOptions, UdpSocket};
    /// assert_eq!(UdpSocket::new(IPFamily::IPv4)?.tos()?, 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn tos(&self) -> Result<u32> {
        get_value(self, IPPROTO_IP, IP_TOS, "IP_TOS")
    }

    /// The traffic class of the IPv6 packets the socket sends (`IPV6_TCLASS`): DSCP and ECN,
    /// as IPv4's TOS byte, 0 to 255 (-1 sets the kernel's default, 0) — socket2's
    /// `set_tclass_v6`; an IPv4 socket answers `ENOPROTOOPT`.
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `setsockopt(IPPROTO_IPV6, IPV6_TCLASS)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `InvalidInput`, with no syscall, for a value above `i32::MAX`;
    /// `Unsupported` where the platform has no `IPV6_TCLASS`; `EINVAL` from the kernel above
    /// 255; `ENOPROTOOPT` from an IPv4 socket.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, IpOptions, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// socket.set_tclass_v6(0x28)?;
    /// assert_eq!(socket.tclass_v6()?, 0x28);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn set_tclass_v6(&self, tclass: u32) -> Result<()> {
        set_value(self, IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS", tclass)
    }

    /// The traffic class of the IPv6 packets the socket sends (`IPV6_TCLASS`).
    ///
    /// Syscalls ([contract](crate::syscalls#typed-socket-options)):
    /// `getsockopt(IPPROTO_IPV6, IPV6_TCLASS)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; `Unsupported` where the platform has no `IPV6_TCLASS`; the kernel's
    /// error from `getsockopt` (`ENOPROTOOPT` from an IPv4 socket).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, IpOptions, TcpSocket};
    /// assert_eq!(TcpSocket::new(IPFamily::IPv6)?.tclass_v6()?, 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn tclass_v6(&self) -> Result<u32> {
        get_value(self, IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS")
    }
}
