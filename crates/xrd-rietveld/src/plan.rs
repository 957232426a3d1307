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
//! A stage may refine against a 2θ window of the pattern only, `range = [30.0, 80.0]`
//! (degrees), as the automatic strategies of [`crate::strategy`] do; without it the
//! whole pattern is used.
//!
//! Names are groups (`scale`, `background`, `cell`, `profile` = U V W X Y, `xyz`, `uiso`,
//! `occupancy`, `po` = March-Dollase ratios, `size` and `mustrain` = every phase's
//! crystallite size and microstrain; `uiso` or `adp` = `U_iso` of isotropic and the
//! free `Uⁱʲ` of anisotropic atoms) or single parameters as [`Model::name`] spells them (`zero`, `shift`,
//! `U`, `SH/L`, `bkg3`, `fap:O7:z`, `fap:Ca2:Uiso`).

use std::borrow::Cow;
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
    /// 2θ window `[lo, hi]` (degrees) this stage refines against; the whole pattern
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
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
    /// asymmetry; coordinates, displacement parameters and March-Dollase ratios (of the
    /// phases that have an axis).
    pub fn standard() -> Self {
        let stage = |names: &[&str]| Stage {
            release: names.iter().map(|s| (*s).to_string()).collect(),
            max_cycles: default_cycles(),
            range: None,
        };
        Plan {
            stages: vec![
                stage(&["scale", "background"]),
                stage(&["cell", "shift"]),
                stage(&["profile", "SH/L"]),
                stage(&["xyz", "uiso", "po"]),
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
        if let Some((i, [lo, hi])) = plan.stages.iter().enumerate().find_map(|(i, s)| {
            s.range
                .filter(|[lo, hi]| lo.partial_cmp(hi) != Some(std::cmp::Ordering::Less))
                .map(|r| (i, r))
        }) {
            return Err(Error::param(
                source_name,
                format!("stage {}: range [{lo}, {hi}] needs lo < hi", i + 1),
            ));
        }
        Ok(plan)
    }

    /// The plan as TOML, readable by [`Plan::from_toml`].
    ///
    /// # Errors
    /// None in practice (every field is representable).
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::param("plan", e.to_string()))
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
        "uiso" | "adp" => Ok(pick(&|p| matches!(p, Param::Uiso(..) | Param::Uaniso(..)))),
        "occupancy" => Ok(pick(&|p| matches!(p, Param::Occupancy(..)))),
        "po" => Ok(pick(&|p| matches!(p, Param::PreferredOrientation(_)))),
        "size" => Ok(pick(&|p| matches!(p, Param::Size(_)))),
        "mustrain" => Ok(pick(&|p| matches!(p, Param::Microstrain(_)))),
        other => model.find(other).map(|p| vec![p]).ok_or_else(|| {
            Error::param(
                "plan",
                format!(
                    "`{other}` is neither a group (scale, background, cell, profile, xyz, uiso, \
                     occupancy, po, size, mustrain) nor a parameter of the model"
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

/// Runs `plan`: a linear start for scales and background on the whole pattern, then
/// each stage with the accumulated parameters on its window. Returns the refinement of
/// the last stage.
///
/// # Errors
/// A name that does not resolve, a window with too few points, or a failed refinement.
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
        let window = match stage.range {
            Some([lo, hi]) => Cow::Owned(pattern.restricted(lo, hi)?),
            None => Cow::Borrowed(pattern),
        };
        let mut stopped = false;
        let result = refine(model, &window, &released, &settings, &mut |c| {
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
        let e = Plan::from_toml("[[stage]]\nrelease = []\nrange = [50.0, 20.0]\n", "w.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("w.toml") && e.contains("stage 1: range"), "{e}");
    }

    #[test]
    fn plans_round_trip_through_toml_with_windows() {
        let mut plan = Plan::standard();
        plan.stages[0].range = Some([20.0, 60.5]);
        plan.stages[2].max_cycles = 4;
        let text = plan.to_toml().unwrap();
        assert!(text.contains("range = [20.0, 60.5]"), "{text}");
        assert_eq!(Plan::from_toml(&text, "round trip").unwrap(), plan);
    }
}
