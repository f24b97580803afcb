//! YuNet's forward pass on the CPU kernels.

use image::RgbImage;

use super::kernels::Planes;
use super::ops::{self, Depthwise, ImageConv, Pointwise};

/// A DP block (pointwise, then depthwise 3×3 with its activation), or a merged head (the same
/// without activation).
#[derive(Debug, Clone)]
pub(crate) struct Dp {
    pub(crate) pointwise: Pointwise,
    pub(crate) depthwise: Depthwise,
}

impl Dp {
    fn run(&self, x: &Planes, parallel: bool) -> Planes {
        self.depthwise.run(&self.pointwise.run(x, 1, parallel), 0, parallel)
    }
}

/// YuNet with its weights in the kernels' layout; the same function as the burn module it is
/// made from.
#[derive(Debug, Clone)]
pub(crate) struct YuNetCpu {
    /// The first layer, 3×3 stride 2, 3→16, ReLU.
    pub(crate) stem: ImageConv,
    /// model0.conv2 … model5.conv2.
    pub(crate) backbone: Vec<Dp>,
    /// neck.lateral_convs 0, 1, 2.
    pub(crate) lateral: Vec<Dp>,
    /// Merged heads for strides 8, 16, 32.
    pub(crate) heads: Vec<Dp>,
}

/// The image as YuNet reads it: B, G, R, 0-255, zero beyond the image up to `pw × ph` and in
/// a one-pixel border around that.
fn bgr_bordered(image: &RgbImage, pw: usize, ph: usize) -> Vec<f32> {
    let stride = pw + 2;
    let mut data = vec![0.0f32; (ph + 2) * stride * 3];
    let w = image.width() as usize;
    if w == 0 {
        return data;
    }
    for (y, row) in image.as_raw().chunks_exact(w * 3).enumerate() {
        let dst = &mut data[((y + 1) * stride + 1) * 3..][..w * 3];
        for (d, s) in dst.chunks_exact_mut(3).zip(row.chunks_exact(3)) {
            d[0] = f32::from(s[2]);
            d[1] = f32::from(s[1]);
            d[2] = f32::from(s[0]);
        }
    }
    data
}

impl YuNetCpu {
    /// The head outputs for `image` zero-padded to `pw × ph` (multiples of 32), laid out as
    /// the burn module's: 16 channels, each with every cell of strides 8, 16 and 32 in turn.
    pub(crate) fn forward(&self, image: &RgbImage, pw: usize, ph: usize, parallel: bool) -> Vec<f32> {
        let b = &self.backbone;
        let input = bgr_bordered(image, pw, ph);
        let x = self.stem.run(&input, ph, pw, 0, parallel);
        let x = ops::max_pool2(&b[0].run(&x, parallel), 0, parallel);
        let x = b[2].run(&b[1].run(&x, parallel), parallel);
        let x = ops::max_pool2(&b[4].run(&b[3].run(&x, parallel), parallel), 0, parallel);
        let c3 = b[6].run(&b[5].run(&x, parallel), parallel);
        let c4 = b[8].run(&b[7].run(&ops::max_pool2(&c3, 0, parallel), parallel), parallel);
        let c5 = b[10].run(&b[9].run(&ops::max_pool2(&c4, 0, parallel), parallel), parallel);
        drop(x);
        let p5 = self.lateral[2].run(&c5, parallel);
        drop(c5);
        let p4 = self.lateral[1].run(&ops::upsample2_add(&c4, &p5, 0, parallel), parallel);
        drop(c4);
        let p3 = self.lateral[0].run(&ops::upsample2_add(&c3, &p4, 0, parallel), parallel);
        drop(c3);
        let levels =
            [p3, p4, p5].iter().zip(&self.heads).map(|(p, head)| head.run(p, parallel)).collect::<Vec<_>>();
        let total: usize = levels.iter().map(|l| l.h * l.w).sum();
        let mut out = vec![0.0f32; 16 * total];
        let mut offset = 0;
        for level in &levels {
            let cells = level.h * level.w;
            for (c, values) in level.to_chw().chunks_exact(cells).enumerate() {
                out[c * total + offset..][..cells].copy_from_slice(values);
            }
            offset += cells;
        }
        out
    }
}
