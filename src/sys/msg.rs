//! Message I/O: `sendmsg(2)`/`recvmsg(2)` with control data (the Unix sockets' descriptors
//! and credentials, a datagram's IP messages) or several buffers (a TCP connection's
//! vectored I/O), and the `sendmmsg(2)`/`recvmmsg(2)` batches. The control messages
//! themselves are laid out and walked in `cmsg.rs`; every receive here that gives the kernel
//! control space passes `MSG_CMSG_CLOEXEC` and owns the descriptors that arrive before it
//! returns.

use std::io;
use std::mem::{self, MaybeUninit};
#[cfg(has_mmsg)]
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr;

use super::addr::{KernelAddr, returning_addr};
#[cfg(has_mmsg)]
use super::addr::{RawAddr, SockAddr, to_socket_addr};
use super::cmsg::{self, Passed};
use super::socket::{MAX_IO, NOSIGNAL};
use super::{MsgFlags, cvt};

/// The most datagrams one `send_mmsg` sends (the public `SEND_BATCH_MAX`): their headers,
/// addresses and control data live on the stack (about 15 KiB), so a batch costs no
/// allocation.
#[cfg(has_mmsg)]
pub(crate) const SEND_BATCH_MAX: usize = 64;

/// The most datagrams one `recvmmsg` takes (the public `RECV_BATCH_MAX`): the kernel's own cap
/// on its vector (`UIO_MAXIOV`). [`RecvSlots`] of more slots are refused, as the rest could
/// never be filled.
#[cfg(has_mmsg)]
pub(crate) const RECV_BATCH_MAX: usize = 1024;

/// Room for the control data of one outgoing datagram: the largest set [`cmsg::encode`]
/// writes (IPv6 packet info, hop limit, traffic class, segment size) is 40 + 3 × 24 = 112
/// bytes.
#[cfg(has_mmsg)]
const SEND_CONTROL: usize = 128;

/// What one `recvmsg` (or one slot of a `recvmmsg`) brought.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Received<A> {
    /// The call's result: bytes received (for a datagram with `MsgFlags::TRUNC`, its full
    /// length, which may exceed the buffer).
    pub(crate) len: usize,
    /// The sender, when the kernel gave an address of type `A`.
    pub(crate) from: Option<A>,
    /// Bytes of control data written (the kernel's `msg_controllen`, never more than the
    /// control space it was given).
    pub(crate) control_len: usize,
    /// `MSG_TRUNC` in `msg_flags`: the datagram did not fit.
    pub(crate) truncated: bool,
    /// `MSG_CTRUNC` in `msg_flags`: some control data did not fit and was dropped (the
    /// kernel closed the descriptors that did not fit).
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

/// What `hdr` says after a receive of result `len` given `control_room` bytes of control
/// space: the rule for every length over memory the kernel writes (ARCHITECTURE.md) cuts
/// `msg_controllen` to the space given.
// `msg_controllen` is a `size_t` on glibc, a `socklen_t` on musl.
#[allow(clippy::unnecessary_cast)]
fn received<A>(hdr: &libc::msghdr, len: usize, from: Option<A>, control_room: usize) -> Received<A> {
    Received {
        len,
        from,
        control_len: (hdr.msg_controllen as usize).min(control_room),
        truncated: hdr.msg_flags & libc::MSG_TRUNC != 0,
        control_truncated: hdr.msg_flags & libc::MSG_CTRUNC != 0,
    }
}

/// `sendmsg(fd, {to, [buf], control}, flags | MSG_NOSIGNAL)`: `buf` (cut to what one call
/// takes) as one `iovec`, the control data ([`cmsg::Control::bytes`]; none: a null control
/// pointer), to `to` or the connected peer.
pub(crate) fn send_msg<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    control: &[u8],
    to: Option<&A>,
    flags: MsgFlags,
) -> io::Result<usize> {
    let buf = &buf[..buf.len().min(MAX_IO)];
    send_vectored(fd, &[io::IoSlice::new(buf)], control, to, flags)
}

/// The most buffers one vectored call passes (Linux's and the BSDs' `IOV_MAX`); more is a
/// short read or write, as `readv(2)`/`writev(2)` callers expect, never `EMSGSIZE`.
pub(crate) const MAX_IOV: usize = 1024;

/// `sendmsg(fd, {to, [bufs…], control}, flags | MSG_NOSIGNAL)`: the one `sendmsg`, the
/// buffers as one `iovec` each (at most [`MAX_IOV`] of them), in one call.
pub(crate) fn send_vectored<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    bufs: &[io::IoSlice<'_>],
    control: &[u8],
    to: Option<&A>,
    flags: MsgFlags,
) -> io::Result<usize> {
    let raw = to.map(KernelAddr::to_raw).transpose()?;
    let bufs = &bufs[..bufs.len().min(MAX_IOV)];
    let mut msg = zeroed_msghdr();
    if let Some(raw) = &raw {
        msg.msg_name = raw.as_ptr().cast_mut().cast();
        msg.msg_namelen = raw.len();
    }
    // `IoSlice` is guaranteed ABI-compatible with `struct iovec` on Unix.
    msg.msg_iov = bufs.as_ptr().cast_mut().cast::<libc::iovec>();
    msg.msg_iovlen = bufs.len() as _;
    if !control.is_empty() {
        msg.msg_control = control.as_ptr().cast_mut().cast();
        msg.msg_controllen = control.len() as _;
    }
    // SAFETY: every pointer in `msg` points at live memory of the length beside it (the
    // buffers through the `iovec` array, the address, the control bytes), none of which the
    // kernel writes.
    let n = cvt(unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, flags.0 | NOSIGNAL) });
    audit!("sendmsg", &n, |a| {
        // SAFETY: as above; the buffers are the caller's initialised bytes.
        unsafe { a.raw(fd.as_raw_fd()).msghdr(&msg, None, true) }.msg_flags(flags.0 | NOSIGNAL)
    });
    n.map(|n| n as usize)
}

/// `recvmsg(fd, {NULL, [bufs…], no control}, flags)`: a stream's bytes scattered over the
/// buffers (at most [`MAX_IOV`] of them), in one call that takes the wait's flags
/// (`MSG_DONTWAIT`), which `readv(2)` cannot.
pub(crate) fn recv_vectored(fd: BorrowedFd<'_>, bufs: &mut [io::IoSliceMut<'_>], flags: MsgFlags) -> io::Result<usize> {
    let len = bufs.len().min(MAX_IOV);
    let mut msg = zeroed_msghdr();
    // `IoSliceMut` is guaranteed ABI-compatible with `struct iovec` on Unix.
    msg.msg_iov = bufs.as_mut_ptr().cast::<libc::iovec>();
    msg.msg_iovlen = len as _;
    // SAFETY: `msg` points at `len` iovecs, each over a live, exclusively borrowed buffer of
    // the length it states; there is no name and no control space for the kernel to write.
    let n = cvt(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags.0) });
    audit!("recvmsg", &n, |a| {
        let a = a.raw(fd.as_raw_fd());
        match n {
            // SAFETY: as above; the buffers are initialised (`IoSliceMut` is over `&mut [u8]`).
            Ok(n) => unsafe { a.msghdr(&msg, Some(n as usize), false) },
            Err(_) => a.ptr(&msg),
        }
        .msg_flags(flags.0)
    });
    n.map(|n| n as usize)
}

/// `recvmsg(fd, {&from, [buf], control}, flags | MSG_CMSG_CLOEXEC)`: [`recv_msg_vectored`]
/// into one buffer.
fn recv_msg<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    control: &mut [u8],
    flags: MsgFlags,
) -> io::Result<(Received<A>, Passed)> {
    recv_msg_vectored(fd, &mut [io::IoSliceMut::new(buf)], control, flags)
}

/// `recvmsg(fd, {&from, [bufs…], control}, flags | MSG_CMSG_CLOEXEC)`: the one receive with
/// control space, over the buffers (at most [`MAX_IOV`] of them). Every descriptor the
/// control data carries is owned (close-on-exec from the call itself) before this returns,
/// in [`Passed`], with the sender's credentials.
fn recv_msg_vectored<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    bufs: &mut [io::IoSliceMut<'_>],
    control: &mut [u8],
    flags: MsgFlags,
) -> io::Result<(Received<A>, Passed)> {
    let iov_len = bufs.len().min(MAX_IOV);
    // `IoSliceMut` is guaranteed ABI-compatible with `struct iovec` on Unix.
    let iov = bufs.as_mut_ptr().cast::<libc::iovec>();
    let room = control.len();
    let ((mut got, passed), from) = returning_addr(|addr, addr_len| {
        let mut msg = zeroed_msghdr();
        // SAFETY: `addr_len` points at the helper's live length.
        let name_len = unsafe { *addr_len } as usize;
        fill_msghdr(&mut msg, iov, addr.cast(), name_len, control);
        msg.msg_iovlen = iov_len as _;
        // SAFETY: every pointer in `msg` points at live, writable memory of the length beside
        // it (`iov_len` iovecs, each over an exclusively borrowed buffer of the length it
        // states; the address room; `control`), exclusively borrowed across the call.
        let n = cvt(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, flags.0 | cmsg::CLOEXEC) });
        audit!("recvmsg", &n, |a| {
            let a = a.raw(fd.as_raw_fd());
            match n {
                // SAFETY: as above; the buffers and `control` are initialised memory.
                Ok(n) => unsafe { a.msghdr(&msg, Some(n as usize), false) },
                Err(_) => a.ptr(&msg),
            }
            .msg_flags(flags.0 | cmsg::CLOEXEC)
        });
        let n = n? as usize;
        // SAFETY: as above.
        unsafe { *addr_len = msg.msg_namelen };
        let got = received(&msg, n, None, room);
        // What is read is what the kernel wrote, cut to the space given (`received`); all of
        // `control` is initialised memory besides.
        let passed = cmsg::take_passed(&control[..got.control_len]);
        Ok((got, passed))
    })?;
    got.from = from;
    Ok((got, passed))
}

/// A receive of a socket that passes descriptors: [`recv_msg`] into `buf` (cut to what one
/// call takes) with `room` bytes of control space ([`cmsg::room_for_fds`],
/// [`cmsg::room_for_credentials`]), returning the descriptors owned and the credentials.
pub(crate) fn recv_passing<A: KernelAddr>(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    room: usize,
    flags: MsgFlags,
) -> io::Result<(Received<A>, Passed)> {
    // Words, so the control space is aligned for `cmsghdr`, as the kernel writes it.
    let mut words = vec![0usize; room.div_ceil(mem::size_of::<usize>())];
    // SAFETY: the words are initialised integers, any byte of which is a valid `u8`; the
    // view covers `room` of their bytes (no more than they hold) and borrows them
    // exclusively while it lives.
    let control = unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), room) };
    let len = buf.len().min(MAX_IO);
    recv_msg(fd, &mut buf[..len], control, flags)
}

/// `recvmsg(fd, {name, [buf], control}, flags | MSG_TRUNC | MSG_CMSG_CLOEXEC)`: one datagram
/// into `buf`, its sender, and control data into `control`. Descriptors in the control data
/// are closed before this returns (one `close` each). `buf` and `control` are initialised
/// memory, so `MSG_TRUNC`'s result (a datagram's full length, not a count of bytes written)
/// marks nothing initialised; `RecvMeta::len` cuts it to the buffer, which is the count of
/// bytes written for UDP, the one kind of socket a `UdpSocket` adopts, and no `MSG_PEEK`
/// (which a peek offset would make copy less) is ever passed here.
#[cfg(has_mmsg)]
pub(crate) fn recv_datagram(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    control: &mut [u8],
    flags: MsgFlags,
) -> io::Result<Received<SocketAddr>> {
    recv_datagram_vectored(fd, &mut [io::IoSliceMut::new(buf)], control, flags)
}

/// As [`recv_datagram`], the datagram scattered over `bufs` (at most [`MAX_IOV`] of them,
/// initialised memory, so again nothing is marked by `MSG_TRUNC`'s result); `control` may be
/// empty.
pub(crate) fn recv_datagram_vectored(
    fd: BorrowedFd<'_>,
    bufs: &mut [io::IoSliceMut<'_>],
    control: &mut [u8],
    flags: MsgFlags,
) -> io::Result<Received<std::net::SocketAddr>> {
    let (got, passed) = recv_msg_vectored(fd, bufs, control, flags.with(MsgFlags::TRUNC))?;
    for fd in passed.fds {
        // Released whatever `close` says; there is no one to report it to.
        let _ = super::fd::close(fd);
    }
    Ok(got)
}

/// `sendmsg(fd, {to, [data], control}, flags | MSG_NOSIGNAL)` with `control` encoded
/// ([`cmsg::encode`], on the stack).
#[cfg(has_mmsg)]
pub(crate) fn send_datagram<M: Copy + Into<cmsg::Message>>(
    fd: BorrowedFd<'_>,
    data: &[u8],
    to: Option<&SocketAddr>,
    control: &[M],
    flags: MsgFlags,
) -> io::Result<usize> {
    let mut space = [0u8; SEND_CONTROL];
    let used = cmsg::encode(control, &mut space)?;
    send_vectored(fd, &[io::IoSlice::new(data)], &space[..used], to, flags)
}

#[cfg(has_mmsg)]
fn empty_name() -> SockAddr {
    // SAFETY: the union holds only C structs of integers, for which all zeroes is valid.
    unsafe { mem::zeroed() }
}

/// The buffers of a batch receive: `count` slots, each with `data_len` bytes of data, room
/// for any address and `control_len` bytes of control data, and the kernel's headers over
/// them. Allocated once, the headers pointed at their slots once; every receive reuses them.
#[cfg(has_mmsg)]
pub(crate) struct RecvSlots {
    /// Slot `i`'s header points at `iovs[i]`, `names[i]` and slot `i` of `control`, and its
    /// iovec at slot `i` of `data`: pointers into the heap buffers of the vectors below,
    /// which are never resized, so they stay valid however the struct moves.
    hdrs: Vec<libc::mmsghdr>,
    iovs: Vec<libc::iovec>,
    names: Vec<SockAddr>,
    data: Vec<u8>,
    control: Vec<u8>,
    data_len: usize,
    control_len: usize,
    /// Datagrams the last receive filled.
    filled: usize,
    /// Headers whose name and control lengths the kernel may have rewritten since they were
    /// last given their whole room: the next receive resets these, and only these.
    written: usize,
}

// SAFETY: the raw pointers in `hdrs` and `iovs` only ever point into the struct's own heap
// buffers, are followed only by the kernel during a receive under `&mut self`, and never
// anywhere else, so moving or sharing the struct between threads shares nothing.
#[cfg(has_mmsg)]
unsafe impl Send for RecvSlots {}
// SAFETY: as above; `&self` methods only read the plain buffers.
#[cfg(has_mmsg)]
unsafe impl Sync for RecvSlots {}

/// A zero-filled vector of `n` elements, or `InvalidInput` (not an abort) when it cannot be
/// allocated.
#[cfg(has_mmsg)]
fn zeroed_vec<T: Clone>(n: usize, zero: T) -> io::Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "cannot allocate the batch"))?;
    v.resize(n, zero);
    Ok(v)
}

#[cfg(has_mmsg)]
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
        let mut slots = RecvSlots {
            hdrs: zeroed_vec(count, hdr)?,
            iovs: zeroed_vec(count, iov)?,
            names: zeroed_vec(count, empty_name())?,
            data: zeroed_vec(data_total, 0)?,
            control: zeroed_vec(control_total, 0)?,
            data_len,
            control_len,
            filled: 0,
            written: 0,
        };
        let data = slots.data.as_mut_ptr();
        let control = slots.control.as_mut_ptr();
        for i in 0..count {
            // SAFETY: slot `i` of `data` and `control` starts inside (or, for a zero length,
            // at the end of) their allocations: `i < count` and each holds `count` slots.
            let (d, c) = unsafe { (data.add(i * data_len), control.add(i * control_len)) };
            slots.iovs[i] = libc::iovec { iov_base: d.cast(), iov_len: data_len };
            // SAFETY: `c` is valid for writes of `control_len` bytes (see above).
            let ctl = unsafe { std::slice::from_raw_parts_mut(c, control_len) };
            fill_msghdr(
                &mut slots.hdrs[i].msg_hdr,
                &raw mut slots.iovs[i],
                (&raw mut slots.names[i]).cast(),
                mem::size_of::<SockAddr>(),
                ctl,
            );
        }
        Ok(slots)
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
    /// returns ([`cmsg::close_passed`]).
    pub(crate) fn recv(&mut self, fd: BorrowedFd<'_>, flags: MsgFlags) -> io::Result<usize> {
        // The kernel writes back the name and control lengths of each slot it fills (and
        // nothing else of a header but `msg_flags` and `msg_len`, which it sets): give
        // those slots their whole room again. A failed call may have written any of them.
        for hdr in &mut self.hdrs[..self.written] {
            hdr.msg_hdr.msg_namelen = mem::size_of::<SockAddr>() as libc::socklen_t;
            hdr.msg_hdr.msg_controllen = self.control_len as _;
        }
        self.filled = 0;
        let vlen = self.count();
        self.written = vlen;
        let flags = flags.with(MsgFlags::TRUNC).0 | libc::MSG_WAITFORONE | cmsg::CLOEXEC;
        // SAFETY: each header points at its own name, one iovec over its own `data_len`
        // bytes and its own `control_len` bytes, with those lengths (set by `new`, reset
        // above), all owned by `self`, which is exclusively borrowed across the call; the
        // timeout is null.
        let n = cvt(unsafe {
            libc::recvmmsg(fd.as_raw_fd(), self.hdrs.as_mut_ptr(), vlen as libc::c_uint, flags as _, ptr::null_mut())
        });
        audit!("recvmmsg", &n, |a| {
            let a = a.raw(fd.as_raw_fd());
            match n {
                // SAFETY: the first `n` headers point at their own slots, all initialised
                // (zero-filled at allocation), and the kernel set each one's `msg_len`.
                Ok(n) => unsafe { a.mmsghdrs(&self.hdrs[..n as usize], false) },
                Err(_) => a.ptr(self.hdrs.as_ptr()),
            }
            .raw(vlen)
            .msg_flags(flags)
            .raw("NULL")
        });
        let n = n?;
        self.filled = n as usize;
        self.written = self.filled;
        for (i, hdr) in self.hdrs[..self.filled].iter().enumerate() {
            // `size_t` on glibc, `socklen_t` on musl; cut to the slot's space, as `received`.
            #[allow(clippy::unnecessary_cast)]
            let used = (hdr.msg_hdr.msg_controllen as usize).min(self.control_len);
            if used > 0 {
                cmsg::close_passed(&self.control[i * self.control_len..][..used]);
            }
        }
        Ok(self.filled)
    }

    /// Slot `i` of the last receive, read where it lies: nothing is decoded until asked.
    #[inline]
    pub(crate) fn slot(&self, i: usize) -> Option<Slot<'_>> {
        if i >= self.filled {
            return None;
        }
        let hdr = &self.hdrs[i];
        // Zero-filled at allocation, so initialised whatever the counts; `MSG_TRUNC`'s length
        // is cut to the slot, which is the count of bytes written for UDP without `MSG_PEEK`
        // (never passed here), the one kind of socket a `UdpSocket` adopts.
        let data = &self.data[i * self.data_len..][..(hdr.msg_len as usize).min(self.data_len)];
        // `size_t` on glibc, `socklen_t` on musl; cut to the slot's space, as `received`.
        #[allow(clippy::unnecessary_cast)]
        let control_len = (hdr.msg_hdr.msg_controllen as usize).min(self.control_len);
        let control = &self.control[i * self.control_len..][..control_len];
        Some(Slot { hdr, name: &self.names[i], data, control })
    }
}

/// One datagram of a batch receive, in its slot: its length and flags are read from the
/// kernel's header as they are asked for, its sender decoded only by [`Slot::received`].
#[cfg(has_mmsg)]
#[derive(Clone, Copy)]
pub(crate) struct Slot<'a> {
    hdr: &'a libc::mmsghdr,
    name: &'a SockAddr,
    data: &'a [u8],
    control: &'a [u8],
}

#[cfg(has_mmsg)]
impl<'a> Slot<'a> {
    /// The bytes in the slot: the datagram, cut to the slot's length.
    #[inline]
    pub(crate) fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The control data the kernel wrote.
    #[inline]
    pub(crate) fn control(&self) -> &'a [u8] {
        self.control
    }

    /// The datagram's full length (`MSG_TRUNC`: more than the slot when it was cut).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.hdr.msg_len as usize
    }

    /// `MSG_TRUNC` in the header's `msg_flags`: the datagram did not fit.
    #[inline]
    pub(crate) fn truncated(&self) -> bool {
        self.hdr.msg_hdr.msg_flags & libc::MSG_TRUNC != 0
    }

    /// All of it, the sender decoded.
    #[inline]
    pub(crate) fn received(&self) -> Received<SocketAddr> {
        let from = to_socket_addr(self.name, self.hdr.msg_hdr.msg_namelen);
        received(&self.hdr.msg_hdr, self.len(), from, self.control.len())
    }
}

/// `sendmmsg(fd, msgs, n, flags | MSG_NOSIGNAL)` for the first `min(count, SEND_BATCH_MAX)`
/// datagrams `msg(i)` describes (data, destination, control messages); returns how many the
/// kernel took.
#[cfg(has_mmsg)]
pub(crate) fn send_mmsg<'m, M: Copy + Into<cmsg::Message> + 'm>(
    fd: BorrowedFd<'_>,
    count: usize,
    msg: impl Fn(usize) -> (&'m [u8], Option<SocketAddr>, &'m [M]),
    flags: MsgFlags,
) -> io::Result<usize> {
    let n = count.min(SEND_BATCH_MAX);
    // Room for the most a call takes, of which only the first `n` slots are written: a call
    // fills what it sends (a batch of 4 writes 4 slots, not the 64 slots' 17 KB).
    let mut hdrs = [const { MaybeUninit::<libc::mmsghdr>::uninit() }; SEND_BATCH_MAX];
    let mut iovs = [const { MaybeUninit::<libc::iovec>::uninit() }; SEND_BATCH_MAX];
    let mut names = [const { MaybeUninit::<RawAddr>::uninit() }; SEND_BATCH_MAX];
    let mut control = [const { MaybeUninit::<[u8; SEND_CONTROL]>::uninit() }; SEND_BATCH_MAX];
    for i in 0..n {
        let (data, to, messages) = msg(i);
        let control: &mut [u8] = match messages {
            [] => &mut [],
            _ => {
                let room = control[i].write([0; SEND_CONTROL]);
                let used = cmsg::encode(messages, room)?;
                &mut room[..used]
            }
        };
        let (name, name_len) = match to {
            Some(to) => {
                let raw = names[i].write(RawAddr::new(&to));
                (raw.as_ptr().cast_mut().cast(), raw.len() as usize)
            }
            None => (ptr::null_mut(), 0),
        };
        let iov = iovs[i].write(libc::iovec { iov_base: data.as_ptr().cast_mut().cast(), iov_len: data.len() });
        // SAFETY: `mmsghdr` is integers and pointers; all zeroes is valid.
        let hdr = hdrs[i].write(unsafe { mem::zeroed() });
        fill_msghdr(&mut hdr.msg_hdr, iov, name, name_len, control);
    }
    // The first `n` headers, all written above.
    let hdrs: *mut libc::mmsghdr = hdrs.as_mut_ptr().cast();
    // SAFETY: each of the first `n` headers points at its own address (or null), one iovec
    // over the caller's data (borrowed for `'m`, outliving the call) and its own control
    // bytes, all live across the call; the kernel reads them and writes only `msg_len`.
    let sent = cvt(unsafe { libc::sendmmsg(fd.as_raw_fd(), hdrs, n as libc::c_uint, flags.0 | NOSIGNAL) });
    audit!("sendmmsg", &sent, |a| {
        // SAFETY: as above: the first `n` headers are initialised and point at live data.
        unsafe { a.raw(fd.as_raw_fd()).mmsghdrs(std::slice::from_raw_parts(hdrs, n), true) }
            .raw(n)
            .msg_flags(flags.0 | NOSIGNAL)
    });
    let sent = sent?;
    Ok(sent as usize)
}

/// A socket option that turns a kind of received control data on or off.
#[cfg(has_mmsg)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecvOpt {
    PacketInfo,
    Ttl,
    Tos,
}

#[cfg(has_mmsg)]
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
#[cfg(has_mmsg)]
pub(crate) fn is_no_such_option(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOPROTOOPT)
}

/// `SOL_SOCKET`, `SO_TIMESTAMPNS`.
#[cfg(has_mmsg)]
pub(crate) const TIMESTAMPNS: (i32, i32) = (libc::SOL_SOCKET, libc::SO_TIMESTAMPNS);
/// `SOL_UDP`, `UDP_GRO`.
#[cfg(has_mmsg)]
pub(crate) const UDP_GRO: (i32, i32) = (libc::SOL_UDP, libc::UDP_GRO);
/// `SOL_UDP`, `UDP_SEGMENT`.
#[cfg(has_mmsg)]
pub(crate) const UDP_SEGMENT: (i32, i32) = (libc::SOL_UDP, libc::UDP_SEGMENT);
#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::SockType;
    use crate::sys::addr::UnixName;
    use crate::sys::cmsg::Control;
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
        let sent = send_msg::<UnixName>(sender.as_fd(), b"x", control.bytes(), None, MsgFlags::NONE);
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
    fn descriptors_go_through_a_socketpair_close_on_exec() {
        let (a, b) = socketpair(SockType::Stream).unwrap();
        let mut control = Control::default();
        control.push_fds(&[a.as_fd(), b.as_fd()]).unwrap();
        let sent = send_msg::<UnixName>(a.as_fd(), b"x", control.bytes(), None, MsgFlags::NONE);
        assert_eq!(sent.unwrap(), 1);
        let mut buf = [0; 4];
        let (got, passed) =
            recv_passing::<UnixName>(b.as_fd(), &mut buf, cmsg::room_for_fds(2), MsgFlags::NONE).unwrap();
        assert_eq!((got.len, got.control_truncated, passed.credentials), (1, false, None));
        assert_eq!(passed.fds.len(), 2);
        for fd in &passed.fds {
            // SAFETY: F_GETFD only reads the descriptor's flags.
            let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
            assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
        }
    }

    #[cfg(has_mmsg)]
    #[test]
    fn recv_datagram_closes_descriptors_that_arrive_in_control_data() {
        let (receiver, witness) = passed_descriptors(4);
        let (mut buf, mut control) = ([0u8; 8], [0u8; 128]);
        let got = recv_datagram(receiver.as_fd(), &mut buf, &mut control, MsgFlags::DONTWAIT).unwrap();
        assert_eq!((got.len, got.control_truncated), (1, false));
        let messages: Vec<_> = cmsg::messages(&control[..got.control_len]).collect();
        let kind = cmsg::Message::Other { level: libc::SOL_SOCKET, kind: libc::SCM_RIGHTS, len: 16 };
        assert_eq!(messages, [kind]);
        assert_all_closed(&witness);
    }

    #[cfg(has_mmsg)]
    #[test]
    fn recv_batch_closes_descriptors_that_arrive_in_control_data() {
        let (receiver, witness) = passed_descriptors(3);
        let mut slots = RecvSlots::new(4, 8, 64).unwrap();
        assert_eq!(slots.recv(receiver.as_fd(), MsgFlags::DONTWAIT).unwrap(), 1);
        let slot = slots.slot(0).unwrap();
        assert_eq!((slot.data(), slot.len(), slot.control().len()), (&b"x"[..], 1, cmsg::space(12)));
        assert_all_closed(&witness);
    }

    #[cfg(has_mmsg)]
    #[test]
    fn a_batch_is_at_most_what_one_call_fills() {
        assert_eq!(RecvSlots::new(RECV_BATCH_MAX, 0, 0).unwrap().count(), RECV_BATCH_MAX);
        // Refused before anything is allocated: a million slots of 64 KiB would be 64 GB.
        let err = RecvSlots::new(1_000_000, 65536, 192).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("at most 1024"), "{err}");
    }
}
