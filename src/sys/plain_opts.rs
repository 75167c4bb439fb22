//! Which socket options take plain data: the allowlist behind the safe `set_sock_opt`'s
//! bytes and null values. An option whose value may hold a pointer the kernel reads or writes
//! through (`IPT_SO_SET_REPLACE`'s counters, `SO_ATTACH_FILTER`'s program, `XDP_UMEM_REG`'s
//! area) is not on it: only the unsafe `set_sock_opt_unchecked` sets those.

use std::mem::size_of;

use crate::consts::c_int;

/// An option whose value is plain data, with the lengths its value may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PlainOption {
    /// The option's C name, for messages.
    pub(crate) name: &'static str,
    /// The level (`SOL_SOCKET`, `IPPROTO_IP`…).
    pub(crate) level: c_int,
    /// The option number.
    pub(crate) option: c_int,
    /// The shortest value the option takes, in bytes.
    pub(crate) min: usize,
    /// The longest value the option takes, in bytes.
    pub(crate) max: usize,
}

impl PlainOption {
    /// Whether a value of `len` bytes fits the option.
    pub(crate) fn fits(&self, len: usize) -> bool {
        (self.min..=self.max).contains(&len)
    }
}

/// `struct ip_mreqn`: two `struct in_addr` and an interface index.
/// The size of an `int` option.
pub(super) const INT: usize = size_of::<c_int>();
const IP_MREQN: usize = 2 * size_of::<libc::in_addr>() + INT;
/// The kernel's `TCP_CA_NAME_MAX`: a congestion control's name, its NUL included.
#[cfg(has_linux_sockopts)]
const TCP_CA_NAME_MAX: usize = 16;

/// One allowlist entry: `int` (exactly an `int`), `byte_or_int` (an IPv4 `int` option, which
/// the kernel also takes as one byte), `sized T` (exactly a `T`), or `min, max` bytes.
macro_rules! plain {
    ($level:ident, $name:ident, int) => {
        plain!($level, $name, INT, INT)
    };
    ($level:ident, $name:ident, byte_or_int) => {
        plain!($level, $name, 1, INT)
    };
    ($level:ident, $name:ident, sized $t:ty) => {
        plain!($level, $name, size_of::<$t>(), size_of::<$t>())
    };
    ($level:ident, $name:ident, $min:expr, $max:expr) => {
        PlainOption { name: stringify!($name), level: libc::$level, option: libc::$name, min: $min, max: $max }
    };
}

/// The plain-data options every platform has.
const PORTABLE: &[PlainOption] = &[
    plain!(SOL_SOCKET, SO_DEBUG, int),
    plain!(SOL_SOCKET, SO_REUSEADDR, int),
    plain!(SOL_SOCKET, SO_KEEPALIVE, int),
    plain!(SOL_SOCKET, SO_DONTROUTE, int),
    plain!(SOL_SOCKET, SO_BROADCAST, int),
    plain!(SOL_SOCKET, SO_SNDBUF, int),
    plain!(SOL_SOCKET, SO_RCVBUF, int),
    plain!(SOL_SOCKET, SO_OOBINLINE, int),
    plain!(SOL_SOCKET, SO_RCVLOWAT, int),
    plain!(SOL_SOCKET, SO_SNDLOWAT, int),
    plain!(SOL_SOCKET, SO_LINGER, sized libc::linger),
    plain!(SOL_SOCKET, SO_RCVTIMEO, sized libc::timeval),
    plain!(SOL_SOCKET, SO_SNDTIMEO, sized libc::timeval),
    plain!(IPPROTO_IP, IP_TOS, byte_or_int),
    plain!(IPPROTO_IP, IP_TTL, byte_or_int),
    plain!(IPPROTO_IP, IP_HDRINCL, byte_or_int),
    plain!(IPPROTO_IP, IP_MULTICAST_TTL, byte_or_int),
    plain!(IPPROTO_IP, IP_MULTICAST_LOOP, byte_or_int),
    plain!(IPPROTO_IP, IP_OPTIONS, 0, 40),
    plain!(IPPROTO_IP, IP_MULTICAST_IF, size_of::<libc::in_addr>(), IP_MREQN),
    plain!(IPPROTO_IP, IP_ADD_MEMBERSHIP, size_of::<libc::ip_mreq>(), IP_MREQN),
    plain!(IPPROTO_IP, IP_DROP_MEMBERSHIP, size_of::<libc::ip_mreq>(), IP_MREQN),
    plain!(IPPROTO_IPV6, IPV6_V6ONLY, int),
    plain!(IPPROTO_IPV6, IPV6_UNICAST_HOPS, int),
    plain!(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, int),
    plain!(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, int),
    plain!(IPPROTO_IPV6, IPV6_MULTICAST_IF, int),
    plain!(IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, sized libc::ipv6_mreq),
    plain!(IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, sized libc::ipv6_mreq),
    plain!(IPPROTO_TCP, TCP_NODELAY, int),
    plain!(IPPROTO_TCP, TCP_MAXSEG, int),
];

/// The plain-data options of Linux (their values are Linux's own).
#[cfg(has_linux_sockopts)]
const LINUX: &[PlainOption] = &[
    plain!(SOL_SOCKET, SO_REUSEPORT, int),
    plain!(SOL_SOCKET, SO_PRIORITY, int),
    plain!(SOL_SOCKET, SO_NO_CHECK, int),
    plain!(SOL_SOCKET, SO_PASSCRED, int),
    plain!(SOL_SOCKET, SO_TIMESTAMP, int),
    plain!(SOL_SOCKET, SO_TIMESTAMPNS, int),
    plain!(SOL_SOCKET, SO_MARK, int),
    plain!(SOL_SOCKET, SO_RXQ_OVFL, int),
    plain!(SOL_SOCKET, SO_PEEK_OFF, int),
    plain!(SOL_SOCKET, SO_BUSY_POLL, int),
    plain!(SOL_SOCKET, SO_INCOMING_CPU, int),
    plain!(SOL_SOCKET, SO_ZEROCOPY, int),
    plain!(SOL_SOCKET, SO_SNDBUFFORCE, int),
    plain!(SOL_SOCKET, SO_RCVBUFFORCE, int),
    plain!(SOL_SOCKET, SO_BINDTODEVICE, 0, libc::IFNAMSIZ),
    plain!(IPPROTO_IP, IP_RECVTOS, byte_or_int),
    plain!(IPPROTO_IP, IP_RECVTTL, byte_or_int),
    plain!(IPPROTO_IP, IP_PKTINFO, byte_or_int),
    plain!(IPPROTO_IP, IP_RECVERR, byte_or_int),
    plain!(IPPROTO_IP, IP_MTU_DISCOVER, byte_or_int),
    plain!(IPPROTO_IP, IP_FREEBIND, byte_or_int),
    plain!(IPPROTO_IP, IP_TRANSPARENT, byte_or_int),
    plain!(IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, byte_or_int),
    plain!(IPPROTO_IP, IP_RECVORIGDSTADDR, byte_or_int),
    plain!(IPPROTO_IP, IP_MINTTL, byte_or_int),
    plain!(IPPROTO_IP, IP_MULTICAST_ALL, byte_or_int),
    plain!(IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, sized libc::ip_mreq_source),
    plain!(IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP, sized libc::ip_mreq_source),
    plain!(IPPROTO_IP, IP_BLOCK_SOURCE, sized libc::ip_mreq_source),
    plain!(IPPROTO_IP, IP_UNBLOCK_SOURCE, sized libc::ip_mreq_source),
    plain!(IPPROTO_IPV6, IPV6_RECVPKTINFO, int),
    plain!(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, int),
    plain!(IPPROTO_IPV6, IPV6_RECVTCLASS, int),
    plain!(IPPROTO_IPV6, IPV6_TCLASS, int),
    plain!(IPPROTO_IPV6, IPV6_MTU_DISCOVER, int),
    plain!(IPPROTO_IPV6, IPV6_MTU, int),
    plain!(IPPROTO_IPV6, IPV6_RECVERR, int),
    plain!(IPPROTO_IPV6, IPV6_DONTFRAG, int),
    plain!(IPPROTO_IPV6, IPV6_TRANSPARENT, int),
    plain!(IPPROTO_IPV6, IPV6_MULTICAST_ALL, int),
    plain!(IPPROTO_IPV6, IPV6_PKTINFO, sized libc::in6_pktinfo),
    plain!(IPPROTO_TCP, TCP_CORK, int),
    plain!(IPPROTO_TCP, TCP_KEEPIDLE, int),
    plain!(IPPROTO_TCP, TCP_KEEPINTVL, int),
    plain!(IPPROTO_TCP, TCP_KEEPCNT, int),
    plain!(IPPROTO_TCP, TCP_SYNCNT, int),
    plain!(IPPROTO_TCP, TCP_LINGER2, int),
    plain!(IPPROTO_TCP, TCP_DEFER_ACCEPT, int),
    plain!(IPPROTO_TCP, TCP_WINDOW_CLAMP, int),
    plain!(IPPROTO_TCP, TCP_QUICKACK, int),
    plain!(IPPROTO_TCP, TCP_USER_TIMEOUT, int),
    plain!(IPPROTO_TCP, TCP_FASTOPEN, int),
    plain!(IPPROTO_TCP, TCP_FASTOPEN_CONNECT, int),
    plain!(IPPROTO_TCP, TCP_NOTSENT_LOWAT, int),
    plain!(IPPROTO_TCP, TCP_CONGESTION, 0, TCP_CA_NAME_MAX),
    plain!(IPPROTO_UDP, UDP_CORK, int),
    plain!(IPPROTO_UDP, UDP_SEGMENT, int),
    plain!(IPPROTO_UDP, UDP_GRO, int),
];
#[cfg(not(has_linux_sockopts))]
const LINUX: &[PlainOption] = &[];

/// The allowlist entry of option (`level`, `option`), if its value is plain data: bytes the
/// kernel copies in and never follows as a pointer (no pointer is read out of them, none is
/// kept). Only these options take bytes, or a null value of length 0, through the safe API.
pub(crate) fn plain(level: c_int, option: c_int) -> Option<PlainOption> {
    PORTABLE.iter().chain(LINUX).find(|p| p.level == level && p.option == option).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowlist_is_consistent_and_documented() {
        let doc = include_str!("../options/raw.rs");
        let all: Vec<PlainOption> = PORTABLE.iter().chain(LINUX).copied().collect();
        for (i, p) in all.iter().enumerate() {
            assert!(p.min <= p.max && p.max <= 40, "{p:?}");
            assert!(!all[..i].iter().any(|q| (q.level, q.option) == (p.level, p.option)), "{p:?} twice");
            assert!(doc.contains(&format!("`{}`", p.name)), "{} is missing from set_sock_opt's table", p.name);
        }
    }
}
