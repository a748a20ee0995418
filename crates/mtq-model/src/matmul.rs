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

/// `x · wᵀ + b`, the dense layer of candle-nn's `Linear`, through [`matmul`].
pub(crate) fn linear(x: &Tensor, layer: &candle_nn::Linear) -> candle_core::Result<Tensor> {
    let y = matmul(x, &layer.weight().t()?)?;
    match layer.bias() {
        Some(b) => y.broadcast_add(b),
        None => Ok(y),
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
        // c = a·b  =>  da = dc·bᵀ, db = aᵀ·dc
        let da = matmul(grad, &b.t()?)?;
        let db = matmul(&a.t()?, grad)?;
        Ok((Some(da), Some(db)))
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
    fn rejects_inner_dimension_mismatch() -> candle_core::Result<()> {
        let a = Tensor::zeros((2, 3), DType::F32, &Device::Cpu)?;
        let b = Tensor::zeros((4, 2), DType::F32, &Device::Cpu)?;
        assert!(matmul(&a, &b).is_err());
        Ok(())
    }
}
