//! Message and batch I/O on [`UdpSocket`]: `recvmsg`/`sendmsg` with control data (the local
//! destination address, kernel timestamps, TTL/hop limit, TOS/traffic class), batches of
//! datagrams in one `recvmmsg`/`sendmmsg`, with UDP segmentation/receive offload's segment
//! sizes. Linux only (`has_mmsg`). The switches that ask the kernel for the control data
//! (`set_recv_pktinfo`…, `set_gro`, `set_segment_size`) are in `options.rs`.
//!
//! Batch timeouts: a batch receive waits at most its timeout for the *first* datagram, then
//! takes what is already queued, up to the batch's capacity, and returns; it never waits for a
//! batch to fill. The kernel's own `recvmmsg` timeout argument is not used (it is checked only
//! after a datagram arrives, so it cannot bound the wait): the wait is this crate's one wait
//! loop, and `recvmmsg` runs with `MSG_WAITFORONE`.

use std::net::IpAddr as StdIpAddr;
use std::time::SystemTime;

use super::UdpSocket;
use crate::addr::IpAddr;
use crate::consts::c_int;
use crate::error::{Cause, Error, Op, Result, Target};
use crate::sys;
use crate::sys::MsgFlags;
use crate::sys::cmsg::{self, Message};
use crate::sys::msg::RecvSlots;
use crate::timeout::Timeout;
use crate::wait::{Waits, with_timeout};

/// The most datagrams one [`UdpSocket::send_batch`] sends (one `sendmmsg`): their headers,
/// addresses and control data live on the stack (about 15 KiB), so a batch costs no
/// allocation.
pub const SEND_BATCH_MAX: usize = 64;

/// The most datagrams one [`UdpSocket::recv_batch`] takes: the kernel's own cap on one
/// `recvmmsg`'s vector (`UIO_MAXIOV`). A [`RecvBatch`] of more slots is refused, as the rest
/// could never be filled.
pub const RECV_BATCH_MAX: usize = 1024;

// The sys layer sizes its arrays and checks its slots by its own copies of the two limits.
const _: () = assert!(SEND_BATCH_MAX == sys::msg::SEND_BATCH_MAX && RECV_BATCH_MAX == sys::msg::RECV_BATCH_MAX);

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
        addr: StdIpAddr,
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

impl From<Message> for ControlMessage {
    #[inline]
    fn from(m: Message) -> ControlMessage {
        match m {
            Message::PacketInfo { addr, interface } => ControlMessage::PacketInfo { addr, interface },
            Message::Timestamp(t) => ControlMessage::Timestamp(t),
            Message::Ttl(v) => ControlMessage::Ttl(v),
            Message::HopLimit(v) => ControlMessage::HopLimit(v),
            Message::Tos(v) => ControlMessage::Tos(v),
            Message::TrafficClass(v) => ControlMessage::TrafficClass(v),
            Message::SegmentSize(v) => ControlMessage::SegmentSize(v),
            Message::Other { level, kind, len } => ControlMessage::Other { level, kind, len },
        }
    }
}

impl From<ControlMessage> for Message {
    #[inline]
    fn from(m: ControlMessage) -> Message {
        match m {
            ControlMessage::PacketInfo { addr, interface } => Message::PacketInfo { addr, interface },
            ControlMessage::Timestamp(t) => Message::Timestamp(t),
            ControlMessage::Ttl(v) => Message::Ttl(v),
            ControlMessage::HopLimit(v) => Message::HopLimit(v),
            ControlMessage::Tos(v) => Message::Tos(v),
            ControlMessage::TrafficClass(v) => Message::TrafficClass(v),
            ControlMessage::SegmentSize(v) => Message::SegmentSize(v),
            ControlMessage::Other { level, kind, len } => Message::Other { level, kind, len },
        }
    }
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

impl Iterator for ControlMessages<'_> {
    type Item = ControlMessage;

    fn next(&mut self) -> Option<ControlMessage> {
        cmsg::next_message(&mut self.rest).map(ControlMessage::from)
    }
}

/// Control space each slot of a [`RecvBatch::new`] batch has: room for IPv6 packet info (40
/// bytes), a timestamp (32), hop limit, traffic class and a GRO segment size (24 each), with
/// room to spare.
pub const DEFAULT_CONTROL_LEN: usize = 192;

/// What came with one received datagram: its length, sender, truncation, and what its
/// control data said (each `None` unless the socket asked for it and the kernel sent it).
/// Read from the receive's own buffers: its methods make no syscall.
///
/// ```
/// use chapel_socket::{bind, IPFamily, UdpSocket};
/// let socket = UdpSocket::new(IPFamily::IPv4)?;
/// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
/// socket.set_recv_ttl(true)?;
/// socket.send(b"hi", &socket.addr()?, 1.0)?;
/// let (mut buf, mut control) = ([0; 16], [0; 64]);
/// let meta = socket.recv_msg(&mut buf, &mut control, 1.0)?;
/// assert_eq!((meta.len(), meta.from(), meta.ttl()), (2, Some(socket.addr()?), Some(64)));
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvMeta {
    full_len: usize,
    capacity: usize,
    from: Option<IpAddr>,
    truncated: bool,
    control_len: usize,
    control_truncated: bool,
    local: Option<(StdIpAddr, u32)>,
    timestamp: Option<SystemTime>,
    ttl: Option<u8>,
    tos: Option<u8>,
    segment_size: Option<u16>,
}

impl RecvMeta {
    #[inline]
    fn new(r: sys::msg::Received<std::net::SocketAddr>, capacity: usize, control: &[u8]) -> RecvMeta {
        let mut meta = RecvMeta {
            full_len: r.len,
            capacity,
            from: r.from.map(IpAddr::from),
            truncated: r.truncated || r.len > capacity,
            control_len: r.control_len,
            control_truncated: r.control_truncated,
            local: None,
            timestamp: None,
            ttl: None,
            tos: None,
            segment_size: None,
        };
        for m in cmsg::messages(control) {
            match m {
                Message::PacketInfo { addr, interface } => meta.local = Some((addr, interface)),
                Message::Timestamp(t) => meta.timestamp = Some(t),
                Message::Ttl(v) | Message::HopLimit(v) => meta.ttl = Some(v),
                Message::Tos(v) | Message::TrafficClass(v) => meta.tos = Some(v),
                Message::SegmentSize(v) => meta.segment_size = Some(v),
                Message::Other { .. } => {}
            }
        }
        meta
    }

    /// The bytes of the datagram that are in the buffer: its length, or the buffer's when it
    /// was cut.
    pub fn len(&self) -> usize {
        self.full_len.min(self.capacity)
    }

    /// Whether the datagram was empty (UDP allows zero-length datagrams).
    pub fn is_empty(&self) -> bool {
        self.full_len == 0
    }

    /// The datagram's full length, as sent: more than [`len`](RecvMeta::len) when it was cut.
    pub fn full_len(&self) -> usize {
        self.full_len
    }

    /// The sender (`None` only if the kernel gave no IPv4/IPv6 address).
    pub fn from(&self) -> Option<IpAddr> {
        self.from
    }

    /// Whether the datagram was longer than the buffer and was cut (`MSG_TRUNC`): the rest
    /// of it is lost.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Whether control data was dropped for want of room (`MSG_CTRUNC`): give the receive a
    /// larger control buffer.
    pub fn is_control_truncated(&self) -> bool {
        self.control_truncated
    }

    /// Bytes of control data the kernel wrote; [`control_messages`] walks them.
    pub fn control_len(&self) -> usize {
        self.control_len
    }

    /// The address the datagram was sent to (`IP_PKTINFO`/`IPV6_PKTINFO`; see
    /// [`set_recv_pktinfo`](UdpSocket::set_recv_pktinfo)).
    pub fn local_addr(&self) -> Option<StdIpAddr> {
        self.local.map(|(a, _)| a)
    }

    /// The index of the interface it came in on (with [`local_addr`](RecvMeta::local_addr)).
    pub fn interface(&self) -> Option<u32> {
        self.local.map(|(_, i)| i)
    }

    /// When the kernel received it (`SO_TIMESTAMPNS`; see
    /// [`set_recv_timestamp`](UdpSocket::set_recv_timestamp)).
    pub fn timestamp(&self) -> Option<SystemTime> {
        self.timestamp
    }

    /// Its IPv4 TTL or IPv6 hop limit ([`set_recv_ttl`](UdpSocket::set_recv_ttl)).
    pub fn ttl(&self) -> Option<u8> {
        self.ttl
    }

    /// Its IPv4 TOS byte or IPv6 traffic class ([`set_recv_tos`](UdpSocket::set_recv_tos)).
    pub fn tos(&self) -> Option<u8> {
        self.tos
    }

    /// With [`set_gro`](UdpSocket::set_gro): the size of each datagram the kernel coalesced
    /// into this buffer (the last may be shorter); `None` for a single datagram.
    pub fn segment_size(&self) -> Option<u16> {
        self.segment_size
    }
}

/// Buffers for [`UdpSocket::recv_batch`]: room for `capacity` datagrams of up to
/// `datagram_len` bytes each, with their senders and control data. Allocated once, reused by
/// every receive, so a batch costs no allocation per datagram. Its own methods make no
/// syscall: they allocate (`new`) or read what the last receive wrote.
///
/// ```
/// use chapel_socket::{bind, IPFamily, RecvBatch, SendMsg, UdpSocket};
/// let socket = UdpSocket::new(IPFamily::IPv4)?;
/// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
/// let me = socket.addr()?;
/// socket.send_batch(&[SendMsg::new(b"one", me), SendMsg::new(b"two", me)], 1.0)?;
/// let mut batch = RecvBatch::new(8, 1500)?;
/// let mut got = 0;
/// while got < 2 {
///     got += socket.recv_batch(&mut batch, 1.0)?;
/// }
/// assert_eq!(batch.iter().last().map(|d| d.data().to_vec()), Some(b"two".to_vec()));
/// # Ok::<(), chapel_socket::Error>(())
/// ```
pub struct RecvBatch {
    slots: RecvSlots,
    datagram_len: usize,
}

impl std::fmt::Debug for RecvBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecvBatch")
            .field("capacity", &self.capacity())
            .field("datagram_len", &self.datagram_len)
            .field("len", &self.len())
            .finish()
    }
}

impl RecvBatch {
    /// A batch of `capacity` datagrams of up to `datagram_len` bytes, each with
    /// [`DEFAULT_CONTROL_LEN`] bytes of control space. `capacity` is at most
    /// [`RECV_BATCH_MAX`] (1,024, the kernel's `UIO_MAXIOV`): one `recvmmsg` fills no more,
    /// so a larger batch would be memory no receive ever uses.
    ///
    /// # Errors
    /// `InvalidInput` for a capacity of 0 or above [`RECV_BATCH_MAX`] (before anything is
    /// allocated), or buffers too large to allocate.
    ///
    /// ```
    /// use chapel_socket::RecvBatch;
    /// assert_eq!(RecvBatch::new(32, 1500)?.capacity(), 32);
    /// assert!(RecvBatch::new(0, 1500).is_err());
    /// assert!(RecvBatch::new(chapel_socket::RECV_BATCH_MAX + 1, 1500).is_err());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn new(capacity: usize, datagram_len: usize) -> Result<RecvBatch> {
        RecvBatch::with_control_len(capacity, datagram_len, DEFAULT_CONTROL_LEN)
    }

    /// As [`new`](RecvBatch::new), with `control_len` bytes of control space per datagram
    /// (0: none; control data that does not fit is dropped and reported by
    /// [`RecvMeta::is_control_truncated`]).
    ///
    /// # Errors
    /// As [`new`](RecvBatch::new).
    ///
    /// ```
    /// use chapel_socket::RecvBatch;
    /// assert_eq!(RecvBatch::with_control_len(4, 0, 0)?.capacity(), 4);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn with_control_len(capacity: usize, datagram_len: usize, control_len: usize) -> Result<RecvBatch> {
        let invalid = |why: String| Error::new(Op::RecvMmsg, Target::None, Cause::Invalid(why));
        if capacity == 0 {
            return Err(invalid("a batch needs room for at least one datagram".into()));
        }
        let slots = RecvSlots::new(capacity, datagram_len, control_len).map_err(|e| invalid(e.to_string()))?;
        Ok(RecvBatch { slots, datagram_len })
    }

    /// How many datagrams one receive can take.
    pub fn capacity(&self) -> usize {
        self.slots.count()
    }

    /// How many datagrams the last receive took.
    pub fn len(&self) -> usize {
        self.slots.filled()
    }

    /// Whether the last receive took none (or there was none yet).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th datagram of the last receive, in arrival order.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Datagram<'_>> {
        Some(Datagram { slot: self.slots.slot(i)?, capacity: self.datagram_len })
    }

    /// The datagrams of the last receive, in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = Datagram<'_>> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// One datagram of a [`RecvBatch`]: its bytes (cut to the batch's datagram length), its
/// length and sender, and its control data. Read in place from the batch's buffers: its
/// methods make no syscall, and each decodes only what it returns, so a loop that wants the
/// bytes and the length pays for no sender or control data it does not read.
#[derive(Clone, Copy)]
pub struct Datagram<'a> {
    slot: sys::msg::Slot<'a>,
    capacity: usize,
}

impl std::fmt::Debug for Datagram<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Datagram").field("data", &self.data()).field("meta", &self.meta()).finish()
    }
}

impl<'a> Datagram<'a> {
    /// The bytes received (all of the datagram unless [`is_truncated`](Datagram::is_truncated)).
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        self.slot.data()
    }

    /// The datagram's full length, as sent: more than `data().len()` when it was cut (as
    /// [`RecvMeta::full_len`]).
    #[inline]
    pub fn full_len(&self) -> usize {
        self.slot.len()
    }

    /// Whether the datagram was longer than the batch's datagram length and was cut (as
    /// [`RecvMeta::is_truncated`]).
    #[inline]
    pub fn is_truncated(&self) -> bool {
        self.slot.truncated() || self.slot.len() > self.capacity
    }

    /// Its sender, length, truncation and decoded control data, all at once: decodes the
    /// sender's address and walks the control data on each call.
    #[inline]
    pub fn meta(&self) -> RecvMeta {
        RecvMeta::new(self.slot.received(), self.capacity, self.slot.control())
    }

    /// Its control messages, including those [`RecvMeta`] does not decode.
    pub fn control_messages(&self) -> ControlMessages<'a> {
        control_messages(self.slot.control())
    }
}

/// One datagram for [`UdpSocket::send_batch`]: its bytes, where it goes, and control
/// messages for it alone. Building one makes no syscall.
///
/// ```
/// use chapel_socket::{ControlMessage, SendMsg};
/// let to = "127.0.0.1:9".parse()?;
/// let msg = SendMsg::new(b"ping", to).with_control(&[ControlMessage::Ttl(8)]);
/// assert_eq!(msg.control, &[ControlMessage::Ttl(8)]);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SendMsg<'a> {
    /// The datagram (with a [`ControlMessage::SegmentSize`], several of that size).
    pub data: &'a [u8],
    /// Where it goes.
    pub to: IpAddr,
    /// Control messages for this datagram only.
    pub control: &'a [ControlMessage],
}

impl<'a> SendMsg<'a> {
    /// `data` to `to`, without control messages.
    pub fn new(data: &'a [u8], to: IpAddr) -> SendMsg<'a> {
        SendMsg { data, to, control: &[] }
    }

    /// The same, with `control`.
    pub fn with_control(self, control: &'a [ControlMessage]) -> SendMsg<'a> {
        SendMsg { control, ..self }
    }
}

/// An OS error without an errno is one the sys layer made for bad input (control messages
/// that cannot be sent or do not fit): say so as input, not as the kernel's.
fn input_or_os(cause: Cause) -> Cause {
    match cause {
        Cause::Os(e) if e.raw_os_error().is_none() => Cause::Invalid(e.to_string()),
        other => other,
    }
}

impl UdpSocket {
    /// One datagram into `buf`, its control data into `control`, waiting at most `timeout`:
    /// returns its length, sender, truncation and decoded control data. A datagram longer
    /// than `buf`, or control data longer than `control`, is **reported, not an error**:
    /// [`RecvMeta::is_truncated`] (with [`full_len`](RecvMeta::full_len)) and
    /// [`RecvMeta::is_control_truncated`]. `control` may be empty.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketrecv_msg)): the receives' wait, as
    /// [`recv_from_into`](UdpSocket::recv_from_into) with `recvmsg`: in steady state one
    /// blocking `recvmsg(MSG_TRUNC|MSG_CMSG_CLOEXEC)` timed by the crate's `SO_RCVTIMEO`;
    /// with a new timeout, `recvmsg(MSG_DONTWAIT|MSG_TRUNC|MSG_CMSG_CLOEXEC)` — 1 when a
    /// datagram is there — else `setsockopt(SO_RCVTIMEO)` and the blocking `recvmsg`; any
    /// remainder by `ppoll`. A descriptor in the control data (UDP carries none; the
    /// receive owns whatever the kernel installs all the same) is closed before this returns,
    /// one `close` each.
    ///
    #[doc = man_links!(recvmsg(2), cmsg(3), ip(7), ipv6(7))]
    ///
    /// # Errors
    /// `TimedOut` when no datagram came within `timeout`; a closed socket; the kernel's error.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// socket.set_recv_pktinfo(true)?;
    /// socket.send(b"0123456789", &socket.addr()?, 1.0)?;
    /// let (mut buf, mut control) = ([0; 4], [0; 64]);
    /// let meta = socket.recv_msg(&mut buf, &mut control, 1.0)?;
    /// assert!(meta.is_truncated());
    /// assert_eq!((meta.len(), meta.full_len(), &buf), (4, 10, b"0123"));
    /// assert_eq!(meta.local_addr(), Some("127.0.0.1".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv_msg(&self, buf: &mut [u8], control: &mut [u8], timeout: impl Into<Timeout>) -> Result<RecvMeta> {
        let fd = self.sock.fd(Op::RecvMsg)?;
        let timeout = timeout.into();
        let r = with_timeout(fd, Waits::Recv(&self.sock.timer), timeout, |flags| {
            sys::msg::recv_datagram(fd, buf, control, flags)
        })
        .map_err(|cause| self.error(Op::RecvMsg, None, cause))?;
        let written = &control[..r.control_len];
        Ok(RecvMeta::new(r, buf.len(), written))
    }

    /// [`recv_msg`](UdpSocket::recv_msg) with the datagram scattered over `bufs` (filling
    /// each in turn; at most 1,024 are used) and `flags` of your own passed to `recvmsg` as
    /// they are (`MSG_ERRQUEUE` reads the socket's error queue, waiting for `POLLERR`): one
    /// datagram, its control data into `control`, waiting at most `timeout`. A datagram
    /// longer than the buffers together, or control data longer than `control`, is
    /// **reported, not an error**, as for `recv_msg`.
    ///
    /// `MSG_PEEK` is refused: with it the kernel's `MSG_TRUNC` length is not a count of the
    /// bytes it copied (a peek offset, `SO_PEEK_OFF`, makes it copy fewer), which is what
    /// [`RecvMeta::len`] must be; peek with [`peek_from`](UdpSocket::peek_from).
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketrecv_msg)): as
    /// [`recv_msg`](UdpSocket::recv_msg), with `flags` added to every `recvmsg`:
    /// `recvmsg(MSG_DONTWAIT|MSG_TRUNC|MSG_CMSG_CLOEXEC|flags)` — 1 when a datagram is there.
    ///
    #[doc = man_links!(recvmsg(2), cmsg(3), ip(7), ipv6(7))]
    ///
    /// # Errors
    /// `InvalidInput` for `MSG_PEEK` among `flags`, before any receive; as
    /// [`recv_msg`](UdpSocket::recv_msg) otherwise.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, UdpSocket};
    /// use std::io::IoSliceMut;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// socket.set_recv_ttl(true)?;
    /// socket.send(b"headbody!", &socket.addr()?, 1)?;
    /// let (mut head, mut body, mut control) = ([0; 4], [0; 4], [0; 64]);
    /// let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
    /// assert!(socket.recv_msg_vectored(&mut bufs, &mut control, libc::MSG_PEEK, 1).is_err());
    /// let meta = socket.recv_msg_vectored(&mut bufs, &mut control, 0, 1)?;
    /// assert_eq!((meta.len(), meta.full_len(), meta.is_truncated(), meta.ttl()), (8, 9, true, Some(64)));
    /// assert_eq!((&head, &body), (b"head", b"body"));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv_msg_vectored(
        &self,
        bufs: &mut [std::io::IoSliceMut<'_>],
        control: &mut [u8],
        flags: c_int,
        timeout: impl Into<Timeout>,
    ) -> Result<RecvMeta> {
        let fd = self.sock.fd(Op::RecvMsg)?;
        let flags = MsgFlags::user(flags);
        if flags.peeks() {
            let why = "MSG_PEEK: a peek's MSG_TRUNC length is not what was copied; use peek_from";
            return Err(self.error(Op::RecvMsg, None, Cause::Invalid(why.into())));
        }
        let capacity = super::vectored_capacity(bufs);
        let r = self
            .wait(fd, timeout.into(), flags, |flags| sys::msg::recv_datagram_vectored(fd, bufs, control, flags))
            .map_err(|cause| self.error(Op::RecvMsg, None, cause))?;
        let written = &control[..r.control_len];
        Ok(RecvMeta::new(r, capacity, written))
    }

    /// Sends `data` as one datagram to `to` with `control` messages for it alone (source
    /// address and interface, TTL/hop limit, TOS/traffic class, a GSO segment size), waiting
    /// at most `timeout` for buffer room; returns the bytes sent. Never raises SIGPIPE.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketsend_msg)):
    /// `sendmsg(MSG_DONTWAIT|MSG_NOSIGNAL)` — 1 when there is room (indefinite: one blocking
    /// `sendmsg(MSG_NOSIGNAL)`); otherwise `sendmsg → EAGAIN`, `ppoll([POLLOUT])`, `sendmsg`.
    ///
    #[doc = man_links!(sendmsg(2), cmsg(3), ip(7), ipv6(7), udp(7))]
    ///
    /// # Errors
    /// `InvalidInput` for a message that cannot be sent ([`ControlMessage::Timestamp`],
    /// [`ControlMessage::Other`]) or more than 128 bytes of them (no syscall is made);
    /// `TimedOut`; a closed socket; the kernel's error (such as `EINVAL` for a source address
    /// that is not local), naming `to`.
    ///
    /// ```
    /// use chapel_socket::{bind, ControlMessage, IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// socket.set_recv_ttl(true)?;
    /// socket.send_msg(b"hop", &socket.addr()?, &[ControlMessage::Ttl(3)], 1.0)?;
    /// let meta = socket.recv_msg(&mut [0; 8], &mut [0; 64], 1.0)?;
    /// assert_eq!(meta.ttl(), Some(3));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send_msg(
        &self,
        data: &[u8],
        to: &IpAddr,
        control: &[ControlMessage],
        timeout: impl Into<Timeout>,
    ) -> Result<usize> {
        let fd = self.sock.fd(Op::SendMsg)?;
        let timeout = timeout.into();
        let addr = (*to).into();
        with_timeout(fd, Waits::Send, timeout, |flags| sys::msg::send_datagram(fd, data, Some(&addr), control, flags))
            .map_err(|cause| self.error(Op::SendMsg, Some(*to), input_or_os(cause)))
    }

    /// Receives up to `batch.capacity()` datagrams in one `recvmmsg`: waits at most `timeout`
    /// for the **first**, then takes what is already queued and returns; it never waits for
    /// the batch to fill. Returns how many it took (at least 1); read them with
    /// [`RecvBatch::iter`]. A datagram longer than the batch's datagram length is cut and
    /// flagged ([`RecvMeta::is_truncated`]), not an error, so one long datagram cannot cost
    /// the others.
    ///
    /// The kernel's `recvmmsg` timeout argument is left `NULL`: it is checked only after a
    /// datagram arrives, so it cannot bound a wait. The wait is the receives' own (the socket's
    /// `SO_RCVTIMEO`, which bounds `recvmmsg`'s wait for its first datagram, and `ppoll` for
    /// any remainder), and `recvmmsg` runs with `MSG_WAITFORONE`.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketrecv_batch)): in steady state one
    /// blocking `recvmmsg(MSG_WAITFORONE|MSG_TRUNC|MSG_CMSG_CLOEXEC)`, which waits for the
    /// first datagram only; with a new timeout,
    /// `recvmmsg(MSG_DONTWAIT|MSG_WAITFORONE|MSG_TRUNC|MSG_CMSG_CLOEXEC)` — 1 when datagrams
    /// are there — else `setsockopt(SO_RCVTIMEO)` and the blocking `recvmmsg`. Descriptors in
    /// control data are closed as for [`recv_msg`](UdpSocket::recv_msg).
    ///
    #[doc = man_links!(recvmmsg(2), ppoll(2), udp(7))]
    ///
    /// # Errors
    /// `TimedOut` when no datagram came within `timeout`; a closed socket; the kernel's error.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, RecvBatch, UdpSocket};
    /// use std::io::ErrorKind;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// bind(&socket, &"127.0.0.1:0".parse()?, true)?;
    /// let mut batch = RecvBatch::new(32, 64)?;
    /// assert_eq!(socket.recv_batch(&mut batch, 0.01).unwrap_err().kind(), ErrorKind::TimedOut);
    /// assert!(batch.is_empty());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn recv_batch(&self, batch: &mut RecvBatch, timeout: impl Into<Timeout>) -> Result<usize> {
        let fd = self.sock.fd(Op::RecvMmsg)?;
        let slots = &mut batch.slots;
        let timeout = timeout.into();
        with_timeout(fd, Waits::Recv(&self.sock.timer), timeout, |flags| slots.recv(fd, flags))
            .map_err(|cause| self.error(Op::RecvMmsg, None, cause))
    }

    /// Sends up to [`SEND_BATCH_MAX`] datagrams of `msgs` in one `sendmmsg`, waiting at most
    /// `timeout` for buffer room for the first; returns how many the kernel took, in order
    /// (like a short write: send the rest again). An empty `msgs` makes no syscall.
    ///
    /// Syscalls ([contract](crate::syscalls#udpsocketsend_batch)):
    /// `sendmmsg(MSG_DONTWAIT|MSG_NOSIGNAL)` — 1 when there is room (indefinite: one blocking
    /// `sendmmsg(MSG_NOSIGNAL)`); otherwise `sendmmsg → EAGAIN`, `ppoll([POLLOUT])`, `sendmmsg`.
    ///
    #[doc = man_links!(sendmmsg(2), poll(2), udp(7))]
    ///
    /// # Errors
    /// As [`send_msg`](UdpSocket::send_msg), naming the first datagram's address. An error
    /// after the first datagram was sent is not reported by this call: it returns the count
    /// sent, and the next call reports the error.
    ///
    /// ```
    /// use chapel_socket::{bind, IPFamily, SendMsg, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// bind(&socket, &"[::1]:0".parse()?, true)?;
    /// let me = socket.addr()?;
    /// let msgs: Vec<SendMsg> = (0..3).map(|_| SendMsg::new(b"x", me)).collect();
    /// assert_eq!(socket.send_batch(&msgs, 1.0)?, 3);
    /// assert_eq!(socket.send_batch(&[], 1.0)?, 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn send_batch(&self, msgs: &[SendMsg<'_>], timeout: impl Into<Timeout>) -> Result<usize> {
        let fd = self.sock.fd(Op::SendMmsg)?;
        let timeout = timeout.into();
        let Some(first) = msgs.first() else { return Ok(0) };
        with_timeout(fd, Waits::Send, timeout, |flags| {
            sys::msg::send_mmsg(fd, msgs.len(), |i| (msgs[i].data, Some(msgs[i].to.into()), msgs[i].control), flags)
        })
        .map_err(|cause| self.error(Op::SendMmsg, Some(first.to), input_or_os(cause)))
    }
}
