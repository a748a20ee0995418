//! Loads MNIST (the embedded 10,000 digits, or the four standard files with `--mnist-dir DIR`)
//! and prints what it holds: shapes, digits per class and split, one digit drawn in ASCII.
//!
//! ```sh
//! cargo run --release -p mtq-data --example mnist_summary
//! cargo run --release -p mtq-data --example mnist_summary -- --mnist-dir path/to/mnist
//! ```

use std::process::ExitCode;

use mtq_data::{Dataset, Mnist};

const USAGE: &str = "usage: mnist_summary [--mnist-dir DIR] [--digit INDEX]
  --mnist-dir DIR  read the four standard MNIST files (raw or .gz) from DIR
                   (default: the 10,000 digits embedded in mtq-data)
  --digit INDEX    which test digit to draw (default 0)";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let (mut dir, mut digit) = (None, 0usize);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--mnist-dir" => dir = Some(args.next().ok_or("--mnist-dir needs a directory")?),
            "--digit" => {
                let v = args.next().ok_or("--digit needs an index")?;
                digit = v
                    .parse()
                    .map_err(|_| format!("--digit: not an index: {v}"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }

    let start = std::time::Instant::now();
    let (mnist, source) = match &dir {
        Some(d) => (Mnist::from_dir(d), d.as_str()),
        None => (
            Mnist::embedded(),
            "the embedded sample (mtq-data/data/mnist-10k)",
        ),
    };
    let mnist = mnist.map_err(|e| error_chain(&e))?;
    println!(
        "MNIST from {source}: loaded and decoded in {:.2?}",
        start.elapsed()
    );

    let splits = [("train", mnist.train()), ("test", mnist.test())];
    for (name, data) in splits {
        let (rows, cols) = data.image_shape().unwrap_or((0, 0));
        println!(
            "{name:>5}: {} digits of {rows} x {cols} = {} features",
            data.n_samples(),
            data.n_features()
        );
    }
    println!("\ndigits per class:");
    let classes: String = mnist
        .train()
        .classes()
        .iter()
        .map(|c| format!("{c:>6}"))
        .collect();
    println!("class {classes}");
    for (name, data) in splits {
        println!(
            "{name:>5} {}",
            data.class_counts()
                .iter()
                .map(|n| format!("{n:>6}"))
                .collect::<String>()
        );
    }

    let ones_sevens = mnist
        .train()
        .select_classes(&[1, 7])
        .map_err(|e| e.to_string())?;
    let labels: Vec<usize> = (0..ones_sevens.n_classes()).collect();
    println!(
        "\n1s and 7s for training: {} digits; labels {labels:?} stand for classes {:?}",
        ones_sevens.n_samples(),
        ones_sevens.classes()
    );

    draw(mnist.test(), digit)
}

/// An ASCII rendering of one digit: denser characters for darker ink.
fn draw(data: &Dataset, index: usize) -> Result<(), String> {
    const INK: &[u8] = b" .:-=+*#%@";
    let image = data.image(index).ok_or(format!(
        "no test digit {index} (there are {})",
        data.n_samples()
    ))?;
    let class = data.class_of(data.labels()[index]).unwrap_or(usize::MAX);
    println!(
        "\ntest digit {index} (id {}), a {class}:",
        data.ids()[index]
    );
    let steps = (INK.len() - 1) as f32;
    for row in image.rows() {
        let line: String = row
            .iter()
            .map(|&v| char::from(INK[(v.clamp(0.0, 1.0) * steps).round() as usize]))
            .collect();
        println!("{}", format!("  {line}").trim_end());
    }
    Ok(())
}

/// The error and its causes, one per line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(&format!("\n  caused by: {c}"));
        cause = c.source();
    }
    out
}
