//! The workloads, the constants every implementation (and benches/c/baseline.c) shares, and
//! what one "op" of each is.

use std::time::Duration;

/// Every bounded wait in the workloads; never reached unless something is broken.
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// UDP one-way: the receiver acks every `WINDOW` datagrams and the sender stays at most two
/// windows ahead, so the receive buffer never overflows and no datagram is lost.
pub const WINDOW: usize = 64;
/// UDP burst: datagrams per burst, all queued before the receiver starts on them (64 of 32
/// bytes are far inside the default receive buffer).
pub const BURST: usize = 64;
/// TCP and Unix bulk: the size of each write.
pub const WRITE_SIZE: usize = 64 * 1024;
/// TCP bulk: 64 KiB ops per sample (1 MiB).
pub const BULK_CHUNK: usize = 16;
/// UDP in batches: datagrams per `sendmmsg`/`recvmmsg` (a divisor of `WINDOW`).
pub const BATCH: usize = 32;
/// UDP batch receive: datagrams queued per go/ack hand-off, `BATCHES_PER_GO` batches, so the
/// hand-off's four syscalls are spread over 128 datagrams (128 of 32 bytes are inside the
/// default receive buffer, as `BURST` is).
pub const BATCHES_PER_GO: usize = 4;
pub const GO_EVERY: usize = BATCHES_PER_GO * BATCH;
/// UDP datagram size for both UDP workloads.
pub const UDP_SIZE: usize = 32;
/// UDP req/resp on a shared socket: the server threads that receive on the one socket.
pub const SHARED_RECEIVERS: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    TcpRr1,
    TcpRr1k,
    TcpBulk,
    UdpRrPerCall,
    UdpRrFixed,
    UdpRrAdopted,
    UdpRrShared,
    UdpOneWay,
    UdpPipelineBatch,
    UdpOneWayGso,
    UdpBurst,
    UdpBatchRecv,
    Connect,
    UnixRr1,
    UnixBulk,
}

impl Workload {
    pub const ALL: [Workload; 15] = [
        Workload::TcpRr1,
        Workload::TcpRr1k,
        Workload::TcpBulk,
        Workload::UdpRrPerCall,
        Workload::UdpRrFixed,
        Workload::UdpRrAdopted,
        Workload::UdpRrShared,
        Workload::UdpOneWay,
        Workload::UdpPipelineBatch,
        Workload::UdpOneWayGso,
        Workload::UdpBurst,
        Workload::UdpBatchRecv,
        Workload::Connect,
        Workload::UnixRr1,
        Workload::UnixBulk,
    ];

    /// The name on the command line, in the CSV and for the C baseline.
    pub fn name(self) -> &'static str {
        match self {
            Workload::TcpRr1 => "tcp_rr_1",
            Workload::TcpRr1k => "tcp_rr_1k",
            Workload::TcpBulk => "tcp_bulk",
            Workload::UdpRrPerCall => "udp_rr_per_call",
            Workload::UdpRrFixed => "udp_rr_fixed",
            Workload::UdpRrAdopted => "udp_rr_adopted",
            Workload::UdpRrShared => "udp_rr_shared",
            Workload::UdpOneWay => "udp_oneway",
            Workload::UdpPipelineBatch => "udp_pipeline_batch32",
            Workload::UdpOneWayGso => "udp_oneway_gso32",
            Workload::UdpBurst => "udp_burst",
            Workload::UdpBatchRecv => "udp_batch_recv32",
            Workload::Connect => "connect",
            Workload::UnixRr1 => "unix_rr_1",
            Workload::UnixBulk => "unix_bulk",
        }
    }

    pub fn parse(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// What the table calls it.
    pub fn label(self) -> &'static str {
        match self {
            Workload::TcpRr1 => "TCP req/resp 1 B",
            Workload::TcpRr1k => "TCP req/resp 1 KiB",
            Workload::TcpBulk => "TCP bulk 64 KiB writes",
            Workload::UdpRrPerCall => "UDP req/resp 32 B (per-call timeout)",
            Workload::UdpRrFixed => "UDP req/resp 32 B (fixed timeout)",
            Workload::UdpRrAdopted => "UDP req/resp 32 B (adopted socket, fixed timeout)",
            Workload::UdpRrShared => "UDP req/resp 32 B (shared socket)",
            Workload::UdpOneWay => "UDP one-way 32 B (recv_into)",
            Workload::UdpPipelineBatch => "UDP one-way pipeline 32 B (32 a call)",
            Workload::UdpOneWayGso => "UDP one-way 32 B (GSO/GRO: 32 a send)",
            Workload::UdpBurst => "UDP burst recv 32 B (per-call timeout)",
            Workload::UdpBatchRecv => "UDP batch recv 32 B (batches of 32)",
            Workload::Connect => "connect(timeout)+accept+close",
            Workload::UnixRr1 => "Unix stream req/resp 1 B",
            Workload::UnixBulk => "Unix stream bulk 64 KiB writes",
        }
    }

    /// The unit of the rate column.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::TcpRr1
            | Workload::TcpRr1k
            | Workload::UdpRrPerCall
            | Workload::UdpRrFixed
            | Workload::UdpRrAdopted
            | Workload::UdpRrShared
            | Workload::UnixRr1 => "round trips/s",
            Workload::TcpBulk | Workload::UnixBulk => "MB/s",
            Workload::UdpOneWay
            | Workload::UdpPipelineBatch
            | Workload::UdpOneWayGso
            | Workload::UdpBurst
            | Workload::UdpBatchRecv => "datagrams/s",
            Workload::Connect => "connections/s",
        }
    }

    /// How many units of the rate one op is (a 64 KiB write is 0.065536 MB).
    pub fn units_per_op(self) -> f64 {
        match self {
            Workload::TcpBulk | Workload::UnixBulk => WRITE_SIZE as f64 / 1e6,
            _ => 1.0,
        }
    }

    /// Ops per timed sample.
    pub fn chunk(self) -> usize {
        match self {
            Workload::TcpBulk | Workload::UnixBulk => BULK_CHUNK,
            Workload::UdpOneWay | Workload::UdpPipelineBatch | Workload::UdpOneWayGso => WINDOW,
            Workload::UdpBurst => BURST,
            Workload::UdpBatchRecv => GO_EVERY,
            _ => 1,
        }
    }

    /// `n` rounded up to whole chunks (and at least two of them).
    pub fn ops(self, n: usize) -> usize {
        n.div_ceil(self.chunk()).max(2) * self.chunk()
    }

    /// Ops of a quick (CI) batch: enough to go through every path once or twice.
    pub fn quick_ops(self) -> usize {
        self.ops(match self {
            Workload::TcpBulk | Workload::UnixBulk => 64,
            Workload::UdpOneWay | Workload::UdpPipelineBatch | Workload::UdpOneWayGso => 4 * WINDOW,
            Workload::UdpBurst => 4 * BURST,
            Workload::UdpBatchRecv => 2 * GO_EVERY,
            _ => 64,
        })
    }

    /// Ops of the first, calibrating batch of a full run.
    pub fn probe_ops(self) -> usize {
        self.ops(match self {
            Workload::TcpBulk | Workload::UnixBulk => 512,
            Workload::UdpOneWay | Workload::UdpPipelineBatch | Workload::UdpOneWayGso => 64 * WINDOW,
            Workload::UdpBurst => 64 * BURST,
            Workload::UdpBatchRecv => 32 * GO_EVERY,
            Workload::Connect => 500,
            _ => 2000,
        })
    }
}

/// Checks that a received datagram has the size every workload sends.
pub fn datagram(len: usize) -> std::io::Result<()> {
    if len == UDP_SIZE { Ok(()) } else { Err(std::io::Error::other(format!("a {len}-byte datagram, not {UDP_SIZE}"))) }
}
