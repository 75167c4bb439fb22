//! [`UdpSocket`]'s options beyond the socket level: the IP level ([`IpOptions`], as the TCP
//! types have it), multicast (the groups, and how multicast the socket sends leaves), and
//! the receive switches that ask the kernel for a datagram's control data, with UDP
//! segmentation and receive offload (Linux only, `has_mmsg`, read in `msg.rs`).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::UdpSocket;
use crate::consts::{
    IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, IP_MULTICAST_IF, IP_MULTICAST_LOOP, IP_MULTICAST_TTL, IPPROTO_IP,
    IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_IF,
    IPV6_MULTICAST_LOOP,
};
#[cfg(has_mmsg)]
use crate::error::Cause;
use crate::error::{Error, Op, Result, Target};
use crate::options::{IpOptions, get_value, set_value, set_with};
use crate::sys;
#[cfg(has_mmsg)]
use crate::sys::msg::RecvOpt;

impl IpOptions for UdpSocket {}

/// Multicast: the groups the socket is a member of, and how the multicast it sends leaves.
/// Each is one `setsockopt` or `getsockopt`; an IPv4 option (`_v4`) applies to an IPv4
/// socket, an IPv6 one (`_v6`) to an IPv6 socket, and elsewhere the kernel answers with its
/// error (`ENOPROTOOPT`), returned as is, naming the option. Delivery is tested in a network
/// namespace of its own (`tests/namespaces/multicast.rs`).
impl UdpSocket {
    /// Joins the IPv4 multicast group `group` on the interface that has address `interface`
    /// (`0.0.0.0`: the one the routing table picks for the group), as `IP_ADD_MEMBERSHIP`
    /// with a `struct ip_mreq`. Datagrams sent to the group reach the socket on its port.
    /// On Linux a socket bound to `0.0.0.0` also receives the groups its host joined for
    /// other sockets (`IP_MULTICAST_ALL`, on by default): bind to the group's address, or
    /// turn that off, to hear only your own.
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ip(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`: `EINVAL` for an address that is
    /// not multicast, `EADDRINUSE` when already joined there, `ENODEV` when no interface has
    /// `interface` (or no route leads to the group).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// use std::net::Ipv4Addr;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// let group = Ipv4Addr::new(239, 255, 1, 2);
    /// socket.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST)?;
    /// socket.leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn join_multicast_v4(&self, group: &Ipv4Addr, interface: &Ipv4Addr) -> Result<()> {
        set_with(self, IPPROTO_IP, IP_ADD_MEMBERSHIP, |fd| sys::opt::set_membership_v4(fd, true, group, interface))
    }

    /// Leaves the IPv4 multicast group `group` joined on `interface` with
    /// [`join_multicast_v4`](UdpSocket::join_multicast_v4) (`IP_DROP_MEMBERSHIP`). Closing
    /// the socket leaves its groups too.
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ip(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`: `EADDRNOTAVAIL`
    /// (`AddrNotAvailable`) when the socket is not a member there.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// use std::io::ErrorKind;
    /// use std::net::Ipv4Addr;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// let err = socket.leave_multicast_v4(&Ipv4Addr::new(239, 255, 1, 2), &Ipv4Addr::LOCALHOST).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn leave_multicast_v4(&self, group: &Ipv4Addr, interface: &Ipv4Addr) -> Result<()> {
        set_with(self, IPPROTO_IP, IP_DROP_MEMBERSHIP, |fd| sys::opt::set_membership_v4(fd, false, group, interface))
    }

    /// Joins the IPv6 multicast group `group` on the interface of index `interface` (0: the
    /// one the routing table picks), as `IPV6_ADD_MEMBERSHIP` (`IPV6_JOIN_GROUP`) with a
    /// `struct ipv6_mreq`.
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ipv6(7), if_nametoindex(3))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`: `EINVAL` for an address that is
    /// not multicast, `EADDRINUSE` when already joined there, `ENODEV` for an index no
    /// interface has, `ENOPROTOOPT` on an IPv4 socket.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// let group = "ff15::1:2".parse()?;
    /// socket.join_multicast_v6(&group, 1)?; // index 1: the loopback interface on Linux
    /// socket.leave_multicast_v6(&group, 1)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn join_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> Result<()> {
        set_with(self, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, |fd| sys::opt::set_membership_v6(fd, true, group, interface))
    }

    /// Leaves the IPv6 multicast group `group` joined on interface `interface` with
    /// [`join_multicast_v6`](UdpSocket::join_multicast_v6) (`IPV6_DROP_MEMBERSHIP`).
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ipv6(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`: `EADDRNOTAVAIL`
    /// (`AddrNotAvailable`) when the socket is not a member there.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// use std::io::ErrorKind;
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// let err = socket.leave_multicast_v6(&"ff15::1:2".parse()?, 1).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn leave_multicast_v6(&self, group: &Ipv6Addr, interface: u32) -> Result<()> {
        set_with(self, IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, |fd| {
            sys::opt::set_membership_v6(fd, false, group, interface)
        })
    }

    /// Whether IPv4 multicast the socket sends also reaches members on this host
    /// (`IP_MULTICAST_LOOP`; on by default).
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IP, IP_MULTICAST_LOOP)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ip(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// socket.set_multicast_loop_v4(false)?;
    /// assert!(!socket.multicast_loop_v4()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_multicast_loop_v4(&self, on: bool) -> Result<()> {
        set_value(self, IPPROTO_IP, IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP", on)
    }

    /// Whether IPv4 multicast the socket sends also reaches members on this host
    /// (`IP_MULTICAST_LOOP`).
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `getsockopt(IPPROTO_IP, IP_MULTICAST_LOOP)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(getsockopt(2), ip(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// assert!(UdpSocket::new(IPFamily::IPv4)?.multicast_loop_v4()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn multicast_loop_v4(&self) -> Result<bool> {
        get_value(self, IPPROTO_IP, IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP")
    }

    /// Whether IPv6 multicast the socket sends also reaches members on this host
    /// (`IPV6_MULTICAST_LOOP`; on by default).
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ipv6(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt` (`ENOPROTOOPT` on an IPv4
    /// socket).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// socket.set_multicast_loop_v6(false)?;
    /// assert!(!socket.multicast_loop_v6()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_multicast_loop_v6(&self, on: bool) -> Result<()> {
        set_value(self, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP", on)
    }

    /// Whether IPv6 multicast the socket sends also reaches members on this host
    /// (`IPV6_MULTICAST_LOOP`).
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `getsockopt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(getsockopt(2), ipv6(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt` (`ENOPROTOOPT` on an IPv4
    /// socket).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// assert!(UdpSocket::new(IPFamily::IPv6)?.multicast_loop_v6()?);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn multicast_loop_v6(&self) -> Result<bool> {
        get_value(self, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP")
    }

    /// The TTL of IPv4 multicast the socket sends (`IP_MULTICAST_TTL`), 0 to 255: 1 (the
    /// default) keeps it on the local network, 0 on this host.
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IP, IP_MULTICAST_TTL)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ip(7))]
    ///
    /// # Errors
    /// A closed socket; `InvalidInput`, with no syscall, for a value above `i32::MAX`;
    /// `EINVAL` from the kernel above 255; the kernel's other errors from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// socket.set_multicast_ttl_v4(8)?;
    /// assert_eq!(socket.multicast_ttl_v4()?, 8);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> Result<()> {
        set_value(self, IPPROTO_IP, IP_MULTICAST_TTL, "IP_MULTICAST_TTL", ttl)
    }

    /// The TTL of IPv4 multicast the socket sends (`IP_MULTICAST_TTL`).
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `getsockopt(IPPROTO_IP, IP_MULTICAST_TTL)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(getsockopt(2), ip(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// assert_eq!(UdpSocket::new(IPFamily::IPv4)?.multicast_ttl_v4()?, 1);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn multicast_ttl_v4(&self) -> Result<u32> {
        get_value(self, IPPROTO_IP, IP_MULTICAST_TTL, "IP_MULTICAST_TTL")
    }

    /// The hop limit of IPv6 multicast the socket sends (`IPV6_MULTICAST_HOPS`), 0 to 255 (1
    /// by default).
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ipv6(7))]
    ///
    /// # Errors
    /// A closed socket; `InvalidInput`, with no syscall, for a value above `i32::MAX`;
    /// `EINVAL` from the kernel above 255; the kernel's other errors from `setsockopt`
    /// (`ENOPROTOOPT` on an IPv4 socket).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// socket.set_multicast_hop_limit_v6(4)?;
    /// assert_eq!(socket.multicast_hop_limit_v6()?, 4);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_multicast_hop_limit_v6(&self, hops: u32) -> Result<()> {
        set_value(self, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS", hops)
    }

    /// The hop limit of IPv6 multicast the socket sends (`IPV6_MULTICAST_HOPS`).
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `getsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(getsockopt(2), ipv6(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt` (`ENOPROTOOPT` on an IPv4
    /// socket).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// assert_eq!(UdpSocket::new(IPFamily::IPv6)?.multicast_hop_limit_v6()?, 1);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn multicast_hop_limit_v6(&self) -> Result<u32> {
        get_value(self, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS")
    }

    /// The interface IPv4 multicast leaves by: the one that has address `interface`
    /// (`IP_MULTICAST_IF` with a `struct in_addr`; `0.0.0.0`, the default, leaves the choice
    /// to the routing table).
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IP, IP_MULTICAST_IF)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ip(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt` (`EADDRNOTAVAIL` when no
    /// interface has that address).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// use std::net::Ipv4Addr;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// socket.set_multicast_if_v4(&Ipv4Addr::LOCALHOST)?;
    /// assert_eq!(socket.multicast_if_v4()?, Ipv4Addr::LOCALHOST);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_multicast_if_v4(&self, interface: &Ipv4Addr) -> Result<()> {
        set_with(self, IPPROTO_IP, IP_MULTICAST_IF, |fd| sys::opt::set_multicast_if_v4(fd, interface))
    }

    /// The address of the interface IPv4 multicast leaves by (`IP_MULTICAST_IF`);
    /// `0.0.0.0` when the routing table chooses.
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `getsockopt(IPPROTO_IP, IP_MULTICAST_IF)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(getsockopt(2), ip(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// use std::net::Ipv4Addr;
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// assert_eq!(socket.multicast_if_v4()?, Ipv4Addr::UNSPECIFIED);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn multicast_if_v4(&self) -> Result<Ipv4Addr> {
        let fd = self.sock.fd(Op::GetSockOpt)?;
        sys::opt::multicast_if_v4(fd).map_err(Error::os(Op::GetSockOpt, &Target::Opt(IPPROTO_IP, IP_MULTICAST_IF)))
    }

    /// The interface IPv6 multicast leaves by, as its index (`IPV6_MULTICAST_IF`; 0, the
    /// default, leaves the choice to the routing table).
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_IF)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(setsockopt(2), ipv6(7), if_nametoindex(3))]
    ///
    /// # Errors
    /// A closed socket; `InvalidInput`, with no syscall, for an index above `i32::MAX`;
    /// `ENODEV` from the kernel for an index no interface has; the kernel's other errors from
    /// `setsockopt` (`ENOPROTOOPT` on an IPv4 socket).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv6)?;
    /// socket.set_multicast_if_v6(1)?; // the loopback interface on Linux
    /// assert_eq!(socket.multicast_if_v6()?, 1);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_multicast_if_v6(&self, interface: u32) -> Result<()> {
        set_value(self, IPPROTO_IPV6, IPV6_MULTICAST_IF, "IPV6_MULTICAST_IF", interface)
    }

    /// The index of the interface IPv6 multicast leaves by (`IPV6_MULTICAST_IF`); 0 when the
    /// routing table chooses.
    ///
    /// Syscalls ([contract](crate::syscalls#multicast)):
    /// `getsockopt(IPPROTO_IPV6, IPV6_MULTICAST_IF)` — 1; none on a closed socket.
    ///
    #[doc = man_links!(getsockopt(2), ipv6(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `getsockopt` (`ENOPROTOOPT` on an IPv4
    /// socket).
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// assert_eq!(UdpSocket::new(IPFamily::IPv6)?.multicast_if_v6()?, 0);
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn multicast_if_v6(&self) -> Result<u32> {
        get_value(self, IPPROTO_IPV6, IPV6_MULTICAST_IF, "IPV6_MULTICAST_IF")
    }
}

/// The receive switches: what control data the kernel attaches to each datagram (read by
/// `recv_msg` and `recv_batch`, in `msg.rs`), and UDP segmentation and receive offload.
#[cfg(has_mmsg)]
impl UdpSocket {
    /// Asks the kernel to report each received datagram's destination address and incoming
    /// interface (`IPV6_RECVPKTINFO` on an IPv6 socket, `IP_PKTINFO` on an IPv4 one); read it
    /// with [`RecvMeta::local_addr`](crate::RecvMeta::local_addr).
    ///
    /// Syscalls ([contract](crate::syscalls#udp-receive-options)): IPv6 — one `setsockopt`;
    /// IPv4 — `setsockopt(IPV6_RECVPKTINFO) → ENOPROTOOPT`, `setsockopt(IP_PKTINFO)`: the
    /// socket's family is not stored, and the IPv6 option is the one an IPv4 socket refuses.
    ///
    #[doc = man_links!(setsockopt(2), ip(7), ipv6(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// UdpSocket::new(IPFamily::IPv4)?.set_recv_pktinfo(true)?;
    /// UdpSocket::new(IPFamily::IPv6)?.set_recv_pktinfo(true)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_recv_pktinfo(&self, on: bool) -> Result<()> {
        self.set_recv_opt(RecvOpt::PacketInfo, on)
    }

    /// Asks the kernel to report each received datagram's TTL (IPv4, `IP_RECVTTL`) or hop
    /// limit (IPv6, `IPV6_RECVHOPLIMIT`); read it with [`RecvMeta::ttl`](crate::RecvMeta::ttl).
    /// An IPv6 socket gets both, so the IPv4 datagrams a dual-stack socket receives report
    /// their TTL too.
    ///
    /// Syscalls ([contract](crate::syscalls#udp-receive-options)): IPv6 —
    /// `setsockopt(IPV6_RECVHOPLIMIT)`, `setsockopt(IP_RECVTTL)`; IPv4 —
    /// `setsockopt(IPV6_RECVHOPLIMIT) → ENOPROTOOPT`, `setsockopt(IP_RECVTTL)`.
    ///
    #[doc = man_links!(setsockopt(2), ip(7), ipv6(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// UdpSocket::new(IPFamily::IPv6)?.set_recv_ttl(true)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_recv_ttl(&self, on: bool) -> Result<()> {
        self.set_recv_opt(RecvOpt::Ttl, on)
    }

    /// Asks the kernel to report each received datagram's TOS byte (IPv4, `IP_RECVTOS`) or
    /// traffic class (IPv6, `IPV6_RECVTCLASS`); read it with
    /// [`RecvMeta::tos`](crate::RecvMeta::tos). An IPv6 socket gets both, so the IPv4
    /// datagrams a dual-stack socket receives report their TOS byte (and ECN bits) too.
    ///
    /// Syscalls ([contract](crate::syscalls#udp-receive-options)): IPv6 —
    /// `setsockopt(IPV6_RECVTCLASS)`, `setsockopt(IP_RECVTOS)`; IPv4 —
    /// `setsockopt(IPV6_RECVTCLASS) → ENOPROTOOPT`, `setsockopt(IP_RECVTOS)`.
    ///
    #[doc = man_links!(setsockopt(2), ip(7), ipv6(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// UdpSocket::new(IPFamily::IPv4)?.set_recv_tos(true)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_recv_tos(&self, on: bool) -> Result<()> {
        self.set_recv_opt(RecvOpt::Tos, on)
    }

    /// Asks the kernel to timestamp each received datagram (`SO_TIMESTAMPNS`, nanoseconds,
    /// the real-time clock); read it with [`RecvMeta::timestamp`](crate::RecvMeta::timestamp).
    ///
    /// Syscalls ([contract](crate::syscalls#udp-receive-options)): `setsockopt` — 1.
    ///
    #[doc = man_links!(setsockopt(2), socket(7))]
    ///
    /// # Errors
    /// A closed socket; the kernel's error from `setsockopt`.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// UdpSocket::new(IPFamily::IPv4)?.set_recv_timestamp(true)?;
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_recv_timestamp(&self, on: bool) -> Result<()> {
        let (level, name) = sys::msg::TIMESTAMPNS;
        self.set_int(level, name, on.into(), None)
    }

    /// UDP receive offload (`UDP_GRO`): the kernel may coalesce datagrams of one flow into
    /// one buffer, reporting their size in
    /// [`RecvMeta::segment_size`](crate::RecvMeta::segment_size); receive buffers then need
    /// room for several datagrams (64 KiB covers any).
    ///
    /// Syscalls ([contract](crate::syscalls#udp-segmentation-offload)): `setsockopt` — 1.
    ///
    #[doc = man_links!(setsockopt(2), udp(7))]
    ///
    /// # Errors
    /// `Unsupported` when the kernel has no `UDP_GRO` (before Linux 5.0; its `ENOPROTOOPT` is
    /// the error's source); a closed socket; the kernel's error.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// match socket.set_gro(true) {
    ///     Ok(()) => {}
    ///     Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::Unsupported),
    /// }
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_gro(&self, on: bool) -> Result<()> {
        let (level, name) = sys::msg::UDP_GRO;
        self.set_int(level, name, on.into(), Some("UDP receive offload (UDP_GRO)"))
    }

    /// UDP segmentation offload (`UDP_SEGMENT`) for every send of this socket: a send of
    /// more than `size` bytes leaves as datagrams of `size` bytes (the last may be shorter),
    /// cut by the kernel or the NIC. 0 turns it off. For one send only, attach a
    /// [`ControlMessage::SegmentSize`](crate::ControlMessage::SegmentSize) instead.
    ///
    /// Syscalls ([contract](crate::syscalls#udp-segmentation-offload)): `setsockopt` — 1.
    ///
    #[doc = man_links!(setsockopt(2), udp(7))]
    ///
    /// # Errors
    /// `Unsupported` when the kernel has no `UDP_SEGMENT` (before Linux 4.18); a closed
    /// socket; the kernel's error.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let socket = UdpSocket::new(IPFamily::IPv4)?;
    /// if socket.set_segment_size(1200).is_ok() {
    ///     assert_eq!(socket.segment_size()?, 1200);
    /// }
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn set_segment_size(&self, size: u16) -> Result<()> {
        let (level, name) = sys::msg::UDP_SEGMENT;
        self.set_int(level, name, size.into(), Some(GSO))
    }

    /// The socket's `UDP_SEGMENT` size (0: off). Also the way to ask whether the kernel has
    /// segmentation offload at all: an older one answers `Unsupported`, and would silently
    /// ignore a [`ControlMessage::SegmentSize`](crate::ControlMessage::SegmentSize) on a send.
    ///
    /// Syscalls ([contract](crate::syscalls#udp-segmentation-offload)): `getsockopt` — 1.
    ///
    #[doc = man_links!(getsockopt(2), udp(7))]
    ///
    /// # Errors
    /// `Unsupported` when the kernel has no `UDP_SEGMENT`; a closed socket; the kernel's error.
    ///
    /// ```
    /// use chapel_socket::{IPFamily, UdpSocket};
    /// let gso = UdpSocket::new(IPFamily::IPv4)?.segment_size().is_ok();
    /// println!("UDP segmentation offload: {gso}");
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn segment_size(&self) -> Result<u16> {
        let (level, name) = sys::msg::UDP_SEGMENT;
        let fd = self.sock.fd(Op::GetSockOpt)?;
        let value = sys::opt::get_int(fd, level, name).map_err(|e| unsupported(Op::GetSockOpt, level, name, GSO, e))?;
        u16::try_from(value).map_err(|_| {
            Error::new(Op::GetSockOpt, Target::Opt(level, name), Cause::Invalid(format!("segment size {value}")))
        })
    }

    /// One of the family-dependent receive options: IPv6's first, IPv4's when the socket
    /// refuses that with `ENOPROTOOPT`.
    /// Sets `opt`'s IPv6 option, or on an IPv4 socket (which refuses it) its IPv4 one. On an
    /// IPv6 socket the TTL and TOS switches set the IPv4 option too: a dual-stack socket
    /// receives IPv4 datagrams, whose TTL and TOS the kernel reports as IPv4 control messages
    /// only when the IPv4 option is on (an IPv4 datagram's packet info comes as
    /// `IPV6_PKTINFO`, with a mapped address, without it).
    fn set_recv_opt(&self, opt: RecvOpt, on: bool) -> Result<()> {
        let fd = self.sock.fd(Op::SetSockOpt)?;
        let [(l6, n6), (l4, n4)] = opt.options();
        let set_v4 =
            || sys::opt::set_int(fd, l4, n4, on.into()).map_err(Error::os(Op::SetSockOpt, &Target::Opt(l4, n4)));
        match sys::opt::set_int(fd, l6, n6, on.into()) {
            Err(e) if sys::msg::is_no_such_option(&e) => set_v4(),
            Ok(()) if opt != RecvOpt::PacketInfo => set_v4(),
            other => other.map_err(Error::os(Op::SetSockOpt, &Target::Opt(l6, n6))),
        }
    }

    fn set_int(&self, level: i32, name: i32, value: i32, feature: Option<&'static str>) -> Result<()> {
        let fd = self.sock.fd(Op::SetSockOpt)?;
        sys::opt::set_int(fd, level, name, value).map_err(|e| match feature {
            Some(what) => unsupported(Op::SetSockOpt, level, name, what, e),
            None => Error::new(Op::SetSockOpt, Target::Opt(level, name), Cause::Os(e)),
        })
    }
}

#[cfg(has_mmsg)]
const GSO: &str = "UDP segmentation offload (UDP_SEGMENT)";

/// `ENOPROTOOPT` for an offload option means the kernel does not have it.
#[cfg(has_mmsg)]
fn unsupported(op: Op, level: i32, name: i32, what: &'static str, e: std::io::Error) -> Error {
    let cause = if sys::msg::is_no_such_option(&e) { Cause::Unsupported(what, Some(e)) } else { Cause::Os(e) };
    Error::new(op, Target::Opt(level, name), cause)
}
