//! The safe `set_sock_opt` cannot make the kernel write to this program's memory: with no
//! `unsafe` anywhere here, a value for an option whose value holds a user pointer (netfilter's
//! table replacements, `XDP_UMEM_REG`, socket filters) is refused before any syscall, as is a
//! null value with a length; plain-data options still take their bytes.
#![forbid(unsafe_code)]

use std::io::ErrorKind;

use crate::support::trials::{Test, trial};
use chapel_socket::{
    AnySocket, Error, IPFamily, SO_LINGER, SO_RCVTIMEO, SOL_SOCKET, SockOptValue, UdpSocket, get_sock_opt_bytes,
    listen, set_sock_opt, struct_timeval,
};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(pointer_carrying_options_are_refused_before_any_syscall),
    trial!(a_null_value_with_a_length_is_refused_for_every_option),
    trial!(an_int_still_reaches_the_kernel_for_any_option),
    trial!(plain_data_options_still_take_their_bytes),
    trial!(a_length_the_option_does_not_take_is_refused),
];

/// `IPT_SO_SET_REPLACE` (`<linux/netfilter_ipv4/ip_tables.h>`, `IPT_BASE_CTL`).
const IPT_SO_SET_REPLACE: i32 = 64;
/// `IP6T_SO_SET_REPLACE` (`<linux/netfilter_ipv6/ip6_tables.h>`, `IP6T_BASE_CTL`).
const IP6T_SO_SET_REPLACE: i32 = 64;
/// `ARPT_SO_SET_REPLACE` (`<linux/netfilter_arp/arp_tables.h>`, `ARPT_BASE_CTL`), at `SOL_IP`.
const ARPT_SO_SET_REPLACE: i32 = 96;
/// `EBT_SO_SET_ENTRIES` (`<linux/netfilter_bridge/ebtables.h>`, `EBT_BASE_CTL`), at `SOL_IP`.
const EBT_SO_SET_ENTRIES: i32 = 128;
/// `SOL_XDP` (`<bits/socket.h>`) and `XDP_UMEM_REG` (`<linux/if_xdp.h>`).
const SOL_XDP: i32 = 283;
const XDP_UMEM_REG: i32 = 4;

/// The options whose value carries a user pointer the kernel dereferences: (level, option,
/// name, offset of the pointer in the value, offset of a count next to it, value's size).
const POINTER_OPTIONS: &[(i32, i32, &str, usize, usize, usize)] = &[
    // Layouts on 64-bit Linux. struct ipt_replace / ip6t_replace: `num_counters` at 84,
    // `counters` at 88; after replacing the table the kernel writes num_counters * 16 bytes
    // there. struct arpt_replace: the same with three hooks, so 68 and 72.
    (libc::IPPROTO_IP, IPT_SO_SET_REPLACE, "IPT_SO_SET_REPLACE", 88, 84, 96),
    (libc::IPPROTO_IPV6, IP6T_SO_SET_REPLACE, "IP6T_SO_SET_REPLACE", 88, 84, 96),
    (libc::IPPROTO_IP, ARPT_SO_SET_REPLACE, "ARPT_SO_SET_REPLACE", 72, 68, 80),
    // struct ebt_replace: `num_counters` at 96, `counters` at 104.
    (libc::IPPROTO_IP, EBT_SO_SET_ENTRIES, "EBT_SO_SET_ENTRIES", 104, 96, 120),
    // struct xdp_umem_reg: `addr` at 0, `len` at 8; the kernel pins that range and keeps
    // writing packets into it.
    (SOL_XDP, XDP_UMEM_REG, "XDP_UMEM_REG", 0, 8, 32),
    // struct sock_fprog: `len` at 0, `filter` at 8; the kernel reads the program there.
    (libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, "SO_ATTACH_FILTER", 8, 0, 16),
    (libc::SOL_SOCKET, libc::SO_ATTACH_REUSEPORT_CBPF, "SO_ATTACH_REUSEPORT_CBPF", 8, 0, 16),
];

/// A value shaped like the option's struct: a count of 4 and a pointer to `target`, taken
/// with no `unsafe` (an address is just a number).
fn value_pointing_at(target: &[u8], pointer_at: usize, count_at: usize, size: usize) -> Vec<u8> {
    let mut value = vec![0u8; size];
    value[pointer_at..pointer_at + 8].copy_from_slice(&(target.as_ptr() as u64).to_ne_bytes());
    value[count_at..count_at + 4].copy_from_slice(&4u32.to_ne_bytes());
    value
}

/// A refusal: `InvalidInput` with no OS error (so no syscall answered it), naming the option
/// and pointing to the escape hatch.
fn assert_refused(err: &Error, level: i32, option: i32) {
    assert_eq!((err.kind(), err.raw_os_error(), err.op()), (ErrorKind::InvalidInput, None, "setsockopt"), "{err}");
    assert!(err.to_string().contains(&format!("(level {level}, option {option})")), "{err}");
}

/// One socket of each kind and family the pointer options could be aimed at.
fn sockets() -> (UdpSocket, UdpSocket, chapel_socket::TcpListener) {
    let v4 = UdpSocket::new(IPFamily::IPv4).unwrap();
    let v6 = UdpSocket::new(IPFamily::IPv6).unwrap();
    (v4, v6, listen(&"127.0.0.1:0".parse().unwrap(), true, 1).unwrap())
}

fn refuses_pointer_options<S: AnySocket>(socket: &S) {
    for &(level, option, name, pointer_at, count_at, size) in POINTER_OPTIONS {
        let target = vec![0x5au8; 4096];
        let value = value_pointing_at(&target, pointer_at, count_at, size);
        for form in [SockOptValue::Bytes(&value), SockOptValue::Null(size as u32), SockOptValue::Null(0)] {
            let err = set_sock_opt(socket, level, option, form).unwrap_err();
            assert_refused(&err, level, option);
            if !matches!(form, SockOptValue::Null(1..)) {
                assert!(err.to_string().contains("set_sock_opt_unchecked"), "{name}: {err}");
            }
        }
        assert!(target.iter().all(|&b| b == 0x5a), "{name}: the kernel wrote to our memory");
    }
}

fn pointer_carrying_options_are_refused_before_any_syscall() {
    let (v4, v6, listener) = sockets();
    refuses_pointer_options(&v4);
    refuses_pointer_options(&v6);
    refuses_pointer_options(&listener);
}

fn a_null_value_with_a_length_is_refused_for_every_option() {
    let (v4, _, _) = sockets();
    for (level, option) in [(SOL_SOCKET, SO_LINGER), (SOL_SOCKET, libc::SO_BROADCAST), (libc::IPPROTO_IP, libc::IP_TOS)]
    {
        for len in [1, 4, 8, u32::MAX] {
            let err = set_sock_opt(&v4, level, option, SockOptValue::Null(len)).unwrap_err();
            assert_refused(&err, level, option);
            assert!(err.to_string().contains("address 0"), "{err}");
        }
    }
}

/// An `int` still goes to any option: the kernel answers for itself (here it refuses a value
/// too short for an `ipt_replace`, or the missing privilege), and reads no pointer from it.
fn an_int_still_reaches_the_kernel_for_any_option() {
    let (v4, _, _) = sockets();
    let err = set_sock_opt(&v4, libc::IPPROTO_IP, IPT_SO_SET_REPLACE, 0).unwrap_err();
    assert!(err.raw_os_error().is_some(), "{err}");
}

/// C's `struct linger` as the kernel reads it: two native-endian `int`s.
fn linger(on: i32, seconds: i32) -> Vec<u8> {
    [on.to_ne_bytes(), seconds.to_ne_bytes()].concat()
}

fn plain_data_round_trips<S: AnySocket>(socket: &S) {
    let on = linger(1, 9);
    set_sock_opt(socket, SOL_SOCKET, SO_LINGER, &on).unwrap();
    assert_eq!(get_sock_opt_bytes(socket, SOL_SOCKET, SO_LINGER, 64).unwrap(), on);
    let tv = struct_timeval { tv_sec: 3, tv_usec: 500_000 };
    let timeout = [&tv.tv_sec.to_ne_bytes()[..], &tv.tv_usec.to_ne_bytes()[..]].concat();
    set_sock_opt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout).unwrap();
    assert_eq!(get_sock_opt_bytes(socket, SOL_SOCKET, SO_RCVTIMEO, 64).unwrap(), timeout);
}

fn plain_data_options_still_take_their_bytes() {
    let (v4, v6, listener) = sockets();
    plain_data_round_trips(&v4);
    plain_data_round_trips(&v6);
    plain_data_round_trips(&listener);
    // IP_TOS as one byte, which the kernel takes for an IPv4 int option.
    set_sock_opt(&v4, libc::IPPROTO_IP, libc::IP_TOS, &[0x10u8]).unwrap();
    assert_eq!(get_sock_opt_bytes(&v4, libc::IPPROTO_IP, libc::IP_TOS, 4).unwrap(), 0x10i32.to_ne_bytes());
    // The null form of length 0: SO_BINDTODEVICE with no name unbinds.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    set_sock_opt(&v4, SOL_SOCKET, libc::SO_BINDTODEVICE, SockOptValue::Null(0)).unwrap();
}

fn a_length_the_option_does_not_take_is_refused() {
    let (v4, _, _) = sockets();
    let cases: &[(i32, i32, usize, &str)] = &[
        (SOL_SOCKET, SO_LINGER, 2, "SO_LINGER takes 8 bytes, not 2"),
        (SOL_SOCKET, SO_LINGER, 16, "SO_LINGER takes 8 bytes, not 16"),
        (SOL_SOCKET, libc::SO_BROADCAST, 8, "SO_BROADCAST takes 4 bytes, not 8"),
        (libc::IPPROTO_IP, libc::IP_TOS, 0, "IP_TOS takes 1 to 4 bytes, not 0"),
        (libc::IPPROTO_IP, libc::IP_OPTIONS, 44, "IP_OPTIONS takes 0 to 40 bytes, not 44"),
        #[cfg(any(target_os = "linux", target_os = "android"))]
        (SOL_SOCKET, libc::SO_BINDTODEVICE, 17, "SO_BINDTODEVICE takes 0 to 16 bytes, not 17"),
    ];
    for &(level, option, len, says) in cases {
        let err = set_sock_opt(&v4, level, option, &vec![0u8; len]).unwrap_err();
        assert_refused(&err, level, option);
        assert!(err.to_string().ends_with(says), "{err}");
    }
}
