//! Parsing of the colon-separated ranges the commands take (`845:880:0.1`, `-15:15`).

use anyhow::{Result, anyhow};

/// Parses exactly `N` numbers separated by colons, e.g. `START:STOP:STEP`; the error
/// names `option`, repeats `text` and shows the expected `form` and an `example`.
pub fn colon_numbers<const N: usize>(
    option: &str,
    text: &str,
    form: &str,
    example: &str,
) -> Result<[f64; N]> {
    let bad = || anyhow!("{option} `{text}`: expected {form}, e.g. {example}");
    let fields: Vec<f64> = text
        .split(':')
        .map(|f| f.trim().parse::<f64>().map_err(|_| bad()))
        .collect::<Result<_>>()?;
    let numbers: [f64; N] = fields.try_into().map_err(|_| bad())?;
    if numbers.iter().any(|v| !v.is_finite()) {
        return Err(bad());
    }
    Ok(numbers)
}

/// A list of values: `START:STOP:STEP` (both ends included when on the step), or a
/// comma-separated list `0.5,1.0,1.5`.
pub fn value_list(option: &str, text: &str) -> Result<Vec<f64>> {
    if text.contains(':') {
        let [start, stop, step] = colon_numbers(option, text, "START:STOP:STEP", "0:2.5:0.1")?;
        if start == stop {
            return Ok(vec![start]);
        }
        return xas_core::grid::uniform_grid(start, stop, step)
            .map_err(|e| anyhow!("{option} `{text}`: {e}"));
    }
    text.split(',')
        .map(|f| {
            f.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| anyhow!("{option} `{text}`: `{f}` is not a number"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_lists() {
        assert_eq!(
            colon_numbers::<2>("--shift-search", "-15:15", "MIN:MAX", "-15:15").unwrap(),
            [-15.0, 15.0]
        );
        let e = colon_numbers::<3>("--grid", "1:2", "START:STOP:STEP", "1:2:0.1").unwrap_err();
        assert!(e.to_string().contains("--grid `1:2`"), "{e}");
        assert!(colon_numbers::<1>("--x", "nan", "X", "1").is_err());
        let v = value_list("--tendq", "0:2.5:0.5").unwrap();
        assert_eq!(v.len(), 6);
        assert!((v[5] - 2.5).abs() < 1e-12);
        assert_eq!(value_list("--tendq", "1,2.5").unwrap(), vec![1.0, 2.5]);
        assert_eq!(value_list("--tendq", "1:1:0.1").unwrap(), vec![1.0]);
        assert!(value_list("--tendq", "1,x").is_err());
    }
}
