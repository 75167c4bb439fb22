//! `sockcat`: a netcat on chapel-socket's public API, with OpenBSD nc's everyday flags.
//! `sockcat demo` tours the crate; `sockcat --help` lists the rest.

mod args;
mod demo;
mod session;
mod tcp;
mod udp;
mod unix;

use std::process::ExitCode;

use args::{Command, Mode, Run};
use session::{End, Outcome};

/// Any failure a command reports: the crate's [`chapel_socket::Error`] or an I/O error on
/// stdin/stdout.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let command = args::from_os(std::env::args_os().skip(1)).and_then(|args| args::parse(&args));
    let run = match command {
        Ok(Command::Help(text)) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Demo) => {
            return match demo::run() {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => failed(&*e),
            };
        }
        Ok(Command::Run(run)) => run,
        Err(why) => {
            eprintln!("sockcat: {why}; try 'sockcat --help'");
            return ExitCode::from(2);
        }
    };
    if run.trace {
        trace_to_stderr();
    }
    match serve(run) {
        Ok(End::Done | End::StdoutClosed) => ExitCode::SUCCESS,
        Ok(End::NoneOpen) => ExitCode::FAILURE,
        Err(e) => failed(&*e),
    }
}

/// `--trace`: each call the crate makes, on any thread, printed on stderr as it happens, in
/// `strace`'s syntax.
#[cfg(feature = "audit")]
fn trace_to_stderr() {
    use chapel_socket::audit;
    audit::set_sink(Some(|call: &audit::Call| eprintln!("{call}")));
}

/// Without the `audit` feature, `--trace` is refused on the command line.
#[cfg(not(feature = "audit"))]
fn trace_to_stderr() {}

fn serve(Run { mode, verbose, session, .. }: Run) -> Outcome {
    match mode {
        Mode::Connect { host, service, family, source, timeout } => {
            tcp::connect(&host, &service, family, source, timeout, verbose, session)
        }
        Mode::Probe { host, ports, family, source, timeout } => {
            tcp::probe(&host, &ports, family, source, timeout, verbose)
        }
        Mode::Listen { at, keep, echo: true } => tcp::echo_server(&at, keep, verbose, session.idle),
        Mode::Listen { at, keep, echo: false } => tcp::listen_and_serve(&at, keep, verbose, session),
        Mode::UdpConnect { peer, source } => udp::connect(peer, source, verbose, session),
        Mode::UdpListen { at, keep } => udp::listen(&at, keep, verbose, session),
        Mode::UnixConnect { addr, timeout } => unix::connect(&addr, timeout, verbose, session),
        Mode::UnixListen { at, keep } => unix::listen_and_serve(&at, keep, verbose, session),
        Mode::UnixDatagramConnect { peer } => unix::datagram_connect(peer, verbose, session),
        Mode::UnixDatagramListen { at, keep } => unix::datagram_listen(&at, keep, verbose, session),
    }
}

fn failed(e: &(dyn std::error::Error + Send + Sync)) -> ExitCode {
    eprintln!("sockcat: {e}");
    ExitCode::FAILURE
}
