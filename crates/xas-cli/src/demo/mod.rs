//! `xas demo`: runs every capability of the workspace on small embedded inputs and
//! writes a report folder (Markdown report, JSON results, CSV data, figures).
//!
//! Each capability is a *stage*: a function that reads its embedded inputs, runs the
//! library code, writes its files under `<out>/<stage>/` and adds a section and a line
//! of results to the report. New crates add their stage to `STAGES`.

mod bayes;
mod cluster;
mod manifold;
mod multiplet;
mod nio_fit;
mod normalization;
mod rietveld;
mod similarity;
mod termination;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::{Map, Value};
use xas_core::io::write_atomic;

/// Arguments of `xas demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Report folder (created if missing; files inside are replaced).
    #[arg(long, default_value = "xas-demo-report")]
    out: PathBuf,
}

/// A stage: its name (also its sub-folder) and the function that runs it.
type Stage = (&'static str, fn(&mut Report) -> Result<()>);

/// The stages, in the order they run.
const STAGES: &[Stage] = &[
    ("normalization", normalization::run),
    ("multiplet", multiplet::run),
    ("similarity", similarity::run),
    ("manifold", manifold::run),
    ("bayes", bayes::run),
    ("nio-fit", nio_fit::run),
    ("termination", termination::run),
    ("rietveld", rietveld::run),
    ("rietveld-auto", rietveld::run_search),
    ("cluster", cluster::run),
];

/// The report being assembled: Markdown text, JSON results, and the folder for files.
pub struct Report {
    root: PathBuf,
    stage: String,
    markdown: String,
    results: Map<String, Value>,
}

impl Report {
    /// Path of `name` inside the current stage's folder (the folder is created).
    pub fn file(&self, name: &str) -> Result<PathBuf> {
        let dir = self.root.join(&self.stage);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir.join(name))
    }

    /// Path of a stage file relative to the report root, for links in the Markdown.
    pub fn link(&self, name: &str) -> String {
        format!("{}/{name}", self.stage)
    }

    /// Appends Markdown text (a line break is added).
    pub fn md(&mut self, text: impl AsRef<str>) {
        self.markdown.push_str(text.as_ref());
        self.markdown.push('\n');
    }

    /// Records a machine-readable result of the current stage.
    pub fn result(&mut self, key: &str, value: Value) {
        let stage = self
            .results
            .entry(self.stage.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(map) = stage {
            map.insert(key.to_string(), value);
        }
    }
}

/// Runs `xas demo`.
pub fn run(args: &DemoArgs, json: bool) -> Result<()> {
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating report folder {}", args.out.display()))?;
    let mut report = Report {
        root: args.out.clone(),
        stage: String::new(),
        markdown: String::from(
            "# xas demo report\n\nEvery stage ran on data embedded in the `xas` binary.\n",
        ),
        results: Map::new(),
    };
    let start = Instant::now();
    for (i, (name, stage)) in STAGES.iter().enumerate() {
        eprintln!("[{}/{}] {name} ...", i + 1, STAGES.len());
        let t = Instant::now();
        report.stage = (*name).to_string();
        stage(&mut report).with_context(|| format!("demo stage `{name}`"))?;
        eprintln!(
            "[{}/{}] {name} done in {:.2} s",
            i + 1,
            STAGES.len(),
            t.elapsed().as_secs_f64()
        );
    }
    report.md(format!(
        "\nTotal time: {:.2} s.",
        start.elapsed().as_secs_f64()
    ));
    write_atomic(&args.out.join("report.md"), report.markdown.as_bytes())?;
    let results = Value::Object(report.results);
    write_atomic(
        &args.out.join("results.json"),
        serde_json::to_string_pretty(&results)?.as_bytes(),
    )?;
    let where_ = absolute(&args.out);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"report": where_, "results": results})
            )?
        );
    } else {
        println!("report written to {}", where_.join("report.md").display());
    }
    Ok(())
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
