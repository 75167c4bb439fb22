//! [`Timeout`]: how long a blocking call may wait, from any of the forms the Chapel API takes.

use std::fmt;
use std::time::{Duration, Instant};

use crate::consts::struct_timeval;

/// How long a blocking call may wait: a finite [`Duration`] or indefinitely.
///
/// Every blocking call takes `timeout: impl Into<Timeout>`, so it accepts a
/// [`struct_timeval`] (`tv_sec == -1`, [`INDEFINITE_TIMEOUT`](crate::INDEFINITE_TIMEOUT), or
/// any negative `tv_sec`, waits for ever), seconds as an `f64` (Chapel's `real` overloads;
/// negative, infinite or NaN waits for ever), a [`Duration`], or an `Option<Duration>`
/// (`None` waits for ever).
///
/// Zero means "try once, never wait": it never turns into "for ever". A wait never ends
/// before its timeout (waits are to the nanosecond, with `ppoll`), and a call interrupted by
/// a signal resumes with the time that is left.
///
/// ```
/// use chapel_socket::{struct_timeval, Timeout};
/// use std::time::Duration;
/// assert_eq!(Timeout::from(0.25).duration(), Some(Duration::from_millis(250)));
/// assert_eq!(Timeout::from(struct_timeval { tv_sec: 1, tv_usec: 500_000 }).duration(), Some(Duration::from_millis(1500)));
/// assert!(Timeout::from(-1.0).is_indefinite());
/// assert_eq!(Timeout::from(0.0).duration(), Some(Duration::ZERO));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Timeout(Option<Duration>);

impl Timeout {
    /// Wait for ever (the default, as Chapel's `indefiniteTimeout`).
    pub const INDEFINITE: Timeout = Timeout(None);

    /// A finite timeout of `d`.
    ///
    /// ```
    /// # use chapel_socket::Timeout; use std::time::Duration;
    /// assert!(!Timeout::from_duration(Duration::ZERO).is_indefinite());
    /// ```
    pub const fn from_duration(d: Duration) -> Timeout {
        Timeout(Some(d))
    }

    /// The finite length, or `None` for an indefinite wait.
    ///
    /// ```
    /// # use chapel_socket::Timeout;
    /// assert_eq!(Timeout::INDEFINITE.duration(), None);
    /// ```
    pub const fn duration(self) -> Option<Duration> {
        self.0
    }

    /// Whether this waits for ever.
    ///
    /// ```
    /// # use chapel_socket::{Timeout, INDEFINITE_TIMEOUT};
    /// assert!(Timeout::from(INDEFINITE_TIMEOUT).is_indefinite());
    /// ```
    pub const fn is_indefinite(self) -> bool {
        self.0.is_none()
    }

    /// The moment the wait ends, taken now; `None` for ever (also when the duration is too
    /// long to add to the clock).
    pub(crate) fn deadline(self) -> Option<Instant> {
        self.0.and_then(|d| Instant::now().checked_add(d))
    }
}

impl From<Duration> for Timeout {
    fn from(d: Duration) -> Timeout {
        Timeout(Some(d))
    }
}

impl From<Option<Duration>> for Timeout {
    fn from(d: Option<Duration>) -> Timeout {
        Timeout(d)
    }
}

impl From<f64> for Timeout {
    /// Seconds; negative, infinite and NaN mean indefinite; values too large for a
    /// `Duration` are indefinite too, which is what they amount to. A positive value below one
    /// nanosecond becomes one nanosecond.
    fn from(secs: f64) -> Timeout {
        if secs.is_nan() || secs < 0.0 {
            return Timeout::INDEFINITE;
        }
        // A positive value below a nanosecond rounds up to one, so it never shortens a wait.
        Timeout(Duration::try_from_secs_f64(secs).ok().map(|d| d.max(Duration::from_nanos(u64::from(secs > 0.0)))))
    }
}

impl From<struct_timeval> for Timeout {
    /// A negative `tv_sec` (Chapel uses -1) is indefinite; otherwise `tv_sec` seconds plus
    /// `tv_usec` microseconds, with a negative total treated as zero.
    fn from(tv: struct_timeval) -> Timeout {
        if tv.tv_sec < 0 {
            return Timeout::INDEFINITE;
        }
        let micros = i128::from(tv.tv_sec) * 1_000_000 + i128::from(tv.tv_usec);
        let micros = u64::try_from(micros.max(0)).unwrap_or(u64::MAX);
        Timeout(Some(Duration::from_micros(micros)))
    }
}

impl fmt::Display for Timeout {
    /// `indefinite`, or the duration as `Debug` prints it (`1.5s`, `250ms`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("indefinite"),
            Some(d) => write!(f, "{d:?}"),
        }
    }
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
        assert!(Timeout::from(tv(-5, 0)).is_indefinite());
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
        assert!(Timeout::from(-1e-300).is_indefinite());
        assert!(Timeout::from(f64::INFINITY).is_indefinite());
        assert!(Timeout::from(f64::NAN).is_indefinite());
        assert!(Timeout::from(1e300).is_indefinite());
        assert_eq!(Timeout::from(1e9).duration(), Some(Duration::from_secs(1_000_000_000)));
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
    fn display() {
        assert_eq!(Timeout::INDEFINITE.to_string(), "indefinite");
        assert_eq!(Timeout::from(0.25).to_string(), "250ms");
    }
}
