//! A TCP front door for burn's remote-device server. burn accepts WebSocket messages of up to
//! 1 GiB and checks the client's token only inside the first one, so an unauthenticated peer could
//! make it buffer 1 GiB per connection. The gate relays each connection to the real server on
//! loopback, but until the client's first binary message has passed it holds little and reads
//! only what the limits allow: a bounded HTTP head, then frame headers whose declared lengths are
//! checked before any payload is read. After that it is a plain two-way copy.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use std::{fmt, thread};

/// How often the accept loop looks at `stop` when no connection is waiting.
const POLL: Duration = Duration::from_millis(25);
/// Largest read during the first message; also bounds the bytes held at once.
const CHUNK: usize = 16 * 1024;

/// What a client may send before its first binary message has passed.
#[derive(Debug, Clone)]
pub struct GateLimits {
    /// The HTTP upgrade request must end (`\r\n\r\n`) within this many bytes.
    pub max_head_bytes: usize,
    /// Payload bytes of all frames up to the end of the first binary message (control frames included).
    pub max_first_message_bytes: u64,
    /// Head and first message must arrive within this time of the accept.
    pub handshake_timeout: Duration,
    /// Connections in the handshake phase at once; further ones are closed at once.
    pub max_pending: usize,
}

impl Default for GateLimits {
    fn default() -> Self {
        Self { max_head_bytes: 16 * 1024, max_first_message_bytes: 64 * 1024, handshake_timeout: Duration::from_secs(10), max_pending: 32 }
    }
}

/// Why the gate closed a connection during its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateError {
    HeadTooLarge,
    /// A client frame without the mask bit (RFC 6455 §5.1: the server must close).
    Unmasked,
    /// An opcode out of place: text, a continuation with nothing to continue, a new message
    /// inside a fragmented one, or a reserved opcode.
    BadOpcode(u8),
    /// A control frame that is fragmented or longer than 125 bytes.
    BadControl,
    /// The first message's declared bytes so far.
    MessageTooLarge(u64),
    Timeout,
}

impl fmt::Display for GateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HeadTooLarge => write!(f, "HTTP upgrade request too large"),
            Self::Unmasked => write!(f, "unmasked client frame"),
            Self::BadOpcode(op) => write!(f, "unexpected WebSocket opcode {op:#x} before the first binary message"),
            Self::BadControl => write!(f, "fragmented or oversized control frame"),
            Self::MessageTooLarge(n) => write!(f, "first WebSocket message too large ({n} bytes declared)"),
            Self::Timeout => write!(f, "handshake timed out"),
        }
    }
}

impl std::error::Error for GateError {}

impl From<GateError> for io::Error {
    fn from(e: GateError) -> Self {
        let kind = if e == GateError::Timeout { io::ErrorKind::TimedOut } else { io::ErrorKind::InvalidData };
        io::Error::new(kind, e)
    }
}

/// A WebSocket frame header (RFC 6455 §5.2), as far as the gate needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub fin: bool,
    pub opcode: u8,
    /// Declared payload length.
    pub len: u64,
}

/// Parses a client frame header at the start of `buf`: `Ok(None)` until all of it (2 to 14 bytes)
/// is there, else the header and its length in bytes. Never looks at the payload.
pub fn frame_header(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, GateError> {
    let &[b0, b1, ..] = buf else { return Ok(None) };
    if b1 & 0x80 == 0 {
        return Err(GateError::Unmasked);
    }
    let ext = match b1 & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let header_len = 2 + ext + 4; // + the masking key
    if buf.len() < header_len {
        return Ok(None);
    }
    let mut be = [0u8; 8];
    be[8 - ext..].copy_from_slice(&buf[2..2 + ext]);
    let len = if ext == 0 { u64::from(b1 & 0x7f) } else { u64::from_be_bytes(be) };
    Ok(Some((FrameHeader { fin: b0 & 0x80 != 0, opcode: b0 & 0x0f, len }, header_len)))
}

/// Bytes declared so far before the end of the first binary message.
#[derive(Debug, Default)]
struct FirstMessage {
    total: u64,
    started: bool,
}

impl FirstMessage {
    /// Checks a frame header before any of its payload is read; `Ok(true)` when this frame ends
    /// the first message. Text is refused: burn's server skips text messages, so a text "first
    /// message" would let an unbounded binary one through ahead of the token check.
    fn check(&mut self, h: &FrameHeader, max: u64) -> Result<bool, GateError> {
        self.total = self.total.saturating_add(h.len);
        if self.total > max {
            return Err(GateError::MessageTooLarge(self.total));
        }
        match (h.opcode, self.started) {
            (0x8..=0xa, _) if h.fin && h.len <= 125 => return Ok(false),
            (0x8..=0xa, _) => return Err(GateError::BadControl),
            (0x2, false) | (0x0, true) => self.started = true,
            (op, _) => return Err(GateError::BadOpcode(op)),
        }
        Ok(h.fin)
    }
}

/// Frees a handshake slot however the handshake ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts on `public` and relays each connection to `inner` (burn's server on loopback), with
/// the handshake bounded by `limits`, until `stop` is set. Connections already open run on until
/// either side closes.
pub fn run(public: TcpListener, inner: SocketAddr, limits: GateLimits, stop: &AtomicBool) -> io::Result<()> {
    // Nonblocking, so the loop sees `stop` without a connection arriving.
    public.set_nonblocking(true)?;
    let pending = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::SeqCst) {
        let client = match public.accept() {
            Ok((client, _)) => client,
            // Nothing waiting, or a transient failure (a peer that reset, out of descriptors):
            // keep serving rather than take the server down, and back off.
            Err(_) => {
                thread::sleep(POLL);
                continue;
            }
        };
        // Only this thread takes slots, so checking then adding cannot overshoot.
        if pending.load(Ordering::SeqCst) >= limits.max_pending {
            drop(client);
            continue;
        }
        pending.fetch_add(1, Ordering::SeqCst);
        let (slot, limits) = (Slot(pending.clone()), limits.clone());
        // If the thread cannot start, the closure drops: the connection closes and the slot frees.
        let _ = thread::Builder::new().name("gate".into()).spawn(move || serve(client, inner, &limits, slot));
    }
    Ok(())
}

/// One connection: the bounded handshake, then a plain copy both ways.
fn serve(mut client: TcpStream, inner: SocketAddr, limits: &GateLimits, slot: Slot) -> io::Result<()> {
    // An accepted socket may inherit the listener's nonblocking mode on some platforms.
    client.set_nonblocking(false)?;
    client.set_nodelay(true)?; // tensors are small, latency-bound messages
    // Clamped so that no setting makes the deadline overflow.
    let deadline = Instant::now() + limits.handshake_timeout.min(Duration::from_secs(86_400));
    let (head, head_len) = read_head(&mut client, limits.max_head_bytes, deadline)?;
    // Connect only once the head is complete, so silent peers never reach burn's server.
    let mut inner = TcpStream::connect_timeout(&inner, limits.handshake_timeout)?;
    inner.set_nodelay(true)?;
    inner.set_write_timeout(Some(limits.handshake_timeout))?; // a stuck server must not hold the slot
    let (inner_r, client_w) = (inner.try_clone()?, client.try_clone()?);
    // The server's replies (101, then frames) go back from the start.
    let back = thread::Builder::new().name("gate-back".into()).spawn(move || pipe(inner_r, client_w))?;
    let passed = inner
        .write_all(&head[..head_len])
        .and_then(|()| relay_first_message(&mut client, &mut inner, head[head_len..].to_vec(), limits.max_first_message_bytes, deadline));
    drop(slot);
    let result = passed.and_then(|()| {
        client.set_read_timeout(None)?;
        inner.set_write_timeout(None)?;
        pipe(client.try_clone()?, inner.try_clone()?);
        Ok(())
    });
    // Shutting both ends the other thread's copy whatever happened here.
    let _ = client.shutdown(Shutdown::Both);
    let _ = inner.shutdown(Shutdown::Both);
    let _ = back.join();
    result
}

/// Copies until either side ends, then shuts both sockets so the other direction ends too.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let _ = io::copy(&mut from, &mut to);
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// Reads into `buf` with what is left of the handshake time; end of stream is an error here.
fn read_by(client: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> io::Result<usize> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(GateError::Timeout.into());
        }
        client.set_read_timeout(Some(left))?;
        match client.read(buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => return Err(GateError::Timeout.into()),
            Err(e) => return Err(e),
        }
    }
}

/// Reads the HTTP head into a buffer of at most `max` bytes: the buffer (head, then any frame
/// bytes read with it) and the head's length.
fn read_head(client: &mut TcpStream, max: usize, deadline: Instant) -> io::Result<(Vec<u8>, usize)> {
    let (mut buf, mut filled) = (vec![0u8; max], 0);
    while filled < max {
        let from = filled.saturating_sub(3); // the terminator may straddle two reads
        filled += read_by(client, &mut buf[filled..], deadline)?;
        if let Some(i) = buf[from..filled].windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(filled);
            return Ok((buf, from + i + 4));
        }
    }
    Err(GateError::HeadTooLarge.into())
}

/// Relays frames until the first binary message ends, checking each header before reading its
/// payload and forwarding payload as it comes. `pending` holds at most a partial header and one read.
fn relay_first_message(client: &mut TcpStream, inner: &mut TcpStream, mut pending: Vec<u8>, max: u64, deadline: Instant) -> io::Result<()> {
    let (mut msg, mut chunk) = (FirstMessage::default(), vec![0u8; CHUNK]);
    loop {
        let Some((header, header_len)) = frame_header(&pending)? else {
            let n = read_by(client, &mut chunk, deadline)?;
            pending.extend_from_slice(&chunk[..n]);
            continue;
        };
        let done = msg.check(&header, max)?;
        let mut left = header.len.saturating_add(header_len as u64); // a frame this long fails to arrive in time
        loop {
            let take = left.min(pending.len() as u64) as usize;
            inner.write_all(&pending[..take])?;
            pending.drain(..take);
            left -= take as u64;
            if left == 0 {
                break;
            }
            // Read no further than this frame's payload.
            let n = read_by(client, &mut chunk[..left.min(CHUNK as u64) as usize], deadline)?;
            pending.extend_from_slice(&chunk[..n]);
        }
        if done {
            return inner.write_all(&pending); // bytes of later frames, read with this one
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use tungstenite::Message;

    const HEAD: &[u8] = b"GET /session HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const SECS: Duration = Duration::from_secs(2);

    /// A gate on a loopback port that stops when dropped.
    struct Gate(SocketAddr, Arc<AtomicBool>);

    impl Drop for Gate {
        fn drop(&mut self) {
            self.1.store(true, Ordering::SeqCst);
        }
    }

    fn gate(inner: SocketAddr, limits: GateLimits) -> Gate {
        let public = TcpListener::bind("127.0.0.1:0").unwrap();
        let (addr, stop) = (public.local_addr().unwrap(), Arc::new(AtomicBool::new(false)));
        let stop2 = stop.clone();
        thread::spawn(move || run(public, inner, limits, &stop2).unwrap());
        Gate(addr, stop)
    }

    /// An inner server that counts each connection's bytes until it ends.
    fn counter() -> (SocketAddr, mpsc::Receiver<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (addr, (tx, rx)) = (listener.local_addr().unwrap(), mpsc::channel());
        thread::spawn(move || {
            for mut s in listener.incoming().flatten() {
                let tx = tx.clone();
                thread::spawn(move || tx.send(io::copy(&mut s, &mut io::sink()).unwrap_or(0) as usize));
            }
        });
        (addr, rx)
    }

    fn connect(addr: SocketAddr) -> TcpStream {
        let s = TcpStream::connect(addr).unwrap();
        s.set_write_timeout(Some(SECS)).unwrap();
        s
    }

    /// A masked client frame with a zero payload of `len` bytes (`payload` false: header only).
    fn frame(b0: u8, len: u64, payload: bool) -> Vec<u8> {
        let mut f = vec![b0];
        match len {
            0..=125 => f.push(0x80 | len as u8),
            126..=0xffff => f.extend([0x80 | 126].into_iter().chain((len as u16).to_be_bytes())),
            _ => f.extend([0x80 | 127].into_iter().chain(len.to_be_bytes())),
        }
        f.extend([1, 2, 3, 4]);
        f.resize(f.len() + if payload { len as usize } else { 0 }, 0);
        f
    }

    /// Asserts the gate has closed `s` within `within`: end of stream or a reset.
    fn assert_closed(s: &mut TcpStream, within: Duration) {
        s.set_read_timeout(Some(within)).unwrap();
        let mut buf = [0u8; 1024];
        loop {
            match s.read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => panic!("still open after {within:?}"),
                Err(_) => return,
            }
        }
    }

    fn assert_open(s: &mut TcpStream, for_: Duration) {
        s.set_read_timeout(Some(for_)).unwrap();
        let e = s.read(&mut [0u8; 16]).expect_err("the gate should neither send nor close");
        assert!(matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut), "{e}");
    }

    #[test]
    fn frame_headers() {
        let h = |fin, opcode, len| FrameHeader { fin, opcode, len };
        assert_eq!(frame_header(&[0x82, 0x85, 1, 2, 3, 4, 9]), Ok(Some((h(true, 2, 5), 6))));
        assert_eq!(frame_header(&[0x02, 0xfe, 1, 0, 1, 2, 3, 4]), Ok(Some((h(false, 2, 256), 8))));
        assert_eq!(frame_header(&frame(0x80, 1 << 30, false)), Ok(Some((h(true, 0, 1 << 30), 14))));
        for short in [&[][..], &[0x82], &[0x82, 0x85, 1, 2, 3], &[0x82, 0xfe, 1, 0], &frame(0x82, 1 << 30, false)[..13]] {
            assert_eq!(frame_header(short), Ok(None), "{short:?}");
        }
        assert_eq!(frame_header(&[0x82, 0x05, 0, 0, 0, 0, 0]), Err(GateError::Unmasked));
        // No input panics: every first two bytes, with every shorter and longer tail.
        let tail = [0xffu8; 14];
        for b0 in 0..=255u8 {
            for b1 in 0..=255u8 {
                (0..=tail.len()).for_each(|n| _ = frame_header(&[&[b0, b1][..], &tail[..n]].concat()));
            }
        }
    }

    #[test]
    fn first_message_rules() {
        let h = |fin, opcode, len| FrameHeader { fin, opcode, len };
        let mut m = FirstMessage::default();
        assert_eq!(m.check(&h(true, 0x9, 125), 1000), Ok(false)); // a ping before the message
        assert_eq!(m.check(&h(false, 0x2, 500), 1000), Ok(false));
        assert_eq!(m.check(&h(false, 0x2, 1), 1000), Err(GateError::BadOpcode(2))); // new message mid-fragment
        let mut m = FirstMessage::default();
        assert_eq!(m.check(&h(false, 0x2, 500), 1000), Ok(false));
        assert_eq!(m.check(&h(true, 0x0, 375), 1000), Ok(true));
        for (bad, err) in [
            (h(true, 0x1, 5), GateError::BadOpcode(1)),
            (h(true, 0x0, 5), GateError::BadOpcode(0)),
            (h(true, 0x3, 5), GateError::BadOpcode(3)),
            (h(true, 0x9, 126), GateError::BadControl),
            (h(false, 0x9, 5), GateError::BadControl),
            (h(true, 0x2, 1001), GateError::MessageTooLarge(1001)),
            (h(true, 0x2, u64::MAX), GateError::MessageTooLarge(u64::MAX)),
        ] {
            assert_eq!(FirstMessage::default().check(&bad, 1000), Err(err), "{bad:?}");
        }
    }

    #[test]
    fn echoes_through_the_gate_with_no_limit_after_the_first_message() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let inner = listener.local_addr().unwrap();
        thread::spawn(move || {
            let mut ws = tungstenite::accept(listener.accept().unwrap().0).unwrap();
            while let Ok(m @ Message::Binary(_)) = ws.read() {
                ws.send(m).unwrap();
            }
        });
        let gate = gate(inner, GateLimits::default());
        let stream = TcpStream::connect(gate.0).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let (mut ws, _) = tungstenite::client(format!("ws://{}/session", gate.0), stream).unwrap();
        for len in [300, 4 << 20] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            ws.send(Message::Binary(data.clone().into())).unwrap();
            assert_eq!(ws.read().unwrap(), Message::Binary(data.into()));
        }
    }

    #[test]
    fn a_huge_declared_first_frame_is_closed_unread() {
        let (inner, received) = counter();
        let gate = gate(inner, GateLimits::default());
        let mut s = connect(gate.0);
        s.write_all(HEAD).unwrap();
        s.write_all(&frame(0x82, 1 << 30, false)).unwrap();
        let _ = s.write_all(&[0u8; 256 * 1024]); // fails once the gate closes
        assert_closed(&mut s, SECS);
        let n = received.recv_timeout(SECS).unwrap();
        assert!((HEAD.len()..HEAD.len() + 64 * 1024 + 14).contains(&n), "inner server received {n} bytes");
    }

    #[test]
    fn a_fragmented_first_message_is_bounded_in_total() {
        let (inner, received) = counter();
        let gate = gate(inner, GateLimits::default());
        // 66 fragments of 1000 bytes: over 64 KiB in all, though each frame is small.
        let mut s = connect(gate.0);
        s.write_all(HEAD).unwrap();
        let _ = (0..66).try_for_each(|i| s.write_all(&frame(if i == 0 { 0x02 } else { 0x00 }, 1000, true)));
        assert_closed(&mut s, SECS);
        let n = received.recv_timeout(SECS).unwrap();
        assert!(n < HEAD.len() + 64 * 1024 + 66 * 8, "inner server received {n} bytes");
        // 60 fragments with a ping between, then a 1 MiB message: all of it passes.
        let mut s = connect(gate.0);
        let mut sent = HEAD.to_vec();
        for i in 0..60 {
            if i == 1 {
                sent.extend(frame(0x89, 4, true));
            }
            sent.extend(frame(if i == 0 { 0x02 } else { 0 } | u8::from(i == 59) << 7, 1000, true));
        }
        sent.extend(frame(0x82, 1 << 20, true));
        s.write_all(&sent).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        assert_eq!(received.recv_timeout(SECS), Ok(sent.len()));
    }

    #[test]
    fn an_endless_head_and_a_silent_client_are_closed() {
        let (inner, _received) = counter();
        // The head limit, not the (10 s) timeout, closes this one.
        let patient = gate(inner, GateLimits::default());
        let mut s = connect(patient.0);
        let _ = s.write_all(&[b'a'; 20 * 1024]);
        assert_closed(&mut s, SECS);
        let gate = gate(inner, GateLimits { handshake_timeout: Duration::from_millis(300), ..GateLimits::default() });
        let (mut s, start) = (connect(gate.0), Instant::now());
        assert_closed(&mut s, SECS);
        assert!(start.elapsed() >= Duration::from_millis(250), "closed after {:?}, before the timeout", start.elapsed());
    }

    #[test]
    fn connections_over_max_pending_are_closed_at_once() {
        let (inner, _received) = counter();
        let gate = gate(inner, GateLimits { max_pending: 2, ..GateLimits::default() });
        let (mut a, mut b) = (connect(gate.0), connect(gate.0));
        thread::sleep(Duration::from_millis(300)); // let the gate accept both
        assert_closed(&mut connect(gate.0), Duration::from_secs(1));
        assert_open(&mut a, Duration::from_millis(100));
        assert_open(&mut b, Duration::from_millis(100));
        drop(a); // its slot frees once the gate sees it go
        thread::sleep(Duration::from_millis(300));
        assert_open(&mut connect(gate.0), Duration::from_millis(300));
    }

    #[test]
    fn run_returns_once_stop_is_set() {
        let (public, stop, (tx, rx)) = (TcpListener::bind("127.0.0.1:0").unwrap(), Arc::new(AtomicBool::new(false)), mpsc::channel());
        let (inner, stop2) = (public.local_addr().unwrap(), stop.clone());
        thread::spawn(move || tx.send(run(public, inner, GateLimits::default(), &stop2).is_ok()));
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err(), "returned before stop");
        stop.store(true, Ordering::SeqCst);
        assert_eq!(rx.recv_timeout(Duration::from_secs(1)), Ok(true));
    }
}
