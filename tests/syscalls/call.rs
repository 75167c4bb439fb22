//! One syscall as `strace` prints it (`name(arg, arg) = result`), and the same syntax when
//! the contract writes an expected call.

/// A syscall: its name, its top-level arguments as text, and its result.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: Vec<String>,
    pub ret: Ret,
}

/// `= 5`, `= -1 EAGAIN (Resource temporarily unavailable)`, `= -1 EINTR (…) (INJECTED)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ret {
    /// The number (or, in the contract, a descriptor name or `_`).
    pub value: String,
    pub errno: Option<String>,
    pub injected: bool,
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({}) = {}", self.name, self.args.join(", "), self.ret.value)?;
        if let Some(errno) = &self.ret.errno {
            write!(f, " {errno}")?;
        }
        if self.ret.injected {
            f.write_str(" (INJECTED)")?;
        }
        Ok(())
    }
}

/// Parses `name(args) = result`.
pub fn parse(text: &str) -> Result<Call, String> {
    let text = text.trim();
    let open = text.find('(').ok_or_else(|| format!("no '(' in {text:?}"))?;
    let name = text[..open].trim().to_string();
    let close = open + closing_paren(&text[open..]).ok_or_else(|| format!("unbalanced parentheses in {text:?}"))?;
    let args = split_args(&text[open + 1..close]);
    let rest = text[close + 1..].trim_start();
    let ret = rest.strip_prefix('=').ok_or_else(|| format!("no '= result' in {text:?}"))?;
    Ok(Call { name, args, ret: parse_ret(ret) })
}

fn parse_ret(text: &str) -> Ret {
    let mut words = text.split_whitespace();
    let value = words.next().unwrap_or("?").to_string();
    let errno = words.next().filter(|w| value == "-1" && w.starts_with('E')).map(str::to_string);
    Ret { value, errno, injected: text.contains("(INJECTED)") }
}

/// The characters of `text` outside quoted strings, each with the bracket depth after it.
fn unquoted(text: &str) -> impl Iterator<Item = (usize, char, i32)> + '_ {
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    text.char_indices().filter_map(move |(i, c)| {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ if quoted => {}
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => return Some((i, c, depth)),
        }
        (!quoted && matches!(c, '(' | '[' | '{' | ')' | ']' | '}')).then_some((i, c, depth))
    })
}

/// The offset of the `)` that closes the `(` at the start of `text`, skipping quoted strings
/// and nested brackets.
fn closing_paren(text: &str) -> Option<usize> {
    let (i, c, _) = unquoted(text).find(|&(_, c, depth)| depth == 0 && matches!(c, ')' | ']' | '}'))?;
    (c == ')').then_some(i)
}

/// Splits an argument list at its top-level commas.
pub fn split_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut start = 0;
    for (i, _, _) in unquoted(text).filter(|&(_, c, depth)| c == ',' && depth == 0) {
        args.push(text[start..i].trim().to_string());
        start = i + 1;
    }
    let last = text[start..].trim();
    if !last.is_empty() || !args.is_empty() {
        args.push(last.to_string());
    }
    args
}

/// Rewrites a traced call into the contract's spelling: `ppoll` → `poll`, `accept` →
/// `accept4`, `send` → `sendto`, `recv` → `recvfrom` (with the arguments the longer form
/// would have), `poll([{fd=3, events=POLLIN}], 1, 1000)` → `poll(3, POLLIN, 1000)`, and
/// `SO_RCVTIMEO_OLD` → `SO_RCVTIMEO`.
pub fn canonical(mut call: Call) -> Call {
    match call.name.as_str() {
        "poll" | "ppoll" => {
            let ms = match call.args.get(2).map(String::as_str) {
                Some(t) if call.name == "ppoll" => timespec_ms(t),
                Some(t) => t.to_string(),
                None => "?".to_string(),
            };
            let (fd, events) = pollfd(call.args.first().map_or("", String::as_str), call.args.get(1));
            call.name = "poll".into();
            call.args = vec![fd, events, ms];
        }
        "accept" => {
            call.name = "accept4".into();
            call.args.push("0".into());
        }
        "send" => {
            call.name = "sendto".into();
            call.args.extend(["NULL".into(), "0".into()]);
        }
        "recv" => {
            call.name = "recvfrom".into();
            call.args.extend(["NULL".into(), "NULL".into()]);
        }
        _ => {}
    }
    // Newer strace names the 32-bit-time options `SO_RCVTIMEO_OLD` on 64-bit machines, where
    // they are the same option as `SO_RCVTIMEO`.
    for arg in &mut call.args {
        if let Some(base) = arg.strip_suffix("_OLD").filter(|b| b.starts_with("SO_") && b.ends_with("TIMEO")) {
            *arg = base.to_string();
        }
    }
    call
}

/// The descriptor and events of a one-element `pollfd` array; anything else is kept as
/// text, which no contract row matches.
fn pollfd(array: &str, nfds: Option<&String>) -> (String, String) {
    let inner = array.trim_start_matches("[{").trim_end_matches("}]");
    let field = |key: &str| {
        split_args(inner).into_iter().find_map(|kv| kv.strip_prefix(key).map(str::to_string)).unwrap_or_default()
    };
    match nfds.map(String::as_str) {
        Some("1") => (field("fd="), field("events=")),
        _ => (array.to_string(), "?".to_string()),
    }
}

/// `{tv_sec=1, tv_nsec=500000000}` → `1500` (rounded up); `NULL` → `-1`.
fn timespec_ms(text: &str) -> String {
    if text == "NULL" {
        return "-1".into();
    }
    let inner = text.trim_start_matches('{').trim_end_matches('}');
    let mut sec_nsec = (None, None);
    for kv in split_args(inner) {
        if let Some(v) = kv.strip_prefix("tv_sec=") {
            sec_nsec.0 = v.parse::<u64>().ok();
        } else if let Some(v) = kv.strip_prefix("tv_nsec=") {
            sec_nsec.1 = v.parse::<u64>().ok();
        }
    }
    match sec_nsec {
        (Some(s), Some(ns)) => (s * 1000 + ns.div_ceil(1_000_000)).to_string(),
        _ => text.to_string(),
    }
}

/// A test (run by `main`): strace lines parse into calls, and `canonical` rewrites them.
pub fn parses_strace_lines() {
    let line = r#"sendto(4, "a, \"b\")", 5, MSG_DONTWAIT|MSG_NOSIGNAL, NULL, 0) = -1 EAGAIN (Resource temporarily unavailable)"#;
    let c = parse(line).unwrap();
    assert_eq!(c.name, "sendto");
    assert_eq!(c.args, ["4", r#""a, \"b\")""#, "5", "MSG_DONTWAIT|MSG_NOSIGNAL", "NULL", "0"]);
    assert_eq!(c.ret, Ret { value: "-1".into(), errno: Some("EAGAIN".into()), injected: false });
    let c = parse("poll([{fd=3, events=POLLIN}], 1, 1000) = -1 EINTR (Interrupted system call) (INJECTED) (DELAYED)");
    let c = canonical(c.unwrap());
    assert_eq!((c.name.as_str(), c.args.clone()), ("poll", vec!["3".into(), "POLLIN".into(), "1000".into()]));
    assert!(c.ret.injected);
    let c = canonical(parse("ppoll([{fd=5, events=POLLOUT}], 1, {tv_sec=1, tv_nsec=500000001}, NULL, 8) = 1").unwrap());
    assert_eq!(c.args, ["5", "POLLOUT", "1501"]);
    let c = canonical(parse("recv(4, \"hi\", 16, MSG_DONTWAIT) = 2").unwrap());
    assert_eq!((c.name.as_str(), c.args.len()), ("recvfrom", 6));
    assert!(parse("close(3").is_err());
    assert!(parse("close(3)").is_err());
}
