//! [`IPFamily`], the address family of a socket or an address.

use std::fmt;

/// Chapel's `IPFamily`: the address families a socket can use. The discriminants are the
/// platform's `AF_*` values (2, 10 and 0 on Linux), so `family as c_int` is what the kernel
/// expects.
///
/// ```
/// use chapel_socket::{IPFamily, AF_INET6};
/// assert_eq!(IPFamily::IPv6 as i32, AF_INET6);
/// assert_eq!(IPFamily::from_raw(AF_INET6), Some(IPFamily::IPv6));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum IPFamily {
    /// IPv4 (`AF_INET`); the default, as in Chapel's `ipAddr.create`.
    #[default]
    IPv4 = crate::consts::AF_INET,
    /// IPv6 (`AF_INET6`).
    IPv6 = crate::consts::AF_INET6,
    /// Either (`AF_UNSPEC`): the default of Chapel's `connect(host, service)`.
    IPUnspec = crate::sys::AF_UNSPEC,
}

impl IPFamily {
    /// The family whose `AF_*` value is `raw`, if it is one of the three.
    ///
    /// ```
    /// use chapel_socket::IPFamily;
    /// assert_eq!(IPFamily::from_raw(12345), None);
    /// ```
    pub fn from_raw(raw: crate::consts::c_int) -> Option<IPFamily> {
        [IPFamily::IPv4, IPFamily::IPv6, IPFamily::IPUnspec].into_iter().find(|f| *f as crate::consts::c_int == raw)
    }
}

impl fmt::Display for IPFamily {
    /// `IPv4`, `IPv6` or `IPUnspec`, as Chapel spells them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
