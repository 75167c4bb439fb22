//! The C values of the typed options ([`SocketOptions`](crate::SocketOptions)) that are not
//! an `int`: `struct linger`, `struct ip_mreq`, `struct ipv6_mreq` and `struct in_addr`,
//! built from std types and read back into them here, so none of them leaves `sys`. Each
//! is written as its bytes (the layouts are checked at compile time below) and goes
//! through the plain-data `setsockopt` of `opt.rs`: no `unsafe` here.

use std::io;
use std::mem::{offset_of, size_of};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::BorrowedFd;

use super::opt::{INT, get_bytes, set_plain};
use crate::consts::c_int;

// The layouts the byte images below assume: two `int`s; two `in_addr`s (each the address's
// four octets, network order); an `in6_addr` (sixteen octets) and an `unsigned int`.
const _: () = assert!(size_of::<libc::linger>() == 2 * INT && offset_of!(libc::linger, l_linger) == INT);
const _: () = assert!(size_of::<libc::in_addr>() == 4);
const _: () = assert!(size_of::<libc::ip_mreq>() == 8 && offset_of!(libc::ip_mreq, imr_interface) == 4);
const _: () = assert!(size_of::<libc::ipv6_mreq>() == 20 && offset_of!(libc::ipv6_mreq, ipv6mr_interface) == 16);

/// `SO_LINGER` set to `seconds` (`l_onoff` 1), or off (`None`: `l_onoff` 0).
pub(crate) fn set_linger(fd: BorrowedFd<'_>, seconds: Option<c_int>) -> io::Result<()> {
    let (on, secs) = (c_int::from(seconds.is_some()), seconds.unwrap_or(0));
    let value = [on.to_ne_bytes(), secs.to_ne_bytes()].concat();
    set_plain(fd, libc::SOL_SOCKET, libc::SO_LINGER, &value)
}

/// `SO_LINGER`: `Some(seconds)` when on, `None` when off; a reply that is not a whole
/// `struct linger` is `EINVAL`.
pub(crate) fn linger(fd: BorrowedFd<'_>) -> io::Result<Option<c_int>> {
    let bytes = get_bytes(fd, libc::SOL_SOCKET, libc::SO_LINGER, size_of::<libc::linger>())?;
    let int = |at: usize| bytes.get(at..at + INT).and_then(|b| b.try_into().ok()).map(c_int::from_ne_bytes);
    match (bytes.len(), int(0), int(INT)) {
        (8, Some(on), Some(secs)) => Ok((on != 0).then_some(secs)),
        _ => Err(io::Error::from_raw_os_error(libc::EINVAL)),
    }
}

/// `IP_ADD_MEMBERSHIP` (`join`) or `IP_DROP_MEMBERSHIP` with a `struct ip_mreq`: `group` on
/// the interface that has address `interface` (`0.0.0.0`: the one the routing table picks).
pub(crate) fn set_membership_v4(
    fd: BorrowedFd<'_>,
    join: bool,
    group: &Ipv4Addr,
    interface: &Ipv4Addr,
) -> io::Result<()> {
    let name = if join { libc::IP_ADD_MEMBERSHIP } else { libc::IP_DROP_MEMBERSHIP };
    let mreq = [group.octets(), interface.octets()].concat();
    set_plain(fd, libc::IPPROTO_IP, name, &mreq)
}

/// `IPV6_ADD_MEMBERSHIP` (`join`) or `IPV6_DROP_MEMBERSHIP` with a `struct ipv6_mreq`:
/// `group` on the interface of index `interface` (0: the one the routing table picks).
pub(crate) fn set_membership_v6(fd: BorrowedFd<'_>, join: bool, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
    let name = if join { libc::IPV6_ADD_MEMBERSHIP } else { libc::IPV6_DROP_MEMBERSHIP };
    let mreq = [&group.octets()[..], &interface.to_ne_bytes()[..]].concat();
    set_plain(fd, libc::IPPROTO_IPV6, name, &mreq)
}

/// `IP_MULTICAST_IF` with a `struct in_addr`: multicast leaves by the interface that has
/// `interface` (`0.0.0.0`: the routing table's choice).
pub(crate) fn set_multicast_if_v4(fd: BorrowedFd<'_>, interface: &Ipv4Addr) -> io::Result<()> {
    set_plain(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_IF, &interface.octets())
}

/// `IP_MULTICAST_IF` read back as a `struct in_addr` (asked for exactly one, so Linux
/// answers with the address, not an `ip_mreqn`); any other reply is `EINVAL`.
pub(crate) fn multicast_if_v4(fd: BorrowedFd<'_>) -> io::Result<Ipv4Addr> {
    let bytes = get_bytes(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_IF, size_of::<libc::in_addr>())?;
    let octets: [u8; 4] = bytes.try_into().map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    Ok(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn values_round_trip_through_the_kernel() {
        let sock = crate::sys::socket::socket(crate::sys::Domain::Ipv4, crate::sys::SockType::Datagram, false).unwrap();
        let fd = sock.as_fd();
        assert_eq!(linger(fd).unwrap(), None);
        set_linger(fd, Some(7)).unwrap();
        assert_eq!(linger(fd).unwrap(), Some(7));
        set_linger(fd, Some(0)).unwrap();
        assert_eq!(linger(fd).unwrap(), Some(0));
        set_linger(fd, None).unwrap();
        assert_eq!(linger(fd).unwrap(), None);
        assert_eq!(multicast_if_v4(fd).unwrap(), Ipv4Addr::UNSPECIFIED);
        set_multicast_if_v4(fd, &Ipv4Addr::LOCALHOST).unwrap();
        assert_eq!(multicast_if_v4(fd).unwrap(), Ipv4Addr::LOCALHOST);
        let group = Ipv4Addr::new(239, 255, 0, 7);
        set_membership_v4(fd, true, &group, &Ipv4Addr::LOCALHOST).unwrap();
        set_membership_v4(fd, false, &group, &Ipv4Addr::LOCALHOST).unwrap();
        // Leaving again: no such membership.
        let err = set_membership_v4(fd, false, &group, &Ipv4Addr::LOCALHOST).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EADDRNOTAVAIL));
        // An IPv6 group on an IPv4 socket: the kernel has no such option at this level.
        let err = set_membership_v6(fd, true, &"ff15::7".parse().unwrap(), 1).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOPROTOOPT));
    }
}
