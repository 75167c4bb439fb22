//! Unix-domain sockets, beyond Chapel's module: [`UnixListener`] and [`UnixStream`],
//! [`UnixDatagram`], their names ([`UnixAddr`]: a path, an abstract name, or none),
//! descriptor passing (`SCM_RIGHTS`) and peer credentials (`SO_PEERCRED`), on the same
//! contract as TCP and UDP: a timeout per blocking call through the one wait loop, errors
//! that name the address, close-on-exec from the creating call, and no SIGPIPE.
//!
//! **Socket files.** Binding a path creates a socket file there; `bind` fails with
//! `AddrInUse` when any file is already at the path — a stale one from a process that
//! exited included. The crate never removes a socket file, neither before `bind` nor when the
//! listener is dropped (as `std::os::unix::net`): remove it yourself
//! (`std::fs::remove_file`) when you know it is stale, or use an abstract name, which
//! disappears with its socket.

mod datagram;
mod listener;
mod stream;

use std::os::fd::{BorrowedFd, OwnedFd};

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use stream::UnixStream;

use crate::addr::UnixAddr;
use crate::error::{Cause, Error, Op, Result, Target};
use crate::handle::Sock;
use crate::sys;
use crate::sys::MsgFlags;
use crate::sys::addr::UnixName;
use crate::sys::cmsg::{self, Control};
use crate::timeout::Timeout;
use crate::wait::TimerSlot;
use crate::wait::{Waits, with_timeout};

/// Who is at the other end of a Unix socket: the process, user and group the kernel
/// recorded when it connected (or made the pair). From
/// [`UnixStream::peer_credentials`] and [`UnixDatagram::peer_credentials`].
///
/// ```
/// use chapel_socket::UnixStream;
/// let (a, _b) = UnixStream::pair()?;
/// let peer = a.peer_credentials()?;
/// assert_eq!(peer.pid, std::process::id() as i32);
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Credentials {
    /// The process id (`pid_t`).
    pub pid: i32,
    /// The user id (`uid_t`).
    pub uid: u32,
    /// The group id (`gid_t`).
    pub gid: u32,
}

impl From<sys::Ucred> for Credentials {
    fn from(c: sys::Ucred) -> Credentials {
        Credentials { pid: c.pid, uid: c.uid, gid: c.gid }
    }
}

impl From<Credentials> for sys::Ucred {
    fn from(c: Credentials) -> sys::Ucred {
        sys::Ucred { pid: c.pid, uid: c.uid, gid: c.gid }
    }
}

/// What a receive with descriptors brought: the bytes, and the descriptors that came with
/// them — owned, close-on-exec, closed when dropped.
#[derive(Debug)]
pub struct ReceivedFds {
    /// How many bytes were received (0 on a stream: end of stream).
    pub len: usize,
    /// The descriptors, in the order the sender gave them.
    pub fds: Vec<OwnedFd>,
    /// More descriptors came than `max_fds` had room for: those that did not fit were
    /// closed (by the kernel) and are not in `fds`.
    pub fds_truncated: bool,
    /// The sender's credentials, when this socket asked the kernel for them with
    /// [`set_passcred`](crate::SocketOptions::set_passcred) (`SO_PASSCRED`; Linux).
    pub credentials: Option<Credentials>,
}

/// The most descriptors one message can carry (Linux's `SCM_MAX_FD`).
pub const MAX_FDS: usize = 253;

/// The error target of a name: the name, unless the socket is unnamed.
fn target(addr: Option<&UnixAddr>) -> Target {
    addr.filter(|a| !a.is_unnamed()).map_or(Target::None, |a| Target::Unix(a.clone()))
}

/// `sendmsg` with an `SCM_RIGHTS` message of `fds`, to `to` or the connected peer, through the
/// wait loop: the send of every socket type that passes descriptors.
fn send_fds(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    fds: &[BorrowedFd<'_>],
    to: Option<&UnixAddr>,
    timeout: Timeout,
) -> std::result::Result<usize, Cause> {
    if fds.len() > MAX_FDS {
        return Err(Cause::Invalid(format!("{} descriptors; one message carries at most {MAX_FDS}", fds.len())));
    }
    let mut control = Control::default();
    if !fds.is_empty() {
        control.push_fds(fds).map_err(|e| Cause::Invalid(e.to_string()))?;
    }
    send_control(fd, buf, &control, to, timeout)
}

/// `sendmsg` with an `SCM_CREDENTIALS` message claiming `creds`, to `to` or the connected
/// peer, through the wait loop: the send of every socket type that sends credentials.
fn send_credentials(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    creds: &Credentials,
    to: Option<&UnixAddr>,
    timeout: Timeout,
) -> std::result::Result<usize, Cause> {
    let mut control = Control::default();
    control.push_credentials((*creds).into()).map_err(|_| Cause::Unsupported("sending SCM_CREDENTIALS", None))?;
    send_control(fd, buf, &control, to, timeout)
}

/// `sendmsg` of `buf` with `control`, to `to` or the connected peer, through the wait loop.
fn send_control(
    fd: BorrowedFd<'_>,
    buf: &[u8],
    control: &Control,
    to: Option<&UnixAddr>,
    timeout: Timeout,
) -> std::result::Result<usize, Cause> {
    let to = to.map(UnixAddr::name);
    with_timeout(fd, Waits::Send, timeout, |flags| sys::msg::send_msg(fd, buf, control.bytes(), to, flags))
}

/// `recvmsg` with room for `max_fds` descriptors, through the wait loop; with `datagram`,
/// `MSG_TRUNC` too, and a datagram longer than `buf` is an error — after which the
/// descriptors that came with it are closed, never leaked. Descriptors beyond `max_fds` (the
/// room is rounded up, and has space for credentials) are closed and flagged as truncated.
/// Both close with one `close(2)` each, as every descriptor the crate closes.
fn recv_fds(
    fd: BorrowedFd<'_>,
    timer: &TimerSlot,
    buf: &mut [u8],
    max_fds: usize,
    timeout: Timeout,
    datagram: bool,
) -> std::result::Result<(ReceivedFds, Option<UnixName>), Cause> {
    let room = cmsg::room_for_fds(max_fds.min(MAX_FDS)) + cmsg::room_for_credentials();
    let trunc = if datagram { MsgFlags::TRUNC } else { MsgFlags::NONE };
    let capacity = buf.len();
    let (got, passed) = with_timeout(fd, Waits::Recv(timer), timeout, |flags| {
        sys::msg::recv_passing::<UnixName>(fd, buf, room, flags.with(trunc))
    })?;
    let (mut fds, credentials) = (passed.fds, passed.credentials.map(Credentials::from));
    let keep = if got.len > capacity { 0 } else { max_fds.min(fds.len()) };
    let extra = fds.split_off(keep);
    let fds_truncated = got.control_truncated || !extra.is_empty();
    for fd in extra {
        // Nothing to report a close error to: the descriptor is released all the same.
        let _ = sys::fd::close(fd);
    }
    if got.len > capacity {
        return Err(Cause::Truncated { len: Some(got.len), capacity });
    }
    Ok((ReceivedFds { len: got.len, fds, fds_truncated, credentials }, got.from))
}

/// `SO_PEERCRED` of `fd`, as an error of `target` when it fails.
fn peer_credentials(fd: BorrowedFd<'_>, target: Target) -> Result<Credentials> {
    sys::opt::peer_credentials(fd).map(Credentials::from).map_err(|e| Error::new(Op::GetPeerCred, target, Cause::Os(e)))
}

/// `getsockname` or `getpeername` of a Unix socket, as a [`UnixAddr`]: the `local_addr` and
/// `peer_addr` of every Unix type.
fn name_of(sock: &Sock, op: Op) -> Result<UnixAddr> {
    let fd = sock.fd(op)?;
    let found = match op {
        Op::GetPeerName => sys::socket::peer_name::<UnixName>(fd),
        _ => sys::socket::sock_name::<UnixName>(fd),
    };
    match found {
        Ok(Some(name)) => Ok(UnixAddr::from_kernel(name)),
        Ok(None) => Err(Error::new(op, Target::None, Cause::Invalid("not a Unix-domain socket".into()))),
        Err(e) => Err(Error::new(op, Target::None, Cause::Os(e))),
    }
}
