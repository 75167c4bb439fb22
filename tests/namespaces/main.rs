//! What loopback cannot show, inside a network namespace each test creates (`unshare --net`)
//! on a veth pair of its own: multicast delivery (`multicast`) and connect timeouts against a
//! host that never answers (`silent_host`). Nothing outside the namespace is touched.
//!
//! Each test re-runs itself in a child process inside the namespace; it needs root (to create
//! the namespace), `unshare` (util-linux) and `ip` (iproute2). Without them it is reported
//! ignored, with the reason, outside CI and fails under `CI=true` (`support::trials`).

mod support;

mod multicast;
mod silent_host;

fn main() {
    support::trials::run(&[multicast::TESTS, silent_host::TESTS].concat());
}
