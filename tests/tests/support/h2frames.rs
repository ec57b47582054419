//! HTTP/2 spoken frame by frame, for tests that need what a client library hides: frames a
//! well-behaved client never sends, and every frame the server sends (PINGs, GOAWAY).

use tokio::io::{AsyncRead, AsyncReadExt};

/// What a client sends first: the connection preface and an empty SETTINGS.
pub fn client_hello() -> Vec<u8> {
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend(frame(SETTINGS, 0, 0, &[]));
    hello
}

pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const CONTINUATION: u8 = 0x9;
pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const CANCEL: u32 = 0x8;
pub const REFUSED_STREAM: u32 = 0x7;
pub const ENHANCE_YOUR_CALM: u32 = 0xb;

/// One frame: the 9-byte header (24-bit length, type, flags, 31-bit stream id), then the
/// payload.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap();
    assert!(len < 1 << 24);
    let mut out = Vec::with_capacity(9 + payload.len());
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An HPACK integer with an `n`-bit prefix, the first byte's other bits set to `flags`.
pub fn hpack_int(flags: u8, n: u32, mut value: usize, out: &mut Vec<u8>) {
    let max = (1usize << n) - 1;
    if value < max {
        out.push(flags | value as u8);
        return;
    }
    out.push(flags | max as u8);
    value -= max;
    while value >= 128 {
        out.push((value % 128) as u8 | 0x80);
        value /= 128;
    }
    out.push(value as u8);
}

/// An HPACK string literal, not Huffman-coded.
pub fn hpack_str(text: &[u8], out: &mut Vec<u8>) {
    hpack_int(0, 7, text.len(), out);
    out.extend_from_slice(text);
}

/// The header block of `GET path`: `:method GET` and `:scheme http` from the static table
/// (indexed, 0x82 and 0x86), `:authority` and `:path` as literals without indexing (so that
/// the dynamic table holds only what a test puts there).
pub fn get_block(path: &str) -> Vec<u8> {
    let mut block = vec![0x82, 0x86, 0x01];
    hpack_str(b"localhost", &mut block);
    block.push(0x04);
    hpack_str(path.as_bytes(), &mut block);
    block
}

/// A literal header field without indexing, with a new name.
pub fn literal(name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = vec![0x00];
    hpack_str(name, &mut out);
    hpack_str(value, &mut out);
    out
}

#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

impl Frame {
    /// A GOAWAY's last stream id, error code and debug data.
    pub fn goaway(&self) -> (u32, u32, String) {
        assert_eq!(self.kind, GOAWAY, "{self:?}");
        let word = |at: usize| u32::from_be_bytes(self.payload[at..at + 4].try_into().unwrap());
        (
            word(0) & 0x7fff_ffff,
            word(4),
            String::from_utf8_lossy(&self.payload[8..]).into_owned(),
        )
    }

    /// A RST_STREAM's error code.
    pub fn reset_code(&self) -> u32 {
        assert_eq!(self.kind, RST_STREAM, "{self:?}");
        u32::from_be_bytes(self.payload[..4].try_into().unwrap())
    }
}

/// The next frame; `None` when the server closed (or reset) the connection.
pub async fn read_frame(reader: &mut (impl AsyncRead + Unpin)) -> Option<Frame> {
    let mut head = [0u8; 9];
    match reader.read_exact(&mut head).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return None,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
        Err(e) => panic!("reading a frame: {e}"),
    }
    let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    let mut payload = vec![0; len];
    reader
        .read_exact(&mut payload)
        .await
        .expect("a whole frame");
    Some(Frame {
        kind: head[3],
        flags: head[4],
        stream: u32::from_be_bytes(head[5..9].try_into().unwrap()) & 0x7fff_ffff,
        payload,
    })
}
