use rust_cargo_app::{answer, run, Event};

/// The request body back, reversed (the HTTP API's event carries it as "body").
fn echo(event: &Event) -> String {
    let body = event.body.split("\"body\":\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("");
    answer(200, &format!("{{\"reversed\":\"{}\"}}", body.chars().rev().collect::<String>()))
}

fn main() {
    run(echo)
}
