//! The command line, declared with clap's derive API.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Trace the cluster path every input takes through a neural network's hidden layers.
///
/// Each hidden layer's activations are clustered with K-means (K chosen by the silhouette); a
/// sample's signature is its cluster in every layer. The report shows the paths each class
/// takes (Sankey), whether a layer is redundant, where classes never seen in training go, and
/// how well path and distance scores flag them (ROC).
#[derive(Debug, Parser)]
#[command(name = "mtq", version, propagate_version = true, after_help = EXAMPLES)]
pub struct Cli {
    /// Print no progress on stderr (the findings still go to stdout).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to study.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "Examples:
  mtq mnist                                   the reference study: 1 vs 7, 4s and 3s unseen
  mtq mnist --classes 3,8 --inject 5 --hidden 32,64,32 --out report-38
  mtq mnist --seeds 0,1,2                     stability across seeds
  mtq mnist --mnist-dir path/to/mnist         the full 70,000 digits
  mtq npy --layers h1,h2 --reference acts/train --test acts/test --unseen 4=acts/four
  mtq mnist --model cnn                       the LeNet-style convolutional network
  mtq mnist --weights mlp.safetensors         a PyTorch MLP trained elsewhere (state_dict)
  mtq data --dataset breast-cancer            tabular data: malignant vs benign
  mtq data --x X.npy --y y.npy                your own data
  mtq onnx model.onnx --x X.npy --y y.npy     an ONNX classifier (build with --features onnx)
  mtq monitor fit mnist --weights mlp.safetensors --out monitor.mtq
  mtq monitor score monitor.mtq --x X.npy --weights mlp.safetensors --out scores.csv";

pub use crate::monitor_args::{MONITOR_EXAMPLES, MonitorCommand, ScoreArgs};

/// One route's flags, borrowed: what `mtq <route>` and `mtq monitor fit <route>` share.
#[derive(Debug, Clone, Copy)]
pub enum Route<'a> {
    /// `mnist`.
    Mnist(&'a MnistArgs),
    /// `data`.
    Data(&'a DataArgs),
    /// `onnx`.
    Onnx(&'a OnnxArgs),
    /// `npy`.
    Npy(&'a NpyArgs),
}

impl<'a> Route<'a> {
    /// The route's seed flags.
    pub fn seeds(self) -> &'a SeedArgs {
        match self {
            Self::Mnist(a) => &a.train.seeds,
            Self::Data(a) => &a.train.seeds,
            Self::Onnx(a) => &a.seeds,
            Self::Npy(a) => &a.seeds,
        }
    }
}

/// The studies `mtq` runs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train an MLP or a CNN on MNIST digits (or load one trained elsewhere), inject unseen
    /// digits, and trace every sample's path.
    #[command(after_help = "Examples:
  mtq mnist
  mtq mnist --classes 0,1,2,3,4,5,6,7 --inject 8,9 --mnist-dir path/to/mnist
  mtq mnist --seeds 0,1,2 --out report
  mtq mnist --model cnn
  mtq mnist --weights mlp.safetensors                 torch.nn.Sequential(Linear, ReLU, ..)
  mtq mnist --weights keras.safetensors --weight-layout in-out")]
    Mnist {
        /// The route's flags.
        #[command(flatten)]
        route: MnistArgs,
        /// Where the report goes.
        #[command(flatten)]
        report: ReportOut,
    },
    /// Study activations exported from any framework as .npy files.
    #[command(
        after_help = "Each set is a PREFIX: PREFIX_<layer>.npy for every layer (samples x units,
float32 or float64), PREFIX_labels.npy (integer class indices; required for the reference),
optionally PREFIX_probs.npy (class probabilities), PREFIX_ids.npy (one id per sample, into
samples.csv) and PREFIX_images.npy (N x H x W or N x C x H x W, thumbnails); or a folder
written by the library's Activations::save.

Examples:
  mtq npy --layers h1,h2 --reference acts/train --test acts/test --unseen 4=acts/four
  mtq npy --layers h1,h2 --reference acts/train --classes cat,dog --k-max 6"
    )]
    Npy {
        /// The route's flags.
        #[command(flatten)]
        route: NpyArgs,
        /// Where the report goes.
        #[command(flatten)]
        report: ReportOut,
    },
    /// The study on another real data set shipped with mtq (UCI 8x8 digits: 1 vs 7, 4s and 3s
    /// unseen; Breast Cancer Wisconsin: 30 features, malignant vs benign, no unseen class), or
    /// on your own arrays.
    #[command(
        after_help = "With --x/--y: X.npy is samples x features, or samples shaped as the network
takes them (rows x cols, channels x rows x cols, tokens x features; float or integer),
y.npy one integer label per sample; every label present is a class. The split (25 % test,
stratified) is seeded by the first seed; the standardisation is fitted on the training split
and applied to the test split and to every --unseen set.

Examples:
  mtq data --dataset uci-digits
  mtq data --dataset breast-cancer --hidden 16,8 --epochs 50
  mtq data --x X.npy --y y.npy --unseen odd=X_odd.npy"
    )]
    Data {
        /// The route's flags.
        #[command(flatten)]
        route: DataArgs,
        /// Where the report goes.
        #[command(flatten)]
        report: ReportOut,
    },
    /// Study an ONNX classifier, every hidden layer tapped (needs a build with `--features
    /// onnx`).
    #[command(
        after_help = "The taps: by default, in a residual network (ResNet, transformer), the
output of each residual block (the activation or LayerNormalization after its skip-connection
Add) and the pooled features before the classifier; in any other graph the output of every
activation that follows a Gemm/MatMul/Conv; then the logits and the probabilities. Layers
are named from the graph (layer1.0, enc.1, pool, logits, probs). --list-layers prints every
output that can be tapped; --layers lists nodes or short names instead (then the logits and
probabilities are added). Feature maps are studied as --conv-tap, token sequences (batch x
tokens x features) as --token-pool. The data: MNIST digits in [0, 1] as 1 x 28 x 28 or 784 values (the embedded sample,
or --mnist-dir), or arrays given as the model takes them (no scaling; --x, --y,
--unseen NAME=X.npy), split 75/25 stratified by the first seed.

Examples:
  mtq onnx resnet.onnx --list-layers
  mtq onnx mnist_mlp.onnx --classes 0,1,2,3,4,5,6,7 --inject 8,9
  mtq onnx model.onnx --x X.npy --y y.npy --layers relu1,relu2 --k-max 6
  mtq onnx resnet.onnx --x X.npy --y y.npy --layers layer3.1,layer4.1,pool
  mtq onnx transformer.onnx --x X.npy --y y.npy --token-pool first"
    )]
    Onnx {
        /// The route's flags.
        #[command(flatten)]
        route: OnnxArgs,
        /// Where the report goes.
        #[command(flatten)]
        report: ReportOut,
    },
    /// Fit a path monitor once and save it (`fit`), then score new inputs with it (`score`):
    /// per input a calibrated p-value, a flag, and the layer where it left the known paths.
    #[command(subcommand, after_help = MONITOR_EXAMPLES)]
    Monitor(MonitorCommand),
    /// Run several studies (a plan) and compare them side by side: every share and AUROC with
    /// its 95 % interval over samples and seeds, the verdict of each difference, and linear CKA
    /// between the layers of networks that share their test inputs.
    #[command(after_help = COMPARE_EXAMPLES)]
    Compare(CompareArgs),
}

const COMPARE_EXAMPLES: &str =
    "The plan is a TOML file of [[study]] tables: `name`, `route` (mnist,
data, onnx or npy) and any flag of that subcommand without its dashes (`model = \"cnn\"`,
`seeds = [0, 1, 2]`, `unseen = [\"odd=X_odd.npy\"]`). Each study's report goes to a subfolder
of --out, beside compare.html and compare.json.

Examples:
  mtq compare benches/compare.toml --out compare
  mtq compare --reports report-mlp report-cnn --out compare      finished reports (no CKA)";

/// `mtq compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The plan: a TOML file of `[[study]]` tables.
    #[arg(
        value_name = "PLAN.toml",
        required_unless_present = "reports",
        conflicts_with = "reports"
    )]
    pub plan: Option<PathBuf>,
    /// Compare finished report folders (each with its report.json) instead of running a plan:
    /// what their report.json holds, without CKA (their activations are not kept).
    #[arg(long, num_args = 2.., value_name = "DIR")]
    pub reports: Vec<PathBuf>,
    /// Output folder: compare.html, compare.json and each study's report in a subfolder
    /// (created if missing; checked before any work).
    #[arg(long, default_value = "mtq-compare", value_name = "DIR")]
    pub out: PathBuf,
    /// Bootstrap replicates per seed of every share and AUROC.
    #[arg(long, default_value_t = mtq_signature::compare::DEFAULT_RESAMPLES as u32, value_name = "B",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub resamples: u32,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub bootstrap_seed: u64,
}

/// The networks `mtq mnist` trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// The multi-layer perceptron (`--hidden`; 5 epochs by default).
    Mlp,
    /// The LeNet-style convolutional network (two conv + ReLU + max-pool blocks, one dense
    /// layer of 64; 10 epochs by default).
    Cnn,
}

/// How a convolution's output is studied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConvTapArg {
    /// One mean per channel (global average pooling).
    Mean,
    /// The whole feature map, flattened (channels x height x width).
    Flatten,
}

/// How a sequence of tokens (an ONNX output `batch x tokens x features`) is studied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenPoolArg {
    /// The mean over the tokens (the model's width, whatever the sequence length).
    Mean,
    /// The first token ([CLS] in BERT- or ViT-style classifiers).
    First,
    /// Every token, flattened (tokens x features).
    Flatten,
}

/// The layout of a state_dict's weight matrices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    /// out_features x in_features: PyTorch `Linear.weight`.
    OutIn,
    /// in_features x out_features: a Keras `Dense` kernel.
    InOut,
}

/// The non-linearity after every hidden layer of loaded weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ActivationArg {
    /// max(0, x).
    Relu,
    /// tanh(x).
    Tanh,
    /// 1 / (1 + e^-x).
    Sigmoid,
    /// x·Φ(x).
    Gelu,
}

/// The data sets `mtq data` studies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataSet {
    /// UCI ML hand-written digits, 1,797 images of 8x8 (CC BY 4.0).
    UciDigits,
    /// Breast Cancer Wisconsin (Diagnostic), 569 x 30, standardised on the training split.
    BreastCancer,
}

/// `mtq data`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// A data set shipped with mtq.
    #[arg(long, value_enum, required_unless_present = "x", conflicts_with = "x")]
    pub dataset: Option<DataSet>,
    /// Your own data instead.
    #[command(flatten)]
    pub arrays: ArrayArgs,
    /// Classes (`--classes`, `--inject`: uci-digits only; refused elsewhere), network, seeds
    /// (the split is the first seed's).
    #[command(flatten)]
    pub train: TrainArgs,
    /// Training epochs.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub epochs: usize,
    /// K range and the path monitor.
    #[command(flatten)]
    pub study: StudyArgs,
}

/// A data set given as `.npy` arrays.
#[derive(Debug, Args)]
pub struct ArrayArgs {
    /// Inputs: samples x features, or samples of any shape as the network takes them (e.g.
    /// N x 3 x 32 x 32 images, N x 16 x 64 tokens); images (1 or 3 channels) get thumbnails.
    #[arg(long, value_name = "X.npy", requires = "y")]
    pub x: Option<PathBuf>,
    /// Labels: one non-negative integer per sample of --x.
    #[arg(long, value_name = "Y.npy", requires = "x")]
    pub y: Option<PathBuf>,
    /// Samples of a class never seen in training, features only (repeat for several).
    #[arg(long, value_name = "NAME=X.npy", value_parser = parse_unseen, requires = "x")]
    pub unseen: Vec<(String, PathBuf)>,
}

/// Where `mtq <route>` writes its report.
#[derive(Debug, Args)]
pub struct ReportOut {
    /// Output folder (created if missing; checked before any work; exit 1 if it cannot be
    /// written).
    #[arg(long, default_value = "mtq-report", value_name = "DIR")]
    pub out: PathBuf,
}

/// Options shared by every study.
#[derive(Debug, Args)]
pub struct StudyArgs {
    /// Smallest K tried per layer (at least 2).
    #[arg(long, default_value_t = 2, value_name = "K")]
    pub k_min: usize,
    /// Largest K tried per layer.
    #[arg(long, default_value_t = 10, value_name = "K")]
    pub k_max: usize,
    /// Estimate each K's silhouette on N seeded reference rows (scikit-learn's sample_size)
    /// instead of all of them; default: exact while rows² x features is at most 100,000² x
    /// 64 (100,000 rows of 64 features, 35,355 of 512), sampled above (20,000 rows, fewer for
    /// wide layers).
    #[arg(long, value_name = "N")]
    pub silhouette_sample: Option<usize>,
    /// The path monitor's false-alarm rate: a test input is flagged when its combined
    /// conformal p-value is below it (in (0, 1)).
    #[arg(long, default_value_t = 0.05, value_name = "A")]
    pub alpha: f64,
    /// Calibrate the path monitor per predicted class (Mondrian): the false-alarm rate then
    /// holds for each class, not only on average.
    #[arg(long)]
    pub class_conditional: bool,
}

/// Where the network runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    /// The CPU.
    Cpu,
    /// The first CUDA GPU (needs a build with `--features cuda`).
    Cuda,
}

/// The classes, the network and the seeds of a study that trains its own network.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Classes and unseen classes.
    #[command(flatten)]
    pub digits: DigitArgs,
    /// Hidden layer widths of the MLP [default: 32,64].
    #[arg(long, value_delimiter = ',', value_name = "W,W,..")]
    pub hidden: Option<Vec<usize>>,
    /// Seeds.
    #[command(flatten)]
    pub seeds: SeedArgs,
}

/// The digits learned and injected.
#[derive(Debug, Args)]
pub struct DigitArgs {
    /// Digits (classes) the network learns [default: 1,7].
    #[arg(long, value_delimiter = ',', value_name = "D,D,..")]
    pub classes: Option<Vec<usize>>,
    /// Digits injected after training as unseen classes ('none' for none) [default: 4,3].
    #[arg(long, value_name = "D,D,..|none", value_parser = parse_digits)]
    pub inject: Option<Digits>,
}

/// A list of digits (`none` for none).
pub type Digits = Vec<usize>;

/// One seed or several.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Seed of everything (split, training, K-means).
    #[arg(long, default_value_t = 0, value_name = "S", conflicts_with = "seeds")]
    pub seed: u64,
    /// Several seeds, distinct: the report is the first seed's, with their stability.
    #[arg(long, value_delimiter = ',', value_name = "S,S,..")]
    pub seeds: Option<Vec<u64>>,
}

/// `mtq mnist`.
#[derive(Debug, Args)]
pub struct MnistArgs {
    /// Classes, network, seeds.
    #[command(flatten)]
    pub train: TrainArgs,
    /// The network to train.
    #[arg(long, value_enum, default_value_t = ModelArg::Mlp)]
    pub model: ModelArg,
    /// Training epochs (default: 5 for the MLP, 10 for the CNN).
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// How the CNN's convolution blocks are studied (--model cnn) [default: mean].
    #[arg(long, value_enum)]
    pub conv_tap: Option<ConvTapArg>,
    /// Study an MLP trained elsewhere: a safetensors state_dict of a PyTorch
    /// `nn.Sequential(Linear, ReLU, ..)` (`0.weight`, `0.bias`, `2.weight`, ..) or of mtq's
    /// own names, the architecture read from the shapes; no training.
    #[arg(
        long,
        value_name = "FILE.safetensors",
        conflicts_with_all = ["model", "epochs", "hidden", "conv_tap"]
    )]
    pub weights: Option<PathBuf>,
    /// Layout of the --weights matrices: out-in (PyTorch) or in-out (Keras kernels).
    #[arg(long, value_enum, default_value_t = LayoutArg::OutIn, requires = "weights")]
    pub weight_layout: LayoutArg,
    /// The non-linearity after every hidden layer of --weights (a state_dict does not store it).
    #[arg(long, value_enum, default_value_t = ActivationArg::Relu, requires = "weights")]
    pub activation: ActivationArg,
    /// A folder with the four MNIST IDX files (raw or gzip); default: the embedded 10,000 digits.
    #[arg(long, value_name = "DIR")]
    pub mnist_dir: Option<PathBuf>,
    /// Where the network runs.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// K range and the path monitor.
    #[command(flatten)]
    pub study: StudyArgs,
}

/// `mtq onnx`.
#[derive(Debug, Args)]
pub struct OnnxArgs {
    /// The ONNX classifier (one input whose axes after the batch are fixed).
    #[arg(value_name = "MODEL.onnx")]
    pub model: PathBuf,
    /// Outputs to tap as hidden layers, in network order: each a node name (`NODE`, or
    /// `NODE:slot` for another output), or a short name from --list-layers, optionally
    /// `=NAME` to name the layer; default: each residual block's output and the pooled
    /// features (ResNets, transformers), else every activation after a Gemm/MatMul/Conv.
    #[arg(long, value_delimiter = ',', value_name = "NODE[=NAME],..")]
    pub layers: Option<Vec<String>>,
    /// How convolution outputs (batch x channels x h x w) are studied.
    #[arg(long, value_enum, default_value_t = ConvTapArg::Mean)]
    pub conv_tap: ConvTapArg,
    /// How sequences of tokens (batch x tokens x features, a transformer's layers) are
    /// studied.
    #[arg(long, value_enum, default_value_t = TokenPoolArg::Mean)]
    pub token_pool: TokenPoolArg,
    /// Print the outputs that can be tapped (index, short name, default tap or not, op,
    /// shape without the batch, node name) and exit; no study (refuses the study's flags).
    #[arg(
        long,
        conflicts_with_all = [
            "layers", "conv_tap", "token_pool", "x", "y", "unseen", "classes", "inject",
            "mnist_dir", "seed", "seeds", "k_min", "k_max", "silhouette_sample", "alpha",
            "class_conditional", "out",
        ]
    )]
    pub list_layers: bool,
    /// Arrays instead of MNIST digits.
    #[command(flatten)]
    pub arrays: ArrayArgs,
    /// MNIST digits learned and injected (not with --x).
    #[command(flatten)]
    pub digits: DigitArgs,
    /// A folder with the four MNIST IDX files; default: the embedded 10,000 digits.
    #[arg(long, value_name = "DIR", conflicts_with = "x")]
    pub mnist_dir: Option<PathBuf>,
    /// Seeds (K-means, and the split of --x).
    #[command(flatten)]
    pub seeds: SeedArgs,
    /// K range and the path monitor.
    #[command(flatten)]
    pub study: StudyArgs,
}

/// `mtq npy`.
#[derive(Debug, Args)]
pub struct NpyArgs {
    /// Layer names, in network order: PREFIX_<layer>.npy is read for each set.
    #[arg(long, value_delimiter = ',', required = true, value_name = "L,L,..")]
    pub layers: Vec<String>,
    /// The reference set the clusters are fitted on (PREFIX_labels.npy required).
    #[arg(long, value_name = "PREFIX")]
    pub reference: PathBuf,
    /// The in-distribution test set: the negatives of each anomaly task.
    #[arg(long, value_name = "PREFIX")]
    pub test: Option<PathBuf>,
    /// In-distribution samples the network never trained on, to calibrate the path monitor
    /// (default: a seeded half of --test, then left out of every evaluation).
    #[arg(long, value_name = "PREFIX")]
    pub calibration: Option<PathBuf>,
    /// A set of a class never seen in training (repeat for several).
    #[arg(long, value_name = "NAME=PREFIX", value_parser = parse_unseen)]
    pub unseen: Vec<(String, PathBuf)>,
    /// Class names, one per label index 0, 1, ... (default: the reference's distinct label
    /// values, e.g. labels 1 and 7 give classes "1" and "7").
    #[arg(long, value_delimiter = ',', value_name = "NAME,NAME,..")]
    pub classes: Option<Vec<String>>,
    /// Seeds of K-means (and of the silhouette sample).
    #[command(flatten)]
    pub seeds: SeedArgs,
    /// K range and the path monitor.
    #[command(flatten)]
    pub study: StudyArgs,
}

fn parse_unseen(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, prefix)) if !name.is_empty() && !prefix.is_empty() => {
            Ok((name.to_string(), PathBuf::from(prefix)))
        }
        _ => Err(format!("'{s}' is not NAME=PREFIX")),
    }
}

impl SeedArgs {
    /// The seeds to run: `--seeds`, else `--seed`.
    pub fn list(&self) -> Vec<u64> {
        self.seeds.clone().unwrap_or_else(|| vec![self.seed])
    }
}

impl ConvTapArg {
    /// The model crate's tap.
    pub fn tap(self) -> mtq_model::ConvTap {
        match self {
            Self::Mean => mtq_model::ConvTap::ChannelMean,
            Self::Flatten => mtq_model::ConvTap::Flatten,
        }
    }
}

/// `4,3` -> `[4, 3]`; `none` -> `[]`.
fn parse_digits(s: &str) -> Result<Digits, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|d| {
            d.trim()
                .parse()
                .map_err(|_| format!("'{d}' is not a digit (in '{s}')"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }
}
