//! [`IpAddr`], Chapel's `ipAddr`: a family, a numeric host and a port.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::str::FromStr;

use super::IPFamily;
use crate::consts::{sys_in_addr_t, sys_in6_addr_t};
use crate::error::{Cause, Error, Op, Result, Target, echo_quoted, formatted};
use crate::sys;

/// An IPv4 or IPv6 socket address (Chapel's `ipAddr`). Hosts are numeric only: turning a
/// name into addresses is [`connect_host`](crate::connect_host)'s job.
///
/// It converts both ways with [`std::net::SocketAddr`], prints as `127.0.0.1:8000` or
/// `[::1]:8000`, and parses back from that form. IPv6 scope ids (`fe80::1%lo`, `fe80::1%2`)
/// are kept and printed by number. Nothing here makes a syscall.
///
/// ```
/// use chapel_socket::{IpAddr, IPFamily};
/// let a = IpAddr::create("::1", 8080, IPFamily::IPv6)?;
/// assert_eq!((a.host(), a.port(), a.family()), ("::1".to_string(), 8080, IPFamily::IPv6));
/// assert_eq!(a.to_string(), "[::1]:8080");
/// assert_eq!("[::1]:8080".parse::<IpAddr>()?, a);
/// assert_eq!(IpAddr::default().to_string(), "127.0.0.1:8000");
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpAddr(SocketAddr);

impl IpAddr {
    /// Chapel's `ipAddr.create`: `host` in dotted (IPv4) or colon (IPv6) notation, checked
    /// against `family`; [`IPFamily::IPUnspec`] accepts either. An IPv6 host may carry a
    /// scope, by interface name or number (`fe80::1%lo`).
    ///
    /// Fails, naming the host and the family, when the host is not numeric, is of the other
    /// family, or names an unknown interface.
    ///
    /// ```
    /// use chapel_socket::{IpAddr, IPFamily};
    /// assert!(IpAddr::create("127.0.0.1", 80, IPFamily::IPv4).is_ok());
    /// assert!(IpAddr::create("::1", 80, IPFamily::IPv4).is_err());
    /// assert!(IpAddr::create("localhost", 80, IPFamily::IPUnspec).is_err());
    /// ```
    pub fn create(host: &str, port: u16, family: IPFamily) -> Result<IpAddr> {
        let fail = |why: &str| not_a_host(host, family, why);
        let v4 = || host.parse::<Ipv4Addr>().ok().map(|ip| SocketAddr::from((ip, port)));
        let v6 = || -> std::result::Result<Option<SocketAddr>, Error> {
            let (ip, scope) = match host.split_once('%') {
                Some((ip, scope)) => (ip, Some(scope)),
                None => (host, None),
            };
            let Ok(ip) = ip.parse::<Ipv6Addr>() else { return Ok(None) };
            let scope_id = match scope {
                None => 0,
                // A number (after a `+`, which `u32`'s `FromStr` takes too), else an interface.
                Some(s) => match decimal(s.strip_prefix('+').unwrap_or(s)) {
                    Some(n) => n,
                    None => sys::addr::interface_index(s).ok_or_else(|| fail("unknown IPv6 scope (interface)"))?,
                },
            };
            Ok(Some(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, scope_id))))
        };
        let found = match family {
            IPFamily::IPv4 => v4(),
            IPFamily::IPv6 => v6()?,
            IPFamily::IPUnspec => match v4() {
                Some(a) => Some(a),
                None => v6()?,
            },
        };
        found.map(IpAddr).ok_or_else(|| match family {
            IPFamily::IPv4 => fail("not a numeric IPv4 address"),
            IPFamily::IPv6 => fail("not a numeric IPv6 address"),
            IPFamily::IPUnspec => fail("not a numeric IPv4 or IPv6 address"),
        })
    }

    /// Chapel's `ipAddr.ipv4`: from a C `in_addr_t` in host byte order, as the `INADDR_*`
    /// constants are.
    ///
    /// ```
    /// use chapel_socket::{IpAddr, INADDR_LOOPBACK};
    /// assert_eq!(IpAddr::ipv4(INADDR_LOOPBACK, 80).to_string(), "127.0.0.1:80");
    /// ```
    pub fn ipv4(host: sys_in_addr_t, port: u16) -> IpAddr {
        IpAddr(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(host), port)))
    }

    /// Chapel's `ipAddr.ipv6`: from a C `struct in6_addr`.
    ///
    /// ```
    /// use chapel_socket::{IpAddr, IN6ADDR_LOOPBACK};
    /// assert_eq!(IpAddr::ipv6(IN6ADDR_LOOPBACK, 80).to_string(), "[::1]:80");
    /// ```
    pub fn ipv6(host: sys_in6_addr_t, port: u16) -> IpAddr {
        IpAddr(SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(host.s6_addr), port, 0, 0)))
    }

    /// The numeric host, without brackets: `127.0.0.1`, `::1`, `fe80::1%2`.
    ///
    /// ```
    /// # use chapel_socket::IpAddr;
    /// assert_eq!(IpAddr::default().host(), "127.0.0.1");
    /// ```
    pub fn host(&self) -> String {
        match self.0 {
            SocketAddr::V4(a) => a.ip().to_string(),
            SocketAddr::V6(a) if a.scope_id() != 0 => format!("{}%{}", a.ip(), a.scope_id()),
            SocketAddr::V6(a) => a.ip().to_string(),
        }
    }

    /// The port.
    ///
    /// ```
    /// # use chapel_socket::IpAddr;
    /// assert_eq!(IpAddr::default().port(), 8000);
    /// ```
    pub fn port(&self) -> u16 {
        self.0.port()
    }

    /// [`IPFamily::IPv4`] or [`IPFamily::IPv6`] (never `IPUnspec`).
    ///
    /// ```
    /// # use chapel_socket::{IpAddr, IPFamily};
    /// assert_eq!(IpAddr::default().family(), IPFamily::IPv4);
    /// ```
    pub fn family(&self) -> IPFamily {
        match self.0 {
            SocketAddr::V4(_) => IPFamily::IPv4,
            SocketAddr::V6(_) => IPFamily::IPv6,
        }
    }

    /// The address as std's, borrowed: what a send hands to the kernel, without a copy.
    #[inline]
    pub(crate) fn as_socket_addr(&self) -> &SocketAddr {
        &self.0
    }
}

/// Whether `host` is written as an IP address literal (IPv4, or IPv6 with or without a
/// `%scope`), whatever its scope says: such a host is parsed, never looked up, so a bad scope
/// is an error rather than a resolver query.
pub(crate) fn is_literal(host: &str) -> bool {
    let ip = host.split_once('%').map_or(host, |(ip, _)| ip);
    ip.parse::<Ipv4Addr>().is_ok() || ip.parse::<Ipv6Addr>().is_ok()
}

/// Whether `host` is numeric the way `inet_aton` reads numbers (`127.1`, `0x7f.1`,
/// `2130706433`, `1.2.3`: its last label all digits, or `0x` and hex digits) without being an
/// IP literal. `getaddrinfo` would dial such a host at an address nobody wrote (`1.2.3` is
/// 1.2.0.3), while [`IpAddr::create`] refuses it; no name has an all-numeric last label, so
/// refusing it loses no host.
pub(crate) fn is_numeric_but_not_literal(host: &str) -> bool {
    let last = host.rsplit('.').next().unwrap_or(host);
    let hex = last.strip_prefix("0x").or_else(|| last.strip_prefix("0X"));
    let numeric = match hex {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()),
    };
    numeric && !is_literal(host)
}

impl Default for IpAddr {
    /// `127.0.0.1:8000`, the defaults of Chapel's `ipAddr.create`.
    fn default() -> IpAddr {
        IpAddr(SocketAddr::from((Ipv4Addr::LOCALHOST, 8000)))
    }
}

impl fmt::Display for IpAddr {
    /// `127.0.0.1:8000`, `[::1]:8000`, `[fe80::1%2]:8000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not through `host()`, whose `String` only to be copied out again is code in every
        // program whose errors name an address.
        match self.0 {
            SocketAddr::V4(a) => write!(f, "{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) if a.scope_id() != 0 => write!(f, "[{}%{}]:{}", a.ip(), a.scope_id(), a.port()),
            SocketAddr::V6(a) => write!(f, "[{}]:{}", a.ip(), a.port()),
        }
    }
}

impl FromStr for IpAddr {
    type Err = Error;

    /// `HOST:PORT` with an IPv4 host, or `[HOST]:PORT` with an IPv6 host (scope allowed).
    ///
    /// ```
    /// # use chapel_socket::IpAddr;
    /// assert_eq!("10.0.0.1:53".parse::<IpAddr>()?.port(), 53);
    /// assert!("10.0.0.1".parse::<IpAddr>().is_err());
    /// let err = "::1:80".parse::<IpAddr>().unwrap_err();
    /// assert!(err.to_string().ends_with("an IPv6 host goes in brackets, as in [::1]:80"));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    fn from_str(text: &str) -> Result<IpAddr> {
        let bad = |why: &str| not_an_address(text, why);
        // `[':']`, not `':'`: a set of one char is searched by a plain loop, where a char's
        // backward search is 300 bytes more in every program that parses an address.
        let (host, port) = text.rsplit_once([':']).ok_or_else(|| bad("expected HOST:PORT or [HOST]:PORT"))?;
        let bracketed = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
        if bracketed.is_none() && host.contains(':') {
            let address = host.split_once('%').map_or(host, |(address, _scope)| address);
            // The caller's own host and port in brackets when they are an address and a port.
            let written = address.parse::<Ipv6Addr>().is_ok() && port.bytes().all(|b| b.is_ascii_digit());
            let (host, port) = if written { (host, port) } else { ("::1", "80") };
            return Err(bad(&formatted(format_args!("an IPv6 host goes in brackets, as in [{host}]:{port}"))));
        }
        let port = decimal(port)
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| bad("the port is not a number from 0 to 65535"))?;
        match bracketed {
            Some(v6) => IpAddr::create(v6, port, IPFamily::IPv6),
            None => IpAddr::create(host, port, IPFamily::IPv4),
        }
    }
}

/// The error of `host`, which is no numeric host of `family`, and why: out of line, as each
/// way [`IpAddr::create`] can fail calls it.
#[cold]
#[inline(never)]
fn not_a_host(host: &str, family: IPFamily, why: &str) -> Error {
    let target = Target::Host(formatted(format_args!("{} ({family})", echo_quoted(host))));
    Error::new(Op::ParseAddress, target, Cause::Invalid(why.to_string()))
}

/// The error of `text`, which does not parse as an address, and why: out of line, as each way
/// the parse can fail calls it.
#[cold]
#[inline(never)]
fn not_an_address(text: &str, why: &str) -> Error {
    Error::new(Op::ParseAddress, Target::Host(echo_quoted(text)), Cause::Invalid(why.into()))
}

/// `text` as a decimal number: ASCII digits only (no sign, no blank), at least one, at most
/// `u32::MAX`. By hand, as `str::parse`'s code for each integer type is 200 bytes more in
/// every program that parses an address.
fn decimal(text: &str) -> Option<u32> {
    let mut digits = text.bytes().map(|b| b.is_ascii_digit().then(|| u32::from(b - b'0')));
    let n = digits.try_fold(0u32, |n, digit| n.checked_mul(10)?.checked_add(digit?))?;
    (!text.is_empty()).then_some(n)
}

impl From<SocketAddr> for IpAddr {
    fn from(a: SocketAddr) -> IpAddr {
        IpAddr(a)
    }
}

impl From<IpAddr> for SocketAddr {
    fn from(a: IpAddr) -> SocketAddr {
        a.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::{IN6ADDR_ANY, IN6ADDR_LOOPBACK, INADDR_ANY, INADDR_BROADCAST, INADDR_LOOPBACK};

    #[test]
    fn ipv4_hosts() {
        let a = IpAddr::create("192.0.2.7", 9, IPFamily::IPv4).unwrap();
        assert_eq!((a.host().as_str(), a.port(), a.family()), ("192.0.2.7", 9, IPFamily::IPv4));
        assert_eq!(IpAddr::create("192.0.2.7", 9, IPFamily::IPUnspec).unwrap(), a);
        assert_eq!(IpAddr::ipv4(INADDR_ANY, 1).host(), "0.0.0.0");
        assert_eq!(IpAddr::ipv4(INADDR_BROADCAST, 1).host(), "255.255.255.255");
        assert_eq!(IpAddr::ipv4(INADDR_LOOPBACK, 1).host(), "127.0.0.1");
    }

    #[test]
    fn ipv6_hosts() {
        let a = IpAddr::create("2001:db8::1", 443, IPFamily::IPv6).unwrap();
        assert_eq!((a.host().as_str(), a.family()), ("2001:db8::1", IPFamily::IPv6));
        assert_eq!(IpAddr::create("2001:db8::1", 443, IPFamily::IPUnspec).unwrap(), a);
        assert_eq!(IpAddr::ipv6(IN6ADDR_ANY, 1).host(), "::");
        assert_eq!(IpAddr::ipv6(IN6ADDR_LOOPBACK, 1).host(), "::1");
    }

    #[test]
    fn v4_mapped_v6_stays_v6() {
        let a = IpAddr::create("::ffff:127.0.0.1", 5, IPFamily::IPv6).unwrap();
        assert_eq!(a.family(), IPFamily::IPv6);
        assert_eq!(a.host(), "::ffff:127.0.0.1");
        assert_eq!(IpAddr::create("::ffff:127.0.0.1", 5, IPFamily::IPUnspec).unwrap(), a);
        assert!(IpAddr::create("::ffff:127.0.0.1", 5, IPFamily::IPv4).is_err());
    }

    #[test]
    fn scoped_v6_round_trips() {
        let by_name = IpAddr::create("fe80::1%lo", 7, IPFamily::IPv6).unwrap();
        let lo = sys::addr::interface_index("lo").unwrap();
        assert_eq!(by_name.host(), format!("fe80::1%{lo}"));
        let by_number = IpAddr::create(&format!("fe80::1%{lo}"), 7, IPFamily::IPv6).unwrap();
        assert_eq!(by_name, by_number);
        assert_eq!(by_name.to_string().parse::<IpAddr>().unwrap(), by_name);
        assert_eq!(SocketAddr::from(by_name).to_string(), by_name.to_string());
        let err = IpAddr::create("fe80::1%no-such-if0", 7, IPFamily::IPv6).unwrap_err();
        assert!(err.to_string().contains("no-such-if0"), "{err}");
        // A numeric scope reads as `u32`'s `FromStr` would: a `+` before it, any leading zeros.
        let scope = |text: &str| IpAddr::create(&format!("fe80::1%{text}"), 7, IPFamily::IPv6).map(|a| a.host());
        assert_eq!(scope("+3").unwrap(), "fe80::1%3");
        assert_eq!(scope("0004294967295").unwrap(), "fe80::1%4294967295");
        for bad in ["4294967296", "++3", "+", "-3", " 3", "3 "] {
            assert!(scope(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimal_reads_what_u32_reads_without_a_sign() {
        for text in
            ["", "0", "007", "65535", "65536", "4294967295", "4294967296", "99999999999", "+1", "-1", "1a", " 1", "١"]
        {
            let expected = text.bytes().all(|b| b.is_ascii_digit()).then(|| text.parse::<u32>().ok()).flatten();
            assert_eq!(decimal(text), expected, "{text:?}");
        }
    }

    #[test]
    fn parsing_says_how_to_write_an_ipv6_host_and_takes_only_digits_for_a_port() {
        let says = |text: &str| text.parse::<IpAddr>().unwrap_err().to_string();
        assert!(says("::1:80").ends_with("an IPv6 host goes in brackets, as in [::1]:80"), "{}", says("::1:80"));
        assert!(says("fe80::1%2:9").ends_with("as in [fe80::1%2]:9"), "{}", says("fe80::1%2:9"));
        assert!(says("::1").ends_with("as in [::1]:80"), "{}", says("::1"));
        assert!(says("::1:x").ends_with("as in [::1]:80"), "{}", says("::1:x"));
        for port in ["+80", "-0", " 80", "80 ", "", "65536", "0x50"] {
            let text = format!("127.0.0.1:{port}");
            assert!(says(&text).ends_with("the port is not a number from 0 to 65535"), "{text}: {}", says(&text));
        }
        assert_eq!("127.0.0.1:080".parse::<IpAddr>().unwrap().port(), 80);
        assert_eq!("[::1]:65535".parse::<IpAddr>().unwrap().port(), 65535);
    }

    #[test]
    fn numbers_inet_aton_would_read_are_not_literals() {
        for host in ["127.1", "0x7f.1", "0X7F.0.0.1", "2130706433", "1.2.3", "0x", "127.0.0.01", "1.2.3.4.5"] {
            assert!(is_numeric_but_not_literal(host), "{host}");
        }
        for host in ["127.0.0.1", "::1", "fe80::1%lo", "localhost", "a.b", "host1", "1.2.3.x", "10.0.0.1e", ""] {
            assert!(!is_numeric_but_not_literal(host), "{host}");
        }
    }

    #[test]
    fn family_mismatch_names_host_and_family() {
        let err = IpAddr::create("::1", 80, IPFamily::IPv4).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(err.to_string(), "parse address \"::1\" (IPv4): not a numeric IPv4 address");
        let err = IpAddr::create("127.0.0.1", 80, IPFamily::IPv6).unwrap_err();
        assert_eq!(err.to_string(), "parse address \"127.0.0.1\" (IPv6): not a numeric IPv6 address");
    }

    #[test]
    fn garbage_and_empty_hosts() {
        for host in [
            "",
            " ",
            "localhost",
            "127.0.0.1 ",
            "127.1",
            "256.0.0.1",
            "1.2.3.4.5",
            "::g",
            "[::1]",
            "1.2.3.4%lo",
            "::1%",
            "a\0b",
            "١٢٧.0.0.1",
        ] {
            for family in [IPFamily::IPv4, IPFamily::IPv6, IPFamily::IPUnspec] {
                let err = IpAddr::create(host, 1, family).unwrap_err();
                assert!(err.to_string().contains(&format!("{host:?}")), "{err}");
            }
        }
        let err = IpAddr::create("", 1, IPFamily::IPUnspec).unwrap_err();
        assert_eq!(err.to_string(), "parse address \"\" (IPUnspec): not a numeric IPv4 or IPv6 address");
    }

    #[test]
    fn display_and_from_str_round_trip() {
        for text in ["127.0.0.1:8000", "0.0.0.0:0", "[::1]:65535", "[::ffff:10.1.2.3]:1", "[2001:db8::5]:80"] {
            let a: IpAddr = text.parse().unwrap();
            assert_eq!(a.to_string(), text);
        }
        for bad in [
            "",
            "127.0.0.1",
            "127.0.0.1:",
            "127.0.0.1:65536",
            "::1:80",
            "[::1]80",
            "[127.0.0.1]:80",
            "host:80",
            "1.2.3.4:-1",
        ] {
            assert!(bad.parse::<IpAddr>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn socket_addr_conversions() {
        let std_v4: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let std_v6: SocketAddr = "[::1]:9".parse().unwrap();
        for s in [std_v4, std_v6] {
            let a = IpAddr::from(s);
            assert_eq!(SocketAddr::from(a), s);
            assert_eq!(a.to_string(), s.to_string());
        }
        assert_eq!(IpAddr::from(std_v4).family(), IPFamily::IPv4);
        assert_eq!(IpAddr::from(std_v6).family(), IPFamily::IPv6);
    }

    #[test]
    fn literals_whatever_their_scope() {
        for literal in ["127.0.0.1", "::1", "fe80::1%bogus", "fe80::1%", "1.2.3.4%lo", "::ffff:1.2.3.4%9"] {
            assert!(is_literal(literal), "{literal}");
        }
        for name in ["localhost", "", "%lo", "127.1", "fe80::1 %lo", "[::1]", "example.invalid"] {
            assert!(!is_literal(name), "{name}");
        }
    }

    #[test]
    fn hostile_hosts_are_echoed_escaped_and_capped() {
        let err = IpAddr::create("\u{1b}[2J\0", 1, IPFamily::IPv4).unwrap_err();
        assert_eq!(err.to_string(), "parse address \"\\u{1b}[2J\\0\" (IPv4): not a numeric IPv4 address");
        let huge = "h".repeat(100_000);
        let err = IpAddr::create(&huge, 1, IPFamily::IPUnspec).unwrap_err();
        assert!(err.to_string().len() < 400, "{} bytes", err.to_string().len());
        assert!(err.to_string().contains("… (100000 characters) (IPUnspec)"), "{err}");
        let err = format!("{huge}:80").parse::<IpAddr>().unwrap_err();
        assert!(err.to_string().contains("… (100000 characters) (IPv4)"), "{err}");
    }

    #[test]
    fn default_is_chapels() {
        let d = IpAddr::default();
        assert_eq!((d.host().as_str(), d.port(), d.family()), ("127.0.0.1", 8000, IPFamily::IPv4));
    }
}
