//! Both networks' forward pass on the CPU, in kernels of our own.
//!
//! burn's CPU backend (flex 0.22) runs the layers these mobile networks are made of slowly:
//! measured on one core, its depthwise 3×3 convolutions reach about 4.5 GMAC/s (0.27 ms for
//! every 512-channel 14×14 layer of SFace), its strided and three-channel first layers and its
//! pooling go through generic paths, and each layer makes a few passes over memory. Here the
//! whole forward pass of YuNet and of SFace (folded) runs on activations kept in channel blocks
//! of eight (`[C/8][H][W][8]`, one AVX2 register per pixel and block), where a depthwise
//! convolution is nine multiply-adds per register and a 1×1 convolution a register-tiled
//! matrix product, each with its bias and activation applied before the result is stored.
//!
//! burn stays the engine on the GPU and for training: the modules hold the weights, these
//! copies are made from them at load time (see `Detector` and `Embedder`), and the tests
//! compare every kernel with burn's own output.

mod kernels;
mod ops;
mod sface;
mod simd;
#[cfg(test)]
mod tests;
mod yunet;

pub(crate) use kernels::Activation;
pub(crate) use ops::{Depthwise, ImageConv, Pointwise};
pub(crate) use sface::{Layer as SFaceLayer, SFaceCpu, rgb_bordered};
pub(crate) use yunet::{Dp, YuNetCpu};
