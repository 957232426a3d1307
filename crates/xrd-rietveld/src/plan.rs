//! Refinement plans as data: stages that release parameters, whose flags accumulate
//! (a parameter released in one stage stays released), each run to convergence or to
//! its cycle limit. Plans read from TOML:
//!
//! ```toml
//! [[stage]]
//! release = ["scale", "background"]
//! [[stage]]
//! release = ["cell", "zero", "shift"]
//! [[stage]]
//! release = ["profile", "SH/L"]
//! max_cycles = 20
//! [[stage]]
//! release = ["xyz", "uiso"]
//! ```
//!
//! Names are groups (`scale`, `background`, `cell`, `profile` = U V W X Y, `xyz`, `uiso`,
//! `occupancy`) or single parameters as [`Model::name`] spells them (`zero`, `shift`,
//! `U`, `SH/L`, `bkg3`, `fap:O7:z`, `fap:Ca2:Uiso`).

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use crate::model::{Model, Param};
use crate::pattern::Pattern;
use crate::refine::{Cycle, RefineSettings, Refinement, linear_start, refine};
use crate::{Error, Result};

/// One stage of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Groups or parameter names released in this stage.
    pub release: Vec<String>,
    /// Cycle limit of the stage.
    #[serde(default = "default_cycles")]
    pub max_cycles: usize,
}

fn default_cycles() -> usize {
    RefineSettings::default().max_cycles
}

/// A refinement plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Stages in order.
    #[serde(rename = "stage")]
    pub stages: Vec<Stage>,
}

impl Plan {
    /// The usual order for Bragg-Brentano data: scale and background; cell and specimen
    /// displacement (the zero stays at the instrument value: refined together with the
    /// displacement and the cell it is nearly degenerate); profile and
    /// asymmetry; coordinates and displacement parameters.
    pub fn standard() -> Self {
        let stage = |names: &[&str]| Stage {
            release: names.iter().map(|s| (*s).to_string()).collect(),
            max_cycles: default_cycles(),
        };
        Plan {
            stages: vec![
                stage(&["scale", "background"]),
                stage(&["cell", "shift"]),
                stage(&["profile", "SH/L"]),
                stage(&["xyz", "uiso"]),
            ],
        }
    }

    /// Parses a TOML plan.
    ///
    /// # Errors
    /// Malformed TOML or unknown keys (with the position).
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self> {
        let plan: Plan = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map_or(0, |s| text[..s.start].lines().count().max(1));
            Error::parse(source_name, line, e.message().to_string())
        })?;
        if plan.stages.is_empty() {
            return Err(Error::missing(source_name, "at least one [[stage]]"));
        }
        Ok(plan)
    }
}

/// The parameters a name or group stands for.
///
/// # Errors
/// A name that is neither a group nor a parameter of the model.
pub fn resolve(model: &Model, name: &str) -> Result<Vec<Param>> {
    let all = model.parameters();
    let pick =
        |f: &dyn Fn(&Param) -> bool| all.iter().copied().filter(|p| f(p)).collect::<Vec<_>>();
    match name {
        "scale" => Ok(pick(&|p| matches!(p, Param::Scale(_)))),
        "background" => Ok(pick(&|p| matches!(p, Param::Background(_)))),
        "cell" => Ok(pick(&|p| matches!(p, Param::Cell(..)))),
        "profile" => Ok(vec![Param::U, Param::V, Param::W, Param::X, Param::Y]),
        "xyz" => Ok(pick(&|p| matches!(p, Param::Coordinate(..)))),
        "uiso" => Ok(pick(&|p| matches!(p, Param::Uiso(..)))),
        "occupancy" => Ok(pick(&|p| matches!(p, Param::Occupancy(..)))),
        other => model.find(other).map(|p| vec![p]).ok_or_else(|| {
            Error::param(
                "plan",
                format!(
                    "`{other}` is neither a group (scale, background, cell, profile, xyz, uiso, \
                     occupancy) nor a parameter of the model"
                ),
            )
        }),
    }
}

/// Progress of a plan: stage (1-based) and the cycle within it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanProgress {
    /// Stage number (1-based).
    pub stage: usize,
    /// Number of stages.
    pub stages: usize,
    /// The cycle just finished.
    pub cycle: Cycle,
}

/// Runs `plan`: a linear start for scales and background, then each stage with the
/// accumulated parameters. Returns the refinement of the last stage.
///
/// # Errors
/// A name that does not resolve, or a failed refinement.
pub fn run_plan(
    model: &mut Model,
    pattern: &Pattern,
    plan: &Plan,
    observer: &mut dyn FnMut(&PlanProgress) -> ControlFlow<()>,
) -> Result<Refinement> {
    linear_start(model, pattern)?;
    let mut released: Vec<Param> = Vec::new();
    let mut last = None;
    for (i, stage) in plan.stages.iter().enumerate() {
        for name in &stage.release {
            for p in resolve(model, name)? {
                if !released.contains(&p) {
                    released.push(p);
                }
            }
        }
        let settings = RefineSettings {
            max_cycles: stage.max_cycles,
            ..RefineSettings::default()
        };
        let mut stopped = false;
        let result = refine(model, pattern, &released, &settings, &mut |c| {
            let flow = observer(&PlanProgress {
                stage: i + 1,
                stages: plan.stages.len(),
                cycle: *c,
            });
            stopped |= flow.is_break();
            flow
        })?;
        last = Some(result);
        if stopped {
            break;
        }
    }
    last.ok_or_else(|| Error::param("plan", "no stages"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_parse_and_refuse_unknown_keys() {
        let plan = Plan::from_toml(
            "[[stage]]\nrelease = [\"scale\", \"background\"]\n[[stage]]\nrelease = [\"cell\"]\nmax_cycles = 5\n",
            "plan.toml",
        )
        .unwrap();
        assert_eq!(plan.stages.len(), 2);
        assert_eq!(plan.stages[1].max_cycles, 5);
        let e = Plan::from_toml("[[stage]]\nrelease = []\ncycles = 3\n", "plan.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("plan.toml, line ") && e.contains("unknown field `cycles`"),
            "{e}"
        );
        assert!(Plan::from_toml("", "p.toml").is_err());
        assert_eq!(Plan::standard().stages.len(), 4);
    }
}
