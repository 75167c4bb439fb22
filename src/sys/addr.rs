//! Socket addresses in the kernel's layout: exact-size C values built from `SocketAddr` or
//! [`UnixName`] for the calls that take an address, one helper for every call that returns
//! one, and the interface-name lookup that IPv6 scope ids need.

use std::ffi::CString;
use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Every address layout the crate speaks, overlaid: `sockaddr_in` (16 bytes), `sockaddr_in6`
/// (28) and `sockaddr_un` (110 on Linux). An address going in fills one member from a struct literal and passes
/// that member's size; one coming out has room for the largest, and the kernel's length and
/// family say which member it wrote. A new family is a new member here.
#[repr(C)]
#[derive(Clone, Copy)]
pub(super) union SockAddr {
    v4: libc::sockaddr_in,
    v6: libc::sockaddr_in6,
    un: libc::sockaddr_un,
    /// A byte past a whole `sockaddr_un`, as a member's, so it keeps the zero a Unix address
    /// starts with (bytes no member covers may be lost on a copy): a path that fills
    /// `sun_path` has no NUL of its own, and tools that read `sun_path` as a C string
    /// (valgrind checks a `bind`'s or `sendto`'s address so) stop there.
    zeroes: [u8; mem::size_of::<libc::sockaddr_un>() + 1],
}

/// An address to hand to the kernel, with its exact length.
pub(crate) struct RawAddr {
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
            SocketAddr::V4(a) => RawAddr { addr: SockAddr { v4: sockaddr_in(a) }, len: socklen::<libc::sockaddr_in>() },
            SocketAddr::V6(a) => {
                RawAddr { addr: SockAddr { v6: sockaddr_in6(a) }, len: socklen::<libc::sockaddr_in6>() }
            }
        }
    }

    /// A Unix-domain address: the family, then the name — a path with its terminating NUL, an
    /// abstract name after its leading NUL byte, or nothing for an unnamed socket — and the
    /// length that covers exactly that.
    pub(super) fn unix(name: &UnixName) -> io::Result<RawAddr> {
        // SAFETY: `sockaddr_un` is a C struct of integers, for which all zeroes is valid.
        let mut un: libc::sockaddr_un = unsafe { mem::zeroed() };
        un.sun_family = libc::AF_UNIX as libc::sa_family_t;
        // A path that fills `sun_path` goes without its NUL, as Linux takes it.
        let (skip, bytes, nul) = match name {
            UnixName::Unnamed => (0, &[][..], 0),
            UnixName::Path(path) => (0, &path[..], usize::from(path.len() < un.sun_path.len())),
            UnixName::Abstract(name) => (1, &name[..], 0),
        };
        // `UnixName::check` refused these already; this is the boundary's own guarantee.
        let bad_path = matches!(name, UnixName::Path(p) if p.is_empty() || p.contains(&0));
        if bad_path || skip + bytes.len() + nul > un.sun_path.len() {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        for (slot, &byte) in un.sun_path[skip..].iter_mut().zip(bytes) {
            *slot = byte as libc::c_char;
        }
        let len = mem::offset_of!(libc::sockaddr_un, sun_path) + skip + bytes.len() + nul;
        #[cfg(has_sin_len)]
        {
            un.sun_len = len as u8;
        }
        let mut addr = SockAddr { zeroes: [0; mem::size_of::<libc::sockaddr_un>() + 1] };
        addr.un = un;
        Ok(RawAddr { addr, len: len as libc::socklen_t })
    }

    pub(super) fn as_ptr(&self) -> *const libc::sockaddr {
        (&raw const self.addr).cast()
    }

    /// The address's bytes, as the kernel reads them.
    #[cfg(feature = "audit")]
    pub(super) fn bytes(&self) -> &[u8] {
        // SAFETY: `len` is the size of the member written (`sockaddr_in`, `sockaddr_in6`: all
        // fields, no padding) or a prefix of a zeroed `sockaddr_un`, so its bytes are
        // initialised; they are borrowed as long as `self`.
        unsafe { std::slice::from_raw_parts(self.as_ptr().cast::<u8>(), self.len as usize) }
    }

    pub(super) fn len(&self) -> libc::socklen_t {
        self.len
    }
}

/// The name of a Unix-domain socket, as the kernel stores it: a filesystem path, a name in
/// Linux's abstract namespace (any bytes, NULs included), or none. `check` says whether a
/// name fits `sun_path`; the public `UnixAddr` only holds names that do.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum UnixName {
    Unnamed,
    Path(Vec<u8>),
    Abstract(Vec<u8>),
}

/// Why a name cannot be a Unix socket's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameError {
    /// The name is `len` bytes; `sun_path` holds at most `max` ([`UNIX_PATH_MAX`] for a
    /// path, [`UNIX_ABSTRACT_MAX`] for an abstract name).
    TooLong { len: usize, max: usize },
    /// A path with a NUL byte at this offset (the kernel would cut it there).
    Nul(usize),
    /// An empty path (binding one would make the kernel pick an abstract name instead).
    Empty,
}

/// The most bytes a path may have: all of `sun_path` (108 on Linux). Linux binds and
/// connects to a path that fills it without a terminating NUL, and reports such a peer's name
/// so; one limit for what is made here and what the kernel hands back.
pub(crate) const UNIX_PATH_MAX: usize = {
    // SAFETY: all zeroes is a valid `sockaddr_un`; only the array's length is read.
    let un: libc::sockaddr_un = unsafe { mem::zeroed() };
    un.sun_path.len()
};

/// The most bytes an abstract name may have: `sun_path` less its leading NUL byte.
pub(crate) const UNIX_ABSTRACT_MAX: usize = UNIX_PATH_MAX - 1;

impl UnixName {
    pub(crate) fn check(&self) -> Result<(), NameError> {
        let (bytes, is_path) = match self {
            UnixName::Unnamed => return Ok(()),
            UnixName::Path(p) => (p, true),
            UnixName::Abstract(a) => (a, false),
        };
        if is_path && bytes.is_empty() {
            return Err(NameError::Empty);
        }
        if let Some(at) = bytes.iter().position(|&b| b == 0).filter(|_| is_path) {
            return Err(NameError::Nul(at));
        }
        let max = if is_path { UNIX_PATH_MAX } else { UNIX_ABSTRACT_MAX };
        if bytes.len() > max {
            return Err(NameError::TooLong { len: bytes.len(), max });
        }
        Ok(())
    }
}

/// `a` in the kernel's layout.
#[inline]
fn sockaddr_in(a: &SocketAddrV4) -> libc::sockaddr_in {
    libc::sockaddr_in {
        #[cfg(has_sin_len)]
        sin_len: socklen::<libc::sockaddr_in>() as u8,
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: a.port().to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) },
        sin_zero: [0; 8],
    }
}

/// `a` in the kernel's layout.
#[inline]
fn sockaddr_in6(a: &SocketAddrV6) -> libc::sockaddr_in6 {
    libc::sockaddr_in6 {
        #[cfg(has_sin_len)]
        sin6_len: socklen::<libc::sockaddr_in6>() as u8,
        sin6_family: libc::AF_INET6 as libc::sa_family_t,
        sin6_port: a.port().to_be(),
        sin6_flowinfo: a.flowinfo(),
        sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
        sin6_scope_id: a.scope_id(),
    }
}

/// An address a syscall wrote: room for any member of the union, and the length the kernel
/// reported. [`KernelAddr::read`] turns it into a typed address.
pub(crate) struct Returned {
    addr: SockAddr,
    len: libc::socklen_t,
}

/// The address types that cross the boundary: `std`'s `SocketAddr` (IPv4 and IPv6) and
/// [`UnixName`]. Each says how it goes into the kernel's layout and how it is read back; the
/// syscall wrappers are generic over it, so one `bind`, `connect`, `accept`… serves both.
pub(crate) trait KernelAddr: Sized {
    /// This address in the kernel's layout (an error for a name that does not fit).
    fn to_raw(&self) -> io::Result<RawAddr>;
    /// `f` of this address in the kernel's layout (a pointer to it and its length, both
    /// valid for the call): for a call that only reads it, without the copy of a whole
    /// [`RawAddr`] where the type knows its exact layout.
    #[inline]
    fn with_raw<R>(&self, f: impl FnOnce(*const libc::sockaddr, libc::socklen_t) -> R) -> io::Result<R> {
        let raw = self.to_raw()?;
        Ok(f(raw.as_ptr(), raw.len()))
    }
    /// The address the kernel wrote, when it is of this type.
    fn read(returned: &Returned) -> Option<Self>;
}

impl KernelAddr for SocketAddr {
    #[inline]
    fn to_raw(&self) -> io::Result<RawAddr> {
        Ok(RawAddr::new(self))
    }

    /// The one `sockaddr_in` or `sockaddr_in6` on the stack.
    #[inline]
    fn with_raw<R>(&self, f: impl FnOnce(*const libc::sockaddr, libc::socklen_t) -> R) -> io::Result<R> {
        Ok(match self {
            SocketAddr::V4(a) => {
                let sin = sockaddr_in(a);
                f((&raw const sin).cast(), socklen::<libc::sockaddr_in>())
            }
            SocketAddr::V6(a) => {
                let sin6 = sockaddr_in6(a);
                f((&raw const sin6).cast(), socklen::<libc::sockaddr_in6>())
            }
        })
    }

    #[inline]
    fn read(returned: &Returned) -> Option<SocketAddr> {
        to_socket_addr(&returned.addr, returned.len)
    }
}

impl KernelAddr for UnixName {
    fn to_raw(&self) -> io::Result<RawAddr> {
        RawAddr::unix(self)
    }

    fn read(returned: &Returned) -> Option<UnixName> {
        to_unix_name(&returned.addr, returned.len)
    }
}

/// Runs `call` — a syscall that writes an address and its length through the two pointers
/// (`accept4`, `recvfrom`, `getsockname`, `getpeername`, `getaddrinfo`'s copy) — with room
/// for any address, then reads back what it wrote. The address is `None` when the kernel gave
/// none or one of another type than `A`.
#[inline]
pub(super) fn returning_addr<T, A: KernelAddr>(
    call: impl FnOnce(*mut libc::sockaddr, *mut libc::socklen_t) -> io::Result<T>,
) -> io::Result<(T, Option<A>)> {
    // SAFETY: the union holds only C structs of integers, for which all zeroes is valid.
    let mut returned = Returned { addr: unsafe { mem::zeroed() }, len: socklen::<SockAddr>() };
    let value = call((&raw mut returned.addr).cast(), &mut returned.len)?;
    Ok((value, A::read(&returned)))
}

/// The family of the socket's own address (`getsockname`, which answers for an unbound
/// socket too): how a socket's family is learnt where there is no `SO_DOMAIN`.
#[cfg(not(has_linux_sockopts))]
pub(super) fn family_of(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<libc::c_int> {
    use std::os::fd::AsRawFd;
    // SAFETY: the union holds only C structs of integers, for which all zeroes is valid.
    let mut returned = Returned { addr: unsafe { mem::zeroed() }, len: socklen::<SockAddr>() };
    // SAFETY: `returned.addr` has room for `returned.len` bytes, both live locals.
    let named =
        super::cvt(unsafe { libc::getsockname(fd.as_raw_fd(), (&raw mut returned.addr).cast(), &mut returned.len) });
    audit!("getsockname", &named, |a| {
        // SAFETY: the kernel wrote `returned.len` bytes of address (cut to its room).
        unsafe { a.raw(fd.as_raw_fd()).addr_out(named.is_ok(), (&raw const returned.addr).cast(), returned.len) }
    });
    named?;
    // SAFETY: every member starts with its family field (the common initial sequence), and
    // the union was zeroed, so reading it is defined whatever the kernel wrote.
    Ok(libc::c_int::from(unsafe { returned.addr.v4.sin_family }))
}

/// The address the kernel wrote in `addr`, `len` bytes of it.
#[inline]
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

/// The Unix-domain name the kernel wrote in `addr`, `len` bytes of it. An unnamed socket comes
/// back as the family alone, or — the sender of a datagram from an unbound socket — as no
/// bytes at all.
fn to_unix_name(addr: &SockAddr, len: libc::socklen_t) -> Option<UnixName> {
    let len = len as usize;
    let offset = mem::offset_of!(libc::sockaddr_un, sun_path);
    if len == 0 {
        return Some(UnixName::Unnamed);
    }
    // A length that does not cover the family field says nothing the field could be read
    // for: the kernel wrote less than a family.
    if len < offset {
        return None;
    }
    // SAFETY: as in `to_socket_addr`: the family field is common to every member, and
    // `len` covers it.
    let family = libc::c_int::from(unsafe { addr.un.sun_family });
    if family != libc::AF_UNIX {
        return None;
    }
    if len == offset {
        return Some(UnixName::Unnamed);
    }
    // SAFETY: the family says the kernel wrote a `sockaddr_un`; the union was zeroed.
    let path = unsafe { addr.un.sun_path };
    let bytes: Vec<u8> = path[..(len - offset).min(path.len())].iter().map(|&c| c as u8).collect();
    match bytes.split_first() {
        Some((0, name)) => Some(UnixName::Abstract(name.to_vec())),
        _ => {
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            Some(UnixName::Path(bytes[..end].to_vec()))
        }
    }
}

/// The index of the network interface called `name` (`if_nametoindex(3)`), or `None` when
/// there is no such interface or the name holds a NUL byte.
pub(crate) fn interface_index(name: &str) -> Option<u32> {
    let name = CString::new(name).ok()?;
    // SAFETY: `name` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    audit!("if_nametoindex", &Ok::<_, io::Error>(index), |a| a.bytes(name.as_bytes()));
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
        let (_, none): ((), Option<SocketAddr>) = returning_addr(|_, _| Ok(())).unwrap();
        assert_eq!(none, None);
        let (_, unix): ((), Option<SocketAddr>) = returning_addr(|addr, len| {
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

    /// What the kernel would read from `RawAddr::unix(name)`, read back the way it writes.
    fn unix_round_trip(name: &UnixName) -> Option<UnixName> {
        let raw = RawAddr::unix(name).unwrap();
        to_unix_name(&raw.addr, raw.len)
    }

    #[test]
    fn unix_names_round_trip_with_exact_lengths() {
        let offset = mem::offset_of!(libc::sockaddr_un, sun_path);
        for name in [
            UnixName::Unnamed,
            UnixName::Path(b"/tmp/x.sock".to_vec()),
            UnixName::Path(vec![b'p'; UNIX_PATH_MAX - 1]),
            UnixName::Path(vec![b'p'; UNIX_PATH_MAX]),
            UnixName::Abstract(Vec::new()),
            UnixName::Abstract(b"a\0b\xff".to_vec()),
            UnixName::Abstract(vec![b'p'; UNIX_ABSTRACT_MAX]),
        ] {
            assert_eq!(name.check(), Ok(()), "{name:?}");
            assert_eq!(unix_round_trip(&name), Some(name.clone()));
        }
        // A path carries its NUL; an abstract name its leading NUL and nothing after.
        assert_eq!(RawAddr::unix(&UnixName::Path(b"/a".to_vec())).unwrap().len() as usize, offset + 3);
        // A path that fills sun_path has no room for its NUL, and needs none.
        let full = RawAddr::unix(&UnixName::Path(vec![b'p'; UNIX_PATH_MAX])).unwrap();
        assert_eq!(full.len() as usize, mem::size_of::<libc::sockaddr_un>());
        assert_eq!(RawAddr::unix(&UnixName::Abstract(b"ab".to_vec())).unwrap().len() as usize, offset + 3);
        assert_eq!(RawAddr::unix(&UnixName::Unnamed).unwrap().len() as usize, offset);
    }

    #[test]
    fn unix_names_that_do_not_fit_are_refused() {
        let (path, name) = (UNIX_PATH_MAX, UNIX_ABSTRACT_MAX);
        for (name, why) in [
            (UnixName::Path(vec![b'p'; path + 1]), NameError::TooLong { len: path + 1, max: path }),
            (UnixName::Abstract(vec![b'p'; name + 1]), NameError::TooLong { len: name + 1, max: name }),
            (UnixName::Path(b"/tmp/a\0b".to_vec()), NameError::Nul(6)),
            (UnixName::Path(Vec::new()), NameError::Empty),
        ] {
            assert_eq!(name.check(), Err(why));
            assert_eq!(RawAddr::unix(&name).err().and_then(|e| e.raw_os_error()), Some(libc::EINVAL));
        }
    }

    #[test]
    fn unix_names_read_back_from_short_or_foreign_lengths() {
        // SAFETY: the union holds only C structs of integers, for which all zeroes is valid.
        let zeroed: SockAddr = unsafe { mem::zeroed() };
        assert_eq!(to_unix_name(&zeroed, 0), Some(UnixName::Unnamed), "an unbound datagram sender");
        assert_eq!(to_unix_name(&zeroed, 2), None, "another family");
        let raw = RawAddr::new(&"127.0.0.1:1".parse().unwrap());
        assert_eq!(to_unix_name(&raw.addr, raw.len), None);
        let family_only = RawAddr::unix(&UnixName::Unnamed).unwrap();
        assert_eq!(to_unix_name(&family_only.addr, family_only.len), Some(UnixName::Unnamed));
        // A path the kernel wrote without a NUL, filling sun_path, is read to its end.
        let mut full = RawAddr::unix(&UnixName::Path(vec![b'q'; UNIX_ABSTRACT_MAX])).unwrap();
        // SAFETY: `full` was built as a `sockaddr_un`.
        unsafe { full.addr.un.sun_path[UNIX_ABSTRACT_MAX] = b'r' as libc::c_char };
        let whole = mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
        let mut expected = vec![b'q'; UNIX_ABSTRACT_MAX];
        expected.push(b'r');
        let name = UnixName::Path(expected);
        assert_eq!(name.check(), Ok(()), "what the kernel reports is a name the crate can hold");
        assert_eq!(to_unix_name(&full.addr, whole), Some(name));
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

    /// `bytes` as the union the kernel writes into.
    fn union_of(bytes: &[u8]) -> SockAddr {
        assert_eq!(bytes.len(), mem::size_of::<SockAddr>());
        // SAFETY: `bytes` holds a whole `SockAddr` (checked); the union's members are C
        // structs of integers, valid for any bytes, and the read is unaligned.
        unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<SockAddr>()) }
    }

    proptest::proptest! {
        /// Any bytes, any length the kernel could report (beyond the union's size too): the
        /// readers never panic, a Unix name is never longer than the length leaves it, and
        /// no byte at or past the length changes what they read.
        #[test]
        fn addresses_are_read_within_their_length(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), mem::size_of::<SockAddr>()),
            family in proptest::prop_oneof![
                proptest::prelude::Just(libc::AF_INET),
                proptest::prelude::Just(libc::AF_INET6),
                proptest::prelude::Just(libc::AF_UNIX),
                proptest::prelude::any::<i32>(),
            ],
            len in proptest::prop_oneof![0..4 as libc::socklen_t, 0..200 as libc::socklen_t, proptest::prelude::any::<libc::socklen_t>()],
            tail in proptest::prelude::any::<u8>(),
        ) {
            let mut bytes = bytes;
            let at = mem::offset_of!(libc::sockaddr_in, sin_family);
            let family = (family as libc::sa_family_t).to_ne_bytes();
            bytes[at..at + family.len()].copy_from_slice(&family);
            let addr = union_of(&bytes);
            let (ip, unix) = (to_socket_addr(&addr, len), to_unix_name(&addr, len));
            if let Some(UnixName::Path(name) | UnixName::Abstract(name)) = &unix {
                let room = (len as usize).saturating_sub(mem::offset_of!(libc::sockaddr_un, sun_path));
                proptest::prop_assert!(name.len() <= room);
            }
            let cut = (len as usize).min(bytes.len());
            let mut changed = bytes.clone();
            changed[cut..].fill(tail);
            let other = union_of(&changed);
            proptest::prop_assert_eq!(to_socket_addr(&other, len), ip);
            proptest::prop_assert_eq!(to_unix_name(&other, len), unix);
        }
    }
}
