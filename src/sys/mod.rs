//! The only place that calls libc: every FFI call and every `unsafe` block of the crate lives
//! in this module, one file per concern, each block with a `// SAFETY:` note. What it exports
//! is safe: plain Rust types in, `std::io::Result` out.

pub mod addr;
pub mod fd;
pub mod opt;
pub mod resolve;
pub mod socket;
pub mod wait;

use std::io;

/// Turns a libc return value into a `Result`, reading `errno` on `-1`.
fn cvt<T: PartialEq + From<i8>>(ret: T) -> io::Result<T> {
    if ret == T::from(-1) { Err(io::Error::last_os_error()) } else { Ok(ret) }
}
