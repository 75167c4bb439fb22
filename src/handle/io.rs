//! The sends and receives the socket types share, written once as methods of [`Sock`]: a
//! type's public method checks nothing and adds nothing, it forwards here with the closure
//! that names its errors' target (called on error paths only).
//!
//! - [`Sock::recv`]: `recvfrom` through the one wait, with flags of the caller's own added to
//!   every try: `TcpConn::recv` and `peek`, `UnixStream::recv` and `peek`; and under
//!   [`Sock::recv_datagram`], with
//!   `MSG_TRUNC` and the check that the datagram fitted, `UdpSocket::recv_into` and
//!   `UnixDatagram::recv`.
//! - [`Sock::send`]: `sendto` with no address through the one wait, with flags of the
//!   caller's own: `TcpConn::send` and `send_out_of_band`, `UnixStream::send`,
//!   `UnixDatagram::send`, `UdpSocket::send_connected`.
//! - [`Sock::send_all`]: as many of those sends as the whole buffer takes, within one
//!   deadline: `TcpConn::send_all`, `UnixStream::send_all`.
//! - [`Sock::recv_vectored`] / [`Sock::send_vectored`]: one `recvmsg` / `sendmsg` over
//!   several buffers through the one wait: `TcpConn`'s and `UnixStream`'s (and their
//!   `read_vectored`/`write_vectored`); the sends also `UdpSocket::send_vectored` and
//!   `send_to_vectored`.
//! - [`Sock::shutdown`]: `TcpConn`, `UnixStream`, `UnixDatagram`.
//!
//! `Read`/`Write` (on a type and on its reference) are each type's own impls, one-line
//! forwards to its `recv`/`send` with an indefinite wait.

use std::io::{IoSlice, IoSliceMut};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::BorrowedFd;
use std::time::Instant;

use crate::error::{Cause, Error, Op, Result, Target};
use crate::handle::Sock;
use crate::sys;
use crate::sys::MsgFlags;
use crate::timeout::Timeout;
use crate::wait::{Waits, with_timeout};

impl Sock {
    /// Receives into `buf` (one `recvfrom` per try, `flags` added to each), waiting at most
    /// `timeout` through the one wait, timed by this socket's `SO_RCVTIMEO` where it can be;
    /// errors are `op`'s, aimed at `target()`.
    #[inline]
    pub(crate) fn recv(
        &self,
        op: Op,
        flags: MsgFlags,
        buf: &mut [u8],
        timeout: Timeout,
        target: impl FnOnce() -> Target,
    ) -> Result<usize> {
        let fd = self.fd(op)?;
        // `move`: `flags` by value, so the inlined steady state folds it (by reference it stayed
        // a load from the stack: 4 instructions more per receive under callgrind).
        with_timeout(fd, Waits::Recv(&self.timer), timeout, move |wait| sys::socket::recv(fd, buf, wait.with(flags)))
            .map_err(|cause| Error::new(op, target(), cause))
    }

    /// One datagram into `buf` ([`recv`](Sock::recv) with `MSG_TRUNC`), its length; a longer
    /// one is an `InvalidData` error naming both lengths (its first `buf.len()` bytes are in
    /// `buf`).
    #[inline]
    pub(crate) fn recv_datagram(&self, buf: &mut [u8], timeout: Timeout, target: impl Fn() -> Target) -> Result<usize> {
        let capacity = buf.len();
        let len = self.recv(Op::Recv, MsgFlags::TRUNC, buf, timeout, &target)?;
        if len > capacity {
            return Err(Error::new(Op::Recv, target(), Cause::Truncated { len: Some(len), capacity }));
        }
        Ok(len)
    }

    /// Sends `buf` to the connected peer (one `sendto` per try, `flags` and `MSG_NOSIGNAL`
    /// added to each), waiting at most `timeout` for room through the one wait; errors are
    /// `op`'s, aimed at `target()`.
    #[inline]
    pub(crate) fn send(
        &self,
        op: Op,
        flags: MsgFlags,
        buf: &[u8],
        timeout: Timeout,
        target: impl FnOnce() -> Target,
    ) -> Result<usize> {
        let fd = self.fd(op)?;
        // `move`: `flags` by value, folded into the inlined steady state (as `recv`'s).
        with_timeout(fd, Waits::Send, timeout, move |wait| sys::socket::send(fd, buf, wait.with(flags)))
            .map_err(|cause| Error::new(op, target(), cause))
    }

    /// Sends all of `buf` to the connected peer: a send through the one wait, and another for
    /// what a short one left, until none is left, every wait bounded by one deadline,
    /// `timeout` from now (for ever when indefinite; a zero timeout sends what fits without
    /// waiting). An error once the sending began, a timeout included, is the failed send's,
    /// and its message says how many of the bytes went (`…; 65536 of 1048576 bytes were
    /// sent`); a NaN timeout is refused before any syscall.
    pub(crate) fn send_all(&self, buf: &[u8], timeout: Timeout, target: impl FnOnce() -> Target) -> Result<()> {
        let fd = self.fd(Op::Send)?;
        send_all(fd, buf, timeout).map_err(|cause| Error::new(Op::Send, target(), cause))
    }

    /// Receives a stream's bytes into `bufs`, filling each in turn, with one `recvmsg` per
    /// try, waiting at most `timeout` through the one wait; errors are `recvmsg`'s, aimed at
    /// `target()`.
    #[inline]
    pub(crate) fn recv_vectored(
        &self,
        bufs: &mut [IoSliceMut<'_>],
        timeout: Timeout,
        target: impl FnOnce() -> Target,
    ) -> Result<usize> {
        let fd = self.fd(Op::RecvMsg)?;
        with_timeout(fd, Waits::Recv(&self.timer), timeout, |flags| sys::msg::recv_vectored(fd, bufs, flags))
            .map_err(|cause| Error::new(Op::RecvMsg, target(), cause))
    }

    /// Sends `bufs`, in order, with one `sendmsg` per try (`MSG_NOSIGNAL`), to `to` or the
    /// connected peer, waiting at most `timeout` for room through the one wait; errors are
    /// `sendmsg`'s, aimed at `target()`.
    #[inline]
    pub(crate) fn send_vectored(
        &self,
        bufs: &[IoSlice<'_>],
        to: Option<&SocketAddr>,
        timeout: Timeout,
        target: impl FnOnce() -> Target,
    ) -> Result<usize> {
        let fd = self.fd(Op::SendMsg)?;
        with_timeout(fd, Waits::Send, timeout, |flags| sys::msg::send_vectored(fd, bufs, &[], to, flags))
            .map_err(|cause| Error::new(Op::SendMsg, target(), cause))
    }

    /// `shutdown(2)` of receiving, sending or both; errors aimed at `target()`.
    pub(crate) fn shutdown(&self, how: Shutdown, target: impl FnOnce() -> Target) -> Result<()> {
        let fd = self.fd(Op::Shutdown)?;
        sys::socket::shutdown(fd, how).map_err(|e| Error::new(Op::Shutdown, target(), Cause::Os(e)))
    }
}

/// [`Sock::send_all`] on `fd`, its error's cause.
fn send_all(fd: BorrowedFd<'_>, buf: &[u8], timeout: Timeout) -> std::result::Result<(), Cause> {
    let timeout = timeout.check()?;
    let deadline = timeout.deadline();
    let (mut sent, mut left) = (0, timeout);
    while sent < buf.len() {
        let rest = &buf[sent..];
        let cause = match with_timeout(fd, Waits::Send, left, |flags| sys::socket::send(fd, rest, flags)) {
            // A stream send takes at least one byte or fails; 0 would loop for ever (as std's
            // `write_all`, it is `WriteZero`).
            Ok(0) => Cause::Os(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                sent += n;
                if let Some(deadline) = deadline {
                    left = Timeout::from_duration(deadline.saturating_duration_since(Instant::now()));
                }
                continue;
            }
            // The whole timeout, not what was left of it when the last send began.
            Err(Cause::TimedOut(_)) => Cause::TimedOut(timeout),
            Err(cause) => cause,
        };
        return Err(Cause::Partial { sent, total: buf.len(), cause: Box::new(cause) });
    }
    Ok(())
}
