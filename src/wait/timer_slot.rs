//! [`TimerSlot`]: where a socket keeps its [`RecvTimer`], which is made only when the socket
//! first needs it, so a socket that never times a receive, never clones and never sets
//! `SO_RCVTIMEO` or the file mode through the crate costs no allocation.
//!
//! Until the record exists, what it would say is known without it: the kernel holds no
//! `SO_RCVTIMEO` the crate put there (none armed, none of the user's set through the crate),
//! the crate never made the descriptor non-blocking, no call relies on anything, and no
//! other handle shares the socket (`try_clone` makes the record first, so clones share one).
//! Only trust is the socket's own from the start: the fork count when the crate made it, or
//! "never" for an adopted one, kept in the slot at creation. A record made later takes that
//! count, not the count of its own making, so a socket made before a fork and first used
//! after it is untrusted in parent and child alike.

use std::io;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::recv_timer::{Claim, RecvTimer, UNTRUSTED};
use crate::sys;

/// `epoch`: an adopted descriptor, never trusted, its user value unknown.
const ADOPTED: u64 = u64::MAX;
/// `epoch`: a descriptor the crate made, handed over (so never trusted again) before it
/// needed its record. Its user value is known: none.
const HANDED_OVER: u64 = u64::MAX - 1;

/// A socket's [`RecvTimer`], made on first need and then shared by the socket and its
/// `try_clone`s; see the module's documentation.
///
/// **When the record exists.** [`record`](TimerSlot::record) makes it, for: a receive that
/// goes past the steady-state fronts of `with_timeout` on a trusted socket (a timed receive
/// that arms or shares `SO_RCVTIMEO`, an indefinite one the crate's armed value got in the
/// way of); a trusted listener's accept; `try_clone`; `set_nonblocking(true)`; the user's
/// `set_sock_opt(SO_RCVTIMEO)`; and a distrust of a socket still trusted (a blocking call
/// whose `EAGAIN` nothing explains); and the first timed receive on the poll path (a socket
/// someone else may hold) that finds nothing when it tries, which keeps there the hint that
/// the next should wait first. Nothing else does: connecting, accepting a connection,
/// sending, an indefinite receive on a quiet socket, a receive on the poll path that finds
/// its data, a hand-over and closing read the slot and leave it empty.
#[derive(Debug)]
pub(crate) struct TimerSlot {
    /// The fork count when the crate made the socket, or [`ADOPTED`], or [`HANDED_OVER`]:
    /// whether the socket is trusted while it has no record, and the trust its record starts
    /// with. Changed only by a hand-over (`&mut`) of a socket without a record.
    epoch: u64,
    /// The record, once made; it never changes after that.
    record: OnceLock<Arc<RecvTimer>>,
}

impl TimerSlot {
    /// The slot of a socket this crate just created: trusted until the process forks. Makes
    /// sure forks are counted ([`sys::fork::watched_epoch`]).
    pub(crate) fn made() -> TimerSlot {
        TimerSlot { epoch: sys::fork::watched_epoch(), record: OnceLock::new() }
    }

    /// The slot of an adopted descriptor: never trusted, the user's value unknown.
    pub(crate) fn adopted() -> TimerSlot {
        TimerSlot { epoch: ADOPTED, record: OnceLock::new() }
    }

    /// A second slot sharing this one's record (made now if need be): `try_clone`'s.
    pub(crate) fn share_record(&self) -> TimerSlot {
        TimerSlot { epoch: self.epoch, record: OnceLock::from(Arc::clone(self.arc())) }
    }

    /// The record, if it has been made.
    #[inline]
    pub(crate) fn get(&self) -> Option<&RecvTimer> {
        self.record.get().map(|arc| &**arc)
    }

    /// The record, made now if it does not exist yet (one allocation, once per socket).
    #[inline]
    pub(crate) fn record(&self) -> &RecvTimer {
        self.arc()
    }

    fn arc(&self) -> &Arc<RecvTimer> {
        self.record.get_or_init(|| self.make())
    }

    /// The record the socket would have had all along: the creation count (not today's), the
    /// user's value none for a socket the crate made, unknown for an adopted one.
    #[cold]
    #[inline(never)]
    fn make(&self) -> Arc<RecvTimer> {
        Arc::new(match self.epoch {
            ADOPTED => RecvTimer::adopted(),
            HANDED_OVER => RecvTimer::made(UNTRUSTED),
            epoch => RecvTimer::made(epoch),
        })
    }

    /// [`RecvTimer::trusted`]: without a record, whether the crate made the socket and the
    /// process has not forked since.
    #[inline]
    pub(crate) fn trusted(&self) -> bool {
        match self.get() {
            Some(timer) => timer.trusted(),
            None => self.epoch == sys::fork::epoch(),
        }
    }

    /// [`RecvTimer::is_nonblocking`]: without a record, no.
    #[inline]
    pub(crate) fn is_nonblocking(&self) -> bool {
        self.get().is_some_and(RecvTimer::is_nonblocking)
    }

    /// [`RecvTimer::is_poll_only`]: without a record, when the socket is untrusted.
    #[inline]
    pub(crate) fn is_poll_only(&self) -> bool {
        match self.get() {
            Some(timer) => timer.is_poll_only(),
            None => !self.trusted(),
        }
    }

    /// [`RecvTimer::quiet`]: without a record, a trusted socket is quiet (the kernel holds
    /// no timeout, the descriptor blocks), with no arms so far: a record made during the
    /// receive starts its count at 0 too, so [`armed_since`](TimerSlot::armed_since) sees
    /// an arm of its.
    #[inline]
    pub(crate) fn quiet(&self) -> Option<usize> {
        match self.get() {
            Some(timer) => timer.quiet(),
            None => (self.epoch == sys::fork::epoch()).then_some(0),
        }
    }

    /// [`RecvTimer::armed_since`]: without a record (still), nothing was armed.
    #[inline]
    pub(crate) fn armed_since(&self, arms: usize) -> bool {
        self.get().is_some_and(|timer| timer.armed_since(arms))
    }

    /// [`RecvTimer::share_armed_for`]: without a record, nothing is armed that could serve a
    /// call, and the caller goes on to the general path.
    #[inline]
    pub(crate) fn share_armed_for(&self, timeout: u64) -> Option<Claim<'_>> {
        self.get()?.share_armed_for(timeout)
    }

    /// [`RecvTimer::tries_first`]: without a record, yes (nothing of the crate's is armed
    /// and no hint says wait first).
    #[inline]
    pub(crate) fn tries_first(&self) -> bool {
        self.get().is_none_or(RecvTimer::tries_first)
    }

    /// [`RecvTimer::user_value`]: without a record, none for a socket the crate made (it
    /// never set one), unknown for an adopted one.
    pub(crate) fn user_value(&self) -> Option<Option<Duration>> {
        match self.get() {
            Some(timer) => timer.user_value(),
            None if self.epoch == ADOPTED => None,
            None => Some(None),
        }
    }

    /// [`RecvTimer::crate_armed`]: without a record, no.
    pub(crate) fn crate_armed(&self) -> bool {
        self.get().is_some_and(RecvTimer::crate_armed)
    }

    /// [`RecvTimer::distrust`]. A socket untrusted already (adopted, or made before a fork)
    /// stays so without a record: any record made later starts untrusted from the same count.
    /// A trusted one gets its record now, to hold the distrust for every call after this.
    #[cold]
    pub(crate) fn distrust(&self) {
        match self.get() {
            Some(timer) => timer.distrust(),
            None if !self.trusted() => {}
            None => self.record().distrust(),
        }
    }

    /// [`RecvTimer::set_nonblocking`]. Making it blocking needs no record: without one, it
    /// says blocking already.
    pub(crate) fn set_nonblocking(&self, on: bool) {
        match self.get() {
            Some(timer) => timer.set_nonblocking(on),
            None if on => self.record().set_nonblocking(true),
            None => {}
        }
    }

    /// [`RecvTimer::hand_over`]. Without a record, nothing of the crate's is in the kernel to
    /// take back, and no clone shares the slot (cloning makes the record): the slot alone
    /// stops trusting the socket.
    pub(crate) fn hand_over(&mut self, restore: impl FnOnce(Option<Duration>) -> io::Result<()>) -> io::Result<()> {
        match self.get() {
            Some(timer) => timer.hand_over(restore),
            None => {
                if self.epoch != ADOPTED {
                    self.epoch = HANDED_OVER;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_socket_has_no_record() {
        let slot = TimerSlot::made();
        assert!(slot.trusted());
        assert_eq!(slot.quiet(), Some(0));
        assert!(!slot.armed_since(0));
        assert!(slot.share_armed_for(0).is_none(), "nothing armed to share");
        assert!(!slot.is_poll_only() && !slot.is_nonblocking() && !slot.crate_armed());
        assert_eq!(slot.user_value(), Some(None));
        slot.set_nonblocking(false);
        assert!(slot.get().is_none(), "none of these made the record");
        slot.set_nonblocking(true);
        assert!(slot.get().is_some_and(RecvTimer::is_nonblocking));
    }

    #[test]
    fn clones_share_one_record() {
        let slot = TimerSlot::made();
        let clone = slot.share_record();
        assert!(std::ptr::eq(slot.get().unwrap(), clone.get().unwrap()));
        clone.distrust();
        assert!(!slot.trusted());
    }

    #[test]
    fn a_record_made_late_keeps_the_slots_trust() {
        let adopted = TimerSlot::adopted();
        assert!(!adopted.trusted() && adopted.is_poll_only() && adopted.quiet().is_none());
        assert_eq!(adopted.user_value(), None, "unknown");
        adopted.distrust();
        assert!(adopted.get().is_none(), "nothing to record: it was never trusted");
        assert!(!adopted.record().trusted());
        assert_eq!(adopted.user_value(), None);

        let made = TimerSlot::made();
        made.distrust();
        assert!(made.get().is_some_and(|t| !t.trusted()), "a distrust of a trusted socket is kept");

        let mut handed = TimerSlot::made();
        handed.hand_over(|_| panic!("nothing to restore")).unwrap();
        assert!(handed.get().is_none() && !handed.trusted());
        assert!(!handed.record().trusted());
        assert_eq!(handed.user_value(), Some(None));
    }

    #[test]
    fn a_socket_made_before_a_fork_is_untrusted_in_both_processes() {
        let slot = TimerSlot::made();
        assert!(slot.get().is_none() && slot.trusted());
        // The child only reads the slot and atomics: no allocation.
        let child = crate::sys::fork::in_child(|| !slot.trusted() && slot.quiet().is_none() && slot.is_poll_only());
        assert!(child, "the child trusted it");
        assert!(!slot.trusted() && slot.quiet().is_none(), "the parent trusts it");
        assert!(!slot.record().trusted(), "its record, made after the fork, trusts it");
    }
}
