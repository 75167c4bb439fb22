//! Message and batch I/O over loopback, IPv4 and IPv6: control data (destination address,
//! timestamps, TTL/hop limit, TOS/traffic class), batches of datagrams, their timeouts,
//! segmentation offload, and hostile sizes (odd batches, empty datagrams, small buffers).
#![cfg(target_os = "linux")]

use std::io::ErrorKind;
use std::time::{Duration, SystemTime};

use crate::support::trials::{Test, note, trial};
use crate::support::{PATIENCE, SLACK, assert_waited, loopbacks, timed};
use chapel_socket::{
    ControlMessage, IPFamily, IPPROTO_IPV6, IPV6_V6ONLY, IpAddr, RECV_BATCH_MAX, RecvBatch, SEND_BATCH_MAX, SendMsg,
    UdpSocket, bind, control_messages, set_sock_opt,
};

/// The tests, for the binary's `main`.
pub const TESTS: &[Test] = &[
    trial!(the_destination_address_reads_back_as_sent),
    trial!(a_source_address_can_be_chosen_per_datagram),
    trial!(timestamps_increase_and_are_close_to_the_clock),
    trial!(ttl_and_tos_are_reported_and_can_be_set_per_datagram),
    trial!(a_dual_stack_socket_reports_ipv4_datagrams_ttl_and_tos),
    trial!(a_batch_of_32_round_trips_in_order_with_each_senders_address),
    trial!(a_timed_batch_receive_with_nothing_queued_times_out_on_time),
    trial!(a_batch_waits_for_the_first_datagram_only_then_takes_what_is_queued),
    trial!(odd_batch_sizes),
    trial!(zero_length_datagrams_and_truncation_in_a_batch),
    trial!(control_buffers_too_small_are_reported),
    trial!(a_reused_batch_gives_every_slot_its_whole_room_again),
    trial!(bad_control_messages_are_refused_before_any_syscall),
    trial!(segmentation_offload_where_the_kernel_has_it),
    trial!(closed_sockets_make_no_syscall),
    trial!(recv_msg_vectored_scatters_reports_and_takes_flags),
];

fn bound(any: &IpAddr) -> UdpSocket {
    let socket = UdpSocket::new(any.family()).unwrap();
    bind(&socket, any, false).unwrap();
    socket
}

/// Receives until `want` datagrams have come (each `recv_batch` takes what is queued), and
/// returns each one's bytes and sender, in order.
fn collect(socket: &UdpSocket, batch: &mut RecvBatch, want: usize) -> Vec<(Vec<u8>, IpAddr)> {
    let mut got = Vec::new();
    for _ in 0..want {
        if got.len() >= want {
            break;
        }
        socket.recv_batch(batch, PATIENCE).unwrap();
        got.extend(batch.iter().map(|d| (d.data().to_vec(), d.meta().from().unwrap())));
    }
    assert_eq!(got.len(), want);
    got
}

fn the_destination_address_reads_back_as_sent() {
    for dest in ["127.0.0.1", "127.0.0.2"] {
        let receiver = bound(&format!("{dest}:0").parse().unwrap());
        receiver.set_recv_pktinfo(true).unwrap();
        let sender = bound(&"127.0.0.1:0".parse().unwrap());
        sender.send(b"where", &receiver.addr().unwrap(), PATIENCE).unwrap();
        let (mut buf, mut control) = ([0; 16], [0; 128]);
        let meta = receiver.recv_msg(&mut buf, &mut control, PATIENCE).unwrap();
        assert_eq!(meta.local_addr(), Some(dest.parse().unwrap()), "sent to {dest}");
        assert!(meta.interface().is_some_and(|i| i > 0));
        assert_eq!(meta.from(), Some(sender.addr().unwrap()));
        // The raw control data says the same.
        let raw: Vec<_> = control_messages(&control[..meta.control_len()]).collect();
        assert!(matches!(raw.as_slice(), [ControlMessage::PacketInfo { addr, .. }] if addr.to_string() == dest));
    }
    let receiver = bound(&"[::1]:0".parse().unwrap());
    receiver.set_recv_pktinfo(true).unwrap();
    receiver.send(b"six", &receiver.addr().unwrap(), PATIENCE).unwrap();
    let meta = receiver.recv_msg(&mut [0; 16], &mut [0; 128], PATIENCE).unwrap();
    assert_eq!(meta.local_addr(), Some("::1".parse().unwrap()));
}

fn a_source_address_can_be_chosen_per_datagram() {
    let receiver = bound(&"127.0.0.1:0".parse().unwrap());
    // An unbound sender: the kernel picks its port, the datagram says where it comes from.
    let sender = UdpSocket::new(IPFamily::IPv4).unwrap();
    let source = ControlMessage::PacketInfo { addr: "127.0.0.2".parse().unwrap(), interface: 0 };
    sender.send_msg(b"from", &receiver.addr().unwrap(), &[source], PATIENCE).unwrap();
    let (_, from) = receiver.recvfrom(16, PATIENCE, 0).unwrap();
    assert_eq!(from.host(), "127.0.0.2");
    assert_eq!(from.port(), sender.addr().unwrap().port());
    // A source address that is not local is the kernel's EINVAL, naming the destination.
    let foreign = ControlMessage::PacketInfo { addr: "192.0.2.1".parse().unwrap(), interface: 0 };
    let err = sender.send_msg(b"x", &receiver.addr().unwrap(), &[foreign], PATIENCE).unwrap_err();
    assert_eq!(err.address(), Some(receiver.addr().unwrap()));
    assert_eq!(err.op(), "sendmsg");
}

fn timestamps_increase_and_are_close_to_the_clock() {
    for any in loopbacks() {
        let socket = bound(&any);
        socket.set_recv_timestamp(true).unwrap();
        let to = socket.addr().unwrap();
        let before = SystemTime::now();
        let mut stamps = Vec::new();
        for _ in 0..5 {
            socket.send(b"t", &to, PATIENCE).unwrap();
            let meta = socket.recv_msg(&mut [0; 4], &mut [0; 64], PATIENCE).unwrap();
            stamps.push(meta.timestamp().expect("a timestamp"));
            std::thread::sleep(Duration::from_millis(2));
        }
        let after = SystemTime::now();
        assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
        // The kernel's clock is the real-time clock: within the test's window (plus slack
        // for the two clocks' reads).
        let slack = Duration::from_millis(50);
        assert!(stamps[0] + slack >= before, "{:?} before {before:?}", stamps[0]);
        assert!(stamps[4] <= after + slack, "{:?} after {after:?}", stamps[4]);
    }
}

/// An IPv6 socket bound to `[::]` receives IPv4 datagrams too; with the TTL and TOS switches
/// on, those report their TTL and TOS byte (ECN bits included) as IPv6 datagrams report hop
/// limit and traffic class.
fn a_dual_stack_socket_reports_ipv4_datagrams_ttl_and_tos() {
    let dual = UdpSocket::new(IPFamily::IPv6).unwrap();
    set_sock_opt(&dual, IPPROTO_IPV6, IPV6_V6ONLY, 0).unwrap();
    bind(&dual, &"[::]:0".parse().unwrap(), true).unwrap();
    dual.set_recv_ttl(true).unwrap();
    dual.set_recv_tos(true).unwrap();
    let to = IpAddr::create("127.0.0.1", dual.addr().unwrap().port(), IPFamily::IPv4).unwrap();
    let client = bound(&"127.0.0.1:0".parse().unwrap());
    client.send_msg(b"four", &to, &[ControlMessage::Ttl(7), ControlMessage::Tos(0x2a)], PATIENCE).unwrap();
    let meta = dual.recv_msg(&mut [0; 8], &mut [0; 128], PATIENCE).unwrap();
    assert_eq!(meta.from().map(|a| a.host()), Some("::ffff:127.0.0.1".into()));
    assert_eq!((meta.ttl(), meta.tos()), (Some(7), Some(0x2a)), "an IPv4 datagram on a dual-stack socket");
    let six = IpAddr::create("::1", to.port(), IPFamily::IPv6).unwrap();
    let client6 = bound(&"[::1]:0".parse().unwrap());
    client6
        .send_msg(b"six", &six, &[ControlMessage::HopLimit(9), ControlMessage::TrafficClass(0x28)], PATIENCE)
        .unwrap();
    let meta = dual.recv_msg(&mut [0; 8], &mut [0; 128], PATIENCE).unwrap();
    assert_eq!((meta.ttl(), meta.tos()), (Some(9), Some(0x28)), "an IPv6 datagram");
    dual.set_recv_ttl(false).unwrap();
    dual.set_recv_tos(false).unwrap();
    client.send(b"four", &to, PATIENCE).unwrap();
    let meta = dual.recv_msg(&mut [0; 8], &mut [0; 128], PATIENCE).unwrap();
    assert_eq!((meta.ttl(), meta.tos(), meta.control_len()), (None, None, 0), "both switched off");
}

fn ttl_and_tos_are_reported_and_can_be_set_per_datagram() {
    let v4 = bound(&"127.0.0.1:0".parse().unwrap());
    v4.set_recv_ttl(true).unwrap();
    v4.set_recv_tos(true).unwrap();
    let to = v4.addr().unwrap();
    v4.send(b"plain", &to, PATIENCE).unwrap();
    let meta = v4.recv_msg(&mut [0; 8], &mut [0; 128], PATIENCE).unwrap();
    assert_eq!((meta.ttl(), meta.tos()), (Some(64), Some(0)));
    v4.send_msg(b"marked", &to, &[ControlMessage::Ttl(5), ControlMessage::Tos(0x20)], PATIENCE).unwrap();
    let meta = v4.recv_msg(&mut [0; 8], &mut [0; 128], PATIENCE).unwrap();
    assert_eq!((meta.ttl(), meta.tos()), (Some(5), Some(0x20)));

    let v6 = bound(&"[::1]:0".parse().unwrap());
    v6.set_recv_ttl(true).unwrap();
    v6.set_recv_tos(true).unwrap();
    let to = v6.addr().unwrap();
    v6.send_msg(b"six", &to, &[ControlMessage::HopLimit(9), ControlMessage::TrafficClass(0x28)], PATIENCE).unwrap();
    let meta = v6.recv_msg(&mut [0; 8], &mut [0; 128], PATIENCE).unwrap();
    assert_eq!((meta.ttl(), meta.tos()), (Some(9), Some(0x28)));
    // Off again: nothing reported.
    v6.set_recv_ttl(false).unwrap();
    v6.set_recv_tos(false).unwrap();
    v6.send(b"six", &to, PATIENCE).unwrap();
    let meta = v6.recv_msg(&mut [0; 8], &mut [0; 128], PATIENCE).unwrap();
    assert_eq!((meta.ttl(), meta.tos(), meta.control_len()), (None, None, 0));
}

fn a_batch_of_32_round_trips_in_order_with_each_senders_address() {
    for any in loopbacks() {
        let (server, a, b) = (bound(&any), bound(&any), bound(&any));
        let to = server.addr().unwrap();
        let payloads: Vec<[u8; 2]> = (0..32u8).map(|i| [i, !i]).collect();
        // The first 16 from `a`, the next 16 from `b`, each in one sendmmsg.
        for (half, sender) in [(0, &a), (1, &b)] {
            let msgs: Vec<SendMsg> = payloads[half * 16..][..16].iter().map(|p| SendMsg::new(p, to)).collect();
            assert_eq!(sender.send_batch(&msgs, PATIENCE).unwrap(), 16);
        }
        let mut batch = RecvBatch::new(32, 64).unwrap();
        let got = collect(&server, &mut batch, 32);
        for (i, (data, from)) in got.iter().enumerate() {
            assert_eq!(data.as_slice(), payloads[i].as_slice(), "datagram {i}");
            assert_eq!(*from, if i < 16 { a.addr().unwrap() } else { b.addr().unwrap() }, "datagram {i}");
        }
        // Echo each back to its sender, all 32 in one sendmmsg.
        let echoes: Vec<SendMsg> = got.iter().map(|(data, from)| SendMsg::new(data, *from)).collect();
        assert_eq!(server.send_batch(&echoes, PATIENCE).unwrap(), 32);
        for (half, sender) in [(0, &a), (1, &b)] {
            let back = collect(sender, &mut batch, 16);
            for (k, (data, from)) in back.iter().enumerate() {
                assert_eq!(data.as_slice(), payloads[half * 16 + k].as_slice());
                assert_eq!(*from, to);
            }
        }
    }
}

fn a_timed_batch_receive_with_nothing_queued_times_out_on_time() {
    for any in loopbacks() {
        let socket = bound(&any);
        let mut batch = RecvBatch::new(32, 64).unwrap();
        let timeout = Duration::from_millis(200);
        let (result, elapsed) = timed(|| socket.recv_batch(&mut batch, timeout));
        let err = result.unwrap_err();
        assert_eq!((err.kind(), err.op()), (ErrorKind::TimedOut, "recvmmsg"));
        assert_waited(elapsed, timeout, "recv_batch");
        assert!(batch.is_empty());
        // Zero: try once, never wait.
        let (result, elapsed) = timed(|| socket.recv_batch(&mut batch, 0.0));
        assert_eq!(result.unwrap_err().kind(), ErrorKind::TimedOut);
        assert!(elapsed < SLACK);
    }
}

fn a_batch_waits_for_the_first_datagram_only_then_takes_what_is_queued() {
    let socket = bound(&"127.0.0.1:0".parse().unwrap());
    let to = socket.addr().unwrap();
    let peer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        let sender = UdpSocket::new(IPFamily::IPv4).unwrap();
        sender.send(b"late", &to, PATIENCE).unwrap();
    });
    let mut batch = RecvBatch::new(32, 64).unwrap();
    let (n, elapsed) = timed(|| socket.recv_batch(&mut batch, PATIENCE).unwrap());
    assert_eq!(n, 1, "a batch of 32 returns with the one datagram there is");
    assert!(elapsed < Duration::from_secs_f64(PATIENCE));
    peer.join().unwrap();
    // Three queued, a batch of 32: all three at once, without waiting for more.
    for _ in 0..3 {
        socket.send(b"q", &to, PATIENCE).unwrap();
    }
    let (n, elapsed) = timed(|| socket.recv_batch(&mut batch, PATIENCE).unwrap());
    assert_eq!((n, batch.len()), (3, 3));
    assert!(elapsed < SLACK);
}

fn odd_batch_sizes() {
    let socket = bound(&"127.0.0.1:0".parse().unwrap());
    let to = socket.addr().unwrap();
    let byte = |i: usize| [i as u8];
    let bytes: Vec<[u8; 1]> = (0..200).map(byte).collect();
    // A batch of one, of three, of 33, and one of the kernel's cap (UIO_MAXIOV).
    for capacity in [1, 3, 33, RECV_BATCH_MAX] {
        let mut batch = RecvBatch::new(capacity, 8).unwrap();
        let sent = 100;
        let mut queued = 0;
        while queued < sent {
            let msgs: Vec<SendMsg> = bytes[queued..sent].iter().map(|b| SendMsg::new(b, to)).collect();
            queued += socket.send_batch(&msgs, PATIENCE).unwrap();
        }
        let got = collect(&socket, &mut batch, sent);
        assert!(got.iter().enumerate().all(|(i, (d, _))| d.as_slice() == byte(i)), "capacity {capacity}");
    }
    assert_eq!(RecvBatch::new(0, 8).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(RecvBatch::new(usize::MAX, 2).unwrap_err().kind(), ErrorKind::InvalidInput);
    // Past the cap: slots no call could fill, refused.
    assert_eq!(RecvBatch::new(RECV_BATCH_MAX + 1, 8).unwrap_err().kind(), ErrorKind::InvalidInput);
    // More than SEND_BATCH_MAX: one sendmmsg takes the first SEND_BATCH_MAX.
    let msgs: Vec<SendMsg> = bytes[..SEND_BATCH_MAX + 5].iter().map(|b| SendMsg::new(b, to)).collect();
    assert_eq!(socket.send_batch(&msgs, PATIENCE).unwrap(), SEND_BATCH_MAX);
    collect(&socket, &mut RecvBatch::new(SEND_BATCH_MAX, 8).unwrap(), SEND_BATCH_MAX);
}

fn zero_length_datagrams_and_truncation_in_a_batch() {
    let socket = bound(&"[::1]:0".parse().unwrap());
    let to = socket.addr().unwrap();
    let long = [7u8; 100];
    let msgs = [SendMsg::new(b"", to), SendMsg::new(&long, to), SendMsg::new(b"ok", to), SendMsg::new(b"", to)];
    assert_eq!(socket.send_batch(&msgs, PATIENCE).unwrap(), 4);
    let mut batch = RecvBatch::new(8, 10).unwrap();
    let mut seen = Vec::new();
    while seen.len() < 4 {
        socket.recv_batch(&mut batch, PATIENCE).unwrap();
        for d in batch.iter() {
            // The datagram's own accessors read what `meta` decodes.
            assert_eq!((d.full_len(), d.is_truncated()), (d.meta().full_len(), d.meta().is_truncated()));
            assert_eq!(d.data().len(), d.meta().len());
            seen.push((d.data().len(), d.full_len(), d.is_truncated()));
        }
    }
    assert_eq!(seen, [(0, 0, false), (10, 100, true), (2, 2, false), (0, 0, false)]);
    // A batch with no data room at all: every non-empty datagram is cut, and says so.
    let mut empty = RecvBatch::with_control_len(2, 0, 0).unwrap();
    socket.send_batch(&[SendMsg::new(b"", to), SendMsg::new(b"abc", to)], PATIENCE).unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        socket.recv_batch(&mut empty, PATIENCE).unwrap();
        seen.extend(empty.iter().map(|d| (d.meta().is_empty(), d.is_truncated(), d.full_len())));
    }
    assert_eq!(seen, [(true, false, 0), (false, true, 3)]);
    // recv_msg: an empty datagram into an empty buffer.
    socket.send(b"", &to, PATIENCE).unwrap();
    let meta = socket.recv_msg(&mut [], &mut [], PATIENCE).unwrap();
    assert!(meta.is_empty() && !meta.is_truncated());
}

fn control_buffers_too_small_are_reported() {
    let socket = bound(&"127.0.0.1:0".parse().unwrap());
    socket.set_recv_pktinfo(true).unwrap();
    socket.set_recv_timestamp(true).unwrap();
    let to = socket.addr().unwrap();
    // No room, a few bytes, room for one message but not both, then enough.
    for (room, whole) in [(0, false), (7, false), (40, false), (128, true)] {
        socket.send(b"c", &to, PATIENCE).unwrap();
        let mut control = vec![0xAA; room];
        let meta = socket.recv_msg(&mut [0; 4], &mut control, PATIENCE).unwrap();
        assert_eq!(meta.is_control_truncated(), !whole, "{room} bytes of control space");
        assert_eq!(meta.len(), 1);
        assert!(meta.control_len() <= room);
        assert_eq!(meta.local_addr().is_some() && meta.timestamp().is_some(), whole);
    }
    // The same in a batch.
    let mut batch = RecvBatch::with_control_len(4, 4, 16).unwrap();
    socket.send(b"c", &to, PATIENCE).unwrap();
    socket.recv_batch(&mut batch, PATIENCE).unwrap();
    let d = batch.get(0).unwrap();
    assert!(d.meta().is_control_truncated());
    assert!(batch.get(1).is_none());
}

/// The kernel writes each filled slot's name and control lengths back: a batch used again
/// must give them their whole room, or a slot that once took one small control message would
/// cut the next one's, and a slot that once held a short name would cut a longer one.
fn a_reused_batch_gives_every_slot_its_whole_room_again() {
    let socket = bound(&"[::]:0".parse().unwrap());
    let port = socket.addr().unwrap().port();
    let (v4, v6) = (bound(&"127.0.0.1:0".parse().unwrap()), bound(&"[::1]:0".parse().unwrap()));
    let mut batch = RecvBatch::new(4, 8).unwrap();
    // Round 1: one control message each (TTL); round 2: three (and TOS, and packet info).
    socket.set_recv_ttl(true).unwrap();
    for round in 0..2 {
        if round == 1 {
            socket.set_recv_tos(true).unwrap();
            socket.set_recv_pktinfo(true).unwrap();
        }
        let (to4, to6) = (format!("127.0.0.1:{port}").parse().unwrap(), format!("[::1]:{port}").parse().unwrap());
        v4.send(b"four", &to4, PATIENCE).unwrap();
        v6.send(b"six", &to6, PATIENCE).unwrap();
        let mut seen = 0;
        while seen < 2 {
            socket.recv_batch(&mut batch, PATIENCE).unwrap();
            for d in batch.iter() {
                let meta = d.meta();
                assert!(!meta.is_control_truncated(), "round {round}: control cut to an earlier length");
                assert!(meta.ttl().is_some(), "round {round}");
                assert_eq!(meta.tos().is_some() && meta.local_addr().is_some(), round == 1, "round {round}");
                let want = if d.data() == b"four" { &v4 } else { &v6 };
                let from = meta.from().expect("a sender");
                assert_eq!(from.port(), want.addr().unwrap().port(), "round {round}: sender cut");
                seen += 1;
            }
        }
    }
}

fn bad_control_messages_are_refused_before_any_syscall() {
    let socket = bound(&"127.0.0.1:0".parse().unwrap());
    let to = socket.addr().unwrap();
    let unsendable = [ControlMessage::Timestamp(SystemTime::now())];
    let err = socket.send_msg(b"x", &to, &unsendable, PATIENCE).unwrap_err();
    assert_eq!((err.kind(), err.raw_os_error()), (ErrorKind::InvalidInput, None));
    let too_many = [ControlMessage::Ttl(1); 8];
    let err = socket.send_batch(&[SendMsg::new(b"x", to).with_control(&too_many)], PATIENCE).unwrap_err();
    assert_eq!((err.kind(), err.op()), (ErrorKind::InvalidInput, "sendmmsg"));
    assert_eq!(socket.recv_batch(&mut RecvBatch::new(1, 1).unwrap(), 0.0).unwrap_err().kind(), ErrorKind::TimedOut);
}

fn segmentation_offload_where_the_kernel_has_it() {
    let receiver = bound(&"127.0.0.1:0".parse().unwrap());
    let sender = bound(&"127.0.0.1:0".parse().unwrap());
    match sender.segment_size() {
        Ok(0) => {}
        Ok(other) => panic!("a new socket has segment size {other}"),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
            note!("no UDP_SEGMENT here: {e}");
            return;
        }
    }
    let to = receiver.addr().unwrap();
    let data: Vec<u8> = (0..250u8).collect();
    // Per send: 250 bytes in segments of 100 arrive as 100, 100, 50.
    sender.send_msg(&data, &to, &[ControlMessage::SegmentSize(100)], PATIENCE).unwrap();
    let mut batch = RecvBatch::new(8, 200).unwrap();
    let got = collect(&receiver, &mut batch, 3);
    let lens: Vec<usize> = got.iter().map(|(d, _)| d.len()).collect();
    assert_eq!(lens, [100, 100, 50]);
    assert_eq!(got.concat_data(), data);
    // Socket-wide.
    sender.set_segment_size(120).unwrap();
    assert_eq!(sender.segment_size().unwrap(), 120);
    sender.send(&data, &to, PATIENCE).unwrap();
    let lens: Vec<usize> = collect(&receiver, &mut batch, 3).iter().map(|(d, _)| d.len()).collect();
    assert_eq!(lens, [120, 120, 10]);
    sender.set_segment_size(0).unwrap();
    // With receive offload, the segments may come back as one buffer that says their size.
    if receiver.set_gro(true).is_ok() {
        sender.send_msg(&data, &to, &[ControlMessage::SegmentSize(100)], PATIENCE).unwrap();
        let mut buf = vec![0; 65536];
        let mut total = 0;
        while total < data.len() {
            let meta = receiver.recv_msg(&mut buf, &mut [0; 64], PATIENCE).unwrap();
            if meta.len() > 100 {
                assert_eq!(meta.segment_size(), Some(100));
            }
            total += meta.len();
        }
        assert_eq!(total, data.len());
    }
}

trait ConcatData {
    fn concat_data(&self) -> Vec<u8>;
}

impl ConcatData for Vec<(Vec<u8>, IpAddr)> {
    fn concat_data(&self) -> Vec<u8> {
        self.iter().flat_map(|(d, _)| d.iter().copied()).collect()
    }
}

fn closed_sockets_make_no_syscall() {
    let mut socket = bound(&"127.0.0.1:0".parse().unwrap());
    let to = socket.addr().unwrap();
    socket.close().unwrap();
    assert!(socket.recv_msg(&mut [0; 4], &mut [], 1.0).unwrap_err().is_closed());
    assert!(socket.send_msg(b"x", &to, &[], 1.0).unwrap_err().is_closed());
    assert!(socket.recv_batch(&mut RecvBatch::new(2, 4).unwrap(), 1.0).unwrap_err().is_closed());
    assert!(socket.send_batch(&[SendMsg::new(b"x", to)], 1.0).unwrap_err().is_closed());
    assert!(socket.set_recv_pktinfo(true).unwrap_err().is_closed());
    assert!(socket.set_gro(true).unwrap_err().is_closed());
    assert!(socket.segment_size().unwrap_err().is_closed());
}

/// `recv_msg_vectored`: the datagram scattered over the buffers with its control data, a cut
/// reported (not an error), `MSG_ERRQUEUE` waiting on the error queue never early, and
/// `MSG_PEEK` refused.
fn recv_msg_vectored_scatters_reports_and_takes_flags() {
    for any in loopbacks() {
        let socket = bound(&any);
        socket.set_recv_ttl(true).unwrap();
        let me = socket.addr().unwrap();
        socket.send(b"headbody!", &me, PATIENCE).unwrap();
        let (mut head, mut body, mut control) = ([0; 4], [0; 4], [0; 64]);
        let mut bufs = [std::io::IoSliceMut::new(&mut head), std::io::IoSliceMut::new(&mut body)];
        let meta = socket.recv_msg_vectored(&mut bufs, &mut control, 0, PATIENCE).unwrap();
        assert_eq!((meta.len(), meta.full_len(), meta.is_truncated(), meta.from()), (8, 9, true, Some(me)));
        assert!(meta.ttl().is_some(), "the control data came");
        assert_eq!((&head, &body), (b"head", b"body"));
        let mut bufs = [std::io::IoSliceMut::new(&mut head)];
        let (got, waited) = timed(|| socket.recv_msg_vectored(&mut bufs, &mut control, libc::MSG_ERRQUEUE, 0.1));
        assert_eq!(got.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_waited(waited, Duration::from_millis(100), "recv_msg_vectored(MSG_ERRQUEUE)");
        socket.send(b"x", &me, PATIENCE).unwrap();
        let err = socket.recv_msg_vectored(&mut bufs, &mut control, libc::MSG_PEEK, PATIENCE).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(socket.recv_msg_vectored(&mut bufs, &mut [], 0, PATIENCE).unwrap().len(), 1, "not consumed");
        let mut closed = socket;
        closed.close().unwrap();
        assert!(closed.recv_msg_vectored(&mut bufs, &mut control, 0, PATIENCE).unwrap_err().is_closed());
    }
}
