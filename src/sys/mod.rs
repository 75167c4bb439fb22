//! The only place that calls libc: every FFI call lives in this module, one file per concern,
//! each `unsafe` block with a `// SAFETY:` note. Everything it exports is safe to call but one
//! function, `opt::set_bytes_unchecked`, behind the public escape hatch
//! `set_sock_opt_unchecked` (in `options/raw.rs`, the crate's one `unsafe` block outside this
//! module, as the language needs an `unsafe fn` to call it). It is the ground floor: it
//! imports nothing of the crate but the C constants of `consts.rs`, and defines no public
//! item (a public type it serves, such as `ControlMessage`, lives above and converts from a
//! crate-private twin here).
//!
//! The boundary is narrow and typed. What crosses it is `std` types (`SocketAddr`,
//! `OwnedFd`/`BorrowedFd`, `Instant`, `io::Result`), the option numbers a user passes through
//! `set_sock_opt` (plain `i32`), and the small types below; no libc type and no raw flag
//! value leaves this module. A new syscall gets one safe function in the file of its concern,
//! taking and returning those types.

// First: its `audit!` macro serves every file below.
#[macro_use]
pub(crate) mod audit;
pub(crate) mod addr;
pub(crate) mod cmsg;
pub(crate) mod fd;
pub(crate) mod fork;
pub(crate) mod msg;
pub(crate) mod opt;
mod plain_opts;
pub(crate) mod resolve;
pub(crate) mod socket;
pub(crate) mod wait;

use std::io;
use std::net::SocketAddr;

/// "Either family", for [`IPFamily::IPUnspec`](crate::IPFamily::IPUnspec)'s value.
pub(crate) const AF_UNSPEC: i32 = libc::AF_UNSPEC;

/// The address family a socket is created in (`socket(2)`'s domain).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Domain {
    Ipv4,
    Ipv6,
    /// Unix-domain sockets (`AF_UNIX`).
    Unix,
}

impl Domain {
    /// The family of `addr`.
    pub(crate) fn of(addr: &SocketAddr) -> Domain {
        if addr.is_ipv4() { Domain::Ipv4 } else { Domain::Ipv6 }
    }

    fn raw(self) -> libc::c_int {
        match self {
            Domain::Ipv4 => libc::AF_INET,
            Domain::Ipv6 => libc::AF_INET6,
            Domain::Unix => libc::AF_UNIX,
        }
    }
}

/// A peer's process, user and group ids, as `SO_PEERCRED` and `SCM_CREDENTIALS` carry them
/// (`struct ucred`); the public `Credentials` is made from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ucred {
    pub(crate) pid: i32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

/// What kind of socket (`socket(2)`'s type, without the flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SockType {
    Stream,
    Datagram,
}

impl SockType {
    fn raw(self) -> libc::c_int {
        match self {
            SockType::Stream => libc::SOCK_STREAM,
            SockType::Datagram => libc::SOCK_DGRAM,
        }
    }
}

/// Flags for a send or a receive: the crate's own (`DONTWAIT`, `TRUNC`) and whatever a caller
/// passes through Chapel's `recvfrom(…, flags)`. `MSG_NOSIGNAL` is not one of them: every
/// send adds it itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MsgFlags(libc::c_int);

impl MsgFlags {
    pub(crate) const NONE: MsgFlags = MsgFlags(0);
    /// Never block in this call (`MSG_DONTWAIT`).
    pub(crate) const DONTWAIT: MsgFlags = MsgFlags(libc::MSG_DONTWAIT);
    /// Look at the data without taking it (`MSG_PEEK`): the next receive sees it again.
    pub(crate) const PEEK: MsgFlags = MsgFlags(libc::MSG_PEEK);
    /// Out-of-band data (`MSG_OOB`): TCP's urgent byte, sent or received apart from the
    /// stream.
    pub(crate) const OOB: MsgFlags = MsgFlags(libc::MSG_OOB);
    /// Return a datagram's full length even when it was cut (`MSG_TRUNC`), where the
    /// platform does; elsewhere nothing.
    #[cfg(has_msg_trunc)]
    pub(crate) const TRUNC: MsgFlags = MsgFlags(libc::MSG_TRUNC);
    #[cfg(not(has_msg_trunc))]
    pub(crate) const TRUNC: MsgFlags = MsgFlags(0);

    /// Flags a caller gave as a number, passed on as they are.
    #[inline]
    pub(crate) const fn user(bits: i32) -> MsgFlags {
        MsgFlags(bits)
    }

    /// Whether these flags read the error queue (`MSG_ERRQUEUE`): such a receive never
    /// blocks, and the queue's readiness is `POLLERR`, not `POLLIN`.
    pub(crate) const fn reads_error_queue(self) -> bool {
        #[cfg(has_msg_errqueue)]
        return self.0 & libc::MSG_ERRQUEUE != 0;
        #[cfg(not(has_msg_errqueue))]
        false
    }

    /// Whether these flags peek (`MSG_PEEK`), where a peek offset (`SO_PEEK_OFF`) makes
    /// the kernel copy from an offset, and `MSG_TRUNC`'s result say more than it copied.
    pub(crate) const fn peeks(self) -> bool {
        self.0 & libc::MSG_PEEK != 0
    }

    /// These flags without `MSG_TRUNC`: for a receive whose result must count the bytes it
    /// wrote (see [`socket::recv_appending`]).
    #[inline]
    pub(crate) const fn without_trunc(self) -> MsgFlags {
        #[cfg(has_msg_trunc)]
        return MsgFlags(self.0 & !libc::MSG_TRUNC);
        #[cfg(not(has_msg_trunc))]
        self
    }

    /// Both sets of flags.
    #[inline]
    pub(crate) const fn with(self, other: MsgFlags) -> MsgFlags {
        MsgFlags(self.0 | other.0)
    }
}

/// The C values that cross into the kernel or out of it by value, in memory of ours: integers
/// and structs of integers (`int`, `u16`, `cmsghdr`, `struct linger`, `in_addr`, `ip_mreq`,
/// `ipv6_mreq`, `timeval`, `timespec`, `ucred`, `in_pktinfo`, `in6_pktinfo`). None holds a
/// pointer, so the kernel follows nothing in them; each is valid for any bit pattern, so a
/// zeroed value, one the kernel wrote all or part of, and one read from any bytes is one. The
/// typed option calls (`opt::set`, `opt::get`) and the control messages' reads (`cmsg`) take
/// them. Sealed: implemented here only.
pub(crate) trait Plain: Copy + sealed::Sealed {}

mod sealed {
    pub(crate) trait Sealed {}
}

macro_rules! plain_values {
    ($($t:ty),* $(,)?) => {
        $(impl sealed::Sealed for $t {}
        impl Plain for $t {})*
    };
}
plain_values!(
    libc::c_int,
    u16,
    libc::cmsghdr,
    libc::linger,
    libc::in_addr,
    libc::ip_mreq,
    libc::ipv6_mreq,
    libc::timeval
);
#[cfg(has_so_peercred)]
plain_values!(libc::ucred);
#[cfg(has_mmsg)]
plain_values!(libc::timespec, libc::in_pktinfo, libc::in6_pktinfo);

/// Turns a libc return value into a `Result`, reading `errno` on `-1`.
#[inline]
fn cvt<T: PartialEq + From<i8>>(ret: T) -> io::Result<T> {
    if ret == T::from(-1) { Err(io::Error::last_os_error()) } else { Ok(ret) }
}
