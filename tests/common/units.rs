//! A small `units` pipeline (CSV input, business key `ma`) written into a test's folder with the
//! two inputs of its first and second version.

use std::path::{Path, PathBuf};

/// Writes `units.toml` (fields `ma`, required, and `ten`, then `more_fields`, TOML `[[fields]]`
/// tables) and the inputs `v1.csv` and `v2.csv` into `dir`; returns the paths of the pipeline
/// file and of the two inputs.
pub fn write(dir: &Path, more_fields: &str, v1: &str, v2: &str) -> (PathBuf, PathBuf, PathBuf) {
    let spec = format!(
        "id = \"units\"\nowner = \"000.00.00.H48\"\ndataset = \"units\"\nkey = [\"ma\"]\n\
         [source]\nkind = \"csv\"\npath = \"v1.csv\"\n\
         [[fields]]\nname = \"ma\"\nrequired = true\n[[fields]]\nname = \"ten\"\n{more_fields}"
    );
    let (toml, p1, p2) = (dir.join("units.toml"), dir.join("v1.csv"), dir.join("v2.csv"));
    std::fs::write(&toml, spec).expect("the pipeline file");
    std::fs::write(&p1, v1).expect("input v1");
    std::fs::write(&p2, v2).expect("input v2");
    (toml, p1, p2)
}
