//! `lgsp match eval` and `lgsp match explain`: the matching model on a file of records.

use anyhow::Context;
use clap::Subcommand;
use lgsp_hub::matching::{self, records::Records, spec::MatchSpec};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Subcommand, Debug)]
pub enum MatchCommand {
    /// Train on a file of records and score pairwise precision, recall and F1 against the
    /// entity each record's id names.
    Eval {
        /// Match spec file (TOML).
        #[arg(long)]
        spec: PathBuf,
        /// Records (CSV with a header).
        #[arg(long)]
        input: PathBuf,
        /// Regular expression whose first group, applied to the id, names the true entity
        /// (FEBRL: `rec-(\d+)-`).
        #[arg(long)]
        truth: String,
        /// Match threshold (default: the spec's).
        #[arg(long)]
        threshold: Option<f64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show how each comparison weighs in the probability that records A and B are one entity.
    Explain {
        #[arg(long)]
        spec: PathBuf,
        #[arg(long)]
        input: PathBuf,
        a: String,
        b: String,
    },
}

pub fn run(cmd: MatchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        MatchCommand::Eval { spec, input, truth, threshold, json } => {
            let start = Instant::now();
            let spec = MatchSpec::load(&spec)?;
            let records = Records::from_csv(&input, &spec)?;
            let re = regex::Regex::new(&truth).with_context(|| format!("--truth '{truth}'"))?;
            let labels: Vec<String> = records.ids.iter().map(|id| re.captures(id).and_then(|c| c.get(1)).map(|m| m.as_str().to_string()).unwrap_or_else(|| id.clone())).collect();
            let outcome = matching::run(&spec, &records);
            let eval = matching::evaluate(&records, &outcome, &labels, threshold.unwrap_or(spec.match_threshold));
            let secs = start.elapsed().as_secs_f64();
            if json {
                println!("{}", serde_json::json!({ "evaluation": eval, "seconds": secs, "em_iterations": outcome.model.iterations, "lambda": outcome.model.lambda, "skipped_blocks": outcome.skipped_blocks }));
            } else {
                println!("records {}  candidate pairs {}  (true pairs among them {} of {})", eval.records, eval.candidates, eval.true_pairs_in_candidates, eval.true_pairs);
                println!("threshold {}: predicted {}  true positives {}", eval.threshold, eval.predicted, eval.true_positives);
                println!("precision {:.4}  recall {:.4}  F1 {:.4}  in {secs:.2} s (EM {} iterations)", eval.precision, eval.recall, eval.f1, outcome.model.iterations);
            }
            Ok(ExitCode::SUCCESS)
        }
        MatchCommand::Explain { spec, input, a, b } => {
            let spec = MatchSpec::load(&spec)?;
            let records = Records::from_csv(&input, &spec)?;
            let outcome = matching::run(&spec, &records);
            let e = matching::explain(&records, &outcome.model, &a, &b)?;
            println!("{:<16} {:<28} {:<28} {:<36} {:>8}", "comparison", a, b, "level", "weight");
            println!("{:<16} {:<28} {:<28} {:<36} {:>8.2}", "prior", "", "", "", e.prior_weight);
            for s in &e.steps {
                println!("{:<16} {:<28} {:<28} {:<36} {:>8.2}", s.column, s.a, s.b, s.level, s.weight);
            }
            println!("{:<16} {:<28} {:<28} {:<36} {:>8.2}", "total", "", "", "", e.total_weight);
            println!("match probability {:.6}", e.probability);
            Ok(ExitCode::SUCCESS)
        }
    }
}
