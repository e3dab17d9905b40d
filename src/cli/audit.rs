//! `lgsp audit`: verify the log's chain against its checkpoints, write a checkpoint, export.

use anyhow::Context;
use clap::Subcommand;
use lgsp_hub::audit;
use lgsp_hub::settings::Settings;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the keyed hash chain of the whole log against the newest signed checkpoint kept
    /// outside the store; names the first broken or missing row. Exit code 1 when broken.
    Verify,
    /// Write a signed checkpoint of the log's head to the object store now.
    Checkpoint,
    /// Write the entries between two dates (inclusive, `yyyy-mm-dd`) as CSV.
    Export {
        /// First day, yyyy-mm-dd.
        #[arg(long)]
        from: String,
        /// Last day, yyyy-mm-dd.
        #[arg(long)]
        to: String,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

pub async fn audit_cmd(settings: &Settings, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    if let AuditCommand::Export { from, to, out } = cmd {
        let (from, to) = (lgsp_hub::catalog::parse_date(&from)?, lgsp_hub::catalog::parse_date(&to)?);
        let sink: Box<dyn std::io::Write> = match &out {
            Some(p) => Box::new(std::fs::File::create(p)?),
            None => Box::new(std::io::stdout()),
        };
        let mut w = csv::Writer::from_writer(sink);
        let (mut after, mut n) = (0, 0);
        loop {
            let page = store.audit_page(after, 5000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for r in page.iter().filter(|r| r.at[..10] >= *from && r.at[..10] <= *to) {
                w.serialize(r)?;
                n += 1;
            }
        }
        w.flush()?;
        eprintln!("{n} audit entries from {from} to {to}");
        return Ok(ExitCode::SUCCESS);
    }
    let objects = lgsp_hub::objects::open(&settings.object_store_url).context("opening the object store")?;
    if let AuditCommand::Checkpoint = cmd {
        let cp = audit::write_checkpoint(&store, &objects).await?;
        println!("audit checkpoint written: row {} at {}, hash {}", cp.seq, cp.at, cp.hash);
        return Ok(ExitCode::SUCCESS);
    }
    let v = audit::verify_with_checkpoints(&store, &objects).await?;
    let against = match &v.checkpoint {
        Some(cp) => format!("checked against the checkpoint of {} (row {})", cp.at, cp.seq),
        None => "no checkpoint written yet".to_string(),
    };
    match v.broken {
        None => {
            println!("audit log intact: {} rows, head {}; {against}", v.rows, v.head);
            Ok(ExitCode::SUCCESS)
        }
        Some((seq, why)) => {
            eprintln!("audit log broken at row {seq}: {why} ({} rows before it are intact; {against})", v.rows);
            Ok(ExitCode::FAILURE)
        }
    }
}
