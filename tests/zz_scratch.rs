mod support;
use std::io::Read;
#[test]
fn empty_read() {
    let (_s, mut client, _peer) = support::pair(&"127.0.0.1:0".parse().unwrap());
    let t = std::time::Instant::now();
    let r = client.read(&mut []);
    eprintln!("plain: {r:?} {:?}", t.elapsed());
    let _ = client.recv(&mut [0; 8], 0.25);
    let t = std::time::Instant::now();
    let r = client.read(&mut []);
    eprintln!("after timed: {r:?} {:?}", t.elapsed());
}
