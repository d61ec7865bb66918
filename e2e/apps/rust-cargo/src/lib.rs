//! A Lambda runtime client on the standard library alone: the Runtime API loop (next event, then
//! its response), as the lambda_runtime crate runs it.
use std::env;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

pub struct Event {
    pub request_id: String,
    pub body: String,
}

fn call(api: &str, method: &str, path: &str, body: &str) -> (Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(api).expect("the Runtime API answers");
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: {api}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).expect("request written");
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line).expect("header line");
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
            if k == "content-length" {
                length = v.parse().unwrap_or(0);
            }
            headers.push((k, v));
        }
    }
    let mut buf = vec![0u8; length];
    reader.read_exact(&mut buf).expect("body");
    (headers, String::from_utf8_lossy(&buf).into_owned())
}

/// Serves events with `handler` for as long as the instance lives.
pub fn run(handler: fn(&Event) -> String) -> ! {
    let api = env::var("AWS_LAMBDA_RUNTIME_API").expect("AWS_LAMBDA_RUNTIME_API is set");
    loop {
        let (headers, body) = call(&api, "GET", "/2018-06-01/runtime/invocation/next", "");
        let request_id = headers.iter().find(|(k, _)| k == "lambda-runtime-aws-request-id").map(|(_, v)| v.clone()).unwrap_or_default();
        let event = Event { request_id, body };
        let answer = handler(&event);
        call(&api, "POST", &format!("/2018-06-01/runtime/invocation/{}/response", event.request_id), &answer);
    }
}

/// `s` as a JSON string.
pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An HTTP API answer (payload 2.0) with a JSON body.
pub fn answer(status: u16, body: &str) -> String {
    format!("{{\"statusCode\":{status},\"headers\":{{\"content-type\":\"application/json\"}},\"body\":{}}}", json_string(body))
}
