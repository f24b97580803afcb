use kindred_core::faces::SAME_PERSON_COSINE;

use crate::util::{engine, faces_data};

/// Same/different pairs of large real photos: a threshold chosen on half the pairs separates
/// the other half, and Kindred's own threshold does nearly as well.
#[test]
fn verification_on_real_photo_pairs() {
    let dir = faces_data();
    let report =
        kindred_core::eval::verification(engine(), &dir, &dir.join("deepface_pairs.csv"), SAME_PERSON_COSINE)
            .unwrap();
    eprintln!("{report:?}");
    assert_eq!(report.pairs, 520);
    assert!(report.held_out_accuracy >= 0.98, "{report:?}");
    assert!(report.accuracy_at_default.1 >= 0.95, "{report:?}");
}
