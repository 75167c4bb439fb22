//! A typed option's value and the `int` the kernel takes ([`IntValue`]), and the two calls
//! every `int` option is: [`set_value`] (one `setsockopt`) and [`get_value`] (one
//! `getsockopt`), both refusing before any syscall a value no `int` carries, a closed socket
//! and an option this platform lacks ([`MISSING`]).

use std::time::Duration;

use super::{get_sock_opt, set_with};
use crate::consts::c_int;
use crate::error::{Cause, Error, Op, Result, Target};
use crate::socket::AnySocket;
use crate::sys;

/// The number of an option this platform lacks: refused as `Unsupported` before any syscall.
pub(super) const MISSING: c_int = c_int::MIN;

/// A typed option's value as the `int` the kernel takes, and back.
pub(crate) trait IntValue: Sized {
    /// The `int` to set; `Err(why)` for a value no `int` of the option can carry.
    fn to_c(self) -> std::result::Result<c_int, String>;
    /// The value of the `int` the kernel answered; `Err(why)` when it is not one.
    fn from_c(v: c_int) -> std::result::Result<Self, String>;
}

impl IntValue for bool {
    fn to_c(self) -> std::result::Result<c_int, String> {
        Ok(self.into())
    }
    fn from_c(v: c_int) -> std::result::Result<bool, String> {
        Ok(v != 0)
    }
}

impl IntValue for u32 {
    fn to_c(self) -> std::result::Result<c_int, String> {
        c_int::try_from(self).map_err(|_| format!("{self} is more than the option's int can hold ({})", c_int::MAX))
    }
    fn from_c(v: c_int) -> std::result::Result<u32, String> {
        u32::try_from(v).map_err(|_| format!("the kernel answered {v}, not a count"))
    }
}

/// Buffer sizes: more than an `int` holds is set as `i32::MAX` (the kernel caps it far lower).
impl IntValue for usize {
    fn to_c(self) -> std::result::Result<c_int, String> {
        Ok(c_int::try_from(self).unwrap_or(c_int::MAX))
    }
    fn from_c(v: c_int) -> std::result::Result<usize, String> {
        usize::try_from(v).map_err(|_| format!("the kernel answered {v}, not a size"))
    }
}

/// Whole seconds, a part of a second rounded up (so the kernel never waits less).
impl IntValue for Duration {
    fn to_c(self) -> std::result::Result<c_int, String> {
        let secs = self.as_secs().saturating_add(u64::from(self.subsec_nanos() > 0));
        c_int::try_from(secs).map_err(|_| format!("{self:?} is more seconds than the option's int can hold"))
    }
    fn from_c(v: c_int) -> std::result::Result<Duration, String> {
        u64::try_from(v).map(Duration::from_secs).map_err(|_| format!("the kernel answered {v}, not a duration"))
    }
}

/// A time in whole milliseconds, a part of one rounded up (so the kernel never waits less);
/// `None` is 0, the option's "the system's default".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Millis(pub(crate) Option<Duration>);

impl IntValue for Millis {
    fn to_c(self) -> std::result::Result<c_int, String> {
        let Some(d) = self.0 else { return Ok(0) };
        let ms = d.as_millis().saturating_add(u128::from(d.subsec_nanos() % 1_000_000 > 0));
        c_int::try_from(ms).map_err(|_| format!("{d:?} is more milliseconds than the option's int can hold"))
    }
    fn from_c(v: c_int) -> std::result::Result<Millis, String> {
        match u64::try_from(v) {
            Ok(0) => Ok(Millis(None)),
            Ok(ms) => Ok(Millis(Some(Duration::from_millis(ms)))),
            Err(_) => Err(format!("the kernel answered {v}, not a duration")),
        }
    }
}

/// The `InvalidInput` error of `op` on option (`level`, `name`), before any syscall.
pub(super) fn invalid(op: Op, level: c_int, name: c_int) -> impl FnOnce(String) -> Error {
    move |why| Error::new(op, Target::Opt(level, name), Cause::Invalid(why))
}

/// The `Unsupported` error for an option this platform lacks.
fn missing(op: Op, what: &'static str) -> Error {
    Error::new(op, Target::None, Cause::Unsupported(what, None))
}

/// Sets `int` option (`level`, `name`) to `value`: one `setsockopt`; the value refused, the
/// socket closed or the option missing here, none.
pub(crate) fn set_value<S: AnySocket, T: IntValue>(
    s: &S,
    level: c_int,
    name: c_int,
    what: &'static str,
    value: T,
) -> Result<()> {
    let value = value.to_c().map_err(invalid(Op::SetSockOpt, level, name))?;
    if name == MISSING {
        return Err(missing(Op::SetSockOpt, what));
    }
    set_with(s, level, name, |fd| sys::opt::set_int(fd, level, name, value))
}

/// Reads `int` option (`level`, `name`): one `getsockopt`; none on a closed socket or for an
/// option missing here.
pub(crate) fn get_value<S: AnySocket, T: IntValue>(s: &S, level: c_int, name: c_int, what: &'static str) -> Result<T> {
    if name == MISSING {
        return Err(missing(Op::GetSockOpt, what));
    }
    let v = get_sock_opt(s, level, name)?;
    T::from_c(v).map_err(invalid(Op::GetSockOpt, level, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_round_up_and_none_is_zero() {
        assert_eq!(Millis(None).to_c(), Ok(0));
        assert_eq!(Millis(Some(Duration::from_nanos(1))).to_c(), Ok(1));
        assert_eq!(Millis(Some(Duration::from_micros(2500))).to_c(), Ok(3));
        assert_eq!(Millis(Some(Duration::from_secs(30))).to_c(), Ok(30_000));
        assert!(Millis(Some(Duration::from_millis(c_int::MAX as u64 + 1))).to_c().is_err());
        assert_eq!(Millis::from_c(0), Ok(Millis(None)));
        assert_eq!(Millis::from_c(1500), Ok(Millis(Some(Duration::from_millis(1500)))));
        assert!(Millis::from_c(-1).is_err());
    }

    #[test]
    fn durations_are_whole_seconds_rounded_up() {
        assert_eq!(Duration::ZERO.to_c(), Ok(0));
        assert_eq!(Duration::from_nanos(1).to_c(), Ok(1));
        assert_eq!(Duration::from_millis(1500).to_c(), Ok(2));
        assert_eq!(Duration::from_secs(c_int::MAX as u64).to_c(), Ok(c_int::MAX));
        assert!(Duration::from_secs(c_int::MAX as u64 + 1).to_c().is_err());
        assert!(Duration::MAX.to_c().is_err());
        assert_eq!(Duration::from_c(30), Ok(Duration::from_secs(30)));
        assert!(Duration::from_c(-1).is_err());
    }

    #[test]
    fn counts_and_sizes_fit_an_int() {
        assert_eq!(255u32.to_c(), Ok(255));
        assert!((c_int::MAX as u32 + 1).to_c().is_err());
        assert_eq!(usize::MAX.to_c(), Ok(c_int::MAX));
        assert!(u32::from_c(-1).is_err());
        assert!(usize::from_c(-1).is_err());
        assert_eq!(bool::from_c(2), Ok(true));
    }
}
