//! Weights trained elsewhere into an [`Mlp`]: a safetensors state_dict, the architecture read
//! from the tensor shapes.
//!
//! Three naming schemes are recognised:
//!
//! * **PyTorch `nn.Sequential`** of `Linear` and parameter-free layers (`ReLU`, `Tanh`,
//!   `Dropout`, ..): `0.weight`, `0.bias`, `2.weight`, `2.bias`, .. (the number is the module's
//!   position; gaps are the parameter-free layers), optionally under one common prefix
//!   (`net.0.weight`, `model.layers.0.weight`). Exported with
//!   `safetensors.torch.save_file(model.state_dict(), "mlp.safetensors")`.
//! * **This project's names**: `h1.weight`, `h1.bias`, .., `out.weight`, `out.bias`, as written
//!   by [`Mlp::save`].
//!
//! Weights are `out x in` (PyTorch's and candle's `Linear`, [`WeightLayout::OutIn`]). **Keras**
//! `Dense` kernels are `in x out`: either save them transposed under PyTorch names,
//! `{f"{2*i}.weight": k.T, f"{2*i}.bias": b for i, (k, b) in enumerate(pairs)}` where `pairs`
//! are the `(kernel, bias)` of `model.get_weights()` taken two by two, or save them unchanged
//! under those names and load with [`WeightLayout::InOut`]. Either way the network computes
//! `act(x · kernel + bias)` per hidden layer, as Keras does.
//!
//! A `Linear` without bias (`bias=False`) loads with a zero bias, which computes the same.
//! The non-linearity is not stored in a state_dict: pass it (the same after every hidden
//! layer; the output layer has none, the probabilities are its softmax).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

use crate::config::{Activation, MlpConfig};
use crate::error::{ModelError, Result};
use crate::mlp::Mlp;

/// How the weight matrices of a state_dict are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WeightLayout {
    /// `out_features x in_features`: PyTorch and candle `Linear.weight` (the default).
    #[default]
    OutIn,
    /// `in_features x out_features`: a Keras `Dense` kernel.
    InOut,
}

/// The naming scheme a state_dict was recognised as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StateDictNaming {
    /// PyTorch `nn.Sequential` positions (`0.weight`, `2.weight`, ..) under `prefix` (empty, or
    /// ending in a dot).
    Sequential {
        /// The common prefix before the position, e.g. `"net."`; empty for none.
        prefix: String,
    },
    /// This project's `h1.weight`, .., `out.weight`.
    Project,
}

/// One dense layer of a state_dict: its tensor names and its weight as `out x in`.
struct Found {
    weight_name: String,
    bias_name: Option<String>,
    weight: Tensor,
    bias: Option<Tensor>,
}

/// Splits `name` into (prefix, position) if it is `<prefix><integer>.weight`.
fn sequential_position(name: &str) -> Option<(&str, usize)> {
    let stem = name.strip_suffix(".weight")?;
    let (prefix, index) = match stem.rfind('.') {
        Some(dot) => (&stem[..=dot], &stem[dot + 1..]),
        None => ("", stem),
    };
    let position = index.parse().ok()?;
    Some((prefix, position))
}

/// Tensor names of one dense layer: the weight's and, if present, the bias's.
type LayerNames = (String, Option<String>);

/// Recognises the naming and returns the layers in order (weight names and biases not yet
/// checked for shape).
fn layer_names(names: &[String], path: &Path) -> Result<(StateDictNaming, Vec<LayerNames>)> {
    let has = |n: &str| names.iter().any(|m| m == n);
    if has("out.weight") {
        let mut layers = Vec::new();
        for i in 1.. {
            let w = format!("h{i}.weight");
            if !has(&w) {
                break;
            }
            layers.push((w, Some(format!("h{i}.bias"))));
        }
        layers.push(("out.weight".to_owned(), Some("out.bias".to_owned())));
        return Ok((StateDictNaming::Project, layers));
    }
    let mut positions: Vec<(&str, usize)> = names
        .iter()
        .filter_map(|n| sequential_position(n))
        .collect();
    let Some(&(prefix, _)) = positions.first() else {
        return Err(ModelError::StateDictNaming {
            path: path.to_path_buf(),
            names: names.to_vec(),
        });
    };
    if let Some(&(other, _)) = positions.iter().find(|(p, _)| *p != prefix) {
        return Err(ModelError::StateDictPrefixes {
            path: path.to_path_buf(),
            first: prefix.to_owned(),
            second: other.to_owned(),
        });
    }
    positions.sort_unstable_by_key(|&(_, i)| i);
    let prefix = prefix.to_owned();
    let layers = positions
        .iter()
        .map(|&(_, i)| {
            let bias = format!("{prefix}{i}.bias");
            let bias = has(&bias).then_some(bias);
            (format!("{prefix}{i}.weight"), bias)
        })
        .collect();
    Ok((StateDictNaming::Sequential { prefix }, layers))
}

/// [`ModelError::NonFiniteWeight`] for the first NaN or infinity of `t` (an `f32` tensor), by
/// the tensor's name in the file.
fn check_finite(t: &Tensor, name: &str, path: &Path) -> Result<()> {
    let values = t.flatten_all()?.to_vec1::<f32>()?;
    match values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((index, &value)) => Err(ModelError::NonFiniteWeight {
            path: path.to_path_buf(),
            tensor: name.to_owned(),
            index,
            value,
        }),
        None => Ok(()),
    }
}

impl Mlp {
    /// Reads a safetensors state_dict (PyTorch `nn.Sequential` names or this project's, see the
    /// [module documentation](crate::state_dict)) into an `Mlp` on `device`, the architecture
    /// read from the weight shapes: input width from the first weight, one hidden layer per
    /// weight but the last, classes from the last. `activation` follows every hidden layer.
    /// Any float dtype is converted to `f32`. Returns the model and the naming recognised.
    ///
    /// ```no_run
    /// use mtq_model::{Activation, Device, Mlp, WeightLayout};
    /// # fn main() -> mtq_model::Result<()> {
    /// // torch: nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 2))
    /// let (mlp, _naming) = Mlp::from_state_dict(
    ///     "mlp.safetensors", Activation::Relu, WeightLayout::OutIn, &Device::Cpu)?;
    /// assert_eq!(mlp.config().hidden, [32, 64]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ModelError::Io`], [`ModelError::Weights`] (not safetensors);
    /// [`ModelError::StateDictNaming`] (no `*.weight` of a recognised scheme),
    /// [`ModelError::StateDictPrefixes`] (two different prefixes);
    /// [`ModelError::StateDictRank`] (a weight not a matrix or a bias not a vector),
    /// [`ModelError::StateDictChain`] (a layer's input width differs from the previous
    /// layer's output width), [`ModelError::TensorShape`] (a bias of the wrong length),
    /// [`ModelError::MissingTensor`] (a project-named bias), [`ModelError::UnexpectedTensor`]
    /// (a tensor that belongs to no layer); [`ModelError::NonFiniteWeight`] (a NaN or infinite
    /// value, with the tensor's name in the file and its flat index); the [`MlpConfig::check`]
    /// errors (e.g. a single output unit).
    pub fn from_state_dict(
        path: impl AsRef<Path>,
        activation: Activation,
        layout: WeightLayout,
        device: &Device,
    ) -> Result<(Self, StateDictNaming)> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let tensors = candle_core::safetensors::load_buffer(&bytes, device).map_err(|source| {
            ModelError::Weights {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Self::from_tensor_map(tensors, path, activation, layout, device)
    }

    /// [`Mlp::from_state_dict`] from tensors already in memory; `source` names them in errors.
    ///
    /// # Errors
    /// As [`Mlp::from_state_dict`], without the I/O ones.
    pub fn from_tensor_map(
        mut tensors: HashMap<String, Tensor>,
        source: impl AsRef<Path>,
        activation: Activation,
        layout: WeightLayout,
        device: &Device,
    ) -> Result<(Self, StateDictNaming)> {
        let path: PathBuf = source.as_ref().to_path_buf();
        let mut names: Vec<String> = tensors.keys().cloned().collect();
        names.sort_unstable();
        let (naming, layer_names) = layer_names(&names, &path)?;

        let mut found: Vec<Found> = Vec::with_capacity(layer_names.len());
        for (weight_name, bias_name) in layer_names {
            let w = tensors
                .remove(&weight_name)
                .ok_or_else(|| ModelError::MissingTensor {
                    path: path.clone(),
                    name: weight_name.clone(),
                })?;
            if w.rank() != 2 {
                return Err(ModelError::StateDictRank {
                    path,
                    name: weight_name,
                    shape: w.dims().to_vec(),
                    expected: 2,
                });
            }
            let w = w.to_dtype(DType::F32)?;
            check_finite(&w, &weight_name, &path)?;
            let w = match layout {
                WeightLayout::OutIn => w,
                WeightLayout::InOut => w.t()?.contiguous()?,
            };
            let bias = match &bias_name {
                Some(b) => {
                    let t = tensors.remove(b).ok_or_else(|| ModelError::MissingTensor {
                        path: path.clone(),
                        name: b.clone(),
                    })?;
                    if t.rank() != 1 {
                        return Err(ModelError::StateDictRank {
                            path,
                            name: b.clone(),
                            shape: t.dims().to_vec(),
                            expected: 1,
                        });
                    }
                    let t = t.to_dtype(DType::F32)?;
                    check_finite(&t, b, &path)?;
                    Some(t)
                }
                None => None,
            };
            found.push(Found {
                weight_name,
                bias_name,
                weight: w,
                bias,
            });
        }
        if let Some(name) = tensors.into_keys().min() {
            return Err(ModelError::UnexpectedTensor { path, name });
        }

        // widths from the shapes: [in of the first, out of each]
        let mut widths = Vec::with_capacity(found.len() + 1);
        for (k, f) in found.iter().enumerate() {
            let (out_f, in_f) = f.weight.dims2()?;
            if let Some(&prev) = widths.last()
                && prev != in_f
            {
                return Err(ModelError::StateDictChain {
                    path,
                    name: f.weight_name.clone(),
                    in_features: in_f,
                    previous_out: prev,
                    layer: k + 1,
                });
            }
            if k == 0 {
                widths.push(in_f);
            }
            widths.push(out_f);
        }
        // biases after the chain, so a transposed layout is reported as such
        for f in &found {
            let out_f = f.weight.dim(0)?;
            if let (Some(b), Some(name)) = (&f.bias, &f.bias_name)
                && b.dims() != [out_f]
            {
                return Err(ModelError::TensorShape {
                    path,
                    name: name.clone(),
                    expected: vec![out_f],
                    found: b.dims().to_vec(),
                });
            }
        }
        let (input_dim, rest) = widths.split_first().ok_or(ModelError::ZeroInputDim)?;
        let (n_classes, hidden) = rest.split_last().ok_or(ModelError::ZeroInputDim)?;
        let config =
            MlpConfig::new(*input_dim, hidden.to_vec(), *n_classes).with_activation(activation);
        config.check()?;

        let mut init = Vec::with_capacity(2 * found.len());
        for (name, f) in config.param_layer_names().iter().zip(found) {
            let out_f = f.weight.dim(0)?;
            let bias = match f.bias {
                Some(b) => b,
                None => Tensor::zeros(out_f, DType::F32, device)?,
            };
            init.push((format!("{name}.weight"), f.weight));
            init.push((format!("{name}.bias"), bias));
        }
        Ok((
            Self::from_tensors(config, device, init.into_iter())?,
            naming,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_positions_and_prefixes() {
        assert_eq!(sequential_position("0.weight"), Some(("", 0)));
        assert_eq!(sequential_position("net.12.weight"), Some(("net.", 12)));
        assert_eq!(sequential_position("a.b.3.weight"), Some(("a.b.", 3)));
        assert_eq!(sequential_position("fc1.weight"), None);
        assert_eq!(sequential_position("0.bias"), None);
    }

    fn map(entries: &[(&str, &[usize])]) -> HashMap<String, Tensor> {
        entries
            .iter()
            .map(|(n, s)| {
                let t = Tensor::ones(*s, DType::F32, &Device::Cpu).expect("tensor");
                ((*n).to_owned(), t)
            })
            .collect()
    }

    fn load(entries: &[(&str, &[usize])], layout: WeightLayout) -> Result<(Mlp, StateDictNaming)> {
        Mlp::from_tensor_map(
            map(entries),
            "test.safetensors",
            Activation::Relu,
            layout,
            &Device::Cpu,
        )
    }

    #[test]
    fn architecture_from_shapes_in_position_order() -> Result<()> {
        // positions 10 > 2 > 0 must sort numerically, not as text
        let (m, naming) = load(
            &[
                ("0.weight", &[5, 7]),
                ("0.bias", &[5]),
                ("2.weight", &[4, 5]),
                ("2.bias", &[4]),
                ("10.weight", &[3, 4]),
            ],
            WeightLayout::OutIn,
        )?;
        assert_eq!(m.config(), &MlpConfig::new(7, [5, 4], 3));
        assert_eq!(
            naming,
            StateDictNaming::Sequential {
                prefix: String::new()
            }
        );
        // missing bias: zeros
        assert!(m.layers()[2].bias().is_some_and(|b| {
            b.to_vec1::<f32>()
                .is_ok_and(|v| v.iter().all(|&x| x == 0.0))
        }));
        let (k, _) = load(
            &[("net.0.weight", &[7, 5]), ("net.1.weight", &[5, 2])],
            WeightLayout::InOut,
        )?;
        assert_eq!(k.config(), &MlpConfig::new(7, [5], 2));
        assert_eq!(k.layers()[0].weight().dims(), [5, 7]);
        Ok(())
    }

    #[test]
    fn a_non_finite_weight_or_bias_is_refused_by_file_and_tensor() {
        for (bad, name, index) in [("2.weight", "2.weight", 4), ("0.bias", "0.bias", 2)] {
            let mut tensors = map(&[
                ("0.weight", &[3, 4]),
                ("0.bias", &[3]),
                ("2.weight", &[2, 3]),
            ]);
            let t = &tensors[bad];
            let mut v = t
                .flatten_all()
                .and_then(|t| t.to_vec1::<f32>())
                .expect("values");
            v[index] = if bad == "0.bias" {
                f32::INFINITY
            } else {
                f32::NAN
            };
            let t = Tensor::from_vec(v, t.dims(), &Device::Cpu).expect("tensor");
            tensors.insert(bad.to_owned(), t);
            let r = Mlp::from_tensor_map(
                tensors,
                "model.safetensors",
                Activation::Relu,
                WeightLayout::OutIn,
                &Device::Cpu,
            );
            match r {
                Err(e @ ModelError::NonFiniteWeight { .. }) => {
                    let msg = e.to_string();
                    assert!(
                        msg.contains("model.safetensors") && msg.contains(name),
                        "{msg}"
                    );
                    assert!(
                        matches!(e, ModelError::NonFiniteWeight { index: i, .. } if i == index)
                    );
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn each_bad_state_dict_has_its_error() {
        let r = load(&[("fc1.weight", &[3, 4])], WeightLayout::OutIn);
        assert!(
            matches!(r, Err(ModelError::StateDictNaming { .. })),
            "{r:?}"
        );
        let r = load(
            &[("a.0.weight", &[3, 4]), ("b.1.weight", &[2, 3])],
            WeightLayout::OutIn,
        );
        assert!(
            matches!(r, Err(ModelError::StateDictPrefixes { .. })),
            "{r:?}"
        );
        let r = load(
            &[("0.weight", &[3, 4]), ("2.weight", &[2, 5])],
            WeightLayout::OutIn,
        );
        assert!(
            matches!(
                r,
                Err(ModelError::StateDictChain {
                    in_features: 5,
                    previous_out: 3,
                    layer: 2,
                    ..
                })
            ),
            "{r:?}"
        );
        let r = load(
            &[
                ("0.weight", &[3, 4]),
                ("0.bias", &[4]),
                ("2.weight", &[2, 3]),
            ],
            WeightLayout::OutIn,
        );
        assert!(matches!(r, Err(ModelError::TensorShape { .. })), "{r:?}");
        let r = load(&[("0.weight", &[3, 4, 1])], WeightLayout::OutIn);
        assert!(
            matches!(r, Err(ModelError::StateDictRank { expected: 2, .. })),
            "{r:?}"
        );
        let r = load(
            &[
                ("0.weight", &[3, 4]),
                ("2.weight", &[2, 3]),
                ("extra", &[1]),
            ],
            WeightLayout::OutIn,
        );
        assert!(
            matches!(r, Err(ModelError::UnexpectedTensor { ref name, .. }) if name == "extra"),
            "{r:?}"
        );
        let r = load(&[("0.weight", &[1, 4])], WeightLayout::OutIn);
        assert!(
            matches!(r, Err(ModelError::TooFewClasses { n_classes: 1 })),
            "{r:?}"
        );
        let r = load(
            &[
                ("h1.weight", &[3, 4]),
                ("h1.bias", &[3]),
                ("out.weight", &[2, 3]),
            ],
            WeightLayout::OutIn,
        );
        assert!(
            matches!(r, Err(ModelError::MissingTensor { ref name, .. }) if name == "out.bias"),
            "{r:?}"
        );
    }
}
