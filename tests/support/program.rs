//! A program run by a test: stdin fed by a thread, stdout collected, stderr streamed line by
//! line, every wait bounded, and the child killed (and reaped) whatever the test's outcome.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// A running program, killed (and reaped) when dropped.
pub struct Program {
    /// The program's file name, for panic messages.
    name: String,
    /// How long any wait on the program may take before the test fails.
    limit: Duration,
    child: Child,
    /// Stderr lines as they arrive.
    stderr: Receiver<String>,
    stdout: Option<JoinHandle<Vec<u8>>>,
    feeder: Option<JoinHandle<()>>,
    /// Ends at the end of stderr: joined, it means every line has been sent.
    stderr_reader: Option<JoinHandle<()>>,
}

/// What a finished run left.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<String>,
}

impl Program {
    /// Starts `program args…` with `input` as its whole stdin (written by a thread, then
    /// closed); each later wait on it is bounded by `limit`.
    pub fn start(program: &str, args: &[&str], input: Vec<u8>, limit: Duration) -> Program {
        let name = Path::new(program).file_name().map_or(program.into(), |n| n.to_string_lossy().into_owned());
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        let mut stdin = child.stdin.take().unwrap();
        // A write error means the program has gone; its status tells the test why.
        let feeder = thread::spawn(move || drop(stdin.write_all(&input)));
        let mut out = child.stdout.take().unwrap();
        let stdout = thread::spawn(move || {
            let mut all = Vec::new();
            drop(out.read_to_end(&mut all));
            all
        });
        let (tx, stderr) = channel();
        let err = BufReader::new(child.stderr.take().unwrap());
        let stderr_reader = thread::spawn(move || drop(err.lines().map_while(Result::ok).try_for_each(|l| tx.send(l))));
        Program {
            name,
            limit,
            child,
            stderr,
            stdout: Some(stdout),
            feeder: Some(feeder),
            stderr_reader: Some(stderr_reader),
        }
    }

    /// Waits (bounded) for the next stderr line that starts with `prefix`, and returns it.
    pub fn line_starting(&self, prefix: &str) -> String {
        self.line_where(prefix, |line| line.starts_with(prefix))
    }

    /// Waits (bounded) for the next stderr line that contains `needle`, and returns it.
    pub fn line_with(&self, needle: &str) -> String {
        self.line_where(needle, |line| line.contains(needle))
    }

    fn line_where(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + self.limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .stderr
                .recv_timeout(left)
                .unwrap_or_else(|e| panic!("{}: no {what:?} line on stderr: {e}", self.name));
            if wanted(&line) {
                return line;
            }
        }
    }

    /// The port at the end of the next stderr line that contains `needle`.
    pub fn port_after(&self, needle: &str) -> u16 {
        let line = self.line_with(needle);
        line.rsplit(':').next().unwrap().trim().parse().unwrap_or_else(|_| panic!("{}: no port in {line:?}", self.name))
    }

    /// Kills the program now; [`finish`](Program::finish) then collects what it left.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
    }

    /// Waits (bounded) for the exit; past the limit the child is killed and the test fails.
    pub fn finish(mut self) -> Finished {
        let deadline = Instant::now() + self.limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "{} still running after {:?}", self.name, self.limit);
            thread::sleep(Duration::from_millis(5));
        };
        self.feeder.take().unwrap().join().unwrap();
        let stdout = self.stdout.take().unwrap().join().unwrap();
        self.stderr_reader.take().unwrap().join().unwrap();
        Finished { status, stdout, stderr: self.stderr.try_iter().collect() }
    }

    /// Like [`finish`](Program::finish), and the program must have exited with status 0.
    pub fn succeed(self) -> Finished {
        let name = self.name.clone();
        let done = self.finish();
        assert!(done.status.success(), "{name}: {} {:?}", done.status, done.stderr);
        done
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        drop(self.child.kill());
        drop(self.child.wait());
    }
}
