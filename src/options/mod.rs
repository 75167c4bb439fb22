//! Socket options, one home per level:
//!
//! - `raw.rs`: Chapel's `setSockOpt` / `getSockOpt`, raw `(level, optname, value)` access to
//!   any option ([`set_sock_opt`], [`get_sock_opt`]…), and `set_with`, the `setsockopt` error
//!   path the typed options share;
//! - `value.rs` (private): a typed value and the `int` the kernel takes, `set_value` /
//!   `get_value` for the `int` options, and the options a platform lacks;
//! - `socket.rs`: [`SocketOptions`], the `SOL_SOCKET` level, on every socket type;
//! - `ip.rs`: [`IpOptions`], `IPPROTO_IP` / `IPPROTO_IPV6` but multicast, on the TCP types and
//!   `UdpSocket`;
//! - `tcp.rs`: [`TcpOptions`], `IPPROTO_TCP`, on the TCP types, and `set_nagle` /
//!   `set_delay_ack`, which the TCP types' inherent methods of those names forward to.
//!
//! Which type has which level is said in the type's room (`tcp/options.rs`,
//! `udp/options.rs`), as this floor names no socket type; so is what only one type has
//! (`UdpSocket`'s multicast and receive switches, in `udp/options.rs`).

mod ip;
mod raw;
mod socket;
mod tcp;
mod value;

pub use ip::IpOptions;
pub(crate) use raw::set_with;
pub use raw::{SockOptValue, get_sock_opt, get_sock_opt_bytes, set_sock_opt, set_sock_opt_unchecked};
pub use socket::SocketOptions;
pub use tcp::TcpOptions;
pub(crate) use tcp::{set_delay_ack, set_nagle};
pub(crate) use value::{get_value, set_value};
