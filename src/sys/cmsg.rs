//! Control messages (`cmsg(3)`), for every socket that carries them: the one encoder
//! ([`put`], under [`Control`] for the Unix messages and [`encode`] for the IP ones) and the
//! one walker ([`next`]) over control data the kernel wrote. The calls that carry them
//! (`sendmsg`, `recvmsg` and their batches) are in `msg.rs`.
//!
//! Control data is walked by offsets into a byte slice and every header and payload is read
//! or written unaligned, so a buffer of any alignment and length is safe: nothing outside it
//! is read or written, whatever a header claims. Received descriptors (`SCM_RIGHTS`,
//! `SCM_PIDFD`) become `OwnedFd`s here ([`passed_fds`]), before the receive that brought them
//! returns, so every later error path closes them. No `cmsghdr` and no libc type leaves this
//! file: the IP messages are decoded to and encoded from [`Message`], from which the public
//! `ControlMessage` is made one-to-one.

use std::io;
use std::mem::{self, size_of};
#[cfg(has_mmsg)]
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::OwnedFd;
use std::ptr;
#[cfg(has_mmsg)]
use std::time::{Duration, SystemTime};

use super::fd::own;
use super::{Plain, Ucred};

/// Added to every receive that gives the kernel control space, so a descriptor passed in it
/// is close-on-exec from the moment it is installed (where the flag is missing,
/// [`passed_fds`] sets it right after).
#[cfg(has_msg_cmsg_cloexec)]
pub(super) const CLOEXEC: libc::c_int = libc::MSG_CMSG_CLOEXEC;
#[cfg(not(has_msg_cmsg_cloexec))]
pub(super) const CLOEXEC: libc::c_int = 0;

/// `SCM_PIDFD` (Linux 6.5): a pidfd of the sender, when the receiver set `SO_PASSPIDFD`
/// through `set_sock_opt`. It is a descriptor, so it is owned like `SCM_RIGHTS`' ones.
const SCM_PIDFD: libc::c_int = 4;

/// `CMSG_LEN(len)`: a header and `len` bytes of data.
#[inline]
fn cmsg_len(len: usize) -> usize {
    // SAFETY: CMSG_LEN is arithmetic on its argument; it reads no memory.
    unsafe { libc::CMSG_LEN(len as libc::c_uint) as usize }
}

/// `CMSG_LEN(0)`: where a payload starts after its header.
#[inline]
fn header_len() -> usize {
    cmsg_len(0)
}

/// `CMSG_SPACE(len)`: a header, `len` bytes of data and the padding to the next header.
#[inline]
pub(super) fn space(len: usize) -> usize {
    // SAFETY: CMSG_SPACE is arithmetic on its argument; it reads no memory.
    unsafe { libc::CMSG_SPACE(len as libc::c_uint) as usize }
}

/// The room a receive needs for up to `n` descriptors in one `SCM_RIGHTS` message.
pub(crate) fn room_for_fds(n: usize) -> usize {
    if n == 0 { 0 } else { space(n * size_of::<libc::c_int>()) }
}

/// The room for one `SCM_CREDENTIALS` message, which the kernel adds to every message once
/// the receiver set `SO_PASSCRED` (0 where the platform has none).
pub(crate) fn room_for_credentials() -> usize {
    #[cfg(has_so_peercred)]
    return space(size_of::<libc::ucred>());
    #[cfg(not(has_so_peercred))]
    return 0;
}

/// Where a message of `data_len` bytes that starts at `start` ends (its `CMSG_SPACE` later),
/// or `None` when that passes the most every platform's `cmsg_len` and `msg_controllen`
/// hold (a `c_int`; `CMSG_SPACE` itself takes a `c_uint`, so a longer length would be cut
/// and the header claim fewer bytes than are written).
#[inline]
fn message_end(start: usize, data_len: usize) -> Option<usize> {
    // Leave room for the header and the padding, so CMSG_SPACE's argument never wraps.
    let limit = libc::c_int::MAX as usize - space(0) - size_of::<usize>();
    if data_len > limit {
        return None;
    }
    start.checked_add(space(data_len)).filter(|&end| end <= limit)
}

/// The encoder: writes one message of `level` and `kind` carrying `data` at `at` of `buf`
/// (the header, the data, zeroes up to its `CMSG_SPACE`); returns where the next one starts,
/// or `None` when it does not fit `buf` or the lengths of the C types ([`message_end`]).
#[inline]
fn put(buf: &mut [u8], at: usize, level: i32, kind: i32, data: &[u8]) -> Option<usize> {
    let end = message_end(at, data.len())?;
    let room = buf.get_mut(at..end)?;
    room.fill(0);
    // SAFETY: `cmsghdr` is plain integers (and padding on some targets): zeroes are valid.
    let mut header: libc::cmsghdr = unsafe { mem::zeroed() };
    header.cmsg_len = cmsg_len(data.len()) as _;
    header.cmsg_level = level;
    header.cmsg_type = kind;
    // SAFETY: `room` holds `CMSG_SPACE(data.len())` bytes, at least `CMSG_LEN(0)`, which is at
    // least a `cmsghdr`; the write is unaligned and inside `room`.
    unsafe { ptr::write_unaligned(room.as_mut_ptr().cast::<libc::cmsghdr>(), header) };
    room[header_len()..][..data.len()].copy_from_slice(data);
    Some(end)
}

/// Control messages to send, laid out by [`put`] in a buffer of words (so aligned for
/// `cmsghdr`, as the kernel reads it), grown as messages are pushed: the Unix sockets'
/// descriptors and any level and type with raw bytes.
#[derive(Default)]
pub(crate) struct Control {
    words: Vec<usize>,
    len: usize,
}

impl Control {
    /// Appends one message of `level` and `kind` carrying `data`; `InvalidInput` when the
    /// message or the whole control data would not fit the lengths of the C types
    /// (`cmsg_len`, `msg_controllen`): `CMSG_SPACE` takes a `c_uint`, so a longer length
    /// would be cut, and the header would claim fewer bytes than are written.
    pub(crate) fn push(&mut self, level: i32, kind: i32, data: &[u8]) -> io::Result<()> {
        let too_long = || io::Error::new(io::ErrorKind::InvalidInput, "the control messages are too long");
        let end = message_end(self.len, data.len()).ok_or_else(too_long)?;
        self.words.resize(end.div_ceil(size_of::<usize>()), 0);
        // SAFETY: the words are initialised integers, any byte of which is a valid `u8`; the
        // view covers exactly their bytes and borrows them exclusively while it lives.
        let bytes = unsafe {
            std::slice::from_raw_parts_mut(self.words.as_mut_ptr().cast::<u8>(), self.words.len() * size_of::<usize>())
        };
        self.len = put(bytes, self.len, level, kind, data).ok_or_else(too_long)?;
        Ok(())
    }

    /// Appends an `SCM_RIGHTS` message passing `fds` (the kernel duplicates them into the
    /// receiver; the caller keeps its own).
    pub(crate) fn push_fds(&mut self, fds: &[std::os::fd::BorrowedFd<'_>]) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let bytes: Vec<u8> = fds.iter().flat_map(|fd| fd.as_raw_fd().to_ne_bytes()).collect();
        self.push(libc::SOL_SOCKET, libc::SCM_RIGHTS, &bytes)
    }

    /// Appends an `SCM_CREDENTIALS` message claiming `creds` (the kernel checks them: this
    /// process's own ids, or any with the privilege to claim them); `Unsupported` where the
    /// platform has no such message.
    pub(crate) fn push_credentials(&mut self, creds: Ucred) -> io::Result<()> {
        #[cfg(has_so_peercred)]
        {
            // `struct ucred` is three 32-bit integers, no padding: its bytes in field order.
            const _: () = assert!(size_of::<libc::ucred>() == 12);
            let mut bytes = [0u8; 12];
            bytes[..4].copy_from_slice(&creds.pid.to_ne_bytes());
            bytes[4..8].copy_from_slice(&creds.uid.to_ne_bytes());
            bytes[8..].copy_from_slice(&creds.gid.to_ne_bytes());
            self.push(libc::SOL_SOCKET, libc::SCM_CREDENTIALS, &bytes)
        }
        #[cfg(not(has_so_peercred))]
        {
            let _ = creds;
            Err(io::Error::new(io::ErrorKind::Unsupported, "SCM_CREDENTIALS is not supported on this platform"))
        }
    }

    /// The control data laid out so far (empty: none).
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: the words hold at least `len` initialised bytes (`push` grows them first).
        unsafe { std::slice::from_raw_parts(self.words.as_ptr().cast::<u8>(), self.len) }
    }
}

/// A `T` read from the start of `bytes`, when there are enough of them.
#[inline]
fn read<T: Plain>(bytes: &[u8]) -> Option<T> {
    // SAFETY: `bytes` holds at least `size_of::<T>()` bytes (checked), the read is unaligned,
    // and every `Plain` value is integers, valid for any bit pattern.
    (bytes.len() >= size_of::<T>()).then(|| unsafe { ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

// The structs `encode` writes through `bytes_of` have no padding: their sizes are the sums of
// their fields' (an `int` and two `in_addr`s; an `in6_addr` and an `unsigned int`).
#[cfg(has_mmsg)]
const _: () = assert!(size_of::<libc::in_pktinfo>() == 12 && size_of::<libc::in6_pktinfo>() == 20);

/// One control message as laid out: its level, type and data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cmsg<'a> {
    pub(super) level: i32,
    pub(super) kind: i32,
    /// The data, cut at the end of the control data.
    pub(super) data: &'a [u8],
    /// Whether the header claimed more bytes than there are (the kernel never writes one:
    /// it cuts `cmsg_len` to the space given); such a message is the last.
    #[cfg_attr(not(has_mmsg), allow(dead_code))]
    pub(super) cut: bool,
}

/// The walker: the next message of `rest`, `rest` moved past it. A header that claims less
/// than a header ends the walk, and one that claims more than there is has its data cut at
/// the end of `rest` (and is the last), so descriptors in it are still owned. Reads nothing
/// outside `rest` and never overflows, whatever the headers claim.
#[inline]
pub(super) fn next<'a>(rest: &mut &'a [u8]) -> Option<Cmsg<'a>> {
    let whole = *rest;
    let header: libc::cmsghdr = read(whole)?;
    // `cmsg_len` is a `size_t` on glibc and a `socklen_t` elsewhere.
    #[allow(clippy::unnecessary_cast)]
    let len = header.cmsg_len as usize;
    if len < header_len() {
        *rest = &[];
        return None;
    }
    let data = &whole[header_len().min(whole.len())..len.min(whole.len())];
    // CMSG_ALIGN's unit is what CMSG_SPACE adds for one byte of data; a step past the end
    // (or one that overflows) ends the walk.
    let unit = space(1) - space(0);
    *rest = len.checked_next_multiple_of(unit).and_then(|step| whole.get(step..)).unwrap_or(&[]);
    Some(Cmsg { level: header.cmsg_level, kind: header.cmsg_type, data, cut: len > whole.len() })
}

/// The descriptors of an `SCM_RIGHTS` or `SCM_PIDFD` message, owned (and close-on-exec)
/// from here on; `None` for any other message. Every receive that gives the kernel control
/// space runs its messages through this, so no descriptor the kernel installed goes unowned.
fn passed_fds(m: Cmsg<'_>) -> Option<Vec<OwnedFd>> {
    const INT: usize = size_of::<libc::c_int>();
    if (m.level, m.kind) != (libc::SOL_SOCKET, libc::SCM_RIGHTS) && (m.level, m.kind) != (libc::SOL_SOCKET, SCM_PIDFD) {
        return None;
    }
    let fds: Vec<OwnedFd> = m
        .data
        .chunks_exact(INT)
        .map(|c| libc::c_int::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        // A message the kernel wrote holds open descriptors only; a number below 0 would
        // be no descriptor, so it is never owned.
        .filter(|&fd| fd >= 0)
        .map(own)
        .collect();
    #[cfg(not(has_msg_cmsg_cloexec))]
    for fd in &fds {
        use std::os::fd::AsFd;
        let _ = super::fd::set_cloexec(fd.as_fd());
    }
    Some(fds)
}

/// What the control data of a Unix socket's receive carried: the descriptors (owned,
/// close-on-exec, in order) and the sender's credentials.
#[derive(Debug, Default)]
pub(crate) struct Passed {
    pub(crate) fds: Vec<OwnedFd>,
    pub(crate) credentials: Option<Ucred>,
}

/// The descriptors and credentials in `control` (control data a receive wrote), every
/// descriptor owned; other messages are passed over.
pub(super) fn take_passed(mut control: &[u8]) -> Passed {
    let mut passed = Passed::default();
    while let Some(m) = next(&mut control) {
        if let Some(fds) = passed_fds(m) {
            passed.fds.extend(fds);
        } else if let Some(c) = credentials(m) {
            passed.credentials = Some(c);
        }
    }
    passed
}

/// The credentials of an `SCM_CREDENTIALS` message that holds a whole `ucred`.
fn credentials(m: Cmsg<'_>) -> Option<Ucred> {
    #[cfg(has_so_peercred)]
    if (m.level, m.kind) == (libc::SOL_SOCKET, libc::SCM_CREDENTIALS) {
        return read::<libc::ucred>(m.data).map(|c| Ucred { pid: c.pid, uid: c.uid, gid: c.gid });
    }
    let _ = m;
    None
}

/// Owns, then closes (one `close(2)` each), every descriptor an `SCM_RIGHTS` or `SCM_PIDFD`
/// message of `control` (control data a receive wrote) carries: for the receives whose
/// sockets carry none (UDP), as a receive cannot know what the kernel put in its control
/// space, and a descriptor it installed that nothing owns would stay open for the process's
/// life. Their numbers stay in `control` (an `Other` message), closed.
pub(super) fn close_passed(mut control: &[u8]) {
    while let Some(m) = next(&mut control) {
        for fd in passed_fds(m).unwrap_or_default() {
            // Released whatever `close` says; there is no one to report it to.
            let _ = super::fd::close(fd);
        }
    }
}

/// A control message of a datagram socket, decoded: the crate-private twin of the public
/// `ControlMessage` (`udp/msg.rs`), which is made from it one-to-one (same variants, same
/// fields, so the same `Debug`), and to it for a send.
#[cfg(has_mmsg)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Message {
    /// `IP_PKTINFO` or `IPV6_PKTINFO`: the destination (received) or source (sent) address.
    PacketInfo { addr: IpAddr, interface: u32 },
    /// `SCM_TIMESTAMPNS`.
    Timestamp(SystemTime),
    /// `IP_TTL`.
    Ttl(u8),
    /// `IPV6_HOPLIMIT`.
    HopLimit(u8),
    /// `IP_TOS`.
    Tos(u8),
    /// `IPV6_TCLASS`.
    TrafficClass(u8),
    /// `UDP_GRO` (received) or `UDP_SEGMENT` (sent).
    SegmentSize(u16),
    /// Anything else, or a known message too short for its type.
    Other { level: i32, kind: i32, len: usize },
}

/// The messages of `control` (control data a receive wrote), decoded, in order; a header that
/// claims more bytes than there are ends the walk, as does one too short to be a header.
#[cfg(has_mmsg)]
pub(crate) fn messages(mut control: &[u8]) -> impl Iterator<Item = Message> + '_ {
    std::iter::from_fn(move || next_message(&mut control))
}

/// The next message of `rest`, decoded, `rest` moved past it (see [`messages`]).
#[cfg(has_mmsg)]
#[inline]
pub(crate) fn next_message(rest: &mut &[u8]) -> Option<Message> {
    next(rest).filter(|m| !m.cut).map(decode)
}

/// One message, by its level and type; anything unknown or short is `Other`.
#[cfg(has_mmsg)]
fn decode(m: Cmsg<'_>) -> Message {
    let Cmsg { level, kind, data, .. } = m;
    let int = || read::<libc::c_int>(data);
    let byte = |v: libc::c_int| u8::try_from(v).ok();
    let known = match (level, kind) {
        (libc::IPPROTO_IP, libc::IP_PKTINFO) => read::<libc::in_pktinfo>(data).map(|p| Message::PacketInfo {
            addr: IpAddr::V4(Ipv4Addr::from(p.ipi_addr.s_addr.to_ne_bytes())),
            interface: p.ipi_ifindex as u32,
        }),
        (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => read::<libc::in6_pktinfo>(data).map(|p| Message::PacketInfo {
            addr: IpAddr::V6(Ipv6Addr::from(p.ipi6_addr.s6_addr)),
            interface: p.ipi6_ifindex,
        }),
        (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS) => read::<libc::timespec>(data).and_then(|t| {
            let since = Duration::new(u64::try_from(t.tv_sec).ok()?, u32::try_from(t.tv_nsec).ok()?);
            SystemTime::UNIX_EPOCH.checked_add(since).map(Message::Timestamp)
        }),
        (libc::IPPROTO_IP, libc::IP_TTL) => int().and_then(byte).map(Message::Ttl),
        (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) => int().and_then(byte).map(Message::HopLimit),
        // IP_RECVTOS delivers the byte itself; a sender may write an int.
        (libc::IPPROTO_IP, libc::IP_TOS) if data.len() == 1 => Some(Message::Tos(data[0])),
        (libc::IPPROTO_IP, libc::IP_TOS) => int().and_then(byte).map(Message::Tos),
        (libc::IPPROTO_IPV6, libc::IPV6_TCLASS) => int().and_then(byte).map(Message::TrafficClass),
        (libc::SOL_UDP, libc::UDP_GRO) => int().and_then(|v| u16::try_from(v).ok()).map(Message::SegmentSize),
        (libc::SOL_UDP, libc::UDP_SEGMENT) => read::<u16>(data).map(Message::SegmentSize),
        _ => None,
    };
    known.unwrap_or(Message::Other { level, kind, len: data.len() })
}

/// `value`'s bytes.
///
/// # Safety
///
/// `T` has no padding, so each of its `size_of::<T>()` bytes is initialised.
#[cfg(has_mmsg)]
#[inline]
unsafe fn bytes_of<T: Plain>(value: &T) -> &[u8] {
    // SAFETY: every byte of `value` is initialised (this function's contract); the view
    // borrows `value`.
    unsafe { std::slice::from_raw_parts(ptr::from_ref(value).cast::<u8>(), size_of::<T>()) }
}

/// Writes `messages` as control data into `buf` with [`put`]; returns the bytes used. A
/// message that cannot be sent (`Timestamp`, `Other`) or a set that does not fit is
/// `InvalidInput`.
#[cfg(has_mmsg)]
pub(super) fn encode<M: Copy + Into<Message>>(messages: &[M], buf: &mut [u8]) -> io::Result<usize> {
    let mut used = 0;
    for &m in messages {
        let m: Message = m.into();
        let at = used;
        let mut put_value = |level: i32, kind: i32, data: &[u8]| put(buf, at, level, kind, data);
        let int = |v: u8| libc::c_int::from(v).to_ne_bytes();
        let written = match m {
            Message::PacketInfo { addr: IpAddr::V4(a), interface } => {
                let info = libc::in_pktinfo {
                    ipi_ifindex: interface as libc::c_int,
                    ipi_spec_dst: libc::in_addr { s_addr: u32::from_ne_bytes(a.octets()) },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                // SAFETY: an `in_pktinfo` has no padding (its size is asserted above).
                put_value(libc::IPPROTO_IP, libc::IP_PKTINFO, unsafe { bytes_of(&info) })
            }
            Message::PacketInfo { addr: IpAddr::V6(a), interface } => {
                let info =
                    libc::in6_pktinfo { ipi6_addr: libc::in6_addr { s6_addr: a.octets() }, ipi6_ifindex: interface };
                // SAFETY: an `in6_pktinfo` has no padding (its size is asserted above).
                put_value(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, unsafe { bytes_of(&info) })
            }
            Message::Ttl(v) => put_value(libc::IPPROTO_IP, libc::IP_TTL, &int(v)),
            Message::HopLimit(v) => put_value(libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT, &int(v)),
            Message::Tos(v) => put_value(libc::IPPROTO_IP, libc::IP_TOS, &int(v)),
            Message::TrafficClass(v) => put_value(libc::IPPROTO_IPV6, libc::IPV6_TCLASS, &int(v)),
            Message::SegmentSize(v) => put_value(libc::SOL_UDP, libc::UDP_SEGMENT, &v.to_ne_bytes()),
            Message::Timestamp(_) | Message::Other { .. } => {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{m:?} cannot be sent")));
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages `next` finds, with where their data lies in `bytes`.
    fn walked(bytes: &[u8]) -> Vec<(i32, i32, std::ops::Range<usize>)> {
        let base = bytes.as_ptr() as usize;
        let mut rest = bytes;
        let mut found = Vec::new();
        while let Some(m) = next(&mut rest) {
            let start = m.data.as_ptr() as usize - base;
            found.push((m.level, m.kind, start..start + m.data.len()));
        }
        found
    }

    /// Every message of `bytes`, as level, type and data.
    fn all(bytes: &[u8]) -> Vec<(i32, i32, Vec<u8>)> {
        let mut rest = bytes;
        std::iter::from_fn(|| next(&mut rest)).map(|m| (m.level, m.kind, m.data.to_vec())).collect()
    }

    #[test]
    fn builder_and_walker_agree() {
        let mut control = Control::default();
        assert!(control.bytes().is_empty());
        control.push(41, 50, b"abc").unwrap();
        control.push(0, 1, b"").unwrap();
        control.push(7, 8, &[9; 17]).unwrap();
        assert_eq!(control.bytes().len(), space(3) + space(0) + space(17));
        assert_eq!(all(control.bytes()), [(41, 50, b"abc".to_vec()), (0, 1, Vec::new()), (7, 8, vec![9; 17])]);
    }

    #[cfg(has_so_peercred)]
    #[test]
    fn credentials_pushed_walk_back_as_the_receiver_reads_them() {
        let mut control = Control::default();
        let creds = Ucred { pid: 7, uid: 8, gid: u32::MAX };
        control.push_credentials(creds).unwrap();
        assert_eq!(control.bytes().len(), room_for_credentials());
        assert_eq!(take_passed(control.bytes()).credentials, Some(creds));
    }

    #[test]
    fn control_lengths_that_do_not_fit_the_c_types_are_refused() {
        let max = libc::c_int::MAX as usize;
        assert_eq!(message_end(0, 3), Some(space(3)));
        assert_eq!(message_end(16, 0), Some(16 + space(0)));
        for (start, len) in [(0, max), (0, u32::MAX as usize), (0, usize::MAX), (max - 8, 1), (usize::MAX, 0)] {
            assert_eq!(message_end(start, len), None, "({start}, {len})");
        }
        // The largest message that fits still has its space computed exactly.
        let fits = max / 2;
        assert_eq!(message_end(0, fits), Some(space(fits)));
        assert!(space(fits) >= fits + cmsg_len(0));
    }

    #[test]
    fn the_walker_stops_at_a_lying_header_and_never_reads_past_the_end() {
        let mut control = Control::default();
        control.push(1, 2, &[5; 8]).unwrap();
        let mut raw = control.bytes().to_vec();
        // A length past the end: the data is cut at the end of the buffer.
        let claimed = (cmsg_len(0) + 1000) as libc::size_t;
        raw[..size_of::<libc::size_t>()].copy_from_slice(&claimed.to_ne_bytes());
        let mut rest = &raw[..];
        let m = next(&mut rest).unwrap();
        assert_eq!((m.data.len(), m.cut, rest.len()), (raw.len() - cmsg_len(0), true, 0));
        // A length shorter than a header ends the walk.
        raw[..size_of::<libc::size_t>()].copy_from_slice(&(1 as libc::size_t).to_ne_bytes());
        assert!(all(&raw).is_empty());
        assert!(all(&raw[..3]).is_empty());
    }

    #[cfg(has_mmsg)]
    #[test]
    fn encode_then_decode_round_trips() {
        let sent = [
            Message::PacketInfo { addr: IpAddr::V6(Ipv6Addr::LOCALHOST), interface: 1 },
            Message::HopLimit(7),
            Message::TrafficClass(0x10),
            Message::SegmentSize(1200),
        ];
        let mut buf = [0u8; 128];
        let used = encode(&sent, &mut buf).unwrap();
        assert_eq!(used, space(20) + 2 * space(4) + space(2));
        assert_eq!(messages(&buf[..used]).collect::<Vec<_>>(), sent);
        // IPv4 packet info: what a sender writes is the source (ipi_spec_dst), which a
        // receiver's decoder does not read; it reads ipi_addr, written as 0.
        let used = encode(&[Message::PacketInfo { addr: "1.2.3.4".parse().unwrap(), interface: 3 }], &mut buf).unwrap();
        assert_eq!(
            messages(&buf[..used]).collect::<Vec<_>>(),
            [Message::PacketInfo { addr: "0.0.0.0".parse().unwrap(), interface: 3 }]
        );
    }

    #[cfg(has_mmsg)]
    #[test]
    fn encode_refuses_what_cannot_be_sent_or_does_not_fit() {
        let mut buf = [0u8; 128];
        let err = encode(&[Message::Timestamp(SystemTime::UNIX_EPOCH)], &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let many = [Message::Ttl(1); 6];
        assert_eq!(encode(&many, &mut buf).unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert_eq!(encode::<Message>(&[], &mut [0u8; 0]).unwrap(), 0);
    }

    #[cfg(has_mmsg)]
    #[test]
    fn hostile_control_data_is_never_overread() {
        let mut buf = [0u8; 64];
        let used = encode(&[Message::Ttl(9), Message::Tos(3)], &mut buf).unwrap();
        // Every prefix decodes to whole messages only.
        for cut in 0..=used {
            let n = messages(&buf[..cut]).count();
            assert!(n <= 2);
            if cut < header_len() + 4 {
                assert_eq!(n, 0, "cut at {cut}");
            }
        }
        // A header claiming more than there is, or less than a header, ends the walk.
        let mut bad = buf;
        let mut header: libc::cmsghdr = read(&bad).unwrap();
        header.cmsg_len = 1000;
        // SAFETY: test only; the header is written unaligned inside `bad`.
        unsafe { ptr::write_unaligned(bad.as_mut_ptr().cast(), header) };
        assert_eq!(messages(&bad[..used]).count(), 0);
        header.cmsg_len = 1;
        // SAFETY: as above.
        unsafe { ptr::write_unaligned(bad.as_mut_ptr().cast(), header) };
        assert_eq!(messages(&bad[..used]).count(), 0);
        // A misaligned start decodes the same.
        let mut shifted = [0u8; 65];
        shifted[1..].copy_from_slice(&buf);
        assert_eq!(messages(&shifted[1..1 + used]).collect::<Vec<_>>(), [Message::Ttl(9), Message::Tos(3)]);
        // A short payload of a known type is `Other`, not a misread.
        let short = Cmsg { level: libc::IPPROTO_IP, kind: libc::IP_PKTINFO, data: &[0; 3], cut: false };
        assert_eq!(decode(short), Message::Other { level: libc::IPPROTO_IP, kind: libc::IP_PKTINFO, len: 3 });
        let big = 300i32.to_ne_bytes();
        let ttl = Cmsg { level: libc::IPPROTO_IP, kind: libc::IP_TTL, data: &big, cut: false };
        assert_eq!(decode(ttl), Message::Other { level: libc::IPPROTO_IP, kind: libc::IP_TTL, len: 4 });
    }

    proptest::proptest! {
        /// Any bytes, any headers: the walk never panics, every message's data lies inside
        /// the bytes given, and nothing past them changes what it finds.
        #[test]
        fn the_walk_stays_inside_any_control_data(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            cut in 0..200usize,
            tail in proptest::prelude::any::<u8>(),
        ) {
            let cut = cut.min(bytes.len());
            let found = walked(&bytes[..cut]);
            for (_, _, at) in &found {
                proptest::prop_assert!(at.end <= cut);
            }
            let mut changed = bytes.clone();
            changed[cut..].fill(tail);
            proptest::prop_assert_eq!(walked(&changed[..cut]), found);
            // The decoding walk (the public `control_messages`) as well.
            #[cfg(has_mmsg)]
            {
                let decoded: Vec<_> = messages(&bytes[..cut]).collect();
                proptest::prop_assert_eq!(messages(&changed[..cut]).collect::<Vec<_>>(), decoded);
            }
        }

        /// Messages laid out by `Control::push` come back as pushed, and a lying length
        /// (any `size_t`) in the first header cuts or ends the walk without a panic.
        #[test]
        fn pushed_messages_walk_back_and_lies_stay_inside(
            messages in proptest::collection::vec(
                (0..300i32, 0..300i32, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)),
                0..6,
            ),
            lie in proptest::prelude::any::<usize>(),
        ) {
            let mut control = Control::default();
            for (level, kind, data) in &messages {
                control.push(*level, *kind, data).unwrap();
            }
            let raw = control.bytes().to_vec();
            proptest::prop_assert_eq!(&all(&raw), &messages);
            if !raw.is_empty() {
                let mut lying = raw.clone();
                lying[..size_of::<libc::size_t>()].copy_from_slice(&lie.to_ne_bytes());
                for (_, _, at) in walked(&lying) {
                    proptest::prop_assert!(at.end <= lying.len());
                }
            }
        }
    }
}
