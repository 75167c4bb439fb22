//! [`UnixAddr`]: a Unix-domain socket's name — a path, an abstract name, or none.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::str::FromStr;

use crate::error::{Cause, Error, Op, Result, Target};
use crate::sys::addr::{NameError, UnixName};

/// The name of a Unix-domain socket: a filesystem path, a name in Linux's abstract
/// namespace, or none (an unnamed socket: one end of a [`pair`](crate::UnixStream::pair), or
/// a socket that never bound).
///
/// Every `UnixAddr` fits the kernel's `sun_path`: a path of at most 108 bytes on Linux (all
/// of `sun_path`: Linux takes a path that fills it without a terminating NUL, and reports a
/// peer bound so with all 108), without NUL bytes and not empty; an abstract name of at most
/// 107 bytes (any bytes, NULs included; `sun_path` less the leading NUL). The constructors
/// check this and fail with an `InvalidInput` error that says why (for a long path, its length
/// and the limit). Nothing here makes a syscall.
///
/// It prints unambiguously, and parses back from what it prints ([`FromStr`]):
///
/// - a path as itself, e.g. `/run/app.sock`;
/// - an abstract name as `@` and the name, e.g. `@app`;
/// - an unnamed socket as `(unnamed)`.
///
/// Inside a name, a backslash is `\\`, and a byte that is not printable (a control
/// character, a NUL in an abstract name, a byte that is not UTF-8) is `\xNN`; a path whose
/// first character is `@` or `(` has it written `\x40` or `\x28`, so no path reads as an
/// abstract name or as `(unnamed)`.
///
/// ```
/// use chapel_socket::UnixAddr;
/// let path = UnixAddr::from_path("/tmp/app.sock")?;
/// assert_eq!(path.to_string(), "/tmp/app.sock");
/// assert_eq!(path.as_pathname(), Some(std::path::Path::new("/tmp/app.sock")));
/// let abstract_name = UnixAddr::from_abstract(b"app\0v2")?;
/// assert_eq!(abstract_name.to_string(), r"@app\x00v2");
/// assert_eq!(abstract_name.as_abstract_name(), Some(&b"app\0v2"[..]));
/// assert_eq!(UnixAddr::from_path("@app")?.to_string(), r"\x40app");
/// assert_eq!(UnixAddr::unnamed().to_string(), "(unnamed)");
/// for a in [path, abstract_name, UnixAddr::unnamed()] {
///     assert_eq!(a.to_string().parse::<UnixAddr>()?, a);
/// }
/// # Ok::<(), chapel_socket::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UnixAddr(UnixName);

impl UnixAddr {
    /// The address of the socket file at `path` (absolute or relative to the working
    /// directory, as the kernel resolves it at `bind`/`connect`).
    ///
    /// # Errors
    /// `InvalidInput` when `path` is empty, holds a NUL byte (naming its offset), or is longer
    /// than `sun_path` takes (naming its length and the limit).
    ///
    /// ```
    /// use chapel_socket::UnixAddr;
    /// use std::io::ErrorKind;
    /// let long = "/tmp/".to_string() + &"x".repeat(200);
    /// let err = UnixAddr::from_path(&long).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// assert!(err.to_string().contains("205 bytes"), "{err}");
    /// assert!(UnixAddr::from_path("/tmp/a\0b").is_err());
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<UnixAddr> {
        UnixAddr::checked(UnixName::Path(path.as_ref().as_os_str().as_bytes().to_vec()))
    }

    /// The address `name` in Linux's abstract namespace: a socket name that is no file, gone
    /// when the socket closes, so there is no stale file to remove. Any bytes, NULs
    /// included; the empty name is a name too.
    ///
    /// # Errors
    /// `InvalidInput` when `name` is longer than `sun_path` takes (naming its length), or on a
    /// platform without the abstract namespace.
    ///
    /// ```
    /// use chapel_socket::UnixAddr;
    /// assert_eq!(UnixAddr::from_abstract("chapel")?.to_string(), "@chapel");
    /// assert!(UnixAddr::from_abstract([0u8; 200]).is_err());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn from_abstract(name: impl AsRef<[u8]>) -> Result<UnixAddr> {
        if cfg!(not(has_unix_abstract)) {
            let why = "this platform has no abstract namespace for Unix sockets";
            return Err(Error::new(Op::ParseAddress, Target::None, Cause::Invalid(why.into())));
        }
        UnixAddr::checked(UnixName::Abstract(name.as_ref().to_vec()))
    }

    /// The name of an unnamed socket, as `local_addr`/`peer_addr` report it for a
    /// [`pair`](crate::UnixStream::pair) or a socket that never bound.
    ///
    /// ```
    /// use chapel_socket::{UnixAddr, UnixStream};
    /// let (a, _b) = UnixStream::pair()?;
    /// assert_eq!(a.local_addr()?, UnixAddr::unnamed());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn unnamed() -> UnixAddr {
        UnixAddr(UnixName::Unnamed)
    }

    /// The path, when this is one.
    ///
    /// ```
    /// use chapel_socket::UnixAddr;
    /// assert!(UnixAddr::from_abstract("x")?.as_pathname().is_none());
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn as_pathname(&self) -> Option<&Path> {
        match &self.0 {
            UnixName::Path(p) => Some(Path::new(OsStr::from_bytes(p))),
            _ => None,
        }
    }

    /// The abstract name (without the kernel's leading NUL byte), when this is one.
    ///
    /// ```
    /// use chapel_socket::UnixAddr;
    /// assert_eq!(UnixAddr::from_abstract("x")?.as_abstract_name(), Some(&b"x"[..]));
    /// # Ok::<(), chapel_socket::Error>(())
    /// ```
    pub fn as_abstract_name(&self) -> Option<&[u8]> {
        match &self.0 {
            UnixName::Abstract(a) => Some(a),
            _ => None,
        }
    }

    /// Whether this is the name of an unnamed socket.
    ///
    /// ```
    /// use chapel_socket::UnixAddr;
    /// assert!(UnixAddr::unnamed().is_unnamed());
    /// ```
    pub fn is_unnamed(&self) -> bool {
        self.0 == UnixName::Unnamed
    }

    pub(crate) fn name(&self) -> &UnixName {
        &self.0
    }

    /// A name the kernel reported (it fits, being the kernel's).
    pub(crate) fn from_kernel(name: UnixName) -> UnixAddr {
        UnixAddr(name)
    }

    fn checked(name: UnixName) -> Result<UnixAddr> {
        name.check().map_err(|e| Error::new(Op::ParseAddress, Target::None, Cause::Invalid(why(&name, e))))?;
        Ok(UnixAddr(name))
    }
}

/// The message of a name that does not fit.
fn why(name: &UnixName, e: NameError) -> String {
    let what = if matches!(name, UnixName::Abstract(_)) { "abstract name" } else { "path" };
    match e {
        NameError::TooLong { len, max } => {
            format!("the Unix socket {what} is {len} bytes long; sun_path takes at most {max}")
        }
        NameError::Nul(at) => format!("the Unix socket path has a NUL byte at offset {at}"),
        NameError::Empty => "the Unix socket path is empty".into(),
    }
}

/// Writes `bytes` with `\\` for a backslash and `\xNN` for each byte of a control character
/// or of invalid UTF-8; a path's leading `@` or `(` as `\x40`/`\x28`.
fn escape(f: &mut fmt::Formatter<'_>, bytes: &[u8], is_path: bool) -> fmt::Result {
    let mut first = true;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            let lead = first && is_path && (c == '@' || c == '(');
            first = false;
            if c == '\\' {
                f.write_str("\\\\")?;
            } else if c.is_control() || lead {
                let mut utf8 = [0; 4];
                for b in c.encode_utf8(&mut utf8).bytes() {
                    write!(f, "\\x{b:02x}")?;
                }
            } else {
                write!(f, "{c}")?;
            }
        }
        for b in chunk.invalid() {
            first = false;
            write!(f, "\\x{b:02x}")?;
        }
    }
    Ok(())
}

/// Reads `escape`'s form back: `None` for a stray backslash or a bad `\xNN`.
fn unescape(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match rest {
            [b'\\', tail @ ..] => {
                out.push(b'\\');
                rest = tail;
            }
            [b'x', hi, lo, tail @ ..] => {
                let hex = std::str::from_utf8(&[*hi, *lo]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())?;
                out.push(hex);
                rest = tail;
            }
            _ => return None,
        }
    }
    Some(out)
}

impl fmt::Display for UnixAddr {
    /// `/path`, `@abstract` or `(unnamed)`, escaped as the type's documentation says.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            UnixName::Unnamed => f.write_str("(unnamed)"),
            UnixName::Path(p) => escape(f, p, true),
            UnixName::Abstract(a) => {
                f.write_str("@")?;
                escape(f, a, false)
            }
        }
    }
}

impl fmt::Debug for UnixAddr {
    /// `UnixAddr(/path)`, `UnixAddr(@name)`, `UnixAddr((unnamed))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnixAddr({self})")
    }
}

impl FromStr for UnixAddr {
    type Err = Error;

    /// What `Display` prints: `@name` is abstract, `(unnamed)` is unnamed, anything else a
    /// path; `\\` and `\xNN` are decoded in both.
    ///
    /// # Errors
    /// `InvalidInput` for a backslash that is not `\\` or `\xNN`, and for a name that does
    /// not fit (as [`from_path`](UnixAddr::from_path) and
    /// [`from_abstract`](UnixAddr::from_abstract)).
    fn from_str(text: &str) -> Result<UnixAddr> {
        if text == "(unnamed)" {
            return Ok(UnixAddr::unnamed());
        }
        let (is_abstract, body) = match text.strip_prefix('@') {
            Some(name) => (true, name),
            None => (false, text),
        };
        let bytes = unescape(body).ok_or_else(|| {
            let why = format!("{text:?}: a backslash must start \\\\ or \\xNN");
            Error::new(Op::ParseAddress, Target::None, Cause::Invalid(why))
        })?;
        if is_abstract { UnixAddr::from_abstract(bytes) } else { UnixAddr::from_path(OsStr::from_bytes(&bytes)) }
    }
}

impl TryFrom<&std::os::unix::net::SocketAddr> for UnixAddr {
    type Error = Error;

    /// `std`'s Unix socket address as one of these.
    ///
    /// # Errors
    /// None in practice: every address `std` can hold fits.
    fn try_from(addr: &std::os::unix::net::SocketAddr) -> Result<UnixAddr> {
        if let Some(path) = addr.as_pathname() {
            return UnixAddr::from_path(path);
        }
        #[cfg(has_unix_abstract)]
        if let Some(name) = std::os::linux::net::SocketAddrExt::as_abstract_name(addr) {
            return UnixAddr::from_abstract(name);
        }
        Ok(UnixAddr::unnamed())
    }
}

impl TryFrom<&UnixAddr> for std::os::unix::net::SocketAddr {
    type Error = Error;

    /// This address as `std`'s, for `std::os::unix::net`'s `bind_addr`/`connect_addr`.
    ///
    /// # Errors
    /// An unnamed address, or a path of all 108 bytes (`std` makes neither: it keeps room for
    /// a path's NUL).
    fn try_from(addr: &UnixAddr) -> Result<std::os::unix::net::SocketAddr> {
        let made = match &addr.0 {
            UnixName::Path(_) => {
                std::os::unix::net::SocketAddr::from_pathname(addr.as_pathname().unwrap_or(Path::new("")))
            }
            #[cfg(has_unix_abstract)]
            UnixName::Abstract(name) => {
                <std::os::unix::net::SocketAddr as std::os::linux::net::SocketAddrExt>::from_abstract_name(name)
            }
            _ => Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "std cannot make an unnamed address")),
        };
        made.map_err(|e| Error::new(Op::ParseAddress, Target::Unix(addr.clone()), Cause::Os(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_unambiguously_and_parses_back() {
        let cases: [(UnixAddr, &str); 8] = [
            (UnixAddr::from_path("/tmp/a b.sock").unwrap(), "/tmp/a b.sock"),
            (UnixAddr::from_path("rel/x").unwrap(), "rel/x"),
            (UnixAddr::from_path("@x").unwrap(), r"\x40x"),
            (UnixAddr::from_path("(unnamed)").unwrap(), r"\x28unnamed)"),
            (UnixAddr::from_path(OsStr::from_bytes(b"/t\\mp/\x01\xff\xc3\xa9")).unwrap(), "/t\\\\mp/\\x01\\xffé"),
            (UnixAddr::from_abstract(b"").unwrap(), "@"),
            (UnixAddr::from_abstract(b"\0@\n\\").unwrap(), r"@\x00@\x0a\\"),
            (UnixAddr::unnamed(), "(unnamed)"),
        ];
        for (addr, text) in cases {
            assert_eq!(addr.to_string(), text);
            assert_eq!(text.parse::<UnixAddr>().unwrap(), addr, "{text}");
            assert_eq!(format!("{addr:?}"), format!("UnixAddr({text})"));
        }
        for bad in [r"\q", r"\x4", r"\xzz", "@\\", "", "a\0b"] {
            assert_eq!(bad.parse::<UnixAddr>().unwrap_err().kind(), std::io::ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn errors_say_why() {
        let max = crate::sys::addr::UNIX_PATH_MAX;
        let err = UnixAddr::from_path("x".repeat(max + 1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("parse address: the Unix socket path is {} bytes long; sun_path takes at most {max}", max + 1)
        );
        assert!(UnixAddr::from_path("x".repeat(max)).is_ok());
        let err = UnixAddr::from_path("/a\0").unwrap_err();
        assert!(err.to_string().ends_with("a NUL byte at offset 2"), "{err}");
        assert!(UnixAddr::from_path("").unwrap_err().to_string().ends_with("is empty"));
        let err = UnixAddr::from_abstract(vec![0; max]).unwrap_err();
        assert!(
            err.to_string()
                .ends_with(&format!("abstract name is {max} bytes long; sun_path takes at most {}", max - 1)),
            "{err}"
        );
        assert!(UnixAddr::from_abstract(vec![0; max - 1]).is_ok());
    }

    #[test]
    fn converts_with_std() {
        for addr in [UnixAddr::from_path("/tmp/s").unwrap(), UnixAddr::from_abstract("n\0m").unwrap()] {
            let std_addr = std::os::unix::net::SocketAddr::try_from(&addr).unwrap();
            assert_eq!(UnixAddr::try_from(&std_addr).unwrap(), addr);
        }
        assert!(std::os::unix::net::SocketAddr::try_from(&UnixAddr::unnamed()).is_err());
    }
}
