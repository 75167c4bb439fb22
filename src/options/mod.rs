//! Socket options: the raw `(level, optname, value)` access Chapel's `setSockOpt` /
//! `getSockOpt` give (`raw.rs`, with TCP types' `set_nagle` / `set_delay_ack`), and the
//! typed [`SocketOptions`] on every socket type (`typed.rs`).

mod raw;
mod typed;

pub use raw::{SockOptValue, get_sock_opt, get_sock_opt_bytes, set_sock_opt, set_sock_opt_unchecked};
pub(crate) use raw::{set_delay_ack, set_nagle, set_with, tcp_options};
pub use typed::SocketOptions;
