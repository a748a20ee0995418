//! Save and load: weights as safetensors, configuration as JSON, side by side in one directory.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};

use crate::config::MlpConfig;
use crate::error::{ModelError, Result};
use crate::mlp::Mlp;

/// File name of the weights inside a model directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of the configuration inside a model directory.
pub const CONFIG_FILE: &str = "config.json";
/// Largest configuration file read, in bytes (1 MiB).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// Room allowed for the safetensors header (its JSON table of tensors) beyond the weights.
const MAX_HEADER_BYTES: usize = 1 << 20;

/// Reads `path` whole if it is at most `max` bytes (checked before reading).
fn read_bounded(path: &Path, max: u64, why: &'static str) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > max {
        return Err(ModelError::FileTooLarge {
            path: path.to_path_buf(),
            size,
            max,
            why,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(max).read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

impl Mlp {
    /// Writes the model to directory `dir` (created if missing): [`CONFIG_FILE`] (the
    /// [`MlpConfig`] as JSON) and [`WEIGHTS_FILE`] (tensors `h1.weight`, `h1.bias`, ..,
    /// `out.weight`, `out.bias`, f32, weights `out x in`).
    ///
    /// # Errors
    /// [`ModelError::Io`] if the directory or a file cannot be written; [`ModelError::Weights`]
    /// if serialising the tensors fails.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| ModelError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let config_path = dir.join(CONFIG_FILE);
        let json = serde_json::to_string_pretty(&self.config).map_err(|source| {
            ModelError::ConfigJson {
                path: config_path.clone(),
                source,
            }
        })?;
        std::fs::write(&config_path, json + "\n").map_err(|source| ModelError::Io {
            path: config_path,
            source,
        })?;

        let weights_path = dir.join(WEIGHTS_FILE);
        let mut tensors: HashMap<String, Tensor> = HashMap::new();
        for (name, layer) in self.config.param_layer_names().iter().zip(&self.layers) {
            tensors.insert(format!("{name}.weight"), layer.weight().clone());
            if let Some(b) = layer.bias() {
                tensors.insert(format!("{name}.bias"), b.clone());
            }
        }
        // safetensors orders the tensors itself (by dtype, then name): the file is deterministic.
        candle_core::safetensors::save(&tensors, &weights_path).map_err(|source| {
            ModelError::Weights {
                path: weights_path,
                source,
            }
        })
    }

    /// Reads a model written by [`Mlp::save`] from directory `dir` onto `device`.
    ///
    /// # Errors
    /// [`ModelError::Io`] if a file cannot be read; [`ModelError::ConfigJson`] for bad JSON;
    /// the [`MlpConfig::check`] errors for a bad configuration; [`ModelError::Weights`] if the
    /// weights are not valid safetensors; [`ModelError::MissingTensor`],
    /// [`ModelError::UnexpectedTensor`] and [`ModelError::TensorShape`] if they do not match
    /// the configuration.
    pub fn load(dir: impl AsRef<Path>, device: &Device) -> Result<Self> {
        let dir = dir.as_ref();
        let config_path = dir.join(CONFIG_FILE);
        let json = read_bounded(&config_path, MAX_CONFIG_BYTES, "a model config may hold")?;
        let config: MlpConfig =
            serde_json::from_slice(&json).map_err(|source| ModelError::ConfigJson {
                path: config_path,
                source,
            })?;
        config.check()?;

        let path = dir.join(WEIGHTS_FILE);
        // The weights hold at most one float64 per parameter, plus the safetensors header.
        let max = config
            .n_params()
            .checked_mul(8)
            .and_then(|b| b.checked_add(MAX_HEADER_BYTES))
            .map_or(u64::MAX, |b| b as u64);
        let bytes = read_bounded(&path, max, "the configuration's parameters can fill")?;
        let mut tensors =
            candle_core::safetensors::load_buffer(&bytes, device).map_err(|source| {
                ModelError::Weights {
                    path: path.clone(),
                    source,
                }
            })?;

        let mut init = Vec::new();
        for (name, w) in config
            .param_layer_names()
            .iter()
            .zip(config.widths().windows(2))
        {
            for (suffix, expected) in [("weight", vec![w[1], w[0]]), ("bias", vec![w[1]])] {
                let key = format!("{name}.{suffix}");
                let t = tensors
                    .remove(&key)
                    .ok_or_else(|| ModelError::MissingTensor {
                        path: path.clone(),
                        name: key.clone(),
                    })?;
                if t.dims() != expected.as_slice() {
                    return Err(ModelError::TensorShape {
                        path,
                        name: key,
                        expected,
                        found: t.dims().to_vec(),
                    });
                }
                let t = t.to_dtype(candle_core::DType::F32)?;
                let values = t.flatten_all()?.to_vec1::<f32>()?;
                if let Some((index, &value)) =
                    values.iter().enumerate().find(|(_, v)| !v.is_finite())
                {
                    return Err(ModelError::NonFiniteWeight {
                        path,
                        tensor: key,
                        index,
                        value,
                    });
                }
                init.push((key, t));
            }
        }
        if let Some(name) = tensors.into_keys().min() {
            return Err(ModelError::UnexpectedTensor { path, name });
        }
        Self::from_tensors(config, device, init.into_iter())
    }
}
