//! The dense layers on CPU, without candle's per-call thread-count lookup.
//!
//! candle 0.11's CPU `matmul` asks `candle_core::utils::get_num_threads()` on every call; unless
//! `RAYON_NUM_THREADS` is set, that re-reads `/proc/cpuinfo` (via `num_cpus::get_physical`), which
//! costs about as much as the small products of this MLP themselves and doubles training time.
//! A library may not set environment variables or build global thread pools, so each dense layer
//! runs as one candle custom op, [`DenseOp`]: `act(x · wᵀ + b)` in a single pass, with its
//! backward pass, on ndarray's `general_mat_mul` (the `matrixmultiply` kernels). Batches larger
//! than [`ROW_CHUNK`] rows are cut into fixed chunks of rows computed in parallel on the caller's
//! rayon pool; every output row is computed the same way whatever the chunking, so the result
//! does not depend on the number of threads. Other devices use candle's own operations.

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, DType, Layout, Shape, Tensor};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView1, ArrayView2, ArrayViewMut2, Axis, ShapeBuilder};
use rayon::prelude::*;

use crate::config::Activation;

/// Rows per parallel chunk of a dense layer's forward pass (a fixed size: results cannot depend
/// on the thread count).
pub(crate) const ROW_CHUNK: usize = 256;

/// `a · b` for rank-2 tensors, with gradients; CPU tensors take the [`MatMul`] custom op.
pub(crate) fn matmul(a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    if a.device().is_cpu() && a.rank() == 2 && b.rank() == 2 && a.dtype() == b.dtype() {
        a.apply_op2(b, MatMul)
    } else {
        a.matmul(b)
    }
}

/// `act(x · wᵀ + b)` for a candle-nn `Linear` layer (`act = None`: no non-linearity).
///
/// CPU f32: one fused [`DenseOp`] (GELU is applied after it with candle's `gelu_erf`);
/// elsewhere candle's `matmul`, `broadcast_add` and the activation.
pub(crate) fn dense(
    x: &Tensor,
    layer: &candle_nn::Linear,
    act: Option<Activation>,
) -> candle_core::Result<Tensor> {
    let w = layer.weight();
    let fused = match act {
        None => Some(None),
        Some(a @ (Activation::Relu | Activation::Tanh | Activation::Sigmoid)) => Some(Some(a)),
        Some(Activation::Gelu) => None,
    };
    match layer.bias() {
        Some(b)
            if x.device().is_cpu()
                && x.rank() == 2
                && w.rank() == 2
                && b.rank() == 1
                && [x.dtype(), w.dtype(), b.dtype()] == [DType::F32; 3] =>
        {
            let y = x.apply_op3(
                w,
                b,
                DenseOp {
                    act: fused.flatten(),
                },
            )?;
            match (act, fused) {
                (Some(a), None) => a.apply_candle(&y),
                _ => Ok(y),
            }
        }
        bias => {
            let y = matmul(x, &w.t()?)?;
            let y = match bias {
                Some(b) => y.broadcast_add(b)?,
                None => y,
            };
            match act {
                Some(a) => a.apply_candle(&y),
                None => Ok(y),
            }
        }
    }
}

fn view<'a, T>(data: &'a [T], l: &Layout) -> candle_core::Result<ArrayView2<'a, T>> {
    let (rows, cols) = l.shape().dims2()?;
    let s = l.stride();
    let data = data.get(l.start_offset()..).unwrap_or(&[]);
    if rows == 0 || cols == 0 {
        // no element: strides are irrelevant (and ndarray would bounds-check them)
        return ArrayView2::from_shape((rows, cols), &data[..0])
            .map_err(|e| candle_core::Error::Msg(format!("mtq dense: empty layout {l:?}: {e}")));
    }
    ArrayView2::from_shape((rows, cols).strides((s[0], s[1])), data)
        .map_err(|e| candle_core::Error::Msg(format!("mtq dense: bad layout {l:?}: {e}")))
}

/// `a · b` into a new row-major matrix.
fn product<T>(a: &[T], la: &Layout, b: &[T], lb: &Layout) -> candle_core::Result<(Vec<T>, Shape)>
where
    T: ndarray::LinalgScalar,
{
    let a = view(a, la)?;
    let b = view(b, lb)?;
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    if k != k2 {
        return Err(candle_core::Error::ShapeMismatchBinaryOp {
            lhs: la.shape().clone(),
            rhs: lb.shape().clone(),
            op: "mtq_matmul",
        });
    }
    let mut c = Array2::<T>::zeros((m, n));
    general_mat_mul(T::one(), &a, &b, T::zero(), &mut c);
    let (v, _) = c.into_raw_vec_and_offset();
    Ok((v, Shape::from((m, n))))
}

/// Matrix product of two rank-2 CPU tensors of any strides (f32 or f64), with gradients.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatMul;

impl candle_core::CustomOp2 for MatMul {
    fn name(&self) -> &'static str {
        "mtq_matmul"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        match (s1, s2) {
            (CpuStorage::F32(a), CpuStorage::F32(b)) => {
                let (v, s) = product(a, l1, b, l2)?;
                Ok((CpuStorage::F32(v), s))
            }
            (CpuStorage::F64(a), CpuStorage::F64(b)) => {
                let (v, s) = product(a, l1, b, l2)?;
                Ok((CpuStorage::F64(v), s))
            }
            _ => Err(candle_core::Error::UnsupportedDTypeForOp(
                if matches!(s1.dtype(), DType::F32 | DType::F64) {
                    s2.dtype()
                } else {
                    s1.dtype()
                },
                "mtq_matmul",
            )),
        }
    }

    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        // c = a·b  =>  da = dc·bᵀ, db = aᵀ·dc; skipped for an operand that needs no gradient.
        let da = if a.track_op() {
            Some(matmul(grad, &b.t()?)?)
        } else {
            None
        };
        let db = if b.track_op() {
            Some(matmul(&a.t()?, grad)?)
        } else {
            None
        };
        Ok((da, db))
    }
}

/// The dense layer `y = act(x · wᵀ + b)` (x: `batch x in`, w: `out x in`, b: `out`) on CPU,
/// f32, with its backward pass: `g = dy ⊙ act'(y)`, `dx = g · w` (only if x needs a gradient),
/// `dw = gᵀ · x` (already in w's layout, so candle accumulates it with a contiguous add),
/// `db = column sums of g`. `act` is ReLU, tanh, sigmoid or none (their derivatives follow from
/// the output).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DenseOp {
    act: Option<Activation>,
}

/// One block of rows: `y = act(x · wᵀ + b)`.
fn dense_rows(
    x: ArrayView2<'_, f32>,
    w: ArrayView2<'_, f32>,
    b: ArrayView1<'_, f32>,
    mut y: ArrayViewMut2<'_, f32>,
    act: Option<Activation>,
) {
    y.rows_mut().into_iter().for_each(|mut row| row.assign(&b));
    general_mat_mul(1.0, &x, &w.t(), 1.0, &mut y);
    if let Some(a) = act {
        y.mapv_inplace(|v| a.apply_scalar(v));
    }
}

impl candle_core::CustomOp3 for DenseOp {
    fn name(&self) -> &'static str {
        "mtq_dense"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(x), CpuStorage::F32(w), CpuStorage::F32(b)) = (s1, s2, s3) else {
            return Err(candle_core::Error::UnsupportedDTypeForOp(
                s1.dtype(),
                "mtq_dense",
            ));
        };
        let x = view(x, l1)?;
        let w = view(w, l2)?;
        let n = l3.shape().dims1()?;
        let b = ArrayView1::from_shape(
            (n,).strides((l3.stride()[0],)),
            b.get(l3.start_offset()..).unwrap_or(&[]),
        )
        .map_err(|e| candle_core::Error::Msg(format!("mtq dense: bad bias layout {l3:?}: {e}")))?;
        if x.ncols() != w.ncols() || w.nrows() != n {
            return Err(candle_core::Error::Msg(format!(
                "mtq dense: x {:?}, w {:?}, b {n}: shapes do not chain",
                x.dim(),
                w.dim()
            )));
        }
        let mut y = Array2::<f32>::zeros((x.nrows(), n));
        if x.nrows() <= ROW_CHUNK {
            dense_rows(x, w, b, y.view_mut(), self.act);
        } else {
            let blocks: Vec<_> = x
                .axis_chunks_iter(Axis(0), ROW_CHUNK)
                .zip(y.axis_chunks_iter_mut(Axis(0), ROW_CHUNK))
                .collect();
            blocks
                .into_par_iter()
                .for_each(|(xc, yc)| dense_rows(xc, w, b, yc, self.act));
        }
        let shape = Shape::from(y.dim());
        Ok((CpuStorage::F32(y.into_raw_vec_and_offset().0), shape))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let g = match self.act {
            Some(act) => grad.apply_op2_no_bwd(res, &ActGrad { act })?,
            None => grad.clone(),
        };
        let dx = if x.track_op() {
            Some(matmul(&g, w)?)
        } else {
            None
        };
        let dw = matmul(&g.t()?, x)?;
        let db = g.apply_op1_no_bwd(&ColSum)?;
        Ok((dx, Some(dw), Some(db)))
    }
}

/// `dy ⊙ act'(y)` from the output gradient and the activation's output.
#[derive(Debug, Clone, Copy)]
struct ActGrad {
    act: Activation,
}

impl candle_core::CustomOp2 for ActGrad {
    fn name(&self) -> &'static str {
        "mtq_activation_grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(dy), CpuStorage::F32(y)) = (s1, s2) else {
            return Err(candle_core::Error::UnsupportedDTypeForOp(
                s1.dtype(),
                "mtq_activation_grad",
            ));
        };
        let (dy, y) = (view(dy, l1)?, view(y, l2)?);
        if dy.dim() != y.dim() {
            return Err(candle_core::Error::ShapeMismatchBinaryOp {
                lhs: l1.shape().clone(),
                rhs: l2.shape().clone(),
                op: "mtq_activation_grad",
            });
        }
        let v: Vec<f32> = dy
            .iter()
            .zip(y.iter())
            .map(|(&d, &o)| d * self.act.derivative_from_output(o))
            .collect();
        Ok((CpuStorage::F32(v), l1.shape().clone()))
    }
}

/// Column sums of a rank-2 f32 CPU tensor, summed row by row in order.
#[derive(Debug, Clone, Copy)]
struct ColSum;

impl candle_core::CustomOp1 for ColSum {
    fn name(&self) -> &'static str {
        "mtq_colsum"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(data) = s else {
            return Err(candle_core::Error::UnsupportedDTypeForOp(
                s.dtype(),
                "mtq_colsum",
            ));
        };
        let a = view(data, l)?;
        let mut sums = vec![0f32; a.ncols()];
        for row in a.rows() {
            sums.iter_mut().zip(row).for_each(|(s, &v)| *s += v);
        }
        let n = sums.len();
        Ok((CpuStorage::F32(sums), Shape::from(n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::backprop::GradStore;
    use candle_core::{Device, Var};

    /// A variable of `shape` whose element `i` is `f(i)`.
    fn var(shape: &[usize], f: impl Fn(f32) -> f32) -> candle_core::Result<Var> {
        let n: usize = shape.iter().product();
        let v = (0..n).map(|i| f(i as f32)).collect::<Vec<_>>();
        Var::from_vec(v, shape, &Device::Cpu)
    }

    /// Largest absolute difference of two tensors of the same shape.
    fn max_diff(a: &Tensor, b: &Tensor) -> candle_core::Result<f32> {
        (a - b)?.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()
    }

    /// `ours` and `theirs` agree, and so do the gradients of their squared sums for `vars`.
    fn assert_same(ours: &Tensor, theirs: &Tensor, vars: &[&Var]) -> candle_core::Result<()> {
        let d = max_diff(ours, theirs)?;
        assert!(d < 1e-5, "forward differs by {d}");
        let g1: GradStore = ours.sqr()?.sum_all()?.backward()?;
        let g2: GradStore = theirs.sqr()?.sum_all()?.backward()?;
        for v in vars {
            let (Some(a), Some(b)) = (g1.get(v.as_tensor()), g2.get(v.as_tensor())) else {
                panic!("missing gradient");
            };
            assert_eq!(a.dims(), b.dims());
            let d = max_diff(a, b)?;
            assert!(d < 1e-4, "gradient differs by {d}");
        }
        Ok(())
    }

    #[test]
    fn matches_candle_matmul_forward_and_backward() -> candle_core::Result<()> {
        let x = var(&[3, 4], |i| (i * 0.37).sin())?;
        let w = var(&[5, 4], |i| (i * 0.11).cos())?;
        let ours = matmul(x.as_tensor(), &w.as_tensor().t()?)?;
        let theirs = x.as_tensor().matmul(&w.as_tensor().t()?)?;
        assert_same(&ours, &theirs, &[&x, &w])
    }

    #[test]
    fn dense_matches_candle_linear_forward_and_backward() -> candle_core::Result<()> {
        use candle_nn::Module;
        let x = var(&[3, 4], |i| (i * 0.37).sin())?;
        let w = var(&[5, 4], |i| (i * 0.11).cos())?;
        let b = var(&[5], |i| i - 2.0)?;
        let layer = candle_nn::Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()));
        let ours = dense(x.as_tensor(), &layer, None)?;
        assert_same(&ours, &layer.forward(x.as_tensor())?, &[&x, &w, &b])?;
        // no gradient is computed for an input that does not need one
        let input = x.as_tensor().detach();
        let g = dense(&input, &layer, Some(Activation::Relu))?
            .sum_all()?
            .backward()?;
        assert!(g.get(&input).is_none());
        assert!(g.get(w.as_tensor()).is_some());
        Ok(())
    }

    #[test]
    fn fused_activations_match_candle() -> candle_core::Result<()> {
        for act in [
            Activation::Relu,
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Gelu,
        ] {
            let x = var(&[4, 6], |i| (i * 0.37).sin())?;
            let w = var(&[5, 6], |i| (i * 0.53).cos())?;
            let b = var(&[5], |i| i * 0.3 - 0.6)?;
            let layer = candle_nn::Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()));
            let ours = dense(x.as_tensor(), &layer, Some(act))?;
            let pre = x
                .as_tensor()
                .matmul(&w.as_tensor().t()?)?
                .broadcast_add(b.as_tensor())?;
            assert_same(&ours, &act.apply_candle(&pre)?, &[&x, &w, &b])?;
        }
        Ok(())
    }

    #[test]
    fn row_chunks_give_bit_identical_rows() -> candle_core::Result<()> {
        // more rows than one chunk: computed in parallel blocks; each row must equal the row
        // computed alone
        let dev = Device::Cpu;
        let rows = 2 * ROW_CHUNK + 37;
        let x = Tensor::from_vec(
            (0..rows * 20)
                .map(|i| (i as f32 * 0.013).sin())
                .collect::<Vec<_>>(),
            (rows, 20),
            &dev,
        )?;
        let w = Tensor::from_vec(
            (0..7 * 20)
                .map(|i| (i as f32 * 0.29).cos())
                .collect::<Vec<_>>(),
            (7, 20),
            &dev,
        )?;
        let b = Tensor::from_vec((0..7).map(|i| i as f32 * 0.1).collect::<Vec<_>>(), 7, &dev)?;
        let layer = candle_nn::Linear::new(w, Some(b));
        let all = dense(&x, &layer, Some(Activation::Tanh))?.to_vec2::<f32>()?;
        for r in [0, ROW_CHUNK - 1, ROW_CHUNK, rows - 1] {
            let one =
                dense(&x.narrow(0, r, 1)?, &layer, Some(Activation::Tanh))?.to_vec2::<f32>()?;
            assert_eq!(one[0], all[r], "row {r}");
        }
        Ok(())
    }

    #[test]
    fn rejects_inner_dimension_mismatch() -> candle_core::Result<()> {
        let a = Tensor::zeros((2, 3), DType::F32, &Device::Cpu)?;
        let b = Tensor::zeros((4, 2), DType::F32, &Device::Cpu)?;
        assert!(matmul(&a, &b).is_err());
        Ok(())
    }
}
