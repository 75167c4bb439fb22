//! Name resolution with `getaddrinfo(3)`, keeping its `EAI_*` code on failure.

use std::ffi::CStr;
use std::io;
use std::ptr;

use super::addr::RawAddr;

/// A `getaddrinfo` failure: the `EAI_*` code, the `errno` behind `EAI_SYSTEM`, and
/// `gai_strerror`'s text.
#[derive(Debug)]
pub struct GaiError {
    pub code: libc::c_int,
    pub errno: Option<i32>,
    pub message: String,
}

/// What to look up and how.
pub struct Query<'a> {
    pub host: &'a CStr,
    pub service: &'a CStr,
    pub family: libc::c_int,
    pub socktype: libc::c_int,
    /// `AI_NUMERICHOST`: the host is an address literal, so no resolver file is read.
    pub numeric_host: bool,
    /// `AI_NUMERICSERV`: the service is a port number, so `/etc/services` is not read.
    pub numeric_service: bool,
}

/// The IPv4/IPv6 addresses `getaddrinfo` returns, in its order.
pub fn resolve(q: &Query<'_>) -> Result<Vec<std::net::SocketAddr>, GaiError> {
    let mut flags = 0;
    if q.numeric_host {
        flags |= libc::AI_NUMERICHOST;
    }
    if q.numeric_service {
        flags |= libc::AI_NUMERICSERV;
    }
    // SAFETY: `addrinfo` is plain old data; zeroes are the documented "no preference" hints.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = q.family;
    hints.ai_socktype = q.socktype;
    hints.ai_flags = flags;
    let mut list: *mut libc::addrinfo = ptr::null_mut();
    // SAFETY: host and service are NUL-terminated and outlive the call; `list` receives a
    // list that is freed below exactly once.
    let code = unsafe { libc::getaddrinfo(q.host.as_ptr(), q.service.as_ptr(), &hints, &mut list) };
    if code != 0 {
        let errno = (code == libc::EAI_SYSTEM).then(|| io::Error::last_os_error().raw_os_error()).flatten();
        return Err(GaiError { code, errno, message: gai_message(code) });
    }
    let mut out = Vec::new();
    let mut node = list;
    while !node.is_null() {
        // SAFETY: `node` is a non-null element of the list getaddrinfo returned, still alive.
        let info = unsafe { &*node };
        let len = info.ai_addrlen as usize;
        if !info.ai_addr.is_null() && len <= std::mem::size_of::<libc::sockaddr_storage>() {
            let mut raw = RawAddr::empty();
            // SAFETY: `ai_addr` points at `len` readable bytes and `raw.storage` has room
            // for them (checked above); the two do not overlap.
            unsafe { ptr::copy_nonoverlapping(info.ai_addr.cast::<u8>(), raw.as_mut_ptr().cast::<u8>(), len) };
            raw.len = info.ai_addrlen;
            out.extend(raw.to_socket_addr());
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

    fn query<'a>(host: &'a CStr, service: &'a CStr, family: libc::c_int) -> Query<'a> {
        Query { host, service, family, socktype: libc::SOCK_STREAM, numeric_host: true, numeric_service: true }
    }

    #[test]
    fn numeric_lookups() {
        let found = resolve(&query(c"127.0.0.1", c"80", libc::AF_UNSPEC)).unwrap();
        assert_eq!(found, vec!["127.0.0.1:80".parse().unwrap()]);
        let found = resolve(&query(c"::1", c"443", libc::AF_INET6)).unwrap();
        assert_eq!(found, vec!["[::1]:443".parse().unwrap()]);
    }

    #[test]
    fn failures_keep_the_eai_code() {
        let err = resolve(&query(c"not-numeric", c"80", libc::AF_UNSPEC)).unwrap_err();
        assert_eq!(err.code, libc::EAI_NONAME);
        assert!(!err.message.is_empty());
        let err = resolve(&query(c"127.0.0.1", c"80", libc::AF_INET6)).unwrap_err();
        assert_ne!(err.code, 0);
    }
}
