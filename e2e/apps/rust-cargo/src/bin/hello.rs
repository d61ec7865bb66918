use rust_cargo_app::{answer, json_string, run, Event};

fn hello(event: &Event) -> String {
    let greeting = std::env::var("GREETING").unwrap_or_default();
    answer(200, &format!("{{\"greeting\":{},\"requestId\":{},\"arch\":{}}}", json_string(&greeting), json_string(&event.request_id), json_string(std::env::consts::ARCH)))
}

fn main() {
    run(hello)
}
