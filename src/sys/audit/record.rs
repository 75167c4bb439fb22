//! The recorder (feature `audit`): what `audit!` reports is kept here, decoded as `strace`
//! prints it, for the thread's open records and the sink.

use std::cell::{Cell, RefCell};
use std::fmt::{self, Display, Write};
use std::io;
use std::mem::size_of;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use crate::sys::addr::SockAddr;

/// How many bytes of a buffer a record shows, as `strace`'s default `-s 32`; a longer one
/// ends in `...` after the closing quote.
const STRING_LIMIT: usize = 32;
/// How many elements of an array (a batch's messages) a record shows before `...`.
const ARRAY_LIMIT: usize = 16;

/// One call the crate made: its name, its arguments as `strace` prints them, and its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) name: &'static str,
    pub(crate) args: String,
    /// The return value, or the `errno` of a failed call.
    pub(crate) result: Result<i64, i32>,
    /// What `strace` prints after the result: ` (Timeout)`, ` ([{fd=3, revents=POLLIN}])`, a
    /// resolver's error.
    tail: String,
}

impl Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({}) = ", self.name, self.args)?;
        match self.result {
            Ok(value) => write!(f, "{value}")?,
            Err(errno) => write!(f, "-1 {} ({})", errno_name(errno), strerror(errno))?,
        }
        f.write_str(&self.tail)
    }
}

/// The calls of this thread's open records, and how many are open.
struct Open {
    depth: usize,
    calls: Vec<Record>,
}

thread_local! {
    static OPEN: RefCell<Open> = const { RefCell::new(Open { depth: 0, calls: Vec::new() }) };
    /// Set while this thread runs the sink, so the sink's own calls do not re-enter it.
    static IN_SINK: Cell<bool> = const { Cell::new(false) };
}

/// What every thread's calls go to as they happen.
type Sink = Arc<dyn Fn(Record) + Send + Sync>;

static SINK: RwLock<Option<Sink>> = RwLock::new(None);
/// Whether [`SINK`] holds one: read on every call, without the lock.
static SINK_SET: AtomicBool = AtomicBool::new(false);

/// Sets (or, with `None`, removes) the sink every thread's calls go to.
pub(crate) fn set_sink(sink: Option<Sink>) {
    let mut slot = SINK.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    SINK_SET.store(sink.is_some(), Ordering::Release);
    *slot = sink;
}

/// Runs `f` with a record open on this thread; returns its value and the calls this thread
/// made meanwhile. Records nest: an outer one holds the inner one's calls too.
pub(crate) fn record<T>(f: impl FnOnce() -> T) -> (T, Vec<Record>) {
    let frame = Frame::open();
    let value = f();
    (value, frame.close())
}

/// One open record: where its calls start in this thread's list. Dropped (also on a panic),
/// it closes.
struct Frame {
    start: usize,
}

impl Frame {
    fn open() -> Frame {
        OPEN.with_borrow_mut(|open| {
            open.depth += 1;
            Frame { start: open.calls.len() }
        })
    }

    /// The calls made since this frame opened (the outermost frame gives the list away).
    fn close(self) -> Vec<Record> {
        OPEN.with_borrow_mut(|open| {
            if open.depth == 1 { open.calls.split_off(self.start) } else { open.calls[self.start..].to_vec() }
        })
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        let _ = OPEN.try_with(|open| {
            let mut open = open.borrow_mut();
            open.depth -= 1;
            if open.depth == 0 {
                open.calls.clear();
            }
        });
    }
}

/// Whether a call made now is kept: a sink is set, or this thread has a record open.
#[inline]
pub(crate) fn wanted() -> bool {
    SINK_SET.load(Ordering::Relaxed) || OPEN.try_with(|open| open.borrow().depth > 0).unwrap_or(false)
}

/// Keeps the call `name` that returned `result`, its arguments written by `args`.
#[inline(never)]
pub(crate) fn made(name: &'static str, result: Result<i64, i32>, args: impl FnOnce(&mut Args)) {
    let mut a = Args { text: String::new(), tail: String::new() };
    args(&mut a);
    let record = Record { name, args: a.text, result, tail: a.tail };
    let sink = if SINK_SET.load(Ordering::Acquire) && !IN_SINK.get() {
        SINK.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    } else {
        None
    };
    let _ = OPEN.try_with(|open| {
        let mut open = open.borrow_mut();
        if open.depth > 0 {
            open.calls.push(record.clone());
        }
    });
    if let Some(sink) = sink {
        IN_SINK.set(true);
        struct Leave;
        impl Drop for Leave {
            fn drop(&mut self) {
                IN_SINK.set(false);
            }
        }
        let _leave = Leave;
        sink(record);
    }
}

/// A syscall wrapper's result as a record keeps it: the value, or the `errno`.
pub(crate) fn result_of<T: Copy>(result: &io::Result<T>) -> Result<i64, i32>
where
    i64: TryFrom<T>,
{
    match result {
        Ok(value) => Ok(i64::try_from(*value).unwrap_or(i64::MAX)),
        Err(e) => Err(e.raw_os_error().unwrap_or(0)),
    }
}

/// A call's arguments as `strace` prints them, written one by one (the commas are added
/// here), and what it prints after the result.
pub(crate) struct Args {
    text: String,
    tail: String,
}

impl Args {
    /// The next argument, written by `write`.
    fn next(&mut self, write: impl FnOnce(&mut String)) -> &mut Args {
        if !self.text.is_empty() {
            self.text.push_str(", ");
        }
        write(&mut self.text);
        self
    }

    /// An argument printed as it is: a descriptor, a number, a name.
    pub(crate) fn raw(&mut self, value: impl Display) -> &mut Args {
        self.next(|t| {
            let _ = write!(t, "{value}");
        })
    }

    /// A pointer `strace` does not follow (or cannot: a failed call's output), or `NULL`.
    pub(crate) fn ptr<T>(&mut self, p: *const T) -> &mut Args {
        if p.is_null() { self.raw("NULL") } else { self.raw(format_args!("{p:p}")) }
    }

    /// A buffer, quoted as `strace` quotes it, at most [`STRING_LIMIT`] bytes of it.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> &mut Args {
        self.next(|t| quote(t, bytes))
    }

    /// What `strace` prints after the result.
    pub(crate) fn tail(&mut self, tail: impl Display) -> &mut Args {
        let _ = write!(self.tail, "{tail}");
        self
    }

    /// `socket(2)`'s domain, type (with its flags) and protocol.
    pub(crate) fn socket(&mut self, family: i32, ty: i32, protocol: i32) -> &mut Args {
        self.raw(family_name(family)).raw(sock_type(ty));
        if protocol == 0 && family != libc::AF_UNIX { self.raw("IPPROTO_IP") } else { self.raw(protocol) }
    }

    /// Send and receive flags (`MSG_*`), `0` for none.
    pub(crate) fn msg_flags(&mut self, flags: i32) -> &mut Args {
        self.raw(flag_names(flags, MSG_FLAGS))
    }

    /// A socket address the caller passes, and its length.
    pub(crate) fn addr_in(&mut self, addr: &[u8]) -> &mut Args {
        self.next(|t| sockaddr(t, addr)).raw(addr.len())
    }

    /// A socket address the kernel wrote into room for one of any kind, and its length: as
    /// `strace`, `{…}, [room => len]` after a successful call, the pointer and `[room]` after
    /// a failed one.
    ///
    /// # Safety
    /// `addr` is valid for reads of `min(len, room)` bytes when `ok`.
    pub(crate) unsafe fn addr_out(&mut self, ok: bool, addr: *const libc::sockaddr, len: libc::socklen_t) -> &mut Args {
        let room = size_of::<SockAddr>();
        if !ok {
            return self.ptr(addr).raw(format_args!("[{room}]"));
        }
        // SAFETY: forwarded from this function's contract.
        let bytes = unsafe { std::slice::from_raw_parts(addr.cast::<u8>(), (len as usize).min(room)) };
        self.next(|t| sockaddr(t, bytes)).raw(in_out(room, len as usize))
    }

    /// A socket option's level and name.
    pub(crate) fn option(&mut self, level: i32, name: i32) -> &mut Args {
        self.raw(level_name(level)).raw(option_name(level, name))
    }

    /// A socket option's value as `setsockopt` passes it (`NULL` when there is none).
    pub(crate) fn option_value(&mut self, level: i32, name: i32, value: Option<&[u8]>) -> &mut Args {
        match value {
            None => self.raw("NULL"),
            Some(bytes) => self.next(|t| option_value(t, level, name, bytes)),
        }
    }

    /// `ppoll`'s or `poll`'s descriptors and, after the call, what came back.
    pub(crate) fn pollfds(&mut self, fds: &[libc::pollfd], result: &Result<i64, i32>) -> &mut Args {
        self.next(|t| {
            t.push('[');
            for (i, p) in fds.iter().enumerate() {
                let sep = if i > 0 { ", " } else { "" };
                let _ = write!(t, "{sep}{{fd={}, events={}}}", p.fd, flag_names(p.events.into(), POLL_EVENTS));
            }
            t.push(']');
        });
        match result {
            Ok(0) => self.tail(" (Timeout)"),
            Ok(_) => {
                let ready: Vec<String> = fds
                    .iter()
                    .filter(|p| p.revents != 0)
                    .map(|p| format!("{{fd={}, revents={}}}", p.fd, flag_names(p.revents.into(), POLL_EVENTS)))
                    .collect();
                self.tail(format_args!(" ([{}])", ready.join(", ")))
            }
            Err(_) => self,
        }
    }

    /// A `struct msghdr` as `sendmsg` reads it or, after a successful call of result `len`,
    /// as `recvmsg` wrote it (`sent`: the buffers hold what is sent, all of it shown).
    ///
    /// # Safety
    /// Every pointer in `msg` is valid for reads of the length beside it, and the buffers
    /// hold initialised bytes up to `len` (all of them when `sent`).
    pub(crate) unsafe fn msghdr(&mut self, msg: &libc::msghdr, len: Option<usize>, sent: bool) -> &mut Args {
        // SAFETY: forwarded from this function's contract.
        self.next(|t| unsafe { msghdr(t, msg, len, sent) })
    }

    /// `getaddrinfo`'s hints.
    pub(crate) fn hints(&mut self, hints: &libc::addrinfo) -> &mut Args {
        const AI_FLAGS: &[(i32, &str)] = &[
            (libc::AI_PASSIVE, "AI_PASSIVE"),
            (libc::AI_CANONNAME, "AI_CANONNAME"),
            (libc::AI_NUMERICHOST, "AI_NUMERICHOST"),
            (libc::AI_NUMERICSERV, "AI_NUMERICSERV"),
        ];
        self.raw(format_args!(
            "{{ai_flags={}, ai_family={}, ai_socktype={}, ai_protocol={}}}",
            flag_names(hints.ai_flags, AI_FLAGS),
            family_name(hints.ai_family),
            sock_type(hints.ai_socktype),
            hints.ai_protocol
        ))
    }

    /// The addresses of the list `getaddrinfo` returned.
    ///
    /// # Safety
    /// `list` is null or a list `getaddrinfo` returned, not yet freed.
    pub(crate) unsafe fn addrinfo(&mut self, list: *const libc::addrinfo) -> &mut Args {
        self.next(|t| {
            t.push('[');
            let mut node = list;
            while !node.is_null() {
                // SAFETY: a live element of the list (this function's contract).
                let info = unsafe { &*node };
                if node != list {
                    t.push_str(", ");
                }
                if info.ai_addr.is_null() {
                    t.push_str("NULL");
                } else {
                    // SAFETY: `ai_addr` points at `ai_addrlen` readable bytes.
                    sockaddr(t, unsafe {
                        std::slice::from_raw_parts(info.ai_addr.cast::<u8>(), info.ai_addrlen as usize)
                    });
                }
                node = info.ai_next;
            }
            t.push(']');
        })
    }

    /// The headers of a batch (`recvmmsg`, `sendmmsg`): the first `n` of them, each with the
    /// length the kernel set.
    ///
    /// # Safety
    /// As [`Args::msghdr`] for each of the first `n` headers, with its `msg_len`.
    pub(crate) unsafe fn mmsghdrs(&mut self, hdrs: &[libc::mmsghdr], sent: bool) -> &mut Args {
        self.next(|t| {
            t.push('[');
            for (i, h) in hdrs.iter().take(ARRAY_LIMIT).enumerate() {
                t.push_str(if i > 0 { ", {msg_hdr=" } else { "{msg_hdr=" });
                // SAFETY: forwarded from this function's contract.
                unsafe { msghdr(t, &h.msg_hdr, Some(h.msg_len as usize), sent) };
                let _ = write!(t, ", msg_len={}}}", h.msg_len);
            }
            if hdrs.len() > ARRAY_LIMIT {
                t.push_str(", ...");
            }
            t.push(']');
        })
    }
}

/// `[n]`, or `[before => after]` when the kernel changed a length.
pub(crate) fn in_out(before: usize, after: usize) -> String {
    if before == after { format!("[{before}]") } else { format!("[{before} => {after}]") }
}

/// `bytes` as `strace` quotes a string: printable ASCII as it is, `\t\n\v\f\r`, `\"` and
/// `\\` escaped, anything else in octal (three digits when a digit follows); past
/// [`STRING_LIMIT`] bytes, `...` after the quote.
fn quote(t: &mut String, bytes: &[u8]) {
    let shown = &bytes[..bytes.len().min(STRING_LIMIT)];
    t.push('"');
    for (i, &b) in shown.iter().enumerate() {
        match b {
            b'"' => t.push_str("\\\""),
            b'\\' => t.push_str("\\\\"),
            b'\t' => t.push_str("\\t"),
            b'\n' => t.push_str("\\n"),
            0x0b => t.push_str("\\v"),
            0x0c => t.push_str("\\f"),
            b'\r' => t.push_str("\\r"),
            0x20..=0x7e => t.push(b as char),
            _ if shown.get(i + 1).is_some_and(|n| (b'0'..=b'7').contains(n)) => {
                let _ = write!(t, "\\{b:03o}");
            }
            _ => {
                let _ = write!(t, "\\{b:o}");
            }
        }
    }
    t.push('"');
    if bytes.len() > STRING_LIMIT {
        t.push_str("...");
    }
}

/// A socket address as `strace` prints it, from the bytes the caller passed or the kernel
/// wrote.
fn sockaddr(t: &mut String, bytes: &[u8]) {
    // The family: the first two bytes, or the second byte after a length byte (`sin_len`).
    #[cfg(not(has_sin_len))]
    let family = bytes.get(..2).map(|b| i32::from(u16::from_ne_bytes([b[0], b[1]])));
    #[cfg(has_sin_len)]
    let family = bytes.get(1).map(|&b| i32::from(b));
    let Some(family) = family else {
        t.push_str("{sa_family=AF_UNSPEC}");
        return;
    };
    let port = |at: usize| bytes.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    match family {
        libc::AF_INET if bytes.len() >= 8 => {
            let ip = Ipv4Addr::new(bytes[4], bytes[5], bytes[6], bytes[7]);
            let _ = write!(
                t,
                "{{sa_family=AF_INET, sin_port=htons({}), sin_addr=inet_addr(\"{ip}\")}}",
                port(2).unwrap_or(0)
            );
        }
        libc::AF_INET6 if bytes.len() >= 28 => {
            let word = |at: usize| u32::from_ne_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&bytes[8..24]);
            let _ = write!(
                t,
                "{{sa_family=AF_INET6, sin6_port=htons({}), sin6_flowinfo=htonl({}), inet_pton(AF_INET6, \"{}\", &sin6_addr), sin6_scope_id={}}}",
                port(2).unwrap_or(0),
                u32::from_be(word(4)),
                Ipv6Addr::from(octets),
                word(24)
            );
        }
        libc::AF_UNIX => {
            let path = &bytes[bytes.len().min(2)..];
            t.push_str("{sa_family=AF_UNIX");
            match path.split_first() {
                None => {}
                Some((0, name)) => {
                    t.push_str(", sun_path=@");
                    quote(t, name);
                }
                Some(_) => {
                    t.push_str(", sun_path=");
                    quote(t, &path[..path.iter().position(|&b| b == 0).unwrap_or(path.len())]);
                }
            }
            t.push('}');
        }
        other => {
            let _ = write!(t, "{{sa_family={}}}", family_name(other));
        }
    }
}

/// A socket option's value: `[n]` for an `int` (an errno's name for `SO_ERROR`), the C
/// structs `strace` decodes, and any other bytes quoted.
fn option_value(t: &mut String, level: i32, name: i32, bytes: &[u8]) {
    let int = |at: usize| bytes.get(at..at + 4).map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
    let ipv4 = |at: usize| bytes.get(at..at + 4).map(|b| Ipv4Addr::new(b[0], b[1], b[2], b[3]));
    match (level, name, bytes.len()) {
        (libc::SOL_SOCKET, libc::SO_ERROR, 4) => match int(0) {
            Some(0) | None => t.push_str("[0]"),
            Some(errno) => {
                let _ = write!(t, "[{}]", errno_name(errno));
            }
        },
        (libc::SOL_SOCKET, libc::SO_LINGER, 8) => {
            let _ = write!(t, "{{l_onoff={}, l_linger={}}}", int(0).unwrap_or(0), int(4).unwrap_or(0));
        }
        #[cfg(has_so_peercred)]
        (libc::SOL_SOCKET, libc::SO_PEERCRED, 12) => {
            let (pid, uid, gid) = (int(0).unwrap_or(0), int(4).unwrap_or(0) as u32, int(8).unwrap_or(0) as u32);
            let _ = write!(t, "{{pid={pid}, uid={uid}, gid={gid}}}");
        }
        (libc::IPPROTO_IP, libc::IP_ADD_MEMBERSHIP | libc::IP_DROP_MEMBERSHIP, 8) => {
            let (group, interface) =
                (ipv4(0).unwrap_or(Ipv4Addr::UNSPECIFIED), ipv4(4).unwrap_or(Ipv4Addr::UNSPECIFIED));
            let _ = write!(t, "{{imr_multiaddr=inet_addr(\"{group}\"), imr_interface=inet_addr(\"{interface}\")}}");
        }
        (libc::IPPROTO_IPV6, libc::IPV6_ADD_MEMBERSHIP | libc::IPV6_DROP_MEMBERSHIP, 20) => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&bytes[..16]);
            let group = Ipv6Addr::from(octets);
            let _ = write!(
                t,
                "{{ipv6mr_multiaddr=inet_pton(AF_INET6, \"{group}\"), ipv6mr_interface={}}}",
                int(16).unwrap_or(0) as u32
            );
        }
        (_, _, 4) => {
            let _ = write!(t, "[{}]", int(0).unwrap_or(0));
        }
        _ => quote(t, bytes),
    }
}

/// A `struct msghdr`: its name, buffers (`len`: how many of their bytes to show, `None` for
/// none, as after a failed call), control data and flags.
///
/// # Safety
/// As [`Args::msghdr`].
unsafe fn msghdr(t: &mut String, msg: &libc::msghdr, len: Option<usize>, sent: bool) {
    t.push_str("{msg_name=");
    if msg.msg_name.is_null() {
        t.push_str("NULL");
    } else if msg.msg_namelen == 0 {
        // Room the kernel wrote no name into: as `strace`, the pointer.
        let _ = write!(t, "{:p}", msg.msg_name);
    } else {
        let n = (msg.msg_namelen as usize).min(size_of::<SockAddr>());
        // SAFETY: the name is valid for reads of `msg_namelen` bytes (the caller's), cut to
        // the room any name has.
        sockaddr(t, unsafe { std::slice::from_raw_parts(msg.msg_name.cast::<u8>(), n) });
    }
    let _ = write!(t, ", msg_namelen={}, msg_iov=[", msg.msg_namelen);
    let mut left = len.unwrap_or(0);
    // `msg_iovlen` is a `size_t` on glibc, an `int` on musl.
    #[allow(clippy::unnecessary_cast)]
    let iovlen = msg.msg_iovlen as usize;
    for i in 0..iovlen.min(ARRAY_LIMIT) {
        // SAFETY: `msg_iov` points at `msg_iovlen` iovecs (the caller's contract).
        let iov = unsafe { &*msg.msg_iov.add(i) };
        let shown = if sent { iov.iov_len } else { left.min(iov.iov_len) };
        left -= shown.min(left);
        // SAFETY: the buffer holds initialised bytes up to what was sent or received.
        let data = unsafe { std::slice::from_raw_parts(iov.iov_base.cast::<u8>(), shown.min(STRING_LIMIT + 1)) };
        t.push_str(if i > 0 { ", {iov_base=" } else { "{iov_base=" });
        quote(t, data);
        let _ = write!(t, ", iov_len={}}}", iov.iov_len);
    }
    if iovlen > ARRAY_LIMIT {
        t.push_str(", ...");
    }
    let _ = write!(t, "], msg_iovlen={iovlen}");
    #[allow(clippy::unnecessary_cast)]
    let controllen = msg.msg_controllen as usize;
    if controllen > 0 && !msg.msg_control.is_null() {
        // SAFETY: the control data is valid for reads of `msg_controllen` bytes.
        let mut rest = unsafe { std::slice::from_raw_parts(msg.msg_control.cast::<u8>(), controllen) };
        t.push_str(", msg_control=[");
        let mut first = true;
        while let Some(m) = crate::sys::cmsg::next(&mut rest) {
            let sep = if first { "" } else { ", " };
            first = false;
            let _ = write!(
                t,
                "{sep}{{cmsg_level={}, cmsg_type={}, cmsg_data=",
                level_name(m.level),
                cmsg_type(m.level, m.kind)
            );
            if (m.level, m.kind) == (libc::SOL_SOCKET, libc::SCM_RIGHTS) {
                let fds: Vec<String> =
                    m.data.chunks_exact(4).map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]).to_string()).collect();
                let _ = write!(t, "[{}]", fds.join(", "));
            } else {
                quote(t, m.data);
            }
            t.push('}');
        }
        t.push(']');
    }
    let _ = write!(t, ", msg_controllen={controllen}, msg_flags={}}}", flag_names(msg.msg_flags, MSG_FLAGS));
}

/// A control message's type: `SCM_RIGHTS`…, the IP ones by their option's name.
fn cmsg_type(level: i32, kind: i32) -> String {
    match (level, kind) {
        (libc::SOL_SOCKET, libc::SCM_RIGHTS) => "SCM_RIGHTS".into(),
        #[cfg(has_so_peercred)]
        (libc::SOL_SOCKET, libc::SCM_CREDENTIALS) => "SCM_CREDENTIALS".into(),
        #[cfg(has_mmsg)]
        (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS) => "SCM_TIMESTAMPNS".into(),
        (libc::SOL_SOCKET, other) => other.to_string(),
        _ => option_name(level, kind),
    }
}

/// `AF_INET`…, or the number.
fn family_name(family: i32) -> String {
    match family {
        libc::AF_UNSPEC => "AF_UNSPEC".into(),
        libc::AF_INET => "AF_INET".into(),
        libc::AF_INET6 => "AF_INET6".into(),
        libc::AF_UNIX => "AF_UNIX".into(),
        other => other.to_string(),
    }
}

/// `SOCK_STREAM|SOCK_CLOEXEC`…
fn sock_type(ty: i32) -> String {
    #[cfg(has_accept4)]
    let (flags, base) =
        (ty & (libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK), ty & !(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK));
    #[cfg(not(has_accept4))]
    let (flags, base) = (0, ty);
    let mut text = match base {
        libc::SOCK_STREAM => "SOCK_STREAM".to_string(),
        libc::SOCK_DGRAM => "SOCK_DGRAM".to_string(),
        libc::SOCK_SEQPACKET => "SOCK_SEQPACKET".to_string(),
        libc::SOCK_RAW => "SOCK_RAW".to_string(),
        other => other.to_string(),
    };
    if flags != 0 {
        text.push('|');
        text.push_str(&flag_names(flags, SOCK_FLAGS));
    }
    text
}

/// The names of the bits of `value` in `table`, joined by `|`; bits without a name in hex;
/// `0` for none.
fn flag_names(value: i32, table: &[(i32, &str)]) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut left = value;
    for &(bit, name) in table {
        if bit != 0 && value & bit == bit {
            names.push(name.into());
            left &= !bit;
        }
    }
    if left != 0 {
        names.push(format!("{left:#x}"));
    }
    if names.is_empty() { "0".into() } else { names.join("|") }
}

#[cfg(has_accept4)]
const SOCK_FLAGS: &[(i32, &str)] = &[(libc::SOCK_CLOEXEC, "SOCK_CLOEXEC"), (libc::SOCK_NONBLOCK, "SOCK_NONBLOCK")];
/// `accept4`'s flags.
#[cfg(has_accept4)]
pub(crate) fn accept_flags(flags: i32) -> String {
    flag_names(flags, SOCK_FLAGS)
}

const MSG_FLAGS: &[(i32, &str)] = &[
    (libc::MSG_OOB, "MSG_OOB"),
    (libc::MSG_PEEK, "MSG_PEEK"),
    (libc::MSG_DONTROUTE, "MSG_DONTROUTE"),
    (libc::MSG_CTRUNC, "MSG_CTRUNC"),
    #[cfg(has_msg_trunc)]
    (libc::MSG_TRUNC, "MSG_TRUNC"),
    (libc::MSG_DONTWAIT, "MSG_DONTWAIT"),
    (libc::MSG_EOR, "MSG_EOR"),
    (libc::MSG_WAITALL, "MSG_WAITALL"),
    #[cfg(has_msg_errqueue)]
    (libc::MSG_ERRQUEUE, "MSG_ERRQUEUE"),
    #[cfg(has_msg_nosignal)]
    (libc::MSG_NOSIGNAL, "MSG_NOSIGNAL"),
    #[cfg(has_mmsg)]
    (libc::MSG_WAITFORONE, "MSG_WAITFORONE"),
    #[cfg(has_msg_cmsg_cloexec)]
    (libc::MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC"),
];

const POLL_EVENTS: &[(i32, &str)] = &[
    (libc::POLLIN as i32, "POLLIN"),
    (libc::POLLPRI as i32, "POLLPRI"),
    (libc::POLLOUT as i32, "POLLOUT"),
    (libc::POLLERR as i32, "POLLERR"),
    (libc::POLLHUP as i32, "POLLHUP"),
    (libc::POLLNVAL as i32, "POLLNVAL"),
];

/// `SOL_SOCKET`, `SOL_IP`… as `strace` names the levels.
fn level_name(level: i32) -> String {
    match level {
        libc::SOL_SOCKET => "SOL_SOCKET".into(),
        libc::IPPROTO_IP => "SOL_IP".into(),
        libc::IPPROTO_IPV6 => "SOL_IPV6".into(),
        libc::IPPROTO_TCP => "SOL_TCP".into(),
        libc::IPPROTO_UDP => "SOL_UDP".into(),
        other => other.to_string(),
    }
}

/// An option's C name: those of the plain-data allowlist, and those the crate reads.
fn option_name(level: i32, name: i32) -> String {
    if let Some(p) = crate::sys::plain_opts::plain(level, name) {
        return p.name.into();
    }
    let read: &[(i32, i32, &str)] = &[
        (libc::SOL_SOCKET, libc::SO_ERROR, "SO_ERROR"),
        (libc::SOL_SOCKET, libc::SO_TYPE, "SO_TYPE"),
        (libc::SOL_SOCKET, libc::SO_ACCEPTCONN, "SO_ACCEPTCONN"),
        #[cfg(has_linux_sockopts)]
        (libc::SOL_SOCKET, libc::SO_DOMAIN, "SO_DOMAIN"),
        #[cfg(has_linux_sockopts)]
        (libc::SOL_SOCKET, libc::SO_PROTOCOL, "SO_PROTOCOL"),
        #[cfg(has_so_peercred)]
        (libc::SOL_SOCKET, libc::SO_PEERCRED, "SO_PEERCRED"),
        #[cfg(has_so_nosigpipe)]
        (libc::SOL_SOCKET, libc::SO_NOSIGPIPE, "SO_NOSIGPIPE"),
    ];
    read.iter().find(|&&(l, n, _)| (l, n) == (level, name)).map_or_else(|| name.to_string(), |&(_, _, c)| c.into())
}

/// The errno's C name (`EAGAIN`…), or `E` and the number.
pub(crate) fn errno_name(errno: i32) -> String {
    const NAMES: &[(i32, &str)] = &[
        (libc::EPERM, "EPERM"),
        (libc::ENOENT, "ENOENT"),
        (libc::EINTR, "EINTR"),
        (libc::EIO, "EIO"),
        (libc::EBADF, "EBADF"),
        (libc::EAGAIN, "EAGAIN"),
        (libc::ENOMEM, "ENOMEM"),
        (libc::EACCES, "EACCES"),
        (libc::EFAULT, "EFAULT"),
        (libc::EEXIST, "EEXIST"),
        (libc::ENODEV, "ENODEV"),
        (libc::ENOTDIR, "ENOTDIR"),
        (libc::EINVAL, "EINVAL"),
        (libc::ENFILE, "ENFILE"),
        (libc::EMFILE, "EMFILE"),
        (libc::ENOTTY, "ENOTTY"),
        (libc::ENOSPC, "ENOSPC"),
        (libc::EPIPE, "EPIPE"),
        (libc::EDOM, "EDOM"),
        (libc::ERANGE, "ERANGE"),
        (libc::ENAMETOOLONG, "ENAMETOOLONG"),
        (libc::ENOSYS, "ENOSYS"),
        (libc::ENOTSOCK, "ENOTSOCK"),
        (libc::EDESTADDRREQ, "EDESTADDRREQ"),
        (libc::EMSGSIZE, "EMSGSIZE"),
        (libc::EPROTOTYPE, "EPROTOTYPE"),
        (libc::ENOPROTOOPT, "ENOPROTOOPT"),
        (libc::EPROTONOSUPPORT, "EPROTONOSUPPORT"),
        (libc::EOPNOTSUPP, "EOPNOTSUPP"),
        (libc::EAFNOSUPPORT, "EAFNOSUPPORT"),
        (libc::EADDRINUSE, "EADDRINUSE"),
        (libc::EADDRNOTAVAIL, "EADDRNOTAVAIL"),
        (libc::ENETDOWN, "ENETDOWN"),
        (libc::ENETUNREACH, "ENETUNREACH"),
        (libc::ECONNABORTED, "ECONNABORTED"),
        (libc::ECONNRESET, "ECONNRESET"),
        (libc::ENOBUFS, "ENOBUFS"),
        (libc::EISCONN, "EISCONN"),
        (libc::ENOTCONN, "ENOTCONN"),
        (libc::ETIMEDOUT, "ETIMEDOUT"),
        (libc::ECONNREFUSED, "ECONNREFUSED"),
        (libc::EHOSTUNREACH, "EHOSTUNREACH"),
        (libc::EALREADY, "EALREADY"),
        (libc::EINPROGRESS, "EINPROGRESS"),
    ];
    NAMES.iter().find(|&&(n, _)| n == errno).map_or_else(|| format!("E{errno}"), |&(_, name)| name.into())
}

/// A `getaddrinfo` error's C name (`EAI_NONAME`…).
pub(crate) fn gai_name(code: i32) -> String {
    const NAMES: &[(i32, &str)] = &[
        (libc::EAI_AGAIN, "EAI_AGAIN"),
        (libc::EAI_BADFLAGS, "EAI_BADFLAGS"),
        (libc::EAI_FAIL, "EAI_FAIL"),
        (libc::EAI_FAMILY, "EAI_FAMILY"),
        (libc::EAI_MEMORY, "EAI_MEMORY"),
        (libc::EAI_NONAME, "EAI_NONAME"),
        (libc::EAI_SERVICE, "EAI_SERVICE"),
        (libc::EAI_SOCKTYPE, "EAI_SOCKTYPE"),
        (libc::EAI_SYSTEM, "EAI_SYSTEM"),
    ];
    NAMES.iter().find(|&&(n, _)| n == code).map_or_else(|| format!("EAI_{code}"), |&(_, name)| name.into())
}

/// The C library's text for `errno`, without std's ` (os error N)`.
fn strerror(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_as_strace_quotes_them() {
        let mut t = String::new();
        quote(&mut t, b"a\"b\\\n\0\x01x\x007");
        assert_eq!(t, r#""a\"b\\\n\0\1x\0007""#);
        let mut t = String::new();
        quote(&mut t, &[b'z'; 40]);
        assert_eq!(t, format!("\"{}\"...", "z".repeat(32)));
    }

    #[test]
    fn records_nest_and_keep_only_their_threads_calls() {
        let ((), outer) = record(|| {
            made("listen", Ok(0), |a| {
                a.raw(3).raw(16);
            });
            let ((), inner) = record(|| {
                made("close", Err(libc::EBADF), |a| {
                    a.raw(3);
                });
            });
            assert_eq!(inner.len(), 1);
            assert_eq!(inner[0].to_string(), "close(3) = -1 EBADF (Bad file descriptor)");
            std::thread::spawn(|| {
                made("close", Ok(0), |a| {
                    a.raw(4);
                })
            })
            .join()
            .unwrap();
        });
        let lines: Vec<String> = outer.iter().map(ToString::to_string).collect();
        assert_eq!(lines, ["listen(3, 16) = 0", "close(3) = -1 EBADF (Bad file descriptor)"]);
        assert!(!wanted(), "every record is closed");
    }

    #[test]
    fn flags_and_addresses_read_as_strace_prints_them() {
        assert_eq!(sock_type(libc::SOCK_STREAM | libc::SOCK_CLOEXEC), "SOCK_STREAM|SOCK_CLOEXEC");
        assert_eq!(flag_names(0, MSG_FLAGS), "0");
        assert_eq!(flag_names(libc::MSG_DONTWAIT | 0x200, MSG_FLAGS), "MSG_DONTWAIT|0x200");
        let raw = crate::sys::addr::RawAddr::new(&"127.0.0.1:80".parse().unwrap());
        // SAFETY: `raw` holds `raw.len()` bytes of a sockaddr.
        let bytes = unsafe { std::slice::from_raw_parts(raw.as_ptr().cast::<u8>(), raw.len() as usize) };
        let mut a = Args { text: String::new(), tail: String::new() };
        a.addr_in(bytes);
        assert_eq!(a.text, "{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"127.0.0.1\")}, 16");
        let mut t = String::new();
        option_value(&mut t, libc::SOL_SOCKET, libc::SO_ERROR, &libc::ECONNREFUSED.to_ne_bytes());
        assert_eq!(t, "[ECONNREFUSED]");
        assert_eq!(cmsg_type(libc::SOL_SOCKET, libc::SCM_RIGHTS), "SCM_RIGHTS");
        assert_eq!(cmsg_type(libc::IPPROTO_IP, libc::IP_TTL), "IP_TTL");
    }
}
