//! C-level types and constants under their C names, and the Chapel-level constants built on
//! them. Values come from `libc`, so they are the target platform's own.

#![allow(non_camel_case_types)] // C's names, kept on purpose.

/// C `int`.
pub type c_int = libc::c_int;
/// C `socklen_t`: the length of a socket address or option.
pub type socklen_t = libc::socklen_t;
/// C `struct timeval`: the timeout type of the Chapel API (`{ tv_sec: -1, tv_usec: 0 }` means
/// "wait for ever"; any other negative value is a deadline already past).
///
/// ```
/// use chapel_socket::{struct_timeval, Timeout};
/// let four_seconds = struct_timeval { tv_sec: 4, tv_usec: 0 };
/// assert_eq!(Timeout::from(four_seconds).duration(), Some(std::time::Duration::from_secs(4)));
/// ```
pub type struct_timeval = libc::timeval;
/// C `in_addr_t`: an IPv4 address as a 32-bit number. The `INADDR_*` constants and
/// [`IpAddr::ipv4`](crate::IpAddr::ipv4) use host byte order, as C's headers do.
pub type sys_in_addr_t = libc::in_addr_t;
/// C `struct in6_addr`: an IPv6 address as 16 bytes in network order.
pub type sys_in6_addr_t = libc::in6_addr;

/// Chapel's `ipv4Addr`: a standard IPv4 address, the C `in_addr_t` (not `std::net::Ipv4Addr`,
/// which [`IpAddr`](crate::IpAddr) converts to and from through `SocketAddr`).
///
/// ```
/// let any: chapel_socket::Ipv4Addr = chapel_socket::IPV4_ANY;
/// assert_eq!(any, 0);
/// ```
pub type Ipv4Addr = sys_in_addr_t;
/// Chapel's `ipv6Addr`: a standard IPv6 address, the C `struct in6_addr`.
///
/// ```
/// let any: chapel_socket::Ipv6Addr = chapel_socket::IPV6_ANY;
/// assert_eq!(any.s6_addr, [0; 16]);
/// ```
pub type Ipv6Addr = sys_in6_addr_t;

/// `0.0.0.0`, every local IPv4 address (host byte order).
pub const INADDR_ANY: sys_in_addr_t = libc::INADDR_ANY;
/// `255.255.255.255`, the limited broadcast address (host byte order).
pub const INADDR_BROADCAST: sys_in_addr_t = libc::INADDR_BROADCAST;
/// `127.0.0.1` (host byte order).
pub const INADDR_LOOPBACK: sys_in_addr_t = libc::INADDR_LOOPBACK;
/// `::`, every local IPv6 address (C's `in6addr_any`).
pub const IN6ADDR_ANY: sys_in6_addr_t = libc::in6_addr { s6_addr: [0; 16] };
/// `::1` (C's `in6addr_loopback`).
pub const IN6ADDR_LOOPBACK: sys_in6_addr_t = {
    let mut s6_addr = [0; 16];
    s6_addr[15] = 1;
    libc::in6_addr { s6_addr }
};

/// The IPv4 address family.
pub const AF_INET: c_int = libc::AF_INET;
/// The IPv6 address family.
pub const AF_INET6: c_int = libc::AF_INET6;
/// The socket-level option level.
pub const SOL_SOCKET: c_int = libc::SOL_SOCKET;
/// The TCP option level.
pub const IPPROTO_TCP: c_int = libc::IPPROTO_TCP;
/// Turns Nagle's algorithm off when set to 1.
pub const TCP_NODELAY: c_int = libc::TCP_NODELAY;
/// Acknowledges at once instead of delaying ACKs when set to 1 (Linux).
#[cfg(has_tcp_quickack)]
pub const TCP_QUICKACK: c_int = libc::TCP_QUICKACK;
/// The IPv6 option level.
pub const IPPROTO_IPV6: c_int = libc::IPPROTO_IPV6;
/// An IPv6 socket takes IPv6 only when set to 1; at 0 it also takes IPv4 as mapped addresses
/// (`::ffff:a.b.c.d`). Set it before `bind` (on a [`TcpSocket`](crate::TcpSocket)).
pub const IPV6_V6ONLY: c_int = libc::IPV6_V6ONLY;
/// Lets several sockets bind the same address and port (each set it before `bind`); the
/// kernel spreads incoming connections or datagrams over them.
#[cfg(has_so_reuseport)]
pub const SO_REUSEPORT: c_int = libc::SO_REUSEPORT;
/// The system's cap on a listen backlog.
pub const SOMAXCONN: c_int = libc::SOMAXCONN;

/// Whether the socket is listening (read only).
pub const SO_ACCEPTCONN: c_int = libc::SO_ACCEPTCONN;
/// Permits sending to broadcast addresses.
pub const SO_BROADCAST: c_int = libc::SO_BROADCAST;
/// Turns on protocol debugging.
pub const SO_DEBUG: c_int = libc::SO_DEBUG;
/// The pending socket error, cleared when read (read only).
pub const SO_ERROR: c_int = libc::SO_ERROR;
/// Sends keep-alive probes on an idle connection.
pub const SO_KEEPALIVE: c_int = libc::SO_KEEPALIVE;
/// How `close` treats unsent data (a `struct linger`, set as bytes).
pub const SO_LINGER: c_int = libc::SO_LINGER;
/// Delivers out-of-band data in line.
pub const SO_OOBINLINE: c_int = libc::SO_OOBINLINE;
/// The receive buffer's size.
pub const SO_RCVBUF: c_int = libc::SO_RCVBUF;
/// The receive timeout (a `struct_timeval`, set as bytes). This crate's calls take a timeout
/// each, so they never need it.
pub const SO_RCVTIMEO: c_int = libc::SO_RCVTIMEO;
/// Allows binding to an address still in `TIME_WAIT`.
pub const SO_REUSEADDR: c_int = libc::SO_REUSEADDR;
/// The send buffer's size.
pub const SO_SNDBUF: c_int = libc::SO_SNDBUF;
/// The send timeout (a `struct_timeval`, set as bytes).
pub const SO_SNDTIMEO: c_int = libc::SO_SNDTIMEO;
/// z/OS's security-information option; present only where the platform's headers define it
/// (detected by `build.rs`), so on Linux it does not exist.
#[cfg(has_so_secinfo)]
pub const SO_SECINFO: c_int = {
    match i64::from_str_radix(env!("CHAPEL_SO_SECINFO"), 10) {
        Ok(v) => v as c_int,
        Err(_) => panic!("build.rs passed a non-numeric SO_SECINFO"),
    }
};

/// Chapel's `IPv4Any`: `0.0.0.0`.
pub const IPV4_ANY: Ipv4Addr = INADDR_ANY;
/// Chapel's `IPv4Broadcast`: `255.255.255.255`.
pub const IPV4_BROADCAST: Ipv4Addr = INADDR_BROADCAST;
/// Chapel's `IPv6Any`: `::`.
pub const IPV6_ANY: Ipv6Addr = IN6ADDR_ANY;

/// Chapel's `indefiniteTimeout`: `{ tv_sec: -1, tv_usec: 0 }`, wait for ever (the only
/// `struct_timeval` that does).
///
/// ```
/// use chapel_socket::{Timeout, INDEFINITE_TIMEOUT};
/// assert!(Timeout::from(INDEFINITE_TIMEOUT).is_indefinite());
/// ```
pub const INDEFINITE_TIMEOUT: struct_timeval = struct_timeval { tv_sec: -1, tv_usec: 0 };

/// Chapel's `backlogDefault`: `min(SOMAXCONN, 128)`.
pub const BACKLOG_DEFAULT: u16 = if SOMAXCONN <= 128 { SOMAXCONN as u16 } else { 128 };

// Beyond Chapel: the option levels and names behind the typed options (`SocketOptions`,
// `IpOptions`, `TcpOptions`, `UdpSocket`'s multicast), for `set_sock_opt` / `get_sock_opt`
// without libc.

/// The IPv4 option level.
pub const IPPROTO_IP: c_int = libc::IPPROTO_IP;
/// The UDP option level.
pub const IPPROTO_UDP: c_int = libc::IPPROTO_UDP;
/// The TTL of the IPv4 packets a socket sends.
pub const IP_TTL: c_int = libc::IP_TTL;
/// The TOS byte of the IPv4 packets a socket sends.
pub const IP_TOS: c_int = libc::IP_TOS;
/// The interface IPv4 multicast leaves by (a `struct in_addr`, set as bytes).
pub const IP_MULTICAST_IF: c_int = libc::IP_MULTICAST_IF;
/// The TTL of IPv4 multicast a socket sends (1 by default: the local network).
pub const IP_MULTICAST_TTL: c_int = libc::IP_MULTICAST_TTL;
/// Whether IPv4 multicast a socket sends comes back to this host's members (1 by default).
pub const IP_MULTICAST_LOOP: c_int = libc::IP_MULTICAST_LOOP;
/// Joins an IPv4 multicast group (a `struct ip_mreq`, set as bytes).
pub const IP_ADD_MEMBERSHIP: c_int = libc::IP_ADD_MEMBERSHIP;
/// Leaves an IPv4 multicast group (a `struct ip_mreq`, set as bytes).
pub const IP_DROP_MEMBERSHIP: c_int = libc::IP_DROP_MEMBERSHIP;
/// The hop limit of the unicast IPv6 packets a socket sends.
pub const IPV6_UNICAST_HOPS: c_int = libc::IPV6_UNICAST_HOPS;
/// The index of the interface IPv6 multicast leaves by (0: the routing table's choice).
pub const IPV6_MULTICAST_IF: c_int = libc::IPV6_MULTICAST_IF;
/// The hop limit of IPv6 multicast a socket sends (1 by default).
pub const IPV6_MULTICAST_HOPS: c_int = libc::IPV6_MULTICAST_HOPS;
/// Whether IPv6 multicast a socket sends comes back to this host's members (1 by default).
pub const IPV6_MULTICAST_LOOP: c_int = libc::IPV6_MULTICAST_LOOP;
/// Joins an IPv6 multicast group (a `struct ipv6_mreq`, set as bytes; `IPV6_JOIN_GROUP`).
pub const IPV6_ADD_MEMBERSHIP: c_int = libc::IPV6_ADD_MEMBERSHIP;
/// Leaves an IPv6 multicast group (a `struct ipv6_mreq`, set as bytes; `IPV6_LEAVE_GROUP`).
pub const IPV6_DROP_MEMBERSHIP: c_int = libc::IPV6_DROP_MEMBERSHIP;
/// The traffic class (DSCP and ECN) of the IPv6 packets a socket sends (Linux).
#[cfg(has_linux_sockopts)]
pub const IPV6_TCLASS: c_int = libc::IPV6_TCLASS;
/// The largest segment a TCP connection sends (the MSS), in bytes.
pub const TCP_MAXSEG: c_int = libc::TCP_MAXSEG;
/// Holds back partial TCP segments until uncorked (Linux).
#[cfg(has_linux_sockopts)]
pub const TCP_CORK: c_int = libc::TCP_CORK;
/// How long sent data may stay unacknowledged before the connection is dropped, in
/// milliseconds (Linux).
#[cfg(has_linux_sockopts)]
pub const TCP_USER_TIMEOUT: c_int = libc::TCP_USER_TIMEOUT;
/// Receives the sender's credentials with each message on a Unix socket (Linux).
#[cfg(has_so_peercred)]
pub const SO_PASSCRED: c_int = libc::SO_PASSCRED;
/// How long a connection idles before the first keep-alive probe, in seconds.
#[cfg(has_tcp_keepidle)]
pub const TCP_KEEPIDLE: c_int = libc::TCP_KEEPIDLE;
/// The time between keep-alive probes, in seconds.
#[cfg(has_tcp_keepidle)]
pub const TCP_KEEPINTVL: c_int = libc::TCP_KEEPINTVL;
/// How many unanswered keep-alive probes end the connection.
#[cfg(has_tcp_keepidle)]
pub const TCP_KEEPCNT: c_int = libc::TCP_KEEPCNT;

/// The errno of a refused connection, as [`Error::raw_os_error`](crate::Error::raw_os_error)
/// reports it.
pub const ECONNREFUSED: c_int = libc::ECONNREFUSED;
/// The errno of an argument the kernel refused (an option's value out of its range…).
pub const EINVAL: c_int = libc::EINVAL;
/// The errno of an option this socket's protocol does not have (an IPv6 option on an IPv4
/// socket, a TCP option on a UDP socket…); `std` has no [`ErrorKind`](std::io::ErrorKind)
/// for it.
pub const ENOPROTOOPT: c_int = libc::ENOPROTOOPT;
/// The errno of an operation this kind of socket does not support (a TCP option on a Unix
/// socket…).
pub const EOPNOTSUPP: c_int = libc::EOPNOTSUPP;
