//! A watch on HTTP/1 request framing, below hyper, for the one ambiguity hyper resolves
//! instead of rejecting: `Content-Length` together with `Transfer-Encoding`.
//!
//! hyper drops the `Content-Length`, frames the body as chunked and closes the connection
//! afterwards. That is safe, but routemark's policy (`docs/hardening.md`) is stricter: such a
//! request never reaches a handler; it is answered `400` and the connection closed. hyper
//! strips the header before the service sees the request, so the check happens here, on the
//! bytes: the guard holds each request head back until it is complete, and when a head has
//! both fields it renames every `Content-Length` to [`CONFLICT_MARKER`], a header of the same
//! length, so that hyper frames the request exactly as it would have (chunked, close) and the
//! dispatcher, seeing the marker, answers 400 without running a handler.
//!
//! To find the next head, the guard follows the framing of each body (`Content-Length`
//! bytes, or chunks up to the last chunk and trailers). Whenever the bytes are anything it
//! does not fully understand (HTTP/2, a malformed length, an over-long head), it stops
//! watching and passes every later byte through unchanged: hyper then rejects what is
//! malformed on its own, and nothing is ever held back for good.
//!
//! The connection's header read timeout rests on the guard too (it times the heads the guard
//! holds, `io.rs`), so the guard stops watching only where the connection ends anyway (hyper
//! closes it after rejecting the bytes) or is not HTTP/1 (HTTP/2). In particular it follows
//! HTTP/1.0 requests, `CONNECT`s and requests that ask to upgrade: routemark's server never
//! switches protocols (it serves connections without hyper's upgrades, and answers `CONNECT`
//! 501), so such a request is answered like any other and the connection stays HTTP/1, with
//! a next head to time and check. A server that did upgrade would have to stop watching
//! after a `101`.

use crate::dispatch::validate::CONFLICT_MARKER;

/// The longest chunk-size line (size, extensions) followed; longer lines are past hyper's
/// 16 KiB extension limit anyway.
const MAX_LINE: usize = 17 << 10;

/// The most capacity a guard's buffers keep once emptied (see `release_held`).
pub(crate) const RETAINED_CAPACITY: usize = 4 << 10;

#[derive(Debug)]
#[cfg_attr(test, derive(PartialEq, Eq))]
enum State {
    /// Accumulating a request head in `held`.
    Head,
    /// `remaining` bytes of a `Content-Length` body.
    Fixed { remaining: u64 },
    /// A chunk-size line, collected in `line`.
    ChunkSize,
    /// Chunk data plus its CRLF.
    ChunkData { remaining: u64 },
    /// Trailer lines up to the empty line, the current one collected in `line`.
    Trailers,
    /// Not watching any more: everything passes through.
    PassThrough,
}

#[derive(Debug)]
// In field order: what each request reads first (`GuardedIo`'s comment).
#[repr(C)]
pub(crate) struct FramingGuard {
    state: State,
    /// The incomplete head being accumulated, from its first byte. None of it reaches hyper
    /// before it is complete; the connection times it meanwhile (`io.rs`).
    held: Vec<u8>,
    /// How many heads were complete so far (wrapping): tells one held head from the next.
    heads: u32,
    max_head: usize,
    line: Vec<u8>,
}

impl FramingGuard {
    /// A guard that holds at most `max_head` bytes of a request head (the server's header
    /// limit) before giving up and passing the bytes on for hyper to answer 431.
    pub(crate) fn new(max_head: usize) -> FramingGuard {
        FramingGuard {
            state: State::Head,
            held: Vec::new(),
            heads: 0,
            line: Vec::new(),
            max_head,
        }
    }

    /// Whether the guard holds part of a head, so that new bytes must go through
    /// [`feed`](Self::feed) rather than [`feed_in_place`](Self::feed_in_place).
    pub(crate) fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// The number of the incomplete head the guard holds, if any: it changes when one head
    /// completes and the next one starts in the same bytes, so each gets its own timeout.
    pub(crate) fn held_head(&self) -> Option<u32> {
        self.is_holding().then_some(self.heads)
    }

    /// Whether the guard stopped watching: every later byte passes through unchanged.
    pub(crate) fn is_passing_through(&self) -> bool {
        matches!(self.state, State::PassThrough)
    }

    /// Feeds bytes read from the client; appends to `out` the bytes that may go to hyper now.
    ///
    /// Iterative and copy-once: the bytes that complete a held head are joined to it, and
    /// everything after that head is copied to `out` once and followed in place there. (A
    /// version that split the rest off after each head and recursed held every remainder at
    /// once: a read of a few thousand pipelined heads cost quadratic memory and as many stack
    /// frames, issue 18.)
    pub(crate) fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        if self.is_holding() {
            let searched_from = self.held.len().saturating_sub(3);
            let joined_at = self.held.len();
            self.held.extend_from_slice(input);
            match head_end(&self.held, searched_from) {
                Some(end) => {
                    self.heads = self.heads.wrapping_add(1);
                    // `head_end` and `inspect_head` find the same end; should they ever
                    // disagree, stop watching rather than hold bytes back.
                    self.state = inspect_head(&mut self.held[..end])
                        .map_or(State::PassThrough, |(_, state)| state);
                    out.extend_from_slice(&self.held[..end]);
                    self.release_held();
                    input = &input[end - joined_at..];
                }
                None if self.held.len() > self.max_head => {
                    self.state = State::PassThrough;
                    out.extend_from_slice(&self.held);
                    self.release_held();
                    return;
                }
                None => return,
            }
        }
        let start = out.len();
        out.extend_from_slice(input);
        let released = self.feed_in_place(&mut out[start..]);
        out.truncate(start + released);
    }

    /// Empties `held`, giving back the memory of a long head: a connection that once sent
    /// one keeps no more than a small buffer for the rest of its life.
    fn release_held(&mut self) {
        if self.held.capacity() > RETAINED_CAPACITY {
            self.held = Vec::new();
        } else {
            self.held.clear();
        }
    }

    /// [`feed`](Self::feed) without copying, for bytes read while the guard holds nothing:
    /// rewrites `input` where needed and returns how many of its leading bytes may go to
    /// hyper now. The guard keeps the rest (the start of an incomplete head), which the
    /// caller must drop from its buffer.
    pub(crate) fn feed_in_place(&mut self, input: &mut [u8]) -> usize {
        debug_assert!(!self.is_holding());
        let mut at = 0;
        while at < input.len() {
            match self.state {
                State::PassThrough => return input.len(),
                State::Head => match inspect_head(&mut input[at..]) {
                    Some((len, state)) => {
                        self.state = state;
                        self.heads = self.heads.wrapping_add(1);
                        at += len;
                    }
                    None if input.len() - at > self.max_head => {
                        self.state = State::PassThrough;
                        return input.len();
                    }
                    None => {
                        self.held.extend_from_slice(&input[at..]);
                        return at;
                    }
                },
                _ => at += self.follow_body(&input[at..]),
            }
        }
        input.len()
    }

    /// Follows a body (any state but `Head` and `PassThrough`) over the start of `input`;
    /// returns how many bytes it consumed, all of which may go to hyper.
    fn follow_body(&mut self, input: &[u8]) -> usize {
        match &mut self.state {
            State::Head => 0,
            State::PassThrough => input.len(),
            State::Fixed { remaining } | State::ChunkData { remaining } => {
                let take = usize::try_from(*remaining)
                    .unwrap_or(usize::MAX)
                    .min(input.len());
                *remaining -= take as u64;
                if *remaining == 0 {
                    self.state = match self.state {
                        State::ChunkData { .. } => State::ChunkSize,
                        _ => State::Head,
                    };
                }
                take
            }
            State::ChunkSize | State::Trailers => {
                let (line_done, used) = match input.iter().position(|&b| b == b'\n') {
                    Some(i) => (true, i + 1),
                    None => (false, input.len()),
                };
                self.line.extend_from_slice(&input[..used]);
                if self.line.len() > MAX_LINE {
                    self.state = State::PassThrough;
                    return used;
                }
                if line_done {
                    let line = std::mem::take(&mut self.line);
                    self.state = match self.state {
                        State::ChunkSize => match chunk_size(&line) {
                            Some(0) => State::Trailers,
                            // The data and its CRLF; a size too large for that is one hyper
                            // rejects too, so stop watching.
                            Some(size) => match size.checked_add(2) {
                                Some(remaining) => State::ChunkData { remaining },
                                None => State::PassThrough,
                            },
                            None => State::PassThrough,
                        },
                        _ if line == b"\r\n" || line == b"\n" => State::Head,
                        _ => State::Trailers,
                    };
                }
                used
            }
        }
    }

    /// At end of stream: whatever is still held goes to hyper, which sees a truncated head.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.held.is_empty() {
            out.extend_from_slice(&self.held);
        }
        self.held.clear();
        self.state = State::PassThrough;
    }
}

/// The index just past the blank line that ends a head (`\r\n\r\n` or a bare-LF form, which
/// hyper also accepts), ignoring blank lines before the request line. Searches from
/// `searched_from` on, so that a head arriving a few bytes at a time is not searched again
/// from its start at every read; [`inspect_head`] finds the same end, with the same test
/// ([`blank_line_after`]) after the same `\n`s.
fn head_end(buf: &[u8], searched_from: usize) -> Option<usize> {
    let mut at = searched_from.max(first_non_blank(buf)?);
    loop {
        let newline = next_newline(buf, at)?;
        if let Some(end) = blank_line_after(buf, newline) {
            return Some(end);
        }
        at = newline + 1;
    }
}

/// Where the request line starts: after any blank lines (`\r`, `\n`) before it.
fn first_non_blank(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b != b'\r' && b != b'\n')
}

/// The end of the head when the line after the `\n` at `newline` is blank: empty, or a lone
/// `\r` (the line as `trim_cr` leaves it).
fn blank_line_after(buf: &[u8], newline: usize) -> Option<usize> {
    match buf.get(newline + 1)? {
        b'\n' => Some(newline + 2),
        b'\r' => (buf.get(newline + 2) == Some(&b'\n')).then_some(newline + 3),
        _ => None,
    }
}

/// Finds the end of the head at the start of `buf` and decides how the body after it is
/// framed, renaming conflicting `Content-Length`s; `None` while the head is incomplete.
/// Runs once per request, without allocating, in one pass over the head a word at a time
/// ([`next_newline`]). After each `\n` one look at the next byte ([`LINE_STARTS`]) tells a
/// blank line (the end) or, in a followed head, a line starting with `c` or `t`: only those,
/// which may be one of the two fields it needs, get a closer look.
fn inspect_head(buf: &mut [u8]) -> Option<(usize, State)> {
    let start = first_non_blank(buf)?;
    let request_line_end = next_newline(buf, start)?;
    // HTTP/2's preface and unknown versions are not followed (see the module documentation).
    let followed = is_followed(trim_cr(&buf[start..request_line_end]));
    let mut framing = Framing::default();
    let mut newline = request_line_end;
    let end = loop {
        let line_start = newline + 1;
        // The same test as `blank_line_after`, with one branch for most lines.
        match LINE_STARTS[usize::from(*buf.get(line_start)?)] {
            LineStart::Other => {}
            LineStart::Lf => break line_start + 1,
            LineStart::Cr => {
                if buf.get(line_start + 1) == Some(&b'\n') {
                    break line_start + 2;
                }
            }
            LineStart::CorT => {
                if followed {
                    newline = next_newline(buf, line_start)?;
                    framing.look_at(trim_cr(&buf[line_start..newline]));
                    continue;
                }
            }
        }
        newline = next_newline(buf, line_start)?;
    };
    if !followed {
        return Some((end, State::PassThrough));
    }
    if framing.content_length.is_some() && framing.last_coding_is_chunked.is_some() {
        rename_content_length(&mut buf[..end]);
    }
    let state = match (framing.last_coding_is_chunked, framing.content_length) {
        (Some(true), _) => State::ChunkSize,
        (Some(false), _) => State::PassThrough,
        (None, Some(Some(0)) | None) => State::Head,
        (None, Some(Some(remaining))) => State::Fixed { remaining },
        (None, Some(None)) => State::PassThrough,
    };
    Some((end, state))
}

/// What the first byte of a line tells [`inspect_head`].
#[derive(Clone, Copy)]
enum LineStart {
    Other,
    /// An empty line: the end of the head.
    Lf,
    /// The end of the head if a `\n` follows.
    Cr,
    /// Maybe `Content-Length` or `Transfer-Encoding`, in any case.
    CorT,
}

/// [`LineStart`] by byte.
static LINE_STARTS: [LineStart; 256] = {
    let mut table = [LineStart::Other; 256];
    table[b'\n' as usize] = LineStart::Lf;
    table[b'\r' as usize] = LineStart::Cr;
    table[b'c' as usize] = LineStart::CorT;
    table[b'C' as usize] = LineStart::CorT;
    table[b't' as usize] = LineStart::CorT;
    table[b'T' as usize] = LineStart::CorT;
    table
};

/// The framing fields of a head, as far as read.
#[derive(Default)]
struct Framing {
    /// `Some(None)` for a value that does not parse, or lengths that differ.
    content_length: Option<Option<u64>>,
    last_coding_is_chunked: Option<bool>,
}

impl Framing {
    /// Reads `line` (without its line end) if it is one of the two fields. Not inlined: the
    /// lines that need it are few, and inlined it weighs on the scan of every other line.
    #[inline(never)]
    fn look_at(&mut self, line: &[u8]) {
        if let Some(value) = content_length_value(line) {
            let parsed = parse_content_length(value);
            self.content_length = Some(match self.content_length {
                Some(previous) if previous != parsed => None,
                _ => parsed,
            });
        } else if let Some(value) = transfer_encoding_value(line) {
            // Not UTF-8: no coding hyper knows, like any other unknown coding.
            let last =
                std::str::from_utf8(value).map_or("", |v| v.rsplit(',').next().unwrap_or_default());
            self.last_coding_is_chunked = Some(last.trim().eq_ignore_ascii_case("chunked"));
        }
    }
}

/// Whether a request line (without its line end) is one the guard follows: HTTP/1.1 or
/// HTTP/1.0, and not HTTP/2's preface.
fn is_followed(request_line: &[u8]) -> bool {
    request_line
        .last_chunk::<9>()
        .is_some_and(|version| version[..8] == *b" HTTP/1." && matches!(version[8], b'1' | b'0'))
        && !request_line.starts_with(b"PRI ")
}

const NEWLINES: u64 = 0x0a0a_0a0a_0a0a_0a0a;
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The first `\n` of `buf` from `at` on, looked for a word (eight bytes) at a time: the lines
/// of a head are short, and `memchr` paid its set-up once per line. Inlined, so that its
/// constants are set once per head rather than once per line.
#[inline(always)]
fn next_newline(buf: &[u8], mut at: usize) -> Option<usize> {
    let last_word = buf.len().checked_sub(8);
    while last_word.is_some_and(|last| at <= last) {
        let word = buf[at..at + 8].try_into().map_or(0, u64::from_le_bytes);
        // Four operations a word: the lowest high bit of `maybe` is the first `\n` unless a
        // byte before it is not ASCII (then the exact test decides).
        let maybe = ((word ^ NEWLINES).wrapping_sub(ONES)) & HIGH_BITS;
        if maybe != 0 {
            if let Some(i) = first_newline(word) {
                return Some(at + i);
            }
        }
        at += 8;
    }
    let rest = buf.len().checked_sub(at).filter(|&rest| rest > 0)?;
    match last_word {
        // The last eight bytes, shifted so that byte `at` comes first (zeros after the end):
        // no loop over the last bytes.
        Some(last) => {
            let word = buf[last..].try_into().map_or(0, u64::from_le_bytes);
            first_newline(word >> (8 * (8 - rest))).map(|i| at + i)
        }
        None => buf[at..].iter().position(|&b| b == b'\n').map(|i| at + i),
    }
}

/// The index of the first `\n` byte of `word` (little-endian). The high bit of the first
/// zero byte of `x` is exact: above a zero byte, the borrow may mark others, never below.
fn first_newline(word: u64) -> Option<usize> {
    let x = word ^ NEWLINES;
    let zeros = x.wrapping_sub(ONES) & !x & HIGH_BITS;
    (zeros != 0).then(|| (zeros.trailing_zeros() / 8) as usize)
}

/// Eight bytes of a field name as a word, and the bits that fold its letters' case.
#[derive(Clone, Copy)]
struct NameWord {
    word: u64,
    fold: u64,
}

impl NameWord {
    /// `name` in lowercase; only its letters fold, so that, as with `eq_ignore_ascii_case`,
    /// a `-` or `:` matches only itself (`\r | 0x20` is `-`).
    const fn new(name: &[u8; 8]) -> NameWord {
        let mut fold = 0;
        let mut i = 0;
        while i < 8 {
            if name[i].is_ascii_lowercase() {
                fold |= 0x20 << (8 * i);
            }
            i += 1;
        }
        NameWord {
            word: u64::from_le_bytes(*name),
            fold,
        }
    }

    /// Whether the eight bytes of `bytes` from `at` are this word in any case.
    fn at(self, bytes: &[u8], at: usize) -> bool {
        bytes
            .get(at..)
            .and_then(<[u8]>::first_chunk)
            .is_some_and(|word| u64::from_le_bytes(*word) | self.fold == self.word)
    }
}

/// The value of `line` when it is a `Content-Length` field (any case): its name and colon
/// compared as two overlapping words.
fn content_length_value(line: &[u8]) -> Option<&[u8]> {
    const START: NameWord = NameWord::new(b"content-");
    const END: NameWord = NameWord::new(b"-length:");
    let (name, value) = line.split_first_chunk::<15>()?;
    (START.at(name, 0) && END.at(name, 7)).then_some(value)
}

/// The value of `line` when it is a `Transfer-Encoding` field (any case), compared as
/// [`content_length_value`] does.
fn transfer_encoding_value(line: &[u8]) -> Option<&[u8]> {
    const START: NameWord = NameWord::new(b"transfer");
    const MIDDLE: NameWord = NameWord::new(b"-encodin");
    const END: NameWord = NameWord::new(b"ncoding:");
    let (name, value) = line.split_first_chunk::<18>()?;
    (START.at(name, 0) && MIDDLE.at(name, 8) && END.at(name, 10)).then_some(value)
}

/// A `Content-Length` value as `str::trim` and `u64::from_str` read it. Digits between
/// spaces, tabs or `\r`s (every length a client sends) are read here; anything else (a sign,
/// other whitespace, more digits than surely fit) the slow way, which decides.
fn parse_content_length(value: &[u8]) -> Option<u64> {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r');
    let plain = value.iter().position(|b| !is_space(b)).and_then(|from| {
        let digits = &value[from..];
        let len = digits
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(digits.len());
        (len <= 19 && digits[len..].iter().all(is_space)).then(|| {
            digits[..len]
                .iter()
                .fold(0, |n, d| n * 10 + u64::from(d - b'0'))
        })
    });
    plain.or_else(|| {
        std::str::from_utf8(value)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
    })
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn rename_content_length(head: &mut [u8]) {
    let name = b"content-length";
    let mut at_line_start = true;
    let mut i = 0;
    while i < head.len() {
        if at_line_start
            && head.len() >= i + name.len()
            && head[i..i + name.len()].eq_ignore_ascii_case(name)
        {
            head[i..i + name.len()].copy_from_slice(CONFLICT_MARKER.as_bytes());
        }
        at_line_start = head[i] == b'\n';
        i += 1;
    }
}

/// The size of a chunk-size line (`1a;ext=x\r\n`), hex digits only, as hyper reads it.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(line).ok()?;
    let digits = text
        .split([';', '\r', '\n', ' ', '\t'])
        .next()
        .unwrap_or_default();
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes released for `chunks` read one after another, checked to be the same
    /// whether every chunk goes through `feed` or, as `GuardedIo` does it, through
    /// `feed_in_place` whenever the guard holds nothing.
    fn run(chunks: &[&[u8]]) -> Vec<u8> {
        let mut guard = FramingGuard::new(64 << 10);
        let mut out = Vec::new();
        for chunk in chunks {
            guard.feed(chunk, &mut out);
        }
        let mut guard = FramingGuard::new(64 << 10);
        let mut in_place = Vec::new();
        for chunk in chunks {
            if guard.is_holding() {
                guard.feed(chunk, &mut in_place);
            } else {
                let mut bytes = chunk.to_vec();
                let released = guard.feed_in_place(&mut bytes);
                in_place.extend_from_slice(&bytes[..released]);
            }
        }
        assert_eq!(out, in_place, "feed and feed_in_place disagree");
        out
    }

    fn whole(input: &[u8]) -> Vec<u8> {
        run(&[input])
    }

    #[test]
    fn a_read_of_many_pipelined_heads_after_a_held_one_is_released_whole() {
        // Issue 18: the rest of such a read was split off and recursed into once per head,
        // holding every remainder at once (quadratic memory, one stack frame per head).
        let head: &[u8] = b"GET /users/octocat HTTP/1.1\r\nHost: x\r\n\r\n";
        let many = head.repeat(100_000);
        let mut guard = FramingGuard::new(64 << 10);
        let mut out = Vec::new();
        guard.feed(&head[..10], &mut out);
        assert!(guard.is_holding() && out.is_empty());
        guard.feed(&head[10..], &mut out);
        guard.feed(&many[..many.len() - 5], &mut out);
        assert_eq!(out.len(), head.len() * 100_000);
        assert_eq!(guard.held, many[many.len() - head.len()..many.len() - 5]);
        guard.feed(&many[many.len() - 5..], &mut out);
        assert_eq!(out, head.repeat(100_001));
        assert!(!guard.is_holding());
        assert!(guard.held.capacity() <= RETAINED_CAPACITY);
    }

    #[test]
    fn ordinary_requests_pass_unchanged() {
        let input: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcPOST /y HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.1\r\n\r\n";
        assert_eq!(whole(input), input);
    }

    #[test]
    fn content_length_with_transfer_encoding_is_marked_in_any_order() {
        let out = whole(
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        );
        assert_eq!(
            out,
            b"POST / HTTP/1.1\r\nx-routemark-cl: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        );
        let out =
            whole(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nCONTENT-LENGTH: 5\r\n\r\n");
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("\r\nx-routemark-cl: 5\r\n")
        );
    }

    #[test]
    fn a_smuggled_second_head_inside_a_body_is_still_watched() {
        // The second request is pipelined after a chunked body: it is found and marked.
        let input: &[u8] = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        let out = String::from_utf8(whole(input)).unwrap();
        assert_eq!(out.matches(CONFLICT_MARKER).count(), 1);
        assert_eq!(out.len(), input.len());
    }

    #[test]
    fn heads_are_held_until_complete_whatever_the_split() {
        let input: &[u8] =
            b"POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        let expected = whole(input);
        for split in 1..input.len() {
            assert_eq!(
                run(&[&input[..split], &input[split..]]),
                expected,
                "split at {split}"
            );
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(run(&bytes), expected);
    }

    #[test]
    fn unknown_framing_passes_through() {
        let input: &[u8] = b"POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\nGET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
        // After an unparsable length the guard stops watching; hyper rejects that request.
        assert_eq!(whole(input), input);
        let h2: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00";
        assert_eq!(whole(h2), h2);
    }

    #[test]
    fn an_endless_head_is_released_at_the_limit() {
        let mut guard = FramingGuard::new(100);
        let mut out = Vec::new();
        guard.feed(&[b'a'; 80], &mut out);
        assert!(out.is_empty(), "nothing of an incomplete head goes through");
        guard.feed(&[b'a'; 80], &mut out);
        assert_eq!(out.len(), 160);
    }

    /// Found by the `server_stream` property test: a chunk size of 16 hex digits near
    /// `u64::MAX` overflowed `size + 2` (a panic under overflow checks, a wrapped count
    /// otherwise). The guard now stops watching; hyper rejects the size.
    #[test]
    fn a_chunk_size_near_u64_max_passes_through() {
        let input: &[u8] =
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab";
        assert_eq!(whole(input), input);
        let input: &[u8] =
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffe\r\nab";
        assert_eq!(whole(input), input);
    }

    #[test]
    fn connect_http_1_0_and_upgrade_requests_are_followed_whatever_the_split() {
        // The server never switches protocols, so the connection stays HTTP/1 after each of
        // these, and the conflicting head after it is marked.
        let conflicting: &[u8] =
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
        let marked = String::from_utf8_lossy(conflicting)
            .replace("Content-Length", CONFLICT_MARKER)
            .into_bytes();
        let firsts: [&[u8]; 3] = [
            b"CONNECT a:1 HTTP/1.1\r\nContent-Length: 2\r\n\r\nab",
            b"GET / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
            b"GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
        ];
        for first in firsts {
            let input = [first, conflicting].concat();
            let expected = [first, &marked].concat();
            for split in 1..input.len() {
                assert_eq!(
                    run(&[&input[..split], &input[split..]]),
                    expected,
                    "{:?} split at {split}",
                    String::from_utf8_lossy(first)
                );
            }
        }
    }

    #[test]
    fn both_head_scans_find_the_same_end() {
        // `feed` finds a held head's end with `head_end` and `feed_in_place` with
        // `inspect_head`: blank lines first, bare LFs, lone CRs, incomplete heads.
        let inputs: [&[u8]; 10] = [
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest",
            b"\r\n\r\nGET / HTTP/1.1\r\n\r\n",
            b"\n\nGET / HTTP/1.1\n\nGET",
            b"GET / HTTP/1.1\nHost: a\r\n\n",
            b"GET / HTTP/1.1\r\nA: \r\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\n",
            b"GET / HTTP/1.1\r\n\r",
            b"\r\n",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"GET / HTTP/1.0\r\nContent-Length: 1\r\n\r\nx",
        ];
        for input in inputs {
            let mut bytes = input.to_vec();
            assert_eq!(
                inspect_head(&mut bytes).map(|(end, _)| end),
                head_end(input, 0),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    /// `inspect_head` as it was before it scanned a word at a time: `memchr` per line, every
    /// line trimmed and sliced. The reference its replacement must agree with.
    fn reference_inspect_head(buf: &mut [u8]) -> Option<(usize, State)> {
        fn field_value<'a>(line: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
            let value = line.get(name.len() + 1..)?;
            (line[name.len()] == b':' && line[..name.len()].eq_ignore_ascii_case(name))
                .then_some(value)
        }
        let start = first_non_blank(buf)?;
        let mut line_ends = memchr::memchr_iter(b'\n', &buf[start..]).map(|at| start + at);
        let request_line_end = line_ends.next()?;
        let request_line = trim_cr(&buf[start..request_line_end]);
        let followed = (request_line.ends_with(b" HTTP/1.1")
            || request_line.ends_with(b" HTTP/1.0"))
            && !request_line.starts_with(b"PRI ");
        let mut content_length: Option<Option<u64>> = None;
        let mut last_coding_is_chunked: Option<bool> = None;
        let mut line_start = request_line_end + 1;
        let end = loop {
            let line_end = line_ends.next()?;
            let line = trim_cr(&buf[line_start..line_end]);
            line_start = line_end + 1;
            match line.first().map(u8::to_ascii_lowercase) {
                None => break line_start,
                Some(_) if !followed => {}
                Some(b'c') => {
                    if let Some(value) = field_value(line, b"content-length") {
                        let parsed = std::str::from_utf8(value)
                            .ok()
                            .and_then(|v| v.trim().parse::<u64>().ok());
                        content_length = Some(match content_length {
                            Some(previous) if previous != parsed => None,
                            _ => parsed,
                        });
                    }
                }
                Some(b't') => {
                    if let Some(value) = field_value(line, b"transfer-encoding") {
                        let last = std::str::from_utf8(value)
                            .map_or("", |v| v.rsplit(',').next().unwrap_or_default());
                        last_coding_is_chunked = Some(last.trim().eq_ignore_ascii_case("chunked"));
                    }
                }
                _ => {}
            }
        };
        if !followed {
            return Some((end, State::PassThrough));
        }
        if content_length.is_some() && last_coding_is_chunked.is_some() {
            rename_content_length(&mut buf[..end]);
        }
        let state = match (last_coding_is_chunked, content_length) {
            (Some(true), _) => State::ChunkSize,
            (Some(false), _) => State::PassThrough,
            (None, Some(Some(0)) | None) => State::Head,
            (None, Some(Some(remaining))) => State::Fixed { remaining },
            (None, Some(None)) => State::PassThrough,
        };
        Some((end, state))
    }

    /// `head_end` as it was, with `memchr`.
    fn reference_head_end(buf: &[u8], searched_from: usize) -> Option<usize> {
        let start = first_non_blank(buf)?;
        let from = searched_from.max(start);
        memchr::memchr_iter(b'\n', &buf[from..]).find_map(|at| {
            let i = from + at;
            if buf.get(i + 1) == Some(&b'\n') {
                return Some(i + 2);
            }
            (buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n')).then_some(i + 3)
        })
    }

    /// Checks `inspect_head` and `head_end` against the references on `input`: the same end
    /// and state, the same bytes renamed, the same end from every point a search may resume.
    fn agrees_with_reference(input: &[u8]) {
        let mut bytes = input.to_vec();
        let mut expected_bytes = input.to_vec();
        let found = inspect_head(&mut bytes);
        let expected = reference_inspect_head(&mut expected_bytes);
        let shown = String::from_utf8_lossy(input);
        assert_eq!(found, expected, "{shown:?}");
        assert_eq!(bytes, expected_bytes, "{shown:?}");
        for from in 0..=input.len() + 1 {
            assert_eq!(
                head_end(input, from),
                reference_head_end(input, from.min(input.len())),
                "{shown:?} from {from}"
            );
        }
        assert_eq!(head_end(input, 0), found.map(|(end, _)| end), "{shown:?}");
    }

    mod grammar {
        use proptest::prelude::*;
        use proptest::sample::select;

        fn pick(items: &[&'static str]) -> BoxedStrategy<Vec<u8>> {
            select(items.to_vec())
                .prop_map(|item| item.as_bytes().to_vec())
                .boxed()
        }

        /// Bytes that matter to the scan, and any byte.
        fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
            let interesting = select(b"\r\n\n cCtT:-0 \t\x0b\x8a".to_vec());
            proptest::collection::vec(prop_oneof![3 => interesting, 1 => any::<u8>()], 0..max)
        }

        fn line_end() -> BoxedStrategy<Vec<u8>> {
            prop_oneof![
                6 => pick(&["\r\n"]),
                3 => pick(&["\n"]),
                1 => pick(&["\r", "\r\r\n", "\n\r"]),
            ]
            .boxed()
        }

        fn request_line() -> BoxedStrategy<Vec<u8>> {
            prop_oneof![
                6 => pick(&[
                    "GET / HTTP/1.1",
                    "POST /x HTTP/1.0",
                    "CONNECT a:1 HTTP/1.1",
                    "PRI * HTTP/2.0",
                    "PRI * HTTP/1.1",
                    "GET / HTTP/2.0",
                    "GET / HTTP/1.2",
                    "GET / HTTP/1.1 ",
                    "GET /HTTP/1.1",
                    " HTTP/1.1",
                    "HTTP/1.1",
                    "GET / http/1.1",
                    "c HTTP/1.0",
                    "t",
                    "PRI",
                ]),
                1 => bytes(20),
            ]
            .boxed()
        }

        /// A field name in mixed case.
        fn name() -> impl Strategy<Value = Vec<u8>> {
            let names = pick(&[
                "content-length",
                "transfer-encoding",
                "content-type",
                "connection",
                "cookie",
                "te",
                "trailer",
                "host",
                "content-lengthx",
                "content-lengt",
                "transfer-encodin",
                "transfer-encodingx",
                "content length",
                "content\rlength",
                "transfer\rencoding",
                "transfer-\rncoding",
                "c",
                "t",
            ]);
            (names, proptest::collection::vec(any::<bool>(), 20)).prop_map(|(mut name, flips)| {
                for (b, flip) in name.iter_mut().zip(flips) {
                    if flip {
                        *b ^= 0x20 * u8::from(b.is_ascii_alphabetic());
                    }
                }
                name
            })
        }

        /// Field values, odd ones included.
        pub(super) fn value() -> BoxedStrategy<Vec<u8>> {
            prop_oneof![
                4 => pick(&[
                    "0",
                    "5",
                    " 12 ",
                    "\t7\t",
                    "+3",
                    "-1",
                    "0x5",
                    "",
                    " ",
                    "18446744073709551615",
                    "18446744073709551616",
                    "9999999999999999999",
                    "0000000000000000000005",
                    "5\r",
                    "\r5",
                    "\x0b5",
                    "5\x0c",
                    "\u{a0}5",
                    "5\u{3000}",
                    "1,1",
                    "1 1",
                    "chunked",
                    "gzip, chunked",
                    "chunked, gzip",
                    "CHUNKED",
                    " chunked ",
                    "chunked,",
                    "\u{85}chunked",
                ]),
                1 => bytes(12),
                1 => pick(&["chunked\u{ff}"]).prop_map(|mut v| {
                    // Not UTF-8.
                    v.push(0xff);
                    v
                }),
            ]
            .boxed()
        }

        fn field() -> BoxedStrategy<Vec<u8>> {
            prop_oneof![
                5 => (name(), pick(&[":", ": ", " :", ":\t", ""]), value())
                    .prop_map(|(name, colon, value)| [name, colon, value].concat()),
                1 => bytes(16),
            ]
            .boxed()
        }

        /// A head (leading blank lines, a request line, fields, mostly a blank line) and
        /// whatever follows it.
        pub(super) fn head() -> impl Strategy<Value = Vec<u8>> {
            let blanks = proptest::collection::vec(pick(&["\r\n", "\n", "\r"]), 0..3);
            let fields = proptest::collection::vec((field(), line_end()), 0..6);
            let last = prop_oneof![
                4 => pick(&["\r\n", "\n"]),
                1 => pick(&["", "\r"]),
            ];
            (blanks, request_line(), line_end(), fields, last, bytes(12)).prop_map(
                |(blanks, request, end, fields, last, rest)| {
                    let mut head = blanks.concat();
                    head.extend(request);
                    head.extend(end);
                    for (field, end) in fields {
                        head.extend(field);
                        head.extend(end);
                    }
                    head.extend(last);
                    head.extend(rest);
                    head
                },
            )
        }

        pub(super) fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
            bytes(40)
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        #[test]
        fn inspect_head_agrees_with_the_reference(head in grammar::head()) {
            agrees_with_reference(&head);
        }

        #[test]
        fn inspect_head_agrees_with_the_reference_on_any_bytes(bytes in grammar::any_bytes()) {
            agrees_with_reference(&bytes);
        }

        #[test]
        fn content_lengths_read_as_str_trim_and_parse(value in grammar::value()) {
            let expected = std::str::from_utf8(&value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok());
            proptest::prop_assert_eq!(parse_content_length(&value), expected);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// A head and what follows, whole or split anywhere: the same bytes released.
        #[test]
        fn heads_give_the_same_bytes_whatever_the_split(head in grammar::head()) {
            let expected = whole(&head);
            for split in 1..head.len() {
                proptest::prop_assert_eq!(run(&[&head[..split], &head[split..]]), expected.clone());
            }
            let bytes: Vec<&[u8]> = head.chunks(1).collect();
            proptest::prop_assert_eq!(run(&bytes), expected);
        }
    }

    #[test]
    fn newlines_are_found_exactly_at_every_offset() {
        // Every length up to three words, `\n`s at each position, the bytes a borrow could
        // confuse (`\x0b`, `\x00`, `\x8a`, `\x09`) around them, searched from every index.
        for len in 0..26 {
            for at in 0..len {
                for filler in [b'a', 0x0b, 0x00, 0x8a, 0x09, 0xff] {
                    let mut bytes = vec![filler; len];
                    bytes[at] = b'\n';
                    if at + 3 < len {
                        bytes[at + 3] = b'\n';
                    }
                    for from in 0..=len + 1 {
                        let expected: Vec<usize> =
                            (from..len).filter(|&i| bytes[i] == b'\n').collect();
                        let found: Vec<usize> =
                            std::iter::successors(next_newline(&bytes, from), |&at| {
                                next_newline(&bytes, at + 1)
                            })
                            .collect();
                        assert_eq!(found, expected, "{bytes:?} from {from}");
                    }
                }
            }
        }
    }

    #[test]
    fn heads_at_every_word_offset_agree_with_the_reference() {
        // The request line, each field, its value and the blank line cross word boundaries
        // at every offset: leading blank lines move the start, the host's length the rest.
        for blanks in ["", "\n", "\r\n", "\r\n\r\n\n", "\n\n\n\n\n\n\n"] {
            for host in 0..17 {
                let host = "h".repeat(host);
                for (fields, end) in [
                    ("", "\r\n"),
                    ("", "\n"),
                    ("Content-Length: 3\r\n", "\r\n"),
                    ("content-length:0\n", "\n"),
                    ("Transfer-Encoding: chunked\r\n", "\r\n"),
                    (
                        "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
                        "\r\n",
                    ),
                    ("transfer-encoding: gzip\nCONTENT-LENGTH: 1\n", "\n"),
                    ("Connection: close\r\nTE: x\r\n", "\r\n"),
                    ("content-length: 1\r\ncontent-length: 2\r\n", "\r\n"),
                ] {
                    for version in ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0"] {
                        let head =
                            format!("{blanks}POST / {version}\r\nHost: {host}\r\n{fields}{end}");
                        agrees_with_reference(head.as_bytes());
                        let mut bytes = head.clone().into_bytes();
                        let found = inspect_head(&mut bytes).map(|(end, _)| end);
                        assert_eq!(found, Some(head.len()), "{head:?}");
                        // Incomplete at every length short of the end.
                        for len in 0..head.len() {
                            assert_eq!(inspect_head(&mut head.as_bytes()[..len].to_vec()), None);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn field_names_match_as_eq_ignore_ascii_case_does() {
        // Every byte in every position of each name and its colon, so that no byte other than
        // the letter's two cases passes the folded comparison (`\r | 0x20` is `-`).
        fn reference(line: &[u8], name: &[u8]) -> bool {
            line.len() > name.len()
                && line[name.len()] == b':'
                && line[..name.len()].eq_ignore_ascii_case(name)
        }
        type ValueOf = fn(&[u8]) -> Option<&[u8]>;
        let checks: [(&[u8], ValueOf); 2] = [
            (b"content-length", content_length_value),
            (b"transfer-encoding", transfer_encoding_value),
        ];
        for (name, value_of) in checks {
            let line = [name, b": 5"].concat();
            for at in 0..=name.len() {
                for b in 0..=255 {
                    let mut line = line.clone();
                    line[at] = b;
                    assert_eq!(
                        value_of(&line).is_some(),
                        reference(&line, name),
                        "{:?}",
                        String::from_utf8_lossy(&line)
                    );
                    assert_eq!(
                        value_of(&line).map(<[u8]>::len),
                        Some(2).filter(|_| reference(&line, name))
                    );
                }
            }
            for len in 0..line.len() {
                assert_eq!(value_of(&line[..len]).is_some(), len > name.len());
            }
        }
    }

    /// Typical heads for a callgrind measure of [`inspect_head`] (ignored; see the commit
    /// that added it for the command).
    const TYPICAL_HEADS: [&[u8]; 3] = [
        b"GET /repos/v0/v1/events HTTP/1.1\r\nHost: 127.0.0.1:19081\r\n\r\n",
        b"POST /repos/v0/v1/events HTTP/1.1\r\nHost: 127.0.0.1:19081\r\ncontent-length: 0\r\n\r\n",
        b"GET /repos/v0/v1/events HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nConnection: keep-alive\r\nCookie: session=4f6a1c2e9b; theme=dark\r\nUpgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\n\r\n",
    ];

    #[test]
    #[ignore = "a measure, run under callgrind"]
    fn inspect_typical_heads() {
        let inspect: fn(&mut [u8]) -> Option<(usize, State)> = std::hint::black_box(inspect_head);
        let rounds: usize = std::env::var("ROUNDS").map_or(1000, |r| r.parse().unwrap());
        let which: Option<usize> = std::env::var("HEAD").ok().map(|h| h.parse().unwrap());
        for (i, head) in TYPICAL_HEADS.iter().enumerate() {
            if which.is_some_and(|w| w != i) {
                continue;
            }
            let mut bytes = head.to_vec();
            for _ in 0..rounds {
                let found = inspect(std::hint::black_box(&mut bytes));
                assert_eq!(found.map(|(end, _)| end), Some(head.len()));
            }
        }
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(chunk_size(b"1a\r\n"), Some(26));
        assert_eq!(chunk_size(b"0;ext\r\n"), Some(0));
        assert_eq!(chunk_size(b"0x5\r\n"), None);
        assert_eq!(chunk_size(b"\r\n"), None);
        assert_eq!(chunk_size(b"fffffffffffffffff\r\n"), None);
    }
}
