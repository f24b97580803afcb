//! How often the tiled pass finds faces that the 640-pixel pass missed, on labeled photos.
//!
//! ```text
//! crowd_pass DATA_DIR [PHOTO...]
//! crowd_pass --rules DIR
//! ```
//!
//! `DATA_DIR` is a labeled photo folder (`../shared/data/faces`): every photo with annotated
//! face boxes (`faces_multi.csv`) or an annotated face count (`labels.csv`) is read, plus the
//! `PHOTO`s given (counted only). Each photo is searched three ways: the 640-pixel pass alone,
//! with the tiled pass forced on (the most it can find), and as the face job decides (on the
//! photo decoded at the scale the first pass needs; its time includes that decode). One line
//! per photo where they differ, then totals: annotated faces found by each, detections matching
//! no annotated face, and the time each way.
//!
//! `--rules DIR` runs the first pass alone on every photo under DIR and counts the photos on
//! which the job's rule, and the earlier one (at least 3 faces of a median height under 40
//! pixels), would run the tiled pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use kindred_core::faces::{self, FaceEngine};
use kindred_core::{DetectOptions, Device};
use kindred_models::Detection;

/// The fields of a CSV line (quoted fields may hold commas).
fn fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().expect("one field at least").push(c),
        }
    }
    out
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = fields(lines.next().expect("a header"));
    lines.map(|l| header.iter().cloned().zip(fields(l)).collect()).collect()
}

#[derive(Default)]
struct Truth {
    boxes: Vec<[f32; 4]>,
    count: Option<usize>,
}

fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
}

fn corners(d: &Detection) -> [f32; 4] {
    [d.x, d.y, d.x + d.w, d.y + d.h]
}

/// Whether a detection and an annotated box are one face: they overlap well, or each one's
/// centre lies in the other (annotation tools draw tighter boxes than YuNet).
fn same_face(d: [f32; 4], a: [f32; 4]) -> bool {
    let inside = |p: [f32; 2], b: [f32; 4]| (b[0]..=b[2]).contains(&p[0]) && (b[1]..=b[3]).contains(&p[1]);
    let centre = |b: [f32; 4]| [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
    iou(d, a) >= 0.3 || (inside(centre(d), a) && inside(centre(a), d))
}

/// Annotated faces found, and detections that are no annotated face (one to one, greedily).
fn score(found: &[Detection], truth: &Truth) -> (usize, usize) {
    if truth.boxes.is_empty() {
        let n = truth.count.unwrap_or(0);
        return (found.len().min(n), found.len().saturating_sub(n));
    }
    let mut used = vec![false; found.len()];
    let mut matched = 0;
    for a in &truth.boxes {
        let best = found
            .iter()
            .enumerate()
            .filter(|(i, d)| !used[*i] && same_face(corners(d), *a))
            .max_by(|x, y| iou(corners(x.1), *a).total_cmp(&iou(corners(y.1), *a)));
        if let Some((i, _)) = best {
            used[i] = true;
            matched += 1;
        }
    }
    (matched, used.iter().filter(|u| !**u).count())
}

#[derive(Default)]
struct Totals {
    found: usize,
    extra: usize,
    seconds: f64,
}

/// The rule the job applied before this measurement: at least 3 faces of a median height under
/// 40 pixels at the first pass's scale.
fn earlier_rule(first: &[Detection], long_side: u32) -> bool {
    let mut heights: Vec<f32> = first.iter().map(|d| d.h).collect();
    heights.sort_by(f32::total_cmp);
    long_side > 640 && heights.len() >= 3 && heights[heights.len() / 2] < 40.0
}

/// `first` (in photo pixels) at the first pass's scale.
fn at_first_scale(first: &[Detection], long: u32, side: u32) -> Vec<Detection> {
    let scale = side as f32 / long.max(side) as f32;
    first.iter().map(|d| Detection { h: d.h * scale, w: d.w * scale, ..*d }).collect()
}

fn rules(dir: &Path) {
    let mut files: Vec<PathBuf> = walk(dir);
    files.sort();
    let mut engine = FaceEngine::load(&faces::locate_models().expect("models"), Device::Cpu).expect("engine");
    let rule = DetectOptions::default();
    engine.options = DetectOptions { crowd_min_faces: usize::MAX, ..rule.clone() };
    let (mut photos, mut now, mut before) = (0, 0, 0);
    for path in &files {
        let Ok(image) = faces::read_oriented(path) else { continue };
        photos += 1;
        let long = image.width().max(image.height());
        let first = at_first_scale(&engine.detect(&image), long, rule.first_pass_side);
        now += usize::from(rule.wants_tiles(&first, long));
        before += usize::from(earlier_rule(&first, long));
    }
    println!(
        "{photos} photos under {}: the tiled pass runs on {now} (the earlier rule: {before})",
        dir.display()
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("png"))
        {
            out.push(path);
        }
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let first_arg = args.next().expect("crowd_pass DATA_DIR [PHOTO...] | crowd_pass --rules DIR");
    if first_arg == "--rules" {
        return rules(Path::new(&args.next().expect("a folder")));
    }
    let data = PathBuf::from(first_arg);
    let mut truth: BTreeMap<PathBuf, Truth> = BTreeMap::new();
    for row in read_csv(&data.join("labels.csv")) {
        if let Ok(n) = row["faces_in_image"].parse::<usize>() {
            truth.entry(data.join(&row["path"])).or_default().count = Some(n);
        }
    }
    for row in read_csv(&data.join("faces_multi.csv")) {
        let v = |k: &str| row[k].parse::<f32>().unwrap_or_else(|_| panic!("{k} in {row:?}"));
        truth.entry(data.join(&row["path"])).or_default().boxes.push([
            v("left"),
            v("top"),
            v("right"),
            v("bottom"),
        ]);
    }
    for extra in args {
        truth.entry(PathBuf::from(extra)).or_default();
    }

    let mut engine = FaceEngine::load(&faces::locate_models().expect("models"), Device::Cpu).expect("engine");
    let rule = DetectOptions::default();
    let first_only = DetectOptions { crowd_min_faces: usize::MAX, ..rule.clone() };
    let forced = DetectOptions { crowd_min_faces: 0, crowd_small_face: f32::INFINITY, ..rule.clone() };
    let (mut first_t, mut forced_t, mut rule_t) = (Totals::default(), Totals::default(), Totals::default());
    let (mut annotated, mut photos, mut large, mut fired, mut fired_before) = (0, 0, 0, 0, 0);
    println!(
        "photo\tsize\tannotated\tfirst pass found/extra\ttiles forced found/extra\trule fires\tfirst-pass face heights at 640"
    );
    for (path, t) in &truth {
        let Ok(image) = faces::read_oriented(path) else {
            eprintln!("cannot read {}", path.display());
            continue;
        };
        photos += 1;
        let n_true = if t.boxes.is_empty() { t.count.unwrap_or(0) } else { t.boxes.len() };
        annotated += n_true;
        let long = image.width().max(image.height());
        large += usize::from(long > rule.first_pass_side);
        let mut run = |options: &DetectOptions, totals: &mut Totals| {
            engine.options = options.clone();
            let started = Instant::now();
            let found = if std::ptr::eq(options, &rule) {
                // As the job reads the photo: decoded at the scale the first pass needs.
                engine.detect_file(path, true).expect("read once already")
            } else {
                engine.detect(&image)
            };
            totals.seconds += started.elapsed().as_secs_f64();
            let (m, e) = score(&found, t);
            totals.found += m;
            totals.extra += e;
            (found, m, e)
        };
        let (first, m1, e1) = run(&first_only, &mut first_t);
        let (_, m2, e2) = run(&forced, &mut forced_t);
        run(&rule, &mut rule_t);
        let scaled = at_first_scale(&first, long, rule.first_pass_side);
        let fires = rule.wants_tiles(&scaled, long);
        fired += usize::from(fires);
        fired_before += usize::from(earlier_rule(&scaled, long));
        let mut heights: Vec<f32> = scaled.iter().map(|d| d.h).collect();
        heights.sort_by(f32::total_cmp);
        if (m1, e1) != (m2, e2) || fires {
            let hs: Vec<String> = heights.iter().map(|h| format!("{h:.0}")).collect();
            println!(
                "{}\t{}×{}\t{n_true}\t{m1}/{e1}\t{m2}/{e2}\t{fires}\t{}",
                path.strip_prefix(&data).unwrap_or(path).display(),
                image.width(),
                image.height(),
                hs.join(" ")
            );
        }
    }
    println!();
    println!(
        "{photos} photos ({large} larger than {} px), {annotated} annotated faces",
        rule.first_pass_side
    );
    for (name, t) in
        [("640 pass alone", &first_t), ("tiles forced", &forced_t), ("as the job decides", &rule_t)]
    {
        println!(
            "{name:<20} annotated faces found {:>4} ({:.1} %), detections matching none {:>4}, {:.1} s",
            t.found,
            100.0 * t.found as f64 / annotated.max(1) as f64,
            t.extra,
            t.seconds
        );
    }
    println!("the tiled pass ran on {fired} photos as the job decides (the earlier rule: {fired_before})");
}
