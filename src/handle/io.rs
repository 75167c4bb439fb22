//! The sends and receives the socket types share, written once as methods of [`Sock`]: a
//! type's public method checks nothing and adds nothing, it forwards here with the closure
//! that names its errors' target (called on error paths only).
//!
//! - [`Sock::recv`]: `recvfrom` through the one wait, with flags of the caller's own added to
//!   every try: `TcpConn::recv` and `peek`, `UnixStream::recv`; and under
//!   [`Sock::recv_datagram`], with `MSG_TRUNC` and the check that the datagram fitted,
//!   `UdpSocket::recv_into` and `UnixDatagram::recv`.
//! - [`Sock::send`]: `sendto` with no address through the one wait: `TcpConn::send`,
//!   `UnixStream::send`, `UnixDatagram::send`, `UdpSocket::send_connected`.
//! - [`Sock::shutdown`]: `TcpConn`, `UnixStream`, `UnixDatagram`.
//!
//! `Read`/`Write` (on a type and on its reference) are each type's own impls, one-line
//! forwards to its `recv`/`send` with an indefinite wait.

use std::net::Shutdown;

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

    /// Sends `buf` to the connected peer (one `sendto` per try, with `MSG_NOSIGNAL`), waiting
    /// at most `timeout` for room through the one wait; errors aimed at `target()`.
    #[inline]
    pub(crate) fn send(&self, buf: &[u8], timeout: Timeout, target: impl FnOnce() -> Target) -> Result<usize> {
        let fd = self.fd(Op::Send)?;
        with_timeout(fd, Waits::Send, timeout, |flags| sys::socket::send(fd, buf, flags))
            .map_err(|cause| Error::new(Op::Send, target(), cause))
    }

    /// `shutdown(2)` of receiving, sending or both; errors aimed at `target()`.
    pub(crate) fn shutdown(&self, how: Shutdown, target: impl FnOnce() -> Target) -> Result<()> {
        let fd = self.fd(Op::Shutdown)?;
        sys::socket::shutdown(fd, how).map_err(|e| Error::new(Op::Shutdown, target(), Cause::Os(e)))
    }
}
