//! Message I/O: `sendmsg(2)`/`recvmsg(2)` with control data, `sendmmsg(2)`/`recvmmsg(2)`
//! batches, and the IP-level control messages, encoded and parsed here so no `cmsghdr` leaves
//! this file.
//!
//! Control data is walked by offsets into a byte slice and every header and payload is read
//! or written unaligned, so a caller's buffer of any alignment and any length is safe: a
//! header or payload that does not fit is never read.

use std::io;
use std::mem;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr;
use std::time::{Duration, SystemTime};

use super::addr::{RawAddr, SockAddr, to_socket_addr};
use super::{MsgFlags, cvt};

/// Added to every send so a closed peer is `EPIPE`, never SIGPIPE.
const NOSIGNAL: libc::c_int = libc::MSG_NOSIGNAL;

/// The most datagrams one [`UdpSocket::send_batch`](crate::UdpSocket::send_batch) sends (one
/// `sendmmsg`): their headers, addresses and control data live on the stack (about 15 KiB),
/// so a batch costs no allocation.
pub const SEND_BATCH_MAX: usize = 64;

/// The most datagrams one [`UdpSocket::recv_batch`](crate::UdpSocket::recv_batch) takes:
/// the kernel's own cap on one `recvmmsg`'s vector (`UIO_MAXIOV`). A
/// [`RecvBatch`](crate::RecvBatch) of more slots is refused, as the rest could never be
/// filled.
pub const RECV_BATCH_MAX: usize = 1024;

/// Added to every receive that gives the kernel control space, so a descriptor passed in it
/// is close-on-exec from the moment it is installed (before [`close_passed`] closes it).
const CMSG_CLOEXEC: libc::c_int = libc::MSG_CMSG_CLOEXEC;

/// Room for the control data of one outgoing datagram: the largest set [`encode`] writes
/// (IPv6 packet info, hop limit, traffic class, segment size) is 40 + 3 × 24 = 112 bytes.
const SEND_CONTROL: usize = 128;

/// A control message (`struct cmsghdr` and its payload), typed: what a received datagram
/// carries once its socket asked for it, or what a send attaches to one datagram.
///
/// ```
/// use chapel_socket::ControlMessage;
/// let ttl = ControlMessage::Ttl(16);
/// assert_eq!(ttl, ControlMessage::Ttl(16));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlMessage {
    /// `IP_PKTINFO` (IPv4) or `IPV6_PKTINFO` (IPv6). Received: the address the datagram was
    /// sent to (the header's destination, so a datagram sent to `127.0.0.2` reads
    /// `127.0.0.2`) and the index of the interface it came in on. Sent: the source address
    /// to use (unspecified: the kernel's choice) and the outgoing interface (0: the route's).
    PacketInfo {
        /// Destination (received) or source (sent) address.
        addr: IpAddr,
        /// Interface index.
        interface: u32,
    },
    /// `SCM_TIMESTAMPNS`: when the kernel received the datagram (the real-time clock).
    Timestamp(SystemTime),
    /// `IP_TTL`: an IPv4 datagram's time to live.
    Ttl(u8),
    /// `IPV6_HOPLIMIT`: an IPv6 datagram's hop limit.
    HopLimit(u8),
    /// `IP_TOS`: an IPv4 datagram's type-of-service byte (DSCP and ECN).
    Tos(u8),
    /// `IPV6_TCLASS`: an IPv6 datagram's traffic class (DSCP and ECN).
    TrafficClass(u8),
    /// `UDP_GRO` (received: the size of each datagram coalesced into this one buffer) or
    /// `UDP_SEGMENT` (sent: cut the buffer into datagrams of this size).
    SegmentSize(u16),
    /// A control message this crate does not decode (or one too short for its type): its
    /// level, type and payload length.
    Other {
        /// `cmsg_level`.
        level: i32,
        /// `cmsg_type`.
        kind: i32,
        /// Payload bytes.
        len: usize,
    },
}

/// The control messages in `control` (the first `control_len` bytes a receive wrote), in
/// order. A header that claims more bytes than there are ends the walk, as does one too short
/// to be a header; nothing outside `control` is read.
///
/// ```
/// use chapel_socket::control_messages;
/// assert_eq!(control_messages(&[]).count(), 0);
/// assert_eq!(control_messages(&[0xff; 7]).count(), 0); // shorter than one header
/// ```
pub fn control_messages(control: &[u8]) -> ControlMessages<'_> {
    ControlMessages { rest: control }
}

/// The iterator [`control_messages`] returns.
#[derive(Clone, Debug)]
pub struct ControlMessages<'a> {
    rest: &'a [u8],
}

/// `CMSG_LEN(0)`: where a payload starts after its header.
fn header_len() -> usize {
    // SAFETY: CMSG_LEN only does arithmetic on its argument.
    unsafe { libc::CMSG_LEN(0) as usize }
}

/// `CMSG_SPACE(len)`: a header, `len` payload bytes and the padding to the next header.
fn space(len: usize) -> usize {
    // SAFETY: CMSG_SPACE only does arithmetic on its argument.
    unsafe { libc::CMSG_SPACE(len as libc::c_uint) as usize }
}

/// `CMSG_ALIGN(len)`, from what `CMSG_SPACE` adds for one byte (libc keeps `CMSG_ALIGN`
/// private).
fn align(len: usize) -> usize {
    let unit = space(1) - space(0);
    len.div_ceil(unit) * unit
}

/// A `T` read from the start of `bytes`, when there are enough of them.
fn read<T: Copy>(bytes: &[u8]) -> Option<T> {
    // SAFETY: `bytes` holds at least `size_of::<T>()` bytes (checked), the read is unaligned,
    // and every `T` read here is a C struct of integers, valid for any bit pattern.
    (bytes.len() >= mem::size_of::<T>()).then(|| unsafe { ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

/// The next message of `rest` as its level, type and payload, `rest` moved past it: the one
/// walk of received control data (the iterator below, and [`close_passed`]).
fn next_raw<'a>(rest: &mut &'a [u8]) -> Option<(i32, i32, &'a [u8])> {
    let hdr: libc::cmsghdr = read(rest)?;
    // `size_t` on glibc, `socklen_t` on musl.
    #[allow(clippy::unnecessary_cast)]
    let len = hdr.cmsg_len as usize;
    if len < header_len() || len > rest.len() {
        *rest = &[];
        return None;
    }
    let data = &rest[header_len()..len];
    *rest = rest.get(align(len)..).unwrap_or(&[]);
    Some((hdr.cmsg_level, hdr.cmsg_type, data))
}

impl Iterator for ControlMessages<'_> {
    type Item = ControlMessage;

    fn next(&mut self) -> Option<ControlMessage> {
        next_raw(&mut self.rest).map(|(level, kind, data)| decode(level, kind, data))
    }
}

/// Owns, then closes (one `close(2)` each), every descriptor an `SCM_RIGHTS` or `SCM_PIDFD`
/// message of `control` (control data a receive wrote) carries. UDP
/// carries none, but a receive cannot know what the kernel put in its control space, and a
/// descriptor it installed that nothing owns would stay open for the process's life. Their
/// numbers stay in `control` (an `Other` message), closed.
fn close_passed(mut control: &[u8]) {
    while let Some((level, kind, data)) = next_raw(&mut control) {
        for fd in super::ancillary::passed_fds(level, kind, data).unwrap_or_default() {
            // Released whatever `close` says; there is no one to report it to.
            let _ = super::fd::close(fd);
        }
    }
}

/// One payload, by its level and type; anything unknown or short is `Other`.
fn decode(level: i32, kind: i32, data: &[u8]) -> ControlMessage {
    let int = || read::<libc::c_int>(data);
    let byte = |v: libc::c_int| u8::try_from(v).ok();
    let known = match (level, kind) {
        (libc::IPPROTO_IP, libc::IP_PKTINFO) => read::<libc::in_pktinfo>(data).map(|p| ControlMessage::PacketInfo {
            addr: IpAddr::V4(Ipv4Addr::from(p.ipi_addr.s_addr.to_ne_bytes())),
            interface: p.ipi_ifindex as u32,
        }),
        (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
            read::<libc::in6_pktinfo>(data).map(|p| ControlMessage::PacketInfo {
                addr: IpAddr::V6(Ipv6Addr::from(p.ipi6_addr.s6_addr)),
                interface: p.ipi6_ifindex,
            })
        }
        (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS) => read::<libc::timespec>(data).and_then(|t| {
            let since = Duration::new(u64::try_from(t.tv_sec).ok()?, u32::try_from(t.tv_nsec).ok()?);
            SystemTime::UNIX_EPOCH.checked_add(since).map(ControlMessage::Timestamp)
        }),
        (libc::IPPROTO_IP, libc::IP_TTL) => int().and_then(byte).map(ControlMessage::Ttl),
        (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) => int().and_then(byte).map(ControlMessage::HopLimit),
        // IP_RECVTOS delivers the byte itself; a sender may write an int.
        (libc::IPPROTO_IP, libc::IP_TOS) if data.len() == 1 => Some(ControlMessage::Tos(data[0])),
        (libc::IPPROTO_IP, libc::IP_TOS) => int().and_then(byte).map(ControlMessage::Tos),
        (libc::IPPROTO_IPV6, libc::IPV6_TCLASS) => int().and_then(byte).map(ControlMessage::TrafficClass),
        (libc::SOL_UDP, libc::UDP_GRO) => int().and_then(|v| u16::try_from(v).ok()).map(ControlMessage::SegmentSize),
        (libc::SOL_UDP, libc::UDP_SEGMENT) => read::<u16>(data).map(ControlMessage::SegmentSize),
        _ => None,
    };
    known.unwrap_or(ControlMessage::Other { level, kind, len: data.len() })
}

/// Writes `messages` as control data into `buf`; returns the bytes used. A message that
/// cannot be sent (`Timestamp`, `Other`) or a set that does not fit is `InvalidInput`.
fn encode(messages: &[ControlMessage], buf: &mut [u8]) -> io::Result<usize> {
    let mut used = 0;
    for m in messages {
        let (level, kind) = match *m {
            ControlMessage::PacketInfo { addr: IpAddr::V4(_), .. } => (libc::IPPROTO_IP, libc::IP_PKTINFO),
            ControlMessage::PacketInfo { addr: IpAddr::V6(_), .. } => (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO),
            ControlMessage::Ttl(_) => (libc::IPPROTO_IP, libc::IP_TTL),
            ControlMessage::HopLimit(_) => (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT),
            ControlMessage::Tos(_) => (libc::IPPROTO_IP, libc::IP_TOS),
            ControlMessage::TrafficClass(_) => (libc::IPPROTO_IPV6, libc::IPV6_TCLASS),
            ControlMessage::SegmentSize(_) => (libc::SOL_UDP, libc::UDP_SEGMENT),
            ControlMessage::Timestamp(_) | ControlMessage::Other { .. } => {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{m:?} cannot be sent")));
            }
        };
        let at = used;
        let written = match *m {
            ControlMessage::PacketInfo { addr: IpAddr::V4(a), interface } => {
                let info = libc::in_pktinfo {
                    ipi_ifindex: interface as libc::c_int,
                    ipi_spec_dst: libc::in_addr { s_addr: u32::from_ne_bytes(a.octets()) },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                put(buf, at, level, kind, info)
            }
            ControlMessage::PacketInfo { addr: IpAddr::V6(a), interface } => {
                let info =
                    libc::in6_pktinfo { ipi6_addr: libc::in6_addr { s6_addr: a.octets() }, ipi6_ifindex: interface };
                put(buf, at, level, kind, info)
            }
            ControlMessage::Ttl(v)
            | ControlMessage::HopLimit(v)
            | ControlMessage::Tos(v)
            | ControlMessage::TrafficClass(v) => put(buf, at, level, kind, libc::c_int::from(v)),
            ControlMessage::SegmentSize(v) => put(buf, at, level, kind, v),
            ControlMessage::Timestamp(_) | ControlMessage::Other { .. } => None,
        };
        used = written.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the control messages need more than {} bytes", buf.len()),
            )
        })?;
    }
    Ok(used)
}

/// Writes one control message with payload `value` at `at`; returns where the next one
/// starts, or `None` when it does not fit.
fn put<T: Copy>(buf: &mut [u8], at: usize, level: i32, kind: i32, value: T) -> Option<usize> {
    let end = at.checked_add(space(mem::size_of::<T>()))?;
    let room = buf.get_mut(at..end)?;
    room.fill(0);
    // SAFETY: a zeroed `cmsghdr` is valid (integers and, on musl, padding).
    let mut hdr: libc::cmsghdr = unsafe { mem::zeroed() };
    hdr.cmsg_len = (header_len() + mem::size_of::<T>()) as _;
    hdr.cmsg_level = level;
    hdr.cmsg_type = kind;
    // SAFETY: `room` holds CMSG_SPACE(size_of T) bytes: the header, then the payload at
    // CMSG_LEN(0); both writes are unaligned and inside `room`.
    unsafe {
        ptr::write_unaligned(room.as_mut_ptr().cast::<libc::cmsghdr>(), hdr);
        ptr::write_unaligned(room.as_mut_ptr().add(header_len()).cast::<T>(), value);
    }
    Some(end)
}

/// What one received datagram came with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Received {
    /// The datagram's full length (`MSG_TRUNC`), which exceeds the buffer when it was cut.
    pub(crate) len: usize,
    pub(crate) from: Option<SocketAddr>,
    /// Bytes of control data written (the kernel's `msg_controllen`, never more than the
    /// control space it was given).
    pub(crate) control_len: usize,
    /// `MSG_TRUNC` in `msg_flags`: the datagram did not fit.
    pub(crate) truncated: bool,
    /// `MSG_CTRUNC` in `msg_flags`: some control data did not fit and was dropped.
    pub(crate) control_truncated: bool,
}

/// A zeroed `msghdr` (musl has padding fields a struct literal cannot name).
fn zeroed_msghdr() -> libc::msghdr {
    // SAFETY: `msghdr` is integers and pointers, for which all zeroes (null) is valid.
    unsafe { mem::zeroed() }
}

/// Points `hdr` at one iovec, a name buffer and control space (null and 0 when empty).
fn fill_msghdr(
    hdr: &mut libc::msghdr,
    iov: *mut libc::iovec,
    name: *mut libc::c_void,
    name_len: usize,
    control: &mut [u8],
) {
    hdr.msg_name = name;
    hdr.msg_namelen = name_len as libc::socklen_t;
    hdr.msg_iov = iov;
    hdr.msg_iovlen = 1;
    hdr.msg_control = if control.is_empty() { ptr::null_mut() } else { control.as_mut_ptr().cast() };
    hdr.msg_controllen = control.len() as _;
    hdr.msg_flags = 0;
}

/// What `hdr` says after a receive given `control_room` bytes of control space.
// `msg_controllen` is a `size_t` on glibc, a `socklen_t` on musl.
#[allow(clippy::unnecessary_cast)]
fn received(hdr: &libc::msghdr, len: usize, name: &SockAddr, control_room: usize) -> Received {
    Received {
        len,
        from: to_socket_addr(name, hdr.msg_namelen),
        control_len: (hdr.msg_controllen as usize).min(control_room),
        truncated: hdr.msg_flags & libc::MSG_TRUNC != 0,
        control_truncated: hdr.msg_flags & libc::MSG_CTRUNC != 0,
    }
}

fn empty_name() -> SockAddr {
    // SAFETY: the union holds only C structs of integers, for which all zeroes is valid.
    unsafe { mem::zeroed() }
}

/// `recvmsg(fd, {name, [buf], control}, flags | MSG_TRUNC | MSG_CMSG_CLOEXEC)`: one datagram
/// into `buf`, its sender, and control data into `control`. Descriptors in the control data
/// are closed before this returns ([`close_passed`]). `buf` and `control` are initialised
/// memory, so `MSG_TRUNC`'s result (a datagram's full length, not a count of bytes written)
/// marks nothing initialised; `RecvMeta::len` cuts it to the buffer, which is the count of
/// bytes written for UDP, the one kind of socket a `UdpSocket` adopts, and no `MSG_PEEK`
/// (which a peek offset would make copy less) is ever passed here.
pub(crate) fn recv_msg(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    control: &mut [u8],
    flags: MsgFlags,
) -> io::Result<Received> {
    let mut name = empty_name();
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    let mut hdr = zeroed_msghdr();
    fill_msghdr(&mut hdr, &mut iov, (&raw mut name).cast(), mem::size_of::<SockAddr>(), control);
    // SAFETY: `hdr` points at `name` (its full size), one iovec over `buf`, and `control`
    // (its full length, or null), all live and exclusively borrowed across the call.
    let n = cvt(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut hdr, flags.with(MsgFlags::TRUNC).0 | CMSG_CLOEXEC) })?;
    let got = received(&hdr, n as usize, &name, control.len());
    close_passed(&control[..got.control_len]);
    Ok(got)
}

/// `sendmsg(fd, {to, [data], control}, flags | MSG_NOSIGNAL)`.
pub(crate) fn send_msg(
    fd: BorrowedFd<'_>,
    data: &[u8],
    to: Option<&SocketAddr>,
    control: &[ControlMessage],
    flags: MsgFlags,
) -> io::Result<usize> {
    let mut space = [0u8; SEND_CONTROL];
    let used = encode(control, &mut space)?;
    let raw = to.map(RawAddr::new);
    let mut iov = libc::iovec { iov_base: data.as_ptr().cast_mut().cast(), iov_len: data.len() };
    let mut hdr = zeroed_msghdr();
    let (name, name_len) =
        raw.as_ref().map_or((ptr::null_mut(), 0), |r| (r.as_ptr().cast_mut().cast(), r.len() as usize));
    fill_msghdr(&mut hdr, &mut iov, name, name_len, &mut space[..used]);
    // SAFETY: `hdr` points at the address (or null), one iovec over `data` and `used` bytes of
    // control data, all live across the call; the kernel only reads them.
    let n = cvt(unsafe { libc::sendmsg(fd.as_raw_fd(), &hdr, flags.0 | NOSIGNAL) })?;
    Ok(n as usize)
}

/// The buffers of a batch receive: `count` slots, each with `data_len` bytes of data, room
/// for any address and `control_len` bytes of control data, and the kernel's headers over
/// them. Allocated once; every receive reuses them.
pub(crate) struct RecvSlots {
    hdrs: Vec<libc::mmsghdr>,
    iovs: Vec<libc::iovec>,
    names: Vec<SockAddr>,
    data: Vec<u8>,
    control: Vec<u8>,
    data_len: usize,
    control_len: usize,
    /// Datagrams the last receive filled.
    filled: usize,
}

// SAFETY: the raw pointers in `hdrs` and `iovs` only ever point into the struct's own
// buffers, are rewritten before every receive under `&mut self`, and are never followed
// anywhere else, so moving or sharing the struct between threads shares nothing.
unsafe impl Send for RecvSlots {}
// SAFETY: as above; `&self` methods only read the plain buffers.
unsafe impl Sync for RecvSlots {}

/// A zero-filled vector of `n` elements, or `InvalidInput` (not an abort) when it cannot be
/// allocated.
fn zeroed_vec<T: Clone>(n: usize, zero: T) -> io::Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "cannot allocate the batch"))?;
    v.resize(n, zero);
    Ok(v)
}

impl RecvSlots {
    /// Slots for `count` datagrams: at most [`RECV_BATCH_MAX`], as one `recvmmsg` fills no
    /// more (a larger count is `InvalidInput`, before anything is allocated).
    pub(crate) fn new(count: usize, data_len: usize, control_len: usize) -> io::Result<RecvSlots> {
        if count > RECV_BATCH_MAX {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a batch of {count} datagrams: one recvmmsg takes at most {RECV_BATCH_MAX} (UIO_MAXIOV)"),
            ));
        }
        let too_big = || io::Error::new(io::ErrorKind::InvalidInput, "the batch's size overflows");
        let data_total = count.checked_mul(data_len).ok_or_else(too_big)?;
        let control_total = count.checked_mul(control_len).ok_or_else(too_big)?;
        // SAFETY: `mmsghdr` and `iovec` are integers and pointers; all zeroes is valid.
        let (hdr, iov) = unsafe { (mem::zeroed::<libc::mmsghdr>(), mem::zeroed::<libc::iovec>()) };
        Ok(RecvSlots {
            hdrs: zeroed_vec(count, hdr)?,
            iovs: zeroed_vec(count, iov)?,
            names: zeroed_vec(count, empty_name())?,
            data: zeroed_vec(data_total, 0)?,
            control: zeroed_vec(control_total, 0)?,
            data_len,
            control_len,
            filled: 0,
        })
    }

    pub(crate) fn count(&self) -> usize {
        self.hdrs.len()
    }

    pub(crate) fn filled(&self) -> usize {
        self.filled
    }

    /// `recvmmsg(fd, slots, count, flags | MSG_WAITFORONE | MSG_TRUNC | MSG_CMSG_CLOEXEC,
    /// NULL)`: blocks (unless `flags` has `MSG_DONTWAIT`) for the first datagram only, then
    /// takes what is queued. Descriptors in any slot's control data are closed before this
    /// returns ([`close_passed`]).
    pub(crate) fn recv(&mut self, fd: BorrowedFd<'_>, flags: MsgFlags) -> io::Result<usize> {
        self.filled = 0;
        let vlen = self.count();
        let data = self.data.as_mut_ptr();
        let control = self.control.as_mut_ptr();
        for i in 0..vlen {
            // SAFETY: slot `i` of `data` and `control` starts inside (or, for a zero length,
            // at the end of) their allocations: `i < count` and each holds `count` slots.
            let (d, c) = unsafe { (data.add(i * self.data_len), control.add(i * self.control_len)) };
            self.iovs[i] = libc::iovec { iov_base: d.cast(), iov_len: self.data_len };
            let hdr = &mut self.hdrs[i];
            hdr.msg_len = 0;
            // SAFETY: `c` is valid for writes of `control_len` bytes (see above).
            let ctl = unsafe { std::slice::from_raw_parts_mut(c, self.control_len) };
            fill_msghdr(
                &mut hdr.msg_hdr,
                &raw mut self.iovs[i],
                (&raw mut self.names[i]).cast(),
                mem::size_of::<SockAddr>(),
                ctl,
            );
        }
        let flags = flags.with(MsgFlags::TRUNC).0 | libc::MSG_WAITFORONE | CMSG_CLOEXEC;
        // SAFETY: each of the first `vlen` headers points at its own name, one iovec over its
        // own `data_len` bytes and its own `control_len` bytes, all owned by `self`, which is
        // exclusively borrowed across the call; the timeout is null.
        let n = cvt(unsafe {
            libc::recvmmsg(fd.as_raw_fd(), self.hdrs.as_mut_ptr(), vlen as libc::c_uint, flags as _, ptr::null_mut())
        })?;
        self.filled = n as usize;
        for (i, hdr) in self.hdrs[..self.filled].iter().enumerate() {
            // `size_t` on glibc, `socklen_t` on musl; cut to the slot's space, as `received`.
            #[allow(clippy::unnecessary_cast)]
            let used = (hdr.msg_hdr.msg_controllen as usize).min(self.control_len);
            if used > 0 {
                close_passed(&self.control[i * self.control_len..][..used]);
            }
        }
        Ok(self.filled)
    }

    /// Slot `i` of the last receive: the bytes in the buffer, what came with them, and the
    /// control data.
    pub(crate) fn slot(&self, i: usize) -> Option<(&[u8], Received, &[u8])> {
        if i >= self.filled {
            return None;
        }
        let hdr = &self.hdrs[i];
        let r = received(&hdr.msg_hdr, hdr.msg_len as usize, &self.names[i], self.control_len);
        // Zero-filled at allocation, so initialised whatever the counts; `MSG_TRUNC`'s length
        // is cut to the slot, which is the count of bytes written for UDP without `MSG_PEEK`
        // (never passed here), the one kind of socket a `UdpSocket` adopts.
        let data = &self.data[i * self.data_len..][..r.len.min(self.data_len)];
        let control = &self.control[i * self.control_len..][..r.control_len];
        Some((data, r, control))
    }
}

/// `sendmmsg(fd, msgs, n, flags | MSG_NOSIGNAL)` for the first `min(count, SEND_BATCH_MAX)`
/// datagrams `msg(i)` describes (data, destination, control messages); returns how many the
/// kernel took.
pub(crate) fn send_mmsg<'m>(
    fd: BorrowedFd<'_>,
    count: usize,
    msg: impl Fn(usize) -> (&'m [u8], Option<SocketAddr>, &'m [ControlMessage]),
    flags: MsgFlags,
) -> io::Result<usize> {
    let n = count.min(SEND_BATCH_MAX);
    // SAFETY: `mmsghdr` and `iovec` are integers and pointers; all zeroes is valid.
    let mut hdrs: [libc::mmsghdr; SEND_BATCH_MAX] = unsafe { mem::zeroed() };
    // SAFETY: as above.
    let mut iovs: [libc::iovec; SEND_BATCH_MAX] = unsafe { mem::zeroed() };
    let mut names: [Option<RawAddr>; SEND_BATCH_MAX] = [const { None }; SEND_BATCH_MAX];
    let mut control = [[0u8; SEND_CONTROL]; SEND_BATCH_MAX];
    for i in 0..n {
        let (data, to, messages) = msg(i);
        let used = encode(messages, &mut control[i])?;
        names[i] = to.as_ref().map(RawAddr::new);
        iovs[i] = libc::iovec { iov_base: data.as_ptr().cast_mut().cast(), iov_len: data.len() };
        let (name, name_len) =
            names[i].as_ref().map_or((ptr::null_mut(), 0), |r| (r.as_ptr().cast_mut().cast(), r.len() as usize));
        fill_msghdr(&mut hdrs[i].msg_hdr, &raw mut iovs[i], name, name_len, &mut control[i][..used]);
    }
    // SAFETY: each of the first `n` headers points at its own address (or null), one iovec
    // over the caller's data (borrowed for `'m`, outliving the call) and its own control
    // bytes, all live across the call; the kernel reads them and writes only `msg_len`.
    let sent =
        cvt(unsafe { libc::sendmmsg(fd.as_raw_fd(), hdrs.as_mut_ptr(), n as libc::c_uint, flags.0 | NOSIGNAL) })?;
    Ok(sent as usize)
}

/// A socket option that turns a kind of received control data on or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecvOpt {
    PacketInfo,
    Ttl,
    Tos,
}

impl RecvOpt {
    /// The (level, name) pairs, IPv6's first: an IPv4 socket refuses the IPv6 option with
    /// `ENOPROTOOPT`, while an IPv6 socket would accept the IPv4 one and still not report
    /// its own datagrams.
    pub(crate) fn options(self) -> [(i32, i32); 2] {
        match self {
            RecvOpt::PacketInfo => [(libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO), (libc::IPPROTO_IP, libc::IP_PKTINFO)],
            RecvOpt::Ttl => [(libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT), (libc::IPPROTO_IP, libc::IP_RECVTTL)],
            RecvOpt::Tos => [(libc::IPPROTO_IPV6, libc::IPV6_RECVTCLASS), (libc::IPPROTO_IP, libc::IP_RECVTOS)],
        }
    }
}

/// Whether `e` is the kernel's "no such option at this level" (`ENOPROTOOPT`).
pub(crate) fn is_no_such_option(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOPROTOOPT)
}

/// `SOL_SOCKET`, `SO_TIMESTAMPNS`.
pub(crate) const TIMESTAMPNS: (i32, i32) = (libc::SOL_SOCKET, libc::SO_TIMESTAMPNS);
/// `SOL_UDP`, `UDP_GRO`.
pub(crate) const UDP_GRO: (i32, i32) = (libc::SOL_UDP, libc::UDP_GRO);
/// `SOL_UDP`, `UDP_SEGMENT`.
pub(crate) const UDP_SEGMENT: (i32, i32) = (libc::SOL_UDP, libc::UDP_SEGMENT);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::SockType;
    use crate::sys::ancillary::{self, Control};
    use crate::sys::socket::socketpair;
    use std::os::fd::{AsFd, OwnedFd};

    /// A Unix datagram pair whose first end has `copies` copies of one end of a stream pair
    /// queued in an `SCM_RIGHTS` message, and the other end of that stream pair, which reads
    /// end-of-stream once every copy is closed: (receiver, witness).
    fn passed_descriptors(copies: usize) -> (OwnedFd, OwnedFd) {
        let (receiver, sender) = socketpair(SockType::Datagram).unwrap();
        let (passed, witness) = socketpair(SockType::Stream).unwrap();
        let mut control = Control::default();
        control.push_fds(&vec![passed.as_fd(); copies]).unwrap();
        let sent =
            ancillary::send_msg::<crate::sys::addr::UnixName>(sender.as_fd(), b"x", &control, None, MsgFlags::NONE);
        assert_eq!(sent.unwrap(), 1);
        (receiver, witness)
    }

    /// Every copy of the passed descriptor is closed: its peer reads end-of-stream at once.
    fn assert_all_closed(witness: &OwnedFd) {
        let mut buf = [0u8; 1];
        let n = crate::sys::socket::recv(witness.as_fd(), &mut buf, MsgFlags::DONTWAIT).unwrap();
        assert_eq!(n, 0, "a received descriptor is still open");
    }

    #[test]
    fn recv_msg_closes_descriptors_that_arrive_in_control_data() {
        let (receiver, witness) = passed_descriptors(4);
        let (mut buf, mut control) = ([0u8; 8], [0u8; 128]);
        let got = recv_msg(receiver.as_fd(), &mut buf, &mut control, MsgFlags::DONTWAIT).unwrap();
        assert_eq!((got.len, got.control_truncated), (1, false));
        let messages: Vec<_> = control_messages(&control[..got.control_len]).collect();
        let kind = ControlMessage::Other { level: libc::SOL_SOCKET, kind: libc::SCM_RIGHTS, len: 16 };
        assert_eq!(messages, [kind]);
        assert_all_closed(&witness);
    }

    #[test]
    fn recv_batch_closes_descriptors_that_arrive_in_control_data() {
        let (receiver, witness) = passed_descriptors(3);
        let mut slots = RecvSlots::new(4, 8, 64).unwrap();
        assert_eq!(slots.recv(receiver.as_fd(), MsgFlags::DONTWAIT).unwrap(), 1);
        let (data, r, control) = slots.slot(0).unwrap();
        assert_eq!((data, r.len, control.len()), (&b"x"[..], 1, space(12)));
        assert_all_closed(&witness);
    }

    #[test]
    fn a_batch_is_at_most_what_one_call_fills() {
        assert_eq!(RecvSlots::new(RECV_BATCH_MAX, 0, 0).unwrap().count(), RECV_BATCH_MAX);
        // Refused before anything is allocated: a million slots of 64 KiB would be 64 GB.
        let err = RecvSlots::new(1_000_000, 65536, 192).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("at most 1024"), "{err}");
    }

    #[test]
    fn encode_then_parse_round_trips() {
        let sent = [
            ControlMessage::PacketInfo { addr: IpAddr::V6(Ipv6Addr::LOCALHOST), interface: 1 },
            ControlMessage::HopLimit(7),
            ControlMessage::TrafficClass(0x10),
            ControlMessage::SegmentSize(1200),
        ];
        let mut buf = [0u8; SEND_CONTROL];
        let used = encode(&sent, &mut buf).unwrap();
        assert_eq!(used, space(20) + 2 * space(4) + space(2));
        let got: Vec<_> = control_messages(&buf[..used]).collect();
        assert_eq!(got, sent);
        // IPv4 packet info: what a sender writes is the source (ipi_spec_dst), which a
        // receiver's parser does not read; it reads ipi_addr, written as 0.
        let used =
            encode(&[ControlMessage::PacketInfo { addr: "1.2.3.4".parse().unwrap(), interface: 3 }], &mut buf).unwrap();
        assert_eq!(
            control_messages(&buf[..used]).collect::<Vec<_>>(),
            [ControlMessage::PacketInfo { addr: "0.0.0.0".parse().unwrap(), interface: 3 }]
        );
    }

    #[test]
    fn encode_refuses_what_cannot_be_sent_or_does_not_fit() {
        let mut buf = [0u8; SEND_CONTROL];
        let err = encode(&[ControlMessage::Timestamp(SystemTime::UNIX_EPOCH)], &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let many = [ControlMessage::Ttl(1); 6];
        assert_eq!(encode(&many, &mut buf).unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert_eq!(encode(&[], &mut [0u8; 0]).unwrap(), 0);
    }

    #[test]
    fn hostile_control_data_is_never_overread() {
        let mut buf = [0u8; 64];
        let used = encode(&[ControlMessage::Ttl(9), ControlMessage::Tos(3)], &mut buf).unwrap();
        // Every prefix parses to whole messages only.
        for cut in 0..=used {
            let n = control_messages(&buf[..cut]).count();
            assert!(n <= 2);
            if cut < header_len() + 4 {
                assert_eq!(n, 0, "cut at {cut}");
            }
        }
        // A header claiming more than there is, or less than a header, ends the walk.
        let mut bad = buf;
        // SAFETY: test only; the header is written unaligned inside `bad`.
        let mut hdr: libc::cmsghdr = read(&bad).unwrap();
        hdr.cmsg_len = 1000;
        unsafe { ptr::write_unaligned(bad.as_mut_ptr().cast(), hdr) };
        assert_eq!(control_messages(&bad[..used]).count(), 0);
        hdr.cmsg_len = 1;
        // SAFETY: as above.
        unsafe { ptr::write_unaligned(bad.as_mut_ptr().cast(), hdr) };
        assert_eq!(control_messages(&bad[..used]).count(), 0);
        // A misaligned start parses the same.
        let mut shifted = [0u8; 65];
        shifted[1..].copy_from_slice(&buf);
        assert_eq!(
            control_messages(&shifted[1..1 + used]).collect::<Vec<_>>(),
            [ControlMessage::Ttl(9), ControlMessage::Tos(3)]
        );
        // A short payload of a known type is `Other`, not a misread.
        assert_eq!(
            decode(libc::IPPROTO_IP, libc::IP_PKTINFO, &[0; 3]),
            ControlMessage::Other { level: libc::IPPROTO_IP, kind: libc::IP_PKTINFO, len: 3 }
        );
        assert_eq!(
            decode(libc::IPPROTO_IP, libc::IP_TTL, &300i32.to_ne_bytes()),
            ControlMessage::Other { level: libc::IPPROTO_IP, kind: libc::IP_TTL, len: 4 }
        );
    }

    proptest::proptest! {
        /// Any bytes as received control data: the public walk never panics, never yields
        /// a payload outside the bytes given, and nothing past them changes what it finds.
        #[test]
        fn control_messages_stay_inside_any_bytes(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            cut in 0..200usize,
            tail in proptest::prelude::any::<u8>(),
        ) {
            let cut = cut.min(bytes.len());
            let found: Vec<_> = control_messages(&bytes[..cut]).collect();
            let mut rest = &bytes[..cut];
            let base = bytes.as_ptr() as usize;
            while let Some((_, _, data)) = next_raw(&mut rest) {
                let start = data.as_ptr() as usize - base;
                proptest::prop_assert!(start + data.len() <= cut);
            }
            let mut changed = bytes.clone();
            changed[cut..].fill(tail);
            let again: Vec<_> = control_messages(&changed[..cut]).collect();
            proptest::prop_assert_eq!(again, found);
        }
    }
}
