//! How well the embedder sees a face, so that the faces it sees poorly need more evidence.
//!
//! Two signals were measured to matter on the labeled dev photos (people of one half of each
//! set, `models/scripts/calibrate_quality.py`):
//! - the embedding's norm before normalising: SFace answers blurred, dark, tiny or broken
//!   detections weakly, and their similarities are unreliable (on CelebA the norm correlates
//!   0.74 with a face's mean similarity to the same person);
//! - how much the face looks like a young child's, read from the embedding itself by a linear
//!   probe: young children look alike to the embedder (on FG-NET the most similar stranger of a
//!   child under 4 scores 0.55 on average, of an adult 0.36), so their matches are the least
//!   trustworthy. The probe was fitted on the ages of one half of FG-NET's people and the adults
//!   of one half of CelebA's, and predicts `(13 − age) / 13` on the other half with correlation
//!   0.90; 99% of the other half's CelebA adults score under 0.28.
//!
//! The detector's score, the face's size and its pose (from the landmarks) were measured too:
//! on the dev sets, setting faces apart by any of them changed neither precision nor recall of
//! grouping, so they do not set strictness.

/// Below this norm a face is seen poorly (about the 2nd percentile of CelebA-wild faces; SFace
/// gives a typical face 12).
pub const MIN_EMBEDDING_NORM: f32 = 9.0;
/// Above this apparent childhood a face counts as a young child's (about 6 years old).
pub const CHILD_FACE: f32 = 0.5;

/// How much a face looks like a young child's: about `(13 − age) / 13` for children, 0 for
/// adults (values a little outside [0, 1] happen). `embedding` is a unit vector of the base
/// model ([`MODEL_ID`](crate::faces::MODEL_ID)), before any fine-tuned adapter.
pub fn apparent_childhood(embedding: &[f32]) -> f32 {
    if embedding.len() != CHILDHOOD_PROBE.len() - 1 {
        return 0.0;
    }
    let (weights, bias) = CHILDHOOD_PROBE.split_at(embedding.len());
    bias[0] + embedding.iter().zip(weights).map(|(x, w)| x * w).sum::<f32>()
}

/// Whether the embedder answered the face weakly. Faces found before norms were kept are
/// judged by their childhood alone.
pub fn seen_poorly(embedding_norm: Option<f32>) -> bool {
    embedding_norm.is_some_and(|n| n < MIN_EMBEDDING_NORM)
}

/// Whether a face needs more evidence than others before it joins anyone: one the embedder
/// sees poorly, or a young child's.
pub fn is_hard(embedding_norm: Option<f32>, childhood: f32) -> bool {
    seen_poorly(embedding_norm) || childhood > CHILD_FACE
}

/// The linear probe of apparent childhood: 128 weights, then the bias. Written by
/// `models/scripts/calibrate_quality.py`.
#[rustfmt::skip]
const CHILDHOOD_PROBE: [f32; 129] = [
    0.052083, -0.070594, 0.045140, -0.035826, 0.020079, 0.083518, 0.004135, -0.031948,
    -0.007912, -0.020864, 0.168616, 0.183484, 0.072945, 0.066824, 0.091115, -0.042104,
    0.018249, 0.004935, 0.095324, 0.000387, 0.242816, -0.111061, -0.079927, -0.003833,
    -0.077663, 0.144082, 0.033856, -0.033348, 0.170637, -0.061753, 0.018839, -0.193423,
    0.112862, 0.070371, -0.032055, -0.032308, 0.148765, -0.226572, -0.041953, -0.093986,
    -0.122599, 0.091981, 0.043106, -0.128799, 0.100531, -0.087941, 0.079524, -0.080589,
    0.127653, 0.119240, 0.017224, -0.207025, -0.049922, 0.014939, 0.187455, 0.141081,
    0.046882, -0.194872, 0.109243, -0.044444, 0.067615, -0.231144, 0.009024, -0.085379,
    0.219667, 0.181390, 0.129489, 0.078750, -0.236789, 0.150844, -0.150457, 0.049931,
    0.088612, -0.082993, -0.022528, 0.173481, 0.021436, -0.186734, -0.024203, -0.030998,
    0.043739, -0.034256, -0.001805, -0.118984, -0.156635, 0.056283, -0.014287, -0.173679,
    0.086025, -0.050100, -0.021231, -0.054693, 0.076003, 0.122416, 0.061570, -0.117149,
    -0.040658, 0.038572, -0.054930, 0.078327, -0.093252, -0.032403, -0.035643, -0.009998,
    -0.027201, -0.180400, 0.109034, -0.155037, -0.158312, 0.019471, 0.139248, 0.140331,
    -0.001660, -0.190519, -0.091444, 0.108654, -0.247799, 0.150951, -0.217391, 0.141545,
    0.040774, 0.051339, -0.082478, -0.172905, 0.010458, 0.018598, 0.039833, -0.119338,
    0.086393,
];
