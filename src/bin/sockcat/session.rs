//! A session: stdin to the peer and the peer to stdout at the same time, ending as nc's does
//! (when the peer and stdin have both finished, at `-q` or `-w`) and at once when either
//! direction fails.
//!
//! Stdin is read by one thread for the whole run (a blocked `read` cannot be taken back, so a
//! session that ends leaves the next one what was read), one chunk at a time and only when
//! the session asks for it. Each session's receiving side is a thread of its own that writes
//! to stdout; the calling thread sends stdin to the peer and decides when the session ends.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use chapel_socket::Timeout;

use crate::BoxError;
use crate::args::Settings;

/// How a session or a run ended without an error.
#[derive(Debug, PartialEq)]
pub enum End {
    /// Done as asked.
    Done,
    /// Stdout was closed: the run ends quietly, as nc's does.
    StdoutClosed,
    /// `-z` found no open port: exit status 1, nothing to say.
    NoneOpen,
}

/// What a session's outcome is.
pub type Outcome = Result<End, BoxError>;

/// What one receive from the peer brought.
pub enum Got {
    /// Bytes for stdout (none for an empty datagram).
    Data(usize),
    /// The peer's end of stream.
    End,
    /// A datagram from someone who is not the peer: ignored.
    Nothing,
}

/// The peer side of a session: a TCP connection or a UDP socket with its peer.
pub trait Link: Send + Sync + 'static {
    /// Waits for the peer's next bytes (for ever: [`Link::abort`] ends the wait).
    fn receive(&self, buf: &mut [u8]) -> Result<Got, chapel_socket::Error>;
    /// Sends all of `bytes`, each wait bounded by `timeout`.
    fn transmit(&self, bytes: &[u8], timeout: Timeout) -> Result<(), chapel_socket::Error>;
    /// `-N`: tells the peer that nothing more comes.
    fn half_close(&self) -> Result<(), chapel_socket::Error>;
    /// Ends the session now: wakes a thread waiting in [`Link::receive`] or
    /// [`Link::transmit`] (for TCP), or does nothing where the process is about to exit.
    fn abort(&self);
}

/// How a session's receiving side ended.
enum NetEnd {
    Eof,
    StdoutClosed,
    Failed(BoxError),
}

enum Event {
    /// A chunk of stdin (empty at its end), or the error reading it.
    Stdin(io::Result<Vec<u8>>),
    /// The receiving side of session `session` ended.
    Net { session: u64, end: NetEnd },
}

/// Stdin as the sessions of one run share it.
pub struct Input {
    chunk: usize,
    events: Receiver<Event>,
    sender: Sender<Event>,
    /// Permission for the reader thread to read one more chunk (`None` until it starts).
    credit: Option<Sender<()>>,
    /// Whether the reader thread holds a permission it has not used yet.
    granted: bool,
    /// Whether stdin has ended (or failed).
    ended: bool,
    /// Events taken out of turn, handed out first.
    stash: VecDeque<Event>,
    sessions: u64,
}

impl Input {
    /// Stdin, read `chunk` bytes at most at a time (a UDP datagram is one read).
    pub fn new(chunk: usize) -> Input {
        let (sender, events) = channel();
        Input { chunk, events, sender, credit: None, granted: false, ended: false, stash: VecDeque::new(), sessions: 0 }
    }

    /// Lets the reader thread (started the first time) read one more chunk.
    fn grant(&mut self) -> Result<(), BoxError> {
        if self.granted || self.ended {
            return Ok(());
        }
        if self.credit.is_none() {
            let (credit, permits) = channel::<()>();
            let (events, chunk) = (self.sender.clone(), self.chunk);
            spawn("stdin", move || read_stdin(&permits, &events, chunk))?;
            self.credit = Some(credit);
        }
        if let Some(credit) = &self.credit {
            // The reader only goes after an event it sent; a lost permit shows as no event.
            let _ = credit.send(());
        }
        self.granted = true;
        Ok(())
    }

    /// The next event, or `None` once `deadline` passes.
    fn next(&mut self, deadline: Option<Instant>) -> Option<Event> {
        if let Some(event) = self.stash.pop_front() {
            return Some(event);
        }
        match deadline {
            None => self.events.recv().ok(),
            Some(at) => self.events.recv_timeout(at.saturating_duration_since(Instant::now())).ok(),
        }
    }

    /// The end of `session`'s receiving side if it is already known; other events stay in turn.
    fn net_end_now(&mut self, session: u64) -> Option<NetEnd> {
        let mut found = None;
        while let Ok(event) = self.events.try_recv() {
            match event {
                Event::Net { session: s, end } if s == session && found.is_none() => found = Some(end),
                Event::Net { .. } => {}
                stdin => self.stash.push_back(stdin),
            }
        }
        found
    }
}

/// The reader thread: one chunk of stdin per permit, until its end or an error.
fn read_stdin(permits: &Receiver<()>, events: &Sender<Event>, chunk: usize) {
    let mut stdin = io::stdin().lock();
    let mut buf = vec![0; chunk];
    while permits.recv().is_ok() {
        let read = loop {
            match stdin.read(&mut buf) {
                Err(e) => match try_again(e, || chapel_socket::wait_readable(&stdin, Timeout::INDEFINITE)) {
                    Ok(()) => continue,
                    Err(e) => break Err(e),
                },
                done => break done,
            }
        };
        let last = !matches!(read, Ok(n) if n > 0);
        if events.send(Event::Stdin(read.map(|n| buf[..n].to_vec()))).is_err() || last {
            return;
        }
    }
}

/// When the session last moved a byte, either way.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity { start: Instant::now(), last_ms: AtomicU64::new(0) }
    }

    fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(now, Ordering::Relaxed);
    }

    /// When the session goes idle for `idle` unless a byte moves before (`None`: beyond
    /// what the clock can tell, never).
    fn idle_at(&self, idle: Duration) -> Option<Instant> {
        self.start.checked_add(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)))?.checked_add(idle)
    }
}

/// Starts a thread with a small stack; failing to is an error, not a panic.
pub fn spawn(name: &str, work: impl FnOnce() + Send + 'static) -> Result<(), BoxError> {
    thread::Builder::new()
        .name(name.into())
        .stack_size(256 * 1024)
        .spawn(work)
        .map(drop)
        .map_err(|e| format!("cannot start a thread: {e}").into())
}

/// `-l`: sessions with whoever `accept` brings from `listener`, one after another with
/// `keep`, sharing stdin (read `chunk` at a time); a failed session is then reported and the
/// next one served. Without `keep` the listener closes once it has its connection: later ones
/// are refused, not left waiting (as nc).
pub fn serve_each<S, L: Link>(
    listener: S,
    keep: bool,
    chunk: usize,
    settings: Settings,
    accept: impl Fn(&S) -> Result<L, BoxError>,
) -> Outcome {
    let mut listener = Some(listener);
    let mut input = Input::new(chunk);
    while let Some(open) = &listener {
        let link = accept(open)?;
        if !keep {
            listener = None;
        }
        match run(&Arc::new(link), &mut input, settings) {
            Ok(End::StdoutClosed) => return Ok(End::StdoutClosed),
            Err(e) if keep => eprintln!("sockcat: {e}"),
            done if !keep => return done,
            _ => {}
        }
    }
    Ok(End::Done)
}

/// Runs one session with `link`; see the module's documentation.
pub fn run<L: Link>(link: &Arc<L>, input: &mut Input, settings: Settings) -> Outcome {
    input.sessions += 1;
    let session = input.sessions;
    let activity = Arc::new(Activity::new());
    {
        let (link, activity, events) = (Arc::clone(link), Arc::clone(&activity), input.sender.clone());
        spawn("receive", move || {
            let end = receive(&*link, &activity);
            let failed = !matches!(end, NetEnd::Eof);
            let _ = events.send(Event::Net { session, end });
            if failed {
                // Wakes the sending side if a send is stuck; its error then defers to this end.
                link.abort();
            }
        })?;
    }
    let ended = drive(&**link, input, settings, session, &activity);
    // However it ended, the receiving side stops too (it may be waiting on a silent peer).
    link.abort();
    ended
}

/// The sending side and the session's end.
fn drive<L: Link>(link: &L, input: &mut Input, settings: Settings, session: u64, activity: &Activity) -> Outcome {
    let send_timeout = settings.idle.map_or(Timeout::INDEFINITE, Timeout::from);
    let mut peer_done = false;
    let mut quit_at = None;
    if input.ended {
        if let Some(done) = stdin_ended(link, settings, &mut quit_at) {
            return done;
        }
    }
    loop {
        if peer_done && input.ended {
            return Ok(End::Done);
        }
        input.grant()?;
        let idle_at = settings.idle.and_then(|idle| activity.idle_at(idle));
        let deadline = [quit_at, idle_at].into_iter().flatten().min();
        let Some(event) = input.next(deadline) else {
            let now = Instant::now();
            if quit_at.is_some_and(|at| now >= at) {
                return Ok(End::Done);
            }
            if let Some(idle) = settings.idle.filter(|&idle| activity.idle_at(idle).is_some_and(|at| now >= at)) {
                if settings.verbose {
                    eprintln!("sockcat: no byte either way for {} s (-w); ending the session", idle.as_secs_f64());
                }
                return Ok(End::Done);
            }
            continue;
        };
        match event {
            Event::Net { session: s, .. } if s != session => {}
            Event::Net { end: NetEnd::Eof, .. } => peer_done = true,
            Event::Net { end: NetEnd::StdoutClosed, .. } => return Ok(End::StdoutClosed),
            Event::Net { end: NetEnd::Failed(e), .. } => return Err(e),
            Event::Stdin(Err(e)) => {
                input.granted = false;
                input.ended = true;
                return Err(format!("stdin: {e}").into());
            }
            Event::Stdin(Ok(chunk)) if chunk.is_empty() => {
                input.granted = false;
                input.ended = true;
                if let Some(done) = stdin_ended(link, settings, &mut quit_at) {
                    return done;
                }
            }
            Event::Stdin(Ok(chunk)) => {
                input.granted = false;
                activity.touch();
                if let Err(e) = link.transmit(&chunk, send_timeout) {
                    if e.kind() == ErrorKind::TimedOut {
                        return Ok(End::Done);
                    }
                    match input.net_end_now(session) {
                        Some(NetEnd::Eof) => peer_done = true,
                        Some(NetEnd::StdoutClosed) => return Ok(End::StdoutClosed),
                        Some(NetEnd::Failed(e)) => return Err(e),
                        None => {}
                    }
                    // After the peer's end of stream, a peer that has gone is the end, not a failure.
                    let gone = matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset);
                    return if peer_done && gone { Ok(End::Done) } else { Err(e.into()) };
                }
                activity.touch();
            }
        }
    }
}

/// The end of stdin: `-N` half-closes, `-q` sets when to quit (`Some`: the session is over).
fn stdin_ended<L: Link>(link: &L, settings: Settings, quit_at: &mut Option<Instant>) -> Option<Outcome> {
    if settings.half_close {
        if let Err(e) = link.half_close() {
            // A peer that has already gone needs no notice.
            if e.kind() != ErrorKind::NotConnected {
                return Some(Err(e.into()));
            }
        }
    }
    match settings.quit_after {
        Some(after) if after.is_zero() => Some(Ok(End::Done)),
        Some(after) => {
            *quit_at = Instant::now().checked_add(after);
            None
        }
        None => None,
    }
}

/// The receiving side: the peer's bytes to stdout until its end of stream or a failure.
fn receive<L: Link>(link: &L, activity: &Activity) -> NetEnd {
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = match link.receive(&mut buf) {
            Ok(Got::Data(n)) => n,
            Ok(Got::End) => return NetEnd::Eof,
            Ok(Got::Nothing) => continue,
            Err(e) => return NetEnd::Failed(e.into()),
        };
        activity.touch();
        if let Err(e) = write_out(&buf[..n]) {
            return match e.kind() {
                ErrorKind::BrokenPipe => NetEnd::StdoutClosed,
                _ => NetEnd::Failed(format!("stdout: {e}").into()),
            };
        }
    }
}

/// Writes `bytes` to stdout and flushes them, waiting for room in a non-blocking stdout.
pub fn write_out(bytes: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    let mut rest = bytes;
    while !rest.is_empty() {
        // `write`, not `write_all`: an error from `write` took none of the bytes, so after a
        // wait they are all written again, and no byte twice.
        match stdout.write(rest) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => rest = &rest[n..],
            Err(e) => try_again(e, || chapel_socket::wait_writable(&stdout, Timeout::INDEFINITE))?,
        }
    }
    // A failed flush keeps what it did not write, for the next one.
    while let Err(e) = stdout.flush() {
        try_again(e, || chapel_socket::wait_writable(&stdout, Timeout::INDEFINITE))?;
    }
    Ok(())
}

/// Whether stdin or stdout may be tried again after `e`: after a signal, and after
/// `WouldBlock` once `wait` has seen it ready — a stdin or stdout inherited non-blocking
/// (its file shared with the parent, which is why it is not switched back) answers so when
/// its pipe is empty or full. Any other error is the answer.
fn try_again(e: io::Error, wait: impl FnOnce() -> chapel_socket::Result<()>) -> io::Result<()> {
    match e.kind() {
        ErrorKind::Interrupted => Ok(()),
        ErrorKind::WouldBlock => wait().map_err(io::Error::from),
        _ => Err(e),
    }
}
