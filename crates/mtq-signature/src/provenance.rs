//! Where a study's numbers come from: the mtq version, the command, the options, the seeds and
//! every input file with its size and SHA-256 (written in `report.json`).

use serde::{Deserialize, Serialize};

/// Where the study's numbers come from: the mtq version, the command (as its caller gives it),
/// the options as run, the seeds and every input file with its size and SHA-256. Written in
/// `report.json` so a report can be traced to what made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The version of the `mtq-signature` crate that ran the study (the workspace's version).
    pub mtq_version: String,
    /// The command line that asked for the study, if its caller gave it
    /// (`pipeline::Study::run` leaves it empty; the `mtq` command fills it).
    pub command: Vec<String>,
    /// Every option as run, in a fixed order (a repeated option, e.g. several unseen sets,
    /// once per value).
    pub options: Vec<OptionValue>,
    /// The seeds, in the order run.
    pub seeds: Vec<u64>,
    /// Every file read, in the order read (none for the data sets shipped inside `mtq-data`).
    pub inputs: Vec<InputFile>,
}

/// One option of a study as run: `{"name": "k_max", "value": "10"}` in `report.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionValue {
    /// The option, e.g. `classes`, `k_max`.
    pub name: String,
    /// Its value, formatted, e.g. `1,7`.
    pub value: String,
}

/// One file a study read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// What it is, e.g. `x`, `train images`, `reference h1`, `weights`.
    pub role: String,
    /// Its path as given.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its SHA-256, lowercase hex (as `sha256sum` prints it).
    pub sha256: String,
}

#[cfg(feature = "pipeline")]
impl InputFile {
    /// Reads `path` once to measure its size and SHA-256.
    ///
    /// # Errors
    /// [`StudyError::Io`](crate::pipeline::StudyError::Io) naming the file if it cannot be
    /// read.
    pub fn read(role: &str, path: &std::path::Path) -> crate::pipeline::Result<Self> {
        use sha2::{Digest, Sha256};
        use std::io::Read;

        let io = |source| crate::pipeline::StudyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut reader =
            std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path).map_err(io)?);
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        let mut bytes = 0u64;
        loop {
            let n = reader.read(&mut buffer).map_err(io)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            bytes += n as u64;
        }
        let sha256 = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Self {
            role: role.into(),
            path: path.display().to_string(),
            bytes,
            sha256,
        })
    }

    /// The files of a set of activations at `prefix` ([`NpySet::read`](crate::NpySet::read)'s
    /// names: one per layer, the labels, probabilities, ids and images when present).
    ///
    /// # Errors
    /// [`StudyError::Io`](crate::pipeline::StudyError::Io) for a layer file that cannot be
    /// read (labels and probabilities are optional: skipped when absent).
    pub fn read_set(
        role: &str,
        prefix: &std::path::Path,
        layers: &[String],
    ) -> crate::pipeline::Result<Vec<Self>> {
        let mut files = Vec::with_capacity(layers.len() + 4);
        for l in layers {
            let path = crate::npy_sets::npy_file(prefix, l);
            files.push(Self::read(&format!("{role} {l}"), &path)?);
        }
        for extra in ["labels", "probs", "ids", "images"] {
            let path = crate::npy_sets::npy_file(prefix, extra);
            if path.exists() {
                files.push(Self::read(&format!("{role} {extra}"), &path)?);
            }
        }
        Ok(files)
    }

    /// The files of a folder written by `Activations::save`: its manifest and the files it
    /// lists, by name.
    ///
    /// # Errors
    /// [`StudyError::Io`](crate::pipeline::StudyError::Io) for a file that cannot be read.
    pub fn read_folder(role: &str, dir: &std::path::Path) -> crate::pipeline::Result<Vec<Self>> {
        let io = |source| crate::pipeline::StudyError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let manifest = dir.join(mtq_activations::MANIFEST_FILE);
        let text = std::fs::read_to_string(&manifest).map_err(io)?;
        let listed: mtq_activations::Manifest =
            serde_json::from_str(&text).map_err(|e| io(std::io::Error::other(e)))?;
        let mut names: Vec<String> = listed.layers.iter().map(|l| l.file.clone()).collect();
        names.push(listed.labels.clone());
        names.extend(listed.ids.clone());
        names.sort();
        std::iter::once((mtq_activations::MANIFEST_FILE.to_string(), manifest))
            .chain(names.into_iter().map(|n| (n.clone(), dir.join(n))))
            .map(|(name, path)| Self::read(&format!("{role} {name}"), &path))
            .collect()
    }
}

#[cfg(all(test, feature = "pipeline"))]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_measured_as_sha256sum_does() {
        let path = std::env::temp_dir().join(format!("mtq-provenance-{}", std::process::id()));
        std::fs::write(&path, b"abc").unwrap();
        let f = InputFile::read("x", &path).unwrap();
        std::fs::remove_file(&path).unwrap();
        // FIPS 180-2, appendix B.1: SHA-256("abc")
        assert_eq!(
            f.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!((f.role.as_str(), f.bytes), ("x", 3));
        let missing = InputFile::read("x", std::path::Path::new("/no/such/file"));
        assert!(missing.unwrap_err().to_string().contains("/no/such/file"));
    }
}
