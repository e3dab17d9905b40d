//! `lgsp report monthly|quarterly`: operation and sharing reports from the run history and the
//! audit log (periods in UTC).

use clap::{Args, Subcommand, ValueEnum};
use lgsp_hub::report::{self, Period};
use lgsp_hub::settings::Settings;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
    Html,
}

#[derive(Args, Debug)]
pub struct Output {
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Language of names and labels: `vi` (default) or `en`.
    #[arg(long, default_value = "vi", value_parser = ["vi", "en"])]
    pub lang: String,
    /// Output file (default: standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// The platform's operation in a month (Điều 15.9), per agency and in total.
    Monthly {
        /// yyyy-mm
        #[arg(long)]
        month: String,
        #[command(flatten)]
        output: Output,
    },
    /// Integration, sharing and use of data in a quarter (Điều 19.3), for one agency or all.
    Quarterly {
        /// yyyy-Qn
        #[arg(long)]
        quarter: String,
        /// Only this agency.
        #[arg(long)]
        agency: Option<String>,
        #[command(flatten)]
        output: Output,
    },
}

pub async fn run(settings: &Settings, cmd: ReportCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    let (kind, period, agency, output) = match cmd {
        ReportCommand::Monthly { month, output } => ("monthly", month, None, output),
        ReportCommand::Quarterly { quarter, agency, output } => ("quarterly", quarter, agency, output),
    };
    let period = Period::parse(&period)?;
    let bar =
        lgsp_hub::progress::steps_bar(std::io::IsTerminal::is_terminal(&std::io::stderr()), "report", report::STEPS);
    let r = report::build(&store, kind, period, agency.as_deref(), &bar).await?;
    bar.finish_and_clear();
    let bytes = match output.format {
        Format::Json => (serde_json::to_string_pretty(&r)? + "\n").into_bytes(),
        Format::Csv => report::to_csv(&r, output.lang == "en").into_bytes(),
        Format::Xlsx => {
            if output.out.is_none() {
                anyhow::bail!("--format xlsx needs --out FILE.xlsx");
            }
            report::to_xlsx(&r, output.lang == "en")?
        }
        Format::Html => report::to_html(&r, output.lang == "en").into_bytes(),
    };
    match output.out {
        Some(p) => std::fs::write(&p, bytes)?,
        None => std::io::Write::write_all(&mut std::io::stdout(), &bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}
