//! Multicast delivery: a datagram sent to a group reaches a socket that joined it, and not
//! one that left, nor a member when the sender turned multicast loop off. It runs inside a
//! network namespace this test creates (`unshare --net`), on a veth pair of its own (the
//! loopback interface has no `MULTICAST` flag, and Linux does not loop IPv6 multicast back
//! through it); nothing outside the namespace is touched.
//!
//! The test re-runs itself in a child process inside the namespace; it needs root (to
//! create the namespace), `unshare` (util-linux) and `ip` (iproute2). Without them it is
//! reported ignored outside CI, with the reason, and fails under `CI=true`.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::process::Command;

use crate::support;
use crate::support::trials::{IP, ROOT, Test, UNSHARE, trial};
use chapel_socket::{IPFamily, IpAddr, UdpSocket, bind};

/// The tests, each with what it needs beyond the crate (`support::trials`): without it, a
/// test is ignored, with the reason, or fails under `CI=true`.
pub const TESTS: &[Test] = &[trial!(a_datagram_to_a_group_reaches_members_and_not_leavers, UNSHARE, IP, ROOT)];

const TEST: &str = "multicast::a_datagram_to_a_group_reaches_members_and_not_leavers";

/// This side's addresses on the veth pair.
const LOCAL_V4: Ipv4Addr = Ipv4Addr::new(10, 232, 0, 1);
const LOCAL_V6: &str = "fd00:232::1";
/// How long a socket that should get nothing waits, in seconds.
const QUIET: f64 = 0.3;

fn a_datagram_to_a_group_reaches_members_and_not_leavers() {
    if support::is_child(TEST) {
        inside_the_namespace();
        return;
    }
    let out = support::run_in_child_under(&["unshare", "--net"], TEST);
    for line in out.lines().filter(|l| l.starts_with("multicast: ")) {
        support::trials::note!("{line}");
    }
}

/// Runs `ip args…`, which must succeed.
fn ip(args: &str) {
    let out = Command::new("ip").args(args.split(' ')).output().expect("run ip");
    assert!(out.status.success(), "ip {args}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The index of interface `name`.
fn index_of(name: &str) -> u32 {
    let name = std::ffi::CString::new(name).unwrap();
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    assert_ne!(index, 0, "no interface {name:?}");
    index
}

/// A UDP socket bound to the unspecified address of `family` on a port of the OS's choice.
fn receiver(family: IPFamily) -> UdpSocket {
    let socket = UdpSocket::new(family).unwrap();
    let any = if family == IPFamily::IPv4 { "0.0.0.0:0" } else { "[::]:0" };
    bind(&socket, &any.parse().unwrap(), true).unwrap();
    socket
}

/// How one family joins, leaves and sends: `join(socket, group)`, `leave(socket, group)`,
/// and a sender whose multicast leaves by the veth, with loop on or off.
struct Family {
    family: IPFamily,
    groups: [String; 2],
    join: fn(&UdpSocket, &str),
    leave: fn(&UdpSocket, &str),
    sender: fn(bool) -> UdpSocket,
}

fn v4() -> Family {
    Family {
        family: IPFamily::IPv4,
        groups: ["239.255.23.1".into(), "239.255.23.2".into()],
        join: |s, g| s.join_multicast_v4(&g.parse().unwrap(), &LOCAL_V4).unwrap(),
        leave: |s, g| s.leave_multicast_v4(&g.parse().unwrap(), &LOCAL_V4).unwrap(),
        sender: |looped| {
            let s = UdpSocket::new(IPFamily::IPv4).unwrap();
            s.set_multicast_if_v4(&LOCAL_V4).unwrap();
            s.set_multicast_loop_v4(looped).unwrap();
            assert_eq!(s.multicast_if_v4().unwrap(), LOCAL_V4);
            s
        },
    }
}

fn v6() -> Family {
    Family {
        family: IPFamily::IPv6,
        groups: ["ff15::23:1".into(), "ff15::23:2".into()],
        join: |s, g| s.join_multicast_v6(&g.parse::<Ipv6Addr>().unwrap(), index_of("v0")).unwrap(),
        leave: |s, g| s.leave_multicast_v6(&g.parse::<Ipv6Addr>().unwrap(), index_of("v0")).unwrap(),
        sender: |looped| {
            let s = UdpSocket::new(IPFamily::IPv6).unwrap();
            s.set_multicast_if_v6(index_of("v0")).unwrap();
            s.set_multicast_loop_v6(looped).unwrap();
            s
        },
    }
}

/// The child's part: the namespace's network, then each family's deliveries.
fn inside_the_namespace() {
    ip("link set lo up");
    ip("link add v0 type veth peer name v1");
    ip(&format!("addr add {LOCAL_V4}/24 dev v0"));
    ip(&format!("-6 addr add {LOCAL_V6}/64 dev v0 nodad"));
    ip("link set v0 up");
    ip("link set v1 up");
    ip("route add 224.0.0.0/4 dev v0");

    let before = support::open_fds();
    for f in [v4(), v6()] {
        deliveries(&f);
        eprintln!("multicast: {}: delivered to members, not to a socket that left nor with loop off", f.family);
    }
    assert_eq!(support::open_fds(), before, "descriptors left open");
}

/// `member` joins one group and `leaver` the other, each on its own port (a socket bound to
/// the unspecified address hears every group its host joined, `IP_MULTICAST_ALL`, so the
/// ports keep them apart); both hear their group; `leaver` leaves, and hears nothing more
/// while `member` still hears its group; with loop off, not even `member` hears.
fn deliveries(f: &Family) {
    let [member_group, leaver_group] = &f.groups;
    let (member, leaver) = (receiver(f.family), receiver(f.family));
    (f.join)(&member, member_group);
    (f.join)(&leaver, leaver_group);
    let to = |group: &str, socket: &UdpSocket| IpAddr::create(group, socket.addr().unwrap().port(), f.family).unwrap();
    let sender = (f.sender)(true);

    sender.send(b"to members", &to(member_group, &member), 1.0).unwrap();
    sender.send(b"to the leaver", &to(leaver_group, &leaver), 1.0).unwrap();
    assert_eq!(member.recv(64, 2.0).unwrap(), b"to members");
    assert_eq!(leaver.recv(64, 2.0).unwrap(), b"to the leaver");

    (f.leave)(&leaver, leaver_group);
    sender.send(b"after it left", &to(leaver_group, &leaver), 1.0).unwrap();
    sender.send(b"still a member", &to(member_group, &member), 1.0).unwrap();
    assert_eq!(member.recv(64, 2.0).unwrap(), b"still a member");
    let heard = leaver.recv(64, QUIET);
    assert_eq!(heard.as_ref().map_err(|e| e.kind()), Err(ErrorKind::TimedOut), "{:?}", heard);

    let unlooped = (f.sender)(false);
    unlooped.send(b"not looped back", &to(member_group, &member), 1.0).unwrap();
    let heard = member.recv(64, QUIET);
    assert_eq!(heard.as_ref().map_err(|e| e.kind()), Err(ErrorKind::TimedOut), "{:?}", heard);
}
