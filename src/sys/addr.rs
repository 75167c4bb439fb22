//! Socket addresses in the kernel's layout: exact-size C values built from `SocketAddr` for the
//! calls that take an address, one helper for every call that returns one, and the
//! interface-name lookup that IPv6 scope ids need.

use std::ffi::CString;
use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Every address layout the crate speaks, overlaid: `sockaddr_in` (16 bytes) and
/// `sockaddr_in6` (28). An address going in fills one member from a struct literal and passes
/// that member's size; one coming out has room for the largest, and the kernel's length and
/// family say which member it wrote. A new family is a new member here.
#[repr(C)]
#[derive(Clone, Copy)]
pub(super) union SockAddr {
    v4: libc::sockaddr_in,
    v6: libc::sockaddr_in6,
}

/// An address to hand to the kernel, with its exact length.
pub(super) struct RawAddr {
    addr: SockAddr,
    len: libc::socklen_t,
}

/// `size_of::<T>()` as a `socklen_t` (every sockaddr is a few dozen bytes).
const fn socklen<T>() -> libc::socklen_t {
    mem::size_of::<T>() as libc::socklen_t
}

impl RawAddr {
    pub(super) fn new(addr: &SocketAddr) -> RawAddr {
        match addr {
            SocketAddr::V4(a) => {
                let v4 = libc::sockaddr_in {
                    #[cfg(has_sin_len)]
                    sin_len: socklen::<libc::sockaddr_in>() as u8,
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) },
                    sin_zero: [0; 8],
                };
                RawAddr { addr: SockAddr { v4 }, len: socklen::<libc::sockaddr_in>() }
            }
            SocketAddr::V6(a) => {
                let v6 = libc::sockaddr_in6 {
                    #[cfg(has_sin_len)]
                    sin6_len: socklen::<libc::sockaddr_in6>() as u8,
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
                    sin6_scope_id: a.scope_id(),
                };
                RawAddr { addr: SockAddr { v6 }, len: socklen::<libc::sockaddr_in6>() }
            }
        }
    }

    pub(super) fn as_ptr(&self) -> *const libc::sockaddr {
        (&raw const self.addr).cast()
    }

    pub(super) fn len(&self) -> libc::socklen_t {
        self.len
    }
}

/// Runs `call` — a syscall that writes an address and its length through the two pointers
/// (`accept4`, `recvfrom`, `getsockname`, `getpeername`, `getaddrinfo`'s copy) — with room
/// for any address, then reads back what it wrote. The address is `None` when the kernel gave
/// none or one of another family.
pub(super) fn returning_addr<T>(
    call: impl FnOnce(*mut libc::sockaddr, *mut libc::socklen_t) -> io::Result<T>,
) -> io::Result<(T, Option<SocketAddr>)> {
    // SAFETY: the union holds only C structs of integers, for which all zeroes is valid.
    let mut addr: SockAddr = unsafe { mem::zeroed() };
    let mut len = socklen::<SockAddr>();
    let value = call((&raw mut addr).cast(), &mut len)?;
    Ok((value, to_socket_addr(&addr, len)))
}

/// The address the kernel wrote in `addr`, `len` bytes of it.
pub(super) fn to_socket_addr(addr: &SockAddr, len: libc::socklen_t) -> Option<SocketAddr> {
    // SAFETY: every member starts with its family field at the same offset (the C ABI's
    // common initial sequence), and the union was zeroed, so reading it is defined.
    let family = libc::c_int::from(unsafe { addr.v4.sin_family });
    match family {
        libc::AF_INET if len >= socklen::<libc::sockaddr_in>() => {
            // SAFETY: the family and length say the kernel wrote a `sockaddr_in`.
            let sin = unsafe { addr.v4 };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port))))
        }
        libc::AF_INET6 if len >= socklen::<libc::sockaddr_in6>() => {
            // SAFETY: the family and length say the kernel wrote a `sockaddr_in6`.
            let sin6 = unsafe { addr.v6 };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            let port = u16::from_be(sin6.sin6_port);
            Some(SocketAddr::V6(SocketAddrV6::new(ip, port, sin6.sin6_flowinfo, sin6.sin6_scope_id)))
        }
        _ => None,
    }
}

/// The index of the network interface called `name` (`if_nametoindex(3)`), or `None` when
/// there is no such interface or the name holds a NUL byte.
pub(crate) fn interface_index(name: &str) -> Option<u32> {
    let name = CString::new(name).ok()?;
    // SAFETY: `name` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    (index != 0).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the kernel would read from `RawAddr::new(addr)`, read back the way it writes.
    fn round_trip(addr: &SocketAddr) -> Option<SocketAddr> {
        let raw = RawAddr::new(addr);
        to_socket_addr(&raw.addr, raw.len)
    }

    #[test]
    fn round_trips_both_families() {
        for text in ["127.0.0.1:80", "0.0.0.0:0", "255.255.255.255:65535", "[::1]:443", "[::ffff:1.2.3.4]:9"] {
            let addr: SocketAddr = text.parse().unwrap();
            assert_eq!(round_trip(&addr), Some(addr));
        }
        let scoped = SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 7, 0x12345, 3));
        assert_eq!(round_trip(&scoped), Some(scoped));
    }

    #[test]
    fn lengths_are_exact_and_layout_is_network_order() {
        let raw = RawAddr::new(&"1.2.3.4:258".parse().unwrap());
        assert_eq!(raw.len() as usize, mem::size_of::<libc::sockaddr_in>());
        // SAFETY: `raw` was just built as a `sockaddr_in`.
        let sin = unsafe { raw.addr.v4 };
        assert_eq!(sin.sin_port.to_ne_bytes(), [1, 2]);
        assert_eq!(sin.sin_addr.s_addr.to_ne_bytes(), [1, 2, 3, 4]);
        assert_eq!(RawAddr::new(&"[::1]:1".parse().unwrap()).len() as usize, mem::size_of::<libc::sockaddr_in6>());
    }

    #[test]
    fn short_or_foreign_addresses_are_none() {
        let raw = RawAddr::new(&"[::1]:1".parse().unwrap());
        assert_eq!(to_socket_addr(&raw.addr, raw.len - 1), None);
        let (_, none) = returning_addr(|_, _| Ok(())).unwrap();
        assert_eq!(none, None);
        let (_, unix) = returning_addr(|addr, len| {
            // SAFETY: `addr` has room for a family field; `len` is live.
            unsafe {
                (*addr).sa_family = libc::AF_UNIX as libc::sa_family_t;
                *len = 2;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(unix, None);
    }

    #[test]
    fn interface_names() {
        let lo = (1..64).find_map(|i| {
            let mut name = [0 as libc::c_char; libc::IF_NAMESIZE];
            // SAFETY: `name` has IF_NAMESIZE bytes, as if_indextoname requires.
            let found = unsafe { libc::if_indextoname(i, name.as_mut_ptr()) };
            (!found.is_null()).then(|| {
                // SAFETY: if_indextoname wrote a NUL-terminated name into `name`.
                unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }.to_string_lossy().into_owned()
            })
        });
        let lo = lo.expect("at least one interface");
        assert!(interface_index(&lo).is_some());
        assert_eq!(interface_index("no-such-if0"), None);
        assert_eq!(interface_index("l\0o"), None);
    }
}
