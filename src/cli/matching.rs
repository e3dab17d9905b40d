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
        /// Records (CSV with a header). Give it twice or more to link files: each file is a
        /// source (with `link_type = "link_only"`, records of one file are not compared).
        #[arg(long, required = true)]
        input: Vec<PathBuf>,
        /// Regular expression whose first group, applied to the id, names the true entity
        /// (FEBRL: `rec-(\d+)-`).
        #[arg(long, required_unless_present = "truth_column", conflicts_with = "truth_column")]
        truth: Option<String>,
        /// The column naming each record's true entity.
        #[arg(long)]
        truth_column: Option<String>,
        /// Match threshold (default: the spec's).
        #[arg(long)]
        threshold: Option<f64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also explain the N most probable pairs above the threshold that are not true pairs.
        #[arg(long, default_value_t = 0)]
        false_positives: usize,
        /// Also explain N true pairs that blocking brought but that score below the threshold.
        #[arg(long, default_value_t = 0)]
        false_negatives: usize,
    },
    /// Show how each comparison weighs in the probability that records A and B are one entity.
    Explain {
        /// A match spec file, or a pipeline file whose [matching] table is used (its key is
        /// the records' id).
        #[arg(long)]
        spec: PathBuf,
        /// The records (CSV with a header); give it twice or more to link files.
        #[arg(long, required = true)]
        input: Vec<PathBuf>,
        /// Id of the first record.
        a: String,
        /// Id of the second record.
        b: String,
    },
}

pub fn run(cmd: MatchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        MatchCommand::Eval { spec, input, truth, truth_column, threshold, json, false_positives, false_negatives } => {
            let start = Instant::now();
            let spec = MatchSpec::load(&spec)?;
            let inputs: Vec<&std::path::Path> = input.iter().map(PathBuf::as_path).collect();
            let records = Records::from_csv(&inputs, &spec, truth_column.as_slice())?;
            let labels: Vec<String> = match (&truth, &truth_column) {
                (_, Some(col)) => records
                    .column(col)
                    .with_context(|| format!("--truth-column: the input has no column '{col}'"))?
                    .to_vec(),
                (Some(truth), None) => {
                    let re = regex::Regex::new(truth).with_context(|| format!("--truth '{truth}'"))?;
                    records
                        .ids
                        .iter()
                        .map(|id| {
                            re.captures(id)
                                .and_then(|c| c.get(1))
                                .map(|m| m.as_str().to_string())
                                .unwrap_or_else(|| id.clone())
                        })
                        .collect()
                }
                (None, None) => anyhow::bail!("give --truth REGEX or --truth-column COLUMN"),
            };
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
                for (rule, n) in spec.blocking().iter().zip(&outcome.per_rule) {
                    let costly = *n > matching::COSTLY_PAIRS_PER_RECORD * eval.records.max(1);
                    let note = if costly { "  <- costly: add a key to this rule" } else { "" };
                    println!("  blocking {:<40} {n:>12} pairs{note}", format!("{rule:?}"));
                }
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
                print_explanation("false positive", a, b, &matching::explain(&records, &outcome.model, a, b)?);
            }
            let predicted: std::collections::HashSet<(u32, u32)> =
                outcome.pairs.iter().filter(|p| p.probability >= eval.threshold).map(|p| (p.a, p.b)).collect();
            let missed = outcome
                .candidate_pairs()
                .filter(|(a, b)| labels[*a as usize] == labels[*b as usize] && !predicted.contains(&(*a, *b)));
            for (a, b) in missed.take(false_negatives) {
                let (a, b) = (&records.ids[a as usize], &records.ids[b as usize]);
                print_explanation("false negative", a, b, &matching::explain(&records, &outcome.model, a, b)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        MatchCommand::Explain { spec, input, a, b } => {
            let spec = MatchSpec::load(&spec)?;
            let inputs: Vec<&std::path::Path> = input.iter().map(PathBuf::as_path).collect();
            let records = Records::from_csv(&inputs, &spec, &[])?;
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

/// A pair's explanation: the prior, each comparison's level and weight, the probability.
fn print_explanation(what: &str, a: &str, b: &str, e: &matching::Explanation) {
    println!("\n{what} {a} / {b}: probability {:.6}", e.probability);
    println!("  {:<16} {:<28} {:<28} {:<30} {:>7.2}", "prior", "", "", "", e.prior_weight);
    for s in &e.steps {
        println!("  {:<16} {:<28} {:<28} {:<30} {:>7.2}", s.column, s.a, s.b, s.level, s.weight);
    }
    println!("  {:<16} {:<28} {:<28} {:<30} {:>7.2}", "total", "", "", "", e.total_weight);
}
