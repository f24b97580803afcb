use kindred_core::eval::read_csv;

use crate::util::{engine, faces_data};

/// Every photo with an annotated face count: the count found is within one of it for at
/// least 90% of them.
#[test]
fn face_counts_match_the_annotations() {
    let dir = faces_data();
    let rows = read_csv(&dir.join("labels.csv")).unwrap();
    let annotated: Vec<(std::path::PathBuf, i64)> = rows
        .iter()
        .filter_map(|r| Some((dir.join(&r["path"]), r.get("faces_in_image")?.parse::<i64>().ok()?)))
        .collect();
    assert!(annotated.len() >= 200, "{} annotated photos", annotated.len());
    let files: Vec<_> = annotated.iter().map(|(p, _)| p.clone()).collect();
    let found = engine().analyze_files(&files);
    let mut within_one = 0;
    let mut exact = 0;
    let mut abs_error = 0;
    let mut worst = Vec::new();
    for ((path, expected), result) in annotated.iter().zip(&found) {
        let n = result.as_ref().map(|f| f.len() as i64).unwrap_or(-1);
        let error = (n - expected).abs();
        abs_error += error;
        within_one += usize::from(error <= 1);
        exact += usize::from(error == 0);
        if error > 0 {
            worst.push((error, path.strip_prefix(&dir).unwrap().display().to_string(), *expected, n));
        }
    }
    worst.sort_by(|a, b| b.cmp(a));
    let share = within_one as f64 / annotated.len() as f64;
    eprintln!(
        "face counts on {} annotated photos: {:.1}% within ±1, {:.1}% exact, mean absolute error {:.3}",
        annotated.len(),
        100.0 * share,
        100.0 * exact as f64 / annotated.len() as f64,
        abs_error as f64 / annotated.len() as f64
    );
    for (error, path, expected, n) in worst.iter().take(8) {
        eprintln!("  off by {error}: {path} (annotated {expected}, found {n})");
    }
    assert!(share >= 0.9, "{:.1}% within ±1", 100.0 * share);
}

/// Photos with no human face (dogs, objects): few faces are found in them.
#[test]
fn photos_without_people_yield_few_faces() {
    let dir = faces_data();
    let rows = read_csv(&dir.join("labels.csv")).unwrap();
    let negatives: Vec<_> =
        rows.iter().filter(|r| r["path"].contains("/_noface/")).map(|r| dir.join(&r["path"])).collect();
    assert!(!negatives.is_empty());
    let found = engine().analyze_files(&negatives);
    let with_face = found.iter().filter(|r| r.as_ref().is_ok_and(|f| !f.is_empty())).count();
    eprintln!("{with_face} of {} photos without people had a face found", negatives.len());
    assert!(with_face * 5 <= negatives.len(), "{with_face} of {}", negatives.len());
}
