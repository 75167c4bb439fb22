//! Connect timeouts against a silent host: one that exists only inside a network namespace
//! this test creates (`unshare --net`, and `--mount` for its own `/etc/hosts`). There a
//! veth pair carries the SYNs out to a neighbour entry with a made-up MAC address, so they
//! leave and nobody ever answers: no RST, no ICMP, only the timeout. Nothing outside the
//! namespace is touched.
//!
//! The test re-runs itself in a child process inside the namespace; it needs root (to
//! create the namespace), `unshare` (util-linux) and `ip` (iproute2). Without them it is
//! reported ignored outside CI, with the reason, and fails under `CI=true`.

use std::io::ErrorKind;
use std::process::Command;
use std::time::Duration;

use crate::support;
use crate::support::trials::{IP, MOUNT, ROOT, Test, UNSHARE, trial};
use crate::support::{assert_waited, timed};
use chapel_socket::{IPFamily, IpAddr, Timeout, connect, connect_host};

/// The tests, each with what it needs beyond the crate (`support::trials`): without it, a
/// test is ignored, with the reason, or fails under `CI=true`.
pub const TESTS: &[Test] = &[trial!(connect_to_a_silent_host_times_out, UNSHARE, IP, MOUNT, ROOT)];

const TEST: &str = "silent_host::connect_to_a_silent_host_times_out";

/// The silent hosts, and this side's addresses on the veth pair.
const SILENT_V4: &str = "10.231.0.2";
const SILENT_V6: &str = "fd00:231::2";
/// A name the namespace's own `/etc/hosts` gives both silent addresses.
const SILENT_NAME: &str = "silent.chapel-socket.test";

fn connect_to_a_silent_host_times_out() {
    if support::is_child(TEST) {
        inside_the_namespace();
        return;
    }
    // A mount namespace too, with private propagation (unshare's default), so the child's
    // /etc/hosts is its own.
    let out = support::run_in_child_under(&["unshare", "--net", "--mount"], TEST);
    for line in out.lines().filter(|l| l.starts_with("netns: ")) {
        support::trials::note!("{line}");
    }
}

/// Runs `ip args…`, which must succeed.
fn ip(args: &str) {
    let out = Command::new("ip").args(args.split(' ')).output().expect("run ip");
    assert!(out.status.success(), "ip {args}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The child's part: the namespace's network, then the connects.
fn inside_the_namespace() {
    ip("link set lo up");
    ip("link add v0 type veth peer name v1");
    ip("addr add 10.231.0.1/24 dev v0");
    ip("-6 addr add fd00:231::1/64 dev v0 nodad");
    ip("link set v0 up");
    ip("link set v1 up");
    // SYNs to the silent hosts leave through v0 to a MAC nobody has: v1 drops them.
    ip(&format!("neigh add {SILENT_V4} lladdr 02:00:00:00:00:02 dev v0 nud permanent"));
    ip(&format!("-6 neigh add {SILENT_V6} lladdr 02:00:00:00:00:02 dev v0 nud permanent"));
    own_hosts_file();

    let before = support::open_fds();
    let sent = tx_packets("v0");
    for host in [SILENT_V4, SILENT_V6] {
        let addr = IpAddr::create(host, 80, IPFamily::IPUnspec).unwrap();
        for timeout in [Timeout::from(0.3), Timeout::from(Duration::from_millis(50)), Timeout::from(0.0)] {
            let asked = timeout.duration().unwrap();
            let (result, elapsed) = timed(|| connect(&addr, timeout));
            let e = result.expect_err("nobody answers the silent host");
            assert_eq!(e.kind(), ErrorKind::TimedOut, "connect to {addr}, {timeout}: {e}");
            assert_eq!(e.address(), Some(addr), "{e}");
            assert_waited(elapsed, asked, &format!("connect to {addr}, {timeout}"));
            eprintln!("netns: connect to {addr} with {timeout}: TimedOut after {elapsed:?}");
        }
    }

    // The SYNs did leave (six connects, one SYN each at least): the silence is the host's.
    assert!(tx_packets("v0") >= sent + 6, "v0 sent {} packets", tx_packets("v0") - sent);

    // connect_host: a numeric host and port (connected to directly) and a numeric service
    // (through getaddrinfo), each with a timeout of its own.
    for (service, timeout) in [("port", 0.3), ("service", 0.15)] {
        let (result, elapsed) = timed(|| match service {
            "port" => connect_host(SILENT_V4, 80, IPFamily::IPv4, timeout),
            _ => connect_host(SILENT_V4, "80", IPFamily::IPv4, timeout),
        });
        let e = result.expect_err("nobody answers the silent host");
        assert_eq!(e.kind(), ErrorKind::TimedOut, "connect_host by {service}: {e}");
        assert_waited(elapsed, Duration::from_secs_f64(timeout), &format!("connect_host by {service}"));
        eprintln!("netns: connect_host({SILENT_V4}, {service}) with {timeout} s: TimedOut after {elapsed:?}");
    }

    // A name with both silent addresses: each address gets the whole timeout, one after the
    // other, and the error lists both.
    let timeout = Duration::from_millis(200);
    let (result, elapsed) = timed(|| connect_host(SILENT_NAME, 80, IPFamily::IPUnspec, timeout));
    let e = result.expect_err("nobody answers either address");
    let tried: Vec<_> = e.attempts().iter().map(|a| (a.kind(), a.address().map(|a| a.host()))).collect();
    let mut hosts: Vec<_> = tried.iter().filter_map(|(_, h)| h.clone()).collect();
    hosts.sort();
    assert_eq!(hosts, [SILENT_V4, SILENT_V6], "{e}");
    assert!(tried.iter().all(|(kind, _)| *kind == ErrorKind::TimedOut), "{e}");
    assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
    assert_waited(elapsed, timeout * 2, "connect_host to two silent addresses");
    eprintln!("netns: connect_host({SILENT_NAME}) with {timeout:?}: both addresses TimedOut after {elapsed:?}");

    assert_eq!(support::open_fds(), before, "descriptors leaked by timed-out connects");
}

/// Gives this mount namespace an `/etc/hosts` of its own (a bind mount of a temporary file)
/// that names [`SILENT_NAME`].
fn own_hosts_file() {
    let hosts = std::env::temp_dir().join(format!("chapel-socket-netns-hosts-{}", std::process::id()));
    let text = format!("127.0.0.1 localhost\n::1 localhost\n{SILENT_V4} {SILENT_NAME}\n{SILENT_V6} {SILENT_NAME}\n");
    std::fs::write(&hosts, text).unwrap();
    let out = Command::new("mount").arg("--bind").arg(&hosts).arg("/etc/hosts").output().expect("run mount");
    assert!(out.status.success(), "mount --bind {}: {}", hosts.display(), String::from_utf8_lossy(&out.stderr));
    // The mount keeps the file's contents; the name can go now.
    std::fs::remove_file(&hosts).unwrap();
}

/// Packets `device` has sent, from this network namespace's `/proc/net/dev`.
fn tx_packets(device: &str) -> u64 {
    let table = std::fs::read_to_string("/proc/net/dev").unwrap();
    let row = table
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(device).and_then(|r| r.strip_prefix(':')))
        .unwrap_or_else(|| panic!("no {device} in /proc/net/dev:\n{table}"));
    // Eight receive columns, then transmit bytes and packets.
    row.split_whitespace().nth(9).unwrap().parse().unwrap()
}
