//! Ancillary data: control messages (`cmsg(3)`) and the two calls that carry them,
//! `sendmsg(2)` and `recvmsg(2)`.
//!
//! [`Control`] lays out the messages to send (descriptors, credentials, or any level and
//! type with raw bytes); [`recv_msg`] parses what arrives into [`Message`]s. The parser is
//! where received descriptors become `OwnedFd`s: every descriptor the kernel installed is
//! owned before `recv_msg` returns, so whatever the caller does next — a truncated datagram
//! that turns into an error, a buffer too small for all of them, a drop — closes each one
//! exactly once and leaks none. Nothing here is specific to Unix sockets: another control
//! message (`IP_PKTINFO`, timestamps) is one more arm in `parse`. A TCP connection's
//! vectored I/O is the same two calls with several `iovec`s and no control data.

use std::io;
use std::mem;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use super::Ucred;
use super::addr::{KernelAddr, returning_addr};
use super::fd::own;
use super::socket::{MAX_IO, NOSIGNAL};
use super::{MsgFlags, cvt};

/// `SCM_PIDFD` (Linux 6.5): a pidfd of the sender, when the receiver set `SO_PASSPIDFD`
/// through `set_sock_opt`. It is a descriptor, so it is owned like `SCM_RIGHTS`' ones.
const SCM_PIDFD: libc::c_int = 4;

/// `CMSG_LEN(len)`: a header and `len` bytes of data.
fn cmsg_len(len: usize) -> usize {
    // SAFETY: CMSG_LEN is arithmetic on its argument; it reads no memory.
    unsafe { libc::CMSG_LEN(len as libc::c_uint) as usize }
}

/// `CMSG_SPACE(len)`: what a message of `len` bytes of data takes, padding included.
pub(crate) fn cmsg_space(len: usize) -> usize {
    // SAFETY: CMSG_SPACE is arithmetic on its argument; it reads no memory.
    unsafe { libc::CMSG_SPACE(len as libc::c_uint) as usize }
}

/// The room `recv_msg` needs for up to `n` descriptors in one `SCM_RIGHTS` message.
pub(crate) fn room_for_fds(n: usize) -> usize {
    if n == 0 { 0 } else { cmsg_space(n * mem::size_of::<libc::c_int>()) }
}

/// The room for one `SCM_CREDENTIALS` message, which the kernel adds to every message once
/// the receiver set `SO_PASSCRED` (0 where the platform has none).
pub(crate) fn room_for_credentials() -> usize {
    #[cfg(has_so_peercred)]
    return cmsg_space(mem::size_of::<libc::ucred>());
    #[cfg(not(has_so_peercred))]
    return 0;
}

/// Where a message of `data_len` bytes that starts at `start` ends (its `CMSG_SPACE` later),
/// or `None` when that passes the most every platform's `cmsg_len` and `msg_controllen`
/// hold (a `c_int`; `CMSG_SPACE` itself takes a `c_uint`, so a longer length would be cut
/// and the header claim fewer bytes than are written).
fn message_end(start: usize, data_len: usize) -> Option<usize> {
    // Leave room for the header and the padding, so CMSG_SPACE's argument never wraps.
    let limit = libc::c_int::MAX as usize - cmsg_space(0) - mem::size_of::<usize>();
    if data_len > limit {
        return None;
    }
    start.checked_add(cmsg_space(data_len)).filter(|&end| end <= limit)
}

/// Control messages to send, in the kernel's layout: each a `cmsghdr` and its data, padded
/// to the header's alignment. The buffer is words, so it is aligned for `cmsghdr`.
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
        let start = self.len;
        self.len = message_end(start, data.len())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the control messages are too long"))?;
        self.words.resize(self.len.div_ceil(mem::size_of::<usize>()), 0);
        // SAFETY: `cmsghdr` is plain integers (and padding on some targets): zeroes are valid.
        let mut header: libc::cmsghdr = unsafe { mem::zeroed() };
        header.cmsg_len = cmsg_len(data.len()) as _;
        header.cmsg_level = level;
        header.cmsg_type = kind;
        let base: *mut u8 = self.words.as_mut_ptr().cast();
        // SAFETY: `words` holds at least `self.len` bytes, and the message's `cmsg_space` bytes
        // from `start` (a multiple of the header's alignment) take the header and the data.
        unsafe {
            base.add(start).cast::<libc::cmsghdr>().write(header);
            std::ptr::copy_nonoverlapping(data.as_ptr(), base.add(start + cmsg_len(0)), data.len());
        }
        Ok(())
    }

    /// Appends an `SCM_RIGHTS` message passing `fds` (the kernel duplicates them into the
    /// receiver; the caller keeps its own).
    pub(crate) fn push_fds(&mut self, fds: &[BorrowedFd<'_>]) -> io::Result<()> {
        let bytes: Vec<u8> = fds.iter().flat_map(|fd| fd.as_raw_fd().to_ne_bytes()).collect();
        self.push(libc::SOL_SOCKET, libc::SCM_RIGHTS, &bytes)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One control message received.
#[derive(Debug)]
pub(crate) enum Message {
    /// `SCM_RIGHTS` (or `SCM_PIDFD`): descriptors, close-on-exec, owned.
    Fds(Vec<OwnedFd>),
    /// `SCM_CREDENTIALS`.
    Credentials(Ucred),
    /// Any other message, as its level, type and data (for the IP message I/O to come;
    /// read by the tests for now).
    #[allow(dead_code)]
    Other { level: i32, kind: i32, data: Vec<u8> },
}

/// What a `recvmsg` brought.
#[derive(Debug)]
pub(crate) struct Received {
    /// The call's result: bytes received (for a datagram with `MsgFlags::TRUNC`, its full
    /// length, which may exceed the buffer).
    pub(crate) len: usize,
    /// The control messages, in order.
    pub(crate) messages: Vec<Message>,
    /// `MSG_CTRUNC`: more control data came than there was room for; the kernel closed the
    /// descriptors that did not fit.
    pub(crate) control_truncated: bool,
}

/// `sendmsg(fd, {to, [buf], control}, flags | MSG_NOSIGNAL)`: `buf` as one `iovec`, the
/// control messages (none: a null control pointer), to `to` or the connected peer.
pub(crate) fn send_msg<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    control: &Control,
    to: Option<&A>,
    flags: MsgFlags,
) -> io::Result<usize> {
    let buf = &buf[..buf.len().min(MAX_IO)];
    send_msg_vectored(fd, &[io::IoSlice::new(buf)], control, to, flags)
}

/// The most buffers one vectored call passes (Linux's and the BSDs' `IOV_MAX`); more is a
/// short read or write, as `readv(2)`/`writev(2)` callers expect, never `EMSGSIZE`.
const MAX_IOV: usize = 1024;

/// `sendmsg(fd, {to, [bufs…], control}, flags | MSG_NOSIGNAL)`: the buffers as one `iovec`
/// each (at most [`MAX_IOV`] of them), in one call.
pub(crate) fn send_msg_vectored<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    bufs: &[io::IoSlice<'_>],
    control: &Control,
    to: Option<&A>,
    flags: MsgFlags,
) -> io::Result<usize> {
    let raw = to.map(KernelAddr::to_raw).transpose()?;
    let bufs = &bufs[..bufs.len().min(MAX_IOV)];
    // SAFETY: `msghdr` is integers and pointers, for which all zeroes (null) is valid.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    if let Some(raw) = &raw {
        msg.msg_name = raw.as_ptr().cast_mut().cast();
        msg.msg_namelen = raw.len();
    }
    // `IoSlice` is guaranteed ABI-compatible with `struct iovec` on Unix.
    msg.msg_iov = bufs.as_ptr().cast_mut().cast::<libc::iovec>();
    msg.msg_iovlen = bufs.len() as _;
    if !control.is_empty() {
        msg.msg_control = control.words.as_ptr().cast_mut().cast();
        msg.msg_controllen = control.len as _;
    }
    // SAFETY: every pointer in `msg` points at live memory of the length beside it (the
    // buffers through the `iovec` array, the address, the control words), none of which the
    // kernel writes.
    let n = unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, flags.0 | NOSIGNAL) };
    cvt(n).map(|n| n as usize)
}

/// `recvmsg(fd, {NULL, [bufs…], no control}, flags)`: a stream's bytes scattered over the
/// buffers (at most [`MAX_IOV`] of them), in one call that takes the wait's flags
/// (`MSG_DONTWAIT`), which `readv(2)` cannot.
pub(crate) fn recv_vectored(fd: BorrowedFd<'_>, bufs: &mut [io::IoSliceMut<'_>], flags: MsgFlags) -> io::Result<usize> {
    let len = bufs.len().min(MAX_IOV);
    // SAFETY: `msghdr` is integers and pointers, for which all zeroes (null) is valid.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    // `IoSliceMut` is guaranteed ABI-compatible with `struct iovec` on Unix.
    msg.msg_iov = bufs.as_mut_ptr().cast::<libc::iovec>();
    msg.msg_iovlen = len as _;
    // SAFETY: `msg` points at `len` iovecs, each over a live, exclusively borrowed buffer of
    // the length it states; there is no name and no control space for the kernel to write.
    let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags.0) };
    cvt(n).map(|n| n as usize)
}

/// `recvmsg(fd, {&from, [buf], control of `room` bytes}, flags | MSG_CMSG_CLOEXEC)`, with the
/// control messages parsed and every received descriptor owned (close-on-exec from the call
/// itself). The sender is `None` when the kernel gave no address of type `A`.
pub(crate) fn recv_msg<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    room: usize,
    flags: MsgFlags,
) -> io::Result<(Received, Option<A>)> {
    let mut control = vec![0usize; room.div_ceil(mem::size_of::<usize>())];
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len().min(MAX_IO) };
    #[cfg(has_msg_cmsg_cloexec)]
    let flags = flags.0 | libc::MSG_CMSG_CLOEXEC;
    #[cfg(not(has_msg_cmsg_cloexec))]
    let flags = flags.0;
    returning_addr(|addr, addr_len| {
        // SAFETY: `msghdr` is integers and pointers, for which all zeroes (null) is valid.
        let mut msg: libc::msghdr = unsafe { mem::zeroed() };
        msg.msg_name = addr.cast();
        // SAFETY: `addr_len` points at the helper's live length.
        msg.msg_namelen = unsafe { *addr_len };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if room > 0 {
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = room as _;
        }
        // SAFETY: every pointer in `msg` points at live, writable memory of the length beside
        // it (`buf` through `iov`, the address room, `room <= control`'s bytes).
        let n = cvt(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags) })? as usize;
        // SAFETY: as above.
        unsafe { *addr_len = msg.msg_namelen };
        let used = (msg.msg_controllen as usize).min(room);
        // SAFETY: the rule for every length over memory the kernel writes (ARCHITECTURE.md):
        // what is read is what the kernel wrote, by a count of bytes written cut to the space
        // given, never past it: `msg_controllen` is the control data the kernel wrote, and
        // `used <= room <= control`'s bytes, all zero-filled at allocation besides, so
        // initialised whatever the kernel says.
        let bytes = unsafe { std::slice::from_raw_parts(control.as_ptr().cast::<u8>(), used) };
        let messages = parse(bytes);
        Ok(Received { len: n, messages, control_truncated: msg.msg_flags & libc::MSG_CTRUNC != 0 })
    })
}

/// Splits `bytes` (control data the kernel wrote, aligned for `cmsghdr`) into messages. A
/// header that claims less than a header ends the walk, and one that claims more than there
/// is has its data cut at the end of `bytes`; descriptors are owned as they are found, so
/// none is lost even then.
fn parse(bytes: &[u8]) -> Vec<Message> {
    let mut messages = Vec::new();
    walk(bytes, |level, kind, data| messages.push(message(level, kind, data)));
    messages
}

/// Calls `each` with the level, type and data of every message in `bytes`, in order; reads
/// nothing outside `bytes` and never overflows, whatever the headers claim.
fn walk<'a>(bytes: &'a [u8], mut each: impl FnMut(i32, i32, &'a [u8])) {
    let header = mem::size_of::<libc::cmsghdr>();
    // CMSG_ALIGN's unit: what CMSG_SPACE adds for one byte of data.
    let unit = cmsg_space(1) - cmsg_space(0);
    let mut at = 0;
    while let Some(rest) = bytes.get(at..).filter(|rest| rest.len() >= header) {
        // SAFETY: `rest` holds at least `header` bytes; read_unaligned needs no alignment,
        // and a `cmsghdr` is integers (and padding on some targets), valid for any bytes.
        let h: libc::cmsghdr = unsafe { rest.as_ptr().cast::<libc::cmsghdr>().read_unaligned() };
        // `cmsg_len` is a `size_t` on glibc and a `socklen_t` elsewhere.
        #[allow(clippy::unnecessary_cast)]
        let len = h.cmsg_len as usize;
        if len < cmsg_len(0) {
            break;
        }
        let data = &rest[cmsg_len(0).min(rest.len())..len.min(rest.len())];
        each(h.cmsg_level, h.cmsg_type, data);
        match len.checked_next_multiple_of(unit).and_then(|step| at.checked_add(step)) {
            Some(next) => at = next,
            None => break,
        }
    }
}

/// The descriptors of an `SCM_RIGHTS` or `SCM_PIDFD` message, owned (and close-on-exec)
/// from here on; `None` for any other message. Every receive that gives the kernel control
/// space runs its messages through this (here and in `msg`), so no descriptor the kernel
/// installed goes unowned.
pub(super) fn passed_fds(level: i32, kind: i32, data: &[u8]) -> Option<Vec<OwnedFd>> {
    const INT: usize = mem::size_of::<libc::c_int>();
    if (level, kind) != (libc::SOL_SOCKET, libc::SCM_RIGHTS) && (level, kind) != (libc::SOL_SOCKET, SCM_PIDFD) {
        return None;
    }
    let fds: Vec<OwnedFd> = data
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

fn message(level: i32, kind: i32, data: &[u8]) -> Message {
    if let Some(fds) = passed_fds(level, kind, data) {
        return Message::Fds(fds);
    }
    match (level, kind) {
        #[cfg(has_so_peercred)]
        (libc::SOL_SOCKET, libc::SCM_CREDENTIALS) if data.len() >= mem::size_of::<libc::ucred>() => {
            // SAFETY: `data` holds a whole `ucred`, which is plain integers.
            let c = unsafe { data.as_ptr().cast::<libc::ucred>().read_unaligned() };
            Message::Credentials(Ucred { pid: c.pid, uid: c.uid, gid: c.gid })
        }
        _ => Message::Other { level, kind, data: data.to_vec() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    fn bytes(control: &Control) -> &[u8] {
        // SAFETY: `words` holds at least `len` initialised bytes.
        unsafe { std::slice::from_raw_parts(control.words.as_ptr().cast::<u8>(), control.len) }
    }

    #[test]
    fn builder_and_parser_agree() {
        let mut control = Control::default();
        assert!(control.is_empty());
        control.push(41, 50, b"abc").unwrap();
        control.push(0, 1, b"").unwrap();
        control.push(7, 8, &[9; 17]).unwrap();
        assert_eq!(control.len, cmsg_space(3) + cmsg_space(0) + cmsg_space(17));
        let parsed = parse(bytes(&control));
        let others: Vec<_> = parsed
            .iter()
            .map(|m| match m {
                Message::Other { level, kind, data } => (*level, *kind, data.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(others, [(41, 50, b"abc".to_vec()), (0, 1, Vec::new()), (7, 8, vec![9; 17])]);
    }

    #[test]
    fn control_lengths_that_do_not_fit_the_c_types_are_refused() {
        let max = libc::c_int::MAX as usize;
        assert_eq!(message_end(0, 3), Some(cmsg_space(3)));
        assert_eq!(message_end(16, 0), Some(16 + cmsg_space(0)));
        for (start, len) in [(0, max), (0, u32::MAX as usize), (0, usize::MAX), (max - 8, 1), (usize::MAX, 0)] {
            assert_eq!(message_end(start, len), None, "({start}, {len})");
        }
        // The largest message that fits still has its space computed exactly.
        let fits = max / 2;
        assert_eq!(message_end(0, fits), Some(cmsg_space(fits)));
        assert!(cmsg_space(fits) >= fits + cmsg_len(0));
    }

    #[test]
    fn the_parser_stops_at_a_lying_header_and_never_reads_past_the_end() {
        let mut control = Control::default();
        control.push(1, 2, &[5; 8]).unwrap();
        let mut raw = bytes(&control).to_vec();
        // A length past the end: the data is cut at the end of the buffer.
        let claimed = (cmsg_len(0) + 1000) as libc::size_t;
        raw[..mem::size_of::<libc::size_t>()].copy_from_slice(&claimed.to_ne_bytes());
        match &parse(&raw)[..] {
            [Message::Other { data, .. }] => assert_eq!(data.len(), raw.len() - cmsg_len(0)),
            other => panic!("{other:?}"),
        }
        // A length shorter than a header ends the walk.
        raw[..mem::size_of::<libc::size_t>()].copy_from_slice(&(1 as libc::size_t).to_ne_bytes());
        assert!(parse(&raw).is_empty());
        assert!(parse(&raw[..3]).is_empty());
    }

    #[test]
    fn descriptors_go_through_a_socketpair_close_on_exec() {
        let (a, b) = super::super::socket::socketpair(super::super::SockType::Stream).unwrap();
        let mut control = Control::default();
        control.push_fds(&[a.as_fd(), b.as_fd()]).unwrap();
        let sent: io::Result<usize> =
            send_msg::<crate::sys::addr::UnixName>(a.as_fd(), b"x", &control, None, MsgFlags::NONE);
        assert_eq!(sent.unwrap(), 1);
        let mut buf = [0; 4];
        let (got, _): (Received, Option<crate::sys::addr::UnixName>) =
            recv_msg(b.as_fd(), &mut buf, room_for_fds(2), MsgFlags::NONE).unwrap();
        assert_eq!((got.len, got.control_truncated), (1, false));
        match &got.messages[..] {
            [Message::Fds(fds)] => {
                assert_eq!(fds.len(), 2);
                for fd in fds {
                    // SAFETY: F_GETFD only reads the descriptor's flags.
                    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
                    assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
                }
            }
            other => panic!("{other:?}"),
        }
    }

    /// The messages `walk` finds, with where their data lies in `bytes`.
    fn walked(bytes: &[u8]) -> Vec<(i32, i32, std::ops::Range<usize>)> {
        let base = bytes.as_ptr() as usize;
        let mut found = Vec::new();
        walk(bytes, |level, kind, data| {
            let start = data.as_ptr() as usize - base;
            found.push((level, kind, start..start + data.len()));
        });
        found
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
            let raw = bytes(&control).to_vec();
            let mut back = Vec::new();
            walk(&raw, |level, kind, data| back.push((level, kind, data.to_vec())));
            proptest::prop_assert_eq!(&back, &messages);
            if !raw.is_empty() {
                let mut lying = raw.clone();
                lying[..mem::size_of::<libc::size_t>()].copy_from_slice(&lie.to_ne_bytes());
                for (_, _, at) in walked(&lying) {
                    proptest::prop_assert!(at.end <= lying.len());
                }
            }
        }
    }
}
