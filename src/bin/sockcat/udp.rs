//! UDP (`-u`): a two-way session with one peer, as nc's; each stdin read is one datagram and
//! each datagram's payload goes to stdout as it is.

use std::sync::{Arc, Mutex, PoisonError};

use chapel_socket::{INDEFINITE_TIMEOUT, IpAddr, Timeout, UdpSocket, bind};

use crate::args::Settings;
use crate::session::{self, End, Got, Input, Link, Outcome, write_out};

/// Room for the largest datagram UDP can carry.
pub const MAX_DATAGRAM: usize = 65_536;

/// The most an IPv4 datagram can carry: stdin is read in pieces no larger.
const MAX_PAYLOAD: usize = 65_507;

/// A UDP socket with its peer: datagrams from others are ignored, unless every sender is heard
/// (`-l -k`), when the latest sender is the peer.
struct Udp {
    socket: UdpSocket,
    peer: Mutex<IpAddr>,
    any_sender: bool,
}

impl Udp {
    fn peer(&self) -> IpAddr {
        *self.peer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Link for Udp {
    fn receive(&self, buf: &mut [u8]) -> Result<Got, chapel_socket::Error> {
        let (n, from) = self.socket.recv_from_into(buf, INDEFINITE_TIMEOUT, 0)?;
        if self.any_sender {
            *self.peer.lock().unwrap_or_else(PoisonError::into_inner) = from;
        } else if from != self.peer() {
            return Ok(Got::Nothing);
        }
        Ok(Got::Data(n))
    }

    fn transmit(&self, bytes: &[u8], timeout: Timeout) -> Result<(), chapel_socket::Error> {
        self.socket.send(bytes, &self.peer(), timeout).map(drop)
    }

    fn half_close(&self) -> Result<(), chapel_socket::Error> {
        Ok(())
    }

    fn abort(&self) {
        // UDP sessions end with the process; nothing waits on them.
    }
}

/// `-u HOST PORT`: a session with `peer`, from `source` if given.
pub fn connect(peer: IpAddr, source: Option<IpAddr>, verbose: bool, settings: Settings) -> Outcome {
    let socket = UdpSocket::new(peer.family())?;
    if let Some(source) = source {
        bind(&socket, &source, true)?;
    }
    if verbose {
        eprintln!("sending to {peer} (UDP)");
    }
    let link = Udp { socket, peer: Mutex::new(peer), any_sender: false };
    session::run(&Arc::new(link), &mut Input::new(MAX_PAYLOAD), settings)
}

/// `-u -l`: waits for a first datagram; its sender is the peer (with `keep`, the latest
/// sender is).
pub fn listen(at: &IpAddr, keep: bool, verbose: bool, settings: Settings) -> Outcome {
    let socket = UdpSocket::new(at.family())?;
    bind(&socket, at, true)?;
    if verbose {
        eprintln!("listening on {} (UDP)", socket.addr()?);
    }
    let mut buf = vec![0; MAX_DATAGRAM];
    let (n, from) = socket.recv_from_into(&mut buf, INDEFINITE_TIMEOUT, 0)?;
    if verbose {
        eprintln!("connection from {from}");
    }
    if let Err(e) = write_out(&buf[..n]) {
        return match e.kind() {
            std::io::ErrorKind::BrokenPipe => Ok(End::StdoutClosed),
            _ => Err(format!("stdout: {e}").into()),
        };
    }
    let link = Udp { socket, peer: Mutex::new(from), any_sender: keep };
    session::run(&Arc::new(link), &mut Input::new(MAX_PAYLOAD), settings)
}
