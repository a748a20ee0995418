//! Each subcommand's flags as a library [`Study`]: defaults applied, and every flag that does
//! not apply to the route asked for refused (exit 2), never ignored.

use mtq_model::{Activation, ConvTap, Device, WeightLayout};
use mtq_signature::MonitorSettings;
use mtq_signature::pipeline::{DataSource, Network, Study, Training};

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use mtq_signature::{NetworkKind, NetworkRecord};

use crate::args::{
    ActivationArg, ConvTapArg, DataArgs, DataSet, DeviceArg, DigitArgs, LayoutArg, MnistArgs,
    ModelArg, NpyArgs, OnnxArgs, Route, ScoreArgs, StudyArgs, TokenPoolArg,
};
use crate::failure::Failure;

/// The reference study's digits and widths.
const CLASSES: [usize; 2] = [1, 7];
const INJECT: [usize; 2] = [4, 3];
const HIDDEN: [usize; 2] = [32, 64];

/// A route's study, and the device its network runs on.
pub fn route(r: Route<'_>) -> Result<(Study, DeviceArg), Failure> {
    Ok(match r {
        Route::Mnist(a) => (mnist(a)?, a.device),
        Route::Data(a) => (data(a)?, DeviceArg::Cpu),
        Route::Onnx(a) => (onnx(a)?, DeviceArg::Cpu),
        Route::Npy(a) => (npy(a), DeviceArg::Cpu),
    })
}

/// A safetensors state_dict of an MLP.
fn weights(path: PathBuf, activation: ActivationArg, layout: LayoutArg) -> Network {
    Network::Weights {
        path,
        activation: match activation {
            ActivationArg::Relu => Activation::Relu,
            ActivationArg::Tanh => Activation::Tanh,
            ActivationArg::Sigmoid => Activation::Sigmoid,
            ActivationArg::Gelu => Activation::Gelu,
        },
        layout: match layout {
            LayoutArg::OutIn => WeightLayout::OutIn,
            LayoutArg::InOut => WeightLayout::InOut,
        },
    }
}

/// `mtq mnist`.
fn mnist(a: &MnistArgs) -> Result<Study, Failure> {
    let network = match &a.weights {
        Some(path) => weights(path.clone(), a.activation, a.weight_layout),
        None if a.model == ModelArg::Cnn => Network::Train(Training {
            hidden: a.train.hidden.clone().unwrap_or_default(),
            ..Training::cnn(tap(a.conv_tap), a.epochs.unwrap_or(10))
        }),
        None => {
            refuse(
                a.conv_tap.is_some(),
                "--conv-tap",
                "--model mlp (it has no convolution)",
            )?;
            Network::Train(Training::mlp(
                a.train.hidden.clone().unwrap_or(HIDDEN.to_vec()),
                a.epochs.unwrap_or(5),
            ))
        }
    };
    let (classes, unseen) = digits(&a.train.digits);
    Ok(Study {
        data: DataSource::Mnist {
            dir: a.mnist_dir.clone(),
            classes,
            unseen,
        },
        network,
        seeds: a.train.seeds.list(),
        ..sweep(&a.study)
    })
}

/// `mtq data`.
fn data(a: &DataArgs) -> Result<Study, Failure> {
    let given = a.train.digits.classes.is_some() || a.train.digits.inject.is_some();
    let data = match a.dataset {
        Some(DataSet::UciDigits) => {
            let (classes, unseen) = digits(&a.train.digits);
            DataSource::UciDigits { classes, unseen }
        }
        Some(DataSet::BreastCancer) => {
            refuse(
                given,
                "--classes/--inject",
                "--dataset breast-cancer (malignant vs benign, no unseen class)",
            )?;
            DataSource::BreastCancer
        }
        None => {
            refuse(
                given,
                "--classes/--inject",
                "--x/--y (every label of --y is a class; give unseen sets with --unseen)",
            )?;
            let (Some(x), Some(y)) = (&a.arrays.x, &a.arrays.y) else {
                return Err(Failure::Usage("give --dataset, or --x and --y".into()));
            };
            DataSource::Arrays {
                x: x.clone(),
                y: y.clone(),
                unseen: a.arrays.unseen.clone(),
            }
        }
    };
    Ok(Study {
        data,
        network: Network::Train(Training::mlp(
            a.train.hidden.clone().unwrap_or(HIDDEN.to_vec()),
            a.epochs,
        )),
        seeds: a.train.seeds.list(),
        ..sweep(&a.study)
    })
}

/// `mtq onnx` (feature `onnx`; without it, a usage error saying how to build it).
fn onnx(a: &OnnxArgs) -> Result<Study, Failure> {
    refuse(
        a.list_layers,
        "--list-layers",
        "mtq monitor fit (run `mtq onnx MODEL --list-layers`)",
    )?;
    let network = onnx_network(a.model.clone(), a.layers.clone(), a.conv_tap, a.token_pool)?;
    let data = match (&a.arrays.x, &a.arrays.y) {
        (Some(x), Some(y)) => {
            let given = a.digits.classes.is_some() || a.digits.inject.is_some();
            refuse(
                given,
                "--classes/--inject",
                "--x/--y (every label of --y is a class)",
            )?;
            DataSource::Arrays {
                x: x.clone(),
                y: y.clone(),
                unseen: a.arrays.unseen.clone(),
            }
        }
        _ => {
            let (classes, unseen) = digits(&a.digits);
            DataSource::Mnist {
                dir: a.mnist_dir.clone(),
                classes,
                unseen,
            }
        }
    };
    Ok(Study {
        data,
        network,
        seeds: a.seeds.list(),
        ..sweep(&a.study)
    })
}

/// An ONNX classifier, its `layers` tapped (default: each residual block's output and the pooled
/// features, else every activation after a Gemm/MatMul/Conv; see `OnnxModel::load`); without
/// the `onnx` feature, a usage error saying how to build it.
#[cfg(feature = "onnx")]
pub fn onnx_network(
    path: PathBuf,
    layers: Option<Vec<String>>,
    conv_tap: ConvTapArg,
    token_pool: TokenPoolArg,
) -> Result<Network, Failure> {
    use mtq_signature::pipeline::TokenPool;
    Ok(Network::Onnx {
        path,
        layers,
        conv_tap: conv_tap.tap(),
        token_pool: match token_pool {
            TokenPoolArg::Mean => TokenPool::Mean,
            TokenPoolArg::First => TokenPool::First,
            TokenPoolArg::Flatten => TokenPool::Flatten,
        },
    })
}

/// An ONNX classifier, its `layers` tapped (default: each residual block's output and the pooled
/// features, else every activation after a Gemm/MatMul/Conv; see `OnnxModel::load`); without
/// the `onnx` feature, a usage error saying how to build it.
#[cfg(not(feature = "onnx"))]
pub fn onnx_network(
    _: PathBuf,
    _: Option<Vec<String>>,
    _: ConvTapArg,
    _: TokenPoolArg,
) -> Result<Network, Failure> {
    Err(no_onnx())
}

/// The usage error of an ONNX route in a build without ONNX support.
#[cfg(not(feature = "onnx"))]
pub fn no_onnx() -> Failure {
    Failure::Usage(
        "ONNX models: this mtq was built without ONNX support; rebuild it with \
         `cargo install --path crates/mtq-cli --features onnx`"
            .into(),
    )
}

/// The network a monitor recorded, at `file` (its SHA-256 already checked): the recorded
/// options, each flag of `a` that names another value refused (exit 2).
pub fn recorded_network(
    record: &NetworkRecord,
    file: &Path,
    a: &ScoreArgs,
) -> Result<Network, Failure> {
    let file = file.to_path_buf();
    match record.kind {
        NetworkKind::Weights => Ok(weights(
            file,
            recorded_value(record, "activation", a.activation, ActivationArg::Relu)?,
            recorded_value(record, "weight_layout", a.weight_layout, LayoutArg::OutIn)?,
        )),
        NetworkKind::Onnx => {
            let layers = record
                .option("layers")
                .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>());
            if a.layers.is_some() && a.layers != layers {
                return Err(Failure::Usage(format!(
                    "--layers {}: the monitor was fitted on the taps {}",
                    a.layers.as_deref().unwrap_or_default().join(","),
                    record.option("layers").unwrap_or("by default")
                )));
            }
            let tap = recorded_value(record, "conv_tap", a.conv_tap, ConvTapArg::Mean)?;
            // every monitor since token pooling records it; one without was fitted when token
            // sequences were flattened
            let pool = recorded_value(record, "token_pool", a.token_pool, TokenPoolArg::Flatten)?;
            onnx_network(file, layers, tap, pool)
        }
    }
}

/// The value of option `name` a monitor recorded (`default` if not recorded), read as its
/// flag reads it; `given`, a flag naming another value, is refused.
fn recorded_value<T: ValueEnum + PartialEq + Copy>(
    record: &NetworkRecord,
    name: &str,
    given: Option<T>,
    default: T,
) -> Result<T, Failure> {
    let flag = format!("--{}", name.replace('_', "-"));
    let recorded = match record.option(name) {
        Some(v) => T::from_str(v, false).map_err(|_| {
            Failure::Run(
                format!("the monitor records {flag} {v:?}, which this mtq does not know").into(),
            )
        })?,
        None => default,
    };
    match given {
        Some(g) if g != recorded => Err(Failure::Usage(format!(
            "{flag} {}: the monitor was fitted with {flag} {}",
            name_of(g),
            name_of(recorded)
        ))),
        _ => Ok(recorded),
    }
}

/// A value's name on the command line.
fn name_of<T: ValueEnum>(v: T) -> String {
    v.to_possible_value()
        .map_or_else(String::new, |p| p.get_name().to_owned())
}

/// `mtq npy`.
fn npy(a: &NpyArgs) -> Study {
    Study {
        data: DataSource::Activations {
            layers: a.layers.clone(),
            reference: a.reference.clone(),
            test: a.test.clone(),
            calibration: a.calibration.clone(),
            unseen: a.unseen.clone(),
            classes: a.classes.clone(),
        },
        network: Network::None,
        seeds: a.seeds.list(),
        ..sweep(&a.study)
    }
}

/// The K sweep of every route, on the defaults of [`Study::new`].
fn sweep(a: &StudyArgs) -> Study {
    Study {
        k_min: a.k_min,
        k_max: a.k_max,
        silhouette_sample: a.silhouette_sample,
        monitor: MonitorSettings::new()
            .alpha(a.alpha)
            .class_conditional(a.class_conditional),
        ..Study::new()
    }
}

/// The digits learned and injected, defaults applied.
fn digits(a: &DigitArgs) -> (Vec<usize>, Vec<usize>) {
    (
        a.classes.clone().unwrap_or_else(|| CLASSES.to_vec()),
        a.inject.clone().unwrap_or_else(|| INJECT.to_vec()),
    )
}

fn tap(t: Option<ConvTapArg>) -> ConvTap {
    t.map_or(ConvTap::ChannelMean, ConvTapArg::tap)
}

/// A usage error if `given`: `flag` does not apply to `route`.
fn refuse(given: bool, flag: &str, route: &str) -> Result<(), Failure> {
    if given {
        return Err(Failure::Usage(format!("{flag} does not apply to {route}")));
    }
    Ok(())
}

/// The device asked for; CUDA only in a build with the `cuda` feature (made after the study's
/// checks: a CUDA context is work).
pub fn device(d: DeviceArg) -> Result<Device, Failure> {
    match d {
        DeviceArg::Cpu => Ok(Device::Cpu),
        DeviceArg::Cuda if cfg!(feature = "cuda") => {
            Device::new_cuda(0).map_err(|e| Failure::Run(Box::new(e)))
        }
        DeviceArg::Cuda => Err(Failure::Usage(
            "--device cuda: this mtq was built without CUDA; rebuild it with \
             `cargo install --path crates/mtq-cli --features cuda`"
                .into(),
        )),
    }
}
