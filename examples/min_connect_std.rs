//! The smallest connect-and-send with `std::net`; `min_connect_chapel` does the same with
//! chapel-socket. Built under `--profile min`, their sizes show what the crate adds (README).
//!
//! `cargo run --example min_connect_std -- 127.0.0.1:PORT` sends one line to PORT.

use std::io::Write;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let to: std::net::SocketAddr = std::env::args().nth(1).ok_or("usage: min_connect_std ADDR:PORT")?.parse()?;
    let mut conn = std::net::TcpStream::connect_timeout(&to, Duration::from_secs(5))?;
    conn.write_all(b"hello\n")?;
    Ok(())
}
