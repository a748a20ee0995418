//! One tapped output reduced to one row of features per sample: feature maps by
//! [`ConvTap`], token sequences by [`TokenPool`], anything else flattened.

use mtq_model::ConvTap;

use super::taps::Layout;

/// How an output of rank 3 holding a sequence of tokens (`batch x tokens x features`, a
/// transformer's residual stream) becomes one row per sample: [`OnnxModel::with_token_pool`](super::OnnxModel::with_token_pool).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TokenPool {
    /// The mean over the tokens: `features` values. The default: it keeps the width of the
    /// model's own representation whatever the sequence length, weighs every token alike (a
    /// classifier that mean-pools reads exactly this), and does not rely on a `[CLS]` token the
    /// model may not have.
    #[default]
    Mean,
    /// The first token's features (`features` values): the `[CLS]` token of a BERT- or
    /// ViT-style classifier, which reads only that token.
    First,
    /// Every token's features, token by token (`tokens·features` values): where each token is,
    /// in many more dimensions.
    Flatten,
}

impl TokenPool {
    /// Its name on the command line and in the run facts: `mean`, `first`, `flatten`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Mean => "mean",
            Self::First => "first",
            Self::Flatten => "flatten",
        }
    }
}

/// Reduces one output of shape `dims` (first axis the batch, `values` row-major) to
/// `batch x width` values and returns them with the width:
/// - rank 4 (`batch x channels x h x w`) and rank 3 below a convolution or pooling
///   (`batch x channels x length`, [`Layout::Channels`]): as `conv_tap` (one mean per
///   channel, or flattened in channel order);
/// - rank 3 otherwise (`batch x tokens x features`): as `token_pool`;
/// - any other rank: flattened (`batch x` the product of the other axes).
pub(super) fn reduce(
    dims: &[usize],
    values: &[f32],
    layout: Layout,
    conv_tap: ConvTap,
    token_pool: TokenPool,
) -> (Vec<f32>, usize) {
    let rows = dims.first().copied().unwrap_or(0);
    let flat_width = dims.get(1..).map_or(1, |d| d.iter().product());
    let channels = dims.len() == 4 || (dims.len() == 3 && layout == Layout::Channels);
    if channels && conv_tap == ConvTap::ChannelMean {
        let (c, area) = (dims[1], dims[2..].iter().product::<usize>().max(1));
        let means = values
            .chunks(area)
            .map(|m| m.iter().sum::<f32>() / area as f32)
            .collect();
        return (means, c);
    }
    if dims.len() == 3 && !channels {
        let (tokens, features) = (dims[1], dims[2]);
        match token_pool {
            TokenPool::Flatten => {}
            TokenPool::First => {
                let first = values
                    .chunks(flat_width.max(1))
                    .take(rows)
                    .flat_map(|row| row[..features.min(row.len())].iter().copied())
                    .collect();
                return (first, features);
            }
            TokenPool::Mean => {
                let mut means = vec![0f32; rows * features];
                for (row, out) in values
                    .chunks(flat_width.max(1))
                    .zip(means.chunks_mut(features.max(1)))
                {
                    for token in row.chunks(features.max(1)) {
                        for (o, v) in out.iter_mut().zip(token) {
                            *o += v;
                        }
                    }
                    for o in out.iter_mut() {
                        *o /= tokens.max(1) as f32;
                    }
                }
                return (means, features);
            }
        }
    }
    (values.to_vec(), flat_width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_pooled_and_maps_averaged() {
        // 2 samples x 3 tokens x 2 features
        let v: Vec<f32> = (0..12).map(|i| i as f32).collect();
        let dims = [2, 3, 2];
        let t = |p| reduce(&dims, &v, Layout::Tokens, ConvTap::ChannelMean, p);
        assert_eq!(t(TokenPool::Mean), (vec![2.0, 3.0, 8.0, 9.0], 2));
        assert_eq!(t(TokenPool::First), (vec![0.0, 1.0, 6.0, 7.0], 2));
        assert_eq!(t(TokenPool::Flatten), (v.clone(), 6));
        // the same shape below a convolution: 3 channels of length 2
        let c = reduce(
            &dims,
            &v,
            Layout::Channels,
            ConvTap::ChannelMean,
            TokenPool::Mean,
        );
        assert_eq!(c, (vec![0.5, 2.5, 4.5, 6.5, 8.5, 10.5], 3));
        let f = reduce(
            &dims,
            &v,
            Layout::Channels,
            ConvTap::Flatten,
            TokenPool::Mean,
        );
        assert_eq!(f, (v.clone(), 6));
        // rank 4: channel means whatever the layout
        let m = reduce(
            &[1, 2, 2, 3],
            &v,
            Layout::Tokens,
            ConvTap::ChannelMean,
            TokenPool::First,
        );
        assert_eq!(m, (vec![2.5, 8.5], 2));
        // rank 2 and rank 5 pass through flattened
        assert_eq!(
            reduce(
                &[3, 4],
                &v,
                Layout::Tokens,
                ConvTap::ChannelMean,
                TokenPool::Mean
            ),
            (v.clone(), 4)
        );
        assert_eq!(
            reduce(
                &[1, 2, 2, 3, 1],
                &v,
                Layout::Tokens,
                ConvTap::ChannelMean,
                TokenPool::Mean
            ),
            (v, 12)
        );
    }
}
