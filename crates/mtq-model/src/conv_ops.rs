//! The convolution and pooling of [`Cnn`](crate::Cnn) as candle custom ops on CPU, channels
//! last (`batch x rows x cols x channels`), with their backward passes.
//!
//! A convolution is [`Im2Col`] (every `k x k` patch as one row) followed by the fused dense
//! layer of [`dense`](crate::dense) (`relu(patches · wᵀ + b)`): the product runs on the same
//! `matrixmultiply` kernels as the MLP, and nothing re-reads `/proc/cpuinfo` per call (candle
//! 0.11's own `conv2d` goes through its `matmul`, see the crate docs). Batches are cut by
//! sample: every output value is computed the same way whatever the number of threads.

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, Layout, Shape, Tensor};
use rayon::prelude::*;

fn contiguous<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> candle_core::Result<&'a [f32]> {
    let CpuStorage::F32(data) = s else {
        return Err(candle_core::Error::UnsupportedDTypeForOp(
            s.dtype(),
            "mtq conv",
        ));
    };
    l.contiguous_offsets()
        .and_then(|(a, b)| data.get(a..b))
        .ok_or_else(|| candle_core::Error::Msg(format!("{op}: non-contiguous input {l:?}")))
}

/// Output side of a `k x k` window sliding with stride 1 over `n` cells padded by `pad`.
pub(crate) fn conv_out(n: usize, k: usize, pad: usize) -> Option<usize> {
    (n + 2 * pad).checked_sub(k).map(|v| v + 1)
}

/// Patches of a `(b, h, w, c)` tensor as rows: `(b·oh·ow, k·k·c)`, each row in `(ky, kx, c)`
/// order, zeros where the window leaves the padded image.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Im2Col {
    pub(crate) k: usize,
    pub(crate) pad: usize,
}

impl candle_core::CustomOp1 for Im2Col {
    fn name(&self) -> &'static str {
        "mtq_im2col"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = contiguous(s, l, "mtq_im2col")?;
        let (b, h, w, c) = l.shape().dims4()?;
        let (k, pad) = (self.k, self.pad);
        let (Some(oh), Some(ow)) = (conv_out(h, k, pad), conv_out(w, k, pad)) else {
            candle_core::bail!("mtq_im2col: {k} x {k} window larger than {h} x {w} + padding {pad}")
        };
        let row = k * k * c;
        let mut out = vec![0f32; b * oh * ow * row];
        if !out.is_empty() {
            out.par_chunks_mut(oh * ow * row)
                .zip(x.par_chunks(h * w * c))
                .for_each(|(dst, img)| {
                    for oy in 0..oh {
                        for ox in 0..ow {
                            let r = &mut dst[(oy * ow + ox) * row..][..row];
                            for ky in 0..k {
                                let Some(iy) = (oy + ky).checked_sub(pad).filter(|&v| v < h) else {
                                    continue;
                                };
                                for kx in 0..k {
                                    let Some(ix) = (ox + kx).checked_sub(pad).filter(|&v| v < w)
                                    else {
                                        continue;
                                    };
                                    r[(ky * k + kx) * c..][..c]
                                        .copy_from_slice(&img[(iy * w + ix) * c..][..c]);
                                }
                            }
                        }
                    }
                });
        }
        Ok((CpuStorage::F32(out), Shape::from((b * oh * ow, row))))
    }

    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let (b, h, w, c) = arg.dims4()?;
        let g = grad.contiguous()?.apply_op1_no_bwd(&Col2Im {
            k: self.k,
            pad: self.pad,
            dims: (b, h, w, c),
        })?;
        Ok(Some(g))
    }
}

/// The adjoint of [`Im2Col`]: sums each patch row back onto the `(b, h, w, c)` image.
#[derive(Debug, Clone, Copy)]
struct Col2Im {
    k: usize,
    pad: usize,
    dims: (usize, usize, usize, usize),
}

impl candle_core::CustomOp1 for Col2Im {
    fn name(&self) -> &'static str {
        "mtq_col2im"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let cols = contiguous(s, l, "mtq_col2im")?;
        let (b, h, w, c) = self.dims;
        let (k, pad) = (self.k, self.pad);
        let (Some(oh), Some(ow)) = (conv_out(h, k, pad), conv_out(w, k, pad)) else {
            candle_core::bail!("mtq_col2im: bad window")
        };
        let row = k * k * c;
        if cols.len() != b * oh * ow * row {
            candle_core::bail!(
                "mtq_col2im: {} values for {b} x {oh} x {ow} x {row}",
                cols.len()
            )
        }
        let mut out = vec![0f32; b * h * w * c];
        if !out.is_empty() {
            out.par_chunks_mut(h * w * c)
                .zip(cols.par_chunks(oh * ow * row))
                .for_each(|(img, src)| {
                    for oy in 0..oh {
                        for ox in 0..ow {
                            let r = &src[(oy * ow + ox) * row..][..row];
                            for ky in 0..k {
                                let Some(iy) = (oy + ky).checked_sub(pad).filter(|&v| v < h) else {
                                    continue;
                                };
                                for kx in 0..k {
                                    let Some(ix) = (ox + kx).checked_sub(pad).filter(|&v| v < w)
                                    else {
                                        continue;
                                    };
                                    img[(iy * w + ix) * c..][..c]
                                        .iter_mut()
                                        .zip(&r[(ky * k + kx) * c..][..c])
                                        .for_each(|(d, &v)| *d += v);
                                }
                            }
                        }
                    }
                });
        }
        Ok((CpuStorage::F32(out), Shape::from((b, h, w, c))))
    }
}

/// 2 x 2 max pooling with stride 2 of a `(b, h, w, c)` tensor (an odd last row or column is
/// dropped, as PyTorch's `MaxPool2d(2)` and Keras' `MaxPooling2D`). The gradient goes to the
/// first maximum of each window (row-major order).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MaxPool2;

/// Position (within `img`, channel `ch`) of the first maximum of window `(py, px)`.
fn window_argmax(img: &[f32], w: usize, c: usize, py: usize, px: usize, ch: usize) -> usize {
    let mut best = (2 * py * w + 2 * px) * c + ch;
    for (dy, dx) in [(0, 1), (1, 0), (1, 1)] {
        let i = ((2 * py + dy) * w + 2 * px + dx) * c + ch;
        if img[i] > img[best] {
            best = i;
        }
    }
    best
}

impl candle_core::CustomOp1 for MaxPool2 {
    fn name(&self) -> &'static str {
        "mtq_maxpool2"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = contiguous(s, l, "mtq_maxpool2")?;
        let (b, h, w, c) = l.shape().dims4()?;
        let (ph, pw) = (h / 2, w / 2);
        let mut out = vec![0f32; b * ph * pw * c];
        if !out.is_empty() {
            out.par_chunks_mut(ph * pw * c)
                .zip(x.par_chunks(h * w * c))
                .for_each(|(dst, img)| {
                    for py in 0..ph {
                        for px in 0..pw {
                            for ch in 0..c {
                                dst[(py * pw + px) * c + ch] =
                                    img[window_argmax(img, w, c, py, px, ch)];
                            }
                        }
                    }
                });
        }
        Ok((CpuStorage::F32(out), Shape::from((b, ph, pw, c))))
    }

    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(
            arg.contiguous()?
                .apply_op2_no_bwd(&grad.contiguous()?, &MaxPool2Grad)?,
        ))
    }
}

/// `(x, dy) -> dx` of [`MaxPool2`].
#[derive(Debug, Clone, Copy)]
struct MaxPool2Grad;

impl candle_core::CustomOp2 for MaxPool2Grad {
    fn name(&self) -> &'static str {
        "mtq_maxpool2_grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = contiguous(s1, l1, "mtq_maxpool2_grad")?;
        let dy = contiguous(s2, l2, "mtq_maxpool2_grad")?;
        let (b, h, w, c) = l1.shape().dims4()?;
        let (ph, pw) = (h / 2, w / 2);
        if dy.len() != b * ph * pw * c {
            candle_core::bail!("mtq_maxpool2_grad: gradient of {} values", dy.len())
        }
        let mut dx = vec![0f32; x.len()];
        if !dx.is_empty() {
            dx.par_chunks_mut(h * w * c)
                .zip(x.par_chunks(h * w * c))
                .zip(dy.par_chunks(ph * pw * c))
                .for_each(|((dimg, img), g)| {
                    for py in 0..ph {
                        for px in 0..pw {
                            for ch in 0..c {
                                dimg[window_argmax(img, w, c, py, px, ch)] +=
                                    g[(py * pw + px) * c + ch];
                            }
                        }
                    }
                });
        }
        Ok((CpuStorage::F32(dx), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Var};

    use super::*;

    fn max_diff(a: &Tensor, b: &Tensor) -> candle_core::Result<f32> {
        (a - b)?.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()
    }

    /// Im2Col + matmul equals candle's conv2d (NCHW), forward and backward, with padding.
    #[test]
    fn im2col_conv_matches_candle_conv2d() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let (b, h, w, c, o, k) = (2, 6, 5, 3, 4, 3);
        for pad in [0, 1] {
            let xv: Vec<f32> = (0..b * h * w * c)
                .map(|i| (i as f32 * 0.37).sin())
                .collect();
            let x = Var::from_vec(xv, (b, h, w, c), &dev)?;
            // kernel (o, ky, kx, c) for ours, (o, c, ky, kx) for candle
            let kv: Vec<f32> = (0..o * k * k * c)
                .map(|i| (i as f32 * 0.11).cos())
                .collect();
            let kern = Var::from_vec(kv, (o, k, k, c), &dev)?;
            let cols = x.as_tensor().apply_op1(Im2Col { k, pad })?;
            let ours = cols
                .matmul(&kern.as_tensor().reshape((o, k * k * c))?.t()?)?
                .reshape((b, h + 2 * pad - k + 1, w + 2 * pad - k + 1, o))?;
            let theirs = x
                .as_tensor()
                .permute((0, 3, 1, 2))?
                .conv2d(&kern.as_tensor().permute((0, 3, 1, 2))?, pad, 1, 1, 1)?
                .permute((0, 2, 3, 1))?;
            assert!(max_diff(&ours, &theirs)? < 1e-5);
            let g1 = ours.sqr()?.sum_all()?.backward()?;
            let g2 = theirs.sqr()?.sum_all()?.backward()?;
            for v in [&x, &kern] {
                let (Some(a), Some(bb)) = (g1.get(v.as_tensor()), g2.get(v.as_tensor())) else {
                    panic!("missing gradient")
                };
                assert!(max_diff(a, bb)? < 1e-3, "pad {pad}: {}", max_diff(a, bb)?);
            }
        }
        Ok(())
    }

    /// MaxPool2 equals candle's max_pool2d, forward and backward (odd sides drop a row/column).
    #[test]
    fn maxpool_matches_candle() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let (b, h, w, c) = (2, 5, 4, 3);
        let xv: Vec<f32> = (0..b * h * w * c)
            .map(|i| ((i * 7919) % 97) as f32 * 0.1)
            .collect();
        let x = Var::from_vec(xv, (b, h, w, c), &dev)?;
        let ours = x.as_tensor().apply_op1(MaxPool2)?;
        let theirs = x
            .as_tensor()
            .permute((0, 3, 1, 2))?
            .narrow(2, 0, 4)?
            .max_pool2d(2)?
            .permute((0, 2, 3, 1))?;
        assert_eq!(ours.dims(), [2, 2, 2, 3]);
        assert_eq!(max_diff(&ours, &theirs)?, 0.0);
        // gradient: each window's output gradient lands on its (unique) maximum. (candle
        // 0.11's own max_pool2d backward scales it by 1/4, so it is not the reference here.)
        let weights = Tensor::arange(1f32, 25.0, &dev)?.reshape((2, 2, 2, 3))?;
        let g = (ours * &weights)?.sum_all()?.backward()?;
        let Some(dx) = g.get(x.as_tensor()) else {
            panic!("missing gradient")
        };
        let xv = x.as_tensor().flatten_all()?.to_vec1::<f32>()?;
        let wv = weights.flatten_all()?.to_vec1::<f32>()?;
        let mut want = vec![0f32; xv.len()];
        for n in 0..b {
            for py in 0..2 {
                for px in 0..2 {
                    for ch in 0..c {
                        let at = |y: usize, xx: usize| ((n * h + y) * w + xx) * c + ch;
                        let best = [(0, 0), (0, 1), (1, 0), (1, 1)]
                            .map(|(dy, dx)| at(2 * py + dy, 2 * px + dx))
                            .into_iter()
                            .max_by(|&i, &j| xv[i].total_cmp(&xv[j]))
                            .unwrap_or(0);
                        want[best] += wv[((n * 2 + py) * 2 + px) * c + ch];
                    }
                }
            }
        }
        assert_eq!(dx.flatten_all()?.to_vec1::<f32>()?, want);
        Ok(())
    }
}
