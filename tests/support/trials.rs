//! The harness of the test binaries: each module of a binary lists its tests with what each
//! needs of the machine beyond the crate (a program on `PATH`: socat, OpenBSD nc, python3,
//! curl, prlimit, strace, unshare, ip; or root), and the binary (`harness = false` in
//! `Cargo.toml`) runs the lists in its `main`:
//!
//! ```ignore
//! // tests/api/tcp.rs
//! pub const TESTS: &[Test] = &[trial!(plain_test), trial!(socat_test, SOCAT)];
//! // tests/api/main.rs
//! fn main() {
//!     support::trials::run(&[tcp::TESTS, udp::TESTS].concat());
//! }
//! ```
//!
//! A test is named as libtest names a `#[test]`: its module's path in the binary, then its
//! function (`tcp::plain_test`), for filters, `--exact` and [`super::run_in_child`].
//! [`run`] hands the tests to libtest-mimic, which reads libtest's arguments (a filter,
//! `--exact`, `--skip`, `--list`, `--nocapture`, `--test-threads`) and prints libtest's lines
//! and summary. Before a test runs, its needs are checked: outside CI a missing one makes the
//! test **ignored**, its reason on its line (`... ignored (socat is not installed)`), and the
//! summary counts it with the ignored ones, never the passed; under `CI=true`, where
//! `ci/install.sh` installs everything, it fails the test. A test re-executed in a child
//! process of its own ([`super::run_in_child`]) runs as one trial of the same binary, its
//! needs already checked by the parent. [`run_one_at_a_time`] is [`run`] on one thread, for a
//! binary whose tests read the whole process (its descriptor count, its signal dispositions).
//!
//! libtest-mimic does not capture what a test prints, so these binaries print their figures
//! with [`note!`], shown only with `--nocapture` (or `--show-output`) as libtest shows them.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

use libtest_mimic::{Arguments, Completion, Failed, Trial};

/// One test of a binary: its name (its module's path, the crate's name first, then its
/// function's), what it needs, and its body, which passes by returning and fails by
/// panicking.
#[derive(Clone, Copy)]
pub struct Test {
    pub name: &'static str,
    pub needs: &'static [Need],
    pub body: fn(),
}

/// `trial!(function, NEED…)`: the [`Test`] named after `function` of the module it is
/// written in, needing each `NEED`.
// Each binary uses only some of these helpers, as `super` says.
#[allow(unused_macros)]
macro_rules! trial {
    ($body:ident $(, $need:expr)* $(,)?) => {
        $crate::support::trials::Test {
            name: concat!(module_path!(), "::", stringify!($body)),
            needs: &[$($need),*],
            body: $body,
        }
    };
}
#[allow(unused_imports)]
pub(crate) use trial;

/// `eprintln!`, shown only when the run shows the tests' output (`--nocapture` or
/// `--show-output`): a passing test's figures, as libtest shows them.
#[allow(unused_macros)]
macro_rules! note {
    ($($arg:tt)*) => {
        if $crate::support::trials::shows_output() {
            eprintln!($($arg)*);
        }
    };
}
#[allow(unused_imports)]
pub(crate) use note;

/// What a test needs of the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Need {
    /// A program on `PATH`.
    Program(&'static str),
    /// `program args…` prints `says` (on stdout or stderr, whatever its exit status): a
    /// program of one kind, such as OpenBSD's nc rather than another netcat.
    Says { program: &'static str, args: &'static [&'static str], says: &'static str, kind: &'static str },
    /// `program args…` exits 0: a program that works here, such as a strace allowed to trace.
    Runs { program: &'static str, args: &'static [&'static str] },
    /// Root (effective uid 0), as creating a network namespace needs.
    Root,
}

pub const PYTHON3: Need = Need::Program("python3");
pub const CURL: Need = Need::Program("curl");
pub const SOCAT: Need = Need::Program("socat");
pub const PRLIMIT: Need = Need::Program("prlimit");
pub const STRACE: Need = Need::Program("strace");
pub const UNSHARE: Need = Need::Program("unshare");
pub const IP: Need = Need::Program("ip");
pub const MOUNT: Need = Need::Program("mount");
pub const ROOT: Need = Need::Root;
/// OpenBSD's nc (Debian's netcat-openbsd), whose flags sockcat speaks.
pub const OPENBSD_NC: Need =
    Need::Says { program: "nc", args: &["-h"], says: "OpenBSD netcat", kind: "OpenBSD netcat" };

impl Need {
    /// Why this machine lacks it, or `None` when it has it.
    fn missing(self) -> Option<String> {
        match self {
            Need::Program(program) => (!super::on_path(program)).then(|| format!("{program} is not installed")),
            Need::Says { program, args, says, kind } => match output_of(program, args) {
                Err(why) => Some(why),
                Ok((_, text)) if text.contains(says) => None,
                Ok(_) => {
                    Some(format!("{program} is not {kind} (`{program} {}` does not say {says:?})", args.join(" ")))
                }
            },
            Need::Runs { program, args } => match output_of(program, args) {
                Err(why) => Some(why),
                Ok((true, _)) => None,
                Ok((false, text)) => Some(format!("{program} does not work here: {}", text.trim())),
            },
            Need::Root => (!super::is_root()).then(|| "not root: a network namespace needs CAP_SYS_ADMIN".to_string()),
        }
    }

    /// [`missing`](Need::missing), asked once per process.
    fn checked(self) -> Option<String> {
        static SEEN: OnceLock<Mutex<HashMap<Need, Option<String>>>> = OnceLock::new();
        let seen = SEEN.get_or_init(Default::default);
        if let Some(known) = seen.lock().unwrap().get(&self) {
            return known.clone();
        }
        let found = self.missing();
        seen.lock().unwrap().insert(self, found.clone());
        found
    }
}

/// Runs `program args…` with no stdin: whether it exited 0, and its stdout and stderr.
fn output_of(program: &str, args: &[&str]) -> Result<(bool, String), String> {
    match Command::new(program).args(args).stdin(Stdio::null()).output() {
        Ok(out) => Ok((out.status.success(), String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!("{program} is not installed")),
        Err(e) => Err(format!("{program} cannot run: {e}")),
    }
}

/// Whether the run shows the tests' output ([`note!`]).
pub fn shows_output() -> bool {
    SHOWS_OUTPUT.get().copied().unwrap_or(false)
}

static SHOWS_OUTPUT: OnceLock<bool> = OnceLock::new();

/// Runs `tests` as libtest would, with this process's arguments, and exits with the run's
/// status: a test whose needs are missing is ignored (outside CI) or fails (`CI=true`).
pub fn run(tests: &[Test]) -> ! {
    run_with(Arguments::from_args(), tests)
}

/// [`run`], one test at a time whatever `--test-threads` says: for a binary whose tests each
/// read the whole process (its open descriptors, its signal dispositions), which a test
/// running beside it would disturb.
pub fn run_one_at_a_time(tests: &[Test]) -> ! {
    let mut args = Arguments::from_args();
    args.test_threads = Some(1);
    run_with(args, tests)
}

fn run_with(args: Arguments, tests: &[Test]) -> ! {
    SHOWS_OUTPUT.get_or_init(|| args.nocapture || args.show_output);
    let trials = tests.iter().map(|test| needing(name_in_binary(test.name), test.needs, test.body)).collect();
    libtest_mimic::run(&args, trials).exit()
}

/// A test's name as libtest gives it: its path without the crate's name
/// (`api::tcp::listens` is `tcp::listens`).
fn name_in_binary(path: &str) -> &str {
    path.split_once("::").map_or(path, |(_, name)| name)
}

/// The trial `name` that runs `body` when this machine has all of `needs`; when it lacks
/// one, the trial is ignored with the reason, or fails under `CI=true`.
pub fn needing(name: &str, needs: &'static [Need], body: impl FnOnce() + Send + 'static) -> Trial {
    let child = super::is_child(name);
    Trial::ignorable_test(name, move || {
        // A re-executed child runs what its parent, having checked the needs, asked for.
        if let Some(why) = needs.iter().filter(|_| !child).find_map(|need| need.checked()) {
            if super::in_ci() {
                return Err(Failed::from(format!("CI=true and {why} (ci/install.sh installs it)")));
            }
            return Ok(Completion::ignored_with(why));
        }
        body();
        Ok(Completion::Completed)
    })
}
