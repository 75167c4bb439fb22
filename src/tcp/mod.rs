//! TCP: [`listen`] and [`TcpListener`], [`connect()`] / [`connect_host`] and [`TcpConn`], and
//! [`TcpSocket`], the unbound socket they are built on.

mod conn;
mod connect;
mod listener;
mod options;
mod socket;

pub use conn::{TcpConn, get_peer_name};
pub use connect::{Service, connect, connect_host};
pub use listener::{TcpListener, listen};
pub use socket::TcpSocket;
