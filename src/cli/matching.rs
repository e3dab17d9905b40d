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
        /// Also explain the N most probable pairs above the threshold that are not true pairs.
        #[arg(long, default_value_t = 0)]
        false_positives: usize,
    },
    /// Show how each comparison weighs in the probability that records A and B are one entity.
    Explain {
        /// The pipeline file whose [matching] table is used.
        #[arg(long)]
        spec: PathBuf,
        /// The records (CSV with a header).
        #[arg(long)]
        input: PathBuf,
        /// Id of the first record.
        a: String,
        /// Id of the second record.
        b: String,
    },
}

pub fn run(cmd: MatchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        MatchCommand::Eval { spec, input, truth, threshold, json, false_positives } => {
            let start = Instant::now();
            let spec = MatchSpec::load(&spec)?;
            let records = Records::from_csv(&input, &spec)?;
            let re = regex::Regex::new(&truth).with_context(|| format!("--truth '{truth}'"))?;
            let labels: Vec<String> = records
                .ids
                .iter()
                .map(|id| {
                    re.captures(id).and_then(|c| c.get(1)).map(|m| m.as_str().to_string()).unwrap_or_else(|| id.clone())
                })
                .collect();
            let outcome = matching::run(&spec, &records);
            let eval = matching::evaluate(&records, &outcome, &labels, threshold.unwrap_or(spec.match_threshold));
            let secs = start.elapsed().as_secs_f64();
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "evaluation": eval, "seconds": secs, "em_iterations": outcome.model.iterations, "lambda": outcome.model.lambda, "skipped_blocks": outcome.skipped_blocks })
                );
            } else {
                println!(
                    "records {}  candidate pairs {}  (true pairs among them {} of {})",
                    eval.records, eval.candidates, eval.true_pairs_in_candidates, eval.true_pairs
                );
                println!(
                    "threshold {}: predicted {}  true positives {}",
                    eval.threshold, eval.predicted, eval.true_positives
                );
                println!(
                    "precision {:.4}  recall {:.4}  F1 {:.4}  in {secs:.2} s (EM {} iterations)",
                    eval.precision, eval.recall, eval.f1, outcome.model.iterations
                );
                for t in [0.5, 0.8, 0.9, 0.95, 0.99, 0.999] {
                    let e = matching::evaluate(&records, &outcome, &labels, t);
                    println!("  at {t:<5}: precision {:.4}  recall {:.4}  F1 {:.4}", e.precision, e.recall, e.f1);
                }
            }
            let mut wrong: Vec<_> = outcome
                .pairs
                .iter()
                .filter(|p| p.probability >= eval.threshold && labels[p.a as usize] != labels[p.b as usize])
                .collect();
            wrong.sort_by(|x, y| y.probability.total_cmp(&x.probability).then((x.a, x.b).cmp(&(y.a, y.b))));
            for p in wrong.into_iter().take(false_positives) {
                let (a, b) = (&records.ids[p.a as usize], &records.ids[p.b as usize]);
                let e = matching::explain(&records, &outcome.model, a, b)?;
                println!("\nfalse positive {a} / {b}: probability {:.6}", e.probability);
                for s in &e.steps {
                    println!("  {:<16} {:<28} {:<28} {:<30} {:>7.2}", s.column, s.a, s.b, s.level, s.weight);
                }
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
