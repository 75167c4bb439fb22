//! Unix-domain sockets (`-U`): stream sessions as TCP's, and with `-u` datagram sessions as
//! UDP's. A PATH is a socket file; `@NAME` is a name in Linux's abstract namespace.
//!
//! Socket files are left alone, as the crate leaves them: listening where a file already is
//! fails (`Address already in use`), and the file a listener created stays when sockcat
//! exits, as Debian's nc leaves it.

use std::net::Shutdown;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use chapel_socket::{BACKLOG_DEFAULT, INDEFINITE_TIMEOUT, Timeout, UnixAddr, UnixDatagram, UnixListener, UnixStream};

use crate::BoxError;
use crate::args::Settings;
use crate::session::{self, End, Got, Input, Link, Outcome, write_out};
use crate::tcp::{CHUNK, accept_retrying};

/// Room for the largest datagram sockcat takes (a longer one is an error naming its length).
const MAX_DATAGRAM: usize = 65_536;

/// A Unix stream connection as a session's peer side.
struct Stream(UnixStream);

impl Link for Stream {
    fn receive(&self, buf: &mut [u8]) -> Result<Got, chapel_socket::Error> {
        Ok(match self.0.recv(buf, INDEFINITE_TIMEOUT)? {
            0 => Got::End,
            n => Got::Data(n),
        })
    }

    fn transmit(&self, mut bytes: &[u8], timeout: Timeout) -> Result<(), chapel_socket::Error> {
        while !bytes.is_empty() {
            bytes = &bytes[self.0.send(bytes, timeout)?..];
        }
        Ok(())
    }

    fn half_close(&self) -> Result<(), chapel_socket::Error> {
        self.0.shutdown(Shutdown::Write)
    }

    fn abort(&self) {
        // Not connected any more is as good as shut down.
        let _ = self.0.shutdown(Shutdown::Both);
    }
}

/// `-U PATH`: one session with the listener at `addr`.
pub fn connect(addr: &UnixAddr, timeout: Timeout, verbose: bool, settings: Settings) -> Outcome {
    let conn = UnixStream::connect(addr, timeout)?;
    if verbose {
        eprintln!("connected to {addr}");
    }
    session::run(&Arc::new(Stream(conn)), &mut Input::new(CHUNK), settings)
}

/// `-l -U PATH`: sessions with whoever connects, one after another with `keep`, as TCP's.
pub fn listen_and_serve(at: &UnixAddr, keep: bool, verbose: bool, settings: Settings) -> Outcome {
    let listener = UnixListener::bind(at, BACKLOG_DEFAULT).map_err(|e| in_use(e, at))?;
    if verbose {
        eprintln!("listening on {at}");
    }
    session::serve_each(listener, keep, CHUNK, settings, |listener| {
        let conn = accept_retrying(|| listener.accept(INDEFINITE_TIMEOUT), verbose)?;
        if verbose {
            // The client is most often unnamed: who it is, the kernel says.
            match conn.peer_credentials() {
                Ok(peer) => eprintln!("connection on {at} from pid {} (uid {})", peer.pid, peer.uid),
                Err(_) => eprintln!("connection on {at}"),
            }
        }
        Ok(Stream(conn))
    })
}

/// A bind error, with what to do about a file already at the path.
fn in_use(e: chapel_socket::Error, at: &UnixAddr) -> BoxError {
    if e.kind() == std::io::ErrorKind::AddrInUse && at.as_pathname().is_some() {
        format!("{e} (sockcat never removes a socket file: remove it if it is stale, or use @NAME)").into()
    } else {
        e.into()
    }
}

/// A Unix datagram socket with its peer: datagrams from others are ignored, unless every
/// sender is heard (`-l -k`), when the latest sender is the peer.
struct Datagrams {
    socket: UnixDatagram,
    peer: Mutex<UnixAddr>,
    any_sender: bool,
}

impl Datagrams {
    fn peer(&self) -> UnixAddr {
        self.peer.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Link for Datagrams {
    fn receive(&self, buf: &mut [u8]) -> Result<Got, chapel_socket::Error> {
        let (n, from) = self.socket.recv_from(buf, INDEFINITE_TIMEOUT)?;
        if self.any_sender {
            *self.peer.lock().unwrap_or_else(PoisonError::into_inner) = from;
        } else if from != self.peer() {
            return Ok(Got::Nothing);
        }
        Ok(Got::Data(n))
    }

    fn transmit(&self, bytes: &[u8], timeout: Timeout) -> Result<(), chapel_socket::Error> {
        self.socket.send_to(bytes, &self.peer(), timeout).map(drop)
    }

    fn half_close(&self) -> Result<(), chapel_socket::Error> {
        Ok(())
    }

    fn abort(&self) {
        // Datagram sessions end with the process; nothing waits on them.
    }
}

/// A fresh abstract name for a datagram client to receive replies at: no file to remove.
fn own_name() -> Result<UnixAddr, chapel_socket::Error> {
    static TAKEN: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let n = TAKEN.fetch_add(1, Ordering::Relaxed);
    UnixAddr::from_abstract(format!("sockcat.{}.{nanos:09}.{n}", std::process::id()))
}

/// `-u -U PATH`: a datagram session with the socket at `peer`, from an abstract name of its
/// own so that the peer can answer.
pub fn datagram_connect(peer: UnixAddr, verbose: bool, settings: Settings) -> Outcome {
    let mut tries = 0;
    let socket = loop {
        // Another process may hold the name just made: make another.
        match UnixDatagram::bind(&own_name()?) {
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 8 => tries += 1,
            bound => break bound?,
        }
    };
    if verbose {
        eprintln!("sending to {peer} (datagrams, from {})", socket.local_addr()?);
    }
    let link = Datagrams { socket, peer: Mutex::new(peer), any_sender: false };
    session::run(&Arc::new(link), &mut Input::new(MAX_DATAGRAM), settings)
}

/// `-l -u -U PATH`: waits for a first datagram; its sender is the peer (with `keep`, the
/// latest sender is). A sender that never bound a name cannot be answered.
pub fn datagram_listen(at: &UnixAddr, keep: bool, verbose: bool, settings: Settings) -> Outcome {
    let socket = UnixDatagram::bind(at).map_err(|e| in_use(e, at))?;
    if verbose {
        eprintln!("listening on {at} (datagrams)");
    }
    let mut buf = vec![0; MAX_DATAGRAM];
    let (n, from) = socket.recv_from(&mut buf, INDEFINITE_TIMEOUT)?;
    if verbose {
        if from.is_unnamed() {
            eprintln!("datagram from an unnamed socket: it cannot be answered");
        } else {
            eprintln!("connection from {from}");
        }
    }
    if let Err(e) = write_out(&buf[..n]) {
        return match e.kind() {
            std::io::ErrorKind::BrokenPipe => Ok(End::StdoutClosed),
            _ => Err(format!("stdout: {e}").into()),
        };
    }
    let link = Datagrams { socket, peer: Mutex::new(from), any_sender: keep };
    session::run(&Arc::new(link), &mut Input::new(MAX_DATAGRAM), settings)
}
