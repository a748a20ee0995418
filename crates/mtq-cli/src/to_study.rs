//! Each subcommand's flags as a library [`Study`]: defaults applied, and every flag that does
//! not apply to the route asked for refused (exit 2), never ignored.

use mtq_model::{Activation, ConvTap, Device, WeightLayout};
use mtq_signature::MonitorSettings;
use mtq_signature::pipeline::{DataSource, Network, Study, Training};

use crate::args::{
    ActivationArg, ConvTapArg, DataArgs, DataSet, DeviceArg, DigitArgs, LayoutArg, MnistArgs,
    ModelArg, NpyArgs, OnnxArgs, StudyArgs,
};
use crate::failure::Failure;

/// The reference study's digits and widths.
const CLASSES: [usize; 2] = [1, 7];
const INJECT: [usize; 2] = [4, 3];
const HIDDEN: [usize; 2] = [32, 64];

/// `mtq mnist`.
pub fn mnist(a: &MnistArgs) -> Result<Study, Failure> {
    let network = match &a.weights {
        Some(path) => Network::Weights {
            path: path.clone(),
            activation: match a.activation {
                ActivationArg::Relu => Activation::Relu,
                ActivationArg::Tanh => Activation::Tanh,
                ActivationArg::Sigmoid => Activation::Sigmoid,
                ActivationArg::Gelu => Activation::Gelu,
            },
            layout: match a.weight_layout {
                LayoutArg::OutIn => WeightLayout::OutIn,
                LayoutArg::InOut => WeightLayout::InOut,
            },
        },
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
pub fn data(a: &DataArgs) -> Result<Study, Failure> {
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
pub fn onnx(a: &OnnxArgs) -> Result<Study, Failure> {
    let network = onnx_network(a)?;
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

#[cfg(feature = "onnx")]
fn onnx_network(a: &OnnxArgs) -> Result<Network, Failure> {
    Ok(Network::Onnx {
        path: a.model.clone(),
        layers: a.layers.clone(),
        conv_tap: a.conv_tap.tap(),
    })
}

#[cfg(not(feature = "onnx"))]
fn onnx_network(_: &OnnxArgs) -> Result<Network, Failure> {
    Err(Failure::Usage(
        "mtq onnx: this mtq was built without ONNX support; rebuild it with \
         `cargo install --path crates/mtq-cli --features onnx`"
            .into(),
    ))
}

/// `mtq npy`.
pub fn npy(a: &NpyArgs) -> Study {
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
