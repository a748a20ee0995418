//! The dense layers' matrix products on CPU, without candle's per-call thread-count lookup.
//!
//! candle 0.11's CPU `matmul` asks `candle_core::utils::get_num_threads()` on every call; unless
//! `RAYON_NUM_THREADS` is set, that re-reads `/proc/cpuinfo` (via `num_cpus::get_physical`), which
//! costs about as much as the small products of this MLP themselves and doubles training time.
//! A library may not set environment variables or build global thread pools, so the products of
//! the dense layers go through [`MatMul`], a candle custom op with a backward pass, computed by
//! ndarray's `general_mat_mul` (the `matrixmultiply` kernels, single-threaded: for these sizes
//! waking threads costs more than it saves, and the result does not depend on the thread count).
//! Other devices keep candle's own `matmul`.

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, DType, Layout, Shape, Tensor};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, ShapeBuilder};

/// `a · b` for rank-2 tensors, with gradients; CPU tensors take the [`MatMul`] custom op.
pub(crate) fn matmul(a: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    if a.device().is_cpu() && a.rank() == 2 && b.rank() == 2 && a.dtype() == b.dtype() {
        a.apply_op2(b, MatMul)
    } else {
        a.matmul(b)
    }
}

/// `x · wᵀ + b`, the dense layer of candle-nn's `Linear`: one fused [`DenseOp`] on CPU,
/// candle's `matmul` and `broadcast_add` elsewhere.
pub(crate) fn linear(x: &Tensor, layer: &candle_nn::Linear) -> candle_core::Result<Tensor> {
    let w = layer.weight();
    match layer.bias() {
        Some(b)
            if x.device().is_cpu()
                && x.rank() == 2
                && w.rank() == 2
                && b.rank() == 1
                && x.dtype() == DType::F32
                && w.dtype() == DType::F32
                && b.dtype() == DType::F32 =>
        {
            x.apply_op3(w, b, DenseOp)
        }
        Some(b) => matmul(x, &w.t()?)?.broadcast_add(b),
        None => matmul(x, &w.t()?),
    }
}

/// Matrix product of two rank-2 CPU tensors of any strides (f32 or f64).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatMul;

fn view<'a, T>(data: &'a [T], l: &Layout) -> candle_core::Result<ArrayView2<'a, T>> {
    let (rows, cols) = l.shape().dims2()?;
    let s = l.stride();
    let data = data.get(l.start_offset()..).unwrap_or(&[]);
    ArrayView2::from_shape((rows, cols).strides((s[0], s[1])), data)
        .map_err(|e| candle_core::Error::Msg(format!("mtq matmul: bad layout {l:?}: {e}")))
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
        // c = a·b  =>  da = dc·bᵀ, db = aᵀ·dc; skipped for an operand that needs no gradient
        // (the network's input).
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

/// The dense layer `y = x · wᵀ + b` (x: `batch x in`, w: `out x in`, b: `out`) on CPU, f32,
/// with its backward pass: `dx = dy · w` (only if x needs a gradient), `dw = dyᵀ · x` (already
/// in w's layout, so candle accumulates it with a contiguous add), `db = column sums of dy`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DenseOp;

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
        let b = ndarray::ArrayView1::from_shape(
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
        y.rows_mut().into_iter().for_each(|mut row| row.assign(&b));
        general_mat_mul(1.0, &x, &w.t(), 1.0, &mut y);
        let shape = Shape::from(y.dim());
        Ok((CpuStorage::F32(y.into_raw_vec_and_offset().0), shape))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let dx = if x.track_op() {
            Some(matmul(grad, w)?)
        } else {
            None
        };
        let dw = matmul(&grad.t()?, x)?;
        let db = grad.apply_op1_no_bwd(&ColSum)?;
        Ok((dx, Some(dw), Some(db)))
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
    use candle_core::{Device, Var};

    #[test]
    fn matches_candle_matmul_forward_and_backward() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let x = Var::from_vec(
            (0..12).map(|i| (i as f32 * 0.37).sin()).collect::<Vec<_>>(),
            (3, 4),
            &dev,
        )?;
        let w = Var::from_vec(
            (0..20).map(|i| (i as f32 * 0.11).cos()).collect::<Vec<_>>(),
            (5, 4),
            &dev,
        )?;
        let ours = matmul(x.as_tensor(), &w.as_tensor().t()?)?;
        let theirs = x.as_tensor().matmul(&w.as_tensor().t()?)?;
        let diff = (&ours - &theirs)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-5, "forward differs by {diff}");

        let g1 = ours.sqr()?.sum_all()?.backward()?;
        let g2 = theirs.sqr()?.sum_all()?.backward()?;
        for v in [&x, &w] {
            let (Some(a), Some(b)) = (g1.get(v.as_tensor()), g2.get(v.as_tensor())) else {
                panic!("missing gradient");
            };
            assert_eq!(a.dims(), b.dims());
            let d = (a - b)?.abs()?.max_all()?.to_scalar::<f32>()?;
            assert!(d < 1e-4, "gradient differs by {d}");
        }
        Ok(())
    }

    #[test]
    fn dense_matches_candle_linear_forward_and_backward() -> candle_core::Result<()> {
        use candle_nn::Module;
        let dev = Device::Cpu;
        let x = Var::from_vec(
            (0..12).map(|i| (i as f32 * 0.37).sin()).collect::<Vec<_>>(),
            (3, 4),
            &dev,
        )?;
        let w = Var::from_vec(
            (0..20).map(|i| (i as f32 * 0.11).cos()).collect::<Vec<_>>(),
            (5, 4),
            &dev,
        )?;
        let b = Var::from_vec((0..5).map(|i| i as f32 - 2.0).collect::<Vec<_>>(), 5, &dev)?;
        let layer = candle_nn::Linear::new(w.as_tensor().clone(), Some(b.as_tensor().clone()));
        let ours = linear(x.as_tensor(), &layer)?;
        let theirs = layer.forward(x.as_tensor())?;
        let diff = (&ours - &theirs)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-5, "forward differs by {diff}");
        let g1 = ours.sqr()?.sum_all()?.backward()?;
        let g2 = theirs.sqr()?.sum_all()?.backward()?;
        for v in [&x, &w, &b] {
            let (Some(a), Some(c)) = (g1.get(v.as_tensor()), g2.get(v.as_tensor())) else {
                panic!("missing gradient");
            };
            assert_eq!(a.dims(), c.dims());
            let d = (a - c)?.abs()?.max_all()?.to_scalar::<f32>()?;
            assert!(d < 1e-4, "gradient differs by {d}");
        }
        // no gradient is computed for an input that does not need one
        let input = x.as_tensor().detach();
        let g = linear(&input, &layer)?.sum_all()?.backward()?;
        assert!(g.get(&input).is_none());
        assert!(g.get(w.as_tensor()).is_some());
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
