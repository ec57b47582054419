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
pub(crate) struct FramingGuard {
    state: State,
    /// The incomplete head being accumulated, from its first byte. None of it reaches hyper
    /// before it is complete; the connection times it meanwhile (`io.rs`).
    held: Vec<u8>,
    /// How many heads were complete so far (wrapping): tells one held head from the next.
    heads: u32,
    line: Vec<u8>,
    max_head: usize,
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
/// from its start at every read; [`inspect_head`] finds the same end.
fn head_end(buf: &[u8], searched_from: usize) -> Option<usize> {
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

/// Where the request line starts: after any blank lines (`\r`, `\n`) before it.
fn first_non_blank(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b != b'\r' && b != b'\n')
}

/// The value of `line` when it is a `name` field (`name` in lowercase).
fn field_value<'a>(line: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let value = line.get(name.len() + 1..)?;
    (line[name.len()] == b':' && line[..name.len()].eq_ignore_ascii_case(name)).then_some(value)
}

/// Finds the end of the head at the start of `buf` and decides how the body after it is
/// framed, renaming conflicting `Content-Length`s; `None` while the head is incomplete.
/// Runs once per request, in one pass over the lines (each found with `memchr`), without
/// allocating, and only looks closer at lines that start like one of the two fields it
/// needs.
fn inspect_head(buf: &mut [u8]) -> Option<(usize, State)> {
    let start = first_non_blank(buf)?;
    let mut line_ends = memchr::memchr_iter(b'\n', &buf[start..]).map(|at| start + at);
    let request_line_end = line_ends.next()?;
    let request_line = trim_cr(&buf[start..request_line_end]);
    // HTTP/2's preface and unknown versions are not followed (see the module documentation).
    let followed = (request_line.ends_with(b" HTTP/1.1") || request_line.ends_with(b" HTTP/1.0"))
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
                    // Not UTF-8: no coding hyper knows, like any other unknown coding.
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

    #[test]
    fn chunk_sizes() {
        assert_eq!(chunk_size(b"1a\r\n"), Some(26));
        assert_eq!(chunk_size(b"0;ext\r\n"), Some(0));
        assert_eq!(chunk_size(b"0x5\r\n"), None);
        assert_eq!(chunk_size(b"\r\n"), None);
        assert_eq!(chunk_size(b"fffffffffffffffff\r\n"), None);
    }
}
