//! `lgsp`: the command line of the hub.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    lgsp_hub::memory::tune();
    let args = cli::Cli::parse();
    cli::init_tracing(args.verbose);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(cli::dispatch(args)) {
        Ok(code) => code,
        Err(e) => {
            let line = one_line(&e);
            // A script that asked for JSON gets a JSON object on stdout for a failure too.
            if std::env::args().any(|a| a == "--json") {
                println!("{}", serde_json::json!({ "error": line }));
            }
            eprintln!("error: {line}");
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each cause once: a message that already quotes its
/// cause (as most do, to name the file) is not followed by it again.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace('\n', " ")
}

/// `lgsp versions x | head`: once the reader of stdout has gone, writing to it fails; that ends
/// the command quietly (as other command-line tools do) instead of with a panic message.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.contains("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
