//! `setsockopt(2)` / `getsockopt(2)` marshalling: an `int`, a typed C value ([`Plain`]),
//! plain-data bytes, or a null pointer of length 0 in; an `int`, a typed C value or exactly
//! the bytes the kernel wrote out. The typed pair [`set`]/[`get`] is the one primitive of the
//! options whose value is a C struct (`struct linger`, `struct in_addr`, `struct ip_mreq`,
//! `struct ipv6_mreq`, `struct timeval`, `struct ucred`): the functions below build those
//! values from std types and read them back, so none leaves `sys`.
//!
//! Bytes reach `setsockopt` through the safe functions only for the options of the plain-data
//! allowlist ([`plain`]): options whose value the kernel copies and never follows as a
//! pointer. Any other option's value may hold a user pointer that the kernel writes through,
//! then or later (`IPT_SO_SET_REPLACE`'s `counters`, the umem area of `XDP_UMEM_REG`), so its
//! bytes go only through the `unsafe` [`set_sock_opt_unchecked`](crate::set_sock_opt_unchecked).

use std::ffi::c_void;
use std::io;
use std::mem::{self, offset_of, size_of};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr;
use std::time::Duration;

use super::{Plain, cvt};
use crate::consts::c_int;

use super::plain_opts::INT;
pub(crate) use super::plain_opts::plain;

/// `setsockopt(fd, level, name, value, len)`.
///
/// # Safety
///
/// `value` is null with `len` 0, or valid for reads of `len` bytes; and the option's value
/// holds no pointer the kernel will dereference, or only pointers to memory that stays valid,
/// and is not otherwise accessed, for as long as the kernel may use it.
unsafe fn set_raw(
    fd: BorrowedFd<'_>,
    level: c_int,
    name: c_int,
    value: *const c_void,
    len: libc::socklen_t,
) -> io::Result<()> {
    // SAFETY: forwarded from this function's contract; the descriptor is borrowed, so open.
    let set = cvt(unsafe { libc::setsockopt(fd.as_raw_fd(), level, name, value, len) });
    audit!("setsockopt", &set, |a| {
        // SAFETY: `value` is null or valid for reads of `len` bytes (this function's contract).
        let bytes = (!value.is_null()).then(|| unsafe { std::slice::from_raw_parts(value.cast::<u8>(), len as usize) });
        a.raw(fd.as_raw_fd()).option(level, name).option_value(level, name, bytes).raw(len)
    });
    set.map(drop)
}

/// An `int` option, for any (`level`, `name`).
pub(crate) fn set_int(fd: BorrowedFd<'_>, level: c_int, name: c_int, value: c_int) -> io::Result<()> {
    // The int goes first in 256 zeroed bytes, with optlen 4. Kernels from before netfilter's
    // length checks (2024) read a whole `struct ipt_replace` (or `ip6t_`, `arpt_`,
    // `ebt_replace`, at most 120 bytes) whatever optlen says: here they read zeros after the
    // int (no counters, no entries: EINVAL), never a stale pointer from our stack.
    let mut padded = [0u8; 256];
    padded[..INT].copy_from_slice(&value.to_ne_bytes());
    // SAFETY: `padded` is a live local valid for reads of 256 bytes, more than the 4 passed.
    // An int is not a pointer, and the options that take one (inside a struct) refuse a
    // 4-byte value; a kernel that reads past optlen anyway finds the zeros above.
    unsafe { set_raw(fd, level, name, padded.as_ptr().cast(), INT as libc::socklen_t) }
}

/// The bytes of a plain-data option ([`plain`]). Any other option, or a length outside the
/// option's, is an `InvalidInput` error before any syscall.
pub(crate) fn set_plain(fd: BorrowedFd<'_>, level: c_int, name: c_int, value: &[u8]) -> io::Result<()> {
    check_plain(level, name, value.len())?;
    // SAFETY: `value` is valid for reads of its length, which fits the option's (at most 40
    // bytes, so the cast is exact). The option is on the plain-data allowlist: the kernel copies the bytes
    // and follows no pointer in them, so it never writes to memory of ours.
    unsafe { set_raw(fd, level, name, value.as_ptr().cast(), value.len() as libc::socklen_t) }
}

/// `InvalidInput` unless option (`level`, `name`) is on the plain-data allowlist ([`plain`])
/// and takes a value of `len` bytes.
fn check_plain(level: c_int, name: c_int, len: usize) -> io::Result<()> {
    match plain(level, name) {
        Some(p) if p.fits(len) => Ok(()),
        _ => Err(io::Error::new(io::ErrorKind::InvalidInput, "not a plain-data option or length")),
    }
}

/// `setsockopt(fd, level, name, &value, sizeof value)`: the typed setter, for a plain-data
/// option ([`plain`]) that takes a `T`. Any other option, or one whose value is not
/// `size_of::<T>()` bytes long, is an `InvalidInput` error before any syscall.
pub(crate) fn set<T: Plain>(fd: BorrowedFd<'_>, level: c_int, name: c_int, value: &T) -> io::Result<()> {
    check_plain(level, name, size_of::<T>())?;
    // SAFETY: `value` is a live `T`, valid for reads of its size (at most 40 bytes, as the
    // allowlist's lengths are, so the cast is exact). The option is on the plain-data
    // allowlist for that length: the kernel copies the bytes and follows no pointer in them
    // (a `Plain` value holds none), so it never writes to memory of ours.
    unsafe { set_raw(fd, level, name, ptr::from_ref(value).cast(), size_of::<T>() as libc::socklen_t) }
}

/// `setsockopt(fd, level, name, NULL, 0)` for a plain-data option ([`plain`]): the kernel
/// reads nothing (`SO_BINDTODEVICE` takes it as "no device"; an `int` option answers
/// `EINVAL`). Any other option is an `InvalidInput` error before any syscall.
pub(crate) fn set_null(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<()> {
    if plain(level, name).is_none() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a plain-data option"));
    }
    // SAFETY: a null pointer with length 0: the kernel reads no byte through it (a plain-data
    // option checks its length before copying, and copies at most that length). A non-zero
    // length would make it read from address 0; this function passes none.
    unsafe { set_raw(fd, level, name, std::ptr::null(), 0) }
}

/// `setsockopt(2)` with any bytes, for any option: what the public
/// `set_sock_opt_unchecked` makes.
///
/// # Safety
///
/// As `set_sock_opt_unchecked`'s: any pointer in `value` that the kernel dereferences is
/// valid for what the kernel does through it, for as long as it may.
pub(crate) unsafe fn set_bytes_unchecked(
    fd: BorrowedFd<'_>,
    level: c_int,
    name: c_int,
    value: &[u8],
) -> io::Result<()> {
    let len = libc::socklen_t::try_from(value.len()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `value` is valid for reads of `len` bytes; what the kernel does with any
    // pointer in them is covered by this function's contract, which the caller upholds.
    unsafe { set_raw(fd, level, name, value.as_ptr().cast(), len) }
}

/// Sets `SO_RCVTIMEO`: how long a blocking receive or accept waits before `EAGAIN`; `None`
/// (zero) for ever. The kernel keeps it in ticks, rounded up.
pub(crate) fn set_recv_timeout(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<()> {
    set(fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &timeval(timeout))
}

/// A timeout as a `struct timeval` (zero for `None`: for ever), a part of a microsecond
/// rounded up so the kernel's wait is never shorter.
fn timeval(timeout: Option<Duration>) -> libc::timeval {
    let (mut secs, mut micros) = timeout.map_or((0, 0), |d| (d.as_secs(), d.subsec_nanos().div_ceil(1000)));
    if micros == 1_000_000 {
        (secs, micros) = (secs.saturating_add(1), 0);
    }
    libc::timeval { tv_sec: libc::time_t::try_from(secs).unwrap_or(libc::time_t::MAX), tv_usec: micros.into() }
}

/// A timeout as the bytes of a `struct timeval` ([`timeval`]), as `get_sock_opt_bytes`
/// answers: each field's bytes at its offset, any padding zero.
pub(crate) fn timeval_bytes(timeout: Option<Duration>) -> Vec<u8> {
    let tv = timeval(timeout);
    let mut bytes = vec![0; size_of::<libc::timeval>()];
    let sec = tv.tv_sec.to_ne_bytes();
    let usec = tv.tv_usec.to_ne_bytes();
    bytes[offset_of!(libc::timeval, tv_sec)..][..sec.len()].copy_from_slice(&sec);
    bytes[offset_of!(libc::timeval, tv_usec)..][..usec.len()].copy_from_slice(&usec);
    bytes
}

/// A `struct timeval` given as bytes (as `set_sock_opt` receives `SO_RCVTIMEO`), as a
/// timeout: `Some(None)` for zero (for ever), `None` when the bytes are not a valid timeval.
pub(crate) fn timeval_from_bytes(bytes: &[u8]) -> Option<Option<Duration>> {
    if bytes.len() != size_of::<libc::timeval>() {
        return None;
    }
    // SAFETY: the length is exactly a timeval's, and every bit pattern of its integer fields
    // is valid; `read_unaligned` needs no alignment.
    let tv = unsafe { ptr::read_unaligned(bytes.as_ptr().cast::<libc::timeval>()) };
    let (secs, micros) = (u64::try_from(tv.tv_sec).ok()?, u32::try_from(tv.tv_usec).ok()?);
    // The kernel refuses a microsecond field outside a second (EDOM): such bytes are not a
    // timeout, and go to the kernel as they are, for its answer.
    if micros >= 1_000_000 {
        return None;
    }
    let d = Duration::from_secs(secs).checked_add(Duration::from_micros(micros.into()))?;
    Some((!d.is_zero()).then_some(d))
}

/// `SO_ERROR`: the socket's pending error, which reading clears; `None` when there is none
/// (how a non-blocking connect reports its outcome).
pub(crate) fn take_error(fd: BorrowedFd<'_>) -> io::Result<Option<io::Error>> {
    let pending = get_int(fd, libc::SOL_SOCKET, libc::SO_ERROR)?;
    Ok((pending != 0).then(|| io::Error::from_raw_os_error(pending)))
}

/// The error of an option the platform does not have (`ENOPROTOOPT`).
#[cfg(not(has_tcp_quickack))]
pub(crate) fn unsupported() -> io::Error {
    io::Error::from_raw_os_error(libc::ENOPROTOOPT)
}

/// An `int` option. A kernel that answers with a single byte (some IP options do) is read
/// as that byte; any other length is `EINVAL`, never a misread.
pub(crate) fn get_int(fd: BorrowedFd<'_>, level: i32, name: i32) -> io::Result<i32> {
    match get_partial::<c_int>(fd, level, name)? {
        (value, INT) => Ok(value),
        (value, 1) => Ok(c_int::from(value.to_ne_bytes()[0])),
        _ => Err(io::Error::from_raw_os_error(libc::EINVAL)),
    }
}

/// `getsockopt(fd, level, name, &value, &len)`: the typed getter. A reply that is not a
/// whole `T` is `EINVAL`, never a misread; an option [`creates_descriptor`] names is an
/// `InvalidInput` error before any syscall.
pub(crate) fn get<T: Plain>(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<T> {
    match get_partial::<T>(fd, level, name)? {
        (value, len) if len == size_of::<T>() => Ok(value),
        _ => Err(io::Error::from_raw_os_error(libc::EINVAL)),
    }
}

/// A zeroed `T` the kernel wrote an option's value into, and how many bytes it reports it
/// wrote, cut to the `T` (a longer `optlen` is not believed).
fn get_partial<T: Plain>(fd: BorrowedFd<'_>, level: c_int, name: c_int) -> io::Result<(T, usize)> {
    refuse_creating(level, name)?;
    // SAFETY: a `Plain` value is integers, for which all zeroes is valid.
    let mut value: T = unsafe { mem::zeroed() };
    let mut len = size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` is valid for writes of `len` bytes (its size) and `len` is a live local;
    // whatever bytes the kernel writes, a `Plain` value stays valid.
    let got = cvt(unsafe { libc::getsockopt(fd.as_raw_fd(), level, name, ptr::from_mut(&mut value).cast(), &mut len) });
    audit!("getsockopt", &got, |a| {
        let a = a.raw(fd.as_raw_fd()).option(level, name);
        match got {
            Ok(_) => {
                // SAFETY: `value` is a `Plain` value (integers, no padding), so each of its
                // bytes is initialised; `len` is cut to its size.
                let bytes = unsafe { std::slice::from_raw_parts(ptr::from_ref(&value).cast::<u8>(), size_of::<T>()) };
                a.option_value(level, name, Some(&bytes[..(len as usize).min(size_of::<T>())]))
                    .raw(super::audit::in_out(size_of::<T>(), len as usize))
            }
            Err(_) => a.ptr(&value).raw(format_args!("[{}]", size_of::<T>())),
        }
    });
    got?;
    Ok((value, (len as usize).min(size_of::<T>())))
}

/// `SOL_SCTP` and the SCTP options whose `getsockopt` peels an association off into a new
/// socket (`<linux/sctp.h>`), which libc does not name.
const SOL_SCTP: c_int = 132;
const SCTP_SOCKOPT_PEELOFF: c_int = 102;
const SCTP_SOCKOPT_PEELOFF_FLAGS: c_int = 122;

/// The C name of an option whose `getsockopt` makes the kernel create a descriptor and answer
/// with its number: read as bytes or an `int`, nothing would own it, and every call would
/// leak one. [`get_bytes`] (and so `get_sock_opt`, `get_sock_opt_bytes`) refuses them before
/// any syscall. A `match` rather than a table, so a read of a constant option (`take_error`'s
/// `SO_ERROR`) folds the check away instead of carrying it into every program that connects.
fn creates_descriptor(level: c_int, name: c_int) -> Option<&'static str> {
    match (level, name) {
        // A pidfd of the peer (Linux 6.5).
        #[cfg(has_linux_sockopts)]
        (libc::SOL_SOCKET, libc::SO_PEERPIDFD) => Some("SO_PEERPIDFD"),
        // A new socket for one association of a one-to-many SCTP socket.
        (SOL_SCTP, SCTP_SOCKOPT_PEELOFF) => Some("SCTP_SOCKOPT_PEELOFF"),
        (SOL_SCTP, SCTP_SOCKOPT_PEELOFF_FLAGS) => Some("SCTP_SOCKOPT_PEELOFF_FLAGS"),
        _ => None,
    }
}

/// `InvalidInput` (no OS error) for an option [`creates_descriptor`] names.
fn refuse_creating(level: c_int, name: c_int) -> io::Result<()> {
    match creates_descriptor(level, name) {
        Some(c_name) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("reading {c_name} has the kernel create a descriptor that nothing would own (one more each call)"),
        )),
        None => Ok(()),
    }
}

/// Up to `buflen` bytes of an option, cut to the length the kernel reports it wrote (never
/// past `buflen`: the buffer is zero-filled, and a longer `optlen` is not believed). An
/// option [`creates_descriptor`] names is an `InvalidInput` error (no OS error) before any
/// syscall.
pub(crate) fn get_bytes(fd: BorrowedFd<'_>, level: i32, name: i32, buflen: usize) -> io::Result<Vec<u8>> {
    refuse_creating(level, name)?;
    let mut buf = vec![0u8; buflen];
    let mut len = libc::socklen_t::try_from(buflen).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `buf` is valid for writes of `len` bytes and `len` is a live local.
    let got = cvt(unsafe { libc::getsockopt(fd.as_raw_fd(), level, name, buf.as_mut_ptr().cast(), &mut len) });
    audit!("getsockopt", &got, |a| {
        let a = a.raw(fd.as_raw_fd()).option(level, name);
        match got {
            Ok(_) => a
                .option_value(level, name, Some(&buf[..(len as usize).min(buflen)]))
                .raw(super::audit::in_out(buflen, len as usize)),
            Err(_) => a.ptr(buf.as_ptr()).raw(format_args!("[{buflen}]")),
        }
    });
    got?;
    // The rule for every length over memory the kernel writes (ARCHITECTURE.md): an `optlen`
    // past the buffer given is not believed. `truncate` never lengthens, so such a reply keeps
    // `buflen` bytes, all zero-filled before the call.
    buf.truncate(len as usize);
    Ok(buf)
}

/// `SO_PEERCRED`: who is at the other end of a Unix socket (the process that connected, or
/// made the pair), as the kernel recorded it then.
#[cfg(has_so_peercred)]
pub(crate) fn peer_credentials(fd: BorrowedFd<'_>) -> io::Result<super::Ucred> {
    let c: libc::ucred = get(fd, libc::SOL_SOCKET, libc::SO_PEERCRED)?;
    Ok(super::Ucred { pid: c.pid, uid: c.uid, gid: c.gid })
}

/// Where the platform has no `SO_PEERCRED`.
#[cfg(not(has_so_peercred))]
pub(crate) fn peer_credentials(_fd: BorrowedFd<'_>) -> io::Result<super::Ucred> {
    Err(io::Error::from_raw_os_error(libc::ENOPROTOOPT))
}

/// `SO_SNDTIMEO` set to `timeout`, rounded up to whole microseconds (zero: no timeout, as
/// the kernel reads it).
pub(crate) fn set_send_timeout(fd: BorrowedFd<'_>, timeout: Duration) -> io::Result<()> {
    set(fd, libc::SOL_SOCKET, libc::SO_SNDTIMEO, &timeval(Some(timeout)))
}

/// `SO_LINGER` set to `seconds` (`l_onoff` 1), or off (`None`: `l_onoff` 0).
pub(crate) fn set_linger(fd: BorrowedFd<'_>, seconds: Option<c_int>) -> io::Result<()> {
    let linger = libc::linger { l_onoff: c_int::from(seconds.is_some()), l_linger: seconds.unwrap_or(0) };
    set(fd, libc::SOL_SOCKET, libc::SO_LINGER, &linger)
}

/// `SO_LINGER`: `Some(seconds)` when on, `None` when off; a reply that is not a whole
/// `struct linger` is `EINVAL`.
pub(crate) fn linger(fd: BorrowedFd<'_>) -> io::Result<Option<c_int>> {
    let linger: libc::linger = get(fd, libc::SOL_SOCKET, libc::SO_LINGER)?;
    Ok((linger.l_onoff != 0).then_some(linger.l_linger))
}

/// An IPv4 address as a `struct in_addr` (network order, as its octets are).
fn in_addr(addr: &Ipv4Addr) -> libc::in_addr {
    libc::in_addr { s_addr: u32::from_ne_bytes(addr.octets()) }
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
    let mreq = libc::ip_mreq { imr_multiaddr: in_addr(group), imr_interface: in_addr(interface) };
    set(fd, libc::IPPROTO_IP, name, &mreq)
}

/// `IPV6_ADD_MEMBERSHIP` (`join`) or `IPV6_DROP_MEMBERSHIP` with a `struct ipv6_mreq`:
/// `group` on the interface of index `interface` (0: the one the routing table picks).
pub(crate) fn set_membership_v6(fd: BorrowedFd<'_>, join: bool, group: &Ipv6Addr, interface: u32) -> io::Result<()> {
    let name = if join { libc::IPV6_ADD_MEMBERSHIP } else { libc::IPV6_DROP_MEMBERSHIP };
    let mreq = libc::ipv6_mreq {
        ipv6mr_multiaddr: libc::in6_addr { s6_addr: group.octets() },
        ipv6mr_interface: interface as _,
    };
    set(fd, libc::IPPROTO_IPV6, name, &mreq)
}

/// `IP_MULTICAST_IF` with a `struct in_addr`: multicast leaves by the interface that has
/// `interface` (`0.0.0.0`: the routing table's choice).
pub(crate) fn set_multicast_if_v4(fd: BorrowedFd<'_>, interface: &Ipv4Addr) -> io::Result<()> {
    set(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_IF, &in_addr(interface))
}

/// `IP_MULTICAST_IF` read back as a `struct in_addr` (asked for exactly one, so Linux
/// answers with the address, not an `ip_mreqn`); any other reply is `EINVAL`.
pub(crate) fn multicast_if_v4(fd: BorrowedFd<'_>) -> io::Result<Ipv4Addr> {
    let addr: libc::in_addr = get(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_IF)?;
    Ok(Ipv4Addr::from(addr.s_addr.to_ne_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn int_bytes_and_lengths() {
        let sock = crate::sys::socket::socket(crate::sys::Domain::Ipv4, crate::sys::SockType::Datagram, false).unwrap();
        let fd = sock.as_fd();
        set_int(fd, libc::SOL_SOCKET, libc::SO_BROADCAST, 1).unwrap();
        assert_eq!(get_int(fd, libc::SOL_SOCKET, libc::SO_BROADCAST).unwrap(), 1);
        set_plain(fd, libc::SOL_SOCKET, libc::SO_BROADCAST, &0i32.to_ne_bytes()).unwrap();
        assert_eq!(get_bytes(fd, libc::SOL_SOCKET, libc::SO_BROADCAST, 64).unwrap(), 0i32.to_ne_bytes());
        assert_eq!(get_bytes(fd, libc::SOL_SOCKET, libc::SO_LINGER, 3).unwrap().len(), 3);
        assert!(get_bytes(fd, libc::SOL_SOCKET, libc::SO_LINGER, 0).unwrap().is_empty());
        // IP_TTL answers with one byte when asked for less than an int; get_int asks for an int.
        assert!(get_int(fd, libc::IPPROTO_IP, libc::IP_TTL).unwrap() > 0);
        // A null value of length 0: the kernel reads nothing, and an int option wants 4 bytes.
        let err = set_null(fd, libc::SOL_SOCKET, libc::SO_BROADCAST).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
        let err = get_int(fd, libc::SOL_SOCKET, 12345).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOPROTOOPT));
    }

    #[test]
    fn pointer_carrying_options_are_refused_before_the_syscall() {
        let sock = crate::sys::socket::socket(crate::sys::Domain::Ipv4, crate::sys::SockType::Datagram, false).unwrap();
        let fd = sock.as_fd();
        // IPT_SO_SET_REPLACE, IP6T_SO_SET_REPLACE, ARPT_SO_SET_REPLACE, EBT_SO_SET_ENTRIES,
        // SO_ATTACH_FILTER, SO_ATTACH_REUSEPORT_CBPF, XDP_UMEM_REG (SOL_XDP = 283).
        let pointers = [
            (libc::IPPROTO_IP, 64),
            (libc::IPPROTO_IPV6, 64),
            (libc::IPPROTO_IP, 96),
            (libc::IPPROTO_IP, 128),
            (libc::SOL_SOCKET, libc::SO_ATTACH_FILTER),
            (libc::SOL_SOCKET, libc::SO_ATTACH_REUSEPORT_CBPF),
            (283, 4),
        ];
        for (level, name) in pointers {
            assert_eq!(plain(level, name), None, "({level}, {name})");
            for err in [set_plain(fd, level, name, &[0; 96]).unwrap_err(), set_null(fd, level, name).unwrap_err()] {
                assert_eq!((err.kind(), err.raw_os_error()), (io::ErrorKind::InvalidInput, None));
            }
        }
        // A plain-data option of the wrong length is refused the same way.
        let err = set_plain(fd, libc::SOL_SOCKET, libc::SO_LINGER, &[1, 0]).unwrap_err();
        assert_eq!((err.kind(), err.raw_os_error()), (io::ErrorKind::InvalidInput, None));
    }

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
