//! TCP: [`listen`] and [`TcpListener`], [`connect`] / [`connect_host`] and [`TcpConn`].

mod conn;
mod connect;
mod listener;

pub use conn::TcpConn;
pub use connect::{Service, connect, connect_host};
pub use listener::{TcpListener, listen};
