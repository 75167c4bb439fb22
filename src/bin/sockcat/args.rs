//! The command line, parsed by hand (getopt-style, as OpenBSD nc's) into a [`Command`].

use std::ffi::OsString;
use std::time::Duration;

use chapel_socket::{IPFamily, IpAddr, Timeout, UnixAddr};

/// What `--help` prints.
pub const USAGE: &str = "\
usage: sockcat [-46klNnuvz] [-p PORT] [-q SECS] [-s ADDR] [-w SECS] [HOST] [PORT]
       sockcat -l [--echo] [-k] [-v] [-w SECS] [-p PORT | [HOST] PORT]
       sockcat [-lkNuv] [-q SECS] [-w SECS] -U PATH
       sockcat demo

OpenBSD nc's everyday flags, same meanings; bytes go in and out untouched.
  HOST PORT   connect over TCP; copy stdin to the peer and the peer to stdout
  -l          listen for one connection ([HOST] PORT or -p PORT; HOST defaults
              to loopback, 127.0.0.1 or ::1 with -6; 0.0.0.0 listens everywhere)
  -k          with -l: after a connection ends, accept the next one
  -u          UDP: each stdin read is a datagram; with -l the first sender is the
              peer (with -k too: every sender is heard, stdin goes to the latest)
  -U          a Unix-domain stream socket at PATH instead of HOST PORT (@NAME: an
              abstract name); with -u, datagrams. With -l, PATH must not exist:
              sockcat never removes a socket file (nor the one it made)
  -z          probe: connect and close; exit 0 if a port is open, 1 if none is;
              PORT… may be several: ports, ranges P1-P2, service names (http)
  -w SECS     give up connecting after SECS, and end a session idle (no byte
              either way) for SECS
  -q SECS     after the end of stdin, wait SECS then quit (negative: never)
  -N          shut down the sending side at the end of stdin
  -s ADDR     connect (-u or TCP, -z too) from ADDR (numeric); -p PORT: from
              PORT (with -l: the port to listen on)
  -4, -6      IPv4 or IPv6 only
  -n          never resolve: HOST and PORT must be numeric
  -v          report listening, connections, probes and errors on stderr
  -h, --help  this text (with demo or --echo: about that)
  --echo      with -l: send back what each connection sends (with -k: serve
              all connections at once, a thread each); stdin is not read
  --trace     print each syscall sockcat makes through the crate on stderr, as
              strace prints it, as it happens (sockcat built with --features audit)
  demo        a tour over loopback: echo servers, TCP and UDP round trips, a
              timeout expiring; each step timed

A session ends when the peer has finished and so has stdin (or at -q, -w), and
at once when anything fails; a closed stdout ends it quietly. A name is
resolved only as the HOST of a TCP connect; elsewhere HOST is numeric (or
localhost: loopback). Exit status: 0 done, 1 an error (one line on stderr) or
no open port for -z, 2 a bad command line.";

/// What `sockcat demo --help` prints.
pub const DEMO_USAGE: &str = "\
usage: sockcat demo

Starts a TCP and a UDP echo server on loopback (ports chosen by the kernel),
round-trips a message through each, lets a 250 ms receive timeout expire on
purpose, and prints every step with the time it took. Exit status 0 when every
step did what it says, 1 (with the failed step on stderr) otherwise.";

/// What `sockcat --echo --help` prints.
pub const ECHO_USAGE: &str = "\
usage: sockcat -l --echo [-k] [-v] [-w SECS] [-4|-6] [-p PORT | [HOST] PORT]

A TCP echo server (nc has none): sends back every byte each connection sends
until its end of stream (or -w SECS of idleness), then closes it. Without -k it
serves one connection; with -k it serves every connection at once, a thread
each, and outlives a lack of descriptors (it waits and accepts again). -v
reports the listening address and the bytes each connection echoed.";

/// One parsed command line.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// Print this text on stdout.
    Help(&'static str),
    Demo,
    Run(Run),
}

/// A networking run: what to do, how loudly, and how its sessions end.
#[derive(Debug, PartialEq)]
pub struct Run {
    pub mode: Mode,
    pub verbose: bool,
    pub session: Settings,
    /// `--trace`: every call the crate makes, on stderr.
    pub trace: bool,
}

/// How a session's ends are handled.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Settings {
    /// `-w`: the session ends after this long with no byte either way.
    pub idle: Option<Duration>,
    /// `-N`: shut down the sending side at the end of stdin.
    pub half_close: bool,
    /// `-q`: the session ends this long after the end of stdin.
    pub quit_after: Option<Duration>,
    /// `-v`: say on stderr why a session ended when it was not the peer's or stdin's end
    /// (`-w`'s idle time).
    pub verbose: bool,
}

/// One `-z` port argument: a port, a range `P1-P2`, or a service name (`http`), which the
/// resolver turns into a port.
#[derive(Debug, PartialEq)]
pub enum Ports {
    Range(u16, u16),
    Service(String),
}

/// What a run does.
#[derive(Debug, PartialEq)]
pub enum Mode {
    /// `HOST PORT`: a TCP session with the first address of `host` that accepts, from
    /// `source` if given (`service` is then a number).
    Connect { host: String, service: String, family: IPFamily, source: Option<Source>, timeout: Timeout },
    /// `-z HOST PORT…`: which ports accept a connection (each from `source` if given); each
    /// argument a port, a range or a service name.
    Probe { host: String, ports: Vec<Ports>, family: IPFamily, source: Option<Source>, timeout: Timeout },
    /// `-l`: TCP sessions (or echoes) with whoever connects.
    Listen { at: IpAddr, keep: bool, echo: bool },
    /// `-u HOST PORT`: a UDP session with one peer.
    UdpConnect { peer: IpAddr, source: Option<IpAddr> },
    /// `-u -l`: a UDP session with the first sender (every sender with `keep`).
    UdpListen { at: IpAddr, keep: bool },
    /// `-U PATH`: a session with the Unix stream listener at `addr`.
    UnixConnect { addr: UnixAddr, timeout: Timeout },
    /// `-l -U PATH`: sessions with whoever connects at `at`, as [`Mode::Listen`].
    UnixListen { at: UnixAddr, keep: bool },
    /// `-u -U PATH`: a Unix datagram session with the socket at `peer`.
    UnixDatagramConnect { peer: UnixAddr },
    /// `-l -u -U PATH`: a Unix datagram session with the first sender, as [`Mode::UdpListen`].
    UnixDatagramListen { at: UnixAddr, keep: bool },
}

/// `-s ADDR` and/or `-p PORT` of a TCP connect: where its socket binds before connecting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Source {
    /// `-s`, with `port`; `None`: the wildcard address of each peer's family.
    pub addr: Option<IpAddr>,
    /// `-p`, or 0: the kernel picks.
    pub port: u16,
}

impl Source {
    /// The address to bind before connecting to a peer of `family` (IPv4 or IPv6).
    pub fn for_family(&self, family: IPFamily) -> IpAddr {
        self.addr.unwrap_or_else(|| {
            let any = if family == IPFamily::IPv6 { "::" } else { "0.0.0.0" };
            IpAddr::create(any, self.port, family).expect("a wildcard address parses")
        })
    }
}

/// Flags that take a value.
const WITH_VALUE: &str = "pqsw";
/// Flags on their own.
const FLAGS: &str = "46hklNnUuvz";
/// OpenBSD nc's other flags: known, not offered here.
const NC_ONLY: &str = "bCDdFIiMmOPrSTtVWXxZ";

/// The arguments as given, before they are checked against each other.
#[derive(Default)]
struct Given {
    flags: Vec<char>,
    port: Option<u16>,
    quit: Option<Option<Duration>>,
    source: Option<String>,
    wait: Option<Duration>,
    family: Option<IPFamily>,
    echo: bool,
    trace: bool,
    positional: Vec<String>,
}

impl Given {
    fn has(&self, flag: char) -> bool {
        self.flags.contains(&flag)
    }
}

/// The arguments after the program name as text; one that is not UTF-8 is a usage error.
pub fn from_os(args: impl IntoIterator<Item = OsString>) -> Result<Vec<String>, String> {
    args.into_iter()
        .enumerate()
        .map(|(i, arg)| arg.into_string().map_err(|raw| format!("argument {} ({raw:?}) is not valid UTF-8", i + 1)))
        .collect()
}

/// Parses the arguments after the program name; `Err` holds the one-line reason.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let options_end = args.iter().position(|a| a == "--").unwrap_or(args.len());
    if args[..options_end].iter().any(|a| a == "--help" || is_cluster_with(a, 'h')) {
        let topic = if args.iter().any(|a| a == "demo") {
            DEMO_USAGE
        } else if args.iter().any(|a| a == "--echo") {
            ECHO_USAGE
        } else {
            USAGE
        };
        return Ok(Command::Help(topic));
    }
    let given = scan(args)?;
    if given.positional.first().is_some_and(|p| p == "demo") {
        if args.len() > 1 {
            return Err("demo takes no options or arguments".into());
        }
        return Ok(Command::Demo);
    }
    let session = Settings {
        idle: given.wait,
        half_close: given.has('N'),
        quit_after: given.quit.unwrap_or(None),
        verbose: given.has('v'),
    };
    let mode = mode(&given)?;
    Ok(Command::Run(Run { mode, verbose: given.has('v'), session, trace: given.trace }))
}

/// Whether `arg` is a flag cluster (`-lvh`) holding `flag` before any value-taking flag.
fn is_cluster_with(arg: &str, flag: char) -> bool {
    let Some(cluster) = arg.strip_prefix('-').filter(|c| !c.is_empty() && !c.starts_with('-')) else {
        return false;
    };
    for c in cluster.chars() {
        if c == flag {
            return true;
        }
        if WITH_VALUE.contains(c) {
            return false;
        }
    }
    false
}

/// Splits the arguments into flags (with their values) and positional arguments; flags may
/// come anywhere, be clustered (`-lkv`), and carry their value attached (`-w1`) or next;
/// `--` ends the flags.
fn scan(args: &[String]) -> Result<Given, String> {
    let mut given = Given::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--" {
            given.positional.extend(it.by_ref().cloned());
            break;
        }
        if arg == "--echo" {
            given.echo = true;
            continue;
        }
        if arg == "--trace" {
            if !cfg!(feature = "audit") {
                return Err("--trace needs sockcat built with the audit feature (cargo build --features audit)".into());
            }
            given.trace = true;
            continue;
        }
        if arg.starts_with("--") {
            return Err(format!("unknown option {arg}"));
        }
        let Some(cluster) = arg.strip_prefix('-').filter(|c| !c.is_empty()) else {
            given.positional.push(arg.clone());
            continue;
        };
        for (at, flag) in cluster.char_indices() {
            if WITH_VALUE.contains(flag) {
                let attached = &cluster[at + flag.len_utf8()..];
                let value = if attached.is_empty() {
                    it.next().ok_or(format!("option -{flag} needs a value"))?.as_str()
                } else {
                    attached
                };
                take_value(&mut given, flag, value)?;
                break;
            }
            match flag {
                '4' => given.family = Some(IPFamily::IPv4),
                '6' => given.family = Some(IPFamily::IPv6),
                _ if FLAGS.contains(flag) => given.flags.push(flag),
                _ if NC_ONLY.contains(flag) => return Err(format!("nc's option -{flag} is not supported by sockcat")),
                _ => return Err(format!("unknown option -{flag}")),
            }
        }
    }
    Ok(given)
}

fn take_value(given: &mut Given, flag: char, value: &str) -> Result<(), String> {
    match flag {
        'p' => given.port = Some(port(value, 0, &format!("-p {value}"))?),
        'q' => given.quit = Some(quit_seconds(value)?),
        's' => given.source = Some(value.to_string()),
        'w' => given.wait = Some(wait_seconds(value)?),
        _ => unreachable!("every flag of WITH_VALUE has a case"),
    }
    Ok(())
}

/// Checks the arguments against each other and builds the [`Mode`].
fn mode(g: &Given) -> Result<Mode, String> {
    let family = g.family.unwrap_or(IPFamily::IPUnspec);
    let (listening, udp, unix) = (g.has('l'), g.has('u'), g.has('U'));
    if g.has('k') && !listening {
        return Err("-k needs -l".into());
    }
    if g.echo && (!listening || udp || unix) {
        return Err("--echo needs -l (and is TCP only)".into());
    }
    if g.echo && (g.has('N') || g.quit.is_some()) {
        return Err("--echo does not read stdin: -N and -q do not apply".into());
    }
    if g.has('z') && (listening || udp || unix) {
        let other = if listening {
            'l'
        } else if udp {
            'u'
        } else {
            'U'
        };
        return Err(format!("-z probes TCP ports; it cannot be used with -{other}"));
    }
    if udp && g.has('N') {
        let what = if unix { "-u -U (datagrams have" } else { "-u (UDP has" };
        return Err(format!("-N has no meaning with {what} no end of stream)"));
    }
    if unix {
        return unix_mode(g);
    }
    if listening {
        if g.source.is_some() {
            return Err("-s is a source for connecting; with -l give the address as HOST".into());
        }
        let (host, port) = match (g.port, g.positional.as_slice()) {
            (Some(p), []) => (None, p),
            (Some(p), [host]) => (Some(host.as_str()), p),
            (None, [text]) => (None, port(text, 0, text)?),
            (None, [host, text]) => (Some(host.as_str()), port(text, 0, text)?),
            (None, []) => return Err("-l needs a port: -l -p PORT or -l [HOST] PORT".into()),
            (Some(_), [_, extra, ..]) | (None, [_, _, extra, ..]) => {
                return Err(format!("unexpected argument {extra:?}"));
            }
        };
        let at = local_address(host, port, family, g.has('n'))?;
        return Ok(if udp {
            Mode::UdpListen { at, keep: g.has('k') }
        } else {
            Mode::Listen { at, keep: g.has('k'), echo: g.echo }
        });
    }
    let (host, service, more) = match g.positional.as_slice() {
        [host, service] => (host.as_str(), service.as_str(), &[][..]),
        [host, service, more @ ..] if g.has('z') => (host.as_str(), service.as_str(), more),
        [] => return Err("HOST and PORT are needed (or -l to listen)".into()),
        [_] => return Err("PORT is missing after HOST".into()),
        [_, _, extra, ..] => {
            return Err(format!("unexpected argument {extra:?} (one PORT; several with -z)"));
        }
    };
    let host = unbracket(host);
    let timeout = g.wait.map_or(Timeout::INDEFINITE, Timeout::from);
    if udp {
        if g.has('n') {
            numeric_address(host, 0, family)?;
        }
        let peer = local_address(Some(host), port(service, 1, service)?, family, g.has('n'))?;
        let source = match (&g.source, g.port) {
            (None, None) => None,
            (source, port) => {
                let any = if peer.family() == IPFamily::IPv6 { "::" } else { "0.0.0.0" };
                let address = numeric_address(unbracket(source.as_deref().unwrap_or(any)), port.unwrap_or(0), family)?;
                if address.family() != peer.family() {
                    return Err(format!("-s {} and {host} are not of one family", address.host()));
                }
                Some(address)
            }
        };
        return Ok(Mode::UdpConnect { peer, source });
    }
    let source = match (&g.source, g.port) {
        (None, None) => None,
        (addr, port) => {
            let port = port.unwrap_or(0);
            let addr = addr.as_deref().map(|a| numeric_address(unbracket(a), port, family)).transpose()?;
            Some(Source { addr, port })
        }
    };
    // -s fixes the family: only HOST's addresses of ADDR's family are tried.
    let family = match source.and_then(|s| s.addr) {
        Some(from) => {
            if IpAddr::create(host, 0, IPFamily::IPUnspec).is_ok_and(|to| to.family() != from.family()) {
                return Err(format!("-s {} and {host} are not of one family", from.host()));
            }
            from.family()
        }
        None => family,
    };
    if g.has('n') {
        numeric_address(host, 0, family)?;
    }
    if g.has('z') {
        let ports = std::iter::once(service)
            .chain(more.iter().map(String::as_str))
            .map(|text| probe_ports(text, g.has('n') || source.is_some()))
            .collect::<Result<_, _>>()?;
        return Ok(Mode::Probe { host: host.to_string(), ports, family, source, timeout });
    }
    let named = service.starts_with(|c: char| c.is_ascii_alphabetic())
        && service.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if named && source.is_some() {
        return Err(format!("-s and -p need a numeric PORT, not {service:?}"));
    }
    if !named || g.has('n') {
        port(service, 1, service)?;
    }
    Ok(Mode::Connect { host: host.to_string(), service: service.to_string(), family, source, timeout })
}

/// `-U`: one PATH (or `@NAME`), and none of the flags that are about IP.
fn unix_mode(g: &Given) -> Result<Mode, String> {
    if g.family.is_some() {
        return Err("-4 and -6 have no meaning with -U".into());
    }
    if g.port.is_some() {
        return Err("-p has no meaning with -U (a Unix socket has a PATH, no port)".into());
    }
    if g.source.is_some() {
        return Err("-s is not supported with -U".into());
    }
    let addr = match g.positional.as_slice() {
        [path] => unix_address(path)?,
        [] => return Err("-U needs a PATH (or @NAME, an abstract name)".into()),
        [_, extra, ..] => return Err(format!("unexpected argument {extra:?} (-U takes one PATH)")),
    };
    let keep = g.has('k');
    Ok(match (g.has('l'), g.has('u')) {
        (false, false) => Mode::UnixConnect { addr, timeout: g.wait.map_or(Timeout::INDEFINITE, Timeout::from) },
        (true, false) => Mode::UnixListen { at: addr, keep },
        (false, true) => Mode::UnixDatagramConnect { peer: addr },
        (true, true) => Mode::UnixDatagramListen { at: addr, keep },
    })
}

/// `@NAME` as an abstract name (its bytes as given), anything else as a path taken as it is.
fn unix_address(text: &str) -> Result<UnixAddr, String> {
    let addr = match text.strip_prefix('@') {
        Some(name) => UnixAddr::from_abstract(name),
        None => UnixAddr::from_path(text),
    };
    addr.map_err(|e| {
        let why = e.to_string();
        format!("{text:?} is not a Unix socket name: {}", why.strip_prefix("parse address: ").unwrap_or(&why))
    })
}

/// `[::1]` as `::1`: sockcat prints IPv6 addresses bracketed and takes them back that way.
fn unbracket(host: &str) -> &str {
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host)
}

/// A numeric address, or the loopback of `family` for `localhost` (unless `-n`); `None`
/// (no HOST given) is loopback too.
fn local_address(host: Option<&str>, port: u16, family: IPFamily, numeric_only: bool) -> Result<IpAddr, String> {
    let loopback = if family == IPFamily::IPv6 { "::1" } else { "127.0.0.1" };
    let host = match host.map(unbracket) {
        None => loopback,
        Some(h) if h.eq_ignore_ascii_case("localhost") && !numeric_only => loopback,
        Some(h) => h,
    };
    numeric_address(host, port, family)
}

/// `host` (numeric) and `port` as an address of `family` (either when unspecified).
fn numeric_address(host: &str, port: u16, family: IPFamily) -> Result<IpAddr, String> {
    IpAddr::create(host, port, family).map_err(|_| match family {
        IPFamily::IPv4 => format!("{host:?} is not a numeric IPv4 address"),
        IPFamily::IPv6 => format!("{host:?} is not a numeric IPv6 address"),
        IPFamily::IPUnspec => format!(
            "{host:?} is not a numeric address (names are resolved only as the HOST of a TCP connect, and never with -n)"
        ),
    })
}

/// A port number from `lowest` to 65535; `shown` names it in the error.
fn port(text: &str, lowest: u16, shown: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(p) if p >= lowest && text.bytes().all(|b| b.is_ascii_digit()) => Ok(p),
        _ => Err(format!("{shown:?} is not a port ({lowest} to 65535)")),
    }
}

/// A `-z` port argument: `P`, `P1-P2`, or (unless `numeric_only`: `-n`, or `-s`/`-p`,
/// whose connect takes a number) a service name for the resolver. What starts with a digit
/// is a port or a range.
fn probe_ports(text: &str, numeric_only: bool) -> Result<Ports, String> {
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        let (first, last) = match text.split_once('-') {
            Some((a, b)) => (port(a, 1, text)?, port(b, 1, text)?),
            None => (port(text, 1, text)?, port(text, 1, text)?),
        };
        if first > last {
            return Err(format!("the port range {text} runs backwards"));
        }
        return Ok(Ports::Range(first, last));
    }
    let name = !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    match (name, numeric_only) {
        (true, false) => Ok(Ports::Service(text.to_string())),
        (true, true) => Err(format!("{text:?} is a service name; with -n, -s or -p give a port number")),
        (false, _) => Err(format!("{text:?} is not a port (1 to 65535), a range or a service name")),
    }
}

/// `-w`: seconds, a real number above 0.
fn wait_seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>().ok().filter(|s| *s > 0.0).and_then(|s| Duration::try_from_secs_f64(s).ok()) {
        Some(d) if !d.is_zero() => Ok(d),
        _ => Err(format!("-w needs seconds above 0, not {text:?}")),
    }
}

/// `-q`: seconds, a real number; negative waits for ever (`None`).
fn quit_seconds(text: &str) -> Result<Option<Duration>, String> {
    match text.parse::<f64>() {
        Ok(s) if s < 0.0 => Ok(None),
        Ok(s) => Duration::try_from_secs_f64(s).map(Some).map_err(|_| format!("-q needs seconds, not {text:?}")),
        Err(_) => Err(format!("-q needs seconds, not {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Command, String> {
        parse(&line.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    fn mode_of(line: &str) -> Mode {
        match parse_line(line) {
            Ok(Command::Run(run)) => run.mode,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn addr(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn nc_lines_and_their_modes() {
        assert_eq!(parse_line("demo"), Ok(Command::Demo));
        assert_eq!(parse_line("-h"), Ok(Command::Help(USAGE)));
        assert_eq!(parse_line("-lvh"), Ok(Command::Help(USAGE)));
        assert_eq!(parse_line("demo --help"), Ok(Command::Help(DEMO_USAGE)));
        assert_eq!(parse_line("-l --echo --help"), Ok(Command::Help(ECHO_USAGE)));
        let listen = |at: &str, keep| Mode::Listen { at: addr(at), keep, echo: false };
        assert_eq!(mode_of("-l -p 9000"), listen("127.0.0.1:9000", false));
        assert_eq!(mode_of("-l 9000"), listen("127.0.0.1:9000", false));
        assert_eq!(mode_of("-lk6 9000"), listen("[::1]:9000", true));
        assert_eq!(mode_of("-l [::1] 0"), listen("[::1]:0", false));
        assert_eq!(mode_of("-l localhost 7"), listen("127.0.0.1:7", false));
        assert_eq!(mode_of("-l -p9 0.0.0.0"), listen("0.0.0.0:9", false));
        assert_eq!(mode_of("-l --echo -k 5"), Mode::Listen { at: addr("127.0.0.1:5"), keep: true, echo: true });
        assert_eq!(
            mode_of("localhost http -6"),
            Mode::Connect {
                host: "localhost".into(),
                service: "http".into(),
                family: IPFamily::IPv6,
                source: None,
                timeout: Timeout::INDEFINITE
            }
        );
        assert_eq!(
            mode_of("-w1 [::1] 22"),
            Mode::Connect {
                host: "::1".into(),
                service: "22".into(),
                family: IPFamily::IPUnspec,
                source: None,
                timeout: Duration::from_secs(1).into()
            }
        );
        assert_eq!(
            mode_of("-zv -w 0.5 127.0.0.1 20-25"),
            Mode::Probe {
                host: "127.0.0.1".into(),
                ports: vec![Ports::Range(20, 25)],
                family: IPFamily::IPUnspec,
                source: None,
                timeout: Duration::from_millis(500).into()
            }
        );
        // -s and -p as the source of a TCP connect; -s fixes the family.
        let connect = |host: &str, family, source| Mode::Connect {
            host: host.into(),
            service: "80".into(),
            family,
            source: Some(source),
            timeout: Timeout::INDEFINITE,
        };
        assert_eq!(
            mode_of("-s 127.0.0.2 -p 4000 127.0.0.1 80"),
            connect("127.0.0.1", IPFamily::IPv4, Source { addr: Some(addr("127.0.0.2:4000")), port: 4000 })
        );
        assert_eq!(
            mode_of("-s [::1] localhost 80"),
            connect("localhost", IPFamily::IPv6, Source { addr: Some(addr("[::1]:0")), port: 0 })
        );
        assert_eq!(
            mode_of("-p 4000 localhost 80"),
            connect("localhost", IPFamily::IPUnspec, Source { addr: None, port: 4000 })
        );
        assert_eq!(
            mode_of("-z -w 1 h http 9010 9012 20-22"),
            Mode::Probe {
                host: "h".into(),
                ports: vec![
                    Ports::Service("http".into()),
                    Ports::Range(9010, 9010),
                    Ports::Range(9012, 9012),
                    Ports::Range(20, 22)
                ],
                family: IPFamily::IPUnspec,
                source: None,
                timeout: Duration::from_secs(1).into()
            }
        );
        assert_eq!(
            mode_of("-z -6 -p 4000 h 1-2"),
            Mode::Probe {
                host: "h".into(),
                ports: vec![Ports::Range(1, 2)],
                family: IPFamily::IPv6,
                source: Some(Source { addr: None, port: 4000 }),
                timeout: Timeout::INDEFINITE
            }
        );
        assert_eq!(Source { addr: None, port: 7 }.for_family(IPFamily::IPv6), addr("[::]:7"));
        assert_eq!(Source { addr: None, port: 7 }.for_family(IPFamily::IPv4), addr("0.0.0.0:7"));
        assert_eq!(mode_of("-u ::1 53"), Mode::UdpConnect { peer: addr("[::1]:53"), source: None });
        assert_eq!(
            mode_of("-u -s 127.0.0.1 -p 4000 127.0.0.1 53"),
            Mode::UdpConnect { peer: addr("127.0.0.1:53"), source: Some(addr("127.0.0.1:4000")) }
        );
        assert_eq!(
            mode_of("-u -p 4000 ::1 53"),
            Mode::UdpConnect { peer: addr("[::1]:53"), source: Some(addr("[::]:4000")) }
        );
        assert_eq!(mode_of("-ulk 53"), Mode::UdpListen { at: addr("127.0.0.1:53"), keep: true });
        assert_eq!(mode_of("-- ::1 80"), mode_of("::1 80"));
        let unix = |text: &str| text.parse::<UnixAddr>().unwrap();
        assert_eq!(mode_of("-U /tmp/s"), Mode::UnixConnect { addr: unix("/tmp/s"), timeout: Timeout::INDEFINITE });
        assert_eq!(
            mode_of("-w 2 -nU @name"),
            Mode::UnixConnect { addr: unix("@name"), timeout: Duration::from_secs(2).into() }
        );
        assert_eq!(mode_of("-lU rel/s"), Mode::UnixListen { at: unix("rel/s"), keep: false });
        assert_eq!(mode_of("-l -k -U @x"), Mode::UnixListen { at: unix("@x"), keep: true });
        assert_eq!(mode_of("-uU /s"), Mode::UnixDatagramConnect { peer: unix("/s") });
        assert_eq!(mode_of("-lkuU /s"), Mode::UnixDatagramListen { at: unix("/s"), keep: true });
        // A path is taken as it is: no escapes; only a leading @ means abstract.
        assert_eq!(
            mode_of(r"-U /tmp/a\b"),
            Mode::UnixConnect { addr: UnixAddr::from_path(r"/tmp/a\b").unwrap(), timeout: Timeout::INDEFINITE }
        );
        assert_eq!(
            mode_of("-U ./@x"),
            Mode::UnixConnect { addr: UnixAddr::from_path("./@x").unwrap(), timeout: Timeout::INDEFINITE }
        );
    }

    #[test]
    fn settings_and_verbosity() {
        let Ok(Command::Run(run)) = parse_line("-N -q 0.25 -w 3 -v h 1") else { panic!() };
        assert!(run.verbose);
        assert_eq!(
            run.session,
            Settings {
                idle: Some(Duration::from_secs(3)),
                half_close: true,
                quit_after: Some(Duration::from_millis(250)),
                verbose: true,
            }
        );
        let Ok(Command::Run(run)) = parse_line("-q -1 h 1") else { panic!() };
        assert_eq!((run.verbose, run.session), (false, Settings::default()));
    }

    #[test]
    fn bad_lines_say_why() {
        for (line, why) in [
            ("", "HOST and PORT are needed (or -l to listen)"),
            ("-z", "HOST and PORT are needed (or -l to listen)"),
            ("h", "PORT is missing after HOST"),
            ("127.0.0.1 8080 9090", "unexpected argument \"9090\" (one PORT; several with -z)"),
            ("-z -n 127.0.0.1 http", "\"http\" is a service name; with -n, -s or -p give a port number"),
            ("-z -p 4000 h 80 http", "\"http\" is a service name; with -n, -s or -p give a port number"),
            ("-z h 80 x/y", "\"x/y\" is not a port (1 to 65535), a range or a service name"),
            ("-x h 1", "nc's option -x is not supported by sockcat"),
            ("-y h 1", "unknown option -y"),
            ("--frob", "unknown option --frob"),
            ("-p -1 -l", "\"-p -1\" is not a port (0 to 65535)"),
            ("-l 99999", "\"99999\" is not a port (0 to 65535)"),
            ("h 0", "\"0\" is not a port (1 to 65535)"),
            ("h 8o", "\"8o\" is not a port (1 to 65535)"),
            (
                "-n h http",
                "\"h\" is not a numeric address (names are resolved only as the HOST of a TCP connect, and never with -n)",
            ),
            ("-l", "-l needs a port: -l -p PORT or -l [HOST] PORT"),
            ("-l localhost 9000 x", "unexpected argument \"x\""),
            ("-l -p 1 h 2", "unexpected argument \"2\""),
            ("-l -6 127.0.0.1 1", "\"127.0.0.1\" is not a numeric IPv6 address"),
            ("-w", "option -w needs a value"),
            ("-w 0 h 1", "-w needs seconds above 0, not \"0\""),
            ("-w soon h 1", "-w needs seconds above 0, not \"soon\""),
            ("-q NaN h 1", "-q needs seconds, not \"NaN\""),
            ("-k h 1", "-k needs -l"),
            ("-z -l 1", "-z probes TCP ports; it cannot be used with -l"),
            ("-z -u h 1", "-z probes TCP ports; it cannot be used with -u"),
            ("-z h 9-2", "the port range 9-2 runs backwards"),
            ("-z h 1-99999", "\"1-99999\" is not a port (1 to 65535)"),
            ("-uN h 1", "-N has no meaning with -u (UDP has no end of stream)"),
            ("--echo 1", "--echo needs -l (and is TCP only)"),
            ("-l --echo -N 1", "--echo does not read stdin: -N and -q do not apply"),
            ("-l -s ::1 1", "-s is a source for connecting; with -l give the address as HOST"),
            ("-s ::1 127.0.0.1 1", "-s ::1 and 127.0.0.1 are not of one family"),
            ("-4 -s ::1 h 1", "\"::1\" is not a numeric IPv4 address"),
            ("-z -6 -s 127.0.0.1 h 1", "\"127.0.0.1\" is not a numeric IPv6 address"),
            ("-s 127.0.0.1 h http", "-s and -p need a numeric PORT, not \"http\""),
            ("-p 5 h http", "-s and -p need a numeric PORT, not \"http\""),
            (
                "-n -s h 127.0.0.1 1",
                "\"h\" is not a numeric address (names are resolved only as the HOST of a TCP connect, and never with -n)",
            ),
            ("-n -s 127.0.0.1 h 1", "\"h\" is not a numeric IPv4 address"),
            ("-u -s ::1 127.0.0.1 1", "-s ::1 and 127.0.0.1 are not of one family"),
            ("demo -v", "demo takes no options or arguments"),
            ("-U", "-U needs a PATH (or @NAME, an abstract name)"),
            ("-lU", "-U needs a PATH (or @NAME, an abstract name)"),
            ("-U /a /b", "unexpected argument \"/b\" (-U takes one PATH)"),
            ("-U -6 /a", "-4 and -6 have no meaning with -U"),
            ("-lU -p 9 /a", "-p has no meaning with -U (a Unix socket has a PATH, no port)"),
            ("-U -s /b /a", "-s is not supported with -U"),
            ("-zU /a", "-z probes TCP ports; it cannot be used with -U"),
            ("-kU /a", "-k needs -l"),
            ("-l --echo -U /a", "--echo needs -l (and is TCP only)"),
            ("-uNU /a", "-N has no meaning with -u -U (datagrams have no end of stream)"),
        ] {
            assert_eq!(parse_line(line), Err(why.to_string()), "{line}");
        }
    }

    #[test]
    fn an_argument_that_is_not_utf8_is_refused() {
        use std::os::unix::ffi::OsStringExt;
        let args = [OsString::from("-l"), OsString::from_vec(vec![b'9', 0xff])];
        assert_eq!(from_os(args), Err("argument 2 (\"9\\xFF\") is not valid UTF-8".to_string()));
    }
}
