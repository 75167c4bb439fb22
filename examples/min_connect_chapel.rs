//! The smallest connect-and-send with chapel-socket; `min_connect_std` does the same with
//! `std::net`. Built under `--profile min`, their sizes show what the crate adds (README).
//!
//! `cargo run --example min_connect_chapel -- 127.0.0.1:PORT` sends one line to PORT.

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let to: chapel_socket::IpAddr = std::env::args().nth(1).ok_or("usage: min_connect_chapel ADDR:PORT")?.parse()?;
    let mut conn = chapel_socket::connect(&to, 5.0)?;
    conn.write_all(b"hello\n")?;
    Ok(())
}
