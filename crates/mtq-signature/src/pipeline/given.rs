//! A network given by file or value: loaded before the data ([`Network::ready`]), recorded in
//! the path monitor fitted through it ([`NetworkRecord::of_study`]), and run on new inputs
//! ([`Network::layers_of`]).

use std::path::Path;
use std::sync::Arc;

use mtq_activations::LayerModel;
use mtq_data::Dataset;
use mtq_model::{Device, Mlp};

use super::error::{Result, StudyError, StudyOption};
use super::seed;
use super::spec::Network;
use crate::monitor::{NetworkKind, NetworkRecord};
use crate::npy_sets::NpySet;
use crate::provenance::{InputFile, Provenance};

/// A network ready to run, and the facts it gives.
pub(super) struct Ready {
    pub(super) model: Arc<dyn LayerModel + Send + Sync>,
    /// The file it came from, named in a mismatch.
    pub(super) file: Option<std::path::PathBuf>,
    pub(super) description: String,
    pub(super) taps: Vec<String>,
    pub(super) inputs: Vec<InputFile>,
}

impl Network {
    /// The network given by file or value, loaded on `device`; `None` for one the study
    /// trains, or none.
    pub(super) fn ready(&self, device: &Device) -> Result<Option<Ready>> {
        Ok(match self {
            Network::Train(_) | Network::None => None,
            Network::Weights {
                path,
                activation,
                layout,
            } => {
                let inputs = vec![InputFile::read("weights", path)?];
                let (mlp, _) = Mlp::from_state_dict(path, *activation, *layout, device)?;
                Some(Ready {
                    model: Arc::new(mlp),
                    file: Some(path.clone()),
                    description: format!("MLP weights {}", path.display()),
                    taps: Vec::new(),
                    inputs,
                })
            }
            #[cfg(feature = "onnx")]
            Network::Onnx {
                path,
                layers,
                conv_tap,
                token_pool,
            } => {
                let inputs = vec![InputFile::read("model", path)?];
                let model = match layers {
                    None => mtq_activations::OnnxModel::load(path)?,
                    Some(layers) => mtq_activations::OnnxModel::load_with_hidden(path, layers)?,
                }
                .with_conv_tap(*conv_tap)
                .with_token_pool(*token_pool);
                let taps = model.layers().into_iter().map(|s| s.name).collect();
                Some(Ready {
                    model: Arc::new(model),
                    file: Some(path.clone()),
                    description: format!("ONNX {}", path.display()),
                    taps,
                    inputs,
                })
            }
            Network::Given { model, name } => Some(Ready {
                model: Arc::clone(model),
                file: Some(Path::new(name).to_path_buf()),
                description: name.clone(),
                taps: model.layers().into_iter().map(|s| s.name).collect(),
                inputs: Vec::new(),
            }),
        })
    }

    /// Runs this network on the inputs in `x` (an `.npy` file of samples x features, or of
    /// samples of any shape as the network takes them: no scaling) on `device`, and gives
    /// the layers a study analyses, as a set: every hidden layer, then the class
    /// probabilities as layer `out` (the names, in order, and the set, with the
    /// probabilities and the row numbers as ids).
    ///
    /// # Errors
    /// [`StudyError::Option`] (on [`StudyOption::Network`]) for a network the study trains, or
    /// none; the loading errors of [`Study::run`](super::Study::run) for the network (naming
    /// its file); the data's for `x`; [`StudyError::ModelMismatch`] if `x` is not as wide as
    /// the network's input; the extraction's.
    pub fn layers_of(&self, x: &Path, device: &Device) -> Result<(Vec<String>, NpySet)> {
        let Some(ready) = self.ready(device)? else {
            return Err(StudyError::option(
                StudyOption::Network,
                "runs on new inputs only when given (weights, ONNX, or a model value)",
            ));
        };
        let data = Dataset::from_npy_unlabelled(x)?;
        seed::extract_inputs(&*ready.model, ready.file, &data)
    }
}

impl NetworkRecord {
    /// The record of the network file a study ran through: its kind, its path as given, its
    /// SHA-256 (the provenance's input of role `weights` or `model`) and its options as the
    /// provenance lists them (`activation`, `weight_layout` for weights; `layers`,
    /// `conv_tap`, `token_pool` for ONNX). `None` for a network the study trained, a model value, or
    /// activations, or if the provenance does not list the file.
    #[must_use]
    pub fn of_study(network: &Network, provenance: &Provenance) -> Option<NetworkRecord> {
        let (kind, path, role, names): (_, _, _, &[&str]) = match network {
            Network::Weights { path, .. } => (
                NetworkKind::Weights,
                path,
                "weights",
                &["activation", "weight_layout"],
            ),
            #[cfg(feature = "onnx")]
            Network::Onnx { path, .. } => (
                NetworkKind::Onnx,
                path,
                "model",
                &["layers", "conv_tap", "token_pool"],
            ),
            _ => return None,
        };
        let file = path.display().to_string();
        let input = provenance
            .inputs
            .iter()
            .find(|i| i.role == role && i.path == file)?;
        Some(NetworkRecord {
            kind,
            file,
            sha256: input.sha256.clone(),
            options: provenance
                .options
                .iter()
                .filter(|o| names.contains(&o.name.as_str()))
                .map(|o| (o.name.clone(), o.value.clone()))
                .collect(),
        })
    }
}
