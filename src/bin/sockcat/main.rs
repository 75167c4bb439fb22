//! `sockcat`: a small netcat on chapel-socket's public API. `sockcat demo` tours the crate;
//! `sockcat --help` lists the rest.

mod args;
mod copy;
mod demo;
mod tcp;
mod udp;

use std::process::ExitCode;

use args::Command;

/// Any failure a command reports: the crate's [`chapel_socket::Error`] or an I/O error on
/// stdin/stdout.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match args::parse(&args) {
        Ok(command) => command,
        Err(why) => {
            eprintln!("sockcat: {why}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let done = match command {
        Command::Help => {
            println!("{}", args::USAGE);
            Ok(())
        }
        Command::Demo => demo::run(),
        Command::Listen { host, port, timeout, keep } => tcp::listen_and_copy(&host, port, timeout, keep),
        Command::Connect { host, service, family, timeout } => tcp::connect_and_copy(&host, &service, family, timeout),
        Command::UdpSend { host, port, timeout } => udp::send_lines(&host, port, timeout),
        Command::UdpRecv { host, port, timeout, count } => udp::print_datagrams(&host, port, timeout, count),
        Command::Echo { host, port } => tcp::echo_server(&host, port),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sockcat: {e}");
            ExitCode::FAILURE
        }
    }
}
