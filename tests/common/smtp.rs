//! A small in-process SMTP server that accepts and records mail, so tests can check what the service sends.
//!
//! It speaks plain ESMTP (no TLS, no AUTH, no PIPELINING), which is all `lettre` needs for
//! `smtp://127.0.0.1:PORT`. It can be stopped and restarted on the same port to simulate an outage,
//! and slowed down before it acknowledges a message to simulate a slow relay.
//!
//! The file is compiled into every integration-test binary, and not every binary uses every item.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// One message the sink accepted (the 250 reply to the end of DATA was about to be sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Envelope sender from `MAIL FROM:<...>`, without the angle brackets (empty for `<>`).
    pub from: String,
    /// Envelope recipients from each `RCPT TO:<...>`, in order, without angle brackets.
    pub to: Vec<String>,
    /// The message exactly as received between `DATA` and the final `.`: headers and body,
    /// line endings kept as sent on the wire (CRLF from lettre), dot-stuffing removed,
    /// bytes that are not UTF-8 replaced lossily.
    pub data: String,
}

/// State that outlives a stop/restart cycle.
#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<Received>>,
    delay: Mutex<Duration>,
}

/// Locks a mutex even if a panicking test thread poisoned it: the data is plain values, so it is
/// still consistent, and one failed test should not cascade into unrelated ones.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The accept loop of one listening period (between start/restart and stop).
struct Running {
    shutdown: watch::Sender<bool>,
    accept_task: JoinHandle<()>,
}

/// The SMTP server handle. Dropping it shuts the server down.
pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
    running: Option<Running>,
}

impl SmtpSink {
    /// Starts listening on an ephemeral port of 127.0.0.1.
    pub async fn start() -> SmtpSink {
        let listener = bind_listener(0).expect("bind the SMTP sink on 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("SMTP sink local address")
            .port();
        let mut sink = SmtpSink {
            port,
            shared: Arc::new(Shared::default()),
            running: None,
        };
        sink.run(listener);
        sink
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL to give lettre's `AsyncSmtpTransport::from_url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// A snapshot of every message accepted so far, in acceptance order.
    pub fn messages(&self) -> Vec<Received> {
        lock(&self.shared.messages).clone()
    }

    /// Waits until at least `n` messages were accepted or `timeout` passed, then returns the
    /// snapshot either way, so the caller's assertion shows what did arrive.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || tokio::time::Instant::now() >= deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Delay applied after a message's final `.` arrives and before it is stored and
    /// acknowledged with 250. If the client disconnects during the delay (for example because the
    /// service crashed), the message is discarded, as a relay that never committed it would.
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.shared.delay) = delay;
    }

    /// Simulates an outage: closes the listener and drops every open connection, so new
    /// connections are refused. Returns once the port is closed. Stored messages are kept.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            // The accept loop may already be gone if the runtime is shutting down; either way the
            // listener is closed once the task has finished.
            let _ = running.shutdown.send(true);
            let _ = running.accept_task.await;
        }
    }

    /// Listens again on the same port after `stop`. Does nothing if the sink is running.
    pub async fn restart(&mut self) {
        if self.running.is_some() {
            return;
        }
        // SO_REUSEADDR lets the port be bound again despite connections in TIME_WAIT; the retries
        // cover the short window in which the kernel may still consider the port busy.
        let mut attempt = 0;
        let listener = loop {
            match bind_listener(self.port) {
                Ok(listener) => break listener,
                Err(_) if attempt < 50 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(err) => panic!("rebind the SMTP sink on port {}: {err}", self.port),
            }
        };
        self.run(listener);
    }

    fn run(&mut self, listener: TcpListener) {
        let (shutdown, shutdown_rx) = watch::channel(false);
        let accept_task = tokio::spawn(accept_loop(listener, self.shared.clone(), shutdown_rx));
        self.running = Some(Running {
            shutdown,
            accept_task,
        });
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // Aborting drops the accept loop's future, which drops the listener and the JoinSet of
        // connections, and dropping a JoinSet aborts every connection task.
        if let Some(running) = self.running.take() {
            running.accept_task.abort();
        }
    }
}

fn bind_listener(port: u16) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(1024)
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    // Connection tasks live in a JoinSet owned by this loop so that shutting down can abort them
    // all and wait until their sockets are closed, which is what makes an outage abrupt.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // A send or a dropped sender both mean: stop listening.
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, shared.clone()));
                }
                // Errors such as EMFILE are transient; back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            // Reap finished connections so the set does not grow over a long test.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// The transaction being built between MAIL and the end of DATA.
struct Envelope {
    from: String,
    to: Vec<String>,
}

const EHLO_REPLY: &str = "250-motcua-test-sink greets you\r\n250-8BITMIME\r\n250 SMTPUTF8";

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    // Each reply is written in one call; without NODELAY, Nagle plus delayed ACKs could add
    // tens of milliseconds per command.
    stream.set_nodelay(true)?;
    let (read_half, mut writer) = stream.into_split();
    let mut reader = BufReader::new(read_half);
    writer
        .write_all(b"220 motcua-test-sink ESMTP ready\r\n")
        .await?;

    let mut envelope: Option<Envelope> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(strip_line_end(&line)).into_owned();
        let (verb, argument) = match command.split_once(' ') {
            Some((verb, argument)) => (verb.to_ascii_uppercase(), argument.trim()),
            None => (command.trim().to_ascii_uppercase(), ""),
        };
        let mut quit = false;
        let reply: String = match verb.as_str() {
            "EHLO" => {
                envelope = None;
                EHLO_REPLY.to_owned()
            }
            "HELO" => {
                envelope = None;
                "250 motcua-test-sink".to_owned()
            }
            "MAIL" => match (&envelope, parse_path(argument, "FROM:")) {
                (Some(_), _) => "503 5.5.1 nested MAIL command".to_owned(),
                (None, None) => "501 5.5.4 syntax: MAIL FROM:<address>".to_owned(),
                (None, Some(from)) => {
                    envelope = Some(Envelope {
                        from,
                        to: Vec::new(),
                    });
                    "250 2.1.0 sender ok".to_owned()
                }
            },
            "RCPT" => match (&mut envelope, parse_path(argument, "TO:")) {
                (None, _) => "503 5.5.1 need MAIL before RCPT".to_owned(),
                (Some(_), None) => "501 5.5.4 syntax: RCPT TO:<address>".to_owned(),
                (Some(current), Some(to)) => {
                    current.to.push(to);
                    "250 2.1.5 recipient ok".to_owned()
                }
            },
            "DATA" => match &envelope {
                None => "503 5.5.1 need MAIL before DATA".to_owned(),
                Some(current) if current.to.is_empty() => {
                    "503 5.5.1 need RCPT before DATA".to_owned()
                }
                Some(_) => {
                    writer
                        .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let Some(data) = read_data(&mut reader).await? else {
                        // The client hung up mid-message: nothing was committed.
                        return Ok(());
                    };
                    let delay = *lock(&shared.delay);
                    if !client_stays_for(&mut reader, delay).await {
                        return Ok(());
                    }
                    let current = envelope.take().expect("envelope checked above");
                    let mut messages = lock(&shared.messages);
                    messages.push(Received {
                        from: current.from,
                        to: current.to,
                        data: String::from_utf8_lossy(&data).into_owned(),
                    });
                    format!("250 2.0.0 ok: queued as {}", messages.len())
                }
            },
            "RSET" => {
                envelope = None;
                "250 2.0.0 ok".to_owned()
            }
            "NOOP" => "250 2.0.0 ok".to_owned(),
            "QUIT" => {
                quit = true;
                "221 2.0.0 bye".to_owned()
            }
            _ => "502 5.5.2 command not implemented".to_owned(),
        };
        writer.write_all(format!("{reply}\r\n").as_bytes()).await?;
        if quit {
            writer.shutdown().await?;
            return Ok(());
        }
    }
}

/// Reads the DATA section up to the line that is exactly `.`; `None` if the connection ended first.
async fn read_data(reader: &mut BufReader<OwnedReadHalf>) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(None);
        }
        if strip_line_end(&line) == b"." {
            return Ok(Some(data));
        }
        // RFC 5321 4.5.2: the client doubled every leading dot, so drop one from any dotted line
        // (a conforming client only ever produces `..` here).
        let unstuffed = if line.first() == Some(&b'.') {
            &line[1..]
        } else {
            &line[..]
        };
        data.extend_from_slice(unstuffed);
    }
}

/// Sleeps for `delay` while watching the socket; false if the client disconnected meanwhile.
async fn client_stays_for(reader: &mut BufReader<OwnedReadHalf>, delay: Duration) -> bool {
    if delay.is_zero() {
        return true;
    }
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    tokio::select! {
        _ = &mut sleep => true,
        // fill_buf is cancel-safe and does not consume, so early bytes stay for the next command.
        peeked = reader.fill_buf() => match peeked {
            Ok([]) | Err(_) => false,
            Ok(_) => {
                sleep.await;
                true
            }
        },
    }
}

fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Extracts the address from `FROM:<a@b> PARAM=...` (prefix matched case-insensitively,
/// optional space after the colon, ESMTP parameters ignored).
fn parse_path(argument: &str, prefix: &str) -> Option<String> {
    let head = argument.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = argument[prefix.len()..].trim_start();
    if let Some(inner) = rest.strip_prefix('<') {
        let end = inner.find('>')?;
        Some(inner[..end].to_owned())
    } else {
        // Some clients omit the brackets; take the first word.
        rest.split_whitespace().next().map(str::to_owned)
    }
}

// ---------------------------------------------------------------------------------------------
// Message inspection helpers

impl Received {
    /// The first header called `name` (case-insensitive), unfolded and trimmed, still encoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let (headers, _) = split_entity(&normalise_newlines(&self.data));
        find_header(&headers, name)
    }

    /// Every header as (name, unfolded value), in order, for assertions on repeated headers.
    pub fn headers(&self) -> Vec<(String, String)> {
        split_entity(&normalise_newlines(&self.data)).0
    }

    /// The decoded text of every `text/*` part (walking nested multiparts), joined with `\n`.
    /// Transfer encodings quoted-printable, base64, 7bit and 8bit are decoded, the charset is
    /// taken as UTF-8, and line endings are normalised to `\n`.
    pub fn body_text(&self) -> String {
        let mut texts = Vec::new();
        collect_texts(&normalise_newlines(&self.data), &mut texts);
        texts.join("\n")
    }

    /// Every part that is not text or multipart (attachments), as (media type, filename from
    /// `Content-Disposition` or `Content-Type`, decoded bytes), walking nested multiparts.
    pub fn attachments(&self) -> Vec<(String, String, Vec<u8>)> {
        let mut out = Vec::new();
        collect_attachments(&normalise_newlines(&self.data), &mut out);
        out
    }

    /// The Subject header with RFC 2047 encoded-words decoded; empty if there is none.
    pub fn decoded_subject(&self) -> String {
        self.header("Subject")
            .map(|subject| decode_encoded_words(&subject))
            .unwrap_or_default()
    }
}

fn normalise_newlines(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// Splits a MIME entity (LF line endings) into unfolded headers and the body after the blank line.
fn split_entity(entity: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = if let Some(rest) = entity.strip_prefix('\n') {
        ("", rest)
    } else {
        match entity.split_once("\n\n") {
            Some((head, body)) => (head, body),
            None => (entity, ""),
        }
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            // Unfolding removes only the line break; the leading whitespace stays (RFC 5322 2.2.3).
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.to_owned()));
        }
    }
    for (_, value) in &mut headers {
        *value = value.trim().to_owned();
    }
    (headers, body)
}

fn find_header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.clone())
}

/// Splits `type/subtype; a=b; c="d"` into the lowercased media type and its parameters
/// (names lowercased, values unquoted).
fn parse_content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut escaped = false;
    for ch in value.chars() {
        match ch {
            _ if escaped => {
                current.push(ch);
                escaped = false;
            }
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ';' if !in_quotes => pieces.push(std::mem::take(&mut current)),
            _ => current.push(ch),
        }
    }
    pieces.push(current);
    let mut pieces = pieces.into_iter();
    let media_type = pieces
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let params = pieces
        .filter_map(|piece| {
            let (name, value) = piece.split_once('=')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        })
        .collect();
    (media_type, params)
}

fn collect_texts(entity: &str, texts: &mut Vec<String>) {
    let (headers, body) = split_entity(entity);
    // RFC 2045: without a Content-Type the entity is text/plain.
    let (media_type, params) = find_header(&headers, "Content-Type")
        .map(|value| parse_content_type(&value))
        .unwrap_or_else(|| ("text/plain".to_owned(), Vec::new()));
    if media_type.starts_with("multipart/") {
        let Some((_, boundary)) = params.iter().find(|(name, _)| name == "boundary") else {
            return;
        };
        for part in split_multipart(body, boundary) {
            collect_texts(&part, texts);
        }
    } else if media_type.starts_with("text/") {
        let encoding = find_header(&headers, "Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "quoted-printable" => decode_quoted_printable(body.as_bytes()),
            "base64" => decode_base64(body.as_bytes()),
            _ => body.as_bytes().to_vec(),
        };
        texts.push(normalise_newlines(&String::from_utf8_lossy(&bytes)));
    }
}

fn collect_attachments(entity: &str, out: &mut Vec<(String, String, Vec<u8>)>) {
    let (headers, body) = split_entity(entity);
    let (media_type, params) = find_header(&headers, "Content-Type")
        .map(|value| parse_content_type(&value))
        .unwrap_or_else(|| ("text/plain".to_owned(), Vec::new()));
    if media_type.starts_with("multipart/") {
        if let Some((_, boundary)) = params.iter().find(|(name, _)| name == "boundary") {
            for part in split_multipart(body, boundary) {
                collect_attachments(&part, out);
            }
        }
    } else if !media_type.starts_with("text/") {
        // `filename="…"`, or split into RFC 2231 continuations `filename*0="…"; filename*1=…`.
        let disposition = find_header(&headers, "Content-Disposition")
            .map(|d| parse_content_type(&d).1)
            .unwrap_or_default();
        let mut pieces: Vec<(usize, String)> = disposition
            .iter()
            .filter_map(|(n, v)| {
                let i = n
                    .strip_prefix("filename*")?
                    .trim_end_matches('*')
                    .parse()
                    .ok()?;
                Some((i, v.clone()))
            })
            .collect();
        pieces.sort();
        let filename = disposition
            .iter()
            .find(|(n, _)| n == "filename")
            .map(|(_, v)| v.clone())
            .or_else(|| (!pieces.is_empty()).then(|| pieces.into_iter().map(|(_, v)| v).collect()))
            .or_else(|| {
                params
                    .iter()
                    .find(|(n, _)| n == "name")
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_default();
        let encoding = find_header(&headers, "Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => decode_base64(body.as_bytes()),
            "quoted-printable" => decode_quoted_printable(body.as_bytes()),
            _ => body.as_bytes().to_vec(),
        };
        out.push((media_type, filename, bytes));
    }
}

/// The parts between `--boundary` lines, up to `--boundary--`; preamble and epilogue dropped.
/// The line break before a delimiter belongs to the delimiter, so parts do not end with it.
fn split_multipart(body: &str, boundary: &str) -> Vec<String> {
    let delimiter = format!("--{boundary}");
    let closing = format!("--{boundary}--");
    let mut parts = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in body.split('\n') {
        // Delimiter lines may carry trailing whitespace (RFC 2046 5.1.1).
        let trimmed = line.trim_end();
        if trimmed == closing {
            break;
        }
        if trimmed == delimiter {
            if let Some(lines) = current.take() {
                parts.push(lines.join("\n"));
            }
            current = Some(Vec::new());
        } else if let Some(lines) = &mut current {
            lines.push(line);
        }
    }
    if let Some(lines) = current {
        parts.push(lines.join("\n"));
    }
    parts
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Decodes `=XX` escapes; a malformed escape is kept literally rather than failing the test helper.
fn decode_hex_escapes(input: &[u8], out: &mut Vec<u8>, underscore_is_space: bool) {
    let mut i = 0;
    while i < input.len() {
        let byte = input[i];
        if byte == b'='
            && i + 2 < input.len()
            && let (Some(high), Some(low)) = (hex_value(input[i + 1]), hex_value(input[i + 2]))
        {
            out.push(high << 4 | low);
            i += 3;
            continue;
        }
        out.push(if underscore_is_space && byte == b'_' {
            b' '
        } else {
            byte
        });
        i += 1;
    }
}

/// RFC 2045 6.7 quoted-printable, line by line: trailing whitespace is transport padding,
/// a final `=` is a soft line break, and line breaks come out as `\n`.
fn decode_quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let lines: Vec<&[u8]> = input.split(|&byte| byte == b'\n').collect();
    for (index, line) in lines.iter().enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = line.trim_ascii_end();
        let (line, soft_break) = match line.strip_suffix(b"=") {
            Some(line) => (line, true),
            None => (line, false),
        };
        decode_hex_escapes(line, &mut out, false);
        if !soft_break && index + 1 < lines.len() {
            out.push(b'\n');
        }
    }
    out
}

/// Standard-alphabet base64; line breaks and other non-alphabet bytes are skipped and padding
/// ends the data.
fn decode_base64(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut accumulator: u32 = 0;
    let mut bits = 0;
    for &byte in input {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        accumulator = accumulator << 6 | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((accumulator >> bits) as u8);
            // Keep only the bits not yet emitted so the accumulator never overflows.
            accumulator &= (1 << bits) - 1;
        }
    }
    out
}

/// Parses one `=?charset?B|Q?text?=` at the start of `input`: the decoded bytes and the length used.
fn parse_encoded_word(input: &str) -> Option<(Vec<u8>, usize)> {
    let rest = input.strip_prefix("=?")?;
    let charset_end = rest.find('?')?;
    let charset = &rest[..charset_end];
    if charset.is_empty() || charset.contains(char::is_whitespace) {
        return None;
    }
    let rest = &rest[charset_end + 1..];
    let mut chars = rest.chars();
    let encoding = chars.next()?.to_ascii_uppercase();
    if chars.next()? != '?' {
        return None;
    }
    let text_and_rest = &rest[2..];
    let text_end = text_and_rest.find('?')?;
    if !text_and_rest[text_end..].starts_with("?=") {
        return None;
    }
    let text = &text_and_rest[..text_end];
    if text.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match encoding {
        'B' => decode_base64(text.as_bytes()),
        'Q' => {
            let mut out = Vec::new();
            decode_hex_escapes(text.as_bytes(), &mut out, true);
            out
        }
        _ => return None,
    };
    // "=?" + charset + "?" + encoding + "?" + text + "?="
    let used = 2 + charset_end + 1 + 2 + text_end + 2;
    Some((bytes, used))
}

/// Decodes RFC 2047 encoded-words in an unfolded header value. Whitespace between two adjacent
/// encoded-words is dropped (RFC 2047 6.2), and the bytes of adjacent words are joined before
/// UTF-8 decoding because encoders may split a multi-byte character across words.
fn decode_encoded_words(input: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut gap = String::new();
    let mut after_word = false;
    let mut rest = input;
    while let Some(ch) = rest.chars().next() {
        if ch == '='
            && let Some((bytes, used)) = parse_encoded_word(rest)
        {
            gap.clear();
            pending.extend_from_slice(&bytes);
            after_word = true;
            rest = &rest[used..];
            continue;
        }
        if after_word && (ch == ' ' || ch == '\t') {
            gap.push(ch);
        } else {
            out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
            out.push_str(&std::mem::take(&mut gap));
            after_word = false;
            out.push(ch);
        }
        rest = &rest[ch.len_utf8()..];
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out.push_str(&gap);
    out
}

#[cfg(test)]
mod sink_tests {
    use super::*;
    use tokio::net::tcp::OwnedWriteHalf;

    const IO_TIMEOUT: Duration = Duration::from_secs(5);

    /// A hand-driven SMTP client, so the sink is tested against the protocol and not against lettre.
    struct RawClient {
        reader: BufReader<OwnedReadHalf>,
        writer: OwnedWriteHalf,
    }

    impl RawClient {
        async fn connect(port: u16) -> RawClient {
            let stream = TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect to the sink");
            let (read_half, writer) = stream.into_split();
            let mut client = RawClient {
                reader: BufReader::new(read_half),
                writer,
            };
            let (code, _) = client.reply().await;
            assert_eq!(code, 220, "greeting");
            client
        }

        /// Reads one (possibly multi-line) reply: lines `NNN-...` continue, `NNN ...` ends it.
        async fn reply(&mut self) -> (u16, String) {
            let mut text = String::new();
            loop {
                let mut line = String::new();
                let read = tokio::time::timeout(IO_TIMEOUT, self.reader.read_line(&mut line))
                    .await
                    .expect("reply in time")
                    .expect("read reply");
                assert!(read > 0, "connection closed while waiting for a reply");
                assert!(
                    line.ends_with("\r\n"),
                    "reply line ends with CRLF: {line:?}"
                );
                text.push_str(&line);
                if line.as_bytes().get(3) == Some(&b' ') {
                    return (line[..3].parse().expect("reply code"), text);
                }
            }
        }

        async fn send(&mut self, raw: &str) {
            self.writer.write_all(raw.as_bytes()).await.expect("send");
        }

        async fn command(&mut self, line: &str, expected: u16) -> String {
            self.send(&format!("{line}\r\n")).await;
            let (code, text) = self.reply().await;
            assert_eq!(code, expected, "reply to {line:?}: {text}");
            text
        }
    }

    const LETTER: &str = concat!(
        "From: =?utf-8?q?M=E1=BB=99t_C=E1=BB=ADa?= <noreply@motcua.test>\r\n",
        "To: citizen@example.test\r\n",
        "subject: =?utf-8?b?VGjGsCB4aW4gbOG7l2k=?=\r\n",
        " =?UTF-8?Q?_=E2=80=93_h=E1=BB=93_s=C6=A1?= (2024-001)\r\n",
        "X-Folded: first\r\n\tsecond\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: multipart/alternative;\r\n boundary=\"sink-boundary-1\"\r\n",
        "\r\n",
        "--sink-boundary-1\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
        "Content-Transfer-Encoding: quoted-printable\r\n",
        "\r\n",
        "K=C3=ADnh g=E1=BB=ADi =C3=B4ng Nguy=E1=BB=85n V=C4=83n A,\r\n",
        "Ch=C3=BAng t=C3=B4i xin l=E1=BB=97i v=C3=AC h=E1=BB=93 s=C6=A1 2024-001 b=\r\n",
        "=E1=BB=8B tr=E1=BB=85 h=E1=BA=A1n. Ng=C3=A0y h=E1=BA=B9n tr=E1=BA=A3 m=E1=\r\n",
        "=BB=9Bi l=C3=A0 15/07/2024, xin c=E1=BA=A3m =C6=A1n.\r\n",
        "--sink-boundary-1\r\n",
        "Content-Type: text/html; charset=utf-8\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "\r\n",
        "PHA+S8OtbmggZ+G7rWkgw7RuZyA8Yj5OZ3V54buF\r\n",
        "biBWxINuIEE8L2I+LDwvcD48cD5Mw70gZG86IHRo\r\n",
        "aeG6v3UgZ2nhuqV5IHThu508L3A+\r\n",
        "--sink-boundary-1--\r\n",
    );

    #[tokio::test]
    async fn records_and_decodes_messages() {
        let sink = SmtpSink::start().await;
        assert_eq!(sink.url(), format!("smtp://127.0.0.1:{}", sink.port()));
        let mut client = RawClient::connect(sink.port()).await;

        let ehlo = client.command("EHLO client.test", 250).await;
        assert!(
            ehlo.contains("8BITMIME") && !ehlo.contains("PIPELINING"),
            "{ehlo}"
        );
        client.command("DATA", 503).await;
        client
            .command("MAIL FROM:<noreply@motcua.test> BODY=8BITMIME", 250)
            .await;
        client.command("RCPT TO:<citizen@example.test>", 250).await;
        client.command("rcpt to: <copy@example.test>", 250).await;
        client.command("DATA", 354).await;
        client.send(LETTER).await;
        client.command(".", 250).await;

        // A second transaction on the same connection, with dot-stuffing and a reset first.
        client.command("MAIL FROM:<>", 250).await;
        client.command("RSET", 250).await;
        client.command("NOOP", 250).await;
        client.command("VRFY someone", 502).await;
        client.command("MAIL FROM:<bounce@motcua.test>", 250).await;
        client.command("RCPT TO:<other@example.test>", 250).await;
        client.command("DATA", 354).await;
        client
            .send("Subject: plain\r\n\r\n..leading dot\r\n...\r\nend\r\n")
            .await;
        client.command(".", 250).await;
        client.command("QUIT", 221).await;

        let messages = sink.wait_for(2, IO_TIMEOUT).await;
        assert_eq!(messages.len(), 2);
        let letter = &messages[0];
        assert_eq!(letter.from, "noreply@motcua.test");
        assert_eq!(letter.to, ["citizen@example.test", "copy@example.test"]);
        assert_eq!(letter.data, LETTER);
        assert_eq!(
            letter.header("content-TYPE").as_deref(),
            Some("multipart/alternative; boundary=\"sink-boundary-1\"")
        );
        assert_eq!(letter.header("X-Folded").as_deref(), Some("first\tsecond"));
        assert_eq!(letter.header("Cc"), None);
        assert_eq!(letter.decoded_subject(), "Thư xin lỗi – hồ sơ (2024-001)");
        assert_eq!(
            letter.body_text(),
            "Kính gửi ông Nguyễn Văn A,\n\
             Chúng tôi xin lỗi vì hồ sơ 2024-001 bị trễ hạn. Ngày hẹn trả mới là 15/07/2024, xin cảm ơn.\n\
             <p>Kính gửi ông <b>Nguyễn Văn A</b>,</p><p>Lý do: thiếu giấy tờ</p>"
        );

        let plain = &messages[1];
        assert_eq!(plain.from, "bounce@motcua.test");
        assert_eq!(
            plain.data,
            "Subject: plain\r\n\r\n.leading dot\r\n..\r\nend\r\n"
        );
        assert_eq!(plain.decoded_subject(), "plain");
        assert_eq!(plain.body_text(), ".leading dot\n..\nend\n");
    }

    #[tokio::test]
    async fn stop_refuses_connections_and_restart_reuses_the_port() {
        let mut sink = SmtpSink::start().await;
        let port = sink.port();
        let mut idle = RawClient::connect(port).await;
        idle.command("HELO client.test", 250).await;

        sink.stop().await;
        assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
        // The open connection was dropped too: the next read sees EOF or a reset.
        let mut rest = String::new();
        let read = tokio::time::timeout(IO_TIMEOUT, idle.reader.read_line(&mut rest))
            .await
            .expect("dropped connection noticed in time");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?} {rest:?}");

        sink.restart().await;
        assert_eq!(sink.port(), port);
        let mut client = RawClient::connect(port).await;
        client.command("HELO client.test", 250).await;
        client.command("MAIL FROM:<a@motcua.test>", 250).await;
        client.command("RCPT TO:<b@example.test>", 250).await;
        client.command("DATA", 354).await;
        client.send("Subject: after restart\r\n\r\nhi\r\n").await;
        client.command(".", 250).await;
        assert_eq!(sink.wait_for(1, IO_TIMEOUT).await.len(), 1);
    }

    #[tokio::test]
    async fn delayed_message_is_discarded_when_the_client_leaves() {
        let sink = SmtpSink::start().await;
        sink.set_delay(Duration::from_millis(100));
        let mut client = RawClient::connect(sink.port()).await;
        client.command("EHLO client.test", 250).await;
        client.command("MAIL FROM:<a@motcua.test>", 250).await;
        client.command("RCPT TO:<b@example.test>", 250).await;
        client.command("DATA", 354).await;
        client.send("Subject: lost\r\n\r\nlost\r\n.\r\n").await;
        drop(client);

        let mut client = RawClient::connect(sink.port()).await;
        client.command("EHLO client.test", 250).await;
        client.command("MAIL FROM:<a@motcua.test>", 250).await;
        client.command("RCPT TO:<b@example.test>", 250).await;
        client.command("DATA", 354).await;
        client.send("Subject: kept\r\n\r\nkept\r\n").await;
        let started = tokio::time::Instant::now();
        client.command(".", 250).await;
        assert!(started.elapsed() >= Duration::from_millis(100));

        let messages = sink.messages();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert_eq!(messages[0].decoded_subject(), "kept");
    }

    #[test]
    fn decoders_handle_edge_cases() {
        // A multi-byte character split across two encoded-words, and lowercase hex.
        assert_eq!(
            decode_encoded_words("=?utf-8?b?bOE=?=  =?utf-8?b?u5dp?="),
            "lỗi"
        );
        assert_eq!(decode_encoded_words("a =?utf-8?q?=c3=a1_b?= c"), "a á b c");
        assert_eq!(decode_encoded_words("=?bogus no word"), "=?bogus no word");
        assert_eq!(
            decode_quoted_printable(b"a=3Db =\r\nc  \r\n=ZZ"),
            b"a=b c\n=ZZ"
        );
        assert_eq!(decode_base64(b"aGVs\r\nbG8=\r\n"), b"hello");
    }
}
