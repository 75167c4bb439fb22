//! Detects what the target platform offers and tells `src/` through `cfg`s, so the code never
//! carries its own lists of operating systems.
//!
//! - `has_accept4`: `accept4(2)` and the `SOCK_CLOEXEC`/`SOCK_NONBLOCK` socket-type flags, so
//!   a socket is close-on-exec (and non-blocking) in the syscall that creates it.
//! - `has_msg_nosignal`: `MSG_NOSIGNAL`, so a write to a closed peer is `EPIPE`, not SIGPIPE.
//! - `has_so_nosigpipe`: the socket option that plays that role where `MSG_NOSIGNAL` is absent.
//! - `has_tcp_quickack`: the `TCP_QUICKACK` option behind `set_delay_ack`.
//! - `has_msg_trunc`: a datagram receive given `MSG_TRUNC` returns the datagram's full length,
//!   so a truncated datagram is seen in the same syscall.
//! - `has_ppoll`: `ppoll(2)`, a wait with a `timespec`: microsecond timeouts instead of `poll`'s
//!   whole milliseconds.
//! - `has_coarse_clock`: `CLOCK_MONOTONIC_COARSE`, whose resolution is the kernel's tick.
//! - `has_mmsg`: `recvmmsg`/`sendmmsg`, and the control messages and UDP offloads the message
//!   API speaks (`IP_PKTINFO`, `SO_TIMESTAMPNS`, `UDP_SEGMENT`, `UDP_GRO`), as on Linux.
//! - `has_sin_len`: socket addresses start with a length byte (`sin_len`, `sin6_len`), as on
//!   the BSDs and Apple's systems.
//! - `has_linux_sockopts`: Linux's socket options beyond POSIX's (`SO_REUSEPORT`, `SO_MARK`,
//!   `TCP_CONGESTION`…), which the plain-data allowlist of `set_sock_opt` names.
//! - `has_msg_errqueue`: `MSG_ERRQUEUE`, a receive from the socket's error queue.
//! - `has_unix_abstract`: Unix sockets have Linux's abstract namespace (a name whose first
//!   byte is NUL names no file).
//! - `has_so_peercred`: `SO_PEERCRED` and `SCM_CREDENTIALS` with a `struct ucred`.
//! - `has_msg_cmsg_cloexec`: `MSG_CMSG_CLOEXEC`, so descriptors received over a Unix socket
//!   are close-on-exec in the `recvmsg` that installs them.
//! - `has_so_reuseport`: `SO_REUSEPORT`, several sockets bound to one address and port.
//! - `has_tcp_keepidle`: `TCP_KEEPIDLE`, `TCP_KEEPINTVL` and `TCP_KEEPCNT`, a connection's
//!   keep-alive timing (Apple's systems name the first `TCP_KEEPALIVE`).
//! - `has_direct_io`: Linux on an architecture where `libc` numbers `recvfrom` and `sendto`
//!   (x86-64, AArch64, RISC-V 64): the plain sends and receives, `connect`, `accept4`,
//!   `ppoll`, `close` and `ioctl(FIONBIO)` go to the kernel through `syscall(2)`, past
//!   glibc's cancellation wrappers.
//! - `has_so_secinfo`: the platform's headers define `SO_SECINFO` (z/OS); its value is then
//!   read from them by the C preprocessor and passed in `CHAPEL_SO_SECINFO`.

use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let caps = [
        "has_accept4",
        "has_msg_nosignal",
        "has_so_nosigpipe",
        "has_tcp_quickack",
        "has_msg_trunc",
        "has_mmsg",
        "has_sin_len",
        "has_so_secinfo",
        "has_linux_sockopts",
        "has_msg_errqueue",
        "has_ppoll",
        "has_coarse_clock",
        "has_unix_abstract",
        "has_so_peercred",
        "has_msg_cmsg_cloexec",
        "has_so_reuseport",
        "has_tcp_keepidle",
        "has_direct_io",
    ];
    for cap in caps {
        println!("cargo::rustc-check-cfg=cfg({cap})");
    }
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let os = os.as_str();
    let bsd_like = matches!(os, "freebsd" | "netbsd" | "openbsd" | "dragonfly" | "illumos" | "solaris");
    let linux_like = matches!(os, "linux" | "android");
    if linux_like || bsd_like {
        enable("has_accept4");
        enable("has_msg_nosignal");
    }
    let apple = matches!(os, "macos" | "ios" | "tvos" | "watchos" | "visionos");
    if apple {
        enable("has_so_nosigpipe");
    }
    if apple || matches!(os, "freebsd" | "netbsd" | "openbsd" | "dragonfly") {
        enable("has_sin_len");
    }
    if linux_like || matches!(os, "freebsd" | "netbsd" | "openbsd" | "dragonfly") {
        enable("has_ppoll");
    }
    if linux_like {
        enable("has_linux_sockopts");
        enable("has_msg_errqueue");
        enable("has_coarse_clock");
        enable("has_tcp_quickack");
        enable("has_msg_trunc");
        enable("has_mmsg");
        enable("has_so_peercred");
    }
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os == "linux" && matches!(arch.as_str(), "x86_64" | "aarch64" | "riscv64") {
        enable("has_direct_io");
    }
    if os == "linux" {
        // Android has the namespace too, but std's accessors for it live in another module.
        enable("has_unix_abstract");
    }
    if linux_like || matches!(os, "freebsd" | "netbsd" | "openbsd" | "dragonfly") {
        enable("has_msg_cmsg_cloexec");
    }
    if linux_like || apple || matches!(os, "freebsd" | "netbsd" | "openbsd" | "dragonfly") {
        enable("has_so_reuseport");
    }
    if linux_like || matches!(os, "freebsd" | "netbsd" | "dragonfly") {
        enable("has_tcp_keepidle");
    }
    if let Some(value) = header_constant("sys/socket.h", "SO_SECINFO") {
        enable("has_so_secinfo");
        println!("cargo:rustc-env=CHAPEL_SO_SECINFO={value}");
    }
}

fn enable(cap: &str) {
    println!("cargo:rustc-cfg={cap}");
}

/// Expands `name` with the target's C preprocessor; `None` when the header does not define
/// it as a plain integer (or no compiler is at hand, which then means "not available").
fn header_constant(header: &str, name: &str) -> Option<i64> {
    let out_dir = env::var("OUT_DIR").ok()?;
    let probe = format!("{out_dir}/probe_{name}.c");
    std::fs::write(&probe, format!("#include <{header}>\nchapel_probe {name}\n")).ok()?;
    let cc = env::var("TARGET_CC").or_else(|_| env::var("CC")).unwrap_or_else(|_| "cc".into());
    let output = Command::new(cc).args(["-E", "-P", &probe]).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let line = text.lines().find_map(|l| l.trim().strip_prefix("chapel_probe "))?;
    let token = line.trim().trim_start_matches('(').trim_end_matches(')');
    match token.strip_prefix("0x").or_else(|| token.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => token.parse().ok(),
    }
}
