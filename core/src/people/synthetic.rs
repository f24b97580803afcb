//! Synthetic libraries of face-like embeddings, for the people benchmark and tests: the people
//! passes at 100k faces can be measured without 30,000 photos on disk.
//!
//! An identity is a random direction on the unit sphere with a small shared component (two
//! strangers have cosine ≈ 0.05). A face of it is `q·μ + √(1−q²)·u`, `u` a random unit vector
//! orthogonal to μ and `q ~ N(0.775, 0.1)` clipped to [0.4, 0.97] its "quality", so two faces of
//! one person have cosine ≈ 0.6 ± 0.1, as SFace gives on real photos. Identities appear with
//! Zipf-like frequencies (a family has a few people in most photos); a photo shows 1 to
//! `max_faces_per_photo` distinct identities.

use rusqlite::params;

use crate::catalog::{Catalog, FoundFace};
use crate::error::Result;
use crate::faces::MODEL_ID;

pub const DIM: usize = 128;

/// A deterministic generator (SplitMix64), so that a benchmark is the same on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn normal(&mut self) -> f32 {
        let u1 = self.uniform().max(1e-7);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }

    fn unit_vector(&mut self) -> Vec<f32> {
        let mut v: Vec<f32> = (0..DIM).map(|_| self.normal()).collect();
        crate::cluster::normalize_in_place(&mut v);
        v
    }
}

/// Identity directions with a small shared component.
pub fn identities(count: usize, rng: &mut Rng) -> Vec<Vec<f32>> {
    let shared = rng.unit_vector();
    (0..count)
        .map(|_| {
            let mut v: Vec<f32> = rng.unit_vector().iter().zip(&shared).map(|(x, s)| x + 0.23 * s).collect();
            crate::cluster::normalize_in_place(&mut v);
            v
        })
        .collect()
}

/// The norm SFace gives a typical face before normalising: synthetic faces are seen well.
pub const EMBEDDING_NORM: f32 = 12.0;

/// A face of `identity`.
pub fn face_of(identity: &[f32], rng: &mut Rng) -> Vec<f32> {
    let quality = (0.775 + 0.1 * rng.normal()).clamp(0.4, 0.97);
    let mut noise = rng.unit_vector();
    let along = crate::cluster::dot(&noise, identity);
    for (n, m) in noise.iter_mut().zip(identity) {
        *n -= along * m;
    }
    crate::cluster::normalize_in_place(&mut noise);
    let spread = (1.0 - quality * quality).sqrt();
    identity.iter().zip(&noise).map(|(m, n)| quality * m + spread * n).collect()
}

/// One synthetic face written to the library: its id, its photo and its true identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticFace {
    pub face_id: i64,
    pub photo_id: i64,
    pub identity: usize,
}

/// Adds `photos` synthetic photos (dated one day apart from `first_day`, a day number since
/// 2000-01-01) with faces of `identities`, as the face job would have stored them.
pub fn add_photos(
    library: &mut crate::Library,
    identities: &[Vec<f32>],
    photos: usize,
    max_faces_per_photo: usize,
    first_day: usize,
    rng: &mut Rng,
) -> Result<Vec<SyntheticFace>> {
    let catalog = library.catalog_mut();
    let now = crate::time::now_utc();
    let root = catalog.ensure_root(std::path::Path::new("/synthetic"), &now)?;
    // Zipf-like popularity: identity i is drawn with weight 1/(i+1)^0.7.
    let weights: Vec<f64> = (0..identities.len()).map(|i| 1.0 / ((i + 1) as f64).powf(0.7)).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cumulative.push(acc);
    }
    let draw = |rng: &mut Rng| {
        let x = f64::from(rng.uniform());
        cumulative.partition_point(|&c| c < x).min(identities.len() - 1)
    };
    let mut written = Vec::new();
    let tx = catalog.conn_mut().transaction()?;
    let start: i64 = tx.query_row("SELECT coalesce(max(id), 0) FROM photos", [], |r| r.get(0))?;
    for n in 0..photos {
        let number = start + 1 + n as i64;
        let hash = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
        let count = 1 + rng.below(max_faces_per_photo.max(1));
        let mut chosen: Vec<usize> = Vec::with_capacity(count);
        for _ in 0..count * 3 {
            let identity = draw(rng);
            if !chosen.contains(&identity) {
                chosen.push(identity);
            }
            if chosen.len() == count {
                break;
            }
        }
        let embeddings: Vec<Vec<f32>> =
            chosen.iter().map(|&identity| face_of(&identities[identity], rng)).collect();
        let path = format!("/synthetic/{number:07}.jpg");
        let day = Some((first_day + n) as i64);
        let (photo, ids) = write_photo(&tx, root, &path, &hash, day, &embeddings, &now)?;
        written.extend(ids.into_iter().zip(&chosen).map(|(face_id, &identity)| SyntheticFace {
            face_id,
            photo_id: photo,
            identity,
        }));
    }
    tx.commit()?;
    Ok(written)
}

/// Writes one photo at `path` in folder `root`, taken on `day` (days since 2000-01-01; undated
/// when `None`), with faces of these embeddings side by side, as the scan and the face job
/// store them. Returns the photo and its face ids.
pub(crate) fn write_photo(
    tx: &rusqlite::Transaction<'_>,
    root: i64,
    path: &str,
    hash: &str,
    day: Option<i64>,
    embeddings: &[Vec<f32>],
    now: &str,
) -> Result<(i64, Vec<i64>)> {
    let taken = day.map(|day| {
        let (year, month, date) = crate::time::civil_from_days(10_957 + day);
        format!("{year:04}-{month:02}-{date:02}T12:00:00")
    });
    tx.execute(
        "INSERT INTO photos (root_id, path, size, mtime_ns, content_hash, format, width, height, taken_at,
                             status, first_seen_at, last_seen_at, checked_at)
         VALUES (?1, ?2, 1000, 0, ?3, 'jpeg', 4000, 3000, ?4, 'ok', ?5, ?5, ?5)",
        params![root, path.as_bytes(), hash, taken, now],
    )?;
    let photo = tx.last_insert_rowid();
    let faces: Vec<FoundFace> = embeddings
        .iter()
        .enumerate()
        .map(|(slot, embedding)| FoundFace {
            x: 50.0 + 400.0 * slot as f32,
            y: 100.0,
            w: 300.0,
            h: 300.0,
            score: 0.9,
            landmarks: [[0.0; 2]; 5],
            embedding: embedding.clone(),
            embedding_norm: EMBEDDING_NORM,
        })
        .collect();
    let ids = Catalog::write_faces(tx, photo, hash, MODEL_ID, &faces, now)?;
    Ok((photo, ids))
}
