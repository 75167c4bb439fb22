//! Name resolution with `getaddrinfo(3)`, keeping its `EAI_*` code on failure.

use std::ffi::CStr;
use std::io;
use std::ptr;

use super::addr::returning_addr;
use super::{Domain, SockType};

/// A `getaddrinfo` failure: the `EAI_*` code, the `errno` behind `EAI_SYSTEM`, and
/// `gai_strerror`'s text.
#[derive(Debug)]
pub(crate) struct GaiError {
    pub(crate) code: i32,
    pub(crate) errno: Option<i32>,
    pub(crate) message: String,
}

impl GaiError {
    /// The category of the failure, as `std::io` names it.
    pub(crate) fn kind(&self) -> io::ErrorKind {
        match self.code {
            libc::EAI_SYSTEM => self.errno.map_or(io::ErrorKind::Other, |e| io::Error::from_raw_os_error(e).kind()),
            libc::EAI_MEMORY => io::ErrorKind::OutOfMemory,
            libc::EAI_FAMILY | libc::EAI_SOCKTYPE | libc::EAI_BADFLAGS => io::ErrorKind::InvalidInput,
            libc::EAI_AGAIN => io::ErrorKind::Other,
            _ => io::ErrorKind::NotFound,
        }
    }

    /// A failure with `code` as `getaddrinfo` would report it, for tests of the layers above.
    #[cfg(test)]
    pub(crate) fn from_code(code: i32, errno: Option<i32>) -> GaiError {
        GaiError { code, errno, message: gai_message(code) }
    }
}

/// What to look up and how.
pub(crate) struct Query<'a> {
    pub(crate) host: &'a CStr,
    pub(crate) service: &'a CStr,
    /// `None`: either family (`AF_UNSPEC`).
    pub(crate) family: Option<Domain>,
    pub(crate) socktype: SockType,
    /// `AI_NUMERICHOST`: the host is an address literal, so no resolver file is read.
    pub(crate) numeric_host: bool,
    /// `AI_NUMERICSERV`: the service is a port number, so `/etc/services` is not read.
    pub(crate) numeric_service: bool,
}

/// The IPv4/IPv6 addresses `getaddrinfo` returns, in its order.
pub(crate) fn resolve(q: &Query<'_>) -> Result<Vec<std::net::SocketAddr>, GaiError> {
    let mut flags = 0;
    if q.numeric_host {
        flags |= libc::AI_NUMERICHOST;
    }
    if q.numeric_service {
        flags |= libc::AI_NUMERICSERV;
    }
    // SAFETY: `addrinfo` is plain old data; zeroes are the documented "no preference" hints.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = q.family.map_or(libc::AF_UNSPEC, Domain::raw);
    hints.ai_socktype = q.socktype.raw();
    hints.ai_flags = flags;
    let mut list: *mut libc::addrinfo = ptr::null_mut();
    // SAFETY: host and service are NUL-terminated and outlive the call; `list` receives a
    // list that is freed below exactly once.
    let code = unsafe { libc::getaddrinfo(q.host.as_ptr(), q.service.as_ptr(), &hints, &mut list) };
    if code != 0 {
        let errno = (code == libc::EAI_SYSTEM).then(|| io::Error::last_os_error().raw_os_error()).flatten();
        let message = gai_message(code);
        audit!("getaddrinfo", &Ok::<_, io::Error>(code), |a| {
            a.bytes(q.host.to_bytes()).bytes(q.service.to_bytes()).hints(&hints).ptr(&list).tail(format_args!(
                " {} ({message}{})",
                super::audit::gai_name(code),
                errno.map_or(String::new(), |e| format!(": {}", super::audit::errno_name(e)))
            ))
        });
        return Err(GaiError { code, errno, message });
    }
    // SAFETY: the list getaddrinfo returned is alive until it is freed below.
    audit!("getaddrinfo", &Ok::<_, io::Error>(code), |a| unsafe {
        a.bytes(q.host.to_bytes()).bytes(q.service.to_bytes()).hints(&hints).addrinfo(list)
    });
    let mut out = Vec::new();
    let mut node = list;
    while !node.is_null() {
        // SAFETY: `node` is a non-null element of the list getaddrinfo returned, still alive.
        let info = unsafe { &*node };
        if !info.ai_addr.is_null() {
            let copied = returning_addr::<_, std::net::SocketAddr>(|addr, room| {
                // SAFETY: `room` points at the helper's live length and `addr` at room for that
                // many bytes; `ai_addr` points at `ai_addrlen` readable bytes that do not
                // overlap it. Only an address that fits is copied: a longer one is of a family
                // this crate does not speak, and a length of 0 makes it `None`.
                unsafe {
                    if info.ai_addrlen <= *room {
                        ptr::copy_nonoverlapping(info.ai_addr.cast::<u8>(), addr.cast(), info.ai_addrlen as usize);
                        *room = info.ai_addrlen;
                    } else {
                        *room = 0;
                    }
                }
                Ok(())
            });
            out.extend(copied.ok().and_then(|(_, a)| a));
        }
        node = info.ai_next;
    }
    // SAFETY: `list` came from a successful getaddrinfo and is freed once, after its last use.
    unsafe { libc::freeaddrinfo(list) };
    Ok(out)
}

fn gai_message(code: libc::c_int) -> String {
    // SAFETY: gai_strerror returns a pointer to a static NUL-terminated string.
    let text = unsafe { CStr::from_ptr(libc::gai_strerror(code)) };
    text.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query<'a>(host: &'a CStr, service: &'a CStr, family: Option<Domain>) -> Query<'a> {
        Query { host, service, family, socktype: SockType::Stream, numeric_host: true, numeric_service: true }
    }

    #[test]
    fn numeric_lookups() {
        let found = resolve(&query(c"127.0.0.1", c"80", None)).unwrap();
        assert_eq!(found, vec!["127.0.0.1:80".parse().unwrap()]);
        let found = resolve(&query(c"::1", c"443", Some(Domain::Ipv6))).unwrap();
        assert_eq!(found, vec!["[::1]:443".parse().unwrap()]);
    }

    #[test]
    fn failures_keep_the_eai_code() {
        let err = resolve(&query(c"not-numeric", c"80", None)).unwrap_err();
        assert_eq!(err.code, libc::EAI_NONAME);
        assert!(!err.message.is_empty());
        let err = resolve(&query(c"127.0.0.1", c"80", Some(Domain::Ipv6))).unwrap_err();
        assert_ne!(err.code, 0);
    }
}
