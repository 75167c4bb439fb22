//! The C floor: benches/c/baseline.c, compiled with the system `cc` into a temp dir at run
//! time and run once per batch; it prints its samples (ns/op), one per line.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::workload::Workload;

/// The compiled baseline, deleted (with its temp dir) on drop.
pub struct Baseline {
    dir: PathBuf,
    exe: PathBuf,
}

impl Baseline {
    /// Compiles the baseline with `$CC` (default `cc`) at `-O2`.
    pub fn build() -> io::Result<Baseline> {
        let dir = std::env::temp_dir().join(format!("chapel-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let baseline = Baseline { exe: dir.join("baseline"), dir };
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/c/baseline.c");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let out = Command::new(&cc).args(["-O2", "-pthread", "-o"]).arg(&baseline.exe).arg(&source).output()?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            return Err(io::Error::other(format!("{cc} failed on {}: {why}", source.display())));
        }
        Ok(baseline)
    }

    pub fn exe(&self) -> &Path {
        &self.exe
    }

    /// One batch of `w`, the floor or (`variant`) one of the baseline's variants.
    pub fn run(&self, w: Workload, n: usize, variant: Option<&str>) -> io::Result<Vec<f64>> {
        let out = Command::new(&self.exe).args([w.name(), &n.to_string()]).args(variant).output()?;
        if !out.status.success() {
            return Err(io::Error::other(String::from_utf8_lossy(&out.stderr).trim().to_string()));
        }
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(|s| s.parse().map_err(|_| io::Error::other(format!("baseline printed {s:?}"))))
            .collect()
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
