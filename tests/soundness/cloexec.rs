//! Close-on-exec: every descriptor the crate creates carries `FD_CLOEXEC`, and a child
//! process started while they are open inherits none of them.

use crate::support::trials::{Test, trial};
use crate::support::{PATIENCE, loopbacks};
use chapel_socket::{IPFamily, UdpSocket, bind, connect, connect_host, listen};
use std::collections::BTreeSet;
use std::os::fd::{AsRawFd, RawFd};
use std::process::Command;

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[trial!(every_descriptor_is_close_on_exec_and_never_inherited)];

/// The socket inode behind `fd` (`socket:[123]` in `/proc/self/fd`).
fn socket_inode(fd: RawFd) -> String {
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).expect("readlink");
    let link = link.to_string_lossy().into_owned();
    assert!(link.starts_with("socket:["), "fd {fd} is {link}");
    link
}

fn has_cloexec(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the flags of a descriptor this test holds open.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(flags >= 0, "fcntl(F_GETFD) on fd {fd} failed");
    flags & libc::FD_CLOEXEC != 0
}

/// The sockets a child process inherited, as `socket:[inode]` strings: the child lists its
/// own `/proc/self/fd`.
fn inherited_sockets() -> BTreeSet<String> {
    let out = Command::new("ls").args(["-l", "/proc/self/fd/"]).output().expect("run ls");
    assert!(out.status.success(), "ls failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().filter_map(|l| l.split("-> ").nth(1)).filter(|t| t.starts_with("socket:[")).map(String::from).collect()
}

fn every_descriptor_is_close_on_exec_and_never_inherited() {
    let t = PATIENCE;
    let [any4, any6] = loopbacks();
    let v4 = listen(&any4, true, 8).unwrap();
    let v6 = listen(&any6, true, 8).unwrap();
    let connected_bounded = connect(&v4.addr().unwrap(), t).unwrap();
    let connected_indefinite = connect(&v6.addr().unwrap(), -1.0).unwrap();
    let by_name = connect_host("localhost", v4.addr().unwrap().port(), IPFamily::IPv4, t).unwrap();
    let accepted_bounded = v4.accept(t).unwrap();
    let accepted_indefinite = v6.accept(-1.0).unwrap();
    let accepted_by_name = v4.accept(t).unwrap();
    let udp4 = UdpSocket::new(IPFamily::IPv4).unwrap();
    let udp6 = UdpSocket::new(IPFamily::IPv6).unwrap();
    bind(&udp6, &any6, true).unwrap();

    let ours: Vec<(&str, RawFd)> = vec![
        ("listener v4", v4.as_raw_fd()),
        ("listener v6", v6.as_raw_fd()),
        ("connect with timeout", connected_bounded.as_raw_fd()),
        ("connect indefinite", connected_indefinite.as_raw_fd()),
        ("connect_host", by_name.as_raw_fd()),
        ("accept with timeout", accepted_bounded.as_raw_fd()),
        ("accept indefinite", accepted_indefinite.as_raw_fd()),
        ("accept of connect_host", accepted_by_name.as_raw_fd()),
        ("udp v4", udp4.as_raw_fd()),
        ("udp v6", udp6.as_raw_fd()),
    ];
    for (what, fd) in &ours {
        assert!(has_cloexec(*fd), "{what} (fd {fd}) lacks FD_CLOEXEC");
    }

    // The control: a socket without the flag does show up in the child, so the listing sees
    // inherited sockets when there are some.
    // SAFETY: plain integer arguments; the result is checked and closed below.
    let leaky = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0) };
    assert!(leaky >= 0);
    assert!(!has_cloexec(leaky));
    let leaky_inode = socket_inode(leaky);
    let inherited = inherited_sockets();
    // SAFETY: `leaky` is open and owned by this test alone.
    unsafe { libc::close(leaky) };
    assert_eq!(
        inherited,
        BTreeSet::from([leaky_inode]),
        "the child should inherit exactly the socket without FD_CLOEXEC"
    );

    let inherited = inherited_sockets();
    for (what, fd) in &ours {
        let inode = socket_inode(*fd);
        assert!(!inherited.contains(&inode), "the child inherited {what} ({inode})");
    }
    assert!(inherited.is_empty(), "the child inherited sockets: {inherited:?}");
}
