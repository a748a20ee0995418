//! Training and inference speed of the reference network (784 -> 32 -> 64 -> 2 ReLU, Adam,
//! 5 epochs, batch 32 on the 1,755 training 1s and 7s), beside Keras/TensorFlow.
//!
//! ```text
//! cargo run --release -p mtq-model --example train_speed [-- --reps 7 --keras /tmp/bench_keras_asis.json]
//! ```
//! Keras figures come from a JSON written by the reference `bench_keras.py` (run side by side on
//! the same machine), else the figures of the reference README are shown. Also times stock
//! candle (`candle_nn::Linear` + `AdamW`) to show what the matmul path of mtq-model saves.

use std::time::Instant;

use mtq_data::{Dataset, Mnist};
use mtq_model::candle_nn::{self, Module, Optimizer as _, VarMap};
use mtq_model::{Device, Mlp, MlpConfig, Tensor, TrainConfig, array_to_tensor, tensor_to_array};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn timed<T>(reps: usize, mut f: impl FnMut() -> Res<T>) -> Res<f64> {
    f()?; // warm-up
    let mut t = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        std::hint::black_box(f()?);
        t.push(start.elapsed().as_secs_f64());
    }
    Ok(median(t))
}

/// The same network and loop in stock candle: `Linear` (candle's matmul) and `AdamW` (no decay).
fn stock_candle_train(train: &Dataset, device: &Device) -> Res<()> {
    let varmap = VarMap::new();
    let vb =
        candle_nn::VarBuilder::from_varmap(&varmap, mtq_model::candle_core::DType::F32, device);
    let l1 = candle_nn::linear(784, 32, vb.pp("h1"))?;
    let l2 = candle_nn::linear(32, 64, vb.pp("h2"))?;
    let l3 = candle_nn::linear(64, 2, vb.pp("out"))?;
    let params = candle_nn::ParamsAdamW {
        lr: 1e-3,
        weight_decay: 0.0,
        eps: 1e-7,
        ..Default::default()
    };
    let mut opt = candle_nn::AdamW::new(varmap.all_vars(), params)?;
    let x = array_to_tensor(train.features(), device)?;
    let y: Vec<u32> = train.labels().iter().map(|&l| l as u32).collect();
    let y = Tensor::from_vec(y, train.n_samples(), device)?;
    let n = train.n_samples();
    for _epoch in 0..5 {
        // (no reshuffling: slightly in stock candle's favour)
        for start in (0..n).step_by(32) {
            let len = 32.min(n - start);
            let xb = x.narrow(0, start, len)?;
            let yb = y.narrow(0, start, len)?;
            let h = l2.forward(&l1.forward(&xb)?.relu()?)?.relu()?;
            let loss = candle_nn::loss::cross_entropy(&l3.forward(&h)?, &yb)?;
            opt.backward_step(&loss)?;
        }
    }
    Ok(())
}

fn keras_figures(path: Option<&str>) -> Res<(f64, f64, f64, String)> {
    match path {
        Some(p) => {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p)?)?;
            let get = |k: &str| v[k].as_f64().ok_or_else(|| format!("{p}: no number {k}"));
            Ok((
                get("train_5ep_s")?,
                get("extract_predict_s")?,
                get("extract_call_s")?,
                format!("measured ({p})"),
            ))
        }
        None => Ok((
            1.26,
            0.067,
            0.004,
            "reference README (not measured here)".to_owned(),
        )),
    }
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let reps: usize = flag("--reps").map(|s| s.parse()).transpose()?.unwrap_or(7);
    let device = Device::Cpu;

    let mnist = Mnist::embedded()?;
    let train = mnist.train().select_classes(&[1, 7])?;
    let n = train.n_samples();
    let config = MlpConfig::new(784, [32, 64], 2);
    let cfg = TrainConfig::new().epochs(5).batch_size(32).seed(0);

    let t_train = timed(reps, || {
        let mut mlp = Mlp::new(config.clone(), 0, &device)?;
        Ok(mlp.train(&train, &cfg)?)
    })?;
    let t_stock = timed(reps, || stock_candle_train(&train, &device))?;

    let mut mlp = Mlp::new(config.clone(), 0, &device)?;
    mlp.train(&train, &cfg)?;
    // as Keras' direct call (`ext(xt)` on a tensor made beforehand, outputs copied out as arrays)
    let xt = array_to_tensor(train.features(), &device)?;
    let all_layers = |x: &Tensor| -> Res<Vec<_>> {
        let pass = mlp.forward_all(x)?;
        let mut outs = pass
            .hidden
            .iter()
            .map(tensor_to_array)
            .collect::<Result<Vec<_>, _>>()?;
        outs.push(tensor_to_array(&pass.probs)?);
        Ok(outs)
    };
    let t_call = timed(reps * 3, || all_layers(&xt))?;
    // the same from the ndarray matrix, conversion included
    let t_call_arr = timed(reps * 3, || {
        all_layers(&array_to_tensor(train.features(), &device)?)
    })?;
    let t_proba = timed(reps * 3, || Ok(mlp.predict_proba(train.features())?))?;

    let (k_train, k_predict, k_call, source) = keras_figures(flag("--keras").as_deref())?;
    let env = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset".into());
    println!(
        "reference network 784-32-64-2 ReLU, {n} images, 5 epochs, batch 32 (RAYON_NUM_THREADS {env})"
    );
    println!(
        "median of {reps} runs after a warm-up (inference: {} runs)",
        reps * 3
    );
    println!();
    let per = |t: f64| n as f64 / t;
    println!(
        "training (5 epochs)     mtq-model {:8.1} ms  {:>10.0} samples/s",
        t_train * 1e3,
        per(t_train) * 5.0
    );
    println!(
        "                     stock candle {:8.1} ms  ({:.2}x mtq-model)",
        t_stock * 1e3,
        t_stock / t_train
    );
    println!(
        "                       Keras fit  {:8.1} ms  -> mtq-model {:.1}x faster (goal 15x)",
        k_train * 1e3,
        k_train / t_train
    );
    println!(
        "inference, all layers   mtq-model {:8.3} ms  {:>10.0} samples/s",
        t_call * 1e3,
        per(t_call)
    );
    println!(
        "  (from the ndarray)     mtq-model {:8.3} ms  {:>10.0} samples/s",
        t_call_arr * 1e3,
        per(t_call_arr)
    );
    println!(
        "         predict_proba  mtq-model {:8.3} ms  {:>10.0} samples/s",
        t_proba * 1e3,
        per(t_proba)
    );
    println!(
        "                   Keras predict  {:8.1} ms  -> {:.1}x (goal 30x)",
        k_predict * 1e3,
        k_predict / t_call
    );
    println!(
        "               Keras direct call  {:8.1} ms  -> {:.1}x (goal > 1x)",
        k_call * 1e3,
        k_call / t_call
    );
    println!("Keras figures: {source}");
    Ok(())
}
