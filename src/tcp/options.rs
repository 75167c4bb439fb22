//! The TCP types' options: which levels they have ([`IpOptions`], [`TcpOptions`]; every type
//! has [`SocketOptions`](crate::SocketOptions)), and Chapel's `setNagle` / `setDelayAck` as
//! inherent methods, so they need no import: each a forward to the one implementation in
//! `options/tcp.rs`.

use crate::error::Result;
use crate::options::{IpOptions, TcpOptions, set_delay_ack, set_nagle};
use crate::tcp::{TcpConn, TcpListener, TcpSocket};

impl IpOptions for TcpSocket {}
impl IpOptions for TcpListener {}
impl IpOptions for TcpConn {}
impl TcpOptions for TcpSocket {}
impl TcpOptions for TcpListener {}
impl TcpOptions for TcpConn {}

impl TcpConn {
    /// Chapel's `tcpConn.setNagle`: `enable` turns Nagle's algorithm on (`TCP_NODELAY` = 0);
    /// [`nagle`](TcpOptions::nagle) reads it back.
    ///
    /// Syscalls ([contract](crate::syscalls#set_nagle)):
    /// `setsockopt(IPPROTO_TCP, TCP_NODELAY)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{connect, get_sock_opt, listen, INDEFINITE_TIMEOUT, IPPROTO_TCP, TCP_NODELAY};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// let conn = connect(&server.addr()?, INDEFINITE_TIMEOUT)?;
    /// conn.set_nagle(false)?;
    /// assert_eq!(get_sock_opt(&conn, IPPROTO_TCP, TCP_NODELAY)?, 1);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_nagle(&self, enable: bool) -> Result<()> {
        set_nagle(&self.sock, enable)
    }

    /// Chapel's `tcpConn.setDelayAck`: `enable` lets the kernel delay ACKs (`TCP_QUICKACK` =
    /// 0). Linux leaves quick-ack mode by itself over time, so reading it back later may
    /// differ.
    ///
    /// Syscalls ([contract](crate::syscalls#set_delay_ack)):
    /// `setsockopt(IPPROTO_TCP, TCP_QUICKACK)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`; `ENOPROTOOPT` where the
    /// platform has no `TCP_QUICKACK` (only Linux has it).
    ///
    /// ```
    /// use chapel_socket::{connect, listen, INDEFINITE_TIMEOUT};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// connect(&server.addr()?, INDEFINITE_TIMEOUT)?.set_delay_ack(false)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_delay_ack(&self, enable: bool) -> Result<()> {
        set_delay_ack(&self.sock, enable)
    }
}

impl TcpListener {
    /// Chapel's `tcpListener.setNagle`: `enable` turns Nagle's algorithm on (`TCP_NODELAY` =
    /// 0); Linux passes the setting on to the connections the listener accepts.
    /// [`nagle`](TcpOptions::nagle) reads it back.
    ///
    /// Syscalls ([contract](crate::syscalls#set_nagle)):
    /// `setsockopt(IPPROTO_TCP, TCP_NODELAY)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{get_sock_opt, listen, IPPROTO_TCP, TCP_NODELAY};
    /// let server = listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// server.set_nagle(false)?;
    /// assert_eq!(get_sock_opt(&server, IPPROTO_TCP, TCP_NODELAY)?, 1);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_nagle(&self, enable: bool) -> Result<()> {
        set_nagle(&self.sock, enable)
    }

    /// Chapel's `tcpListener.setDelayAck`: `enable` lets the kernel delay ACKs
    /// (`TCP_QUICKACK` = 0).
    ///
    /// Syscalls ([contract](crate::syscalls#set_delay_ack)):
    /// `setsockopt(IPPROTO_TCP, TCP_QUICKACK)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`; `ENOPROTOOPT` where the
    /// platform has no `TCP_QUICKACK` (only Linux has it).
    ///
    /// ```
    /// let server = chapel_socket::listen(&"127.0.0.1:0".parse()?, true, 16)?;
    /// server.set_delay_ack(false)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_delay_ack(&self, enable: bool) -> Result<()> {
        set_delay_ack(&self.sock, enable)
    }
}

impl TcpSocket {
    /// `enable` turns Nagle's algorithm on (`TCP_NODELAY` = 0) before the socket listens or
    /// connects; the listener or connection made from it keeps the setting.
    /// [`nagle`](TcpOptions::nagle) reads it back. Beyond Chapel, as `TcpSocket` is: the
    /// setter of the TCP types' `setNagle`.
    ///
    /// Syscalls ([contract](crate::syscalls#set_nagle)):
    /// `setsockopt(IPPROTO_TCP, TCP_NODELAY)` — 1; none on a closed socket.
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{TcpOptions, TcpSocket};
    /// let socket = TcpSocket::v4()?;
    /// socket.set_nagle(false)?;
    /// assert!(!socket.nagle()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_nagle(&self, enable: bool) -> Result<()> {
        set_nagle(&self.sock, enable)
    }
}
