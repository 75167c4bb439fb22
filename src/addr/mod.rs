//! Addresses: [`IpAddr`] (Chapel's `ipAddr`, in `ip.rs`), [`UnixAddr`] (a Unix-domain
//! socket's name, in `unix.rs`) and [`IPFamily`] (in `family.rs`). The vocabulary every
//! socket type and [`Error`](crate::Error) speak; the one pair of modules that name each
//! other is this one and `error.rs` (errors name addresses; parsing an address returns
//! errors).

mod family;
mod ip;
mod unix;

pub use family::IPFamily;
pub use ip::IpAddr;
pub(crate) use ip::{is_literal, is_numeric_but_not_literal};
pub use unix::UnixAddr;
