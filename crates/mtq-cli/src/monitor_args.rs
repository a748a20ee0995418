//! The flags of `mtq monitor fit` (a route's own flags, and the monitor file) and of
//! `mtq monitor score`.

use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args, Subcommand};

use crate::args::{
    ActivationArg, ConvTapArg, DataArgs, LayoutArg, MnistArgs, NpyArgs, OnnxArgs, Route,
    TokenPoolArg,
};

/// The examples of `mtq monitor --help`.
pub const MONITOR_EXAMPLES: &str = "Examples:
  mtq monitor fit mnist --out monitor.mtq
  mtq monitor fit mnist --weights mlp.safetensors --alpha 0.01 --out mlp.mtq
  mtq monitor fit npy --layers h1,h2 --reference acts/train --test acts/test --out acts.mtq
  mtq monitor score mlp.mtq --x X.npy --weights mlp.safetensors --out scores.csv
  mtq monitor score acts.mtq --npy acts/new --out scores.csv";

/// What `mtq monitor` does.
#[derive(Debug, Subcommand)]
pub enum MonitorCommand {
    /// Run a study's route (first seed only), save the path monitor it fits as one file, and
    /// say how it did on the test set and on each unseen set.
    #[command(
        subcommand,
        after_help = "The route and its flags are those of `mtq mnist`, `mtq data`, `mtq npy`
and `mtq onnx` (see their --help); --alpha and --class-conditional set the monitor; --out is
the monitor file. A network given as a file (--weights, an ONNX model) is recorded in the
monitor with its SHA-256 and options, so that `mtq monitor score --x` can run new inputs
through the same network.

Examples:
  mtq monitor fit mnist --out monitor.mtq
  mtq monitor fit mnist --weights mlp.safetensors --activation tanh --out mlp.mtq
  mtq monitor fit data --dataset uci-digits --alpha 0.01 --out digits.mtq
  mtq monitor fit npy --layers h1,h2 --reference acts/train --test acts/test --out acts.mtq
  mtq monitor fit onnx model.onnx --x X.npy --y y.npy --out model.mtq"
    )]
    Fit(FitRoute),
    /// Score new inputs with a saved monitor: per input its path, its p-value, whether it is
    /// flagged and where it left, into a CSV.
    #[command(
        after_help = "Inputs: --npy PREFIX reads the monitor's layers as activations
(PREFIX_<layer>.npy, `out` the class probabilities for a monitor fitted through a network;
PREFIX_probs.npy gives the predicted class, PREFIX_ids.npy the ids, else the row number; or a
folder written by Activations::save); --x X.npy runs the inputs through the network file the
monitor was fitted through (--weights or --onnx: its SHA-256 must be the one recorded, and
the recorded options are used).

scores.csv: id, predicted, path, path_seen, p_value, flagged, left_at, one <layer>_p_value
per layer, credibility (the Deep k-NN credibility, when the monitor computes it).

Examples:
  mtq monitor score mlp.mtq --x X.npy --weights mlp.safetensors --out scores.csv
  mtq monitor score acts.mtq --npy acts/new --out scores.csv
  mtq monitor score model.mtq --x X.npy --onnx model.onnx"
    )]
    Score(ScoreArgs),
}

/// The route `mtq monitor fit` runs, with that route's own flags.
#[derive(Debug, Subcommand)]
pub enum FitRoute {
    /// The flags of `mtq mnist`: MNIST digits, a network trained here or --weights.
    #[command(after_help = "Examples:
  mtq monitor fit mnist --out monitor.mtq
  mtq monitor fit mnist --classes 0,1,2,3,4,5,6,7 --inject 8,9 --class-conditional
  mtq monitor fit mnist --weights mlp.safetensors --out mlp.mtq     recorded: score with --x")]
    Mnist {
        /// The route's flags.
        #[command(flatten)]
        route: MnistArgs,
        /// The monitor file.
        #[command(flatten)]
        file: MonitorOut,
    },
    /// The flags of `mtq data`: a shipped data set or your arrays, a network trained here.
    #[command(after_help = "Examples:
  mtq monitor fit data --dataset uci-digits --out digits.mtq
  mtq monitor fit data --x X.npy --y y.npy --unseen odd=X_odd.npy --alpha 0.01")]
    Data {
        /// The route's flags.
        #[command(flatten)]
        route: DataArgs,
        /// The monitor file.
        #[command(flatten)]
        file: MonitorOut,
    },
    /// The flags of `mtq npy`: activations exported as .npy (needs --test or --calibration).
    #[command(after_help = "Examples:
  mtq monitor fit npy --layers h1,h2 --reference acts/train --test acts/test --out acts.mtq
  mtq monitor fit npy --layers h1,h2 --reference acts/train --calibration acts/cal")]
    Npy {
        /// The route's flags.
        #[command(flatten)]
        route: NpyArgs,
        /// The monitor file.
        #[command(flatten)]
        file: MonitorOut,
    },
    /// The flags of `mtq onnx`: an ONNX classifier (needs a build with `--features onnx`).
    #[command(after_help = "Examples:
  mtq monitor fit onnx model.onnx --x X.npy --y y.npy --out model.mtq   recorded: score with --x
  mtq monitor fit onnx mnist_mlp.onnx --classes 0,1,2,3,4,5,6,7 --inject 8,9")]
    Onnx {
        /// The route's flags.
        #[command(flatten)]
        route: OnnxArgs,
        /// The monitor file.
        #[command(flatten)]
        file: MonitorOut,
    },
}

impl FitRoute {
    /// The route and the monitor file.
    pub fn route(&self) -> (Route<'_>, &Path) {
        match self {
            Self::Mnist { route, file } => (Route::Mnist(route), &file.out),
            Self::Data { route, file } => (Route::Data(route), &file.out),
            Self::Npy { route, file } => (Route::Npy(route), &file.out),
            Self::Onnx { route, file } => (Route::Onnx(route), &file.out),
        }
    }
}

/// Where `mtq monitor fit` writes the monitor.
#[derive(Debug, Args)]
pub struct MonitorOut {
    /// The monitor file to write (replaced if it exists; its folder must exist).
    #[arg(long, default_value = "monitor.mtq", value_name = "MONITOR.mtq")]
    pub out: PathBuf,
}

/// `mtq monitor score`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("inputs").required(true).args(["npy", "x"])))]
pub struct ScoreArgs {
    /// The monitor file (written by `mtq monitor fit`).
    #[arg(value_name = "MONITOR.mtq")]
    pub monitor: PathBuf,
    /// Activations to score: PREFIX_<layer>.npy for each of the monitor's layers (for a
    /// monitor fitted through a network, its last layer `out` is the class probabilities), or
    /// a folder written by Activations::save.
    #[arg(long, value_name = "PREFIX", conflicts_with = "network")]
    pub npy: Option<PathBuf>,
    /// Inputs to run through the monitor's network (samples x features, or samples of any
    /// shape as the network takes them, e.g. N x 3 x 32 x 32); needs --weights or --onnx.
    #[arg(long, value_name = "X.npy", requires = "network")]
    pub x: Option<PathBuf>,
    /// The safetensors state_dict the monitor was fitted through.
    #[arg(
        long,
        value_name = "FILE.safetensors",
        requires = "x",
        group = "network"
    )]
    pub weights: Option<PathBuf>,
    /// The ONNX model the monitor was fitted through (needs a build with `--features onnx`).
    #[arg(long, value_name = "MODEL.onnx", requires = "x", group = "network")]
    pub onnx: Option<PathBuf>,
    /// The non-linearity of --weights; default: the recorded one (another is refused).
    #[arg(long, value_enum, requires = "weights")]
    pub activation: Option<ActivationArg>,
    /// The layout of --weights; default: the recorded one (another is refused).
    #[arg(long, value_enum, requires = "weights")]
    pub weight_layout: Option<LayoutArg>,
    /// How the --onnx convolutions are studied; default: the recorded way (another is
    /// refused).
    #[arg(long, value_enum, requires = "onnx")]
    pub conv_tap: Option<ConvTapArg>,
    /// How the --onnx token sequences are studied; default: the recorded way (another is
    /// refused).
    #[arg(long, value_enum, requires = "onnx")]
    pub token_pool: Option<TokenPoolArg>,
    /// The --onnx nodes tapped; default: the recorded ones (others are refused).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "NODE,NODE,..",
        requires = "onnx"
    )]
    pub layers: Option<Vec<String>>,
    /// The CSV to write (replaced if it exists).
    #[arg(long, default_value = "scores.csv", value_name = "FILE.csv")]
    pub out: PathBuf,
}
