//! The command line, parsed by hand into a [`Command`].

use chapel_socket::{IPFamily, Timeout};

/// What `--help` prints, and what a bad command line prints after its one-line reason.
pub const USAGE: &str = "\
usage: sockcat COMMAND [ARGS] [OPTIONS]

Commands (HOST is numeric, 127.0.0.1 or ::1, except for connect; it defaults to 127.0.0.1
where it is optional; PORT 0 lets the kernel choose):
  demo                                   a tour over loopback: echo servers, TCP and UDP
                                         round trips, a timeout expiring; timings shown
  listen [HOST] PORT [--timeout S] [--keep]
                                         accept one TCP connection (--keep: one after
                                         another), copy stdin to it and it to stdout
  connect HOST SERVICE [--family 4|6] [--timeout S]
                                         connect (HOST may be a name, SERVICE a port or a
                                         service name), copy stdin to it and it to stdout
  udp-send HOST PORT [--timeout S]       send each stdin line as one datagram
  udp-recv [HOST] PORT [--timeout S] [--count N]
                                         print each datagram as \"SENDER PAYLOAD\"
  echo [HOST] PORT                       a TCP echo server (a thread per connection)

Options:
  --timeout S   seconds (a real number, e.g. 0.5) to wait for the connection (accept,
                connect) or for each datagram; default: wait for ever
  --keep        listen: serve connections one after another
  --family 4|6  connect: resolve HOST to IPv4 or IPv6 addresses only
  --count N     udp-recv: stop after N datagrams
  -h, --help    this text

A TCP session ends when both sides have finished sending: at the end of stdin sockcat shuts
down its sending side and keeps reading until the peer's end of stream. Listening addresses
go to stderr (\"listening on 127.0.0.1:PORT\"); errors go to stderr as one line, with exit
status 1; a bad command line exits with status 2.";

/// One parsed command line.
#[derive(Debug, PartialEq)]
pub enum Command {
    Help,
    Demo,
    Listen { host: String, port: u16, timeout: Timeout, keep: bool },
    Connect { host: String, service: String, family: IPFamily, timeout: Timeout },
    UdpSend { host: String, port: u16, timeout: Timeout },
    UdpRecv { host: String, port: u16, timeout: Timeout, count: Option<u64> },
    Echo { host: String, port: u16 },
}

/// The host listening commands use when none is given: loopback.
const DEFAULT_HOST: &str = "127.0.0.1";

/// Options as given, before each command takes those it accepts.
#[derive(Default)]
struct Options {
    timeout: Option<Timeout>,
    keep: bool,
    family: Option<IPFamily>,
    count: Option<u64>,
}

/// Parses the arguments after the program name; `Err` holds the one-line reason.
pub fn parse(args: &[String]) -> Result<Command, String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Command::Help);
    }
    let (name, rest) = args.split_first().ok_or("no command given")?;
    let mut options = Options::default();
    let mut positional = Vec::new();
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--timeout" => options.timeout = Some(seconds(value()?)?),
            "--keep" => options.keep = true,
            "--family" => options.family = Some(family(value()?)?),
            "--count" => options.count = Some(value()?.parse().map_err(|_| "--count needs a whole number")?),
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            _ => positional.push(arg.clone()),
        }
    }
    let command = match name.as_str() {
        "demo" => {
            allow(&options, &[])?;
            none_left(&positional)?;
            Command::Demo
        }
        "listen" => {
            allow(&options, &["--timeout", "--keep"])?;
            let (host, port) = host_port(&positional, true)?;
            Command::Listen { host, port, timeout: options.timeout.unwrap_or_default(), keep: options.keep }
        }
        "connect" => {
            allow(&options, &["--timeout", "--family"])?;
            let [host, service] = positional.as_slice() else {
                return Err("connect needs HOST and SERVICE".into());
            };
            let (host, service) = (host.clone(), service.clone());
            let family = options.family.unwrap_or(IPFamily::IPUnspec);
            Command::Connect { host, service, family, timeout: options.timeout.unwrap_or_default() }
        }
        "udp-send" => {
            allow(&options, &["--timeout"])?;
            let (host, port) = host_port(&positional, false)?;
            Command::UdpSend { host, port, timeout: options.timeout.unwrap_or_default() }
        }
        "udp-recv" => {
            allow(&options, &["--timeout", "--count"])?;
            let (host, port) = host_port(&positional, true)?;
            Command::UdpRecv { host, port, timeout: options.timeout.unwrap_or_default(), count: options.count }
        }
        "echo" => {
            allow(&options, &[])?;
            let (host, port) = host_port(&positional, true)?;
            Command::Echo { host, port }
        }
        other => return Err(format!("unknown command {other:?}")),
    };
    Ok(command)
}

/// Rejects the options given that the command does not take.
fn allow(options: &Options, allowed: &[&str]) -> Result<(), String> {
    let given = [
        ("--timeout", options.timeout.is_some()),
        ("--keep", options.keep),
        ("--family", options.family.is_some()),
        ("--count", options.count.is_some()),
    ];
    match given.iter().find(|(name, set)| *set && !allowed.contains(name)) {
        Some((name, _)) => Err(format!("this command does not take {name}")),
        None => Ok(()),
    }
}

fn none_left(positional: &[String]) -> Result<(), String> {
    match positional.first() {
        Some(extra) => Err(format!("unexpected argument {extra:?}")),
        None => Ok(()),
    }
}

/// `[HOST] PORT` (or `HOST PORT` when the host is required).
fn host_port(positional: &[String], host_optional: bool) -> Result<(String, u16), String> {
    let (host, port) = match positional {
        [port] if host_optional => (DEFAULT_HOST, port),
        [host, port] => (host.as_str(), port),
        [] | [_] => return Err(if host_optional { "PORT is missing" } else { "HOST and PORT are needed" }.into()),
        [_, _, extra, ..] => return Err(format!("unexpected argument {extra:?}")),
    };
    let port = port.parse().map_err(|_| format!("{port:?} is not a port (0 to 65535)"))?;
    Ok((host.to_string(), port))
}

/// Seconds as a real number: `0.25`, `3`, `inf` (for ever).
fn seconds(text: &str) -> Result<Timeout, String> {
    match text.parse::<f64>() {
        Ok(s) if s >= 0.0 => Ok(Timeout::from(s)),
        _ => Err(format!("--timeout needs seconds >= 0, not {text:?}")),
    }
}

fn family(text: &str) -> Result<IPFamily, String> {
    match text {
        "4" => Ok(IPFamily::IPv4),
        "6" => Ok(IPFamily::IPv6),
        _ => Err(format!("--family is 4 or 6, not {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn parse_line(line: &str) -> Result<Command, String> {
        parse(&line.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn commands_with_defaults_and_options() {
        assert_eq!(parse_line("demo"), Ok(Command::Demo));
        assert_eq!(parse_line("listen 0 --help"), Ok(Command::Help));
        assert_eq!(
            parse_line("listen 0"),
            Ok(Command::Listen { host: "127.0.0.1".into(), port: 0, timeout: Timeout::INDEFINITE, keep: false })
        );
        assert_eq!(
            parse_line("listen --keep ::1 8080 --timeout 0.5"),
            Ok(Command::Listen {
                host: "::1".into(),
                port: 8080,
                timeout: Duration::from_millis(500).into(),
                keep: true
            })
        );
        assert_eq!(
            parse_line("connect localhost http --family 6"),
            Ok(Command::Connect {
                host: "localhost".into(),
                service: "http".into(),
                family: IPFamily::IPv6,
                timeout: Timeout::INDEFINITE
            })
        );
        assert_eq!(
            parse_line("udp-recv 9 --count 3 --timeout inf"),
            Ok(Command::UdpRecv { host: "127.0.0.1".into(), port: 9, timeout: Timeout::INDEFINITE, count: Some(3) })
        );
        assert_eq!(
            parse_line("udp-send 127.0.0.1 9 --timeout 2"),
            Ok(Command::UdpSend { host: "127.0.0.1".into(), port: 9, timeout: Duration::from_secs(2).into() })
        );
        assert_eq!(parse_line("echo 7"), Ok(Command::Echo { host: "127.0.0.1".into(), port: 7 }));
    }

    #[test]
    fn bad_lines_say_why() {
        for (line, why) in [
            ("", "no command given"),
            ("frobnicate", "unknown command \"frobnicate\""),
            ("listen", "PORT is missing"),
            ("listen 65536", "\"65536\" is not a port (0 to 65535)"),
            ("listen 1 2 3", "unexpected argument \"3\""),
            ("listen 0 --timeout", "--timeout needs a value"),
            ("listen 0 --timeout -1", "--timeout needs seconds >= 0, not \"-1\""),
            ("listen 0 --timeout NaN", "--timeout needs seconds >= 0, not \"NaN\""),
            ("listen 0 --family 4", "this command does not take --family"),
            ("connect localhost", "connect needs HOST and SERVICE"),
            ("connect h 80 --family 5", "--family is 4 or 6, not \"5\""),
            ("udp-send 9", "HOST and PORT are needed"),
            ("udp-recv 9 --count x", "--count needs a whole number"),
            ("echo 0 --keep", "this command does not take --keep"),
            ("demo now", "unexpected argument \"now\""),
            ("demo -v", "unknown option -v"),
        ] {
            assert_eq!(parse_line(line), Err(why.to_string()), "{line}");
        }
    }
}
