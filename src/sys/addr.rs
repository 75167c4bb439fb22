//! Conversion between `std::net::SocketAddr` and the kernel's `sockaddr_storage`, and the
//! interface-name lookup that IPv6 scope ids need.

use std::ffi::CString;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// A socket address in the kernel's layout, with the length that goes with it.
pub(super) struct RawAddr {
    pub(super) storage: libc::sockaddr_storage,
    pub(super) len: libc::socklen_t,
}

impl RawAddr {
    /// Room for any address the kernel may write back (accept, recvfrom, getsockname).
    pub(super) fn empty() -> Self {
        // SAFETY: `sockaddr_storage` is plain old data; all zeroes is a valid (AF_UNSPEC) value.
        let storage = unsafe { mem::zeroed() };
        RawAddr { storage, len: mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t }
    }

    pub(super) fn new(addr: &SocketAddr) -> Self {
        let mut raw = RawAddr::empty();
        match addr {
            SocketAddr::V4(a) => {
                // SAFETY: `sockaddr_storage` is larger than and aligned for `sockaddr_in`.
                let sin = unsafe { &mut *(&raw mut raw.storage).cast::<libc::sockaddr_in>() };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
                raw.len = mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            }
            SocketAddr::V6(a) => {
                // SAFETY: `sockaddr_storage` is larger than and aligned for `sockaddr_in6`.
                let sin6 = unsafe { &mut *(&raw mut raw.storage).cast::<libc::sockaddr_in6>() };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_flowinfo = a.flowinfo();
                sin6.sin6_addr.s6_addr = a.ip().octets();
                sin6.sin6_scope_id = a.scope_id();
                raw.len = mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            }
        }
        raw
    }

    pub(super) fn as_ptr(&self) -> *const libc::sockaddr {
        (&raw const self.storage).cast()
    }

    pub(super) fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        (&raw mut self.storage).cast()
    }

    /// The address the kernel wrote, or `None` for a family other than IPv4/IPv6 or a length
    /// too short for its family.
    pub(super) fn to_socket_addr(&self) -> Option<SocketAddr> {
        let len = self.len as usize;
        match self.storage.ss_family as libc::c_int {
            libc::AF_INET if len >= mem::size_of::<libc::sockaddr_in>() => {
                // SAFETY: the family and length say the kernel wrote a `sockaddr_in`.
                let sin = unsafe { &*(&raw const self.storage).cast::<libc::sockaddr_in>() };
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port))))
            }
            libc::AF_INET6 if len >= mem::size_of::<libc::sockaddr_in6>() => {
                // SAFETY: the family and length say the kernel wrote a `sockaddr_in6`.
                let sin6 = unsafe { &*(&raw const self.storage).cast::<libc::sockaddr_in6>() };
                let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
                let port = u16::from_be(sin6.sin6_port);
                Some(SocketAddr::V6(SocketAddrV6::new(ip, port, sin6.sin6_flowinfo, sin6.sin6_scope_id)))
            }
            _ => None,
        }
    }
}

/// The index of the network interface called `name` (`if_nametoindex(3)`), or `None` when
/// there is no such interface or the name holds a NUL byte.
pub fn interface_index(name: &str) -> Option<u32> {
    let name = CString::new(name).ok()?;
    // SAFETY: `name` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    (index != 0).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_both_families() {
        for text in ["127.0.0.1:80", "0.0.0.0:0", "255.255.255.255:65535", "[::1]:443", "[::ffff:1.2.3.4]:9"] {
            let addr: SocketAddr = text.parse().unwrap();
            assert_eq!(RawAddr::new(&addr).to_socket_addr(), Some(addr));
        }
        let scoped = SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 7, 0x12345, 3));
        assert_eq!(RawAddr::new(&scoped).to_socket_addr(), Some(scoped));
    }

    #[test]
    fn kernel_layout_is_network_order() {
        let raw = RawAddr::new(&"1.2.3.4:258".parse().unwrap());
        assert_eq!(raw.len as usize, mem::size_of::<libc::sockaddr_in>());
        // SAFETY: `raw` was just filled as a `sockaddr_in`.
        let sin = unsafe { &*(&raw const raw.storage).cast::<libc::sockaddr_in>() };
        assert_eq!(sin.sin_port.to_ne_bytes(), [1, 2]);
        assert_eq!(sin.sin_addr.s_addr.to_ne_bytes(), [1, 2, 3, 4]);
    }

    #[test]
    fn short_or_foreign_addresses_are_none() {
        let mut raw = RawAddr::new(&"[::1]:1".parse().unwrap());
        raw.len -= 1;
        assert_eq!(raw.to_socket_addr(), None);
        let mut raw = RawAddr::empty();
        raw.storage.ss_family = libc::AF_UNIX as libc::sa_family_t;
        assert_eq!(raw.to_socket_addr(), None);
        assert_eq!(RawAddr::empty().to_socket_addr(), None);
    }

    #[test]
    fn interface_names() {
        assert!(interface_index("lo").is_some());
        assert_eq!(interface_index("no-such-if0"), None);
        assert_eq!(interface_index("l\0o"), None);
    }
}
