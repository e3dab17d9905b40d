//! `lgsp`: the command line of the hub.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
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
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
