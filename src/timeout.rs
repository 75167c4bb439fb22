//! [`Timeout`]: how long a blocking call may wait, from any of the forms the Chapel API takes.

use std::fmt;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::consts::struct_timeval;

/// How long a blocking call may wait: a finite [`Duration`] or indefinitely.
///
/// Every blocking call takes `timeout: impl Into<Timeout>`, so it accepts a
/// [`struct_timeval`], seconds as an `f64` (Chapel's `real` overloads), whole seconds as an
/// integer (`2`; `i32`, `i64`, `u32`, `u64`), a [`Duration`], or an `Option<Duration>`.
///
/// Only the documented indefinite values wait for ever:
/// [`INDEFINITE_TIMEOUT`](crate::INDEFINITE_TIMEOUT) (`struct_timeval { tv_sec: -1, tv_usec: 0 }`,
/// Chapel's), the same value as seconds (`-1.0`, or the integer `-1`), `f64::INFINITY`, and
/// `None`. Any other negative value — `-0.001`, `-5.0`, `-2`, `f64::NEG_INFINITY`, a
/// `struct_timeval` of `{ -2, 0 }` or `{ -1, 5 }` — is a deadline already past: the call is tried once and then times out, so a
/// deadline computation that runs out never turns into a wait for ever. A NaN is no timeout
/// at all: every blocking call given one fails with `InvalidInput` before any syscall. Seconds
/// too many for a [`Duration`] saturate at [`Duration::MAX`] (a finite wait longer than any
/// program runs).
///
/// Zero means "try once, never wait": it never turns into "for ever". A wait never ends
/// before its timeout (waits are to the nanosecond, with `ppoll`), and a call interrupted by
/// a signal resumes with the time that is left. Its own methods make no syscall.
///
/// ```
/// use chapel_socket::{struct_timeval, Timeout};
/// use std::time::Duration;
/// assert_eq!(Timeout::from(0.25).duration(), Some(Duration::from_millis(250)));
/// assert_eq!(Timeout::from(struct_timeval { tv_sec: 1, tv_usec: 500_000 }).duration(), Some(Duration::from_millis(1500)));
/// assert!(Timeout::from(-1.0).is_indefinite());
/// assert!(Timeout::from(f64::INFINITY).is_indefinite());
/// // Any other negative value is a deadline already past: try once.
/// assert_eq!(Timeout::from(-0.001).duration(), Some(Duration::ZERO));
/// assert_eq!(Timeout::from(0.0).duration(), Some(Duration::ZERO));
/// // NaN converts (a conversion cannot fail), but no blocking call accepts it.
/// assert!(!Timeout::from(f64::NAN).is_indefinite());
/// assert_eq!(Timeout::from(f64::NAN).duration(), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Timeout(Wait);

/// What a [`Timeout`] holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
enum Wait {
    #[default]
    Indefinite,
    Finite(Duration),
    /// Seconds given as NaN: rejected by every blocking call.
    Invalid,
}

impl Timeout {
    /// Wait for ever (the default, as Chapel's `indefiniteTimeout`).
    pub const INDEFINITE: Timeout = Timeout(Wait::Indefinite);

    /// A finite timeout of `d`.
    ///
    /// ```
    /// # use chapel_socket::Timeout; use std::time::Duration;
    /// assert!(!Timeout::from_duration(Duration::ZERO).is_indefinite());
    /// ```
    pub const fn from_duration(d: Duration) -> Timeout {
        Timeout(Wait::Finite(d))
    }

    /// The finite length, or `None` for an indefinite wait (and for a NaN, which is no
    /// timeout: blocking calls reject it).
    ///
    /// ```
    /// # use chapel_socket::Timeout;
    /// assert_eq!(Timeout::INDEFINITE.duration(), None);
    /// ```
    #[inline]
    pub const fn duration(self) -> Option<Duration> {
        match self.0 {
            Wait::Finite(d) => Some(d),
            Wait::Indefinite | Wait::Invalid => None,
        }
    }

    /// Whether this waits for ever.
    ///
    /// ```
    /// # use chapel_socket::{Timeout, INDEFINITE_TIMEOUT};
    /// assert!(Timeout::from(INDEFINITE_TIMEOUT).is_indefinite());
    /// ```
    #[inline]
    pub const fn is_indefinite(self) -> bool {
        matches!(self.0, Wait::Indefinite)
    }

    /// The timeout itself, or [`NanTimeout`], which every blocking call answers with an
    /// `InvalidInput` error before any syscall. Every call that takes a timeout runs this first.
    #[inline]
    pub(crate) fn check(self) -> Result<Timeout, NanTimeout> {
        match self.0 {
            Wait::Invalid => Err(NanTimeout),
            _ => Ok(self),
        }
    }

    /// The moment the wait ends, taken now; `None` for ever (also when the duration is too
    /// long to add to the clock).
    #[inline]
    pub(crate) fn deadline(self) -> Option<Instant> {
        self.duration().and_then(|d| Instant::now().checked_add(d))
    }
}

/// A timeout that is NaN, not a number of seconds: the `InvalidInput` error of the call it was
/// given to (`error.rs` turns it into that call's `Cause`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NanTimeout;

impl From<Duration> for Timeout {
    #[inline]
    fn from(d: Duration) -> Timeout {
        Timeout::from_duration(d)
    }
}

impl From<Option<Duration>> for Timeout {
    /// `None` waits for ever.
    fn from(d: Option<Duration>) -> Timeout {
        d.map_or(Timeout::INDEFINITE, Timeout::from_duration)
    }
}

impl From<f64> for Timeout {
    /// Seconds. `-1.0` (Chapel's indefinite value) and `f64::INFINITY` wait for ever; any
    /// other negative value (`f64::NEG_INFINITY` too) is a deadline already past, zero; NaN
    /// is kept as an invalid timeout that every blocking call rejects. A positive value below
    /// one nanosecond becomes one nanosecond; one too large for a `Duration` becomes
    /// [`Duration::MAX`].
    #[inline]
    fn from(secs: f64) -> Timeout {
        if secs.is_nan() {
            return Timeout(Wait::Invalid);
        }
        if secs == -1.0 || secs == f64::INFINITY {
            return Timeout::INDEFINITE;
        }
        if secs <= 0.0 {
            return Timeout::from_duration(Duration::ZERO);
        }
        // A positive value below a nanosecond rounds up to one, so it never shortens a wait.
        let d = Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX);
        Timeout::from_duration(d.max(Duration::from_nanos(1)))
    }
}

/// Whole seconds as a signed integer, with the `f64` rules: `-1` waits for ever (Chapel's
/// indefinite value), any other negative number is a deadline already past (zero), `0` tries
/// once. What an integer literal means: `connect(&a, 2)` is two seconds (a literal with no
/// type is an `i32`) and `connect(&a, -1)` waits for ever.
fn signed_secs(secs: i64) -> Timeout {
    match secs {
        -1 => Timeout::INDEFINITE,
        s if s < 0 => Timeout::from_duration(Duration::ZERO),
        s => Timeout::from_duration(Duration::from_secs(s.unsigned_abs())),
    }
}

impl From<i32> for Timeout {
    /// Whole seconds: `2` is two seconds, `-1` waits for ever, any other negative value is
    /// a deadline already past (try once). An untyped integer literal is an `i32`, so
    /// `connect(&address, 2)` compiles and means two seconds.
    ///
    /// ```
    /// use chapel_socket::Timeout;
    /// use std::time::Duration;
    /// assert_eq!(Timeout::from(2).duration(), Some(Duration::from_secs(2)));
    /// assert!(Timeout::from(-1).is_indefinite());
    /// assert_eq!(Timeout::from(-5).duration(), Some(Duration::ZERO));
    /// ```
    #[inline]
    fn from(secs: i32) -> Timeout {
        signed_secs(secs.into())
    }
}

impl From<i64> for Timeout {
    /// Whole seconds, as for `i32`: `-1` waits for ever, other negatives are past.
    #[inline]
    fn from(secs: i64) -> Timeout {
        signed_secs(secs)
    }
}

impl From<u32> for Timeout {
    /// Whole seconds.
    #[inline]
    fn from(secs: u32) -> Timeout {
        Timeout::from_duration(Duration::from_secs(secs.into()))
    }
}

impl From<u64> for Timeout {
    /// Whole seconds (as `Duration::from_secs`).
    #[inline]
    fn from(secs: u64) -> Timeout {
        Timeout::from_duration(Duration::from_secs(secs))
    }
}

impl From<struct_timeval> for Timeout {
    /// `{ tv_sec: -1, tv_usec: 0 }` ([`INDEFINITE_TIMEOUT`](crate::INDEFINITE_TIMEOUT)) waits
    /// for ever; otherwise `tv_sec` seconds plus `tv_usec` microseconds, with a negative total
    /// (a deadline already past) treated as zero.
    #[inline]
    fn from(tv: struct_timeval) -> Timeout {
        if tv.tv_sec == -1 && tv.tv_usec == 0 {
            return Timeout::INDEFINITE;
        }
        let micros = i128::from(tv.tv_sec) * 1_000_000 + i128::from(tv.tv_usec);
        let micros = u64::try_from(micros.max(0)).unwrap_or(u64::MAX);
        Timeout::from_duration(Duration::from_micros(micros))
    }
}

impl fmt::Display for Timeout {
    /// `indefinite`, `NaN`, or the duration as `Debug` prints it (`1.5s`, `250ms`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Wait::Indefinite => f.write_str("indefinite"),
            Wait::Invalid => f.write_str("NaN"),
            Wait::Finite(d) => write_duration(d, f),
        }
    }
}

/// `d` as `Duration`'s `Debug` writes it (`1.5s`, `250ms`, `3µs`, `0ns`): in the largest unit
/// it holds one of, with every decimal up to the last that is not zero. Written here because
/// `Duration`'s own, which also rounds to a precision, is 2 KB of code in every program whose
/// errors can say "timed out after".
fn write_duration(d: Duration, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let (whole, mut decimals, mut scale, unit) = match (d.as_secs(), d.subsec_nanos()) {
        (secs, nanos) if secs > 0 => (secs, nanos, 100_000_000, "s"),
        (_, nanos) if nanos >= 1_000_000 => (u64::from(nanos / 1_000_000), nanos % 1_000_000, 100_000, "ms"),
        (_, nanos) if nanos >= 1_000 => (u64::from(nanos / 1_000), nanos % 1_000, 100, "µs"),
        (_, nanos) => (u64::from(nanos), 0, 1, "ns"),
    };
    write!(f, "{whole}")?;
    if decimals != 0 {
        f.write_str(".")?;
    }
    // One digit at a time, from the tenths, until what is left is zero (which it is by the
    // time `scale` is: checking both spares a division-by-zero panic the compiler can't rule out).
    while decimals != 0 && scale != 0 {
        f.write_char(char::from(b'0' + (decimals / scale) as u8))?;
        decimals %= scale;
        scale /= 10;
    }
    f.write_str(unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::INDEFINITE_TIMEOUT;

    fn tv(tv_sec: i64, tv_usec: i64) -> struct_timeval {
        struct_timeval { tv_sec: tv_sec as _, tv_usec: tv_usec as _ }
    }

    #[test]
    fn timeval_conversions() {
        assert!(Timeout::from(INDEFINITE_TIMEOUT).is_indefinite());
        assert!(Timeout::from(tv(-1, 0)).is_indefinite());
        // Any other negative value is a deadline already past, never "for ever".
        for (sec, usec) in [(-5, 0), (-1, 1), (-1, -1), (-1, 999_999), (i64::MIN, 0), (-2, 1_000_000)] {
            assert_eq!(Timeout::from(tv(sec, usec)).duration(), Some(Duration::ZERO), "{sec} s {usec} us");
        }
        // -1 s plus 1,500,000 us is half a second in the future.
        assert_eq!(Timeout::from(tv(-1, 1_500_000)).duration(), Some(Duration::from_millis(500)));
        assert_eq!(Timeout::from(tv(0, 0)).duration(), Some(Duration::ZERO));
        assert_eq!(Timeout::from(tv(0, 1)).duration(), Some(Duration::from_micros(1)));
        assert_eq!(Timeout::from(tv(2, 250_000)).duration(), Some(Duration::from_millis(2250)));
        // An over-long tv_usec carries into seconds; a negative one never makes it negative.
        assert_eq!(Timeout::from(tv(1, 1_500_000)).duration(), Some(Duration::from_millis(2500)));
        assert_eq!(Timeout::from(tv(0, -7)).duration(), Some(Duration::ZERO));
        assert_eq!(Timeout::from(tv(i64::MAX, 999_999)).duration(), Some(Duration::from_micros(u64::MAX)));
    }

    #[test]
    fn seconds_conversions() {
        assert_eq!(Timeout::from(0.0).duration(), Some(Duration::ZERO));
        assert_eq!(Timeout::from(-0.0).duration(), Some(Duration::ZERO));
        assert_eq!(Timeout::from(1e-9).duration(), Some(Duration::from_nanos(1)));
        // Below a nanosecond rounds up, never down to "try once", and never to "for ever".
        assert_eq!(Timeout::from(1e-12).duration(), Some(Duration::from_nanos(1)));
        assert_eq!(Timeout::from(0.001).duration(), Some(Duration::from_millis(1)));
        assert!(Timeout::from(-1.0).is_indefinite());
        assert!(Timeout::from(f64::INFINITY).is_indefinite());
        for past in [-0.001, -1e-300, -0.999_999_999, -1.000_000_001, -5.0, f64::MIN, f64::NEG_INFINITY] {
            assert_eq!(Timeout::from(past).duration(), Some(Duration::ZERO), "{past}");
        }
        assert_eq!(Timeout::from(1e300).duration(), Some(Duration::MAX));
        assert_eq!(Timeout::from(1e9).duration(), Some(Duration::from_secs(1_000_000_000)));
    }

    #[test]
    fn nan_is_invalid_for_every_call() {
        let nan = Timeout::from(f64::NAN);
        assert!(!nan.is_indefinite());
        assert_eq!(nan.duration(), None);
        assert_eq!(nan.deadline(), None);
        assert_eq!(nan.to_string(), "NaN");
        assert_eq!(nan.check(), Err(NanTimeout));
        assert_eq!(Timeout::from(-f64::NAN), nan);
        for fine in [Timeout::INDEFINITE, Timeout::from(0.0), Timeout::from(-3.0), Timeout::from(2.5)] {
            assert_eq!(fine.check().ok(), Some(fine));
        }
    }

    #[test]
    fn duration_conversions() {
        assert_eq!(Timeout::from(Duration::from_millis(3)).duration(), Some(Duration::from_millis(3)));
        assert!(Timeout::from(None).is_indefinite());
        assert_eq!(Timeout::from(Some(Duration::ZERO)).duration(), Some(Duration::ZERO));
        assert_eq!(Timeout::default(), Timeout::INDEFINITE);
    }

    #[test]
    fn huge_durations_never_overflow_the_clock() {
        assert_eq!(Timeout::from(Duration::MAX).deadline(), None);
        assert!(Timeout::from(Duration::from_secs(1)).deadline().is_some());
        assert_eq!(Timeout::INDEFINITE.deadline(), None);
    }

    #[test]
    fn integer_seconds() {
        assert_eq!(Timeout::from(2).duration(), Some(Duration::from_secs(2)));
        assert_eq!(Timeout::from(0).duration(), Some(Duration::ZERO));
        assert!(Timeout::from(-1).is_indefinite());
        assert!(Timeout::from(-1i64).is_indefinite());
        for past in [-2i64, -1000, i64::MIN] {
            assert_eq!(Timeout::from(past).duration(), Some(Duration::ZERO), "{past}");
        }
        assert_eq!(Timeout::from(i32::MIN).duration(), Some(Duration::ZERO));
        assert_eq!(Timeout::from(i64::MAX).duration(), Some(Duration::from_secs(i64::MAX as u64)));
        assert_eq!(Timeout::from(u64::MAX).duration(), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(Timeout::from(7u32).duration(), Some(Duration::from_secs(7)));
        // A literal with no type is an i32, even with four integer impls to choose from.
        fn takes(t: impl Into<Timeout>) -> Timeout {
            t.into()
        }
        assert_eq!(takes(3), Timeout::from(3.0));
        assert_eq!(takes(-1), Timeout::from(-1.0));
    }

    #[test]
    fn display() {
        assert_eq!(Timeout::INDEFINITE.to_string(), "indefinite");
        assert_eq!(Timeout::from(0.25).to_string(), "250ms");
    }

    #[test]
    fn a_finite_timeout_displays_as_its_duration_debugs() {
        let nanos = [0, 1, 9, 10, 999, 1_000, 1_001, 1_500, 999_999, 1_000_000, 1_000_001, 1_234_567, 250_000_000];
        let more_nanos = [500_000_000, 999_999_999, 100_000_000, 120_000_000, 100_000_001];
        for secs in [0, 1, 2, 59, 3600, u64::MAX] {
            for nanos in nanos.into_iter().chain(more_nanos) {
                let d = Duration::new(secs, nanos);
                assert_eq!(Timeout::from(d).to_string(), format!("{d:?}"), "{secs} s {nanos} ns");
            }
        }
        assert_eq!(Timeout::from(Duration::MAX).to_string(), format!("{:?}", Duration::MAX));
    }
}
