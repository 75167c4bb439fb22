//! The UDP commands: `udp-send` and `udp-recv`.

use std::io::{self, BufRead, Write};

use chapel_socket::{IPFamily, IpAddr, Timeout, UdpSocket, bind};

use crate::BoxError;

/// Room for the largest datagram UDP can carry.
pub const MAX_DATAGRAM: usize = 65_536;

/// `sockcat udp-send`: each stdin line, without its newline, as one datagram.
pub fn send_lines(host: &str, port: u16, timeout: Timeout) -> Result<(), BoxError> {
    let to = IpAddr::create(host, port, IPFamily::IPUnspec)?;
    let socket = UdpSocket::new(to.family())?;
    let mut sent = 0;
    for line in io::stdin().lock().split(b'\n') {
        socket.send(&line?, &to, timeout)?;
        sent += 1;
    }
    eprintln!("sent {sent} datagrams to {to}");
    Ok(())
}

/// `sockcat udp-recv`: prints `SENDER PAYLOAD` for each datagram, `count` of them or until
/// one does not come in time.
pub fn print_datagrams(host: &str, port: u16, timeout: Timeout, count: Option<u64>) -> Result<(), BoxError> {
    let at = IpAddr::create(host, port, IPFamily::IPUnspec)?;
    let socket = UdpSocket::new(at.family())?;
    bind(&socket, &at, true)?;
    eprintln!("listening on {} (UDP)", socket.addr()?);
    let mut stdout = io::stdout().lock();
    let mut received = 0;
    while count.is_none_or(|n| received < n) {
        let (payload, from) = socket.recvfrom(MAX_DATAGRAM, timeout, 0)?;
        write!(stdout, "{from} ")?;
        stdout.write_all(&payload)?;
        stdout.write_all(b"\n")?;
        stdout.flush()?;
        received += 1;
    }
    Ok(())
}
